from odoo import api, models

# fields of a move that its order's facts read whatever the move's state
OMS_FACT_MOVE_FIELDS = {"sale_line_id", "location_id", "location_dest_id"}
# fields read only from done moves (a reservation changes them on open moves)
OMS_FACT_DONE_MOVE_FIELDS = {"quantity", "date", "picking_id"}
# the facts tell open moves from done and cancelled ones, nothing in between
OMS_FACT_FINAL_STATES = {"done", "cancel"}


class StockMove(models.Model):
    """Keep `oms.order.fact` fresh: queue the sales order of a move that is
    created, done, cancelled, returned or edited (cache invalidation only).

    Reserving, unreserving and assigning open moves to pickings (the bulk of
    a confirmation's writes) changes nothing the facts read: not queued.
    """

    _inherit = "stock.move"

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        self.env["oms.order.fact.queue"]._enqueue(moves.sale_line_id.order_id)
        return moves

    def write(self, vals):
        if OMS_FACT_MOVE_FIELDS.intersection(vals) or (
            vals.get("state") in OMS_FACT_FINAL_STATES
        ):
            moves = self
        elif "state" in vals or OMS_FACT_DONE_MOVE_FIELDS.intersection(vals):
            moves = self.filtered(lambda move: move.state in OMS_FACT_FINAL_STATES)
        else:
            moves = self.browse()
        orders = moves.sale_line_id.order_id
        res = super().write(vals)
        if moves:
            self.env["oms.order.fact.queue"]._enqueue(
                orders | moves.sale_line_id.order_id
            )
        return res

    def unlink(self):
        self.env["oms.order.fact.queue"]._enqueue(self.sale_line_id.order_id)
        return super().unlink()
