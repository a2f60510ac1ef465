"""The mapper: normalized channel orders onto Odoo values (``sale.order`` vals).

One :class:`OrderMapper` per channel and import batch, obtained from
``oms.channel._get_order_mapper()``. It owns the batch's look-up cache: taxes,
countries, pricelists and the channel's product and customer bindings are read
once per batch instead of once per order or line. Only look-ups of existing
records are kept, never records created by the mapping, so a record rolled back
with its order's savepoint is never reused.
"""

from datetime import UTC, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, html2plaintext
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

_lt = LazyTranslate(__name__)

#: channel kinds whose orders must carry a delivery address
OMS_ADDRESS_REQUIRED_KINDS = ("web_shop", "marketplace", "api", "email")
#: the address fields an update compares
ADDRESS_KEYS = ("name", "street", "street2", "city", "zip", "country_id", "state_id")


class MappingError(UserError):
    """A payload the mapping cannot use (invalid data, an unknown product, a
    missing tax): its message is kept on the staged order for people who read
    it later, so it is stored in English with its figures (``stored``, see
    ``oms_core.tools.reader_text``) and read in each reader's language. The
    exception's own message reads in the language of ``env`` (who imports).

    :param str stored: a stored text (``reader_text.store``)
    :param env: the environment whose language the message reads in
    """

    def __init__(self, stored, env=None):
        lang = (env and env.lang) or "en_US"
        super().__init__(reader_text.render(stored, lang, env))
        self.stored = stored


class MissingTaxError(MappingError):
    """No tax of the company (nor of the channel's tax mapping) matches a
    platform's rate: the staged order offers to create or map it."""

    def __init__(self, stored, rate, included, title="", env=None):
        super().__init__(stored, env)
        self.rate = rate
        self.included = included
        self.title = title


class UnknownSkuError(MappingError):
    """Lines bound to no product of the channel: the staged order offers to
    map them (``skus``: the platform's SKUs, in line order; ``product_refs``:
    the platform's product ids of the lines without SKU)."""

    def __init__(self, stored, skus, env=None, product_refs=()):
        super().__init__(stored, env)
        self.skus = skus
        self.product_refs = list(product_refs)


