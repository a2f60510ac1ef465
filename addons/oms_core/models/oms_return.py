from odoo import Command, api, fields, models
from odoo.exceptions import UserError

OMS_RETURN_STATE = [
    ("draft", "Request"),
    ("receiving", "Awaiting Receipt"),
    ("received", "Received"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
OMS_RETURN_DISPOSITION = [
    ("restock", "Restock"),
    ("quarantine", "Quarantine"),
    ("scrap", "Scrap"),
]
OMS_RETURN_RESOLUTION = [
    ("refund", "Credit note"),
    ("exchange", "Exchange delivery"),
]


class OmsReturn(models.Model):
    """A customer's return request (退换货) on a delivered sales order."""

    _name = "oms.return"
    _description = "Customer Return"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        required=True,
        index=True,
        check_company=True,
        domain="[('state', '=', 'sale')]",
        tracking=True,
    )
    partner_id = fields.Many2one(
        related="order_id.partner_id", store=True, string="Customer"
    )
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, index=True, string="Company"
    )
    state = fields.Selection(
        OMS_RETURN_STATE, default="draft", required=True, tracking=True, copy=False
    )
    disposition = fields.Selection(
        OMS_RETURN_DISPOSITION,
        default="restock",
        required=True,
        tracking=True,
        help="Where the returned goods go: back to stock, to a quarantine location "
        "for inspection, or to scrap.",
    )
    resolution = fields.Selection(
        OMS_RETURN_RESOLUTION, default="refund", required=True, tracking=True
    )
    line_ids = fields.One2many(
        "oms.return.line", "return_id", string="Lines", copy=True
    )
    delivery_id = fields.Many2one(
        "stock.picking",
        compute="_compute_delivery_id",
        store=True,
        help="The delivery the goods are returned from.",
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Return Receipt",
        readonly=True,
        copy=False,
        check_company=True,
    )
    exchange_picking_id = fields.Many2one(
        "stock.picking",
        string="Exchange Delivery",
        readonly=True,
        copy=False,
        check_company=True,
    )
    credit_note_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        check_company=True,
    )
    note = fields.Text()

    @api.model_create_multi
    def create(self, vals_list):
        """Assign the return's sequence number."""
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("oms.return") or "/"
        return super().create(vals_list)

    @api.depends("line_ids.move_id")
    def _compute_delivery_id(self):
        for ret in self:
            ret.delivery_id = ret.line_ids.move_id.picking_id[:1]

    @api.onchange("order_id")
    def _onchange_order_id(self):
        """Propose every delivered line of the order."""
        if self.order_id and self.state == "draft":
            self.line_ids = [Command.clear()] + [
                Command.create(vals)
                for vals in self.order_id._prepare_oms_return_line_vals()
            ]

    # ------------------------------------------------------------------ workflow

    def action_confirm(self):
        """Create the return receipt (Odoo's return picking) and, for an exchange,
        the exchange delivery."""
        for ret in self:
            if ret.state != "draft":
                continue
            if not ret.line_ids:
                raise UserError(self.env._("Add the products the customer returns."))
            deliveries = ret.line_ids.move_id.picking_id
            if len(deliveries) != 1:
                raise UserError(
                    self.env._("A return covers the products of exactly one delivery.")
                )
            ret._oms_create_return_picking(deliveries)
            ret.state = "receiving"
        return True

    def _prepare_return_wizard_vals(self, delivery):
        self.ensure_one()
        quantities = {}
        for line in self.line_ids:
            quantities[line.move_id.id] = (
                quantities.get(line.move_id.id, 0.0) + line.quantity
            )
        destination = self._oms_get_disposition_location(delivery)
        wizard = self.env["stock.return.picking"].create(
            {"picking_id": delivery.id, "oms_location_dest_id": destination.id}
        )
        for wiz_line in wizard.product_return_moves:
            wiz_line.quantity = quantities.get(wiz_line.move_id.id, 0.0)
            wiz_line.to_refund = self.resolution == "refund"
        return wizard

    def _oms_create_return_picking(self, delivery):
        self.ensure_one()
        wizard = self._prepare_return_wizard_vals(delivery)
        before = self.order_id.picking_ids
        if self.resolution == "exchange":
            action = wizard.action_create_exchanges()
            picking = self.env["stock.picking"].browse(action["res_id"])
            new_pickings = self.order_id.picking_ids - before - picking
            exchange = new_pickings._oms_filter_customer_deliveries()
            self.exchange_picking_id = exchange[:1]
        else:
            picking = wizard._create_return()
        self.picking_id = picking

    def _oms_get_disposition_location(self, delivery):
        """Hook: destination of the returned goods for the return's disposition
        (empty: the return operation's default, i.e. back to stock).

        :param delivery: the delivery the goods are returned from
        :rtype: stock.location
        """
        self.ensure_one()
        if self.disposition == "scrap":
            scrap = self.env["stock.location"].search(
                [
                    ("scrap_location", "=", True),
                    ("company_id", "in", [self.company_id.id, False]),
                ],
                limit=1,
            )
            if not scrap:
                raise UserError(self.env._("Configure a scrap location first."))
            return scrap
        if self.disposition == "quarantine":
            warehouse = delivery.picking_type_id.warehouse_id
            return warehouse._oms_get_quarantine_location()
        return self.env["stock.location"]

    def action_receive(self):
        """The goods are back: validate the return receipt."""
        for ret in self.filtered(lambda r: r.state == "receiving"):
            picking = ret.picking_id
            if picking.state != "done":
                for move in picking.move_ids.filtered(lambda m: m.state != "cancel"):
                    move.quantity = move.product_uom_qty
                picking.move_ids.picked = True
                picking.with_context(
                    skip_backorder=True, cancel_backorder=True
                ).button_validate()
            ret.state = "received"
        return True

    def action_done(self):
        """Close the return: a credit note for the refunded quantities, or nothing
        more for an exchange (its delivery ships as usual)."""
        for ret in self.filtered(lambda r: r.state == "received"):
            if ret.resolution == "refund":
                ret.credit_note_id = ret._oms_create_credit_note()
            ret.state = "done"
        return True

    def action_cancel(self):
        for ret in self:
            if ret.state in ("received", "done"):
                raise UserError(
                    self.env._("Return %(name)s is already received.", name=ret.name)
                )
            ret.picking_id.filtered(lambda p: p.state != "done").action_cancel()
            ret.state = "cancel"
        return True

    def _oms_create_credit_note(self):
        """Credit the invoiced returned quantities, linked to the order lines."""
        self.ensure_one()
        order = self.order_id
        line_vals = []
        for line in self.line_ids.filtered("sale_line_id"):
            quantity = min(line.quantity, line.sale_line_id.qty_invoiced)
            if quantity > 0:
                line_vals.append(
                    Command.create(
                        line.sale_line_id._prepare_invoice_line(quantity=quantity)
                    )
                )
        if not line_vals:
            return self.env["account.move"]
        vals = order._prepare_invoice()
        vals.update(
            {
                "move_type": "out_refund",
                "invoice_line_ids": line_vals,
                "ref": self.name,
            }
        )
        credit_note = self.env["account.move"].create(vals)
        credit_note.action_post()
        return credit_note

    def action_view_picking(self):
        self.ensure_one()
        return self.picking_id._get_records_action(name=self.env._("Return Receipt"))

    def action_view_credit_note(self):
        self.ensure_one()
        return self.credit_note_id._get_records_action(name=self.env._("Credit Note"))
