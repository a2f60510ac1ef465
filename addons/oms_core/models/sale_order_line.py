from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError

from .promise_engine import Demand, availability

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

    oms_promised_date = fields.Datetime(
        string="Promised Ship Date",
        compute="_compute_oms_promised_date",
        store=True,
        readonly=True,
        copy=False,
        help="When the line leaves the warehouse: estimated while quoting, "
        "promised at confirmation, re-promised when the stock changes.",
    )

    @api.depends(
        "product_id", "product_uom_qty", "product_uom", "order_id.warehouse_id"
    )
    def _compute_oms_promised_date(self):
        """Quotations: the date the stock allows now, after the demand of the
        confirmed orders. Confirmed orders keep their promise: it changes only
        by ``sale.order._oms_repromise``."""
        quoting = self.filtered(lambda line: line.order_id.state in ("draft", "sent"))
        for line in self - quoting:
            line.oms_promised_date = line.oms_promised_date
        quoting.oms_promised_date = False
        for warehouse, lines in quoting.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            if warehouse:
                lines._oms_promise_quotation(warehouse)

    oms_source_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Ships From",
        readonly=True,
        copy=False,
        help="Warehouse the review's sourcing chose for this line; its delivery "
        "leaves from there.",
    )

    @api.depends("oms_source_warehouse_id")
    def _compute_warehouse_id(self):
        """The warehouse sourcing chose wins over sale_stock's (order, route):
        the line's procurement (``_prepare_procurement_values``) then pulls
        from it, one delivery per warehouse."""
        res = super()._compute_warehouse_id()
        for line in self.filtered("oms_source_warehouse_id"):
            line.warehouse_id = line.oms_source_warehouse_id
        return res

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
        self._oms_check_source_write(vals_list)
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
        directly; every other change of a reviewed field re-reviews its order.
        The promised ship date follows the stock (``sale.order._oms_repromise``,
        in superuser mode): a plain write, RPC included, is refused."""
        if "oms_promised_date" in vals and not self.env.su:
            raise AccessError(
                self.env._("The promised ship date is set by the stock, not by hand.")
            )
        self._oms_check_source_write([vals])
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

    def _oms_is_promised(self):
        """Whether the line gets a promised ship date: goods, not a section,
        a note or a down payment."""
        self.ensure_one()
        return bool(
            not self.display_type
            and not self.is_downpayment
            and self.product_id.type == "consu"
        )

    def _oms_get_product_qty(self):
        """Ordered quantity still to ship, in the product's unit of measure."""
        self.ensure_one()
        return self.product_uom._compute_quantity(
            self.product_uom_qty - self.qty_delivered, self.product_id.uom_id
        )

    def _oms_promise_quotation(self, warehouse):
        """Set the estimated ship date of these quotation lines of ``warehouse``.

        Each quotation comes after the open demand of the confirmed orders;
        its lines of one product add up. Goods whose stock is not tracked are
        available at once.
        """
        context = warehouse._oms_get_promise_context()
        goods = self.filtered(lambda line: line._oms_is_promised())
        storable = goods.filtered(lambda line: line.product_id.is_storable)
        products = storable.product_id
        supplies = products._oms_get_promise_supply(warehouse, context.tz_name)
        promised = defaultdict(float)
        for line, qty in products._oms_get_promise_demand(warehouse).items():
            promised[line.product_id.id] += qty
        by_date = defaultdict(list)  # promised date -> line ids
        for _order, lines in goods.grouped("order_id").items():
            needs = dict(promised)
            for line in lines.sorted(lambda line: (line.sequence, line.id)):
                available = context.today
                if line.product_id.is_storable:
                    product_id = line.product_id.id
                    needs[product_id] = needs.get(product_id, 0.0) + max(
                        line._oms_get_product_qty(), 0.0
                    )
                    available = supplies[product_id].available_on(
                        needs[product_id], context.today
                    )
                by_date[context.ship_datetime(available)].append(line.id)
        # one assignment per date: one write each, outside the compute
        for promised_date, line_ids in by_date.items():
            self.browse(line_ids).oms_promised_date = promised_date

    @api.model
    def _oms_get_confirmed_promises(self, warehouse, products):
        """The ship date of every open line of the confirmed orders needing
        ``products`` from ``warehouse``, the orders served by priority then
        order date (as the reservation serves them).

        :param products: storable product.product
        :return: {sale.order.line: naive UTC datetime or False}
        """
        context = warehouse._oms_get_promise_context()
        supplies = products._oms_get_promise_supply(warehouse, context.tz_name)
        demand = products._oms_get_promise_demand(warehouse)
        demands = [
            Demand(
                key=line.order_id.id,
                product_id=line.product_id.id,
                qty=qty,
                rank=line.order_id._oms_get_serving_rank(),
            )
            for line, qty in demand.items()
        ]
        available = availability(supplies, demands, context.today)
        return {
            line: context.ship_datetime(available[line.order_id.id, line.product_id.id])
            for line in demand
        }

    def _oms_check_source_write(self, vals_list):
        """The review's sourcing (``sale.order._oms_apply_sourcing``, in
        superuser mode) alone sets where a line ships from."""
        if self.env.su or not any("oms_source_warehouse_id" in v for v in vals_list):
            return
        raise AccessError(
            self.env._(
                "%(field)s of an order line is chosen by the review and cannot be "
                "changed directly.",
                field=self._fields["oms_source_warehouse_id"]._description_string(
                    self.env
                ),
            )
        )

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
