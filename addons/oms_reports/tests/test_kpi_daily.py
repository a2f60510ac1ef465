import random
from datetime import date, datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.oms_reports.models.oms_kpi import OMS_KPI_KEYS, OmsKpi

from .common import OmsReportsCommon

# the seed of the generated facts: a failure is replayed with the same data
SEED = 20261206
FIRST_DAY = datetime(2026, 1, 1)


@tagged("post_install", "-at_install", "oms")
class TestKpiDaily(OmsReportsCommon):
    """The roll-up per day answers get_kpis with the figures of the per-order
    facts, on random facts changed round after round."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rng = random.Random(SEED)
        cls.reasons = cls.env["oms.cancel.reason"].create(
            [{"name": "Daily test: price"}, {"name": "Daily test: late"}]
        )
        cls.orders = cls.env["sale.order"]
        for _i in range(30):
            cls.orders |= cls._create_past_order(
                [(cls.product_a, 1)], "2026-01-05 08:00"
            )
        cls.Fact = cls.env["oms.order.fact"]
        cls.Daily = cls.env["oms.order.fact.daily"]
        for order in cls.orders[::2]:
            cls._add_random_exceptions(order)
        cls.Fact._refresh()
        for order in cls.orders:
            cls._write_random_facts(order)
        cls.Daily._rebuild()

    @classmethod
    def _add_random_exceptions(cls, order):
        """One to three exceptions on ``order``: codes the facts count one by
        one, the two price codes they count together, and a code of their
        own (counted as other). The facts keep their counts per order."""
        for _i in range(cls.rng.randint(1, 3)):
            code = cls.rng.choice(
                ["stock", "stock", "credit_limit", "address", "duplicate"]
                + ["price_floor", "discount_limit", "daily_test_other"]
            )
            cls._add_exception(order, code, cls.rng.choice(["open", "overridden"]))

    @classmethod
    def _around_now(cls, rng):
        """A promise from yesterday to tomorrow (UTC, as the facts)."""
        cls.env.cr.execute("SELECT NOW() AT TIME ZONE 'UTC'")
        now = cls.env.cr.fetchone()[0]
        return now + timedelta(hours=rng.uniform(-30, 30))

    @classmethod
    def _random_facts(cls):
        """The facts of one order, random but consistent with each other."""
        rng = cls.rng
        ordered = FIRST_DAY + timedelta(
            days=rng.randrange(75), minutes=rng.randrange(24 * 60)
        )
        state = rng.choice(["sale"] * 6 + ["cancel", "draft", "sent"])
        sale = state == "sale"

        def later(hours):
            return ordered + timedelta(hours=rng.uniform(1, hours))

        shipped = later(120) if sale and rng.random() < 0.8 else None
        completed = shipped and rng.random() < 0.8 and shipped + timedelta(hours=6)
        completed = completed or None
        # some promises around the time of reading: open orders late since
        # yesterday, since today, late later today or tomorrow
        promised = rng.choice(
            [None, later(96), later(200), later(200), cls._around_now(rng)]
        )
        reviewed = rng.choice([None, later(12)])
        lines = rng.randint(1, 4)
        filled = rng.randint(0, lines)
        touches = rng.choice([0, 0, 0, 1, 2])
        invoiced = sale and rng.random() < 0.7 and (ordered + timedelta(days=2)).date()
        paid = (
            invoiced and rng.random() < 0.6 and invoiced + timedelta(rng.randint(0, 40))
        )
        amount = round(rng.uniform(10, 1000), 2)
        returned = int(bool(completed) and rng.random() < 0.2)

        def hours(end):
            return end and (end - ordered).total_seconds() / 3600.0

        return {
            "date_ordered": ordered,
            "company_id": cls.company.id,
            "channel_id": rng.choice([cls.channel_a.id, cls.channel_b.id, None]),
            "user_id": rng.choice([cls.manager.id, cls.salesman.id, None]),
            "state": state,
            "cancel_reason_id": state == "cancel"
            and rng.choice([*cls.reasons.ids, None])
            or None,
            "amount_untaxed": amount,
            "amount_total": amount * 1.13,
            "date_reviewed": reviewed,
            "date_promised": promised,
            "date_ship_promised": rng.choice([None, promised, later(150)]),
            "date_first_shipment": shipped,
            "date_fully_shipped": completed,
            "date_completed": completed,
            "line_count": lines,
            "line_filled_count": filled,
            "delivery_count": int(bool(shipped)) + rng.choice([0, 0, 1]),
            "touch_count": touches,
            "date_invoiced": invoiced or None,
            "date_paid": paid or None,
            "amount_invoiced": invoiced and rng.choice([amount, amount / 2, 0]) or 0,
            "confirmed_count": int(sale),
            "cancelled_count": int(state == "cancel"),
            "shipped_count": int(bool(shipped)),
            "completed_count": int(bool(completed)),
            "on_time_count": int(
                bool(completed and promised and completed <= promised)
            ),
            "perfect_count": int(bool(completed) and rng.random() < 0.5),
            "touchless_count": int(sale and touches == 0 and rng.random() < 0.7),
            "touched_count": int(touches > 0),
            "backorder_count": int(bool(shipped) and filled < lines),
            "returned_count": returned,
            "review_time_h": hours(reviewed),
            "cycle_time_h": hours(completed),
        }

    @classmethod
    def _write_random_facts(cls, order):
        """Replace the stored facts of ``order`` (and its reception date) by
        random ones, by SQL, as the refresh writes them."""
        facts = cls._random_facts()
        cls.env.cr.execute(
            SQL(
                "UPDATE oms_order_fact SET %s WHERE order_id = %s",
                SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(column), value)
                    for column, value in facts.items()
                ),
                order.id,
            )
        )
        cls.env.cr.execute(
            "UPDATE sale_order SET create_date = %s WHERE id = %s",
            [facts["date_ordered"], order.id],
        )
        cls.Fact.invalidate_model()
        order.invalidate_recordset()

    def _days(self, orders):
        self.env.cr.execute(
            "SELECT date_ordered::date FROM oms_order_fact WHERE order_id = ANY(%s)",
            [orders.ids],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _daily_rows(self):
        """The roll-up's rows, comparable (amounts rounded)."""
        self.env.cr.execute(
            SQL(
                "SELECT day, company_id, channel_id, user_id, %s"
                " FROM oms_order_fact_daily",
                SQL(", ").join(
                    SQL.identifier(column)
                    for column in [
                        *self.Daily._get_daily_breakdowns(),
                        *self.Daily._get_daily_measures(),
                    ]
                ),
            )
        )
        return sorted(
            (
                tuple(round(v, 6) if isinstance(v, float) else v for v in row)
                for row in self.env.cr.fetchall()
            ),
            key=repr,
        )

    def assertDailyIsRebuilt(self):
        """The rows kept up to date equal the rows rebuilt from every fact."""
        kept = self._daily_rows()
        self.Daily._rebuild()
        self.assertEqual(kept, self._daily_rows())

    def assertSameKpis(self, msg):
        """For random periods, channels and users, the roll-up's KPIs equal
        those of the facts (sums and counts exactly, amounts and averages to
        floating-point precision, breakdowns equal)."""
        for _i in range(4):
            start = date(2026, 1, 1) + timedelta(self.rng.randrange(60))
            stop = start + timedelta(self.rng.randrange(1, 40))
            previous = start - (stop - start) - timedelta(1)
            channels = self.rng.choice([None, self.channel_a.ids])
            user = self.rng.choice([self.manager, self.salesman])
            kpi = self.env["oms.kpi"].with_user(user)
            with patch.object(
                OmsKpi,
                "_get_kpi_daily_sql",
                autospec=True,
                side_effect=OmsKpi._get_kpi_daily_sql,
            ) as daily_sql:
                by_day = kpi._compute_periods(previous, start, stop, channels, None)
            self.assertTrue(daily_sql.called, "the roll-up answered")
            by_fact = kpi._compute_periods(
                previous, start, stop, channels, None, use_daily=False
            )
            label = f"{msg}: {start}..{stop} {channels} {user.login}"
            for mine, theirs in zip(by_day, by_fact, strict=True):
                for key in OMS_KPI_KEYS:
                    if isinstance(theirs[key], int) and not isinstance(
                        theirs[key], bool
                    ):
                        self.assertEqual(mine[key], theirs[key], f"{label} {key}")
                    else:
                        self.assertAlmostEqual(
                            mine[key], theirs[key], places=6, msg=f"{label} {key}"
                        )
            for key in ("cancel_reasons", "exception_pareto", "return_reasons"):
                self.assertEqual(by_day[0][key], by_fact[0][key], f"{label} {key}")

    def test_daily_matches_facts_on_random_data(self):
        """Round after round, random facts change (day, channel, salesperson,
        every measure) and some orders are queued: the roll-up kept up to
        date day by day equals a rebuild, and its KPIs equal the facts'."""
        self.assertSameKpis("initial")
        pareto = self.env["oms.kpi"]._compute_periods(
            date(2025, 10, 1), date(2026, 1, 1), date(2026, 3, 31), None, None
        )[0]["exception_pareto"]
        codes = {row["code"] for row in pareto}
        self.assertLessEqual({"stock", "price_floor", "daily_test_other"}, codes)
        for round_ in range(4):
            changed = self.orders.browse(self.rng.sample(self.orders.ids, 8))
            days = self._days(changed)
            for order in changed:
                self._write_random_facts(order)
            self.Daily._refresh_days(days | self._days(changed))
            self.assertDailyIsRebuilt()
            # queued orders: read live, their stored facts left out (some
            # with new exceptions since their facts were stored)
            queued = self.orders.browse(self.rng.sample(self.orders.ids, 3))
            self._add_random_exceptions(queued[0])
            self.env["oms.order.fact.queue"]._enqueue(queued)
            self.assertSameKpis(f"round {round_}")
            self.Fact._refresh()
            self.assertDailyIsRebuilt()
            self.assertSameKpis(f"round {round_} refreshed")

    def test_open_orders_late_at_read_time(self):
        """Open orders promised before today are counted late from the roll-up
        (their promise day), those promised today from their promise time:
        late an hour ago, not yet late in an hour; cancelled orders count
        per reason from the roll-up too."""
        self.env.cr.execute("SELECT NOW() AT TIME ZONE 'UTC'")
        now = self.env.cr.fetchone()[0]
        today = datetime.combine(now.date(), datetime.min.time())
        promises = [now - timedelta(hours=30), max(today, now - timedelta(hours=1))]
        promises += [now + timedelta(hours=1)]
        orders = self.orders[:3]
        days = self._days(orders)
        for order, promised in zip(orders, promises, strict=True):
            self._write_random_facts(order)
            self.env.cr.execute(
                "UPDATE oms_order_fact SET state = 'sale', confirmed_count = 1,"
                " cancelled_count = 0, date_completed = NULL,"
                " date_fully_shipped = NULL, completed_count = 0,"
                " on_time_count = 0, perfect_count = 0, returned_count = 0,"
                " cycle_time_h = NULL, date_promised = %s WHERE order_id = %s",
                [promised, order.id],
            )
        self.Daily._refresh_days(days | self._days(orders))
        self.assertDailyIsRebuilt()
        self.env.cr.execute(
            "SELECT open_promise_day, SUM(open_orders) FROM oms_order_fact_daily"
            " WHERE open_promise_day >= %s GROUP BY 1",
            [promises[0].date()],
        )
        open_days = dict(self.env.cr.fetchall())
        self.assertGreaterEqual(open_days.get(now.date(), 0), 1)
        self.assertGreaterEqual(open_days.get(promises[0].date(), 0), 1)
        self.assertSameKpis("open orders around now")

    def test_orders_without_facts_counted_from_the_roll_up(self):
        """Whole days count their stored facts from the roll-up: an order
        without a fact row (e.g. inserted by SQL) is seen, and the KPIs
        stay those of the facts; other bounds still count the facts."""
        Fact = self.Fact
        start, stop = datetime(2025, 12, 1), datetime(2026, 4, 1)
        self.assertFalse(Fact._has_missing(start, stop))
        # an order without a fact row, the roll-up summing the stored facts
        order = self.orders[0]
        days = self._days(order)
        self.env.cr.execute(
            "DELETE FROM oms_order_fact WHERE order_id = %s", [order.id]
        )
        self.Daily._refresh_days(days)
        self.assertTrue(Fact._has_missing(start, stop))
        with patch.object(OmsKpi, "_get_kpi_daily_sql", autospec=True) as daily_sql:
            self.env["oms.kpi"]._compute_periods(
                date(2025, 12, 1), date(2026, 1, 1), date(2026, 3, 31), None, None
            )
        self.assertFalse(daily_sql.called, "the facts answer meanwhile")
        Fact._refresh()
        self.assertFalse(Fact._has_missing(start, stop))
        self.assertDailyIsRebuilt()
        # the roll-up is what is counted for whole days
        self.env.cr.execute(
            "UPDATE oms_order_fact_daily SET orders = orders + 1"
            " WHERE id = (SELECT MIN(id) FROM oms_order_fact_daily)"
        )
        self.assertTrue(Fact._has_missing(start, stop))
        self.assertFalse(
            Fact._has_missing(start + timedelta(hours=1), stop + timedelta(hours=1))
        )
        self.Daily._rebuild()

    def test_deleted_order_leaves_the_roll_up(self):
        """A deleted order sends the KPIs to the facts until the refresh
        takes it out of its day; then the roll-up answers again."""
        order = self.orders.filtered(lambda o: o.state == "draft")[:1]
        order.unlink()
        with patch.object(OmsKpi, "_get_kpi_daily_sql", autospec=True) as daily_sql:
            self.env["oms.kpi"]._compute_periods(
                date(2025, 12, 1), date(2026, 1, 1), date(2026, 3, 31), None, None
            )
        self.assertFalse(daily_sql.called)
        self.Fact._refresh()
        self.assertDailyIsRebuilt()
        self.assertSameKpis("deleted")

    def _plan_nodes(self, sql):
        """The nodes of the plan of ``sql`` when the planner may not read a
        whole table (its indexes only), as on a big database."""
        cr = self.env.cr
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute("SET LOCAL enable_bitmapscan = off")
        try:
            cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", sql))
            nodes, stack = [], [cr.fetchone()[0][0]["Plan"]]
        finally:
            cr.execute("RESET enable_seqscan")
            cr.execute("RESET enable_bitmapscan")
        while stack:
            nodes.append(stack.pop())
            stack.extend(nodes[-1].get("Plans", []))
        return nodes

    def _kpi_query(self):
        """The report's rows of the first quarter, and the period's bounds."""
        kpi = self.env["oms.kpi"]
        start, stop = date(2026, 1, 1), date(2026, 3, 31)
        query = self.env["oms.order.report"]._search(
            kpi._get_report_domain(start, stop)
        )
        return kpi, query, (datetime(2026, 1, 1), datetime(2026, 4, 1))

    def test_cycle_p90_walks_the_index_from_the_top(self):
        """The 90th percentile of the cycle times reads the stored ones from
        the top of the facts' index down to its rank, not every cycle time
        of the period sorted (a million orders: 730,000 of them)."""
        kpi, query, period = self._kpi_query()
        live = kpi._get_kpi_rows(period)[0]
        sql = kpi._get_kpi_daily_p90_sql(query, period, 20, 17, 18, live)
        walks = [
            node
            for node in self._plan_nodes(sql)
            if node.get("Index Name") == "oms_order_fact_cycle_idx"
        ]
        self.assertTrue(walks)
        self.assertEqual({node["Scan Direction"] for node in walks}, {"Backward"})

    def test_sparse_parts_read_their_few_facts(self):
        """The parts of the KPIs read per order (the exception codes the
        facts lump together) filter the facts where their partial index
        serves: the live facts have the stored facts' column types, so the
        filter reaches both sides of the rows' UNION ALL."""
        kpi, query, period = self._kpi_query()
        live, rows = kpi._get_kpi_rows(period)
        sql = SQL(
            "WITH %s SELECT rows.id FROM (%s) rows"
            " WHERE rows.exception_price_count > 0 OR rows.exception_other_count > 0",
            live,
            rows,
        )
        indexes = {node.get("Index Name") for node in self._plan_nodes(sql)}
        self.assertIn("oms_order_fact_exception_other_idx", indexes)

    def test_roll_up_is_read_only(self):
        """Managers may read the roll-up and nobody writes it through the ORM;
        an OMS user or a salesperson cannot read other people's sums there."""
        row = self.Daily.search([], limit=1)
        self.assertTrue(row)
        self.assertTrue(row.with_user(self.manager).read(["orders"]))
        with self.assertRaises(AccessError):
            row.with_user(self.manager).write({"orders": 0})
        with self.assertRaises(AccessError):
            self.Daily.with_user(self.manager).create({"day": "2026-01-01"})
        for user in (self.oms_user, self.salesman):
            with self.assertRaises(AccessError):
                row.with_user(user).read(["orders"])
