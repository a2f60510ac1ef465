"""File adapter: CSV / XLSX order files (our template and Shopify's orders export).

A file holds one row per order line; rows of one order share the order reference.
:func:`parse_file` groups them into one payload per order, ``{"format": ...,
"rows": [{column: value}, ...]}``, which :class:`FileAdapter` normalizes like any
other platform payload.
"""

import csv
import io
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
)

#: columns of our documented template (readme/USAGE.md), in order
TEMPLATE_COLUMNS = [
    "order_ref",
    "date",
    "customer_ref",
    "customer_name",
    "email",
    "phone",
    "street",
    "street2",
    "city",
    "zip",
    "state",
    "country",
    "sku",
    "product_name",
    "quantity",
    "price",
    "discount",
    "tax_rate",
    "shipping",
    "currency",
    "taxes_included",
    "total",
    "paid",
    "note",
]
SHOPIFY_KEY = "Lineitem sku"
TRUE = {"1", "true", "yes", "y", "paid", "是"}


def detect_format(header):
    if "order_ref" in header:
        return "template"
    if SHOPIFY_KEY in header and "Name" in header:
        return "shopify_export"
    raise ChannelError("unknown file layout: use the OMS template or Shopify's export")


def read_rows(filename, content):
    """List of dict rows of a CSV (UTF-8, with or without BOM) or XLSX file."""
    if (filename or "").lower().endswith(".xlsx"):
        import openpyxl

        try:
            sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
        except Exception as exc:  # openpyxl raises many types on bad files
            raise ChannelError(f"not a readable XLSX file: {exc}") from exc
        rows = [
            ["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        try:
            decoded = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ChannelError("the CSV file must be UTF-8") from exc
        rows = list(csv.reader(io.StringIO(decoded)))
    if not rows:
        raise ChannelError("the file is empty")
    header = [h.strip() for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(row)]


def parse_file(filename, content):
    """Group the rows into order payloads.

    :return: (format, [(first_row_number, external_ref, payload dict)], [(row, error)])
    """
    rows = read_rows(filename, content)
    fmt = detect_format(rows[0].keys() if rows else [])
    key = "order_ref" if fmt == "template" else "Name"
    orders, errors, current = {}, [], None
    for number, row in enumerate(rows, start=2):
        ref = text(row.get(key)) or current
        if not ref:
            errors.append((number, "order reference missing"))
            continue
        current = ref
        if ref not in orders:
            orders[ref] = (number, {"format": fmt, "rows": []})
        orders[ref][1]["rows"].append(row)
    adapter = FileAdapter({})
    result = []
    for ref, (number, payload) in orders.items():
        try:
            adapter.normalize(payload)
        except ChannelError as exc:
            errors.append((number, str(exc)))
            continue
        result.append((number, ref, payload))
    return fmt, result, errors


class FileAdapter(ChannelAdapter):
    def extract_orders(self, data):
        if isinstance(data, dict) and isinstance(data.get("rows"), list):
            return [data]
        raise NotAnOrder("not an order file payload")

    def external_ref(self, order):
        rows = order.get("rows") or [{}]
        first = rows[0] if isinstance(rows[0], dict) else {}
        key = "order_ref" if order.get("format") == "template" else "Name"
        ref = text(first.get(key))
        if not ref:
            raise NotAnOrder("order reference missing")
        return ref

    def normalize(self, order):
        ref = self.external_ref(order)
        rows = order["rows"]
        if not all(isinstance(r, dict) for r in rows):
            raise ChannelError("invalid rows")
        if order.get("format") == "template":
            return self._normalize_template(ref, rows)
        if order.get("format") == "shopify_export":
            return self._normalize_shopify(ref, rows)
        raise NotAnOrder("unknown file format")

    def _line(self, sku, name, qty, price, discount=None, rate=None):
        quantity = to_decimal(qty, "quantity")
        if quantity <= 0:
            raise ChannelError(f"quantity must be positive: {qty!r}")
        rate = to_decimal(rate, "tax rate")
        return NormalizedLine(
            sku=text(sku),
            name=text(name),
            quantity=quantity,
            price_unit=to_decimal(price, "price"),
            discount_amount=to_decimal(discount, "discount"),
            tax_rates=[rate] if rate else [],
        )

    def _normalize_template(self, ref, rows):
        head = rows[0]
        address = NormalizedAddress(
            name=text(head.get("customer_name")),
            street=text(head.get("street")),
            street2=text(head.get("street2")),
            city=text(head.get("city")),
            zip=text(head.get("zip")),
            state_code=text(head.get("state")),
            country_code=text(head.get("country")),
            phone=text(head.get("phone")),
            email=text(head.get("email")),
        )
        lines = [
            self._line(
                r.get("sku"),
                r.get("product_name"),
                r.get("quantity"),
                r.get("price"),
                r.get("discount"),
                r.get("tax_rate"),
            )
            for r in rows
        ]
        shipping = to_decimal(head.get("shipping"), "shipping")
        total = text(head.get("total"))
        paid = text(head.get("paid")).lower() in TRUE
        return NormalizedOrder(
            external_ref=ref,
            name=ref,
            customer_ref=text(head.get("customer_ref")),
            customer_name=address.name,
            email=address.email,
            phone=address.phone,
            billing=address,
            shipping=address,
            lines=lines,
            shipping_lines=[("", shipping, [])] if shipping else [],
            currency=text(head.get("currency")),
            taxes_included=text(head.get("taxes_included")).lower() in TRUE,
            total=to_decimal(total, "total") if total else None,
            note=text(head.get("note")),
            date_order=text(head.get("date")),
            is_paid=paid,
            paid_amount=to_decimal(total or 0, "total") if paid else Decimal(0),
        )

    def _address(self, head, prefix):
        return NormalizedAddress(
            name=text(head.get(f"{prefix} Name")),
            company=text(head.get(f"{prefix} Company")),
            street=text(head.get(f"{prefix} Address1"))
            or text(head.get(f"{prefix} Street")),
            street2=text(head.get(f"{prefix} Address2")),
            city=text(head.get(f"{prefix} City")),
            zip=text(head.get(f"{prefix} Zip")).lstrip("'"),
            state_code=text(head.get(f"{prefix} Province")),
            country_code=text(head.get(f"{prefix} Country")),
            phone=text(head.get(f"{prefix} Phone")),
            email=text(head.get("Email")),
        )

    def _normalize_shopify(self, ref, rows):
        head = rows[0]
        lines = [
            self._line(
                r.get("Lineitem sku"),
                r.get("Lineitem name"),
                r.get("Lineitem quantity"),
                r.get("Lineitem price"),
                r.get("Lineitem discount"),
            )
            for r in rows
        ]
        rates = []
        subtotal = to_decimal(head.get("Subtotal"), "subtotal")
        taxes = to_decimal(head.get("Taxes"), "taxes")
        if taxes and subtotal:
            rates = [(taxes / subtotal * 100).quantize(Decimal("0.01"))]
        for line in lines:
            line.tax_rates = rates
        shipping = to_decimal(head.get("Shipping"), "shipping")
        total = to_decimal(head.get("Total"), "total")
        paid = text(head.get("Financial Status")) == "paid"
        billing = self._address(head, "Billing")
        delivery = self._address(head, "Shipping")
        return NormalizedOrder(
            external_ref=ref,
            name=ref,
            customer_name=billing.name or delivery.name,
            email=text(head.get("Email")),
            phone=text(head.get("Phone")) or billing.phone,
            billing=billing,
            shipping=delivery if not delivery.is_empty() else billing,
            lines=lines,
            shipping_lines=[(text(head.get("Shipping Method")), shipping, [])]
            if shipping
            else [],
            order_discount=to_decimal(head.get("Discount Amount"), "discount"),
            currency=text(head.get("Currency")),
            total=total,
            note=text(head.get("Notes")),
            date_order=text(head.get("Created at")),
            is_paid=paid,
            paid_amount=total if paid else Decimal(0),
            is_cancelled=bool(text(head.get("Cancelled at"))),
        )
