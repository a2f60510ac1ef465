from odoo import Command, api, fields, models

# line fields whose change after approval sends the order back to review
OMS_REVIEWED_LINE_FIELDS = {
    "product_id",
    "product_uom_qty",
    "product_uom",
    "price_unit",
    "discount",
}


class SaleOrderLine(models.Model):
    """Available to promise, invoiced quantity under the OMS invoice policy,
    procurement values, and the re-review of lines changed after approval."""

    _inherit = "sale.order.line"

    oms_atp_qty = fields.Float(
        string="Available to Promise",
        compute="_compute_oms_atp_qty",
        digits="Product Unit of Measure",
        help="On hand − reserved − promised to confirmed orders, in the order's "
        "warehouse, in the product's unit of measure.",
    )

    @api.depends("product_id", "order_id.warehouse_id")
    def _compute_oms_atp_qty(self):
        self.oms_atp_qty = 0.0
        lines = self.filtered(
            lambda line: line.product_id.is_storable and line.order_id.warehouse_id
        )
        for warehouse, wh_lines in lines.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            atp = wh_lines.product_id._oms_get_atp(warehouse)
            for line in wh_lines:
                line.oms_atp_qty = atp[line.product_id.id]

    @api.depends("order_id.oms_invoice_policy")
    def _compute_qty_to_invoice(self):
        """The order's OMS invoice policy overrides the product's: on order invoices
        the ordered quantity, on delivery and periodic the delivered goods."""
        res = super()._compute_qty_to_invoice()
        for line in self:
            policy = line.order_id.oms_invoice_policy
            if line.state != "sale" or line.display_type or policy in (False, "manual"):
                continue
            if policy == "order":
                line.qty_to_invoice = line.product_uom_qty - line.qty_invoiced
            elif line.product_id.type == "consu":
                line.qty_to_invoice = line.qty_delivered - line.qty_invoiced
        return res

    @api.model_create_multi
    def create(self, vals_list):
        """A product line added to a confirmed order by a user who may not
        change it directly becomes a change request (``sale.order.write``):
        it is not created, and not returned."""
        Order = self.env["sale.order"]
        requested = []
        if not Order._oms_may_change_approved():
            requested = [
                vals
                for vals in vals_list
                if Order.browse(vals.get("order_id"))._oms_filter_requesting(
                    {"order_line": [Command.create(vals)]}
                )
            ]
        for vals in requested:
            order = Order.browse(vals["order_id"])
            line_vals = {key: value for key, value in vals.items() if key != "order_id"}
            self.env["oms.order.change"]._oms_request(
                order, {"order_line": [Command.create(line_vals)]}
            )
        requested_ids = {id(vals) for vals in requested}
        lines = super().create(
            [vals for vals in vals_list if id(vals) not in requested_ids]
        )
        lines.order_id._oms_filter_unwritten()._oms_changed_after_approval()
        return lines

    def write(self, vals):
        """The reviewed fields of the product lines of confirmed orders are
        held back as a change request for the users who may not change them
        directly; every other change of a reviewed field re-reviews its order."""
        requesting = self._oms_filter_requesting(vals)
        if requesting:
            held = {key: vals[key] for key in OMS_REVIEWED_LINE_FIELDS & set(vals)}
            for order, lines in requesting.grouped("order_id").items():
                self.env["oms.order.change"]._oms_request(
                    order,
                    {"order_line": [Command.update(line.id, held) for line in lines]},
                )
            if self - requesting:
                (self - requesting).write(held)
            vals = {key: value for key, value in vals.items() if key not in held}
            if not vals:
                return True
        res = super().write(vals)
        if OMS_REVIEWED_LINE_FIELDS & set(vals):
            self.order_id._oms_filter_unwritten()._oms_changed_after_approval()
        return res

    def unlink(self):
        orders = self.order_id
        res = super().unlink()
        orders.exists()._oms_filter_unwritten()._oms_changed_after_approval()
        return res

    def _oms_is_reviewed_line(self):
        """Whether the line is one the review reads: a product line, not a
        section, note, down payment or delivery cost."""
        self.ensure_one()
        return not (self.display_type or self.is_downpayment or self.is_delivery)

    @api.model
    def _oms_is_reviewed_line_vals(self, vals):
        """Whether values of a new line make a line the review reads."""
        return bool(vals.get("product_id")) and not (
            vals.get("display_type")
            or vals.get("is_downpayment")
            or vals.get("is_delivery")
        )

    def _oms_filter_requesting(self, vals):
        """The lines of self on which writing ``vals`` becomes a change request
        (see ``sale.order._oms_filter_requesting``)."""
        if not OMS_REVIEWED_LINE_FIELDS & set(vals):
            return self.browse()
        if self.env["sale.order"]._oms_may_change_approved():
            return self.browse()
        lines = self.filtered(
            lambda line: line.order_id.state == "sale" and line._oms_is_reviewed_line()
        )
        orders = lines.order_id._oms_filter_requesting(
            {"order_line": [Command.update(line.id, vals) for line in lines]}
        )
        return lines.filtered(lambda line: line.order_id in orders)

    @api.model
    def _oms_split_commands(self, commands):
        """Split ``order_line`` commands of an order write into those changing
        reviewed facts (held back for a change request) and the rest.

        :return: (held back commands, remaining commands)
        :rtype: tuple
        """
        held, rest = [], []
        for command in commands:
            operation = command[0]
            if operation == Command.CREATE:
                if self._oms_is_reviewed_line_vals(command[2]):
                    held.append(command)
                else:
                    rest.append(command)
                continue
            if operation != Command.UPDATE:
                rest.append(command)
                continue
            line = self.browse(command[1])
            values = command[2]
            reviewed = OMS_REVIEWED_LINE_FIELDS & set(values)
            if not reviewed or not line._oms_is_reviewed_line():
                rest.append(command)
                continue
            if "product_id" in reviewed:
                # another product: its description, taxes... wait with it
                reviewed = set(values)
            held.append(Command.update(line.id, {key: values[key] for key in reviewed}))
            others = {
                key: value for key, value in values.items() if key not in reviewed
            }
            if others:
                rest.append(Command.update(line.id, others))
        return held, rest

    def _oms_get_pricelist_price(self):
        """Unit price the pricelist gives this line, in the order's currency."""
        self.ensure_one()
        if self.pricelist_item_id:
            return self._get_pricelist_price()
        product = self.product_id
        price = product.uom_id._compute_price(product.lst_price, self.product_uom)
        return product.currency_id._convert(
            price,
            self.order_id.currency_id,
            self.order_id.company_id,
            fields.Date.context_today(self),
        )

    def _prepare_procurement_values(self, group_id=False):
        """Add the order priority and the route of the order type."""
        values = super()._prepare_procurement_values(group_id)
        order = self.order_id
        values["priority"] = "1" if order.oms_priority in ("1", "2") else "0"
        route = order._oms_get_order_type().route_id
        if route and not self.route_id:
            values["route_ids"] = route
        return values
