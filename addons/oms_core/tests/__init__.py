from . import test_security_groups
from . import test_fulfil_picking_list
from . import test_fulfil_reservation
from . import test_fulfil_shipping
from . import test_money_invoice
from . import test_money_payment
from . import test_return
