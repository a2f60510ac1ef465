import math
from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .oms_order_fact_daily import OMS_DAILY_EXCEPTION_CODES, OMS_DSO_EPOCH

# the contract keys of get_kpis, in display order
OMS_KPI_KEYS = [
    "orders",
    "revenue",
    "aov",
    "perfect_order_rate",
    "on_time_rate",
    "fill_rate",
    "cycle_time_avg_h",
    "cycle_time_p90_h",
    "review_time_avg_h",
    "cancellation_rate",
    "exception_rate",
    "touchless_rate",
    "manual_intervention_rate",
    "backorder_rate",
    "return_rate",
    "dso_days",
    "promise_kept_rate",
    "order_accuracy_rate",
    "cost_per_order",
    "csat",
    "nps",
]
# the KPIs for which lower is better (a rise is bad news); higher is better for
# every other KPI. The dashboard colours the trends by it.
OMS_KPI_LOWER_IS_BETTER = frozenset(
    {
        "cycle_time_avg_h",
        "cycle_time_p90_h",
        "review_time_avg_h",
        "cancellation_rate",
        "exception_rate",
        "manual_intervention_rate",
        "backorder_rate",
        "return_rate",
        "dso_days",
        "cost_per_order",
    }
)
# the orders behind each KPI's figure (the drill-down, on `oms.order.report`
# within the period and channels): those that miss the target of a rate
OMS_KPI_DRILLDOWN = {
    "orders": [],
    "revenue": [("confirmed_count", "=", 1)],
    "aov": [("confirmed_count", "=", 1)],
    "perfect_order_rate": [("completed_count", "=", 1), ("perfect_count", "=", 0)],
    "on_time_rate": [("late_count", "=", 1)],
    "fill_rate": [("backorder_count", "=", 1)],
    "cycle_time_avg_h": [("completed_count", "=", 1)],
    "cycle_time_p90_h": [("completed_count", "=", 1)],
    "review_time_avg_h": [("date_reviewed", "!=", False)],
    "cancellation_rate": [("cancelled_count", "=", 1)],
    "exception_rate": [("exception_order_count", "=", 1)],
    "touchless_rate": [("confirmed_count", "=", 1), ("touchless_count", "=", 0)],
    "manual_intervention_rate": [("touched_count", "=", 1)],
    "backorder_rate": [("backorder_count", "=", 1)],
    "return_rate": [("returned_count", "=", 1)],
    "dso_days": [("confirmed_count", "=", 1), ("date_invoiced", "!=", False)],
    "promise_kept_rate": [("promised_count", "=", 1), ("promise_kept_count", "=", 0)],
    "order_accuracy_rate": [("wrong_item_count", "=", 1)],
    "cost_per_order": [],
}
TOP_LIMIT = 10
# queued orders above which get_kpis stores the facts first (instead of computing
# them all live at every call until the cron runs)
OMS_FACT_REFRESH_THRESHOLD = 200


def _day_start(day):
    return datetime.combine(day, time.min)


def _ratio(numerator, denominator):
    return (numerator or 0) / denominator if denominator else 0.0