class OrderMapper:
    """Values of the draft sales orders of one channel's normalized orders.

    Each ``get_*`` / ``prepare_*`` method is a hook: a connector addon subclasses
    the mapper and returns its subclass from ``oms.channel._get_order_mapper()``.

    :param channel: the ``oms.channel`` record (with the intake's context)
    """

    def __init__(self, channel):
        channel.ensure_one()
        self.channel = channel
        self.env = channel.env
        self._cache = {}

    def error(self, source, /, **args):
        """The :class:`MappingError` of ``source`` (an ``_lt()`` text) with
        its arguments, to raise: read in each reader's language.

        :rtype: MappingError
        """
        return MappingError(reader_text.store(source, **args), self.env)

    # -- cache ------------------------------------------------------------------
    def cached(self, key, compute):
        """``compute()``, remembered for the rest of the batch."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def prefetch(self, normalized_orders):
        """Read the product bindings of every SKU and the customer bindings of
        every customer of these orders, one query each (see `get_product` and
        `get_customer_binding`).

        :param normalized_orders: list of ``NormalizedOrder``
        :return: the product bindings read (``oms.channel.product``)
        """
        refs = {order.customer_ref for order in normalized_orders} - {None, ""}
        if refs:
            customers = self.env["oms.channel.customer"]._to_internal(
                self.channel, list(refs)
            )
            for customer in customers:
                self._cache["customer", customer.external_id] = customer
        skus = {line.sku for order in normalized_orders for line in order.lines}
        skus -= {None, ""}
        bindings = self.env["oms.channel.product"]
        if skus:
            bindings = bindings._to_internal(self.channel, list(skus))
        for binding in bindings:
            self._cache["binding", binding.external_sku] = binding
        return bindings

    # -- order ------------------------------------------------------------------
    def prepare_sale_order_vals(self, normalized):
        """Hook: the values of the draft sales order of ``normalized``.

        :param normalized: ``NormalizedOrder``
        :return: values for ``sale.order.create``
        :rtype: dict
        """
        channel = self.channel
        partner, invoice, delivery = self.get_partners(normalized)
        currency = self.get_currency(normalized.currency)
        pricelist = self.get_pricelist(currency)
        lines = self.prepare_order_lines(normalized, pricelist)
        vals = {
            "partner_id": partner.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": delivery.id,
            "company_id": channel.company_id.id,
            "oms_channel_id": channel.id,
            "oms_external_ref": normalized.external_ref,
            "client_order_ref": normalized.name or normalized.external_ref,
            "origin": normalized.name,
            "pricelist_id": pricelist.id or False,
            "order_line": lines,
        }
        if channel.team_id:
            vals["team_id"] = channel.team_id.id
        # imports run as the cron/webhook user: the salesperson comes from the channel
        vals["user_id"] = (channel.user_id or channel.team_id.user_id).id or False
        if channel.warehouse_id:
            vals["warehouse_id"] = channel.warehouse_id.id
        if channel.fiscal_position_id:
            vals["fiscal_position_id"] = channel.fiscal_position_id.id
        if normalized.note:
            vals["note"] = normalized.note
        if normalized.date_order:
            vals["date_order"] = self.parse_date(normalized.date_order)
        return vals

    def parse_date(self, value):
        try:
            date = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError as exc:
            raise self.error(_lt("Invalid order date: %(date)s"), date=value) from exc
        if date.tzinfo:
            date = date.astimezone(UTC).replace(tzinfo=None)
        return date

    def check_total(self, order, normalized):
        """Flag (never hide) a difference between the platform's and our total."""
        if normalized.total is None:
            return
        total = float(normalized.total)
        if (
            float_compare(order.amount_total, total, precision_digits=2)
            and abs(order.amount_total - total) > 0.01
        ):
            channel_total = format(total, ".2f")
            odoo_total = format(order.amount_total, ".2f")
            difference = format(order.amount_total - total, ".2f")
            order._oms_add_exception(
                "channel_total_mismatch",
                reader_text.store(
                    _lt(
                        "The channel's total is %(channel)s but the order totals "
                        "%(odoo)s (difference %(diff)s)."
                    ),
                    channel=channel_total,
                    odoo=odoo_total,
                    diff=difference,
                ),
                severity="warn",
            )

    # -- currency and pricelist ---------------------------------------------------
    def get_currency(self, code):
        channel = self.channel
        if not code:
            return channel.pricelist_id.currency_id or channel.company_id.currency_id
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code.upper())], limit=1)
        )
        if not currency:
            raise self.error(_lt("Unknown currency %(code)s."), code=code)
        if not currency.active:
            raise self.error(_lt("The currency %(code)s is not active."), code=code)
        return currency

    def get_pricelist(self, currency):
        channel = self.channel
        if channel.pricelist_id.currency_id == currency:
            return channel.pricelist_id
        pricelist = self.cached(
            ("pricelist", currency.id),
            lambda: self.env["product.pricelist"].search(
                [
                    ("currency_id", "=", currency.id),
                    ("company_id", "in", (False, channel.company_id.id)),
                ],
                limit=1,
            ),
        )
        if not pricelist and currency == channel.company_id.currency_id:
            return pricelist  # no pricelist: the order is in the company currency
        if not pricelist:
            raise self.error(
                _lt("No pricelist in %(currency)s for the channel %(name)s."),
                currency=currency.name,
                name=reader_text.record(channel),
            )
        return pricelist

    # -- lines --------------------------------------------------------------------
    def prepare_order_lines(self, normalized, pricelist):
        if not normalized.lines:
            raise self.error(_lt("The order has no lines."))
        commands, errors, unknown, unknown_refs = [], [], [], []
        for line in normalized.lines:
            if line.quantity <= 0:
                errors.append(
                    reader_text.store(
                        _lt("Line %(name)s: the quantity must be positive."),
                        name=line.name or line.sku,
                    )
                )
                continue
            product = self.get_product(line)
            if not product:
                errors.append(self.unknown_product_text(line))
                if line.sku and line.sku not in unknown:
                    unknown.append(line.sku)
                elif (
                    not line.sku
                    and line.external_product_id
                    and line.external_product_id not in unknown_refs
                ):
                    unknown_refs.append(line.external_product_id)
                continue
            commands.append(
                Command.create(self.prepare_order_line_vals(product, line, normalized))
            )
        # no words of their own: nothing to translate
        stored = errors and reader_text.store(
            "%(lines)s", lines=reader_text.join("\n", errors)
        )
        if unknown or unknown_refs:
            raise UnknownSkuError(stored, unknown, self.env, product_refs=unknown_refs)
        if errors:
            raise MappingError(stored, self.env)
        for title, amount, rates in normalized.shipping_lines:
            commands.append(
                Command.create(
                    self.prepare_shipping_line_vals(title, amount, rates, normalized)
                )
            )
        if normalized.order_discount > 0:
            commands.append(Command.create(self.prepare_discount_line_vals(normalized)))
        if normalized.platform_discount > 0:
            commands.append(
                Command.create(self.prepare_platform_discount_line_vals(normalized))
            )
        return commands

    def unknown_product_text(self, line):
        """The stored text saying that ``line`` is bound to no product: by its
        SKU, else by the platform's product id.

        :rtype: str
        """
        if not line.sku and line.external_product_id:
            return reader_text.store(
                _lt(
                    "Unknown product: product id %(ref)s (%(name)s), no SKU. "
                    "Map it from the staged order (Map this SKU)."
                ),
                ref=line.external_product_id,
                name=line.name or "-",
            )
        return reader_text.store(
            _lt(
                "Unknown product: SKU %(sku)s (%(name)s). "
                "Map it under the channel's products."
            ),
            sku=line.sku or "-",
            name=line.name or "-",
        )

    def prepare_platform_discount_line_vals(self, normalized):
        """Hook: the note line of the discounts the platform pays for. They do
        not lower the order's total: the buyer paid the total less them and the
        platform settles them with the seller, so the order keeps them open."""
        amount = format(normalized.platform_discount, ".2f")
        return {
            "display_type": "line_note",
            "name": self.env._(
                "Platform discount (paid by the platform): %(amount)s",
                amount=amount,
            ),
        }

    def prepare_order_line_vals(self, product, line, normalized):
        gross = line.price_unit * line.quantity
        discount = float(line.discount_amount / gross * 100) if gross else 0.0
        vals = {
            "product_id": product.id,
            "product_uom_qty": float(line.quantity),
            "price_unit": float(line.price_unit),
            "discount": discount,
            "tax_id": [Command.set(self.get_taxes(line.tax_rates, normalized).ids)],
        }
        if line.name:
            vals["name"] = line.name
        return vals

    def prepare_shipping_line_vals(self, title, amount, rates, normalized):
        carrier = self.channel.carrier_id
        product = carrier.product_id or self.env.ref(
            "delivery.product_product_delivery"
        )
        return {
            "product_id": product.id,
            "name": title or carrier.name or product.name,
            "product_uom_qty": 1.0,
            "price_unit": float(amount),
            "is_delivery": True,
            "tax_id": [Command.set(self.get_taxes(rates, normalized).ids)],
        }

    def prepare_discount_line_vals(self, normalized):
        product = self.env.ref("oms_channels.product_channel_discount")
        rate_sets = {tuple(line.tax_rates) for line in normalized.lines}
        rates = list(rate_sets.pop()) if len(rate_sets) == 1 else []
        return {
            "product_id": product.id,
            "name": self.env._("Channel discount"),
            "product_uom_qty": 1.0,
            "price_unit": -float(normalized.order_discount),
            "tax_id": [Command.set(self.get_taxes(rates, normalized).ids)],
        }

    def get_product(self, line):
        """Hook: the product of a channel line.

        Looked up in the channel's product bindings (by SKU, or by the platform's
        product id for lines without SKU), then by internal reference, then by
        barcode. A match by reference or barcode is bound (for the stock push).
        """
        channel = self.channel
        Binding = self.env["oms.channel.product"]
        Product = self.env["product.product"].with_company(channel.company_id)
        company_domain = [("company_id", "in", (False, channel.company_id.id))]
        if line.sku:
            binding = self._cache.get(("binding", line.sku)) or Binding._to_internal(
                channel, [line.sku]
            )
        elif line.external_product_id:
            binding = Binding._to_internal(
                channel, [line.external_product_id], key="external_product_ref"
            )[:1]
        else:
            return Product.browse()
        if binding or not line.sku:
            return binding.product_id
        product = Product.search(
            [("default_code", "=", line.sku)] + company_domain, limit=1
        ) or Product.search([("barcode", "=", line.sku)] + company_domain, limit=1)
        if product:
            Binding.create(
                {
                    "channel_id": channel.id,
                    "external_sku": line.sku,
                    "product_id": product.id,
                    "external_product_ref": line.external_product_id or False,
                }
            )
        return product

    def get_taxes(self, rates, normalized):
        """Hook: sales taxes of the company matching the platform's rates and
        tax mode."""
        company = self.channel.company_id
        Tax = self.env["account.tax"]
        taxes = Tax.browse()
        mapping = self.cached(
            "tax_mapping",
            lambda: self.env["oms.channel.tax"].search(
                [("channel_id", "=", self.channel.id)]
            ),
        )
        for rate in rates:
            title = normalized.tax_titles.get(round(float(rate), 2), "")
            mapped = mapping._match(rate, title, normalized.taxes_included)
            if mapped:
                taxes |= mapped
                continue
            candidates = self.cached(
                ("taxes", bool(normalized.taxes_included)),
                lambda: Tax.search(
                    [
                        ("type_tax_use", "=", "sale"),
                        ("amount_type", "=", "percent"),
                        ("company_id", "=", company.id),
                        ("price_include", "=", normalized.taxes_included),
                    ]
                ),
            )
            match = candidates.filtered(
                lambda t, rate=rate: float_is_zero(
                    t.amount - float(rate), precision_digits=2
                )
            )[:1]
            if not match:
                included = normalized.taxes_included
                mode = _lt("tax included") if included else _lt("tax excluded")
                rate_text = format(rate, "g")
                missing = reader_text.store(
                    _lt("No sales tax of %(rate)s%% (%(mode)s) in %(company)s."),
                    rate=rate_text,
                    company=company.name,
                    mode=mode,
                )
                fix = reader_text.store(
                    _lt(
                        "Fix Missing Tax (on this staged order) creates the tax or "
                        "maps the platform's tax %(title)s to an existing one, "
                        "then retries."
                    ),
                    title=title or rate_text + "%",
                )
                raise MissingTaxError(
                    reader_text.store(
                        "%(lines)s", lines=reader_text.join("\n", [missing, fix])
                    ),
                    float(rate),
                    bool(included),
                    title,
                    env=self.env,
                )
            taxes |= match
        return taxes

    # -- partners -----------------------------------------------------------------
    def get_customer_binding(self, customer_ref):
        """The binding of the channel's customer ``customer_ref``, if any."""
        return self._cache.get(("customer", customer_ref)) or self.env[
            "oms.channel.customer"
        ]._to_internal(self.channel, [customer_ref])

    def get_partners(self, normalized):
        """Hook: (customer, invoice address, delivery address) of the order;
        a new channel customer is bound to its partner."""
        if (
            self.channel.kind in OMS_ADDRESS_REQUIRED_KINDS
            and normalized.shipping.is_empty()
            and normalized.billing.is_empty()
        ):
            raise self.error(_lt("The order has no delivery address."))
        binding = normalized.customer_ref and self.get_customer_binding(
            normalized.customer_ref
        )
        partner = binding.partner_id if binding else self.find_partner(normalized)
        if not partner:
            name = normalized.customer_name or normalized.email or normalized.phone
            if not name:
                raise self.error(
                    _lt("The order has no customer name, e-mail or phone.")
                )
            partner = self.env["res.partner"].create(
                {
                    "name": name,
                    "email": normalized.email or False,
                    "phone": normalized.phone or False,
                    "company_id": False,
                    **self.prepare_address_vals(normalized.billing, with_name=False),
                }
            )
        if normalized.customer_ref and not binding:
            self.env["oms.channel.customer"]._bind(
                self.channel, normalized.customer_ref, partner
            )
        invoice = self.get_address(partner, normalized.billing, "invoice")
        delivery = self.get_address(partner, normalized.shipping, "delivery")
        return partner, invoice, delivery

    def find_partner(self, normalized):
        """Hook: the existing customer of an order whose channel customer is not
        bound yet (by e-mail, then phone)."""
        Partner = self.env["res.partner"]
        domain = [
            ("parent_id", "=", False),
            ("company_id", "in", (False, self.channel.company_id.id)),
        ]
        if normalized.email:
            partner = Partner.search(
                domain + [("email", "=ilike", normalized.email)], limit=1
            )
            if partner:
                return partner
        if normalized.phone:
            partner = Partner.search(
                domain
                + [
                    "|",
                    ("phone", "=", normalized.phone),
                    ("mobile", "=", normalized.phone),
                ],
                limit=1,
            )
            if partner:
                return partner
        return Partner

    def get_address(self, partner, address, address_type):
        """Child contact of ``partner`` for ``address`` (reused when identical)."""
        if address.is_empty():
            return partner
        vals = self.prepare_address_vals(address)
        keys = ("name", "street", "street2", "city", "zip", "country_id", "state_id")
        for child in partner.child_ids.filtered(lambda c: c.type == address_type):
            current = child._convert_to_write({key: child[key] for key in keys})
            if all((current[key] or False) == (vals[key] or False) for key in keys):
                return child
        return self.env["res.partner"].create(
            dict(vals, parent_id=partner.id, type=address_type)
        )

    def prepare_address_vals(self, address, with_name=True):
        country = self.get_country(address)
        state = self.get_state(country, address)
        vals = {
            "street": address.street or False,
            "street2": address.street2 or False,
            "city": address.city or False,
            "zip": address.zip or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
            "phone": address.phone or False,
        }
        if with_name:
            vals["name"] = address.name or address.company or False
            vals["email"] = address.email or False
        return vals

    def get_country(self, address):
        Country = self.env["res.country"]
        if address.country_code:
            code = address.country_code
            country = self.cached(
                ("country", code.upper()),
                lambda: Country.search([("code", "=ilike", code)], limit=1),
            )
            if country:
                return country
        if address.country_name:
            return Country.search([("name", "=ilike", address.country_name)], limit=1)
        return Country

    def get_state(self, country, address):
        State = self.env["res.country.state"]
        if not country:
            return State
        for key, value in (
            ("code", address.state_code),
            ("name", address.state_name),
            ("name", address.state_code),
        ):
            if value:
                state = State.search(
                    [("country_id", "=", country.id), (key, "=ilike", value)], limit=1
                )
                if state:
                    return state
        return State

    # -- updates of an imported order ----------------------------------------------
    def get_update_changes(self, order, normalized):
        """Hook: what an update of the channel changes on ``order``, compared
        with the order as it is: delivery address, product lines (added,
        removed, quantity or price), note and shipping. Nothing is written
        (only a product matched by its reference gets its binding).

        :param order: the ``sale.order`` imported from the channel
        :param normalized: ``NormalizedOrder`` of the update
        :return: ``{"address": (old, new) | None, "lines": [(order line or
            None, NormalizedLine or None, product)], "note": bool,
            "shipping": bool, "text": [change, one a line]}``; empty ``text``
            when nothing changes
        :rtype: dict
        """
        _ = self.env._
        result = {"address": None, "lines": [], "note": False, "shipping": False}
        changes = []
        shipping = normalized.shipping
        if not shipping.is_empty():
            new = self.prepare_address_vals(shipping)
            partner = order.partner_shipping_id
            old = partner._convert_to_write({key: partner[key] for key in ADDRESS_KEYS})
            if any((old[key] or False) != (new[key] or False) for key in ADDRESS_KEYS):
                result["address"] = (partner, new)
                changes.append(
                    _(
                        "Delivery address: %(old)s → %(new)s",
                        old=self.format_address(old),
                        new=self.format_address(new),
                    )
                )
        current = order.order_line.filtered(
            lambda line: (
                line.product_id
                and not line.display_type
                and not line.is_delivery
                and line.product_id
                != self.env.ref("oms_channels.product_channel_discount")
                and line.product_uom_qty > 0
            )
        )
        unmatched = list(current)
        errors = []
        for line in normalized.lines:
            product = self.get_product(line)
            if not product:
                errors.append(self.unknown_product_text(line))
                continue
            mine = next((ol for ol in unmatched if ol.product_id == product), None)
            if mine is None:
                result["lines"].append((None, line, product))
                changes.append(
                    _(
                        "Added: %(product)s × %(qty)s",
                        product=product.display_name,
                        qty=format(line.quantity, "g"),
                    )
                )
                continue
            unmatched.remove(mine)
            qty_changed = float_compare(
                mine.product_uom_qty, float(line.quantity), precision_digits=3
            )
            price_changed = float_compare(
                mine.price_unit, float(line.price_unit), precision_digits=2
            )
            if qty_changed or price_changed:
                result["lines"].append((mine, line, product))
                changes.append(
                    _(
                        "%(product)s: %(old_qty)s × %(old_price)s → "
                        "%(qty)s × %(price)s",
                        product=product.display_name,
                        old_qty=format(mine.product_uom_qty, "g"),
                        old_price=format(mine.price_unit, ".2f"),
                        qty=format(line.quantity, "g"),
                        price=format(line.price_unit, ".2f"),
                    )
                )
        if errors:
            # no words of their own: nothing to translate
            raise MappingError(
                reader_text.store("%(lines)s", lines=reader_text.join("\n", errors)),
                self.env,
            )
        for line in unmatched:
            result["lines"].append((line, None, line.product_id))
            changes.append(
                _(
                    "Removed: %(product)s × %(qty)s",
                    product=line.product_id.display_name,
                    qty=format(line.product_uom_qty, "g"),
                )
            )
        old_note = html2plaintext(order.note or "").strip()
        if old_note != (normalized.note or "").strip():
            result["note"] = True
            changes.append(
                _(
                    "Note: %(old)s → %(new)s",
                    old=old_note or "-",
                    new=normalized.note or "-",
                )
            )
        old_shipping = [
            (line.name, round(line.price_unit, 2))
            for line in order.order_line.filtered(
                lambda line: line.is_delivery and line.product_uom_qty > 0
            )
        ]
        new_shipping = [
            (title or "", round(float(amount), 2))
            for title, amount, _rates in normalized.shipping_lines
        ]
        if [price for _name, price in old_shipping] != [
            price for _name, price in new_shipping
        ] or [name for name, _price in old_shipping] != [
            name for name, _price in new_shipping
        ]:
            result["shipping"] = True
            changes.append(
                _(
                    "Shipping: %(old)s → %(new)s",
                    old=self.format_shipping(old_shipping),
                    new=self.format_shipping(new_shipping),
                )
            )
        result["text"] = changes
        return result

    def format_address(self, vals):
        """One line of an address of ``prepare_address_vals`` values."""
        country = self.env["res.country"].browse(vals.get("country_id") or [])
        parts = (
            vals.get("name"),
            vals.get("street"),
            vals.get("street2"),
            " ".join(filter(None, (vals.get("zip"), vals.get("city")))),
            country.name,
        )
        return ", ".join(part for part in parts if part) or "-"

    @staticmethod
    def format_shipping(lines):
        return ", ".join(f"{name} {price:.2f}" for name, price in lines) or "-"

    def prepare_update_vals(self, order, normalized, changes):
        """Hook: the values that apply ``changes`` (`get_update_changes`) to
        ``order``, for one ``write``. A line removed from a confirmed order
        keeps its line at quantity 0 (Odoo cancels its delivery), as Odoo does.

        :return: values for ``sale.order.write``
        :rtype: dict
        """
        confirmed = order.state == "sale"
        vals, commands = {}, []
        if changes["address"]:
            vals["partner_shipping_id"] = self.get_address(
                order.partner_id, normalized.shipping, "delivery"
            ).id
        for line, new, product in changes["lines"]:
            if line and new:
                gross = new.price_unit * new.quantity
                commands.append(
                    Command.update(
                        line.id,
                        {
                            "product_uom_qty": float(new.quantity),
                            "price_unit": float(new.price_unit),
                            "discount": float(new.discount_amount / gross * 100)
                            if gross
                            else 0.0,
                        },
                    )
                )
            elif new:
                commands.append(
                    Command.create(
                        self.prepare_order_line_vals(product, new, normalized)
                    )
                )
            else:
                commands.append(
                    Command.update(line.id, {"product_uom_qty": 0.0})
                    if confirmed
                    else Command.unlink(line.id)
                )
        if changes["shipping"]:
            old = order.order_line.filtered(
                lambda line: line.is_delivery and line.product_uom_qty > 0
            )
            for index, (title, amount, rates) in enumerate(normalized.shipping_lines):
                if index < len(old):
                    commands.append(
                        Command.update(
                            old[index].id,
                            {
                                "name": title or old[index].name,
                                "price_unit": float(amount),
                            },
                        )
                    )
                else:
                    commands.append(
                        Command.create(
                            self.prepare_shipping_line_vals(
                                title, amount, rates, normalized
                            )
                        )
                    )
            for line in old[len(normalized.shipping_lines) :]:
                commands.append(
                    Command.update(line.id, {"product_uom_qty": 0.0})
                    if confirmed
                    else Command.unlink(line.id)
                )
        if commands:
            vals["order_line"] = commands
        if changes["note"]:
            vals["note"] = normalized.note or False
        return vals
