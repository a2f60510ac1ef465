"""Reviewer journey in the browser, in zh_CN: override a credit hold."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourReviewer(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.company.account_use_credit_limit = True
        cls.env["oms.review.rule"].create(
            {
                "name": "信用额度",
                "check_type": "credit_limit",
                "severity": "block",
                "approver_group_id": cls.env.ref("oms_core.group_oms_reviewer").id,
            }
        )
        for check_type, name, severity in (
            ("stock", "库存可承诺量", "block"),
            ("address", "收货地址", "warn"),
        ):
            cls.env["oms.review.rule"].create(
                {"name": name, "check_type": check_type, "severity": severity}
            )
        cls.salesman = cls._create_tour_user(
            "tour_sales_li", "sales_team.group_sale_salesman", "李娜", lang="zh_CN"
        )
        cls.reviewer = cls._create_tour_user(
            "tour_reviewer_wang", "oms_core.group_oms_reviewer", "王审核", lang="zh_CN"
        )
        cls.customer = cls._create_tour_customer("华东贸易有限公司")
        cls.customer.with_company(cls.company).sudo().credit_limit = 1000.0
        cls.product = cls._create_tour_product("不锈钢保温杯", 800.0)
        cls.order = cls._create_order(
            [(cls.product, 2)], customer=cls.customer, user=cls.salesman
        )
        # more of the queue: an order short of stock, one without street
        teapot = cls._create_tour_product("紫砂茶壶", 300.0, qty=1)
        cls.other_orders = cls._create_order(
            [(teapot, 5)],
            customer=cls._create_tour_customer("北方百货有限公司"),
            user=cls.salesman,
        ) | cls._create_order(
            [(cls.product, 1)],
            customer=cls._create_tour_customer("西南物流有限公司", street=False),
            user=cls.salesman,
        )
        cls.other_orders.with_user(cls.salesman).with_context(
            lang="zh_CN"
        ).action_oms_review()
        # reviewed as the salesperson would: messages in Chinese
        cls.order.with_user(cls.salesman).with_context(lang="zh_CN").action_oms_review()

    def test_reviewer_overrides_a_credit_hold(self):
        """The reviewer overrides a credit hold with a reason: order confirmed."""
        exception = self.order.oms_exception_ids
        self.assertEqual(self.order.oms_stage, "on_hold")
        self.assertEqual(
            (exception.check_type, exception.state), ("credit_limit", "open")
        )
        self.start_oms_tour("/odoo", "oms_reviewer_tour", login="tour_reviewer_wang")
        self.assertRecordValues(
            exception,
            [
                {
                    "state": "overridden",
                    "resolved_uid": self.reviewer.id,
                    "note": "客户已预付 50% 货款，信用风险可控",
                }
            ],
        )
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(self.order.oms_stage, "approved")
        self.assertEqual(self.order.oms_touch_count, 1)
        self.assertEqual(
            self.other_orders.oms_exception_ids.mapped("state"), ["open", "open"]
        )

    def test_override_survives_a_review_in_another_language(self):
        """An override in zh_CN survives a review in English: order confirmed."""
        order = self._create_order(
            [(self.product, 2)], customer=self.customer, user=self.salesman
        )
        order.with_user(self.salesman).with_context(lang="en_US").action_oms_review()
        exception = order.oms_exception_ids.filtered(lambda e: e.state == "open")
        self.assertIn("Credit limit", exception.message)
        exception.with_user(self.reviewer).with_context(lang="zh_CN").action_override(
            "预付款已到账"
        )
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.oms_exception_ids.mapped("state"), ["overridden"])
