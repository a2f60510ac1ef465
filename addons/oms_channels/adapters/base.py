"""Common adapter interface of the channel connectors (plain Python, no ORM).

An adapter turns a platform's payloads into :class:`NormalizedOrder` values and talks
to the platform's API. The Odoo side (``oms.channel``) only ever sees normalized
values, so mapping customers/products/taxes is written once.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import requests

_logger = logging.getLogger(__name__)

TIMEOUT = 20  # seconds, for every HTTP call
RETRY_STATUSES = {429, 500, 502, 503, 504}
#: no real order has a quantity or an amount this large (beyond float precision)
MAX_NUMBER = Decimal(10) ** 12


class ChannelError(Exception):
    """The payload or the platform answer cannot be used (message is user-facing)."""


class NotAnOrder(ChannelError):
    """The payload is valid JSON/bytes but not an order of that platform."""


class ChannelHTTPError(ChannelError):
    """A platform call that failed: the HTTP ``status`` (None when no answer
    came: timeout, connection refused) and the platform's own message."""

    def __init__(self, message, status=None, detail="", host="", reason=""):
        super().__init__(message)
        self.status = status
        self.detail = detail
        #: the platform's host (and port) that was called
        self.host = host
        #: HTTP answers: the status's reason phrase; no answer: one of
        #: :data:`NETWORK_FAILURES`
        self.reason = reason

    @property
    def retryable(self):
        """True when sending the same call later may work (no answer, 429, 5xx);
        any other 4xx is the platform refusing the call for good."""
        return (
            self.status is None or self.status in RETRY_STATUSES or (self.status >= 500)
        )


#: why a call got no answer (``ChannelHTTPError.reason`` when ``status`` is None)
NETWORK_FAILURES = ("timeout", "refused", "dns", "tls", "network")


def network_failure(exc):
    """The :data:`NETWORK_FAILURES` code of a :class:`requests` exception."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    message = str(exc).lower()
    if "refused" in message:
        return "refused"
    if any(
        words in message
        for words in ("name or service not known", "resolve", "name resolution")
    ):
        return "dns"
    return "network"


def url_host(url):
    """``host[:port]`` of a URL, without credentials or path."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    return f"{host}:{port}" if host and port else host


@dataclass
class NormalizedAddress:
    name: str = ""
    company: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    zip: str = ""
    state_code: str = ""
    state_name: str = ""
    country_code: str = ""
    country_name: str = ""
    phone: str = ""
    email: str = ""

    def is_empty(self):
        return not (self.name or self.street or self.city)


@dataclass
class NormalizedLine:
    sku: str
    name: str
    quantity: Decimal
    price_unit: Decimal
    discount_amount: Decimal = Decimal(0)
    tax_rates: list = field(default_factory=list)  # percentages, e.g. [Decimal("7.5")]
    external_product_id: str = ""
    #: the platform's id of this line (sub-order), for partial shipments
    external_line_ref: str = ""


@dataclass
class NormalizedOrder:
    external_ref: str
    name: str = ""
    customer_ref: str = ""
    customer_name: str = ""
    email: str = ""
    phone: str = ""
    billing: NormalizedAddress = field(default_factory=NormalizedAddress)
    shipping: NormalizedAddress = field(default_factory=NormalizedAddress)
    lines: list = field(default_factory=list)
    shipping_lines: list = field(default_factory=list)  # [(title, amount, tax_rates)]
    order_discount: Decimal = Decimal(0)  # discount not allocated to lines
    #: discounts the platform (or a third party) pays for, not the seller: they
    #: do not lower the order's total, the platform settles them
    platform_discount: Decimal = Decimal(0)
    currency: str = ""
    taxes_included: bool = False
    total: Decimal | None = None
    note: str = ""
    date_order: str = ""  # ISO 8601 as sent by the platform
    is_paid: bool = False
    paid_amount: Decimal = Decimal(0)
    is_cancelled: bool = False
    #: the platform's names of its tax rates, {rate rounded to 2 digits: title}
    #: (a channel maps a title to a tax of the company, ``oms.channel.tax``)
    tax_titles: dict = field(default_factory=dict)


