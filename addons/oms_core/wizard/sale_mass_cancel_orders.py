from odoo import models


class SaleMassCancelOrders(models.TransientModel):
    _inherit = "sale.mass.cancel.orders"

    def action_mass_cancel(self):
        """Refuse Odoo's mass cancellation, which records no reason: orders are
        cancelled with the *Cancel with Reason* wizard."""
        self.sale_order_ids._oms_check_cancel_reason()
        return super().action_mass_cancel()
