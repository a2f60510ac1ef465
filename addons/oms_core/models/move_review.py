from odoo import models


class StockMove(models.Model):
    """Stock arrival releases the orders waiting for it (re-review)."""

    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        arrived = moves.filtered(
            lambda m: (
                m.state == "done"
                and m.location_dest_id.usage == "internal"
                and m.location_id.usage != "internal"
                and m.product_id.is_storable
            )
        )
        if arrived:
            self.env["sale.order"]._oms_release_waiting(arrived.product_id)
        return moves
