"""Which failures of an import a later attempt may cure.

A *transient* failure (no answer, timeout, HTTP 429 or 5xx, a platform's call
limit, a lock or a concurrent transaction) is retried by the cron with the
queue's back-off. A *permanent* one (an unknown SKU, a missing tax, a payload
or value that cannot be used) fails the same way every time: the order waits
for a person, who fixes the mapping and processes it again.
"""

import psycopg2
import requests

from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..adapters import ChannelError
from ..adapters.base import ChannelHTTPError
from ..adapters.cn_base import RateLimited

TRANSIENT = "transient"
PERMANENT = "permanent"
#: the kinds of a staged order's error (``oms.channel.order.error_kind``)
OMS_CHANNEL_ORDER_ERROR_KIND = [
    (TRANSIENT, "Retried automatically"),
    (PERMANENT, "Waits for a person"),
]
#: failures of the moment: network, locks, concurrent transactions
TRANSIENT_ERRORS = (
    *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    psycopg2.OperationalError,
    requests.RequestException,
    OSError,
    RateLimited,
)


def classify_error(exc):
    """:data:`TRANSIENT` or :data:`PERMANENT` for an exception of an import.

    An unexpected error (a fault of the code, not of the order) counts as
    transient: it is retried up to the channel's process limit.
    """
    if isinstance(exc, ChannelHTTPError):
        return TRANSIENT if exc.retryable else PERMANENT
    if isinstance(exc, TRANSIENT_ERRORS):
        return TRANSIENT
    if isinstance(exc, (UserError, ChannelError)):
        return PERMANENT
    return TRANSIENT
