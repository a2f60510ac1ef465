from . import oms_exception_override
from . import oms_exception_substitute
from . import oms_order_cancel
from . import sale_mass_cancel_orders
from . import stock_return_picking
from . import oms_review_rule_what_if
