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

from decimal import Decimal

from .base import (
    ChannelAdapter,
    ChannelError,
    NormalizedAddress,
    NormalizedLine,
    NormalizedOrder,
    NotAnOrder,
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
    can_pull = True
    can_receive_webhooks = True
    can_update_orders = True

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

    def push_stock(self, sku_quantities, on_pushed=None):
        raise ChannelError("this REST-JSON channel does not accept stock updates")

    def push_fulfilment(self, external_ref, carrier, tracking_ref, lines):
        raise ChannelError("this REST-JSON channel does not accept fulfilments")
