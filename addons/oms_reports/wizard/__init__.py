from . import oms_replenishment_suggest
from . import oms_replenishment_suggest_line
