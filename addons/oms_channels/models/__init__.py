from . import oms_channel
from . import oms_channel_product
from . import oms_channel_customer
from . import oms_channel_order_queue
from . import oms_channel_order
from . import sale_order
from . import stock_picking
from . import delivery_carrier
