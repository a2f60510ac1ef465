from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.sale_order import OMS_MARK_RESOLVING


class OmsExceptionSubstitute(models.TransientModel):
    """Replace a product of the order by an alternative, then re-review."""

    _name = "oms.exception.substitute"
    _description = "Substitute a Product"

    exception_id = fields.Many2one("oms.exception", required=True)
    order_id = fields.Many2one(related="exception_id.order_id")
    line_id = fields.Many2one(
        "sale.order.line",
        required=True,
        domain="[('order_id', '=', order_id), ('display_type', '=', False)]",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Substitute",
        required=True,
        domain="[('sale_ok', '=', True), ('id', '!=', current_product_id)]",
    )
    current_product_id = fields.Many2one(related="line_id.product_id")
    note = fields.Text()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        exception = self.env["oms.exception"].browse(values.get("exception_id"))
        if exception and "line_id" in fields_list:
            lines = exception.order_id._oms_get_product_lines()
            values["line_id"] = lines.filtered(lambda rec: rec.product_id.is_storable)[
                :1
            ].id
        return values

    def action_confirm(self):
        """Substitute the product on the line and re-review the order."""
        self.ensure_one()
        exception = self.exception_id
        exception._check_can_substitute()
        line = self.line_id
        order = line.order_id
        if order != exception.order_id:
            raise UserError(
                self.env._("The line to substitute is not on the exception's order.")
            )
        if order.state not in ("draft", "sent", "sale"):
            raise UserError(self.env._("Only open orders can be changed."))
        old = line.product_id.display_name
        # the substitution is the resolution itself, reviewed below: it does not
        # count as a change after approval
        with order._oms_mark(OMS_MARK_RESOLVING):
            if order.state == "sale":
                # confirmed lines keep their product: add the substitute, zero
                # the old one
                line.copy(
                    {
                        "order_id": order.id,
                        "product_id": self.product_id.id,
                        "product_uom_qty": line.product_uom_qty - line.qty_delivered,
                    }
                )
                line.product_uom_qty = line.qty_delivered
            else:
                line.product_id = self.product_id
        exception._close(
            "substitute",
            self.env._(
                "%(old)s replaced by %(new)s. %(note)s",
                old=old,
                new=self.product_id.display_name,
                note=self.note or "",
            ),
        )
        order.action_oms_review()
        return {"type": "ir.actions.act_window_close"}
