# the queue's and the roll-up's tables must exist when the facts' init() rebuilds them
from . import oms_order_fact_queue
from . import oms_order_fact_source
from . import oms_order_fact_daily
from . import oms_order_fact
from . import sale_order
from . import sale_order_line
from . import oms_exception
from . import stock_move
from . import account_move
from . import account_partial_reconcile
from . import oms_kpi
from . import oms_kpi_alert
from . import oms_kpi_demo
from . import res_company
from . import res_config_settings
