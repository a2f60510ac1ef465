"""Mapping of normalized channel orders onto Odoo records (part of ``oms.channel``)."""

from datetime import UTC, datetime

from odoo import Command, _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

#: channel kinds whose orders must carry a delivery address
OMS_ADDRESS_REQUIRED_KINDS = ("web_shop", "marketplace", "api", "email")


class OmsMappingCache:
    """Lookups shared by the orders of one import batch (context key
    ``oms_mapping_cache`` of the channel): taxes, countries, pricelists and the
    channel's product and customer bindings are read once per batch instead of
    once per order or line.

    Only lookups of existing records are kept, never records created by the
    mapping, so a record rolled back with its order's savepoint is never reused.
    """

    def __init__(self):
        self._values = {}

    def get(self, key, compute):
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]

    def peek(self, key):
        return self._values.get(key)

    def set(self, key, value):
        self._values[key] = value


class OmsChannel(models.Model):
    _inherit = "oms.channel"

    def _oms_cached(self, key, compute):
        """``compute()``, remembered for the batch when the context has a cache."""
        cache = self.env.context.get("oms_mapping_cache")
        return cache.get(key, compute) if cache else compute()

    def _oms_prefetch_bindings(self, normalized_orders):
        """Read the product bindings of every SKU and the customer bindings of
        every customer of these orders, one query each (into the batch cache;
        see `_get_product` and `_get_customer_binding`).

        :return: the product bindings read (``oms.channel.product``)
        """
        self.ensure_one()
        Binding = self.env["oms.channel.product"]
        cache = self.env.context.get("oms_mapping_cache")
        if not cache:
            return Binding
        refs = {order.customer_ref for order in normalized_orders} - {None, ""}
        if refs:
            customers = self.env["oms.channel.customer"].search(
                [("channel_id", "=", self.id), ("external_id", "in", list(refs))]
            )  # one binding per customer and channel (unique constraint)
            for customer in customers:
                cache.set(("customer", self.id, customer.external_id), customer)
        skus = {line.sku for order in normalized_orders for line in order.lines}
        skus -= {None, ""}
        if not skus:
            return Binding
        bindings = Binding.search(
            [("channel_id", "=", self.id), ("external_sku", "in", list(skus))]
        )  # one binding per SKU and channel (unique constraint)
        for binding in bindings:
            cache.set(("binding", self.id, binding.external_sku), binding)
        return bindings

    def _get_customer_binding(self, customer_ref):
        """The binding of the channel's customer ``customer_ref``, if any."""
        self.ensure_one()
        cache = self.env.context.get("oms_mapping_cache")
        binding = cache and cache.peek(("customer", self.id, customer_ref))
        return binding or self.env["oms.channel.customer"].search(
            [("channel_id", "=", self.id), ("external_id", "=", customer_ref)],
            limit=1,
        )

    # -- order ----------------------------------------------------------------
    def _create_sale_order(self, normalized):
        """Hook: create the draft sale order of a normalized channel order.

        :param normalized: :class:`..adapters.base.NormalizedOrder`
        :return: the new ``sale.order``
        :rtype: recordset
        """
        self.ensure_one()
        vals = self._prepare_sale_order_vals(normalized)
        order = self.env["sale.order"].with_company(self.company_id).create(vals)
        self._check_total(order, normalized)
        return order

    def _after_import(self, order, normalized):
        """Hook: payment of prepaid orders, then the OMS review (which may confirm)."""
        self.ensure_one()
        self._register_channel_payment(order, normalized)
        order.action_oms_review()

    def _register_channel_payment(self, order, normalized):
        """Hook: record the payment the platform collected for a prepaid order."""
        self.ensure_one()
        if normalized.is_paid and normalized.paid_amount > 0:
            if not self.payment_journal_id:
                raise UserError(
                    _(
                        "The order is paid on the channel but the channel %(name)s "
                        "has no "
                        "payment journal.",
                        name=self.display_name,
                    )
                )
            order._oms_register_external_payment(
                self.payment_journal_id,
                float(normalized.paid_amount),
                date=order.date_order.date(),
                ref=normalized.name,
            )

    def _prepare_sale_order_vals(self, normalized):
        partner, invoice, delivery = self._get_partners(normalized)
        currency = self._get_currency(normalized.currency)
        pricelist = self._get_pricelist(currency)
        lines = self._prepare_order_lines(normalized, pricelist)
        vals = {
            "partner_id": partner.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": delivery.id,
            "company_id": self.company_id.id,
            "oms_channel_id": self.id,
            "oms_external_ref": normalized.external_ref,
            "client_order_ref": normalized.name or normalized.external_ref,
            "origin": normalized.name,
            "pricelist_id": pricelist.id or False,
            "order_line": lines,
        }
        if self.team_id:
            vals["team_id"] = self.team_id.id
        # imports run as the cron/webhook user: the salesperson comes from the channel
        vals["user_id"] = (self.user_id or self.team_id.user_id).id or False
        if self.warehouse_id:
            vals["warehouse_id"] = self.warehouse_id.id
        if self.fiscal_position_id:
            vals["fiscal_position_id"] = self.fiscal_position_id.id
        if normalized.note:
            vals["note"] = normalized.note
        if normalized.date_order:
            vals["date_order"] = self._parse_date(normalized.date_order)
        return vals

    @api.model
    def _parse_date(self, value):
        try:
            date = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError as exc:
            raise UserError(_("Invalid order date: %(date)s", date=value)) from exc
        if date.tzinfo:
            date = date.astimezone(UTC).replace(tzinfo=None)
        return date

    def _check_total(self, order, normalized):
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
                _(
                    "The channel's total is %(channel)s but the order totals %(odoo)s "
                    "(difference %(diff)s).",
                    channel=channel_total,
                    odoo=odoo_total,
                    diff=difference,
                ),
                severity="warn",
            )

    # -- currency and pricelist --------------------------------------------------
    def _get_currency(self, code):
        if not code:
            return self.pricelist_id.currency_id or self.company_id.currency_id
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code.upper())], limit=1)
        )
        if not currency:
            raise UserError(_("Unknown currency %(code)s.", code=code))
        if not currency.active:
            raise UserError(_("The currency %(code)s is not active.", code=code))
        return currency

    def _get_pricelist(self, currency):
        if self.pricelist_id.currency_id == currency:
            return self.pricelist_id
        pricelist = self._oms_cached(
            ("pricelist", self.company_id.id, currency.id),
            lambda: self.env["product.pricelist"].search(
                [
                    ("currency_id", "=", currency.id),
                    ("company_id", "in", (False, self.company_id.id)),
                ],
                limit=1,
            ),
        )
        if not pricelist and currency == self.company_id.currency_id:
            return pricelist  # no pricelist: the order is in the company currency
        if not pricelist:
            raise UserError(
                _(
                    "No pricelist in %(currency)s for the channel %(name)s.",
                    currency=currency.name,
                    name=self.display_name,
                )
            )
        return pricelist

    # -- lines ------------------------------------------------------------------------
    def _prepare_order_lines(self, normalized, pricelist):
        if not normalized.lines:
            raise UserError(_("The order has no lines."))
        commands, errors = [], []
        for line in normalized.lines:
            if line.quantity <= 0:
                errors.append(
                    _(
                        "Line %(name)s: the quantity must be positive.",
                        name=line.name or line.sku,
                    )
                )
                continue
            product = self._get_product(line)
            if not product:
                errors.append(
                    _(
                        "Unknown product: SKU %(sku)s (%(name)s). "
                        "Map it under the channel's "
                        "products.",
                        sku=line.sku or "-",
                        name=line.name or "-",
                    )
                )
                continue
            commands.append(
                Command.create(self._prepare_order_line_vals(product, line, normalized))
            )
        if errors:
            raise UserError("\n".join(errors))
        for title, amount, rates in normalized.shipping_lines:
            commands.append(
                Command.create(
                    self._prepare_shipping_line_vals(title, amount, rates, normalized)
                )
            )
        if normalized.order_discount > 0:
            commands.append(
                Command.create(self._prepare_discount_line_vals(normalized))
            )
        return commands

    def _prepare_order_line_vals(self, product, line, normalized):
        gross = line.price_unit * line.quantity
        discount = float(line.discount_amount / gross * 100) if gross else 0.0
        vals = {
            "product_id": product.id,
            "product_uom_qty": float(line.quantity),
            "price_unit": float(line.price_unit),
            "discount": discount,
            "tax_id": [Command.set(self._get_taxes(line.tax_rates, normalized).ids)],
        }
        if line.name:
            vals["name"] = line.name
        return vals

    def _prepare_shipping_line_vals(self, title, amount, rates, normalized):
        carrier = self.carrier_id
        product = carrier.product_id or self.env.ref(
            "delivery.product_product_delivery"
        )
        return {
            "product_id": product.id,
            "name": title or carrier.name or product.name,
            "product_uom_qty": 1.0,
            "price_unit": float(amount),
            "is_delivery": True,
            "tax_id": [Command.set(self._get_taxes(rates, normalized).ids)],
        }

    def _prepare_discount_line_vals(self, normalized):
        product = self.env.ref("oms_channels.product_channel_discount")
        rate_sets = {tuple(line.tax_rates) for line in normalized.lines}
        rates = list(rate_sets.pop()) if len(rate_sets) == 1 else []
        return {
            "product_id": product.id,
            "name": _("Channel discount"),
            "product_uom_qty": 1.0,
            "price_unit": -float(normalized.order_discount),
            "tax_id": [Command.set(self._get_taxes(rates, normalized).ids)],
        }

    def _get_product(self, line):
        """Hook: the product of a channel line.

        Looked up in the channel's mapping table (by SKU, or by the platform's product
        id for lines without SKU), then by internal reference, then by barcode. A match
        by reference or barcode is remembered in the mapping table (for the stock push).
        """
        Binding = self.env["oms.channel.product"]
        Product = self.env["product.product"].with_company(self.company_id)
        company_domain = [("company_id", "in", (False, self.company_id.id))]
        if line.sku:
            binding_domain = [("external_sku", "=", line.sku)]
        elif line.external_product_id:
            binding_domain = [("external_product_ref", "=", line.external_product_id)]
        else:
            return Product.browse()
        cache = self.env.context.get("oms_mapping_cache")
        binding = cache and line.sku and cache.peek(("binding", self.id, line.sku))
        if not binding:
            binding = Binding.search(
                [("channel_id", "=", self.id)] + binding_domain, limit=1
            )
        if binding or not line.sku:
            return binding.product_id
        product = Product.search(
            [("default_code", "=", line.sku)] + company_domain, limit=1
        ) or Product.search([("barcode", "=", line.sku)] + company_domain, limit=1)
        if product:
            Binding.create(
                {
                    "channel_id": self.id,
                    "external_sku": line.sku,
                    "product_id": product.id,
                    "external_product_ref": line.external_product_id or False,
                }
            )
        return product

    def _get_taxes(self, rates, normalized):
        """Sales taxes of the company matching the platform's rates and tax mode."""
        Tax = self.env["account.tax"]
        taxes = Tax.browse()
        for rate in rates:
            candidates = self._oms_cached(
                ("taxes", self.company_id.id, bool(normalized.taxes_included)),
                lambda: Tax.search(
                    [
                        ("type_tax_use", "=", "sale"),
                        ("amount_type", "=", "percent"),
                        ("company_id", "=", self.company_id.id),
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
                mode = _("tax included") if included else _("tax excluded")
                rate_text = format(rate, "g")
                raise UserError(
                    _(
                        "No sales tax of %(rate)s%% (%(mode)s) in %(company)s.",
                        rate=rate_text,
                        company=self.company_id.name,
                        mode=mode,
                    )
                )
            taxes |= match
        return taxes

    # -- partners ---------------------------------------------------------------------
    def _get_partners(self, normalized):
        """Hook: (customer, invoice address, delivery address) of the order."""
        if (
            self.kind in OMS_ADDRESS_REQUIRED_KINDS
            and normalized.shipping.is_empty()
            and normalized.billing.is_empty()
        ):
            raise UserError(_("The order has no delivery address."))
        partner = self._find_partner(normalized)
        if not partner:
            name = normalized.customer_name or normalized.email or normalized.phone
            if not name:
                raise UserError(_("The order has no customer name, e-mail or phone."))
            partner = self.env["res.partner"].create(
                {
                    "name": name,
                    "email": normalized.email or False,
                    "phone": normalized.phone or False,
                    "company_id": False,
                    **self._prepare_address_vals(normalized.billing, with_name=False),
                }
            )
        if normalized.customer_ref:
            self.env["oms.channel.customer"]._bind(
                self, normalized.customer_ref, partner
            )
        invoice = self._get_address(partner, normalized.billing, "invoice")
        delivery = self._get_address(partner, normalized.shipping, "delivery")
        return partner, invoice, delivery

    def _find_partner(self, normalized):
        Partner = self.env["res.partner"]
        if normalized.customer_ref:
            binding = self._get_customer_binding(normalized.customer_ref)
            if binding:
                return binding.partner_id
        domain = [
            ("parent_id", "=", False),
            ("company_id", "in", (False, self.company_id.id)),
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

    def _get_address(self, partner, address, address_type):
        """Child contact of ``partner`` for ``address`` (reused when identical)."""
        if address.is_empty():
            return partner
        vals = self._prepare_address_vals(address)
        keys = ("name", "street", "street2", "city", "zip", "country_id", "state_id")
        for child in partner.child_ids.filtered(lambda c: c.type == address_type):
            current = child._convert_to_write({key: child[key] for key in keys})
            if all((current[key] or False) == (vals[key] or False) for key in keys):
                return child
        return self.env["res.partner"].create(
            dict(vals, parent_id=partner.id, type=address_type)
        )

    def _prepare_address_vals(self, address, with_name=True):
        country = self._get_country(address)
        state = self._get_state(country, address)
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

    def _get_country(self, address):
        Country = self.env["res.country"]
        if address.country_code:
            code = address.country_code
            country = self._oms_cached(
                ("country", code.upper()),
                lambda: Country.search([("code", "=ilike", code)], limit=1),
            )
            if country:
                return country
        if address.country_name:
            return Country.search([("name", "=ilike", address.country_name)], limit=1)
        return Country

    def _get_state(self, country, address):
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
