"""Reviewer journey in the browser: two exceptions overridden at once, the
outcome read, the next exception reached."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourBulkOverride(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.account_use_credit_limit = True
        for check_type in ("stock", "credit_limit"):
            cls._create_rule(check_type)
        cls.salesman = cls._create_tour_user(
            "tour_sales_bulk", "sales_team.group_sale_salesman", "Sam Seller"
        )
        cls.reviewer = cls._create_tour_user(
            "tour_reviewer_bulk", "oms_core.group_oms_reviewer", "Rita Reviewer"
        )
        kettle = cls._create_tour_product("Copper Kettle", 40.0, qty=1)
        teapot = cls._create_tour_product("Clay Teapot", 30.0, qty=1)
        mug = cls._create_tour_product("Enamel Mug", 800.0)
        careful = cls._create_tour_customer("Careful Trading")
        careful.with_company(cls.company).sudo().credit_limit = 1000.0
        cls.short_orders = cls._create_order(
            [(kettle, 5)],
            customer=cls._create_tour_customer("Alpha Stores"),
            user=cls.salesman,
            name="BULK-A",
        ) | cls._create_order(
            [(teapot, 3)],
            customer=cls._create_tour_customer("Beta Retail"),
            user=cls.salesman,
            name="BULK-B",
        )
        cls.credit_order = cls._create_order(
            [(mug, 2)], customer=careful, user=cls.salesman, name="BULK-C"
        )
        cls.last_order = cls._create_order(
            [(kettle, 4)],
            customer=cls._create_tour_customer("Delta Supplies"),
            user=cls.salesman,
            name="BULK-D",
        )
        (cls.short_orders | cls.credit_order | cls.last_order).with_user(
            cls.salesman
        ).action_oms_review()

    def test_reviewer_bulk_overrides_and_reaches_the_next_exception(self):
        """Two stock holds overridden with one reason: both orders confirmed,
        the credit hold is next, with the customer's credit next to it;
        overridden from its form, its order is confirmed and the last
        exception of the queue opens."""
        self.assertEqual(
            self.short_orders.oms_exception_ids.mapped("check_type"),
            ["stock", "stock"],
        )
        self.assertEqual(self.credit_order.oms_exception_ids.check_type, "credit_limit")
        self.start_oms_tour(
            "/odoo", "oms_bulk_override_tour", login="tour_reviewer_bulk"
        )
        self.assertRecordValues(
            self.short_orders.oms_exception_ids,
            [
                {
                    "state": "overridden",
                    "resolved_uid": self.reviewer.id,
                    "note": "Stock arriving tomorrow, customer agreed",
                }
            ]
            * 2,
        )
        self.assertEqual(self.short_orders.mapped("state"), ["sale", "sale"])
        self.assertEqual(self.credit_order.oms_exception_ids.state, "overridden")
        self.assertEqual(self.credit_order.state, "sale")
        self.assertEqual(self.last_order.oms_exception_ids.state, "open")
