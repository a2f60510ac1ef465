import hashlib
import logging
from datetime import time

import psycopg2.errors

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

_logger = logging.getLogger(__name__)

# exception codes with their own column; other codes count in exception_other_count
OMS_REPORT_EXCEPTION_CODES = (
    "credit_limit",
    "stock",
    "address",
    "price_floor",
    "discount_limit",
    "amount_threshold",
    "duplicate",
    "payment",
    "new_customer",
)
# tolerance when comparing quantities and amounts in SQL
QTY_EPSILON = 0.0001
AMOUNT_EPSILON = 0.005
# key of the transaction-level advisory lock that lets one refresh run at a time
OMS_FACT_LOCK = 0x0F5FAC7
# system parameter holding the hash of the facts' SQL the stored rows were built with
OMS_FACT_HASH_PARAM = "oms_reports.order_fact_sql_hash"
# an order's amounts in company currency: divided by its currency rate (alias so)
OMS_FACT_RATE = SQL(
    "CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate END"
)


class OmsOrderFact(models.Model):
    """The costly part of an order's handling history, one row per order:
    shipments, quantities, invoices, payments and exceptions aggregated from
    the stock, accounting and exception tables.

    Rows are a cache, never the truth: whatever changes an order's history
    queues the order (`oms.order.fact.queue`, insert-only so it never contends
    on a shared row) and readers compute the queued orders and the orders
    without a row live, from the same SQL (``_with_live_facts``). The cron
    ``_cron_refresh`` stores them and empties the queue. The figures are thus
    always exact; the cache only decides how much is computed at query time.
    Maintained by SQL only (no user writes).
    """

    _name = "oms.order.fact"
    _description = "Order Handling Facts"
    _log_access = False
    _rec_name = "order_id"

    order_id = fields.Many2one(
        "sale.order", required=True, readonly=True, ondelete="cascade"
    )
    # the order (copied: the KPIs read this table alone)
    company_id = fields.Many2one("res.company", readonly=True)
    channel_id = fields.Many2one("oms.channel", readonly=True)
    user_id = fields.Many2one("res.users", readonly=True)
    state = fields.Char(readonly=True)
    cancel_reason_id = fields.Many2one("oms.cancel.reason", readonly=True)
    is_auto_approved = fields.Boolean(readonly=True)
    touch_count = fields.Integer(readonly=True)
    amount_untaxed = fields.Float("Untaxed (company currency)", readonly=True)
    amount_total = fields.Float("Total (company currency)", readonly=True)
    # history
    date_ordered = fields.Datetime(readonly=True, index=True)
    date_reviewed = fields.Datetime(readonly=True)
    date_confirmed = fields.Datetime(readonly=True)
    date_promised = fields.Datetime(readonly=True)
    # the promised ship date the promise-kept measures read (no fallback)
    date_ship_promised = fields.Datetime("Promised Ship Date", readonly=True)
    date_first_shipment = fields.Datetime(readonly=True)
    date_fully_shipped = fields.Datetime(readonly=True)
    date_delivered = fields.Datetime(readonly=True)
    date_completed = fields.Datetime(readonly=True)
    delivery_count = fields.Integer(readonly=True)
    qty_ordered = fields.Float(readonly=True)
    qty_first_shipment = fields.Float(readonly=True)
    qty_delivered = fields.Float(readonly=True)
    qty_returned = fields.Float(readonly=True)
    line_count = fields.Integer(readonly=True)
    line_filled_count = fields.Integer(readonly=True)
    date_invoiced = fields.Date(readonly=True)
    date_last_payment = fields.Date(readonly=True)
    date_paid = fields.Date("Paid On (fully)", readonly=True)
    amount_invoiced = fields.Float("Invoiced (company currency)", readonly=True)
    is_invoice_right = fields.Boolean(readonly=True)
    # 0/1 measures and durations (those that do not depend on the time of reading)
    confirmed_count = fields.Integer(readonly=True)
    cancelled_count = fields.Integer(readonly=True)
    shipped_count = fields.Integer(readonly=True)
    completed_count = fields.Integer(readonly=True)
    on_time_count = fields.Integer(readonly=True)
    perfect_count = fields.Integer(readonly=True)
    touchless_count = fields.Integer(readonly=True)
    touched_count = fields.Integer(readonly=True)
    exception_order_count = fields.Integer(readonly=True)
    backorder_count = fields.Integer(readonly=True)
    returned_count = fields.Integer(readonly=True)
    review_time_h = fields.Float(readonly=True)
    order_to_ship_h = fields.Float(readonly=True)
    cycle_time_h = fields.Float(readonly=True)
    invoice_to_pay_h = fields.Float(readonly=True)
    exception_count = fields.Integer(readonly=True)
    exception_open_count = fields.Integer(readonly=True)
    exception_overridden_count = fields.Integer(readonly=True)
    exception_credit_limit_count = fields.Integer(readonly=True)
    exception_stock_count = fields.Integer(readonly=True)
    exception_address_count = fields.Integer(readonly=True)
    exception_price_count = fields.Integer(readonly=True)
    exception_amount_count = fields.Integer(readonly=True)
    exception_duplicate_count = fields.Integer(readonly=True)
    exception_payment_count = fields.Integer(readonly=True)
    exception_customer_count = fields.Integer(readonly=True)
    exception_other_count = fields.Integer(readonly=True)

    _sql_constraints = [
        ("order_uniq", "unique(order_id)", "An order has one row of facts."),
    ]

    def init(self):
        """Rebuild every row when the module is installed, and on an update
        when the SQL of the facts changed (its hash is kept in the system
        parameter ``OMS_FACT_HASH_PARAM``)."""
        res = super().init()
        digest = self._get_facts_hash()
        params = self.env["ir.config_parameter"].sudo()
        rebuild = params.get_param(OMS_FACT_HASH_PARAM) != digest
        if rebuild:
            _logger.info("Order facts: SQL changed, rebuilding every row")
            self.env.cr.execute("TRUNCATE oms_order_fact")
            self._refresh()
            params.set_param(OMS_FACT_HASH_PARAM, digest)
        # the roll-up per day, once the facts' columns it reads exist
        self.env["oms.order.fact.daily"]._rebuild_if_changed(force=rebuild)
        self._create_kpi_indexes()
        return res

    @api.model
    def _create_kpi_indexes(self):
        """Partial indexes on the few facts `oms.kpi` reads per order beside
        the roll-up per day: the completed orders by cycle time (the 90th
        percentile is read at its rank from the top; with the columns the
        filters read, so that the index alone answers), the confirmed orders
        not completed (late at the time of reading; by their promise: those
        promised today), the cancelled ones, those with exceptions (the
        breakdowns) and those with exceptions of codes the facts do not
        count one by one."""
        cr = self.env.cr
        indexes = {
            "oms_order_fact_cycle_idx": (
                [
                    "cycle_time_h",
                    "date_ordered",
                    "company_id",
                    "channel_id",
                    "user_id",
                    "state",
                    "order_id",
                ],
                "completed_count = 1",
            ),
            "oms_order_fact_open_idx": (
                ["date_ordered", "date_promised"],
                "state = 'sale' AND date_completed IS NULL",
            ),
            "oms_order_fact_open_promise_idx": (
                ["date_promised"],
                "state = 'sale' AND date_completed IS NULL",
            ),
            "oms_order_fact_exception_other_idx": (
                ["date_ordered"],
                "exception_price_count > 0 OR exception_other_count > 0",
            ),
            "oms_order_fact_cancelled_idx": (
                ["date_ordered"],
                "cancelled_count = 1",
            ),
            "oms_order_fact_exception_idx": (
                ["date_ordered"],
                "exception_order_count = 1",
            ),
        }
        for name, (expressions, where) in indexes.items():
            create_index(cr, name, "oms_order_fact", expressions, where=where)

    @api.model
    def _get_facts_hash(self):
        """The hash of the SQL that computes the facts (columns included).

        :rtype: str
        """
        sql = self._with_live_facts(SQL("SELECT 0 AS id"))
        text = repr((self._get_fact_columns(), sql.code, sql.params))
        return hashlib.sha256(text.encode()).hexdigest()

    # ------------------------------------------------------------------
    # SQL
    # ------------------------------------------------------------------
    @api.model
    def _get_fact_columns(self):
        """Hook: the stored columns, each selected by name from ``oms_live``.

        :rtype: list
        """
        return [
            name
            for name, field in self._fields.items()
            if field.store and name not in ("id", "order_id")
        ]

    @api.model
    def _with_live_facts(self, scope):
        """Hook: CTEs computing the facts of the orders ``scope`` from the raw
        tables, ending with ``oms_live`` (``order_id`` + ``_get_fact_columns``).

        Assembled from one part per stage of the flow, each overridable like
        the parts of Odoo's report models: the CTEs (``_with_fact_<stage>``),
        the columns of ``oms_live_base`` (``_select_fact_<stage>``) and their
        joins (``_from_fact_<stage>``) for the stages ``order``, ``shipments``,
        ``money`` and ``exceptions``, then the 0/1 measures and durations over
        ``oms_live_base`` (``_select_fact_measures``).

        :param SQL scope: a query of the order ids to compute (column ``id``)
        :return: the ``WITH`` list, without the keyword
        :rtype: SQL
        """
        stages = self._get_fact_stages()
        parts = [SQL("oms_scope AS MATERIALIZED (%s)", scope)]
        parts += [getattr(self, f"_with_fact_{stage}")() for stage in stages]
        selects = [getattr(self, f"_select_fact_{stage}")() for stage in stages]
        parts.append(
            SQL(
                "oms_live_base AS (SELECT so.id AS order_id, %s"
                " FROM sale_order so JOIN oms_scope scope ON scope.id = so.id %s)",
                SQL(", ").join(part for part in selects if part.code),
                SQL(" ").join(
                    getattr(self, f"_from_fact_{stage}")() for stage in stages
                ),
            )
        )
        parts.append(
            SQL(
                "oms_live AS (SELECT base.*, %s FROM oms_live_base base)",
                self._select_fact_measures(),
            )
        )
        return SQL(",").join(part for part in parts if part.code)

    @api.model
    def _get_fact_stages(self):
        """Hook: the stages of the flow whose ``_with_fact_<stage>``,
        ``_select_fact_<stage>`` and ``_from_fact_<stage>`` parts make up
        ``oms_live_base``.

        :rtype: list
        """
        return ["order", "shipments", "money", "exceptions"]

    # order ------------------------------------------------------------
    @api.model
    def _with_fact_order(self):
        """Hook: the CTEs of the order's own columns: the longest customer lead
        time of its lines (``oms_lead``), for the promised date.

        :rtype: SQL
        """
        return SQL(
            """
            oms_lead AS (
                SELECT order_id, MAX(customer_lead) AS lead_days
                  FROM sale_order_line sol
                  JOIN oms_scope scope ON scope.id = sol.order_id
                 WHERE sol.display_type IS NULL
                 GROUP BY order_id
            )
            """
        )

    @api.model
    def _select_fact_order(self):
        """Hook: the columns copied from the order (alias ``so``), its amounts
        in company currency and its review, confirmation and promised dates
        (the due date of the on-time rate: the delivery date committed to the
        customer, else the promised ship date, else the order date plus the
        customer lead time).

        :rtype: SQL
        """
        return SQL(
            """
            so.company_id,
            so.oms_channel_id AS channel_id,
            so.user_id,
            so.state,
            so.oms_cancel_reason_id AS cancel_reason_id,
            COALESCE(so.oms_auto_approved, FALSE) AS is_auto_approved,
            COALESCE(so.oms_touch_count, 0) AS touch_count,
            so.amount_untaxed / %(rate)s AS amount_untaxed,
            so.amount_total / %(rate)s AS amount_total,
            so.create_date AS date_ordered,
            so.oms_reviewed_date AS date_reviewed,
            CASE WHEN so.state = 'sale' THEN so.date_order END AS date_confirmed,
            COALESCE(
                so.commitment_date,
                so.oms_promised_date,
                so.date_order + COALESCE(lead.lead_days, 0) * INTERVAL '1 day'
            ) AS date_promised,
            %(ship_promised)s AS date_ship_promised
            """,
            rate=OMS_FACT_RATE,
            ship_promised=self.env["oms.order.report"]._get_promised_date_sql(),
        )

    @api.model
    def _from_fact_order(self):
        """Hook: the joins of ``_select_fact_order``.

        :rtype: SQL
        """
        return SQL("LEFT JOIN oms_lead lead ON lead.order_id = so.id")

    # shipments --------------------------------------------------------
    @api.model
    def _with_fact_shipments(self):
        """Hook: the CTEs of the shipments: the lines of goods (``oms_line``),
        their done moves to and from customers (``oms_move``), the shipments
        (``oms_ship``), the orders still to deliver (``oms_pending``) and the
        quantities (``oms_qty``).

        :rtype: SQL
        """
        return SQL(
            """
            oms_line AS (
                SELECT sol.id, sol.order_id, sol.product_uom_qty
                  FROM sale_order_line sol
                  JOIN oms_scope scope ON scope.id = sol.order_id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE sol.display_type IS NULL AND pt.type = 'consu'
            ),
            oms_move AS (
                SELECT line.order_id, sm.sale_line_id, sm.picking_id, sm.date,
                       dst.usage = 'customer' AS is_out, sm.quantity
                  FROM stock_move sm
                  JOIN oms_line line ON line.id = sm.sale_line_id
                  JOIN stock_location src ON src.id = sm.location_id
                  JOIN stock_location dst ON dst.id = sm.location_dest_id
                 WHERE sm.state = 'done'
                   AND (src.usage = 'customer') <> (dst.usage = 'customer')
            ),
            oms_ship AS (
                SELECT order_id, MIN(date) AS date_first, MAX(date) AS date_last,
                       (ARRAY_AGG(picking_id ORDER BY date, picking_id))[1]
                           AS first_picking_id,
                       COUNT(DISTINCT picking_id) AS delivery_count
                  FROM oms_move
                 WHERE is_out
                 GROUP BY order_id
            ),
            oms_pending AS (
                SELECT DISTINCT line.order_id
                  FROM stock_move sm
                  JOIN oms_line line ON line.id = sm.sale_line_id
                  JOIN stock_location dst ON dst.id = sm.location_dest_id
                 WHERE sm.state NOT IN ('done', 'cancel') AND dst.usage = 'customer'
            ),
            oms_line_qty AS (
                SELECT line.order_id, line.id, line.product_uom_qty,
                       COALESCE(SUM(mv.quantity) FILTER (
                           WHERE mv.is_out AND mv.picking_id = ship.first_picking_id
                       ), 0) AS qty_first,
                       COALESCE(SUM(mv.quantity) FILTER (WHERE mv.is_out), 0)
                           AS qty_out,
                       COALESCE(SUM(mv.quantity) FILTER (WHERE NOT mv.is_out), 0)
                           AS qty_in
                  FROM oms_line line
                  LEFT JOIN oms_ship ship ON ship.order_id = line.order_id
                  LEFT JOIN oms_move mv ON mv.sale_line_id = line.id
                 GROUP BY line.order_id, line.id, line.product_uom_qty
            ),
            oms_qty AS (
                SELECT order_id,
                       SUM(product_uom_qty) AS qty_ordered,
                       SUM(qty_first) AS qty_first,
                       SUM(qty_out) AS qty_out,
                       SUM(qty_in) AS qty_in,
                       COUNT(*) AS line_count,
                       COUNT(*) FILTER (
                           WHERE qty_first >= product_uom_qty - %(eps)s
                       ) AS line_filled_count
                  FROM oms_line_qty
                 GROUP BY order_id
            )
            """,
            eps=QTY_EPSILON,
        )

    @api.model
    def _select_fact_shipments(self):
        """Hook: the shipment dates and quantities of the order.

        :rtype: SQL
        """
        return SQL(
            """
            ship.date_first AS date_first_shipment,
            CASE WHEN pending.order_id IS NULL THEN ship.date_last
            END AS date_fully_shipped,
            so.oms_delivered_date AS date_delivered,
            CASE WHEN pending.order_id IS NULL AND ship.date_last IS NOT NULL
                 THEN GREATEST(ship.date_last, so.oms_delivered_date)
            END AS date_completed,
            COALESCE(ship.delivery_count, 0) AS delivery_count,
            COALESCE(qty.qty_ordered, 0) AS qty_ordered,
            COALESCE(qty.qty_first, 0) AS qty_first_shipment,
            COALESCE(qty.qty_out, 0) AS qty_delivered,
            COALESCE(qty.qty_in, 0) AS qty_returned,
            COALESCE(qty.line_count, 0) AS line_count,
            COALESCE(qty.line_filled_count, 0) AS line_filled_count
            """
        )

    @api.model
    def _from_fact_shipments(self):
        """Hook: the joins of ``_select_fact_shipments``.

        :rtype: SQL
        """
        return SQL(
            """
            LEFT JOIN oms_ship ship ON ship.order_id = so.id
            LEFT JOIN oms_pending pending ON pending.order_id = so.id
            LEFT JOIN oms_qty qty ON qty.order_id = so.id
            """
        )

    # money ------------------------------------------------------------
    @api.model
    def _with_fact_money(self):
        """Hook: the CTEs of the money: the posted customer invoices and credit
        notes (``oms_invoice``), their last payment (``oms_paid``), per order
        (``oms_money``).

        :rtype: SQL
        """
        return SQL(
            """
            oms_invoice AS (
                SELECT DISTINCT sol.order_id, am.id, am.move_type, am.invoice_date,
                       am.amount_total_in_currency_signed AS amount, am.payment_state
                  FROM sale_order_line_invoice_rel rel
                  JOIN sale_order_line sol ON sol.id = rel.order_line_id
                  JOIN oms_scope scope ON scope.id = sol.order_id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move am ON am.id = aml.move_id
                 WHERE am.state = 'posted'
                   AND am.move_type IN ('out_invoice', 'out_refund')
            ),
            oms_paid AS (
                SELECT aml.move_id, MAX(apr.max_date) AS date_paid
                  FROM account_move_line aml
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 WHERE aml.move_id IN (SELECT id FROM oms_invoice)
                   AND aml.display_type = 'payment_term'
                 GROUP BY aml.move_id
            ),
            oms_money AS (
                SELECT inv.order_id,
                       MIN(inv.invoice_date) FILTER (
                           WHERE inv.move_type = 'out_invoice'
                       ) AS date_invoiced,
                       SUM(inv.amount) AS amount_invoiced,
                       COUNT(*) FILTER (WHERE inv.move_type = 'out_refund')
                           AS refund_count,
                       BOOL_AND(inv.payment_state IN ('paid', 'in_payment')) FILTER (
                           WHERE inv.move_type = 'out_invoice'
                       ) AS is_paid,
                       MAX(paid.date_paid) AS date_paid
                  FROM oms_invoice inv
                  LEFT JOIN oms_paid paid ON paid.move_id = inv.id
                 GROUP BY inv.order_id
            )
            """
        )

    @api.model
    def _select_fact_money(self):
        """Hook: the invoice and payment dates and amounts of the order.

        :rtype: SQL
        """
        return SQL(
            """
            money.date_invoiced,
            money.date_paid AS date_last_payment,
            CASE WHEN money.is_paid THEN money.date_paid END AS date_paid,
            COALESCE(money.amount_invoiced, 0) / %(rate)s AS amount_invoiced,
            COALESCE(money.refund_count, 0) = 0
                AND ABS(COALESCE(money.amount_invoiced, 0) - so.amount_total)
                    < %(amount_eps)s AS is_invoice_right
            """,
            rate=OMS_FACT_RATE,
            amount_eps=AMOUNT_EPSILON,
        )

    @api.model
    def _from_fact_money(self):
        """Hook: the joins of ``_select_fact_money``.

        :rtype: SQL
        """
        return SQL("LEFT JOIN oms_money money ON money.order_id = so.id")

    # exceptions -------------------------------------------------------
    @api.model
    def _with_fact_exceptions(self):
        """Hook: the CTE of the exceptions of the order by state and code
        (``oms_exc``).

        :rtype: SQL
        """
        return SQL(
            """
            oms_exc AS (
                SELECT order_id,
                       COUNT(*) AS total,
                       COUNT(*) FILTER (WHERE state = 'open') AS open,
                       COUNT(*) FILTER (WHERE state = 'overridden') AS overridden,
                       COUNT(*) FILTER (WHERE code = 'credit_limit') AS credit_limit,
                       COUNT(*) FILTER (WHERE code = 'stock') AS stock,
                       COUNT(*) FILTER (WHERE code = 'address') AS address,
                       COUNT(*) FILTER (
                           WHERE code IN ('price_floor', 'discount_limit')
                       ) AS price,
                       COUNT(*) FILTER (WHERE code = 'amount_threshold') AS amount,
                       COUNT(*) FILTER (WHERE code = 'duplicate') AS duplicate,
                       COUNT(*) FILTER (WHERE code = 'payment') AS payment,
                       COUNT(*) FILTER (WHERE code = 'new_customer') AS customer,
                       COUNT(*) FILTER (WHERE code NOT IN %(known)s) AS other
                  FROM oms_exception exception
                  JOIN oms_scope scope ON scope.id = exception.order_id
                 GROUP BY order_id
            )
            """,
            known=OMS_REPORT_EXCEPTION_CODES,
        )

    @api.model
    def _select_fact_exceptions(self):
        """Hook: the exception counts of the order.

        :rtype: SQL
        """
        return SQL(
            """
            COALESCE(exc.total, 0) AS exception_count,
            COALESCE(exc.open, 0) AS exception_open_count,
            COALESCE(exc.overridden, 0) AS exception_overridden_count,
            COALESCE(exc.credit_limit, 0) AS exception_credit_limit_count,
            COALESCE(exc.stock, 0) AS exception_stock_count,
            COALESCE(exc.address, 0) AS exception_address_count,
            COALESCE(exc.price, 0) AS exception_price_count,
            COALESCE(exc.amount, 0) AS exception_amount_count,
            COALESCE(exc.duplicate, 0) AS exception_duplicate_count,
            COALESCE(exc.payment, 0) AS exception_payment_count,
            COALESCE(exc.customer, 0) AS exception_customer_count,
            COALESCE(exc.other, 0) AS exception_other_count
            """
        )

    @api.model
    def _from_fact_exceptions(self):
        """Hook: the joins of ``_select_fact_exceptions``.

        :rtype: SQL
        """
        return SQL("LEFT JOIN oms_exc exc ON exc.order_id = so.id")

    # measures ---------------------------------------------------------
    @api.model
    def _select_fact_measures(self):
        """Hook: the 0/1 measures and the durations that do not depend on the
        time of reading, over the columns of ``oms_live_base``.

        :rtype: SQL
        """
        return SQL(
            """
            (state = 'sale')::int AS confirmed_count,
            (state = 'cancel')::int AS cancelled_count,
            (state = 'sale' AND date_first_shipment IS NOT NULL)::int
                AS shipped_count,
            (state = 'sale' AND date_completed IS NOT NULL)::int AS completed_count,
            COALESCE(state = 'sale' AND date_completed <= date_promised,
                     FALSE)::int AS on_time_count,
            COALESCE(
                state = 'sale' AND date_completed <= date_promised
                AND line_filled_count >= line_count AND qty_returned = 0
                AND touch_count = 0 AND is_invoice_right,
                FALSE
            )::int AS perfect_count,
            (state = 'sale' AND is_auto_approved AND touch_count = 0)::int
                AS touchless_count,
            (touch_count > 0)::int AS touched_count,
            (exception_count > 0)::int AS exception_order_count,
            (state = 'sale' AND date_first_shipment IS NOT NULL
             AND line_filled_count < line_count)::int AS backorder_count,
            (state = 'sale' AND qty_returned > 0)::int AS returned_count,
            DATE_PART('epoch', date_reviewed - date_ordered) / 3600.0
                AS review_time_h,
            DATE_PART('epoch', date_first_shipment - date_ordered) / 3600.0
                AS order_to_ship_h,
            DATE_PART('epoch', date_completed - date_ordered) / 3600.0
                AS cycle_time_h,
            (date_last_payment - date_invoiced) * 24.0 AS invoice_to_pay_h
            """
        )

    @api.model
    def _get_stale_orders_sql(self, orders=None, with_missing=True):
        """Hook: the orders whose stored facts cannot be used: every queued one
        (the queue is short: what changed since the last refresh) and, with
        ``with_missing``, the ones of ``orders`` without a row, e.g. inserted
        by SQL since the last refresh (orders created through the ORM are
        queued).

        :param SQL orders: look for missing rows among these order ids only (a
            query, column ``id``; ``None``: every order)
        :param bool with_missing: look for orders without a row (a full scan)
        :rtype: SQL
        """
        queued = SQL("SELECT DISTINCT order_id AS id FROM oms_order_fact_queue")
        if not with_missing:
            return queued
        return SQL(
            """
            %(queued)s
            UNION
            SELECT so.id FROM sale_order so
             WHERE %(orders)s AND NOT EXISTS (
                   SELECT FROM oms_order_fact fact WHERE fact.order_id = so.id)
            """,
            queued=queued,
            orders=SQL("so.id IN (%s)", orders) if orders else SQL("TRUE"),
        )

    @api.model
    def _get_facts_sql(self):
        """Hook: the exact facts of every order: the stored rows of the orders
        not queued, plus the live rows of ``oms_live``. Needs the CTEs of
        ``_with_live_facts(self._get_stale_orders_sql())``.

        :rtype: SQL
        """
        columns = SQL(", ").join(
            SQL.identifier(column) for column in ["order_id", *self._get_fact_columns()]
        )
        return SQL(
            """
            SELECT %(columns)s FROM oms_order_fact stored
             WHERE NOT EXISTS (
                   SELECT FROM oms_order_fact_queue queue
                    WHERE queue.order_id = stored.order_id)
            UNION ALL
            SELECT %(columns)s FROM oms_live
            """,
            columns=columns,
        )

    @api.model
    def _get_queue_size(self):
        """The number of queue entries (orders computed live by readers)."""
        self.env.cr.execute("SELECT COUNT(*) FROM oms_order_fact_queue")
        return self.env.cr.fetchone()[0]

    @api.model
    def _has_missing(self, start, stop):
        """Whether some orders received in [start, stop[ have neither a stored
        row nor a place in the queue (e.g. inserted by SQL since the last
        refresh), by counting: cheaper than looking for them. The stored facts
        of whole days are counted from the roll-up per day (its ``orders``:
        every stored fact, refreshed with them); a count that differs (e.g.
        deleted orders not refreshed yet) only sends the readers to look.

        :rtype: bool
        """
        stored = SQL(
            "SELECT COUNT(*) FROM oms_order_fact"
            " WHERE date_ordered >= %s AND date_ordered < %s",
            start,
            stop,
        )
        if start.time() == stop.time() == time.min:
            stored = SQL(
                "SELECT COALESCE(SUM(orders), 0) FROM oms_order_fact_daily"
                " WHERE day >= %s AND day < %s",
                start.date(),
                stop.date(),
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT (SELECT COUNT(*) FROM sale_order
                         WHERE create_date >= %(start)s AND create_date < %(stop)s)
                     - (%(stored)s)
                     - (SELECT COUNT(DISTINCT queue.order_id)
                          FROM oms_order_fact_queue queue
                          JOIN sale_order so ON so.id = queue.order_id
                         WHERE so.create_date >= %(start)s AND so.create_date < %(stop)s
                           AND NOT EXISTS (SELECT FROM oms_order_fact fact
                                            WHERE fact.order_id = queue.order_id))
                """,
                start=start,
                stop=stop,
                stored=stored,
            )
        )
        return self.env.cr.fetchone()[0] != 0

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------
    @api.model
    def _refresh(self):
        """Store the facts of the queued orders and of the orders without a
        row, recompute the days they count in (`oms.order.fact.daily`: the
        days of their old rows and of their new ones), and empty the queue of
        what was stored. One refresh at a time;
        a concurrent one (or a serialization conflict) leaves the work to the
        next run, readers stay exact meanwhile.

        :return: the number of orders refreshed, ``None`` when skipped
        """
        cr = self.env.cr
        self.env.flush_all()
        self.env["oms.order.fact.queue"]._forget_created()
        try:
            with cr.savepoint(flush=False):
                cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", OMS_FACT_LOCK))
                if not cr.fetchone()[0]:
                    return None
                cr.execute(
                    """
                    DELETE FROM oms_order_fact_queue WHERE id IN (
                        SELECT id FROM oms_order_fact_queue FOR UPDATE SKIP LOCKED)
                    RETURNING order_id
                    """
                )
                claimed = [row[0] for row in cr.fetchall()]
                scope = SQL(
                    "SELECT UNNEST(%s::int[]) AS id UNION %s",
                    claimed,
                    SQL(
                        "SELECT so.id FROM sale_order so WHERE NOT EXISTS ("
                        "SELECT FROM oms_order_fact fact WHERE fact.order_id = so.id)"
                    ),
                )
                cr.execute(
                    SQL(
                        "SELECT DISTINCT date_ordered::date FROM oms_order_fact"
                        " WHERE order_id = ANY(%s::int[])",
                        claimed,
                    )
                )
                days = {row[0] for row in cr.fetchall()}
                columns = self._get_fact_columns()
                cr.execute(
                    SQL(
                        """
                        WITH %s
                        INSERT INTO oms_order_fact (order_id, %s)
                        SELECT order_id, %s FROM oms_live
                        ON CONFLICT (order_id) DO UPDATE SET %s
                        RETURNING date_ordered::date
                        """,
                        self._with_live_facts(scope),
                        SQL(", ").join(map(SQL.identifier, columns)),
                        SQL(", ").join(map(SQL.identifier, columns)),
                        SQL(", ").join(
                            SQL(
                                "%s = EXCLUDED.%s", SQL.identifier(c), SQL.identifier(c)
                            )
                            for c in columns
                        ),
                    )
                )
                count = cr.rowcount
                days.update(row[0] for row in cr.fetchall())
                Daily = self.env["oms.order.fact.daily"]
                Daily._refresh_days(days)
                cr.execute(
                    SQL(
                        "SELECT EXISTS (SELECT FROM UNNEST(%s::int[]) queued(id)"
                        " WHERE NOT EXISTS (SELECT FROM sale_order so"
                        " WHERE so.id = queued.id))",
                        claimed,
                    )
                )
                if cr.fetchone()[0]:
                    # deleted orders: their facts went with them
                    Daily._refresh_mismatched_days()
        except psycopg2.errors.SerializationFailure:
            _logger.info("Order facts: concurrent update, refresh left to next run")
            return None
        self.invalidate_model()
        return count

    @api.model
    def _cron_refresh(self):
        """Cron: store the facts of the orders changed since the last run."""
        count = self._refresh()
        _logger.info("Order facts refreshed: %s orders", count)
