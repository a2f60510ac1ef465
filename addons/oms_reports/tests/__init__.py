from . import test_dashboard
from . import test_kpi
from . import test_kpi_service
from . import test_kpi_alert
from . import test_menus
from . import test_replenishment
from . import test_order_fact
from . import test_tour_manager
