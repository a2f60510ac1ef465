from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import OmsReportsCommon


@tagged("post_install", "-at_install", "oms")
class TestKpiService(OmsReportsCommon):
    """The customer's side of the KPIs on a known month of orders.

    March 2026 (channel A unless noted):
    S1 shipped before its promise, delivered, rated 5 stars
    S2 shipped after its promise, returned as the wrong item, touched twice,
       rated 2 stars
    S3 no promise, delivered, returned (changed mind), rated 5 stars, an
       exception raised by the channel
    S4 confirmed, not shipped, one exception, asked for a rating (no answer)
    S5 cancelled. February: P1, late, channel A. March, channel B: B1, late.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        A = cls.product_a
        cls.company.write(
            {
                "oms_cost_per_order": 1.0,
                "oms_cost_per_exception": 2.0,
                "oms_cost_per_shipment": 3.0,
                "oms_cost_per_return": 4.0,
                "oms_cost_per_touch": 5.0,
            }
        )
        Reason = cls.env["oms.return.reason"]
        cls.reason_wrong = Reason.create({"name": "KPI wrong", "is_wrong_item": True})
        cls.reason_mind = Reason.create({"name": "KPI changed mind"})

        cls.s1 = cls._delivered("2026-03-02 00:00", "2026-03-04 00:00", "2026-03-05")
        cls.s2 = cls._delivered("2026-03-03 00:00", "2026-03-07 00:00", "2026-03-05")
        cls._set_review(cls.s2, "2026-03-03 01:00", auto=False, touches=2)
        cls._return(cls.s2.picking_ids, A, 1, "2026-03-09 00:00")
        cls._oms_return(cls.s2, cls.reason_wrong)
        cls.s3 = cls._delivered("2026-03-04 00:00", "2026-03-05 00:00", None)
        cls._return(cls.s3.picking_ids, A, 1, "2026-03-09 00:00")
        cls._oms_return(cls.s3, cls.reason_mind)
        cls.s4 = cls._confirm(cls._create_past_order([(A, 1)], "2026-03-05 00:00"))
        cls.s5 = cls._create_past_order([(A, 1)], "2026-03-06 00:00")
        cls.s5._action_cancel()
        cls.p1 = cls._delivered("2026-02-10 00:00", "2026-02-14 00:00", "2026-02-12")
        cls.b1 = cls._delivered(
            "2026-03-10 00:00", "2026-03-14 00:00", "2026-03-12", cls.channel_b
        )
        orders = cls.s1 | cls.s2 | cls.s3 | cls.s4 | cls.s5 | cls.p1 | cls.b1
        cls.env["oms.exception"].search([("order_id", "in", orders.ids)]).unlink()
        cls._add_exception(cls.s4, "stock", "open")
        cls._add_exception(cls.s3, "channel_total_mismatch", "resolved")
        for order, stars, consumed, recommend in (
            (cls.s1, 5, True, 10),
            (cls.s2, 2, True, 3),
            (cls.s3, 5, True, None),
            (cls.s4, 0, False, 9),
            (cls.s5, 0, False, None),
        ):
            cls._rate(order, stars, consumed, recommend)

    @classmethod
    def _delivered(cls, created, shipped, promised, channel=None):
        """An order of 2 units received at ``created``, shipped whole at
        ``shipped``, promised for noon of ``promised`` (a day) if given."""
        order = cls._create_past_order(
            [(cls.product_a, 2)],
            created,
            channel=channel,
            commitment=promised and f"{promised} 12:00",
        )
        cls._confirm(order)
        # the promise of the story is the commitment, if any: not the ship
        # date the stock allows today
        cls._set_history(order, "oms_promised_date", None)
        cls._ship_on(order, {cls.product_a: 2}, shipped)
        cls._set_review(order, created)
        return order

    @classmethod
    def _oms_return(cls, order, reason):
        """The customer's return request of one unit for ``reason``."""
        return cls.env["oms.return"].create(
            {
                "order_id": order.id,
                "line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product_a.id,
                            "quantity": 1.0,
                            "reason_id": reason.id,
                        }
                    )
                ],
            }
        )

    @classmethod
    def _rate(cls, order, stars, consumed, recommend=None):
        """The customer's answer to the survey of ``order``: the stars as
        Odoo's rating module stores them, and the 0-10 recommendation."""
        cls.env["rating.rating"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("sale.order"),
                "res_id": order.id,
                "partner_id": order.partner_id.id,
                "rating": stars,
                "consumed": consumed,
                "oms_nps_score": recommend or 0,
                "oms_nps_answered": recommend is not None,
            }
        )

    def test_service_kpis_of_known_month(self):
        """Promise kept, accuracy, cost per order, CSAT and NPS of March, exactly."""
        kpis = self.env["oms.kpi"].get_kpis(
            "2026-03-01", "2026-03-31", channel_ids=self.channel_a.ids
        )
        # kept: S1 of S1, S2 (S3 had no promise)
        self.assertAlmostEqual(kpis["promise_kept_rate"], 1 / 2)
        # delivered S1, S2, S3; S2 came back as the wrong item
        self.assertAlmostEqual(kpis["order_accuracy_rate"], 2 / 3)
        # 5 orders x 1 + 2 exceptions x 2 + 3 shipments x 3 + 2 returned x 4
        # + 2 touches x 5 = 36
        self.assertAlmostEqual(kpis["cost_per_order"], 36 / 5)
        # answered ratings 5, 2, 5 (S4 recommended without stars, S5 silent)
        self.assertAlmostEqual(kpis["csat"], 12 / 3)
        # recommendations 10, 3, 9 (S3 gave stars only): promoters S1, S4;
        # detractor S2
        self.assertAlmostEqual(kpis["nps"], 100 * (2 - 1) / 3)

    def test_no_rating_no_satisfaction_figure(self):
        """Without ratings CSAT and NPS are False, not 0, and have no trend."""
        kpis = self.env["oms.kpi"].get_kpis("2026-02-01", "2026-02-28")
        self.assertEqual(kpis["orders"], 1)
        self.assertIs(kpis["csat"], False)
        self.assertIs(kpis["nps"], False)
        self.assertAlmostEqual(kpis["promise_kept_rate"], 0.0)
        march = self.env["oms.kpi"].get_kpis("2026-03-01", "2026-03-31")
        self.assertIs(march["change"]["csat"], False)
        self.assertAlmostEqual(march["change"]["promise_kept_rate"], 1 / 3)

    def test_exception_pareto_reads_labels(self):
        """The Pareto names exceptions by type, also those a channel raised."""
        kpis = self.env["oms.kpi"].get_kpis("2026-03-01", "2026-03-31")
        self.assertEqual(
            [(row["code"], row["name"]) for row in kpis["exception_pareto"]],
            [
                ("channel_total_mismatch", "Channel total mismatch"),
                ("stock", "Stock Available to Promise"),
            ],
        )

    def test_drilldown_keeps_period_and_channels(self):
        """A figure of March on channel A opens the orders of March on channel A."""
        Kpi, Report = self.env["oms.kpi"], self.env["oms.order.report"]

        def orders(kpi, channels):
            action = Kpi.get_drilldown_action(
                kpi, "2026-03-01", "2026-03-31", channels.ids
            )
            return Report.search(action["domain"]).order_id

        self.assertEqual(orders("promise_kept_rate", self.channel_a), self.s2)
        self.assertEqual(orders("on_time_rate", self.channel_a), self.s2)
        self.assertEqual(orders("on_time_rate", self.channel_b), self.b1)
        self.assertEqual(orders("order_accuracy_rate", self.channel_a), self.s2)
        self.assertEqual(
            orders("orders", self.channel_a | self.channel_b),
            self.s1 | self.s2 | self.s3 | self.s4 | self.s5 | self.b1,
        )

    def test_dashboard_colours_by_meaning(self):
        """The dashboard knows which figures are better lower, and the currency."""
        data = self.env["oms.kpi"].get_dashboard_data("2026-03-01", "2026-03-31")
        for key in ("cancellation_rate", "exception_rate", "cycle_time_avg_h"):
            self.assertIn(key, data["lower_is_better"])
        for key in ("on_time_rate", "promise_kept_rate", "csat", "revenue"):
            self.assertNotIn(key, data["lower_is_better"])
        self.assertEqual(data["currency_id"], self.company.currency_id.id)
        self.assertEqual(data["kpis"]["orders"], 6)

    def test_dashboard_answers_from_a_read_only_transaction(self):
        """The dashboard's methods are read-only (``api.readonly``): over RPC Odoo
        runs them on a read-only cursor, on the replica when one is configured,
        and they give the same figures there."""
        Kpi = self.env["oms.kpi"]
        for name in ("get_kpis", "get_dashboard_data", "get_drilldown_action"):
            self.assertTrue(getattr(getattr(type(Kpi), name), "_readonly", False))
        expected = Kpi.get_dashboard_data("2026-03-01", "2026-03-31")
        self.env.flush_all()
        self.env.invalidate_all()
        # the rest of this test's transaction is read-only, like the replica
        self.env.cr.execute("SET LOCAL transaction_read_only = on")
        data = Kpi.get_dashboard_data("2026-03-01", "2026-03-31")
        self.assertEqual(data["kpis"]["orders"], 6)
        self.assertEqual(data, expected)
        action = Kpi.get_drilldown_action("on_time_rate", "2026-03-01", "2026-03-31")
        self.assertEqual(action["res_model"], "oms.order.report")

    def test_dashboard_refused_without_oms_rights(self):
        """An internal user outside the OMS gets neither figures nor drill-downs."""
        user = new_test_user(self.env, login="kpi_outsider", groups="base.group_user")
        Kpi = self.env["oms.kpi"].with_user(user)
        with self.assertRaises(AccessError):
            Kpi.get_dashboard_data("2026-03-01", "2026-03-31")
        with self.assertRaises(AccessError):
            Kpi.get_drilldown_action("on_time_rate", "2026-03-01", "2026-03-31")
