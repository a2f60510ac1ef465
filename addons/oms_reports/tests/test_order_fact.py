from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..models.oms_kpi import OMS_FACT_REFRESH_THRESHOLD
from .common import OmsReportsCommon, dt


@tagged("post_install", "-at_install", "oms")
class TestOrderFact(OmsReportsCommon):
    """The stored facts are a cache: whatever happens to an order after they
    were stored, the report and the KPIs show it at once, and the next refresh
    stores it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        A, B = cls.product_a, cls.product_b
        cls.order = cls._create_past_order(
            [(A, 2)], "2026-03-02 08:00", commitment="2026-03-10 00:00"
        )
        cls._confirm(cls.order, "2026-03-02 09:00")
        cls.quote = cls._create_past_order([(B, 1)], "2026-03-03 08:00")
        cls.orders = cls.order | cls.quote
        cls.env["oms.exception"].search([("order_id", "in", cls.orders.ids)]).unlink()
        cls.env["oms.order.fact"]._refresh()

    def _row(self, order):
        # SQL views read the tables: write the pending changes first, and
        # forget the rows read before
        self.env.flush_all()
        self.env["oms.order.report"].invalidate_model()
        return self.env["oms.order.report"].search([("order_id", "=", order.id)])

    def _stored(self, order):
        self.env["oms.order.fact"].invalidate_model()
        return self.env["oms.order.fact"].search([("order_id", "=", order.id)])

    def _queued(self, orders):
        return self.env["oms.order.fact.queue"].search_count(
            [("order_id", "in", orders.ids)]
        )

    def _kpis(self):
        return self.env["oms.kpi"].get_kpis("2026-03-01", "2026-03-31")

    def test_refresh_stores_the_live_facts(self):
        """A new order is computed live until the refresh stores the same row."""
        order = self._create_past_order([(self.product_a, 3)], "2026-03-04 08:00")
        self._confirm(order)
        self.assertFalse(self._stored(order))
        self.assertTrue(self._queued(order))
        fields = ["qty_ordered", "line_count", "state", "date_promised", "late_count"]
        live = self._row(order).read(fields)
        self.assertEqual(live[0]["qty_ordered"], 3)
        self.assertGreaterEqual(self.env["oms.order.fact"]._refresh(), 1)
        self.assertFalse(self._queued(order))
        self.assertEqual(self._stored(order).qty_ordered, 3)
        self.assertEqual(self._row(order).read(fields), live)

    def test_promised_ship_date_is_the_due_date(self):
        """Promised for the 5th, shipped the 6th: late; a delivery date
        committed to the customer for the 10th still wins."""
        A = self.product_a
        promised = self._create_past_order([(A, 1)], "2026-03-02 08:00")
        self._confirm(promised, "2026-03-02 09:00", promised="2026-03-05 10:00")
        committed = self._create_past_order(
            [(A, 1)], "2026-03-02 08:00", commitment="2026-03-10 00:00"
        )
        self._confirm(committed, "2026-03-02 09:00", promised="2026-03-05 10:00")
        for order in promised | committed:
            self._ship_on(order, {A: 1}, "2026-03-06 08:00")
        self.assertRecordValues(
            self._row(promised) | self._row(committed),
            [
                {"date_promised": dt("2026-03-05 10:00"), "on_time_count": 0},
                {"date_promised": dt("2026-03-10 00:00"), "on_time_count": 1},
            ],
        )

    def test_reservation_is_not_queued(self):
        """Unreserving and reserving a delivery queues no fact; shipping does."""
        picking = self.order.picking_ids
        self.assertFalse(self._queued(self.order))
        picking.do_unreserve()
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        self.assertFalse(self._queued(self.order))
        self._ship_on(self.order, {self.product_a: 1}, "2026-03-04 08:00")
        self.assertTrue(self._queued(self.order))

    def test_delivery_after_refresh_shows_at_once(self):
        """Shipping an order shows at once, then is stored by the refresh."""
        self.assertEqual(self._kpis()["backorder_rate"], 0.0)
        self._ship_on(self.order, {self.product_a: 1}, "2026-03-04 08:00")
        # the stored row is stale, the report is not
        self.assertFalse(self._stored(self.order).date_first_shipment)
        self.assertRecordValues(
            self._row(self.order),
            [
                {
                    "date_first_shipment": dt("2026-03-04 08:00"),
                    "qty_delivered": 1,
                    "shipped_count": 1,
                    "backorder_count": 1,
                }
            ],
        )
        self.assertEqual(self._kpis()["backorder_rate"], 1.0)
        self.env["oms.order.fact"]._refresh()
        self.assertEqual(self._stored(self.order).qty_delivered, 1)
        self.assertEqual(self._kpis()["backorder_rate"], 1.0)

    def test_invoice_and_payment_after_refresh(self):
        """Invoicing and paying an order show at once in the report and DSO."""
        self._ship_on(self.order, {self.product_a: 2}, "2026-03-04 08:00")
        self.env["oms.order.fact"]._refresh()
        self._invoice_and_pay(self.order, "2026-03-05 08:00")
        self.assertFalse(self._stored(self.order).date_invoiced)
        self.assertEqual(
            self._row(self.order).date_invoiced, dt("2026-03-05 08:00").date()
        )
        self.assertFalse(self._row(self.order).date_paid)
        self.env["oms.order.fact"]._refresh()
        invoice = self.order.invoice_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": dt("2026-03-09 08:00").date()})._create_payments()
        self.assertFalse(self._stored(self.order).date_paid)
        self.assertEqual(self._row(self.order).date_paid, dt("2026-03-09 08:00").date())
        self.assertAlmostEqual(self._kpis()["dso_days"], 4.0)

    def test_cancel_after_refresh_counts_at_once(self):
        """Cancelling an order counts at once in the cancellation rate."""
        self.assertEqual(self._kpis()["cancellation_rate"], 0.0)
        self.quote._action_cancel()
        self.assertEqual(self._stored(self.quote).state, "draft")
        self.assertEqual(self._row(self.quote).cancelled_count, 1)
        self.assertEqual(self._kpis()["cancellation_rate"], 0.5)

    def test_return_after_refresh_counts_at_once(self):
        """A return after the refresh counts at once in the return rate."""
        picking = self._ship_on(self.order, {self.product_a: 2}, "2026-03-04 08:00")
        self.env["oms.order.fact"]._refresh()
        self.assertEqual(self._kpis()["return_rate"], 0.0)
        self._return(picking, self.product_a, 1, "2026-03-06 08:00")
        self.assertEqual(self._stored(self.order).qty_returned, 0)
        self.assertEqual(self._row(self.order).qty_returned, 1)
        self.assertEqual(self._kpis()["return_rate"], 1.0)

    def test_exception_and_touch_after_refresh(self):
        """A new exception and a manual touch count at once."""
        self._add_exception(self.quote, "address")
        self.order.oms_touch_count = 1
        self.assertEqual(self._stored(self.quote).exception_count, 0)
        self.assertEqual(self._stored(self.order).touch_count, 0)
        kpis = self._kpis()
        self.assertEqual(kpis["exception_rate"], 0.5)
        self.assertEqual(kpis["manual_intervention_rate"], 0.5)
        self.assertEqual(kpis["exception_pareto"][0]["code"], "address")

    def test_long_queue_is_stored_by_get_kpis(self):
        """Past the queue threshold, get_kpis stores the facts first."""
        # rather than computing them live at every call
        self.order.oms_touch_count = 1
        queue = self.env["oms.order.fact.queue"]
        queue._enqueue(self.quote)
        for _i in range(OMS_FACT_REFRESH_THRESHOLD // 2):
            queue._enqueue(self.order | self.quote)
        self.assertEqual(self._stored(self.order).touch_count, 0)
        self.assertEqual(self._kpis()["manual_intervention_rate"], 0.5)
        self.assertFalse(self._queued(self.orders))
        self.assertEqual(self._stored(self.order).touch_count, 1)

    def test_orders_without_facts_are_counted(self):
        """An order with no stored fact nor queue entry is counted, live."""
        # inserted by SQL since the last refresh
        self.assertEqual(self._kpis()["orders"], 2)
        self.env.cr.execute(
            "DELETE FROM oms_order_fact WHERE order_id = %s", [self.quote.id]
        )
        self.assertFalse(self._queued(self.quote))
        kpis = self._kpis()
        self.assertEqual(kpis["orders"], 2)
        self.assertEqual(kpis["revenue"], 200.0)

    def test_queue_and_refresh_never_wait(self):
        """Two transactions queue one order at once; a busy refresh is skipped."""
        # this test's transaction refreshed in setUpClass and is still open
        with (
            db_connect(self.env.cr.dbname).cursor() as cr1,
            db_connect(self.env.cr.dbname).cursor() as cr2,
        ):
            try:
                for cr in (cr1, cr2):
                    cr.execute("SET lock_timeout = '2s'")
                    cr.execute(
                        "INSERT INTO oms_order_fact_queue (order_id) VALUES (-4242)"
                    )
                cr2.commit()
                cr1.commit()
                env2 = api.Environment(cr2, SUPERUSER_ID, {})
                self.assertIsNone(env2["oms.order.fact"]._refresh())
            finally:
                cr1.rollback()
                cr2.rollback()
                cr2.execute("DELETE FROM oms_order_fact_queue WHERE order_id = -4242")
                cr2.commit()
