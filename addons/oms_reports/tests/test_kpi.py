from odoo.tests import tagged

from .common import OmsReportsCommon, dt


@tagged("post_install", "-at_install", "oms")
class TestKpi(OmsReportsCommon):
    """A known month of orders; every KPI is asserted to its exact value.

    January 2026 (channel A unless noted):
    O1 on time, complete, invoiced and paid: the only perfect order
    O2 late (shipped after the promise); O3 partial first shipment (back-order)
    O4 returned; O5 cancelled; O6 exceptions overridden by a human (touched)
    O7 untouched but not shipped, promise passed (late, channel B)
    O8 on hold with an open stock exception (draft). December 2025: O9.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        A, B = cls.product_a, cls.product_b
        cls.reason_mind = cls.env["oms.cancel.reason"].create(
            {"name": "KPI changed mind"}
        )

        cls.o1 = cls._create_past_order(
            [(A, 2)],
            "2026-01-05 08:00",
            user=cls.salesman,
            commitment="2026-01-08 00:00",
        )
        cls._confirm(cls.o1, "2026-01-05 09:00")
        cls._ship_on(cls.o1, {A: 2}, "2026-01-06 08:00")
        cls._set_history(cls.o1, "oms_delivered_date", dt("2026-01-07 08:00"))
        cls._invoice_and_pay(cls.o1, "2026-01-06 08:00", "2026-01-16 08:00")
        cls._set_review(cls.o1, "2026-01-05 09:00")

        cls.o2 = cls._create_past_order(
            [(A, 1)], "2026-01-10 00:00", commitment="2026-01-11 00:00"
        )
        cls._confirm(cls.o2)
        cls._ship_on(cls.o2, {A: 1}, "2026-01-12 00:00")
        cls._set_review(cls.o2, "2026-01-10 02:00")

        cls.o3 = cls._create_past_order(
            [(A, 2), (B, 2)], "2026-01-12 00:00", commitment="2026-01-20 00:00"
        )
        cls._confirm(cls.o3)
        cls._ship_on(cls.o3, {A: 2, B: 1}, "2026-01-13 00:00")
        cls._ship_on(cls.o3, {B: 1}, "2026-01-15 00:00")
        cls._set_review(cls.o3, "2026-01-12 01:00")

        cls.o4 = cls._create_past_order(
            [(B, 2)], "2026-01-15 00:00", commitment="2026-01-18 00:00"
        )
        cls._confirm(cls.o4)
        picking = cls._ship_on(cls.o4, {B: 2}, "2026-01-16 00:00")
        cls._return(picking, B, 1, "2026-01-17 00:00")
        cls._set_review(cls.o4, "2026-01-15 00:30")

        cls.o5 = cls._create_past_order([(A, 1)], "2026-01-20 00:00")
        cls.o5._action_cancel()
        cls._set_history(cls.o5, "oms_cancel_reason_id", cls.reason_mind.id)
        cls._set_review(cls.o5, None, auto=False)

        cls.o6 = cls._create_past_order(
            [(A, 1)], "2026-01-22 00:00", commitment="2026-01-30 00:00"
        )
        cls._confirm(cls.o6)
        cls._ship_on(cls.o6, {A: 1}, "2026-01-23 00:00")
        cls._set_review(cls.o6, "2026-01-22 05:00", auto=False, touches=2)

        cls.o7 = cls._create_past_order(
            [(B, 1)],
            "2026-01-25 00:00",
            channel=cls.channel_b,
            commitment="2026-01-26 00:00",
        )
        cls._confirm(cls.o7)
        cls._set_review(cls.o7, "2026-01-25 00:00")

        cls.o8 = cls._create_past_order([(A, 1)], "2026-01-28 00:00")
        cls._set_review(cls.o8, None, auto=False)

        cls.o9 = cls._create_past_order(
            [(A, 1)], "2025-12-20 00:00", commitment="2025-12-25 00:00"
        )
        cls._confirm(cls.o9)
        cls._set_review(cls.o9, "2025-12-20 01:00")

        orders = (
            cls.o1
            | cls.o2
            | cls.o3
            | cls.o4
            | cls.o5
            | cls.o6
            | cls.o7
            | cls.o8
            | cls.o9
        )
        # only the exceptions of the scenario, whatever rules are configured
        cls.env["oms.exception"].search([("order_id", "in", orders.ids)]).unlink()
        cls._add_exception(cls.o6, "credit_limit", "overridden")
        cls._add_exception(cls.o6, "address", "resolved")
        cls._add_exception(cls.o8, "stock", "open")

    def test_kpis_of_known_month(self):
        """Every contract KPI of January matches its definition exactly."""
        kpis = self.env["oms.kpi"].get_kpis("2026-01-01", "2026-01-31")
        expected = {
            "orders": 8,
            "revenue": 1100.0,
            "aov": 1100.0 / 6,
            "perfect_order_rate": 1 / 5,
            "on_time_rate": 4 / 6,
            "fill_rate": 5 / 6,
            "cycle_time_avg_h": 43.2,
            "cycle_time_p90_h": 62.4,
            "review_time_avg_h": 9.5 / 6,
            "cancellation_rate": 1 / 8,
            "exception_rate": 2 / 8,
            "touchless_rate": 5 / 6,
            "manual_intervention_rate": 1 / 8,
            "backorder_rate": 1 / 5,
            "return_rate": 1 / 5,
            "dso_days": 10.0,
        }
        for key, value in expected.items():
            self.assertAlmostEqual(kpis[key], value, places=6, msg=key)

    def test_report_row_carries_order_history(self):
        """The report row of each order carries its history."""
        Report = self.env["oms.order.report"]

        def row(order):
            return Report.search([("order_id", "=", order.id)])

        self.assertRecordValues(
            row(self.o1),
            [
                {
                    "qty_ordered": 2,
                    "qty_first_shipment": 2,
                    "qty_delivered": 2,
                    "qty_returned": 0,
                    "delivery_count": 1,
                    "perfect_count": 1,
                    "cycle_time_h": 48.0,
                    "invoice_to_pay_h": 240.0,
                    "channel_id": self.channel_a.id,
                    "date_completed": dt("2026-01-07 08:00"),
                    "user_id": self.salesman.id,
                }
            ],
        )
        self.assertRecordValues(
            row(self.o3),
            [
                {
                    "qty_ordered": 4,
                    "qty_first_shipment": 3,
                    "qty_delivered": 4,
                    "qty_returned": 0,
                    "delivery_count": 2,
                    "backorder_count": 1,
                    "line_count": 2,
                    "line_filled_count": 1,
                    "cycle_time_h": 72.0,
                    "on_time_count": 1,
                }
            ],
        )
        self.assertRecordValues(
            row(self.o4),
            [
                {
                    "qty_ordered": 2,
                    "qty_first_shipment": 2,
                    "qty_delivered": 2,
                    "qty_returned": 1,
                    "returned_count": 1,
                    "perfect_count": 0,
                    "on_time_count": 1,
                }
            ],
        )
        row6 = row(self.o6)
        self.assertRecordValues(
            row6,
            [
                {
                    "exception_count": 2,
                    "exception_overridden_count": 1,
                    "exception_credit_limit_count": 1,
                    "exception_address_count": 1,
                    "touch_count": 2,
                    "touched_count": 1,
                    "review_time_h": 5.0,
                }
            ],
        )
        row7 = row(self.o7)
        self.assertEqual(row7.late_count, 1)
        self.assertEqual(row7.channel_id, self.channel_b)

    def test_breakdowns_list_most_frequent_first(self):
        """Cancellation reasons and the exception Pareto, most frequent first."""
        kpis = self.env["oms.kpi"].get_kpis("2026-01-01", "2026-01-31")
        self.assertEqual(
            kpis["cancel_reasons"],
            [
                {
                    "reason_id": self.reason_mind.id,
                    "name": "KPI changed mind",
                    "count": 1,
                    "share": 1.0,
                }
            ],
        )
        self.assertEqual(
            [(p["code"], p["count"]) for p in kpis["exception_pareto"]],
            [("address", 1), ("credit_limit", 1), ("stock", 1)],
        )
        self.assertAlmostEqual(kpis["exception_pareto"][1]["cumulative_share"], 2 / 3)
        turnover = [
            t for t in kpis["inventory_turnover"] if t["categ_id"] == self.category.id
        ]
        self.assertEqual(turnover[0]["shipped_qty"], 10.0)

    def test_previous_period_and_filters(self):
        """The previous period has the same length; channel filter narrows."""
        kpis = self.env["oms.kpi"].get_kpis("2026-01-01", "2026-01-31")
        previous = kpis["previous"]
        self.assertEqual(str(previous["date_from"]), "2025-12-01")
        self.assertEqual(previous["orders"], 1)
        self.assertEqual(previous["revenue"], 100.0)
        self.assertEqual(previous["on_time_rate"], 0.0)
        self.assertEqual(kpis["change"]["orders"], 7)
        by_channel = self.env["oms.kpi"].get_kpis(
            "2026-01-01", "2026-01-31", channel_ids=self.channel_a.ids
        )
        self.assertEqual(by_channel["orders"], 7)
        self.assertEqual(by_channel["revenue"], 1000.0)

    def test_salesperson_sees_own_orders(self):
        """A salesperson's KPIs count their own orders only; managers see all."""
        own = (
            self.env["oms.kpi"]
            .with_user(self.salesman)
            .get_kpis("2026-01-01", "2026-01-31")
        )
        self.assertEqual(own["orders"], 1)
        self.assertEqual(own["perfect_order_rate"], 1.0)
        rows = self.env["oms.order.report"].with_user(self.salesman).search([])
        self.assertEqual(rows.order_id, self.o1)
        allk = (
            self.env["oms.kpi"]
            .with_user(self.manager)
            .get_kpis("2026-01-01", "2026-01-31")
        )
        self.assertEqual(allk["orders"], 8)