class OmsKpi(models.AbstractModel):
    """Order management KPIs computed in SQL over `oms.order.report`.

    Every figure is an aggregate of the report rows the current user may read
    (record rules apply), so a salesperson gets the KPIs of their own orders.
    Definitions: readme/DESCRIPTION.md.
    """

    _name = "oms.kpi"
    _description = "Order Management KPIs"

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    @api.model
    @api.readonly
    def get_kpis(self, date_from, date_to, channel_ids=None, company_ids=None):
        """KPIs of the orders received from ``date_from`` to ``date_to`` (both
        included, UTC days), with the previous period of the same length.

        :param date_from: first day (date or ``YYYY-MM-DD``)
        :param date_to: last day (date or ``YYYY-MM-DD``)
        :param list channel_ids: only these channels (``None``: all)
        :param list company_ids: only these companies (``None``: the allowed ones)
        :return: the contract keys (rates are fractions in [0, 1]) plus
            ``manual_intervention_rate``, ``cancel_reasons``, ``exception_pareto``,
            ``return_reasons``, ``inventory_turnover``, ``previous`` and ``change``
        :rtype: dict
        """
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        days = (date_to - date_from).days + 1
        prev_from = date_from - timedelta(days=days)
        result, previous = self._compute_periods(
            prev_from, date_from, date_to, channel_ids, company_ids
        )
        result.update(
            date_from=date_from,
            date_to=date_to,
            previous=dict(
                previous, date_from=prev_from, date_to=date_from - timedelta(days=1)
            ),
            change={
                key: result[key] - previous[key]
                if result[key] is not False and previous[key] is not False
                else False
                for key in OMS_KPI_KEYS
            },
        )
        return result

    @api.model
    @api.readonly
    def get_dashboard_data(self, date_from, date_to, channel_ids=None):
        """What the KPI dashboard shows: ``get_kpis`` of the allowed companies,
        with which KPIs are better lower, which open a drill-down, and the
        currency of the amounts.

        :return: ``{"kpis", "lower_is_better", "drilldowns", "currency_id"}``
        :rtype: dict
        """
        kpis = self.get_kpis(date_from, date_to, channel_ids=channel_ids or None)
        return {
            "kpis": kpis,
            "lower_is_better": sorted(OMS_KPI_LOWER_IS_BETTER),
            "drilldowns": list(OMS_KPI_DRILLDOWN),
            "currency_id": self.env.company.currency_id.id,
        }

    @api.model
    @api.readonly
    def get_drilldown_action(self, kpi, date_from, date_to, channel_ids=None):
        """The orders behind ``kpi`` from ``date_from`` to ``date_to`` in these
        channels: the report rows the figure counts (for rates, those that
        miss the target), as a window action.

        :param str kpi: a key of ``OMS_KPI_DRILLDOWN``
        :rtype: dict
        """
        self.env["oms.order.report"].check_access("read")
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        domain = self._get_report_domain(date_from, date_to, channel_ids or None)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_reports.oms_order_report_action_drilldown"
        )
        action["domain"] = domain + OMS_KPI_DRILLDOWN[kpi]
        return action

    @api.model
    def _compute_kpis(self, date_from, date_to, channel_ids=None, company_ids=None):
        """The KPIs of one period (no comparison), e.g. for alerts.

        :rtype: dict
        """
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        return self._compute_periods(
            date_from, date_from, date_to, channel_ids, company_ids
        )[0]

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    @api.model
    def _get_report_domain(
        self, date_from, date_to, channel_ids=None, company_ids=None
    ):
        """Hook: the report rows counted from ``date_from`` to ``date_to``.

        :return: a domain on `oms.order.report`
        :rtype: list
        """
        domain = [
            ("date_ordered", ">=", _day_start(date_from)),
            ("date_ordered", "<", _day_start(date_to + timedelta(days=1))),
        ]
        if channel_ids:
            domain.append(("channel_id", "in", list(channel_ids)))
        domain.append(("company_id", "in", list(company_ids or self.env.companies.ids)))
        return domain

    @api.model
    def _compute_periods(
        self, prev_from, date_from, date_to, channel_ids, company_ids, use_daily=True
    ):
        """The KPIs of [date_from, date_to] and of [prev_from, date_from[ in one
        query, with the report's domain and record rules: from the roll-up of
        the stored facts per day (`oms.order.fact.daily`, corrected with the
        queued orders) when it can answer (``_can_use_daily``), else in one
        pass over the report rows, read straight from `oms.order.fact`
        (stored rows, and the stale ones computed live). Both give the same
        figures.

        :param bool use_daily: read the roll-up when it can answer
        :return: (current KPIs with their breakdowns, previous KPIs)
        """
        period = (_day_start(prev_from), _day_start(date_to + timedelta(days=1)))
        Report = self.env["oms.order.report"]
        Report.check_access("read")
        self.env.flush_all()
        Fact = self.env["oms.order.fact"]
        if Fact._get_queue_size() > OMS_FACT_REFRESH_THRESHOLD:
            # superuser: the facts are a cache shared by every user, stored by
            # SQL; the KPIs below still apply the user's record rules
            Fact.sudo()._refresh()
        domain = self._get_report_domain(prev_from, date_to, channel_ids, company_ids)
        # the domain and the record rules of the report (its WHERE clause only)
        query = Report._search(domain)
        has_missing = Fact._has_missing(*period)
        kpi_rows = self._get_kpi_rows(period, with_missing=has_missing)
        # the row estimates of the live facts are poor: JIT compilation would
        # cost more than the query itself (for this transaction only)
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        ratings = self._with_kpi_ratings(period)
        if use_daily and not has_missing and self._can_use_daily(domain):
            sql = self._get_kpi_daily_sql(
                query, _day_start(date_from), period, kpi_rows, ratings
            )
        else:
            sql = self._get_kpi_sql(query, _day_start(date_from), kpi_rows, ratings)
        self.env.cr.execute(sql)
        periods, cancel_reasons, pareto, return_reasons = self.env.cr.fetchone()
        rows = {row["is_current"]: row for row in periods or []}
        for is_current, row in rows.items():
            if "cycle_count" in row:
                # the roll-up path: the percentile from its count of cycle times
                bounds = (_day_start(date_from), period[1])
                if not is_current:
                    bounds = (period[0], _day_start(date_from))
                row["cycle_p90"] = self._get_kpi_daily_p90(
                    query, bounds, int(row["cycle_count"]), kpi_rows[0]
                )
        empty = dict.fromkeys([*self._get_kpi_sums(), "cycle_p90"], 0)
        current = self._prepare_kpis(rows.get(True, empty))
        # the stock figures live beside the replenishment suggestions
        stock = self.env["oms.replenishment.suggest"]
        previous = self._prepare_kpis(rows.get(False, empty))
        current.update(
            cancel_reasons=self._prepare_cancel_reasons(cancel_reasons or []),
            exception_pareto=self._prepare_exception_pareto(pareto or []),
            return_reasons=self._prepare_return_reasons(return_reasons or []),
            inventory_turnover=stock._get_inventory_turnover(
                date_from, date_to, company_ids or self.env.companies.ids
            ),
        )
        return current, previous

    @api.model
    def _get_kpi_sums(self):
        """Hook: the sums the KPIs are ratios of, as SQL over the report rows
        (grouped by period: keep them hashable aggregates, not ordered-set ones).

        :return: {alias: SQL aggregate}
        :rtype: dict
        """
        confirmed_invoiced = SQL(
            "confirmed_count = 1 AND date_invoiced IS NOT NULL AND amount_invoiced > 0"
        )
        return {
            "orders": SQL("COUNT(*)"),
            "confirmed": SQL("SUM(confirmed_count)"),
            "cancelled": SQL("SUM(cancelled_count)"),
            "revenue": SQL("SUM(amount_untaxed) FILTER (WHERE confirmed_count = 1)"),
            "on_time": SQL("SUM(on_time_count)"),
            "late": SQL("SUM(late_count)"),
            "completed": SQL("SUM(completed_count)"),
            "perfect": SQL("SUM(perfect_count)"),
            "shipped": SQL("SUM(shipped_count)"),
            "lines_filled": SQL(
                "SUM(line_filled_count) FILTER (WHERE shipped_count = 1)"
            ),
            "lines_shipped": SQL("SUM(line_count) FILTER (WHERE shipped_count = 1)"),
            "cycle_avg": SQL("AVG(cycle_time_h) FILTER (WHERE completed_count = 1)"),
            # an array (its 90th percentile is taken after grouping): ordered-set
            # aggregates would force a sort of every row
            "cycle_times": SQL(
                "ARRAY_AGG(cycle_time_h) FILTER (WHERE completed_count = 1)"
            ),
            "review_avg": SQL("AVG(review_time_h)"),
            "with_exception": SQL("SUM(exception_order_count)"),
            "touchless": SQL("SUM(touchless_count)"),
            "touched": SQL("SUM(touched_count)"),
            "backorders": SQL("SUM(backorder_count)"),
            "returned": SQL("SUM(returned_count)"),
            "dso_weighted": SQL(
                "SUM(amount_invoiced"
                " * (COALESCE(date_paid, CURRENT_DATE) - date_invoiced))"
                " FILTER (WHERE %s)",
                confirmed_invoiced,
            ),
            "dso_amount": SQL(
                "SUM(amount_invoiced) FILTER (WHERE %s)", confirmed_invoiced
            ),
            "promised": SQL("SUM(promised_count)"),
            "promise_kept": SQL("SUM(promise_kept_count)"),
            "wrong_item": SQL("SUM(wrong_item_count)"),
            "handling_cost": SQL("SUM(handling_cost)"),
            "rated": SQL("SUM(rating_count)"),
            "rating_sum": SQL("SUM(rating_sum)"),
            "nps_answers": SQL("SUM(nps_count)"),
            "promoters": SQL("SUM(promoter_count)"),
            "detractors": SQL("SUM(detractor_count)"),
        }

    @api.model
    def _get_kpi_columns(self):
        """Hook: the `oms.order.report` columns the KPIs and the report's domain
        and record rules read, as SQL over the facts (alias ``fact``) and the
        tables of ``_get_kpi_joins``.

        :return: {report column: SQL}
        :rtype: dict
        """
        columns = {
            column: SQL.identifier("fact", column)
            for column in (
                "company_id",
                "user_id",
                "channel_id",
                "date_ordered",
                "state",
                "cancel_reason_id",
                "confirmed_count",
                "cancelled_count",
                "amount_untaxed",
                "on_time_count",
                "completed_count",
                "perfect_count",
                "shipped_count",
                "line_filled_count",
                "line_count",
                "cycle_time_h",
                "review_time_h",
                "exception_order_count",
                "touchless_count",
                "touched_count",
                "backorder_count",
                "returned_count",
                "amount_invoiced",
                "date_invoiced",
                "date_paid",
                "date_completed",
                "date_promised",
                "exception_price_count",
                "exception_other_count",
            )
        }
        Report = self.env["oms.order.report"]
        columns["id"] = SQL("fact.order_id")
        columns["late_count"] = Report._get_late_count_sql()
        columns["promised_count"] = Report._get_promised_count_sql()
        columns["promise_kept_count"] = Report._get_promise_kept_count_sql()
        columns["wrong_item_count"] = Report._get_wrong_item_count_sql()
        columns["handling_cost"] = Report._get_handling_cost_sql()
        return columns

    @api.model
    def _get_kpi_joins(self):
        """Hook: the tables the columns of ``_get_kpi_columns`` read beside the
        facts, with the aliases of the report's ``_from_oms``: the order
        (``so``, its promised date) and the company (``company``, the
        handling costs).

        :rtype: SQL
        """
        return SQL(
            """
            LEFT JOIN sale_order so ON so.id = fact.order_id
            LEFT JOIN res_company company ON company.id = fact.company_id
            """
        )

    @api.model
    def _with_kpi_ratings(self, period):
        """Hook: the CTE ``oms_kpi_rating`` of the customers' answers to the
        satisfaction survey of the orders received in ``period``: Odoo's
        `rating.rating` on sales orders, its stars (1 to 5) for the CSAT, its
        0-10 recommendation answer (oms_core) for the NPS; per order the
        number of star ratings and their sum, the number of recommendation
        answers, the promoters (9-10) and the detractors (0-6).

        :rtype: SQL
        """
        return SQL(
            """
            oms_kpi_rating AS (
                SELECT rating.res_id AS order_id,
                       COUNT(*) FILTER (WHERE %(starred)s) AS rating_count,
                       COALESCE(SUM(rating.rating) FILTER (WHERE %(starred)s), 0)
                           AS rating_sum,
                       COUNT(*) FILTER (WHERE rating.oms_nps_answered) AS nps_count,
                       COUNT(*) FILTER (
                           WHERE rating.oms_nps_answered AND rating.oms_nps_score >= 9
                       ) AS promoter_count,
                       COUNT(*) FILTER (
                           WHERE rating.oms_nps_answered AND rating.oms_nps_score <= 6
                       ) AS detractor_count
                  FROM rating_rating rating
                 WHERE rating.res_model = 'sale.order'
                   AND (%(starred)s OR rating.oms_nps_answered)
                   AND rating.res_id IN (
                       SELECT id FROM sale_order
                        WHERE create_date >= %(start)s AND create_date < %(stop)s)
                 GROUP BY rating.res_id
            )
            """,
            starred=SQL("(rating.consumed AND rating.rating >= 1)"),
            start=period[0],
            stop=period[1],
        )

    @api.model
    def _get_kpi_rows(self, period, with_missing=None):
        """Hook: the report rows of the orders received in ``period`` (start,
        stop), straight from the facts: the stored rows of the orders not
        queued, and the live rows of the queued ones (and of the orders
        without a row: only looked for, a full scan, when there are some).

        :param bool with_missing: whether some orders of the period have no
            row (``None``: count them)
        :return: (``WITH`` list of the live facts, the rows' query)
        :rtype: tuple
        """
        Fact = self.env["oms.order.fact"]
        orders = SQL(
            "SELECT id FROM sale_order WHERE create_date >= %s AND create_date < %s",
            *period,
        )
        if with_missing is None:
            with_missing = Fact._has_missing(*period)
        stale = Fact._get_stale_orders_sql(orders, with_missing=with_missing)
        kpi_columns = self._get_kpi_columns()
        columns = SQL(", ").join(
            SQL("%s AS %s", expression, SQL.identifier(column))
            for column, expression in kpi_columns.items()
        )
        # the live columns in the types of the stored ones (their counts are
        # bigint, their amounts numeric): PostgreSQL pushes a filter into both
        # sides of the UNION ALL only on columns of one type, and the sparse
        # parts' filters must reach the facts' partial indexes
        live_columns = SQL(", ").join(
            SQL(
                "%s AS %s",
                self._cast_to_stored_fact(column, expression),
                SQL.identifier(column),
            )
            for column, expression in kpi_columns.items()
        )
        where = self.env["oms.order.report"]._where_oms()
        return Fact._with_live_facts(stale), SQL(
            """
            SELECT %(columns)s FROM oms_order_fact fact %(joins)s
             WHERE %(where)s AND NOT EXISTS (
                   SELECT FROM oms_order_fact_queue queue
                    WHERE queue.order_id = fact.order_id)
            UNION ALL
            SELECT %(live_columns)s FROM oms_live fact %(joins)s WHERE %(where)s
            """,
            columns=columns,
            live_columns=live_columns,
            joins=self._get_kpi_joins(),
            where=where,
        )

    @api.model
    def _cast_to_stored_fact(self, column, expression):
        """``expression`` (a column of ``_get_kpi_columns``) cast to the type
        of the stored fact of that name, if there is one.

        :rtype: SQL
        """
        field = self.env["oms.order.fact"]._fields.get(column)
        if not (field and field.store and field.column_type):
            return expression
        return SQL("CAST(%s AS %s)", expression, SQL(field.column_type[1]))

    @api.model
    def _get_kpi_sql(self, query, current_start, rows, ratings):
        """Hook: one row with the sums per period (``is_current``) as JSON, and the
        breakdowns of the current period (cancel reasons, exception codes,
        return reasons) as JSON arrays, from one hashed pass over the report
        rows (the orders of the breakdowns are collected in that pass).

        :param query: the `oms.order.report` rows of both periods (its WHERE
            clause is applied to ``rows``)
        :param current_start: first instant of the current period
        :param rows: the live facts' CTEs and the rows (``_get_kpi_rows``)
        :param ratings: the CTE of the orders' ratings (``_with_kpi_ratings``)
        :rtype: SQL
        """
        sums = self._get_kpi_sums()
        return SQL(
            """
            WITH %(live)s, %(ratings)s,
            periods AS (
                SELECT is_current, %(sums)s,
                       ARRAY_AGG(cancel_reason_id) FILTER (WHERE cancelled_count = 1)
                           AS cancelled_reason_ids,
                       ARRAY_AGG(id) FILTER (WHERE exception_order_count = 1)
                           AS exception_order_ids,
                       ARRAY_AGG(id) FILTER (
                           WHERE id IN (SELECT order_id FROM oms_return)
                       ) AS return_order_ids
                  FROM (
                      SELECT %(table)s.*, %(table)s.date_ordered >= %(start)s
                                 AS is_current,
                             rating.rating_count, rating.rating_sum,
                             rating.nps_count, rating.promoter_count,
                             rating.detractor_count
                        FROM (%(rows)s) %(table)s
                        LEFT JOIN oms_kpi_rating rating
                               ON rating.order_id = %(table)s.id
                       WHERE %(where)s
                  ) pop
                 GROUP BY is_current
            ), current AS (
                SELECT * FROM periods WHERE is_current
            )
            SELECT
                (SELECT JSON_AGG(JSON_BUILD_OBJECT(
                            'is_current', is_current, %(json)s,
                            'cycle_p90', (
                                SELECT PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY v)
                                  FROM UNNEST(cycle_times) v)))
                   FROM periods),
                (SELECT JSON_AGG(JSON_BUILD_ARRAY(reason_id, n)
                                 ORDER BY n DESC, reason_id)
                   FROM (SELECT reason_id, COUNT(*) AS n
                           FROM current, UNNEST(cancelled_reason_ids) reason_id
                          GROUP BY reason_id) r),
                (SELECT JSON_AGG(JSON_BUILD_ARRAY(code, n) ORDER BY n DESC, code)
                   FROM (SELECT exc.code, COUNT(*) AS n
                           FROM oms_exception exc
                          WHERE exc.order_id IN (
                                SELECT UNNEST(exception_order_ids) FROM current)
                          GROUP BY exc.code) e),
                (SELECT JSON_AGG(JSON_BUILD_ARRAY(reason_id, n, qty)
                                 ORDER BY n DESC, reason_id)
                   FROM (SELECT line.reason_id, COUNT(*) AS n, SUM(line.quantity) AS qty
                           FROM oms_return_line line
                           JOIN oms_return ret ON ret.id = line.return_id
                          WHERE ret.state != 'cancel' AND ret.order_id IN (
                                SELECT UNNEST(return_order_ids) FROM current)
                          GROUP BY line.reason_id) rr)
            """,
            live=rows[0],
            ratings=ratings,
            rows=rows[1],
            table=SQL.identifier(query.table),
            start=current_start,
            sums=SQL(", ").join(
                SQL("%s AS %s", aggregate, SQL.identifier(alias))
                for alias, aggregate in sums.items()
            ),
            json=SQL(", ").join(
                SQL("%s, COALESCE(%s, 0)", alias, SQL.identifier(alias))
                for alias in sums
                if alias != "cycle_times"
            ),
            where=query.where_clause or SQL("TRUE"),
        )

    # ------------------------------------------------------------------
    # Roll-up per day
    # ------------------------------------------------------------------
    @api.model
    def _can_use_daily(self, domain):
        """Hook: whether the roll-up per day (`oms.order.fact.daily`) answers
        the KPIs of ``domain``: the domain and the report's record rules only
        read the day and the roll-up's dimensions, the roll-up serves every
        sum of ``_get_kpi_sums``, and no queued order was deleted (its stored
        facts went with it, so the roll-up cannot be corrected for it until
        the next refresh).

        :param list domain: the report's domain (``_get_report_domain``)
        :rtype: bool
        """
        Daily = self.env["oms.order.fact.daily"]
        if set(self._get_kpi_sums()) - {"cycle_times"} != set(
            self._get_kpi_daily_sums()
        ):
            return False
        allowed = {"date_ordered", *Daily._get_daily_dimensions()}
        rules = self.env["ir.rule"]._compute_domain("oms.order.report", "read")
        for leaf in [*domain, *(rules or [])]:
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3:
                name = leaf[0]
                if isinstance(name, str) and name.split(".")[0] not in allowed:
                    return False
        self.env.cr.execute(
            """
            SELECT EXISTS (
                SELECT FROM oms_order_fact_queue queue
                 WHERE NOT EXISTS (
                       SELECT FROM sale_order so WHERE so.id = queue.order_id))
            """
        )
        return not self.env.cr.fetchone()[0]

    @api.model
    def _get_kpi_daily_sums(self):
        """Hook: the sums of ``_get_kpi_sums`` (but the cycle times' array)
        from the roll-up: SQL over its summed measures (alias ``daily``, the
        columns of `oms.order.fact.daily`, corrected with the queued orders)
        and the per-order parts read from the facts (alias ``extra``:
        ``late_open``, ``wrong_item``, ``rated``, ``rating_sum``,
        ``nps_answers``, ``promoters``, ``detractors``).

        :return: {alias: SQL}
        :rtype: dict
        """
        names = [
            "orders",
            "confirmed",
            "cancelled",
            "revenue",
            "on_time",
            "completed",
            "perfect",
            "shipped",
            "lines_filled",
            "lines_shipped",
            "with_exception",
            "touchless",
            "touched",
            "backorders",
            "returned",
            "dso_amount",
            "promised",
            "promise_kept",
        ]
        sums = {name: SQL.identifier("daily", name) for name in names}
        sums.update(
            {
                name: SQL("COALESCE(%s, 0)", SQL.identifier("extra", name))
                for name in (
                    "wrong_item",
                    "rated",
                    "rating_sum",
                    "nps_answers",
                    "promoters",
                    "detractors",
                )
            },
            late=SQL("daily.late_completed + COALESCE(extra.late_open, 0)"),
            cycle_avg=SQL("daily.cycle_sum / NULLIF(daily.cycle_count, 0)"),
            review_avg=SQL("daily.review_sum / NULLIF(daily.review_count, 0)"),
            dso_weighted=SQL(
                "daily.dso_paid_weighted + daily.dso_open_amount"
                " * (CURRENT_DATE - DATE %s) - daily.dso_open_weighted",
                OMS_DSO_EPOCH,
            ),
            handling_cost=SQL("daily.handling_cost"),
        )
        return sums

    @api.model
    def _get_kpi_daily_rows(self, period):
        """Hook: the roll-up rows of ``period`` corrected with the queued
        orders (their stored facts subtracted, their live facts added, both
        by the same SQL of ``_get_daily_measures``), with the report's column
        names for its domain and record rules. Needs the CTE ``oms_live`` of
        the queued orders.

        :rtype: SQL
        """
        Daily = self.env["oms.order.fact.daily"]
        dimensions = Daily._get_daily_dimensions()
        breakdowns = Daily._get_daily_breakdowns()
        measures = Daily._get_daily_measures()
        keys = SQL(", ").join(
            [
                *(SQL.identifier("fact", column) for column in dimensions),
                *(
                    SQL("%s AS %s", expression, SQL.identifier(column))
                    for column, expression in breakdowns.items()
                ),
            ]
        )
        where = self.env["oms.order.report"]._where_oms()
        return SQL(
            """
            SELECT daily.day::timestamp AS date_ordered, %(daily_keys)s, %(daily)s
              FROM oms_order_fact_daily daily
             WHERE daily.day >= %(start)s::date AND daily.day < %(stop)s::date
            UNION ALL
            SELECT fact.date_ordered, %(keys)s, %(stored)s
              FROM oms_order_fact fact
             WHERE %(where)s AND fact.date_ordered >= %(start)s
               AND fact.date_ordered < %(stop)s
               AND fact.order_id IN (SELECT order_id FROM oms_order_fact_queue)
            UNION ALL
            SELECT fact.date_ordered, %(keys)s, %(live)s
              FROM oms_live fact
             WHERE %(where)s
            """,
            daily_keys=SQL(", ").join(
                SQL.identifier("daily", column) for column in [*dimensions, *breakdowns]
            ),
            daily=SQL(", ").join(
                SQL.identifier("daily", column) for column in measures
            ),
            keys=keys,
            stored=SQL(", ").join(
                SQL("-(%s) AS %s", measure, SQL.identifier(column))
                for column, measure in measures.items()
            ),
            live=SQL(", ").join(
                SQL("%s AS %s", measure, SQL.identifier(column))
                for column, measure in measures.items()
            ),
            where=where,
            start=period[0],
            stop=period[1],
        )

    @api.model
    def _get_kpi_daily_p90(self, query, bounds, count, live, percentile=0.9):
        """The 90th percentile of the cycle times of the completed orders
        received in ``bounds`` (start, stop), as PostgreSQL's
        ``PERCENTILE_CONT`` computes it, without sorting them: the roll-up
        gives their ``count``, so the one or two values the percentile
        interpolates are read at their rank from the top, walking the
        facts' index on the cycle time (stored facts of the orders not
        queued, and the live facts of ``live``, the CTE ``oms_live``, merged
        in order) with the report's domain and record rules
        (``_get_kpi_daily_p90_sql``).

        :rtype: float
        """
        if count <= 0:
            return 0.0
        position = percentile * (count - 1)
        low, high = math.floor(position), math.ceil(position)
        self.env.cr.execute(
            self._get_kpi_daily_p90_sql(query, bounds, count, low, high, live)
        )
        values = [row[0] for row in self.env.cr.fetchall()]
        if not values:
            return 0.0
        first, second = values[-1], values[0]
        return first + (second - first) * (position - low)

    @api.model
    def _get_kpi_daily_p90_sql(self, query, bounds, count, low, high, live):
        """The cycle times of ranks ``low`` to ``high`` (from the bottom, of
        ``count``) of the completed orders received in ``bounds``, highest
        first (see ``_get_kpi_daily_p90``). The stored side is limited to its
        top values down to that rank on its own, so that the planner walks
        the index from the top: merged with the live side first, it would
        read and sort every cycle time of the period.

        :rtype: SQL
        """
        where = self.env["oms.order.report"]._where_oms()
        table = SQL.identifier(query.table)
        columns = SQL(", ").join(
            SQL.identifier("fact", column)
            for column in [
                "cycle_time_h",
                "date_ordered",
                *self.env["oms.order.fact.daily"]._get_daily_dimensions(),
            ]
        )
        return SQL(
            """
            WITH %(live)s
            SELECT cycle.cycle_time_h FROM (
                (SELECT %(table)s.cycle_time_h FROM (
                     SELECT %(columns)s FROM oms_order_fact fact
                      WHERE fact.completed_count = 1 AND %(where)s
                        AND fact.cycle_time_h IS NOT NULL
                        AND fact.order_id NOT IN (
                            SELECT order_id FROM oms_order_fact_queue)
                        AND fact.date_ordered >= %(start)s
                        AND fact.date_ordered < %(stop)s
                 ) %(table)s
                  WHERE %(report_where)s
                  ORDER BY %(table)s.cycle_time_h DESC
                  LIMIT %(top)s)
                UNION ALL
                SELECT %(table)s.cycle_time_h FROM (
                    SELECT %(columns)s FROM oms_live fact
                     WHERE fact.completed_count = 1 AND %(where)s
                       AND fact.cycle_time_h IS NOT NULL
                       AND fact.date_ordered >= %(start)s
                       AND fact.date_ordered < %(stop)s
                ) %(table)s
                 WHERE %(report_where)s
            ) cycle
             ORDER BY cycle.cycle_time_h DESC
            OFFSET %(offset)s LIMIT %(limit)s
            """,
            live=live,
            table=table,
            columns=columns,
            where=where,
            start=bounds[0],
            stop=bounds[1],
            report_where=query.where_clause or SQL("TRUE"),
            top=count - low,
            offset=count - 1 - high,
            limit=high - low + 1,
        )

    @api.model
    def _get_kpi_daily_sql(self, query, current_start, period, rows, ratings):
        """Hook: the result of ``_get_kpi_sql`` from the roll-up per day: its
        sums for the dense measures, and the facts (``oms_kpi_facts``, the
        rows of ``_get_kpi_rows`` inlined in each use so that each reads its
        own few rows) for what a roll-up cannot hold (the 90th percentile of
        the cycle times: ``_get_kpi_daily_p90``, from the count of cycle
        times given here as ``cycle_count``): the confirmed orders still
        open and promised today before now (those promised before today are
        counted per promise day in the roll-up), the sparse measures (wrong
        items, ratings), the exceptions of the codes the facts do not count
        one by one (``OMS_DAILY_EXCEPTION_CODES``) and the return reasons of
        the current period. The sparse parts start from their few orders
        (the returned ones, the rated ones: ``id = ANY(ARRAY(...))``, looked
        up by order in the facts' unique index) rather than from every fact
        of the period. The cancellation reasons and the other exception
        codes are summed from the roll-up's rows (``oms_kpi_day_rows``).

        :rtype: SQL
        """
        Daily = self.env["oms.order.fact.daily"]
        table = SQL.identifier(query.table)
        sums = self._get_kpi_daily_sums()
        late = self.env["oms.order.report"]._get_late_sql()
        return SQL(
            """
            WITH %(live)s, %(ratings)s,
            oms_kpi_facts AS NOT MATERIALIZED (
                SELECT %(table)s.*, %(table)s.date_ordered >= %(start)s AS is_current
                  FROM (%(rows)s) %(table)s
                 WHERE %(where)s
            ),
            oms_kpi_day_rows AS (
                SELECT %(table)s.*, %(table)s.date_ordered >= %(start)s AS is_current
                  FROM (%(daily_rows)s) %(table)s
                 WHERE %(where)s
            ),
            oms_kpi_daily AS (
                SELECT %(table)s.is_current,
                       %(sums)s,
                       COALESCE(SUM(%(table)s.orders
                                    * COALESCE(company.oms_cost_per_order, 0)
                                + %(table)s.exception_total
                                    * COALESCE(company.oms_cost_per_exception, 0)
                                + %(table)s.delivery_total
                                    * COALESCE(company.oms_cost_per_shipment, 0)
                                + %(table)s.returned
                                    * COALESCE(company.oms_cost_per_return, 0)
                                + %(table)s.touch_total
                                    * COALESCE(company.oms_cost_per_touch, 0)), 0)
                           AS handling_cost
                  FROM oms_kpi_day_rows %(table)s
                  LEFT JOIN res_company company ON company.id = %(table)s.company_id
                 GROUP BY 1
            ),
            oms_kpi_extra AS (
                SELECT is_current, SUM(late_open) AS late_open,
                       SUM(wrong_item) AS wrong_item, SUM(rated) AS rated,
                       SUM(rating_sum) AS rating_sum,
                       SUM(nps_answers) AS nps_answers,
                       SUM(promoters) AS promoters, SUM(detractors) AS detractors
                  FROM (
                      SELECT is_current, SUM(open_orders) AS late_open,
                             0 AS wrong_item, 0 AS rated, 0 AS rating_sum,
                             0 AS nps_answers, 0 AS promoters, 0 AS detractors
                        FROM oms_kpi_day_rows
                       WHERE open_promise_day < %(today)s
                       GROUP BY is_current
                      UNION ALL
                      SELECT is_current, COUNT(*), 0, 0, 0, 0, 0, 0
                        FROM oms_kpi_facts fact
                       WHERE fact.state = 'sale' AND fact.date_completed IS NULL
                         AND fact.date_promised >= %(today)s AND %(late)s
                       GROUP BY is_current
                      UNION ALL
                      SELECT is_current, 0, COUNT(*), 0, 0, 0, 0, 0
                        FROM oms_kpi_facts
                       WHERE completed_count = 1
                         AND id = ANY(ARRAY(%(wrong_items)s))
                       GROUP BY is_current
                      UNION ALL
                      SELECT is_current, 0, 0, SUM(rating.rating_count),
                             SUM(rating.rating_sum), SUM(rating.nps_count),
                             SUM(rating.promoter_count),
                             SUM(rating.detractor_count)
                        FROM oms_kpi_facts
                        JOIN oms_kpi_rating rating
                          ON rating.order_id = oms_kpi_facts.id
                       WHERE oms_kpi_facts.id = ANY(ARRAY(
                             SELECT order_id FROM oms_kpi_rating))
                       GROUP BY is_current
                  ) parts
                 GROUP BY is_current
            )
            SELECT
                (SELECT JSON_AGG(JSON_BUILD_OBJECT(
                            'is_current', daily.is_current, %(json)s,
                            'cycle_count', daily.cycle_count))
                   FROM oms_kpi_daily daily
                   LEFT JOIN oms_kpi_extra extra
                          ON extra.is_current = daily.is_current),
                (SELECT JSON_AGG(JSON_BUILD_ARRAY(reason_id, n)
                                 ORDER BY n DESC, reason_id)
                   FROM (SELECT cancel_reason_id AS reason_id, SUM(cancelled) AS n
                           FROM oms_kpi_day_rows
                          WHERE is_current
                          GROUP BY cancel_reason_id
                         HAVING SUM(cancelled) != 0) r),
                (SELECT JSON_AGG(JSON_BUILD_ARRAY(code, n) ORDER BY n DESC, code)
                   FROM (SELECT code, SUM(n) AS n FROM (
                             SELECT codes.code, SUM(codes.n) AS n
                               FROM oms_kpi_day_rows day_rows
                              CROSS JOIN LATERAL (VALUES %(daily_codes)s) codes(code, n)
                              WHERE day_rows.is_current
                              GROUP BY codes.code
                             UNION ALL
                             SELECT exc.code, COUNT(*)
                               FROM oms_exception exc
                              WHERE exc.code NOT IN %(codes)s AND exc.order_id IN (
                                    SELECT id FROM oms_kpi_facts
                                     WHERE is_current AND exception_order_count = 1
                                       AND (exception_price_count > 0
                                            OR exception_other_count > 0))
                              GROUP BY exc.code) parts
                          GROUP BY code HAVING SUM(n) != 0) e),
                (SELECT JSON_AGG(JSON_BUILD_ARRAY(reason_id, n, qty)
                                 ORDER BY n DESC, reason_id)
                   FROM (SELECT line.reason_id, COUNT(*) AS n, SUM(line.quantity) AS qty
                           FROM oms_return_line line
                           JOIN oms_return ret ON ret.id = line.return_id
                          WHERE ret.state != 'cancel' AND ret.order_id IN (
                                SELECT id FROM oms_kpi_facts
                                 WHERE is_current AND id = ANY(ARRAY(
                                       SELECT order_id FROM oms_return
                                        WHERE state != 'cancel')))
                          GROUP BY line.reason_id) rr)
            """,
            daily_codes=SQL(", ").join(
                SQL(
                    "(%s, %s)",
                    code,
                    SQL.identifier("day_rows", f"exception_{code}"),
                )
                for code in OMS_DAILY_EXCEPTION_CODES
            ),
            codes=tuple(OMS_DAILY_EXCEPTION_CODES),
            live=rows[0],
            ratings=ratings,
            rows=rows[1],
            daily_rows=self._get_kpi_daily_rows(period),
            table=table,
            start=current_start,
            where=query.where_clause or SQL("TRUE"),
            late=late,
            today=SQL("(NOW() AT TIME ZONE 'UTC')::date"),
            wrong_items=SQL(
                """SELECT ret.order_id FROM oms_return ret
                     JOIN oms_return_line line ON line.return_id = ret.id
                     JOIN oms_return_reason reason ON reason.id = line.reason_id
                    WHERE ret.state != 'cancel' AND reason.is_wrong_item"""
            ),
            sums=SQL(", ").join(
                SQL(
                    "COALESCE(SUM(%s), 0) AS %s",
                    SQL.identifier(query.table, column),
                    SQL.identifier(column),
                )
                for column in Daily._get_daily_measures()
            ),
            json=SQL(", ").join(
                SQL("%s, COALESCE(%s, 0)", alias, expression)
                for alias, expression in sums.items()
            ),
        )

    @api.model
    def _prepare_kpis(self, row):
        """Hook: the KPI dict from the sums of ``_get_kpi_sums``.

        :rtype: dict
        """
        revenue = float(row["revenue"] or 0.0)
        return {
            "orders": int(row["orders"]),
            "revenue": revenue,
            "aov": _ratio(revenue, row["confirmed"]),
            "perfect_order_rate": _ratio(row["perfect"], row["completed"]),
            "on_time_rate": _ratio(row["on_time"], row["on_time"] + row["late"]),
            "fill_rate": _ratio(row["lines_filled"], row["lines_shipped"]),
            "cycle_time_avg_h": float(row["cycle_avg"] or 0.0),
            "cycle_time_p90_h": float(row["cycle_p90"] or 0.0),
            "review_time_avg_h": float(row["review_avg"] or 0.0),
            "cancellation_rate": _ratio(row["cancelled"], row["orders"]),
            "exception_rate": _ratio(row["with_exception"], row["orders"]),
            "touchless_rate": _ratio(row["touchless"], row["confirmed"]),
            "manual_intervention_rate": _ratio(row["touched"], row["orders"]),
            "backorder_rate": _ratio(row["backorders"], row["shipped"]),
            "return_rate": _ratio(row["returned"], row["shipped"]),
            "dso_days": float(_ratio(row["dso_weighted"], row["dso_amount"])),
            "promise_kept_rate": _ratio(row["promise_kept"], row["promised"]),
            "order_accuracy_rate": _ratio(
                row["completed"] - row["wrong_item"], row["completed"]
            ),
            "cost_per_order": float(_ratio(row["handling_cost"], row["orders"])),
            # no rating, no figure (not a score of 0)
            "csat": float(row["rating_sum"]) / row["rated"] if row["rated"] else False,
            "nps": 100.0 * (row["promoters"] - row["detractors"]) / row["nps_answers"]
            if row["nps_answers"]
            else False,
        }

    @api.model
    def _prepare_cancel_reasons(self, rows):
        """Top cancellation reasons: [{reason_id, name, count, share}]."""
        total = sum(count for _reason, count in rows)
        reasons = self.env["oms.cancel.reason"].browse([r for r, _c in rows if r])
        names = {reason.id: reason.display_name for reason in reasons}
        return [
            {
                "reason_id": reason_id or False,
                "name": names.get(reason_id) or self.env._("No reason"),
                "count": count,
                "share": _ratio(count, total),
            }
            for reason_id, count in rows[:TOP_LIMIT]
        ]

    @api.model
    def _prepare_exception_pareto(self, rows):
        """Exceptions by type, most frequent first, with the cumulative share:
        [{code, name, count, share, cumulative_share}]."""
        total = sum(count for _code, count in rows)
        labels = self._get_exception_labels()
        pareto, cumulative = [], 0
        for code, count in rows:
            cumulative += count
            pareto.append(
                {
                    "code": code,
                    "name": labels.get(code, code),
                    "count": count,
                    "share": _ratio(count, total),
                    "cumulative_share": _ratio(cumulative, total),
                }
            )
        return pareto

    @api.model
    def _get_exception_labels(self):
        """Hook: the label of each exception code, in the user's language: the
        review rules' check types, and the codes the channels raise.

        :return: {code: label}
        :rtype: dict
        """
        labels = dict(
            self.env["oms.exception"]
            ._fields["check_type"]
            ._description_selection(self.env)
        )
        labels.update(
            channel_total_mismatch=self.env._("Channel total mismatch"),
            channel_cancelled_after_shipment=self.env._(
                "Cancelled by the channel after shipment"
            ),
            tracking_exception=self.env._("Carrier reports a delivery problem"),
        )
        return labels

    @api.model
    def _prepare_return_reasons(self, rows):
        """Returns by reason: [{reason_id, name, count, quantity}] (lines, units)."""
        reasons = self.env["oms.return.reason"].browse([r for r, _c, _q in rows if r])
        names = {reason.id: reason.display_name for reason in reasons}
        return [
            {
                "reason_id": reason_id,
                "name": names.get(reason_id, ""),
                "count": count,
                "quantity": quantity,
            }
            for reason_id, count, quantity in rows[:TOP_LIMIT]
        ]
