from . import oms_channel_order_import
