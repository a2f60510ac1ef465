from odoo import models

# fields of a move that its order's facts read whatever the move's state
OMS_FACT_MOVE_FIELDS = frozenset({"sale_line_id", "location_id", "location_dest_id"})
# fields read only from done moves (a reservation changes them on open moves)
OMS_FACT_DONE_MOVE_FIELDS = frozenset({"quantity", "date", "picking_id"})
# the facts tell open moves from done and cancelled ones, nothing in between
OMS_FACT_FINAL_STATES = frozenset({"done", "cancel"})


class StockMove(models.Model):
    """A move of a sales order that is created, done, cancelled, returned or
    edited refreshes the facts of the order.

    Reserving, unreserving and assigning open moves to pickings (the bulk of
    a confirmation's writes) changes nothing the facts read: not queued.
    """

    _name = "stock.move"
    _inherit = ["oms.order.fact.source", "stock.move"]

    _oms_fact_fields = OMS_FACT_MOVE_FIELDS | OMS_FACT_DONE_MOVE_FIELDS | {"state"}

    def _get_oms_fact_orders(self):
        return self.sale_line_id.order_id

    def _get_oms_fact_sources(self, vals):
        """Every move for the fields read in any state and for a move becoming
        done or cancelled, else the done and cancelled moves only."""
        if OMS_FACT_MOVE_FIELDS.intersection(vals) or (
            vals.get("state") in OMS_FACT_FINAL_STATES
        ):
            return self
        return self.filtered(lambda move: move.state in OMS_FACT_FINAL_STATES)
