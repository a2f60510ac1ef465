"""What the Chinese marketplace adapters (Taobao/Tmall TOP, JD JOS, Pinduoduo,
Douyin Shop) share: request signing as each platform documents it, the signed
RPC-style call with its error handling, and the incremental order pull by
time windows.

Signing functions are plain functions of the parameters so that the worked
examples of the platforms' documentation can be reproduced byte for byte.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .base import (
    ChannelAdapter,
    ChannelError,
    NormalizedLine,
    NormalizedOrder,
    NotAnOrder,
    text,
    to_decimal,
    version_key,
)

_logger = logging.getLogger(__name__)

#: the platforms' clock: China Standard Time (UTC+8, no daylight saving)
CST = timedelta(hours=8)
CENT = Decimal("0.01")


#: what a marketplace order says of its refund (``CnMarketplaceAdapter.refund_state``)
REFUND_NONE = ""
REFUND_REQUESTED = "requested"
REFUND_DONE = "refunded"


class TokenError(ChannelError):
    """The shop's access token is expired, revoked or invalid: the channel
    cannot call the platform until a manager pastes (or refreshes) a token."""


class RateLimited(ChannelError):
    """The platform refused the call because its call limit was reached."""


class PlatformRefusal(ChannelError):
    """The platform answered the call with a business error (unknown SKU,
    order not in a state to ship...): that item is refused, the next calls
    may go on."""


# -- signing ------------------------------------------------------------------
def _sorted_concat(params):
    """``name+value`` of every parameter, sorted by name (ASCII), empty values
    and ``sign`` left out (the rule shared by TOP, Pinduoduo and JD)."""
    return "".join(
        f"{name}{value}"
        for name, value in sorted(params.items())
        if name != "sign" and value is not None and value != ""
    )


def top_sign(params, secret, sign_method="md5"):
    """Taobao/Tmall TOP signature.

    ``md5``: UPPER(HEX(MD5(secret + s + secret))); ``hmac``: UPPER(HEX(HmacMD5(
    secret, s))); ``hmac-sha256``: UPPER(HEX(HmacSHA256(secret, s))), where s is
    the sorted ``name+value`` string of every public and business parameter.
    """
    payload = _sorted_concat(params)
    if sign_method == "md5":
        digest = hashlib.md5(f"{secret}{payload}{secret}".encode()).hexdigest()
    elif sign_method == "hmac":
        digest = hmac.new(secret.encode(), payload.encode(), hashlib.md5).hexdigest()
    elif sign_method == "hmac-sha256":
        digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    else:
        raise ChannelError(f"unknown TOP sign method {sign_method}")
    return digest.upper()


def pdd_sign(params, secret):
    """Pinduoduo signature: UPPER(MD5(secret + sorted name+value + secret))."""
    payload = _sorted_concat(params)
    return hashlib.md5(f"{secret}{payload}{secret}".encode()).hexdigest().upper()


def jd_sign(params, secret):
    """JD JOS (``routerjson``) signature: UPPER(MD5(secret + sorted name+value +
    secret)), the business parameters being one JSON string in
    ``360buy_param_json``."""
    return pdd_sign(params, secret)


def compact_json(data, sort_keys=True):
    """Compact JSON in UTF-8 text: Douyin's ``param_json`` (keys sorted, as the
    SDK sends it) and JD's ``360buy_param_json`` (``sort_keys=False``: signed
    as sent, whatever its key order)."""
    return json.dumps(
        data, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False
    )


def douyin_sign(
    app_key, secret, method, param_json, timestamp, v="2", sign_method="hmac-sha256"
):
    """Douyin Shop signature (official SDK ``sign_util.go``).

    Input ``secret + "app_key"+app_key + "method"+method + "param_json"+param_json
    + "timestamp"+timestamp + "v"+v + secret``; lowercase hex HMAC-SHA256 keyed
    with the secret (``md5``: MD5 of the same input). The access token is not
    signed.
    """
    payload = (
        f"{secret}app_key{app_key}method{method}param_json{param_json}"
        f"timestamp{timestamp}v{v}{secret}"
    )
    if sign_method == "md5":
        return hashlib.md5(payload.encode()).hexdigest()
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


# -- values -------------------------------------------------------------------
def yuan(value, what="amount"):
    """Decimal yuan of a platform amount in yuan (string or number)."""
    return to_decimal(value, what).quantize(CENT)


def fen(value, what="amount"):
    """Decimal yuan of a platform amount in fen (integer cents)."""
    amount = to_decimal(value, what)
    if amount != amount.to_integral_value():
        raise ChannelError(f"invalid {what} in fen: {value!r}")
    return (amount / 100).quantize(CENT)


def cst_text(value):
    """ISO date (UTC+8 offset) of a platform date ``yyyy-MM-dd HH:mm:ss`` given in
    China Standard Time; '' for the platforms' "not set" dates."""
    value = text(value)
    if not value or value.startswith(("0001-", "1970-")):
        return ""
    try:
        datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise ChannelError(f"invalid date: {value!r}") from exc
    return value[:19].replace(" ", "T") + "+08:00"


