from . import sale_report
from . import oms_channel_allocation_table
