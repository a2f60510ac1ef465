from odoo import api, fields, models
from odoo.tools import SQL


class OmsOrderFactQueue(models.Model):
    """Orders whose `oms.order.fact` row is stale, until the next refresh.

    Insert-only from the hot paths (a plain integer, no foreign key, no unique
    key: concurrent transactions never wait on each other or on the order row);
    the refresh deletes the rows it has processed. Maintained by SQL only.
    """

    _name = "oms.order.fact.queue"
    _description = "Order Facts to Refresh"
    _log_access = False

    order_id = fields.Integer(required=True, index=True, readonly=True)

    @api.model
    def _enqueue(self, orders):
        """Mark the facts of ``orders`` (`sale.order` records) stale."""
        if orders.ids:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO oms_order_fact_queue (order_id)"
                    " SELECT UNNEST(%s::int[])",
                    sorted(set(orders.ids)),
                )
            )
