from odoo import api, fields, models
from odoo.tools import SQL

# key, in the transaction's precommit data, of the ids of the orders created and
# queued in this transaction: their later changes need no second queue entry
OMS_FACT_CREATED_KEY = "oms_reports.fact_queue_created_order_ids"


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
    def _enqueue(self, orders, created=False):
        """Mark the facts of ``orders`` (`sale.order` records) stale.

        The orders created in the current transaction are queued once: their
        queue entry and the order itself are written, and rolled back, together,
        until the transaction ends (commit, rollback or ``cr.flush()`` clear
        the transaction's precommit data) or a refresh consumes the queue.

        :param bool created: ``orders`` were created just now
        """
        created_ids = self.env.cr.precommit.data.setdefault(OMS_FACT_CREATED_KEY, set())
        ids = set(orders.ids)
        if created:
            created_ids.update(ids)
        else:
            ids -= created_ids
        if ids:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO oms_order_fact_queue (order_id)"
                    " SELECT UNNEST(%s::int[])",
                    sorted(ids),
                )
            )

    @api.model
    def _forget_created(self):
        """Forget the orders created in this transaction (before a refresh
        consumes their queue entries): their next change queues them again."""
        self.env.cr.precommit.data.pop(OMS_FACT_CREATED_KEY, None)
