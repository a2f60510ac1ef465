"""WooCommerce REST API v3 adapter (orders, webhooks, stock, completion)."""

import html
from decimal import Decimal

from .base import (
    ChannelAdapter,
    ChannelError,
    NormalizedAddress,
    NormalizedLine,
    NormalizedOrder,
    NotAnOrder,
    PlatformRefund,
    PushLine,
    text,
    to_decimal,
    version_key,
)

PAID_STATUSES = {"processing", "completed"}
#: items per batch call (WooCommerce's limit)
BATCH_LIMIT = 100


def _address(data, email=""):
    data = data if isinstance(data, dict) else {}
    return NormalizedAddress(
        name=" ".join(
            filter(None, [text(data.get("first_name")), text(data.get("last_name"))])
        ),
        company=text(data.get("company")),
        street=text(data.get("address_1")),
        street2=text(data.get("address_2")),
        city=text(data.get("city")),
        zip=text(data.get("postcode")),
        state_code=text(data.get("state")),
        country_code=text(data.get("country")),
        phone=text(data.get("phone")),
        email=text(data.get("email")) or email,
    )


def _rate(amount, tax):
    """Tax rate in percent derived from an amount and its tax (no rate sent)."""
    if not amount or not tax:
        return []
    return [(tax / amount * 100).quantize(Decimal("0.01"))]


