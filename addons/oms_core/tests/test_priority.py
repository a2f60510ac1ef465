from unittest.mock import patch

from odoo.tests import Form, tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestPriority(OmsCommon):
    """Priority rules → score → level → pickings and reservation order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Rule = cls.env["oms.priority.rule"]
        cls.vip_rule = Rule.create(
            {
                "name": "VIP",
                "domain": "[('partner_id.oms_tier', '=', 'vip')]",
                "points": 60,
            }
        )
        cls.big_rule = Rule.create(
            {
                "name": "Big order",
                "domain": "[('amount_untaxed', '>=', 1000)]",
                "points": 50,
            }
        )

    def test_score_and_level_from_rules(self):
        """Matching rules add their points; thresholds map the score to a level."""
        order = self._create_order(qty=1)
        self.assertEqual((order.oms_priority_score, order.oms_priority), (0, "0"))
        self.customer.oms_tier = "vip"
        self.assertEqual((order.oms_priority_score, order.oms_priority), (60, "1"))
        order.order_line.product_uom_qty = 10
        self.assertEqual((order.oms_priority_score, order.oms_priority), (110, "2"))
        # the salesperson sees why
        self.assertEqual(
            order.oms_priority_explanation.splitlines(),
            [
                "VIP: +60",
                "Big order: +50",
                "Score 110: high from 50, urgent from 100.",
            ],
        )

    def test_scores_of_many_orders_read_the_rules_once(self):
        """Scoring a batch of orders reads the rules once per company."""
        self.customer.oms_tier = "vip"
        Rule = type(self.env["oms.priority.rule"])
        get_rules, companies = Rule._get_rules, []

        def count_get_rules(rules, company):
            companies.append(company)
            return get_rules(rules, company)

        with patch.object(Rule, "_get_rules", count_get_rules):
            orders = self.env["sale.order"].create(
                [
                    {
                        "partner_id": self.customer.id,
                        "order_line": [(0, 0, {"product_id": self.product.id})],
                    }
                    for _i in range(3)
                ]
            )
            self.assertEqual(orders.mapped("oms_priority_score"), [60, 60, 60])
        self.assertEqual(companies, [self.company])

    def test_priority_level_follows_the_form_inputs(self):
        """The level shows in the order form as the inputs change."""
        self.customer.oms_tier = "vip"
        form = Form(self.env["sale.order"].with_user(self.salesman))
        form.partner_id = self.customer
        with form.order_line.new() as line:
            line.product_id = self.product
        self.assertEqual(form.oms_priority, "1")

    def test_thresholds_are_company_settings(self):
        """Raising the thresholds lowers the level."""
        self.customer.oms_tier = "vip"
        settings = self.env["res.config.settings"].create(
            {"oms_priority_high_score": 70}
        )
        settings.execute()
        order = self._create_order(qty=1)
        self.assertEqual(order.oms_priority, "0")

    def test_priority_reaches_the_delivery(self):
        """High and urgent orders star their delivery, which stores the level."""
        self.customer.oms_tier = "vip"
        order = self._create_order(qty=1)
        order.action_confirm()
        picking = order.picking_ids
        self.assertEqual(picking.priority, "1")
        self.assertEqual(picking.oms_priority, "1")
        self.customer.oms_tier = "normal"
        self.assertEqual(picking.priority, "0")

    def test_reservation_serves_high_priority_first(self):
        """Arriving stock is reserved for the starred delivery before an older one."""
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, -10
        )
        normal = self._create_order(qty=5)
        normal.action_confirm()
        vip = self.env["res.partner"].create(
            {
                "name": "VIP customer",
                "oms_tier": "vip",
                "street": "x",
                "city": "y",
                "zip": "1000",
                "country_id": self.country.id,
                "email": "v@example.com",
            }
        )
        urgent = self._create_order(qty=5, partner_id=vip.id)
        urgent.action_confirm()
        self.assertEqual(urgent.picking_ids.priority, "1")
        self._receive(self.product, 5)
        self.assertEqual(urgent.picking_ids.state, "assigned")
        self.assertEqual(normal.picking_ids.state, "confirmed")