@dataclass
class PushLine:
    """One line of what is sent back to a platform (shipped, refunded)."""

    sku: str
    quantity: Decimal
    name: str = ""
    #: the platform's id of the order line (Shopify line item, WooCommerce item)
    line_ref: str = ""
    #: the platform's product or variant id
    product_ref: str = ""
    #: refunds: amount refunded for the line, taxes included
    amount: Decimal = Decimal(0)


@dataclass
class PushDocument:
    """What the outbox sends to a platform: a shipment, a cancellation or a
    refund of one order (``kind``: ``fulfilment``, ``cancel``, ``refund``).

    ``key`` is the idempotency key: the same document is sent with the same key
    however often it is retried, so the platform (or the adapter's check before
    sending) never applies it twice.
    """

    kind: str
    key: str
    external_ref: str
    reference: str = ""  # our document: delivery, credit note, order name
    lines: list = field(default_factory=list)  # PushLine
    carrier: str = ""
    tracking_ref: str = ""
    tracking_url: str = ""
    #: fulfilment: nothing is left to ship after this one
    is_complete: bool = False
    reason: str = ""
    #: cancel: the reason as one of a platform's fixed list (Shopify's)
    reason_code: str = ""
    #: cancel / refund: the goods go back to the platform's stock
    restock: bool = False
    amount: Decimal = Decimal(0)
    currency: str = ""

    def to_json(self):
        """The document as a JSON-ready dict (amounts as strings)."""
        data = asdict(self)
        data["amount"] = str(self.amount)
        for line in data["lines"]:
            line["quantity"] = str(line["quantity"])
            line["amount"] = str(line["amount"])
        return data

    @classmethod
    def from_json(cls, data):
        """The document of :meth:`to_json`."""
        data = dict(data)
        data["amount"] = Decimal(str(data.get("amount") or 0))
        data["lines"] = [
            PushLine(
                **dict(
                    line,
                    quantity=Decimal(str(line["quantity"])),
                    amount=Decimal(str(line.get("amount") or 0)),
                )
            )
            for line in data.get("lines") or []
        ]
        return cls(**data)


@dataclass
class PlatformRefund:
    """A refund made on the platform (webhook or pull), normalized."""

    ref: str  # the platform's refund id
    order_ref: str  # the platform's order id
    lines: list = field(default_factory=list)  # PushLine
    amount: Decimal = Decimal(0)
    #: the refunded items go back to stock: the customer sends them back
    restock: bool = False
    note: str = ""
    #: the idempotency key of ours when the refund was sent from Odoo
    key: str = ""


