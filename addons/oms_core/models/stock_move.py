from odoo import models


# One file per concern: the re-review on stock arrival is in move_review.
class StockMove(models.Model):
    _inherit = "stock.move"  # pylint: disable=consider-merging-classes-inherited

    def _oms_sorted_for_reservation(self):
        """Moves in the order they are served: the order's OMS priority (or the
        move's own star), then the order date."""

        def key(move):
            order = move.sale_line_id.order_id
            priority = max(int(order.oms_priority or 0), int(move.priority or 0))
            return (-priority, order.date_order or move.date, move.id)

        return self.browse([m.id for m in sorted(self, key=key)])

    def _action_assign(self, force_qty=False):
        """Serve the moves by priority then order date when stock is short (e.g.
        when stock arrives and waiting orders are reserved)."""
        return super(StockMove, self._oms_sorted_for_reservation())._action_assign(
            force_qty=force_qty
        )
