# settings and master data
from . import res_company
from . import res_config_settings
from . import oms_order_type
from . import res_partner
from . import product_product
from . import res_users

# intake: the order
from . import sale_order
from . import sale_order_line

# review: rules, exceptions, cancellation
from . import oms_order_domain_mixin
from . import oms_review_rule
from . import oms_review_rule_tier
from . import oms_exception
from . import oms_exception_approval
from . import mail_message
from . import oms_cancel_reason
from . import oms_stock_promise
from . import oms_order_change

# priority
from . import oms_priority_rule

# fulfilment
from . import stock_warehouse
from . import resource_calendar
from . import resource_calendar_attendance
from . import resource_calendar_leaves
from . import oms_warehouse_region
from . import stock_location
from . import stock_move
from . import stock_picking
from . import delivery_carrier

# money
from . import account_move
from . import account_move_line
from . import account_analytic_distribution_model

# returns
from . import oms_return_reason
from . import oms_return
from . import oms_return_line

# the customer's side
from . import oms_order_notice
from . import rating_rating
