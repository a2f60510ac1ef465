from odoo import api, fields, models
from odoo.tools import SQL


class OmsStockPromise(models.Model):
    """One row per (product, warehouse) promised by the review.

    The review holds ``pg_advisory_xact_lock(product, warehouse)`` while it
    reads the quantity available to promise and bumps this row's version when
    it promises stock. A concurrent review that read its snapshot before the
    other one committed then gets a serialization failure on this row (and is
    retried by Odoo) instead of promising the same last unit twice.
    """

    _name = "oms.stock.promise"
    _description = "Stock Promise Lock"
    _log_access = False

    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
    warehouse_id = fields.Many2one("stock.warehouse", required=True, ondelete="cascade")
    version = fields.Integer(default=0)

    _sql_constraints = [
        (
            "product_warehouse_uniq",
            "unique(product_id, warehouse_id)",
            "One promise row per product and warehouse.",
        ),
    ]

    @api.model
    def _lock(self, product_ids, warehouse_id):
        """Serialize the promises of these products in this warehouse.

        Takes the advisory locks in sorted order (no deadlock between two
        reviews), then touches the version rows so a stale snapshot fails.
        """
        self._lock_pairs((product_id, warehouse_id) for product_id in product_ids)

    @api.model
    def _lock_pairs(self, pairs):
        """Serialize the promises of these (product id, warehouse id) pairs.

        One global order for every caller, product then warehouse ids sorted,
        so that reviews reading several warehouses at once (sourcing) and
        reviews reading one never wait for each other in a cycle.
        """
        keys = sorted(set(pairs))
        if not keys:
            return
        product_ids = [product_id for product_id, _warehouse_id in keys]
        warehouse_ids = [warehouse_id for _product_id, warehouse_id in keys]
        # one statement each, in ascending key order (unnest keeps the array order)
        self.env.cr.execute(
            SQL(
                """SELECT pg_advisory_xact_lock(key.product_id, key.warehouse_id)
                     FROM unnest(%s::int[], %s::int[])
                          WITH ORDINALITY AS key(product_id, warehouse_id, n)
                 ORDER BY key.n""",
                product_ids,
                warehouse_ids,
            )
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO oms_stock_promise (product_id, warehouse_id, version)
                   SELECT key.product_id, key.warehouse_id, 1
                     FROM unnest(%s::int[], %s::int[])
                          WITH ORDINALITY AS key(product_id, warehouse_id, n)
                 ORDER BY key.n
                   ON CONFLICT (product_id, warehouse_id)
                   DO UPDATE SET version = oms_stock_promise.version + 1""",
                product_ids,
                warehouse_ids,
            ),
            # a stale snapshot fails here by design; the caller retries it
            log_exceptions=False,
        )
