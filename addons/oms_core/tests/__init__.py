from . import test_access
from . import test_changes_after_approval
from . import test_priority
from . import test_resolutions
from . import test_review_checks
from . import test_review_confirm
from . import test_review_engine
from . import test_security_groups
