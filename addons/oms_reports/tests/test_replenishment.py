from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import OmsReportsCommon


@tagged("post_install", "-at_install", "oms")
class TestReplenishment(OmsReportsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        vendor = cls.env["res.partner"].create({"name": "KPI Vendor"})
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI Fast Mover",
                "type": "consu",
                "is_storable": True,
                "seller_ids": [Command.create({"partner_id": vendor.id, "delay": 4})],
            }
        )
        today = fields.Datetime.now().replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        for days_ago, qty in ((1, 4), (2, 6)):
            order = cls._create_order([(cls.product, qty)])
            order.action_confirm()
            cls._set_history(order, "date_order", today - timedelta(days=days_ago))

    def test_suggestion_from_known_history(self):
        """10 days of history: 4 and 6 units on two days, lead time 4 days, 95 %."""
        wizard = self.env["oms.replenishment.suggest"].create(
            {
                "warehouse_id": self.warehouse.id,
                "history_days": 10,
                "service_level": "0.95",
                "review_days": 14,
            }
        )
        wizard.action_compute()
        line = wizard.line_ids.filtered(lambda rec: rec.product_id == self.product)
        # average 1/day, deviation sqrt((52 - 10) / 9), safety 1.6449 * 2.1602 * sqrt(4)
        self.assertAlmostEqual(line.avg_daily_demand, 1.0)
        self.assertAlmostEqual(line.demand_deviation, 2.160, places=3)
        self.assertEqual(line.lead_days, 4)
        self.assertAlmostEqual(line.safety_stock, 7.107, places=3)
        self.assertAlmostEqual(line.min_qty, 11.11)
        self.assertAlmostEqual(line.max_qty, 25.11)
        # nothing in stock for 10 units ordered: warned
        self.assertTrue(line.is_low_stock)
        self.assertEqual((line.open_qty, line.on_hand_qty), (10.0, 0.0))
        wizard.line_ids.filtered(
            lambda rec: rec.product_id != self.product
        ).to_apply = False
        wizard.action_apply()
        orderpoint = self.env["stock.warehouse.orderpoint"].search(
            [
                ("product_id", "=", self.product.id),
                ("warehouse_id", "=", self.warehouse.id),
            ]
        )
        self.assertRecordValues(
            orderpoint, [{"product_min_qty": 11.11, "product_max_qty": 25.11}]
        )
        # a second run updates the same rule
        wizard.service_level = "0.99"
        wizard.action_compute()
        wizard.line_ids.filtered(
            lambda rec: rec.product_id != self.product
        ).to_apply = False
        self.assertEqual(wizard.line_ids.filtered("to_apply").orderpoint_id, orderpoint)
        wizard.action_apply()
        self.assertGreater(orderpoint.product_min_qty, 11.11)
