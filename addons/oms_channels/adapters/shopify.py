"""Shopify Admin API adapter: orders, webhooks and fulfilments over REST, stock
levels over GraphQL (``inventorySetQuantities``, 250 items per call)."""

import time
from decimal import Decimal

from .base import (
    ChannelAdapter,
    ChannelError,
    NormalizedAddress,
    NormalizedLine,
    NormalizedOrder,
    NotAnOrder,
    parse_link_header,
    text,
    to_decimal,
    version_key,
)

API_VERSION = "2024-10"
#: items per ``inventorySetQuantities`` call (the mutation's input limit)
STOCK_CHUNK = 250
INVENTORY_SET_QUANTITIES = """
mutation inventorySetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    userErrors { code field message }
  }
}
"""
PAID_STATUSES = {"paid", "partially_refunded", "refunded"}


def _address(data, email=""):
    data = data if isinstance(data, dict) else {}
    name = text(data.get("name")) or " ".join(
        filter(None, [text(data.get("first_name")), text(data.get("last_name"))])
    )
    return NormalizedAddress(
        name=name,
        company=text(data.get("company")),
        street=text(data.get("address1")),
        street2=text(data.get("address2")),
        city=text(data.get("city")),
        zip=text(data.get("zip")),
        state_code=text(data.get("province_code")),
        state_name=text(data.get("province")),
        country_code=text(data.get("country_code")),
        country_name=text(data.get("country")),
        phone=text(data.get("phone")),
        email=email,
    )


def _rates(tax_lines, titles=None):
    """Rates in percent of Shopify ``tax_lines``; their titles go into ``titles``."""
    rates = []
    for tax in tax_lines or []:
        if not isinstance(tax, dict):
            raise ChannelError(f"invalid tax line: {tax!r}")
        rate = to_decimal(tax.get("rate"), "tax rate") * 100
        if rate and rate not in rates:
            rates.append(rate)
        if rate and titles is not None and text(tax.get("title")):
            titles.setdefault(round(float(rate), 2), text(tax.get("title")))
    return rates


