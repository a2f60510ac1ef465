from odoo import api, fields, models


class StockPicking(models.Model):
    """Order priority pushed to the deliveries (kept apart from the fulfilment
    files: the priority belongs to the review engine)."""

    _inherit = "stock.picking"

    oms_priority = fields.Selection(
        related="sale_id.oms_priority", store=True, string="Order Priority"
    )
    priority = fields.Selection(compute="_compute_priority", store=True, readonly=False)

    @api.depends("sale_id.oms_priority")
    def _compute_priority(self):
        """Starred ('1') when the order is high or urgent; others unchanged."""
        for picking in self:
            if picking.state in ("done", "cancel") or not picking.sale_id:
                picking.priority = picking.priority or "0"
                continue
            picking.priority = (
                "1" if picking.sale_id.oms_priority in ("1", "2") else "0"
            )
