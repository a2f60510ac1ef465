"""Reviewer journey in the browser, in zh_CN: override a credit hold."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourReviewer(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        # a company in China: the review writes its messages in Chinese
        cls.company.partner_id.lang = "zh_CN"
        cls.company.account_use_credit_limit = True
        cls.env["oms.review.rule"].create(
            {
                "name": "信用额度",
                "check_type": "credit_limit",
                "severity": "block",
                "approver_group_id": cls.env.ref("oms_core.group_oms_reviewer").id,
            }
        )
        cls.salesman = cls._create_user(
            "tour_sales_li", "sales_team.group_sale_salesman", "李娜", lang="zh_CN"
        )
        cls.reviewer = cls._create_user(
            "tour_reviewer_wang", "oms_core.group_oms_reviewer", "王审核", lang="zh_CN"
        )
        cls.customer = cls._create_customer("华东贸易有限公司")
        cls.customer.with_company(cls.company).sudo().credit_limit = 1000.0
        cls.product = cls._create_product("不锈钢保温杯", 800.0)
        cls.order = cls._create_order(
            cls.customer, [(cls.product, 2)], user=cls.salesman
        )
        cls.order.with_user(cls.salesman).action_oms_review()

    def test_reviewer_overrides_a_credit_hold(self):
        """The reviewer opens the hold queue, overrides the credit exception with
        a reason and sees the order confirmed."""
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
