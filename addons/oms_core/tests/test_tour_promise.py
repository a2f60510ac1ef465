"""Promise and foresight in the browser, in zh_CN: the salesperson sees the
promised ship date while entering an order; the manager runs a what-if
before activating a rule."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourPromise(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.salesman = cls._create_tour_user(
            "tour_sales_zhao", "sales_team.group_sale_salesman", "赵销售", lang="zh_CN"
        )
        cls.oms_manager = cls._create_tour_user(
            "tour_manager_qian",
            "sales_team.group_sale_manager,oms_core.group_oms_manager",
            "钱经理",
            lang="zh_CN",
        )
        cls.customer = cls._create_tour_customer("江南家居有限公司")
        cls.tea_set = cls._create_tour_product("青花瓷茶具", 680.0, qty=5)
        supplier = cls.env.ref("stock.stock_location_suppliers")
        cls.arrival = fields.Datetime.now() + timedelta(days=10)
        receipt = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.in_type_id.id,
                "location_id": supplier.id,
                "location_dest_id": cls.stock_location.id,
                "scheduled_date": cls.arrival,
                "move_ids": [
                    fields.Command.create(
                        {
                            "name": cls.tea_set.name,
                            "product_id": cls.tea_set.id,
                            "product_uom_qty": 10,
                            "product_uom": cls.tea_set.uom_id.id,
                            "location_id": supplier.id,
                            "location_dest_id": cls.stock_location.id,
                            "date": cls.arrival,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()

    def test_salesperson_sees_the_promised_date(self):
        """Typing 8 units (5 in stock, 10 arriving): the date is shown before
        saving, and stored after the receipt's day."""
        self.start_oms_tour(
            "/odoo/action-sale.action_quotations_with_onboarding/new",
            "oms_promise_sales_tour",
            login="tour_sales_zhao",
        )
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(order.order_line.product_uom_qty, 8)
        self.assertTrue(order.oms_promised_date)
        self.assertGreater(order.oms_promised_date.date(), self.arrival.date())
        self.assertEqual(order.oms_promised_date, order.order_line.oms_promised_date)

    def test_customer_sees_the_date_in_the_portal(self):
        """The customer's portal page of the order shows its promised ship date."""
        order = self._create_order([(self.tea_set, 2)], customer=self.customer)
        order.action_confirm()
        self.assertTrue(order.oms_promised_date)
        response = self.url_open(order.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            "Promised Ship Date" in response.text or "承诺发货日期" in response.text
        )

    def test_manager_runs_a_what_if_before_activating(self):
        """A new rule (inactive) would hold one of the two recent orders; the
        manager sees it, then activates the rule."""
        self._create_order([(self.tea_set, 1)], customer=self.customer)
        big = self._create_order([(self.tea_set, 4)], customer=self.customer)
        rule = self._create_rule(
            "amount_threshold", name="大额订单审批", amount_limit=2000.0, active=False
        )
        self.start_oms_tour(
            f"/odoo/action-oms_core.oms_review_rule_action/{rule.id}",
            "oms_what_if_tour",
            login="tour_manager_qian",
        )
        self.assertTrue(rule.active)
        self.assertFalse(big.oms_exception_ids, "the what-if wrote nothing")