def epoch_text(value):
    """ISO date (UTC) of unix seconds; '' for 0."""
    seconds = to_decimal(value, "time")
    if not seconds:
        return ""
    try:
        return datetime.fromtimestamp(int(seconds), UTC).isoformat()
    except (ValueError, OverflowError, OSError) as exc:
        raise ChannelError(f"invalid time: {value!r}") from exc


def unix_text(moment):
    """Unix seconds (text) of a naive UTC datetime."""
    return str(int(moment.replace(tzinfo=UTC).timestamp()))


def cst_format(moment, fmt="%Y-%m-%d %H:%M:%S"):
    """``moment`` (naive UTC datetime) as China Standard Time text."""
    return (moment + CST).strftime(fmt)


def require(data, key, kind, what):
    """``data[key]`` when it is a ``kind``, else NotAnOrder."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise NotAnOrder(f"{what}: no {key}")
    return value


class CnMarketplaceAdapter(ChannelAdapter):
    """Base of the Chinese marketplace adapters.

    The channel's ``api_key``/``api_secret`` are the app key and secret of the
    platform's open platform, ``api_token`` the shop's access (session) token,
    ``api_url`` the gateway (the platform's own when empty).

    A platform writes: :meth:`sign_request` (wire parameters of one call),
    :meth:`parse_answer` (its envelope and error codes), :meth:`list_orders`
    (one page of the order list) and :meth:`normalize`.
    """

    can_pull = True
    can_push_stock = True
    can_push_fulfilment = True
    #: a trade pulled again after a change (address, remark, lines) updates
    #: its sales order, ordered by the trade's modification time
    can_update_orders = True
    #: the platform confirms the shipment of part of an order's lines (split
    #: send); without it a partial delivery waits for the order's last one
    can_ship_partially = False
    #: one SKU per quantity update call (the platforms' single-SKU APIs)
    stock_chunk_size = 1
    #: the platform's gateway, overridden by the channel's ``api_url``
    gateway = ""
    #: longest time window the order list API accepts
    window = timedelta(days=1)
    #: windows start this much before the cursor, so that an order changed
    #: while the previous pull ran is read again (staging is exactly once)
    overlap = timedelta(minutes=10)
    #: the first pull of a channel reads this far back
    first_pull = timedelta(days=3)
    #: retries of a rate-limited call, with exponential back-off
    max_rate_limit_retries = 4
    #: answers of the platform that mean "call limit reached" / "token invalid"
    rate_limit_codes = frozenset()
    token_error_codes = frozenset()

    def modified_time(self, order):
        """ISO 8601 (with offset) of the raw ``order``'s last modification
        on the platform, '' when it has none: the version of its updates."""
        return ""

    def order_version(self, order):
        """The trade's modification time (:meth:`modified_time`) as
        :func:`~.base.version_key`: an older copy pulled after a newer one is
        ignored. An unreadable time gives no version (the last copy received
        wins) rather than stopping the pull of the other orders."""
        try:
            return version_key(self.modified_time(order))
        except ChannelError:
            return ""

    @staticmethod
    def _remarks(*values):
        """The order's note: the buyer's message, then the seller's remark
        (备注), one a line; a change of either is an update of the order."""
        return "\n".join(filter(None, (text(value) for value in values)))

    def _order_items(self, items, key):
        """The items (objects) of an order's list ``key``: an order without any
        is not an order, an item that is not an object is refused.

        :raise NotAnOrder: no item
        :raise ChannelError: an item is not an object
        """
        if not isinstance(items, list) or not items:
            raise NotAnOrder(f"{self.platform} order without {key}")
        for item in items:
            if not isinstance(item, dict):
                raise ChannelError(f"invalid {self.platform} {key} item: {item!r}")
        return items

    def _line(
        self,
        sku,
        name_parts,
        quantity,
        price_unit,
        external_product_id,
        external_line_ref="",
    ):
        """One product line of a marketplace order: the price includes the
        channel's VAT rates (``vat_rates``), the name joins the parts given;
        ``external_line_ref`` is the platform's sub-order id, if it has one."""
        return NormalizedLine(
            sku=sku,
            name=" ".join(filter(None, name_parts)),
            quantity=quantity,
            price_unit=price_unit,
            tax_rates=list(self.config.get("vat_rates") or []),
            external_product_id=external_product_id,
            external_line_ref=external_line_ref,
        )

    def _order(
        self,
        ref,
        lines,
        shipping,
        *,
        post_fee,
        seller_discount,
        buyer_paid,
        paid,
        platform_discount=Decimal(0),
        **values,
    ):
        """The normalised marketplace order: prices include VAT, the seller's
        discounts are one order discount, the platform's share stays apart, and
        the order's total is what the buyer paid plus that share.

        :param values: the other ``NormalizedOrder`` fields (note, dates, ...)
        """
        rates = list(self.config.get("vat_rates") or [])
        return NormalizedOrder(
            external_ref=ref,
            name=ref,
            customer_name=shipping.name,
            shipping=shipping,
            lines=lines,
            shipping_lines=[("", post_fee, rates)] if post_fee else [],
            order_discount=seller_discount,
            platform_discount=platform_discount,
            currency="CNY",
            taxes_included=True,
            total=buyer_paid + platform_discount,
            is_paid=paid,
            paid_amount=buyer_paid if paid else Decimal(0),
            **values,
        )

    def _gateway(self):
        return (self.config.get("api_url") or self.gateway).rstrip("/")

    def _credentials(self):
        key, secret = self.config.get("api_key"), self.config.get("api_secret")
        if not key or not secret:
            raise ChannelError(f"{self.platform}: app key or app secret missing")
        return key, secret

    def _token(self):
        token = self.config.get("api_token")
        if not token:
            raise TokenError(f"{self.platform}: no shop access token on the channel")
        return token

    def _now(self):
        """Current time (naive UTC); a hook for the tests."""
        return datetime.now(UTC).replace(tzinfo=None)

    # -- one call -----------------------------------------------------------
    def call(self, method, params, with_token=True):
        """Signed call of the platform API ``method`` with the business
        ``params``; the answer's payload. A rate-limited answer is retried with
        back-off; an invalid token raises :class:`TokenError`, any other error
        answer :class:`PlatformRefusal`.

        :param bool with_token: send the shop's access token (every call but
            the token refresh)
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._call_once(method, params, with_token)
            except RateLimited:
                if attempt > self.max_rate_limit_retries:
                    raise
                _logger.info("%s call %s rate limited, retrying", self.platform, method)
                time.sleep(self.backoff * (2 ** (attempt - 1)))

    def _call_once(self, method, params, with_token=True):
        url, kwargs = self.sign_request(method, params, with_token)
        response = self.request("POST", url, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise ChannelError(f"{self.platform} {method}: answer is not JSON") from exc
        return self.parse_answer(method, body)

    def _raise_error(self, method, code, message):
        code = str(code)
        error = f"{self.platform} {method}: {message} ({code})"
        if code in self.token_error_codes:
            raise TokenError(error)
        if code in self.rate_limit_codes:
            raise RateLimited(error)
        raise PlatformRefusal(error)

    def sign_request(self, method, params, with_token=True):
        """(url, keyword arguments of ``requests``) of one signed call, with the
        shop's access token unless ``with_token`` is False."""
        raise NotImplementedError

    def parse_answer(self, method, body):
        """The payload of a platform answer; raises on an error answer."""
        raise NotImplementedError

    # -- pull ---------------------------------------------------------------
    def fetch_orders(self, since=None):
        """Yield the raw orders of every window from ``since`` (naive UTC ISO)
        minus :attr:`overlap` to now, each window read to its last page.

        The caller saves its cursor after each window (:meth:`windows` yields
        the window's end once every order in it was yielded), so a failure
        keeps the cursor of the last window fully read.
        """
        for _start, _end, orders in self.windows(since):
            yield from orders

    def windows(self, since=None):
        """Yield (start, end, orders) per time window, ``orders`` being a list of
        every raw order of the window (all its pages read)."""
        now = self._now()
        start = (
            datetime.fromisoformat(since.rstrip("Z")).replace(tzinfo=None)
            - self.overlap
            if since
            else now - self.first_pull
        )
        while start < now:
            end = min(start + self.window, now)
            yield start, end, self._window_orders(start, end)
            start = end

    def test_connection(self):
        """The first page of the orders of the last minute, read as the pull
        reads them: a signed call with the shop's access token."""
        now = self._now()
        pull = self.list_changed if self.reverse_pages else self.list_orders
        pull(now - timedelta(minutes=1), now, self.first_page)
        return ""

    #: number of the first page of the list API
    first_page = 1
    #: orders per page asked for (the list API's maximum)
    page_size = 100
    #: the pages of a window are read from the last one back (the platforms'
    #: modified-time APIs ask for it): a trade changed while the pages are
    #: read leaves the window and the trades after it move up a place, so
    #: reading forward would skip one; backward, one may be read twice
    #: (staging is exactly once). The platform writes :meth:`list_changed`.
    reverse_pages = False

    def _window_orders(self, start, end):
        """Every raw order of one window, all its pages read."""
        orders, page = [], self.first_page
        if self.reverse_pages:
            orders, total = self.list_changed(start, end, page)
            last = self.first_page + max(-(-total // self.page_size), 1) - 1
            for page in range(last, self.first_page, -1):
                orders.extend(self.list_changed(start, end, page)[0])
            return orders
        while True:
            page_orders, has_next = self.list_orders(start, end, page)
            orders.extend(page_orders)
            if not has_next:
                return orders
            page += 1

    def list_orders(self, start, end, page):
        """([raw orders], has_next_page) of one page of the orders changed
        between ``start`` and ``end`` (naive UTC)."""
        raise NotImplementedError

    def list_changed(self, start, end, page):
        """([raw orders], total number of orders of the window) of one page
        of the orders modified between ``start`` and ``end`` (naive UTC), for
        the platforms that read a window's pages backwards
        (:attr:`reverse_pages`)."""
        raise NotImplementedError

    def _has_next(self, page, total):
        """Whether another page follows ``page`` of ``total`` orders."""
        return (page - self.first_page + 1) * self.page_size < total

    # -- ship confirmation --------------------------------------------------
    def push_fulfilment(self, external_ref, carrier, tracking_ref, lines):
        """The generic interface: ``carrier`` is the platform's logistics
        company code, the whole order is confirmed shipped (a partial shipment
        goes through :meth:`ship` with its line references)."""
        self.ship(external_ref, carrier, tracking_ref)

    def ship(self, external_ref, company_code, tracking_ref, line_refs=None):
        """Confirm the shipment of an order (发货) with the platform's logistics
        company code and the tracking number.

        :param list line_refs: None for the whole order, else [(sub-order id,
            quantity)] of the lines this parcel holds (split send, only when
            :attr:`can_ship_partially`)
        :raise ChannelError: the platform refused it or could not be reached
        """
        if not company_code:
            raise ChannelError(f"{self.platform}: no logistics company code")
        if not tracking_ref:
            raise ChannelError(f"{self.platform}: no tracking number")
        if line_refs and not self.can_ship_partially:
            raise ChannelError(f"{self.platform} confirms whole orders only")
        self._ship(external_ref, company_code, tracking_ref, line_refs or None)

    def _ship(self, external_ref, company_code, tracking_ref, line_refs):
        raise NotImplementedError

    def _check_success(self, method, answer, key="is_success"):
        """Raise unless ``answer[key]`` is true (the platforms' success flag)."""
        if answer.get(key) is not True:
            raise PlatformRefusal(f"{self.platform} {method}: not accepted")
        return answer

    # -- stock --------------------------------------------------------------
    def _push_stock_chunk(self, chunk):
        """One quantity update per SKU; a SKU the platform refuses is reported,
        a failed call (token, call limit after the back-off, network) stops."""
        refused = {}
        for ref, quantity in chunk.items():
            try:
                self._set_stock(ref, max(int(quantity), 0))
            except PlatformRefusal as exc:
                refused[ref] = str(exc)
        return refused

    def _set_stock(self, ref, quantity):
        """Set the sellable quantity of the SKU ``ref`` (the binding's
        ``external_stock_ref``) on the platform."""
        raise NotImplementedError

    def _split_ref(self, ref, what):
        """(item id, SKU id) of a stock reference ``item:sku`` (SKU id '' when
        the reference is the item alone)."""
        item, _sep, sku = str(ref).partition(":")
        if not item.strip():
            raise PlatformRefusal(f"{self.platform}: invalid {what} {ref!r}")
        return item.strip(), sku.strip()

    # -- access token -------------------------------------------------------
    def refresh_access_token(self):
        """A new access token from the refresh token (``api_refresh_token``).

        :return: dict with ``access_token``, ``refresh_token`` (the new one, or
            the same) and ``expires_in`` (seconds, 0 when unknown)
        :raise TokenError: the platform refused, or cannot refresh tokens
        """
        refresh_token = self.config.get("api_refresh_token")
        if not refresh_token:
            raise TokenError(f"{self.platform}: no refresh token on the channel")
        try:
            answer = self._refresh_token(refresh_token)
        except TokenError:
            raise
        except ChannelError as exc:
            raise TokenError(str(exc)) from exc
        token = text(answer.get("access_token"))
        if not token:
            raise TokenError(f"{self.platform}: the refresh gave no access token")
        return {
            "access_token": token,
            "refresh_token": text(answer.get("refresh_token")) or refresh_token,
            "expires_in": int(to_decimal(answer.get("expires_in"), "expires_in")),
        }

    def _refresh_token(self, refresh_token):
        """The platform's answer (a dict) to a token refresh."""
        raise TokenError(
            f"{self.platform}: the access token cannot be renewed through the "
            "API; authorise the app again and paste the new token"
        )

    # -- refunds ------------------------------------------------------------
    def refund_line_refs(self, order):
        """The platform's line ids (sub-orders) of the raw ``order`` that a
        refund is asked for or made on; empty when the platform refunds whole
        orders (or says nothing of the lines)."""
        return set()

    def refund_status_text(self, order):
        """The platform's own words for the refund state of the raw ``order``
        (its status codes), shown on the return it opens."""
        return ""

    def lines_refund_state(self, order):
        """What the raw ``order`` says of the refund of some of its lines
        (after shipment a buyer may have part of an order refunded):
        :data:`REFUND_REQUESTED` while a request is open,
        :data:`REFUND_DONE` once the lines of :meth:`refund_line_refs` are
        refunded, :data:`REFUND_NONE` otherwise. The whole order's
        :meth:`refund_state` for the platforms that refund whole orders."""
        return self.refund_state(order)

    def refund_state(self, order):
        """What the raw ``order`` says of its buyer's refund request:
        :data:`REFUND_REQUESTED` while one is open, :data:`REFUND_DONE` once
        the whole order is refunded, :data:`REFUND_NONE` otherwise (none, or
        refused / closed)."""
        return REFUND_NONE
