"""REST-JSON adapter: in-house shops and mini-programs post JSON orders to us.

The default document is our normalized order (see readme/CONFIGURE.md)::

    {"id": "A1001",
     "customer": {"id": "c-9", "name": "...", "email": "...", "phone": "..."},
     "billing": {...address...}, "shipping": {...address...},
     "lines": [{"sku": "X", "name": "...", "quantity": 2, "price": "10.00",
                "discount": "1.00", "tax_rate": "13"}],
     "shipping_lines": [{"name": "SF Express", "amount": "8.00", "tax_rate": "0"}],
     "discount": "0.00", "currency": "CNY", "taxes_included": true, "total": "27.00",
     "note": "...", "date": "2024-05-01T10:00:00+08:00",
     "paid": true, "cancelled": false, "updated_at": "2024-05-01T10:05:00+08:00"}

A resend of an order already imported is an update of its sales order: its
``version`` (an integer) or ``updated_at`` (ISO 8601) orders the resends, an
older one arriving after a newer one is ignored. A line's ``tax_title`` names
its rate (a channel maps it to a tax of the company).

Address keys: name company street street2 city zip state country (ISO code) phone email.
A channel's *field mapping* (JSON object) renames keys: ``{"id": "order_no",
"lines": "items", "line.sku": "goods_code", "customer.email": "buyer.mail"}``;
values are dotted paths in the sender's document.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urljoin

from .base import (
    ChannelAdapter,
    ChannelError,
    NormalizedAddress,
    NormalizedLine,
    NormalizedOrder,
    NotAnOrder,
    hmac_b64,
    text,
    to_decimal,
    version_key,
)


def dig(data, path):
    """Value at dotted ``path`` in nested dicts (None when absent)."""
    for key in path.split(".") if path else []:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class RestJsonAdapter(ChannelAdapter):
    signature_header = "X-OMS-Signature"
    platform = "REST-JSON"
    can_pull = True
    can_receive_webhooks = True
    can_update_orders = True
    #: each push is sent once its path is set on the channel (``takes_push``)
    can_push_stock = True
    can_push_fulfilment = True
    can_push_cancel = True
    can_push_refund = True

    def _path(self, key):
        field_map = self.config.get("field_map") or {}
        return field_map.get(
            key, key.split(".", 1)[-1] if key.startswith("line.") else key
        )

    def get(self, data, key):
        return dig(data, self._path(key))

    def extract_orders(self, data):
        if isinstance(data, dict) and isinstance(data.get("orders"), list):
            return data["orders"]
        if isinstance(data, dict) and self.get(data, "lines") is not None:
            return [data]
        raise NotAnOrder("not an order document")

    def external_ref(self, order):
        ref = self.get(order, "id") if isinstance(order, dict) else None
        if (
            isinstance(ref, bool)
            or not isinstance(ref, (int, str))
            or not str(ref).strip()
        ):
            raise NotAnOrder("order without id")
        return str(ref).strip()

    def is_cancel_event(self, headers, order):
        return bool(self.get(order, "cancelled"))

    def order_version(self, order):
        version = self.get(order, "version")
        if version in (None, ""):
            version = self.get(order, "updated_at")
        return version_key(version)

    def _address(self, key, order):
        data = self.get(order, key)
        data = data if isinstance(data, dict) else {}
        return NormalizedAddress(
            name=text(data.get("name")),
            company=text(data.get("company")),
            street=text(data.get("street")),
            street2=text(data.get("street2")),
            city=text(data.get("city")),
            zip=text(data.get("zip")),
            state_code=text(data.get("state")),
            country_code=text(data.get("country")),
            phone=text(data.get("phone")),
            email=text(data.get("email")),
        )

    def normalize(self, order):
        ref = self.external_ref(order)
        items = self.get(order, "lines")
        if not isinstance(items, list) or not items:
            raise NotAnOrder("order without lines")
        lines, titles = [], {}
        for item in items:
            if not isinstance(item, dict):
                raise ChannelError(f"invalid line: {item!r}")
            rate = to_decimal(self.get(item, "line.tax_rate"), "tax rate")
            if rate and text(self.get(item, "line.tax_title")):
                titles[round(float(rate), 2)] = text(self.get(item, "line.tax_title"))
            lines.append(
                NormalizedLine(
                    sku=text(self.get(item, "line.sku")),
                    name=text(self.get(item, "line.name")),
                    quantity=to_decimal(self.get(item, "line.quantity"), "quantity"),
                    price_unit=to_decimal(self.get(item, "line.price"), "price"),
                    discount_amount=to_decimal(
                        self.get(item, "line.discount"), "discount"
                    ),
                    tax_rates=[rate] if rate else [],
                )
            )
        shipping_lines = []
        for ship in self.get(order, "shipping_lines") or []:
            if not isinstance(ship, dict):
                raise ChannelError(f"invalid shipping line: {ship!r}")
            rate = to_decimal(ship.get("tax_rate"), "tax rate")
            shipping_lines.append(
                (
                    text(ship.get("name")),
                    to_decimal(ship.get("amount"), "shipping"),
                    [rate] if rate else [],
                )
            )
        billing = self._address("billing", order)
        shipping = self._address("shipping", order)
        if shipping.is_empty():
            shipping = billing
        total = self.get(order, "total")
        paid = bool(self.get(order, "paid"))
        total = None if total in (None, "") else to_decimal(total, "total")
        return NormalizedOrder(
            external_ref=ref,
            name=text(self.get(order, "name")) or ref,
            customer_ref=text(self.get(order, "customer.id")),
            customer_name=text(self.get(order, "customer.name")) or billing.name,
            email=text(self.get(order, "customer.email")) or billing.email,
            phone=text(self.get(order, "customer.phone")) or billing.phone,
            billing=billing,
            shipping=shipping,
            lines=lines,
            shipping_lines=shipping_lines,
            order_discount=to_decimal(self.get(order, "discount"), "discount"),
            currency=text(self.get(order, "currency")),
            taxes_included=bool(self.get(order, "taxes_included")),
            total=total,
            note=text(self.get(order, "note")),
            date_order=text(self.get(order, "date")),
            is_paid=paid,
            paid_amount=(total or Decimal(0)) if paid else Decimal(0),
            is_cancelled=bool(self.get(order, "cancelled")),
            tax_titles=titles,
        )

    def order_number(self, order):
        """The sender's order ``name`` (through the field mapping), else its id."""
        return text(self.get(order, "name")) or self.external_ref(order)

    def test_connection(self):
        """The orders of the last minute (a channel without API URL only
        posts to our webhook: nothing to reach)."""
        since = datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"
        next(iter(self.fetch_orders(since)), None)
        return ""

    def fetch_orders(self, since=None):
        """Pull ``GET <api_url>?since=<cursor>`` when the sender offers it."""
        if not self.config.get("api_url"):
            return
        params = {"since": since} if since else {}
        headers = {"Authorization": f"Bearer {self.config.get('api_key') or ''}"}
        response = self.request(
            "GET", self.config["api_url"], params=params, headers=headers
        )
        yield from self.extract_orders(response.json())

    # -- pushes: signed POSTs to the channel's paths ---------------------------------
    def takes_push(self, kind):
        """A push kind is sent once the channel has its path."""
        return bool((self.config.get("push_paths") or {}).get(kind))

    def _push_url(self, kind):
        path = (self.config.get("push_paths") or {}).get(kind)
        if not path:
            raise ChannelError(f"this REST-JSON channel has no {kind} push path")
        return urljoin(self.config.get("api_url") or "", path)

    def post_signed(self, kind, document, key):
        """POST ``document`` as JSON, signed like the webhooks (``X-OMS-Signature``:
        base64 HMAC-SHA256 of the body with the channel's secret), with
        ``Idempotency-Key``: the receiver applies one key once.

        :return: the answer's JSON (a dict, {} when none)
        """
        body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        response = self.request(
            "POST",
            self._push_url(kind),
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-OMS-Signature": hmac_b64(self.config.get("api_secret") or "", body),
                "Idempotency-Key": key,
            },
        )
        try:
            answer = response.json()
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}

    def send(self, document):
        """Every document kind is one signed POST: ``{"event": kind, ...}``."""
        body = dict(document.to_json(), event=document.kind)
        body.pop("key", None)
        answer = self.post_signed(document.kind, body, document.key)
        return text(answer.get("id"))

    def _push_stock_chunk(self, chunk):
        """``{"event": "stock", "items": [{"ref", "quantity"}]}``; the receiver
        may answer ``{"refused": {ref: message}}``. The key is the body's
        hash (absolute quantities: sending it twice changes nothing)."""
        body = {
            "event": "stock",
            "items": [{"ref": ref, "quantity": int(qty)} for ref, qty in chunk.items()],
        }
        key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        answer = self.post_signed("stock", body, key)
        refused = answer.get("refused")
        if not isinstance(refused, dict):
            return {}
        return {str(ref): f"{ref}: {message}" for ref, message in refused.items()}
