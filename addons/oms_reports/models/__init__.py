from . import oms_kpi
from . import oms_kpi_alert
from . import oms_kpi_demo
