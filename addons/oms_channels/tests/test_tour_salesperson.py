"""Salesperson journey in the browser: a phone order for a VIP customer."""

from odoo.tests import tagged

from odoo.addons.oms_core.tests.common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourSalesperson(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls._create_tour_user(
            "tour_sales_chen", "sales_team.group_sale_salesman", "Chen Jing"
        )
        cls.channel = cls.env["oms.channel"].create(
            {
                "name": "Phone Hotline",
                "code": "TOURPHONE",
                "kind": "phone",
                "connector": "manual",
                "auto_confirm": True,
                "warehouse_id": cls.warehouse.id,
            }
        )
        cls.customer = cls._create_tour_customer("Zhang Wei (VIP)", oms_tier="vip")
        cls.product = cls._create_tour_product("Green Tea Gift Box", 120.0)
        cls.env["oms.priority.rule"].create(
            {
                "name": "VIP customers",
                "domain": "[('partner_id.oms_tier', '=', 'vip')]",
                "points": 100,
            }
        )
        cls.env["oms.review.rule"].create(
            {
                "name": "Large phone orders",
                "check_type": "amount_threshold",
                "severity": "warn",
                "amount_limit": 200.0,
            }
        )

    def test_salesperson_enters_a_vip_phone_order(self):
        """A VIP phone order is urgent, and approved with the review's warning."""
        self.start_oms_tour("/odoo", "oms_salesperson_tour", login="tour_sales_chen")
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertRecordValues(
            order,
            [
                {
                    "user_id": self.salesman.id,
                    "oms_channel_id": self.channel.id,
                    "oms_priority": "2",
                    "state": "sale",
                    "oms_stage": "approved",
                    "oms_auto_approved": True,
                    "amount_total": 360.0,
                }
            ],
        )
        self.assertRecordValues(
            order.oms_exception_ids,
            [{"check_type": "amount_threshold", "severity": "warn", "state": "open"}],
        )