class WooCommerceAdapter(ChannelAdapter):
    signature_header = "X-WC-Webhook-Signature"
    platform = "WooCommerce"
    stock_chunk_size = BATCH_LIMIT
    can_pull = True
    can_receive_webhooks = True
    can_push_stock = True
    can_push_fulfilment = True
    can_update_orders = True
    can_push_cancel = True
    can_push_refund = True

    def _signing_secrets(self):
        # WooCommerce signs with wp_specialchars_decode(secret, ENT_QUOTES)
        return [html.unescape(s) if s else s for s in super()._signing_secrets()]

    def is_ping(self, body, form):
        # the unsigned test delivery ("webhook_id=<id>") sent when a webhook is
        # saved; Odoo may have parsed that form before the body is read
        return body.startswith(b"webhook_id=") or "webhook_id" in (form or {})

    def extract_orders(self, data):
        if isinstance(data, list):
            return data
        if isinstance(data, dict) and "line_items" in data:
            return [data]
        raise NotAnOrder("not a WooCommerce order")

    def is_cancel_event(self, headers, order):
        return text(order.get("status")) in ("cancelled", "refunded")

    def order_version(self, order):
        # date_modified_gmt is UTC without offset; date_modified is local time
        value = text(order.get("date_modified_gmt"))
        return version_key(value + "+00:00" if value else "")

    def normalize(self, order):
        ref = self.external_ref(order)
        items = order.get("line_items")
        if not isinstance(items, list) or not items:
            raise NotAnOrder("WooCommerce order without line items")
        billing = _address(order.get("billing"))
        shipping = _address(order.get("shipping"), billing.email)
        if shipping.is_empty():
            shipping = billing
        included = bool(order.get("prices_include_tax"))
        lines = []
        for item in items:
            if not isinstance(item, dict):
                raise ChannelError(f"invalid line item: {item!r}")
            qty = to_decimal(item.get("quantity"), "quantity")
            subtotal = to_decimal(item.get("subtotal"), "subtotal")
            total = to_decimal(item.get("total"), "total")
            subtotal_tax = to_decimal(item.get("subtotal_tax"), "tax")
            # subtotal is before coupons, excluding tax; the unit price follows it
            price = subtotal / qty if qty else to_decimal(item.get("price"), "price")
            discount = subtotal - total
            if included and qty:
                price = (subtotal + subtotal_tax) / qty
                discount = (
                    discount + subtotal_tax - to_decimal(item.get("total_tax"), "tax")
                )
            lines.append(
                NormalizedLine(
                    sku=text(item.get("sku")),
                    name=html.unescape(text(item.get("name"))),
                    quantity=qty,
                    price_unit=price,
                    discount_amount=discount,
                    tax_rates=_rate(subtotal, subtotal_tax),
                    external_product_id=text(
                        item.get("variation_id") or item.get("product_id")
                    ),
                )
            )
        shipping_lines = []
        for ship in order.get("shipping_lines") or []:
            if not isinstance(ship, dict):
                raise ChannelError(f"invalid shipping line: {ship!r}")
            amount = to_decimal(ship.get("total"), "shipping total")
            tax = to_decimal(ship.get("total_tax"), "tax")
            shipping_lines.append(
                (
                    text(ship.get("method_title")),
                    amount + tax if included else amount,
                    _rate(amount, tax),
                )
            )
        for fee in order.get("fee_lines") or []:
            if not isinstance(fee, dict):
                raise ChannelError(f"invalid fee line: {fee!r}")
            amount = to_decimal(fee.get("total"), "fee")
            lines.append(
                NormalizedLine(
                    sku="",
                    name=text(fee.get("name")),
                    quantity=Decimal(1),
                    price_unit=amount,
                )
            )
        status = text(order.get("status"))
        total = to_decimal(order.get("total"), "total")
        is_paid = bool(order.get("date_paid")) and status in PAID_STATUSES
        return NormalizedOrder(
            external_ref=ref,
            name=text(order.get("number")) or ref,
            customer_ref=text(order.get("customer_id"))
            if order.get("customer_id")
            else "",
            customer_name=billing.name or shipping.name,
            email=billing.email,
            phone=billing.phone,
            billing=billing,
            shipping=shipping,
            lines=lines,
            shipping_lines=shipping_lines,
            currency=text(order.get("currency")),
            taxes_included=included,
            total=total,
            note=text(order.get("customer_note")),
            date_order=text(order.get("date_created_gmt"))
            or text(order.get("date_created")),
            is_paid=is_paid,
            paid_amount=total if is_paid else Decimal(0),
            is_cancelled=status == "cancelled",
            tax_titles={
                round(float(to_decimal(tax.get("rate_percent"), "tax rate")), 2): text(
                    tax.get("label")
                )
                for tax in order.get("tax_lines") or []
                if isinstance(tax, dict)
                and text(tax.get("label"))
                and tax.get("rate_percent")
            },
        )

    # -- API -----------------------------------------------------------------
    def _base(self):
        return (self.config.get("api_url") or "").rstrip("/") + "/wp-json/wc/v3"

    def _auth(self):
        return {
            "auth": (
                self.config.get("api_key") or "",
                self.config.get("api_secret") or "",
            )
        }

    def order_number(self, order):
        """WooCommerce's order ``number`` (a plugin may change it), else its id."""
        return text(order.get("number")) or self.external_ref(order)

    def test_connection(self):
        """One order of the list (``per_page=1``): the keys may read orders."""
        response = self.request("GET", self._base() + "/orders", params={"per_page": 1})
        if not isinstance(response.json(), list):
            raise ChannelError("WooCommerce answered something else than a list")
        return ""

    def fetch_orders(self, since=None):
        page, per_page = 1, 50
        while True:
            params = {"page": page, "per_page": per_page, "orderby": "modified"}
            if since:
                params["modified_after"] = since
            response = self.request("GET", self._base() + "/orders", params=params)
            orders = response.json()
            if not isinstance(orders, list):
                raise ChannelError("WooCommerce answered something else than a list")
            yield from orders
            total_pages = int(response.headers.get("X-WP-TotalPages") or page)
            if page >= total_pages or not orders:
                return
            page += 1

    @staticmethod
    def _stock_item(ref):
        """(batch path, item id) of a product id or "product/variation" ref;
        (None, None) when the ref is not a WooCommerce id."""
        product, _sep, variation = str(ref).partition("/")
        item_id = variation or product
        if not item_id.isdigit() or (variation and not product.isdigit()):
            return None, None
        if variation:
            return f"/products/{product}/variations/batch", int(item_id)
        return "/products/batch", int(item_id)

    def _stock_chunks(self, sku_quantities):
        """``sku_quantities``: {product id (or "product/variation"): qty}, sent
        with the batch endpoints, 100 items per call: ``products/batch`` for
        products, ``products/<id>/variations/batch`` for variations. Refs that
        are not WooCommerce ids come as one chunk of their own."""
        groups = {}
        for ref, qty in sku_quantities.items():
            path, _item_id = self._stock_item(ref)
            groups.setdefault(path, {})[ref] = qty
        for group in groups.values():
            yield from super()._stock_chunks(group)

    def _push_stock_chunk(self, chunk):
        path, refs_by_id, updates = None, {}, []
        for ref, qty in chunk.items():
            path, item_id = self._stock_item(ref)
            refs_by_id[item_id] = ref
            updates.append(
                {"id": item_id, "manage_stock": True, "stock_quantity": int(qty)}
            )
        if path is None:
            return {ref: f"not a WooCommerce product id: {ref}" for ref in chunk}
        response = self.request("POST", self._base() + path, json={"update": updates})
        try:
            answered = response.json().get("update") or []
        except (ValueError, AttributeError) as exc:
            raise ChannelError(
                "WooCommerce answered something else than a batch"
            ) from exc
        return {
            refs_by_id.get(item.get("id"), str(item.get("id"))): (
                f"{item.get('id')}: {item['error'].get('message')}"
            )
            for item in answered
            if isinstance(item, dict) and isinstance(item.get("error"), dict)
        }

    # -- refunds made on the platform ----------------------------------------------
    def fetch_refunds(self, order):
        """WooCommerce sends no refund webhook: the refunds of an order whose
        ``refunds`` list is not empty are read with ``orders/{id}/refunds``.
        WooCommerce does not tell whether the items were restocked."""
        if not isinstance(order, dict) or not order.get("refunds"):
            return []
        order_ref = self.external_ref(order)
        answer = self.request("GET", self._base() + f"/orders/{order_ref}/refunds")
        refunds = []
        for refund in self._json_list(answer):
            meta = {
                item.get("key"): item.get("value")
                for item in refund.get("meta_data") or []
                if isinstance(item, dict)
            }
            lines = []
            for item in refund.get("line_items") or []:
                if not isinstance(item, dict):
                    continue
                item_meta = {
                    m.get("key"): m.get("value")
                    for m in item.get("meta_data") or []
                    if isinstance(m, dict)
                }
                lines.append(
                    PushLine(
                        sku=text(item.get("sku")),
                        quantity=abs(to_decimal(item.get("quantity"), "quantity")),
                        name=html.unescape(text(item.get("name"))),
                        line_ref=text(item_meta.get("_refunded_item_id")),
                        product_ref=text(
                            item.get("variation_id") or item.get("product_id")
                        ),
                        amount=abs(to_decimal(item.get("total")))
                        + abs(to_decimal(item.get("total_tax"))),
                    )
                )
            refunds.append(
                PlatformRefund(
                    ref=text(refund.get("id")),
                    order_ref=order_ref,
                    lines=lines,
                    amount=abs(to_decimal(refund.get("amount"))),
                    note=text(refund.get("reason")),
                    key=text(meta.get(META_KEY)),
                )
            )
        return refunds

    # -- outbox ----------------------------------------------------------------
    def line_refs(self, order):
        return [
            {
                "ref": text(item.get("id")),
                "sku": text(item.get("sku")),
                "product_ref": text(item.get("variation_id") or item.get("product_id")),
                "quantity": item.get("quantity"),
            }
            for item in order.get("line_items") or []
            if isinstance(item, dict)
        ]

    def send_fulfilment(self, document):
        """A note to the customer with the shipped lines, carrier and tracking,
        then the status: ``completed`` once everything shipped, else the
        channel's partly shipped status (none: unchanged)."""
        url = self._base() + f"/orders/{document.external_ref}"
        shipped = ", ".join(
            f"{line.quantity.normalize():f} × {line.sku or line.name}"
            for line in document.lines
        )
        note = (
            f"Shipped with {document.carrier or '-'}, tracking number "
            f"{document.tracking_ref or '-'}: {shipped}"
        )
        note_id = self._note_once(url, document, note, customer_note=True)
        status = (
            "completed" if document.is_complete else self.config.get("partial_status")
        )
        if status:
            self.request("PUT", url, json={"status": status})
        return note_id

    def send_cancel(self, document):
        """Status ``cancelled`` and a private note with the reason."""
        url = self._base() + f"/orders/{document.external_ref}"
        note_id = self._note_once(
            url, document, f"Cancelled in the back office: {document.reason or '-'}"
        )
        self.request("PUT", url, json={"status": "cancelled"})
        return note_id

    def send_refund(self, document):
        """``orders/{id}/refunds`` with the lines; the idempotency key is kept
        in the refund's meta data, and a refund of the order carrying it is not
        created again."""
        url = self._base() + f"/orders/{document.external_ref}/refunds"
        for refund in self._json_list(self.request("GET", url)):
            meta = refund.get("meta_data") or []
            if any(
                isinstance(item, dict)
                and item.get("key") == META_KEY
                and item.get("value") == document.key
                for item in meta
            ):
                return text(refund.get("id"))
        answer = self.request(
            "POST",
            url,
            json={
                "amount": str(document.amount),
                "reason": document.reason or document.reference,
                "api_refund": bool(self.config.get("refund_on_platform")),
                "api_restock": document.restock,
                "line_items": [
                    {
                        "id": int(line.line_ref),
                        "quantity": int(line.quantity),
                        "refund_total": str(line.amount),
                    }
                    for line in document.lines
                    if line.line_ref
                ],
                "meta_data": [{"key": META_KEY, "value": document.key}],
            },
        )
        try:
            return text(answer.json().get("id"))
        except (ValueError, AttributeError):
            return ""

    def _note_once(self, url, document, note, customer_note=False):
        """Post ``note`` on the order unless a note carrying the document's
        idempotency key is there already (sent before, answer lost)."""
        marker = f"[oms:{document.key}]"
        for existing in self._json_list(self.request("GET", url + "/notes")):
            if marker in text(existing.get("note")):
                return text(existing.get("id"))
        answer = self.request(
            "POST",
            url + "/notes",
            json={"note": f"{note} {marker}", "customer_note": customer_note},
        )
        try:
            return text(answer.json().get("id"))
        except (ValueError, AttributeError):
            return ""

    @staticmethod
    def _json_list(response):
        try:
            body = response.json()
        except ValueError as exc:
            raise ChannelError("WooCommerce answered something else than JSON") from exc
        return (
            [item for item in body if isinstance(item, dict)]
            if isinstance(body, list)
            else []
        )


#: meta data key of the refunds sent from Odoo (their idempotency key)
META_KEY = "_oms_idempotency_id"