class ShopifyAdapter(ChannelAdapter):
    signature_header = "X-Shopify-Hmac-Sha256"
    platform = "Shopify"
    stock_chunk_size = STOCK_CHUNK
    can_pull = True
    can_receive_webhooks = True
    can_push_stock = True
    can_push_fulfilment = True
    can_update_orders = True

    def extract_orders(self, data):
        if isinstance(data, dict) and isinstance(data.get("order_edit"), dict):
            # ``orders/edited`` sends the edit, not the order: the order as
            # edited is read from the API (its ``updated_at`` orders it)
            return [self.fetch_order(data["order_edit"].get("order_id"))]
        if isinstance(data, dict) and isinstance(data.get("orders"), list):
            return data["orders"]
        if isinstance(data, dict) and isinstance(data.get("order"), dict):
            return [data["order"]]
        if isinstance(data, dict) and "line_items" in data:
            return [data]
        raise NotAnOrder("not a Shopify order")

    def is_cancel_event(self, headers, order):
        return (headers or {}).get("X-Shopify-Topic") == "orders/cancelled" or bool(
            order.get("cancelled_at")
        )

    def order_version(self, order):
        return version_key(order.get("updated_at"))

    def normalize(self, order):
        ref = self.external_ref(order)
        items = order.get("line_items")
        if not isinstance(items, list) or not items:
            raise NotAnOrder("Shopify order without line items")
        customer = (
            order.get("customer") if isinstance(order.get("customer"), dict) else {}
        )
        email = text(order.get("email")) or text(order.get("contact_email"))
        email = email or text(customer.get("email"))
        billing = _address(order.get("billing_address"), email)
        shipping = _address(order.get("shipping_address"), email)
        titles = {}
        order_rates = _rates(order.get("tax_lines"), titles)
        lines = []
        for item in items:
            if not isinstance(item, dict):
                raise ChannelError(f"invalid line item: {item!r}")
            discount = to_decimal(item.get("total_discount"), "discount")
            allocations = item.get("discount_allocations") or []
            if not discount and isinstance(allocations, list):
                discount = sum(
                    (
                        to_decimal(a.get("amount"), "discount")
                        for a in allocations
                        if isinstance(a, dict)
                    ),
                    Decimal(0),
                )
            rates = _rates(item.get("tax_lines"), titles)
            if (
                not rates
                and item.get("taxable", True)
                and item.get("tax_lines") is None
            ):
                rates = order_rates
            lines.append(
                NormalizedLine(
                    sku=text(item.get("sku")),
                    name=text(item.get("name")) or text(item.get("title")),
                    quantity=to_decimal(item.get("quantity"), "quantity"),
                    price_unit=to_decimal(item.get("price"), "price"),
                    discount_amount=discount,
                    tax_rates=rates,
                    external_product_id=text(item.get("variant_id"))
                    or text(item.get("product_id")),
                )
            )
        shipping_lines = []
        for ship in order.get("shipping_lines") or []:
            if not isinstance(ship, dict):
                raise ChannelError(f"invalid shipping line: {ship!r}")
            shipping_lines.append(
                (
                    text(ship.get("title")) or text(ship.get("code")),
                    to_decimal(ship.get("price"), "shipping price"),
                    _rates(ship.get("tax_lines"), titles),
                )
            )
        line_discounts = sum((line.discount_amount for line in lines), Decimal(0))
        total_discounts = to_decimal(order.get("total_discounts"), "discount")
        status = text(order.get("financial_status"))
        total = to_decimal(order.get("total_price"), "total")
        return NormalizedOrder(
            external_ref=ref,
            name=text(order.get("name")) or ref,
            customer_ref=text(customer.get("id")),
            customer_name=" ".join(
                filter(
                    None,
                    [text(customer.get("first_name")), text(customer.get("last_name"))],
                )
            )
            or billing.name
            or shipping.name,
            email=email,
            phone=text(order.get("phone"))
            or text(customer.get("phone"))
            or billing.phone,
            billing=billing,
            shipping=shipping,
            lines=lines,
            shipping_lines=shipping_lines,
            order_discount=max(total_discounts - line_discounts, Decimal(0)),
            currency=text(order.get("currency")),
            taxes_included=bool(order.get("taxes_included")),
            total=total,
            note=text(order.get("note")),
            date_order=text(order.get("created_at")),
            is_paid=status in PAID_STATUSES,
            paid_amount=total if status in PAID_STATUSES else Decimal(0),
            is_cancelled=bool(order.get("cancelled_at")),
            tax_titles=titles,
        )

    # -- API -----------------------------------------------------------------
    def _base(self):
        return (self.config.get("api_url") or "").rstrip(
            "/"
        ) + f"/admin/api/{API_VERSION}"

    def _auth(self):
        return {"headers": {"X-Shopify-Access-Token": self.config.get("api_key") or ""}}

    def fetch_orders(self, since=None):
        params = {"status": "any", "limit": 250}
        if since:
            params["updated_at_min"] = since
        url = self._base() + "/orders.json"
        while url:
            response = self.request("GET", url, params=params)
            yield from self.extract_orders(response.json())
            url = parse_link_header(response.headers.get("Link")).get("next")
            params = None  # the next link carries page_info and limit only

    def fetch_order(self, order_id):
        """The order ``order_id`` as the API gives it now."""
        if isinstance(order_id, bool) or not isinstance(order_id, (int, str)):
            raise NotAnOrder("Shopify order edit without order id")
        response = self.request("GET", self._base() + f"/orders/{order_id}.json")
        try:
            order = response.json().get("order")
        except (ValueError, AttributeError) as exc:
            raise ChannelError("Shopify answered something else than an order") from exc
        if not isinstance(order, dict):
            raise NotAnOrder(f"Shopify order {order_id} not found")
        return order

    def push_stock(self, sku_quantities, on_pushed=None):
        """``sku_quantities``: {inventory_item_id: qty}, set as *available* at
        ``location_ref``, up to 250 items per GraphQL call (the REST
        ``inventory_levels/set.json`` takes one item per call)."""
        if not self.config.get("location_ref"):
            raise ChannelError("Shopify location id missing on the channel")
        return super().push_stock(sku_quantities, on_pushed=on_pushed)

    def _push_stock_chunk(self, chunk):
        """One ``inventorySetQuantities`` call. Its userErrors count for every
        item of the chunk: they are sent again on the next push, which is
        harmless as the quantities are absolute."""
        location_gid = _gid("Location", self.config["location_ref"])
        data = self.graphql(
            INVENTORY_SET_QUANTITIES,
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "ignoreCompareQuantity": True,
                    "quantities": [
                        {
                            "inventoryItemId": _gid("InventoryItem", ref),
                            "locationId": location_gid,
                            "quantity": int(qty),
                        }
                        for ref, qty in chunk.items()
                    ],
                }
            },
        )
        errors = (data.get("inventorySetQuantities") or {}).get("userErrors")
        if not errors:
            return {}
        message = "; ".join(str(error.get("message")) for error in errors)
        return dict.fromkeys(chunk, message)

    def graphql(self, query, variables):
        """POST a GraphQL query; its ``data``. Throttled calls (HTTP 200 with a
        THROTTLED error) are retried with back-off like HTTP 429."""
        attempt = 0
        while True:
            attempt += 1
            response = self.request(
                "POST",
                self._base() + "/graphql.json",
                json={"query": query, "variables": variables},
            )
            try:
                body = response.json()
            except ValueError as exc:
                raise ChannelError("Shopify GraphQL answered something else") from exc
            errors = body.get("errors") or []
            throttled = any(
                (error.get("extensions") or {}).get("code") == "THROTTLED"
                for error in errors
                if isinstance(error, dict)
            )
            if throttled and attempt <= self.max_retries:
                time.sleep(self._retry_delay(attempt, None))
                continue
            if errors:
                raise ChannelError(
                    "Shopify GraphQL: "
                    + "; ".join(
                        str(error.get("message") if isinstance(error, dict) else error)
                        for error in errors
                    )
                )
            return body.get("data") or {}

    def push_fulfilment(self, external_ref, carrier, tracking_ref, lines):
        orders_url = self._base() + f"/orders/{external_ref}/fulfillment_orders.json"
        fulfillment_orders = (
            self.request("GET", orders_url).json().get("fulfillment_orders", [])
        )
        payload = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": fo["id"]} for fo in fulfillment_orders
                ],
                "tracking_info": {
                    "company": carrier or "",
                    "number": tracking_ref or "",
                },
                "notify_customer": True,
            }
        }
        self.request("POST", self._base() + "/fulfillments.json", json=payload)


def _gid(kind, ref):
    """Shopify's global id of a numeric REST id (kept when it is one already)."""
    ref = str(ref).strip()
    if ref.startswith("gid://"):
        return ref
    if not ref.isdigit():
        raise ChannelError(f"not a Shopify {kind} id: {ref}")
    return f"gid://shopify/{kind}/{ref}"