def to_decimal(value, what="amount"):
    """Decimal of a platform money/quantity value (str, int or float)."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ChannelError(f"invalid {what}: {value!r}")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ChannelError(f"invalid {what}: {value!r}") from exc
    if not result.is_finite():
        raise ChannelError(f"invalid {what}: {value!r}")
    if abs(result) >= MAX_NUMBER:
        raise ChannelError(f"{what} out of range: {value!r}")
    return result


def text(value):
    """Platform text value as a stripped string ('' for null/non scalar)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def loads(raw):
    """Parse a JSON body keeping big integer ids exact (Python ints are unbounded)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, TypeError) as exc:
        raise NotAnOrder(f"body is not JSON: {exc}") from exc


def version_key(value):
    """Sortable text of a platform's order version: an integer version
    (zero-padded) or a timestamp (ISO 8601, in UTC); '' when there is none.

    :raise ChannelError: a value that is neither
    """
    if value is None or value == "" or isinstance(value, bool):
        return ""
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return f"{int(value):020d}"
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return f"{int(value):020d}"
    try:
        date = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise ChannelError(f"invalid order version: {value!r}") from exc
    if date.tzinfo:
        date = date.astimezone(UTC).replace(tzinfo=None)
    return date.isoformat(timespec="microseconds")


def version_label(key):
    """The text a user reads of a :func:`version_key`: the integer, or the
    UTC time to the second."""
    if not key:
        return ""
    if key.isdigit():
        return str(int(key))
    return key.replace("T", " ")[:19]


def hmac_b64(secret, body):
    """base64(HMAC-SHA256(secret, body)) as used by Shopify, WooCommerce and us."""
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(body, str):
        body = body.encode()
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def verify_hmac_b64(secrets, body, signature):
    """True when ``signature`` matches one of ``secrets`` (constant-time compare)."""
    if not signature:
        return False
    return any(
        secret and hmac.compare_digest(hmac_b64(secret, body), signature.strip())
        for secret in secrets
    )


LINK_RE = re.compile(r"<([^>]+)>\s*;\s*rel=\"?(\w+)\"?")


def parse_link_header(value):
    """{'next': url, 'previous': url, ...} of an RFC 8288 ``Link`` header."""
    return {rel: url for url, rel in LINK_RE.findall(value or "")}


class ChannelAdapter:
    """Base adapter. Subclasses implement the platform specifics.

    :param config: dict with ``api_url``, ``api_key``, ``api_secret``, ``field_map``
    """

    signature_header = None
    #: what the platform supports; ``oms.channel`` reads these instead of a list
    #: of connectors (see ``oms.channel._get_adapter_class``)
    #: orders can be pulled from the platform (``fetch_orders``)
    can_pull = False
    #: the platform posts its orders to our webhook (``verify_signature``)
    can_receive_webhooks = False
    #: the platform takes stock levels (``push_stock``)
    can_push_stock = False
    #: the platform takes shipments (``push_fulfilment``)
    can_push_fulfilment = False
    #: changes to an imported order are applied to its sales order
    #: (``order_version`` orders them)
    can_update_orders = False
    #: the platform takes cancellations (``send_cancel``)
    can_push_cancel = False
    #: the platform takes refunds (``send_refund``)
    can_push_refund = False
    #: error codes of :class:`requests` answers that are worth retrying
    max_retries = 3
    backoff = 1.0
    #: items per stock update call (the platform's batch limit)
    stock_chunk_size = 100

    def __init__(self, config, session=None):
        self.config = config
        self.session = session or requests.Session()

    # -- inbound -------------------------------------------------------------
    def verify_signature(self, body, headers):
        """True when the raw ``body`` is signed with the channel's secret."""
        signature = (
            headers.get(self.signature_header) if self.signature_header else None
        )
        return verify_hmac_b64(self._signing_secrets(), body, signature)

    def _signing_secrets(self):
        return [self.config.get("api_secret"), self.config.get("api_secret_previous")]

    def is_ping(self, body, form):
        """True when a webhook delivery only tests the endpoint (answered, not
        stored). ``form`` holds the fields of a form-encoded body."""
        return False

    def webhook_answer(self, status, message):
        """The body (a JSON-ready dict) answering a webhook delivery, for a
        platform that documents its own; None for ours (the status and the
        staged ids)."""
        return None

    def extract_orders(self, data):
        """List of raw order dicts contained in a webhook body / API answer."""
        raise NotImplementedError

    def orders_of(self, data):
        """:meth:`extract_orders`, refusing anything but a non-empty list of dicts."""
        orders = self.extract_orders(data)
        if not orders or not all(isinstance(order, dict) for order in orders):
            raise NotAnOrder("no order in the document")
        return orders

    #: the platform's name in error messages ("Shopify order without id")
    platform = None

    def external_ref(self, order):
        """External reference (str) of one raw order dict: its ``id`` by default."""
        ref = order.get("id") if isinstance(order, dict) else None
        if isinstance(ref, bool) or not isinstance(ref, (int, str)) or not str(ref):
            raise NotAnOrder(f"{self.platform} order without id")
        return str(ref)

    def order_number(self, order):
        """The order number the shop shows its seller for one raw order dict
        (Shopify's ``#1001``): the :meth:`external_ref` by default, which is
        the order number of the platforms whose id is the number."""
        return self.external_ref(order)

    def normalize(self, order):
        """:class:`NormalizedOrder` of one raw order dict (raises ChannelError)."""
        raise NotImplementedError

    def is_cancel_event(self, headers, order):
        """True when the webhook/order tells that the order was cancelled."""
        return False

    def order_version(self, order):
        """The platform's version of one raw order dict, as :func:`version_key`
        text: an older version arriving after a newer one is ignored. '' when
        the platform gives none (then the last one received wins)."""
        return ""

    def is_awaiting_payment(self, order):
        """True while the buyer has not paid: the order is staged (and updated)
        but not imported."""
        return False

    # -- outbound ------------------------------------------------------------
    def test_connection(self):
        """One cheap authenticated call to the platform, to check the channel's
        address and credentials; nothing is stored.

        :return: the platform's name of the shop, or "" when it gives none
        :raise ChannelError: the platform could not be reached or refused
        """
        return ""

    def fetch_orders(self, since=None):
        """Yield raw order dicts updated since the ISO cursor ``since``."""
        raise NotImplementedError

    def push_stock(self, sku_quantities, on_pushed=None):
        """Set the available quantity of each {binding_ref: qty} on the platform,
        one call per chunk of :meth:`_stock_chunks`.

        ``on_pushed(refs)`` is called with the refs of each chunk as soon as the
        platform has accepted them, so that what was published is recorded even
        when a later call fails. Items the platform refuses do not stop the other
        chunks; a call that fails after its retries stops the push. Raises
        :class:`ChannelError` with every refusal and failure at the end.
        """
        errors = []
        for chunk in self._stock_chunks(sku_quantities):
            try:
                refused = self._push_stock_chunk(chunk)
            except ChannelError as exc:
                errors.append(str(exc))
                break
            accepted = [ref for ref in chunk if ref not in refused]
            if accepted and on_pushed:
                on_pushed(accepted)
            errors.extend(dict.fromkeys(refused.values()))
        if errors:
            raise ChannelError("; ".join(errors))

    def _stock_chunks(self, sku_quantities):
        """Yield the {binding_ref: qty} dicts sent in one call each, of at most
        :attr:`stock_chunk_size` items."""
        items = list(sku_quantities.items())
        for start in range(0, len(items), self.stock_chunk_size):
            yield dict(items[start : start + self.stock_chunk_size])

    def _push_stock_chunk(self, chunk):
        """Send one chunk; {ref: message} of the items the platform refused.

        Raises :class:`ChannelError` when the call itself fails.
        """
        raise NotImplementedError

    def push_fulfilment(self, external_ref, carrier, tracking_ref, lines):
        """Tell the platform that ``external_ref`` shipped with this tracking.

        ``lines`` are the (SKU, quantity) pairs of the delivery. The outbox calls
        :meth:`send_fulfilment`, whose default calls this method: an adapter
        that only needs the SKUs writes this one, the others write
        :meth:`send_fulfilment`.
        """
        raise NotImplementedError

    # -- outbox ------------------------------------------------------------------
    def takes_push(self, kind):
        """True when this channel's platform takes ``kind`` documents
        (``fulfilment``, ``cancel``, ``refund``, ``stock``): the class
        attribute ``can_push_<kind>`` by default; a connector whose pushes
        depend on its configuration overrides it."""
        return bool(getattr(self, f"can_push_{kind}", False))

    def send(self, document):
        """Send one :class:`PushDocument` of the outbox with ``send_<kind>``.

        Called once per attempt, with the same ``document.key`` every time.
        Raises :class:`ChannelHTTPError` (retryable or not) or
        :class:`ChannelError` (refused for good).

        :return: the platform's id of what it created ("" when none)
        :rtype: str
        """
        return getattr(self, f"send_{document.kind}")(document) or ""

    def send_fulfilment(self, document):
        """Hook: send one delivery (``document.lines``: what left the warehouse)."""
        self.push_fulfilment(
            document.external_ref,
            document.carrier,
            document.tracking_ref,
            [(line.sku, line.quantity) for line in document.lines],
        )
        return ""

    def send_cancel(self, document):
        """Hook: tell the platform that the order was cancelled (with
        ``document.reason``)."""
        raise ChannelError(f"{self.platform or 'this channel'} takes no cancellation")

    def send_refund(self, document):
        """Hook: send a refund (``document.lines``, ``document.amount``)."""
        raise ChannelError(f"{self.platform or 'this channel'} takes no refund")

    def refund_of(self, headers, data):
        """The :class:`PlatformRefund` of a webhook body that tells of a refund
        made on the platform, else None (the body is an order)."""
        return None

    def fetch_refunds(self, order):
        """The :class:`PlatformRefund` list of one raw order dict, for the
        platforms that send no refund webhook (pulled with the orders)."""
        return []

    def line_refs(self, order):
        """The platform's lines of one raw order dict, to find the platform's
        line ids of our order lines: a list of dicts with ``ref`` (line id),
        ``sku``, ``product_ref`` and ``quantity``. Empty by default."""
        return []

    # -- HTTP ----------------------------------------------------------------
    def _auth(self):
        return {}

    def request(self, method, url, **kwargs):
        """HTTP call with timeout, retried with back-off on 429/5xx/network errors.

        Credentials go in headers/auth only, never into the log.
        """
        kwargs.setdefault("timeout", TIMEOUT)
        for key, value in self._auth().items():
            kwargs.setdefault(key, value)
        attempt = 0
        while True:
            attempt += 1
            response = None
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                if attempt > self.max_retries:
                    raise ChannelHTTPError(
                        f"{method} {_safe_url(url)}: {exc}",
                        host=url_host(url),
                        reason=network_failure(exc),
                    ) from exc
                _logger.info(
                    "channel call %s %s failed, retrying", method, _safe_url(url)
                )
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise _http_error(method, url, response)
                    return response
                if attempt > self.max_retries:
                    raise _http_error(method, url, response)
                _logger.info(
                    "channel call %s %s got %s, retrying",
                    method,
                    _safe_url(url),
                    response.status_code,
                )
            time.sleep(self._retry_delay(attempt, response))

    def _retry_delay(self, attempt, response):
        retry_after = response is not None and response.headers.get("Retry-After")
        if retry_after:
            try:
                return min(float(retry_after), 30.0)
            except ValueError:
                _logger.debug(
                    "Ignoring a Retry-After that is not in seconds: %s", retry_after
                )
        return self.backoff * (2 ** (attempt - 1))


def _http_error(method, url, response):
    """:class:`ChannelHTTPError` of a refused call, with the platform's message
    (its JSON ``errors``/``message``, else the start of the body)."""
    detail = ""
    try:
        body = response.json()
    except ValueError:
        detail = (response.text or "")[:300]
    else:
        if isinstance(body, dict):
            detail = body.get("errors") or body.get("message") or body.get("error")
            detail = detail if isinstance(detail, str) else json.dumps(detail or "")
    return ChannelHTTPError(
        f"{method} {_safe_url(url)}: HTTP {response.status_code}",
        status=response.status_code,
        detail=(detail or "").strip('"')[:500],
        host=url_host(url),
        reason=response.reason if isinstance(response.reason, str) else "",
    )


def _safe_url(url):
    """URL without its query string (it may carry consumer keys)."""
    return (url or "").split("?", 1)[0]
