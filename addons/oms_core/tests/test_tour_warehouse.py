"""Warehouse journey in the browser: deliveries by priority, tracking number."""

from odoo import fields
from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourWarehouse(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_user = cls._create_tour_user(
            "tour_stock_zhao", "stock.group_stock_user", "Zhao Lei"
        )
        cls.env["oms.priority.rule"].create(
            {
                "name": "VIP customers",
                "domain": "[('partner_id.oms_tier', '=', 'vip')]",
                "points": 100,
            }
        )
        product = cls._create_tour_product("Porcelain Tea Set", 80.0)
        normal = cls._create_tour_customer("Wu Gang")
        vip = cls._create_tour_customer("Li Na (VIP)", oms_tier="vip")
        cls.normal_order = cls._create_order([(product, 1)], customer=normal)
        cls.normal_order.action_confirm()
        cls.vip_order = cls._create_order([(product, 2)], customer=vip)
        cls.vip_order.action_confirm()
        # due later than the normal one: only its priority puts it on top
        cls.vip_order.picking_ids.scheduled_date = fields.Datetime.add(
            cls.normal_order.picking_ids.scheduled_date, days=1
        )

    def test_warehouse_ships_the_urgent_delivery_first(self):
        """The stock user validates the VIP delivery, on top, with a tracking ref."""
        vip_picking = self.vip_order.picking_ids
        normal_picking = self.normal_order.picking_ids
        self.assertEqual((vip_picking.priority, normal_picking.priority), ("1", "0"))
        self.assertLess(normal_picking.scheduled_date, vip_picking.scheduled_date)
        self.start_oms_tour("/odoo", "oms_warehouse_tour", login="tour_stock_zhao")
        self.assertRecordValues(
            vip_picking,
            [{"state": "done", "carrier_tracking_ref": "SF1234567890"}],
        )
        self.assertEqual(normal_picking.state, "assigned")
        self.assertEqual(self.vip_order.oms_stage, "shipped")
