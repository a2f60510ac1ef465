from odoo import fields, models


class OmsOrderCancel(models.TransientModel):
    """Cancel orders with a reason: the users' only way to cancel an order."""

    _name = "oms.order.cancel"
    _description = "Cancel Orders"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason_id = fields.Many2one("oms.cancel.reason", required=True)

    def action_confirm(self):
        """Cancel the orders once the user may (``_oms_check_can_cancel``)."""
        self.ensure_one()
        self.order_ids._oms_check_can_cancel()
        self.order_ids._oms_cancel(self.reason_id)
        return {"type": "ir.actions.act_window_close"}
