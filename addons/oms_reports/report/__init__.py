from . import oms_order_report
from . import sale_report
