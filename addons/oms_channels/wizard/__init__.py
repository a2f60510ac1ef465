from . import oms_channel_order_import
from . import oms_channel_order_tax_fix
from . import oms_channel_sku_map
