from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import SourcingPlan, plan_sourcing
from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestSourcingEngine(OmsCommon):
    """The sourcing engine on its own: values in, values out."""

    def test_first_warehouse_with_everything_wins(self):
        """Both can ship everything: the preferred one; else split or nothing."""
        needs = {1: 2.0, 2: 1.0}
        atp = {(10, 1): 5, (10, 2): 1, (20, 1): 2, (20, 2): 3}
        self.assertEqual(
            plan_sourcing(needs, atp, [20, 10], False), SourcingPlan({1: 20, 2: 20})
        )
        atp[20, 1] = 1
        self.assertEqual(
            plan_sourcing(needs, atp, [20, 10], False), SourcingPlan({1: 10, 2: 10})
        )
        atp[10, 2] = 0
        self.assertEqual(plan_sourcing(needs, atp, [20, 10], False), SourcingPlan())
        self.assertEqual(
            plan_sourcing(needs, atp, [20, 10], True),
            SourcingPlan({1: 10, 2: 20}, split=True),
        )
        atp[10, 1] = 1
        self.assertFalse(plan_sourcing(needs, atp, [20, 10], True).covered)


@tagged("post_install", "-at_install", "oms")
class TestReviewSourcing(OmsCommon):
    """Two warehouses, Beijing (the order's) and Shanghai; the stock check
    chooses where the order ships from."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.beijing = cls.warehouse
        cls.shanghai = cls.env["stock.warehouse"].create(
            {"name": "Shanghai DC", "code": "SHDC", "sequence": 50}
        )
        cls.company.oms_source_warehouse_ids = cls.shanghai
        cls.province = cls.env["res.country.state"].create(
            {"name": "Zhejiang", "code": "ZJX", "country_id": cls.country.id}
        )
        cls.env["oms.warehouse.region"].create(
            {"state_id": cls.province.id, "warehouse_id": cls.shanghai.id}
        )
        cls.tea = cls._create_storable("Longjing tea", 30.0, qty=10)
        cls._set_stock(cls.tea, 5, cls.shanghai.lot_stock_id)
        # the cups are in Shanghai only
        cls.cup = cls._create_storable("Celadon cup", 20.0)
        cls._set_stock(cls.cup, 4, cls.shanghai.lot_stock_id)
        cls.rule = cls._create_rule("stock")

    def _open_exceptions(self, order):
        return order.oms_exception_ids.filtered(lambda e: e.state == "open")

    def test_one_warehouse_with_everything_chosen_by_region(self):
        """Both have the tea; the customer lives in Zhejiang: Shanghai ships."""
        customer = self._create_customer(
            "Hangzhou buyer", state_id=self.province.id, country_id=self.country.id
        )
        order = self._create_order([(self.tea, 3)], customer=customer)
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.warehouse_id, self.beijing, "the order's stays")
        self.assertEqual(order.order_line.oms_source_warehouse_id, self.shanghai)
        self.assertEqual(order.picking_ids.picking_type_id, self.shanghai.out_type_id)
        self.assertEqual(order.picking_ids.location_id, self.shanghai.lot_stock_id)
        self.assertIn("Shanghai DC", order.oms_sourcing_note)
        self.assertIn("Zhejiang", order.oms_sourcing_note)
        # elsewhere the order's own warehouse ships it
        other = self._create_order([(self.tea, 3)])
        other.action_oms_review()
        self.assertEqual(other.picking_ids.picking_type_id, self.beijing.out_type_id)
        self.assertIn("the order's warehouse", other.oms_sourcing_note)

    def test_split_order_makes_one_delivery_per_warehouse(self):
        """Tea from Beijing (8 > Shanghai's 5), cups from Shanghai: two deliveries."""
        customer = self._create_customer("Split buyer", oms_accepts_split=True)
        order = self._create_order([(self.tea, 8), (self.cup, 2)], customer=customer)
        self.assertTrue(order.oms_split_allowed, "the customer's choice")
        self.assertEqual(order.picking_policy, "direct", "Odoo's policy unchanged")
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertFalse(self._open_exceptions(order))
        by_warehouse = {
            picking.picking_type_id.warehouse_id: picking.move_ids.mapped(
                lambda m: (m.product_id, m.product_uom_qty)
            )
            for picking in order.picking_ids
        }
        self.assertEqual(
            by_warehouse,
            {self.beijing: [(self.tea, 8.0)], self.shanghai: [(self.cup, 2.0)]},
        )
        self.assertEqual(
            set(order.picking_ids.mapped("state")), {"assigned"}, "both reserved"
        )
        self.assertIn("Split shipment", order.oms_sourcing_note)
        self.assertIn("Shanghai DC ships Celadon cup", order.oms_sourcing_note)

    def test_split_refused_holds_the_order(self):
        """No single warehouse has tea and cups, no split accepted: held."""
        order = self._create_order([(self.tea, 8), (self.cup, 2)])
        order.action_oms_review()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.picking_ids)
        exception = self._open_exceptions(order)
        self.assertEqual(exception.rule_id, self.rule)
        self.assertIn("does not accept split shipments", exception.message)
        self.assertIn("Shanghai DC 4", exception.message)
        # the order (not only the customer) may accept it
        order.oms_split_allowed = True
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertEqual(len(order.picking_ids), 2)

    def test_no_combination_holds_the_order(self):
        """More cups than both warehouses have: held even with split shipments."""
        customer = self._create_customer("Split buyer", oms_accepts_split=True)
        order = self._create_order([(self.tea, 1), (self.cup, 5)], customer=customer)
        order.action_oms_review()
        self.assertEqual(order.state, "draft")
        self.assertIn("nor any combination", self._open_exceptions(order).message)
        self.assertFalse(order.order_line.oms_source_warehouse_id)

    def test_orders_of_one_batch_never_share_the_last_units(self):
        """Two orders of one review batch want Shanghai's 4 cups: one waits."""
        customer = self._create_customer("Split buyer", oms_accepts_split=True)
        first = self._create_order([(self.cup, 3)], customer=customer)
        second = self._create_order([(self.cup, 3)], customer=customer)
        (first | second).action_oms_review()
        self.assertEqual(sorted((first | second).mapped("state")), ["draft", "sale"])

    def test_sourcing_is_the_reviews_record(self):
        """A user cannot write the sourcing note; the region table is manager's."""
        order = self._create_order([(self.tea, 1)], user=self.salesman)
        with self.assertRaises(AccessError):
            order.write({"oms_sourcing_note": "Ships from the moon"})
        with self.assertRaises(AccessError):
            order.order_line.write({"oms_source_warehouse_id": self.shanghai.id})
        # a crafted context changes nothing either
        with self.assertRaises(AccessError):
            order.order_line.with_context(oms_sourcing=True).write(
                {"oms_source_warehouse_id": self.shanghai.id}
            )
        # nor on create
        with self.assertRaises(AccessError):
            self.env["sale.order.line"].with_user(self.salesman).create(
                {
                    "order_id": order.id,
                    "product_id": self.cup.id,
                    "oms_source_warehouse_id": self.shanghai.id,
                }
            )
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.env["oms.warehouse.region"].with_user(self.reviewer).create(
                {"state_id": self.province.id, "warehouse_id": self.beijing.id}
            )
