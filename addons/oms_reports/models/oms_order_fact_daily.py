import hashlib
import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# system parameter holding the hash of the roll-up's SQL the stored rows were built with
OMS_FACT_DAILY_HASH_PARAM = "oms_reports.order_fact_daily_sql_hash"
# the day the open invoices' ages are counted from (any fixed day will do)
OMS_DSO_EPOCH = "2000-01-01"
# the exception codes the facts count one by one: {code: column of the facts};
# the roll-up sums them (the exceptions Pareto), the other codes are read per
# order
OMS_DAILY_EXCEPTION_CODES = {
    "credit_limit": "exception_credit_limit_count",
    "stock": "exception_stock_count",
    "address": "exception_address_count",
    "amount_threshold": "exception_amount_count",
    "duplicate": "exception_duplicate_count",
    "payment": "exception_payment_count",
    "new_customer": "exception_customer_count",
}


class OmsOrderFactDaily(models.Model):
    """The stored order facts summed per day (UTC, of ``date_ordered``) and per
    company, channel and salesperson: what `oms.kpi` reads for a period
    instead of one row per order.

    Only sums and counts, so that every KPI the roll-up serves is a ratio of
    sums, exact for any set of days (an average is a sum over a count, never
    an average of averages). Measures that depend on the time of reading are
    split into what is fixed (the late shipments already completed, the age
    of open invoices counted from ``OMS_DSO_EPOCH``) and what `oms.kpi` adds
    at read time.

    A cache of the stored facts, as they are a cache of the orders: the
    facts' refresh recomputes the rows of every day it touched, in SQL and
    under its own lock (one refresh at a time across workers), in the same
    transaction. Readers correct the rows with the queued orders (their
    stored facts out, their live facts in), so the KPIs stay exact between
    two refreshes. Maintained by SQL only (no user writes).
    """

    _name = "oms.order.fact.daily"
    _description = "Order Facts per Day"
    _log_access = False
    _order = "day desc"

    day = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True)
    channel_id = fields.Many2one("oms.channel", readonly=True)
    user_id = fields.Many2one("res.users", readonly=True)
    # breakdowns: a row per value among the cancelled / open orders of its day
    cancel_reason_id = fields.Many2one("oms.cancel.reason", readonly=True)
    open_promise_day = fields.Date("Promise Day of the Open Orders", readonly=True)
    orders = fields.Integer(readonly=True)
    confirmed = fields.Integer(readonly=True)
    cancelled = fields.Integer(readonly=True)
    revenue = fields.Float(readonly=True)
    on_time = fields.Integer(readonly=True)
    late_completed = fields.Integer("Completed Late", readonly=True)
    completed = fields.Integer(readonly=True)
    perfect = fields.Integer(readonly=True)
    shipped = fields.Integer(readonly=True)
    lines_filled = fields.Integer(readonly=True)
    lines_shipped = fields.Integer(readonly=True)
    cycle_sum = fields.Float("Cycle Time Sum (h)", readonly=True)
    cycle_count = fields.Integer(readonly=True)
    review_sum = fields.Float("Review Time Sum (h)", readonly=True)
    review_count = fields.Integer(readonly=True)
    with_exception = fields.Integer(readonly=True)
    touchless = fields.Integer(readonly=True)
    touched = fields.Integer(readonly=True)
    backorders = fields.Integer(readonly=True)
    returned = fields.Integer(readonly=True)
    dso_amount = fields.Float("Invoiced for DSO", readonly=True)
    dso_paid_weighted = fields.Float("Paid Amount x Days", readonly=True)
    dso_open_amount = fields.Float("Open Invoiced Amount", readonly=True)
    dso_open_weighted = fields.Float("Open Amount x Invoice Day", readonly=True)
    promised = fields.Integer(readonly=True)
    promise_kept = fields.Integer(readonly=True)
    exception_total = fields.Integer(readonly=True)
    delivery_total = fields.Integer(readonly=True)
    touch_total = fields.Integer(readonly=True)
    open_orders = fields.Integer(readonly=True)
    exception_credit_limit = fields.Integer(readonly=True)
    exception_stock = fields.Integer(readonly=True)
    exception_address = fields.Integer(readonly=True)
    exception_amount_threshold = fields.Integer(readonly=True)
    exception_duplicate = fields.Integer(readonly=True)
    exception_payment = fields.Integer(readonly=True)
    exception_new_customer = fields.Integer(readonly=True)

    def _rebuild_if_changed(self, force=False):
        """Rebuild every row when the SQL of the roll-up changed (its hash is
        kept in the system parameter ``OMS_FACT_DAILY_HASH_PARAM``), or when
        ``force``. Called by the facts' init(): the roll-up reads their columns,
        which an update adds only when the facts' table is set up, after this
        model's own."""
        digest = hashlib.sha256(
            repr(
                (
                    self._get_daily_dimensions(),
                    [
                        (k, v.code, v.params)
                        for k, v in self._get_daily_breakdowns().items()
                    ],
                    [
                        (k, v.code, v.params)
                        for k, v in self._get_daily_measures().items()
                    ],
                    self.env["oms.order.report"]._where_oms().code,
                )
            ).encode()
        ).hexdigest()
        params = self.env["ir.config_parameter"].sudo()
        if force or params.get_param(OMS_FACT_DAILY_HASH_PARAM) != digest:
            _logger.info("Order facts per day: SQL changed, rebuilding every row")
            self._rebuild()
            params.set_param(OMS_FACT_DAILY_HASH_PARAM, digest)

    # ------------------------------------------------------------------
    # SQL
    # ------------------------------------------------------------------
    @api.model
    def _get_daily_dimensions(self):
        """Hook: the columns of the facts a row is kept per (beside the day):
        those the KPIs filter on (the report's domain and record rules).

        :rtype: list
        """
        return ["company_id", "channel_id", "user_id"]

    @api.model
    def _get_daily_breakdowns(self):
        """Hook: the keys a row is also kept per, as the SQL of one order's
        value over a fact row (alias ``fact``, stored or live), ``NULL`` for
        the orders they do not break down (so that most days keep one row
        per dimensions): the reason of the cancelled orders (the
        cancellation reasons) and the promise day of the confirmed orders
        not completed (late at the time of reading: those promised before
        today, the ones promised today are read per order).

        :return: {column: SQL}
        :rtype: dict
        """
        return {
            "cancel_reason_id": SQL(
                "CASE WHEN fact.cancelled_count = 1 THEN fact.cancel_reason_id END"
            ),
            "open_promise_day": SQL(
                "CASE WHEN fact.state = 'sale' AND fact.date_completed IS NULL"
                " THEN fact.date_promised::date END"
            ),
        }

    @api.model
    def _get_daily_measures(self):
        """Hook: each measure of a row as the SQL of one order's contribution,
        over a fact row (alias ``fact``, stored or live) alone: the same SQL
        builds the rows and corrects them with the queued orders at read time.

        :return: {column: SQL}
        :rtype: dict
        """
        invoiced = SQL(
            "(fact.confirmed_count = 1 AND fact.date_invoiced IS NOT NULL"
            " AND fact.amount_invoiced > 0)"
        )
        return {
            "orders": SQL("1"),
            "confirmed": SQL("fact.confirmed_count"),
            "cancelled": SQL("fact.cancelled_count"),
            "revenue": SQL(
                "CASE WHEN fact.confirmed_count = 1 THEN fact.amount_untaxed END"
            ),
            "on_time": SQL("fact.on_time_count"),
            "late_completed": SQL(
                "COALESCE(fact.state = 'sale'"
                " AND fact.date_completed > fact.date_promised, FALSE)::int"
            ),
            "completed": SQL("fact.completed_count"),
            "perfect": SQL("fact.perfect_count"),
            "shipped": SQL("fact.shipped_count"),
            "lines_filled": SQL(
                "CASE WHEN fact.shipped_count = 1 THEN fact.line_filled_count END"
            ),
            "lines_shipped": SQL(
                "CASE WHEN fact.shipped_count = 1 THEN fact.line_count END"
            ),
            "cycle_sum": SQL(
                "CASE WHEN fact.completed_count = 1 THEN fact.cycle_time_h END"
            ),
            "cycle_count": SQL(
                "(fact.completed_count = 1 AND fact.cycle_time_h IS NOT NULL)::int"
            ),
            "review_sum": SQL("fact.review_time_h"),
            "review_count": SQL("(fact.review_time_h IS NOT NULL)::int"),
            "with_exception": SQL("fact.exception_order_count"),
            "touchless": SQL("fact.touchless_count"),
            "touched": SQL("fact.touched_count"),
            "backorders": SQL("fact.backorder_count"),
            "returned": SQL("fact.returned_count"),
            "dso_amount": SQL("CASE WHEN %s THEN fact.amount_invoiced END", invoiced),
            "dso_paid_weighted": SQL(
                "CASE WHEN %s AND fact.date_paid IS NOT NULL"
                " THEN fact.amount_invoiced * (fact.date_paid - fact.date_invoiced)"
                " END",
                invoiced,
            ),
            "dso_open_amount": SQL(
                "CASE WHEN %s AND fact.date_paid IS NULL THEN fact.amount_invoiced END",
                invoiced,
            ),
            "dso_open_weighted": SQL(
                "CASE WHEN %s AND fact.date_paid IS NULL"
                " THEN fact.amount_invoiced * (fact.date_invoiced - DATE %s) END",
                invoiced,
                OMS_DSO_EPOCH,
            ),
            "promised": SQL(
                "COALESCE(fact.completed_count = 1"
                " AND fact.date_ship_promised IS NOT NULL, FALSE)::int"
            ),
            "promise_kept": SQL(
                "COALESCE(fact.completed_count = 1"
                " AND fact.date_fully_shipped <= fact.date_ship_promised, FALSE)::int"
            ),
            "exception_total": SQL("fact.exception_count"),
            "delivery_total": SQL("fact.delivery_count"),
            "touch_total": SQL("fact.touch_count"),
            "open_orders": SQL(
                "(fact.state = 'sale' AND fact.date_completed IS NULL)::int"
            ),
            **{
                f"exception_{code}": SQL(
                    "CASE WHEN fact.exception_order_count = 1 THEN %s ELSE 0 END",
                    SQL.identifier("fact", column),
                )
                for code, column in OMS_DAILY_EXCEPTION_CODES.items()
            },
        }

    @api.model
    def _get_daily_sums_sql(self):
        """The aggregates of the measures over fact rows (alias ``fact``), in
        the order of ``_get_daily_measures``.

        :rtype: SQL
        """
        return SQL(", ").join(
            SQL("COALESCE(SUM(%s), 0)", measure)
            for measure in self._get_daily_measures().values()
        )

    @api.model
    def _insert_days(self, days=None):
        """(Re)insert the rows of ``days`` (all days: ``None``) from the stored
        facts; their old rows must be gone."""
        dimensions = self._get_daily_dimensions()
        breakdowns = self._get_daily_breakdowns()
        columns = ["day", *dimensions, *breakdowns, *self._get_daily_measures()]
        keys = SQL(", ").join(
            [
                *(SQL.identifier("fact", column) for column in dimensions),
                *breakdowns.values(),
            ]
        )
        if days is None:
            scope = SQL("fact.date_ordered IS NOT NULL")
        else:
            # one range per day: the facts' index on date_ordered serves it
            scope = SQL(
                "fact.date_ordered >= days.day AND fact.date_ordered < days.day + 1",
            )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO oms_order_fact_daily (%(columns)s)
                SELECT fact.date_ordered::date, %(keys)s, %(sums)s
                  FROM oms_order_fact fact %(days)s
                 WHERE %(scope)s AND %(where)s
                 GROUP BY fact.date_ordered::date, %(keys)s
                """,
                columns=SQL(", ").join(map(SQL.identifier, columns)),
                keys=keys,
                sums=self._get_daily_sums_sql(),
                days=SQL("JOIN UNNEST(%s::date[]) days(day) ON TRUE", sorted(days))
                if days is not None
                else SQL(),
                scope=scope,
                where=self.env["oms.order.report"]._where_oms(),
            )
        )

    # ------------------------------------------------------------------
    # Refresh (called by the facts' refresh, under its lock)
    # ------------------------------------------------------------------
    @api.model
    def _refresh_days(self, days):
        """Recompute the rows of ``days`` from the stored facts. Called by
        `oms.order.fact` within its refresh (its advisory lock makes the
        writers one at a time).

        :param days: dates (``datetime.date``)
        """
        days = {day for day in days if day}
        if not days:
            return
        self.env.cr.execute(
            SQL(
                "DELETE FROM oms_order_fact_daily WHERE day = ANY(%s::date[])",
                sorted(days),
            )
        )
        self._insert_days(days)
        self.invalidate_model()

    @api.model
    def _refresh_mismatched_days(self):
        """Recompute the days whose rows do not count the stored facts they
        sum, e.g. after orders were deleted (their facts went with them, and
        with them the day they counted in). A full pass: for such rare cases.
        """
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(facts.day, daily.day)
                  FROM (SELECT date_ordered::date AS day, COUNT(*) AS n
                          FROM oms_order_fact fact
                         WHERE date_ordered IS NOT NULL AND %s
                         GROUP BY 1) facts
                  FULL JOIN (SELECT day, SUM(orders) AS n
                               FROM oms_order_fact_daily GROUP BY day) daily
                    ON daily.day = facts.day
                 WHERE facts.n IS DISTINCT FROM daily.n
                """,
                self.env["oms.order.report"]._where_oms(),
            )
        )
        self._refresh_days([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _rebuild(self):
        """Recompute every row from the stored facts."""
        self.env.cr.execute("TRUNCATE oms_order_fact_daily")
        self._insert_days()
        self.invalidate_model()
