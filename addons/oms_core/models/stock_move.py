from odoo import models


class StockMove(models.Model):
    """Reservation by order priority; stock arrival releases the orders
    waiting for it (re-review)."""

    _inherit = "stock.move"

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
        when stock arrives and waiting orders are reserved). The deliveries whose
        reservation a hold released are not reserved until the hold ends
        (``stock.picking.oms_hold_unreserved``)."""
        moves = self._oms_sorted_for_reservation()
        held = moves.filtered(lambda m: m.picking_id.oms_hold_unreserved)
        return super(StockMove, moves - held)._action_assign(force_qty=force_qty)

    def write(self, vals):
        """A receipt or transfer rescheduled re-promises the orders waiting
        for it (``sale.order._oms_repromise``)."""
        result = super().write(vals)
        if "date" in vals:
            self._oms_repromise_incoming()
        return result

    def _oms_repromise_incoming(self):
        """Re-promise the orders needing the products of these moves, when
        they bring storable goods into a warehouse from outside it."""
        incoming = self.filtered(
            lambda m: (
                m.state not in ("draft", "done", "cancel")
                and m.product_id.is_storable
                and m.location_dest_id.usage == "internal"
                and m.location_dest_id.warehouse_id
                and m.location_id.warehouse_id != m.location_dest_id.warehouse_id
            )
        )
        for warehouse, moves in incoming.grouped(
            lambda m: m.location_dest_id.warehouse_id
        ).items():
            self.env["sale.order"]._oms_repromise(warehouse, moves.product_id)

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
