"""Reviewer journey in the browser, in zh_CN: approve a change request."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourChangeRequest(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.env["oms.review.rule"].create(
            {"name": "库存可承诺量", "check_type": "stock", "severity": "block"}
        )
        cls.salesman = cls._create_tour_user(
            "tour_sales_li", "sales_team.group_sale_salesman", "李娜", lang="zh_CN"
        )
        cls.reviewer = cls._create_tour_user(
            "tour_reviewer_wang", "oms_core.group_oms_reviewer", "王审核", lang="zh_CN"
        )
        cls.customer = cls._create_tour_customer("华东贸易有限公司")
        cls.product = cls._create_tour_product("不锈钢保温杯", 80.0)
        cls.order = cls._create_order(
            [(cls.product, 20)], customer=cls.customer, user=cls.salesman
        )
        cls.order.with_user(cls.salesman).with_context(lang="zh_CN").action_oms_review()
        # the customer wants 30 more cups: the salesperson edits the confirmed order
        cls.order.order_line.with_user(cls.salesman).with_context(
            lang="zh_CN"
        ).product_uom_qty = 50

    def test_reviewer_approves_a_change_request(self):
        """The reviewer approves the salesperson's quantity change: applied."""
        request = self.order.oms_change_request_ids
        self.assertEqual(request.state, "to_approve")
        self.assertEqual(self.order.order_line.product_uom_qty, 20)
        self.start_oms_tour(
            "/odoo", "oms_change_request_tour", login="tour_reviewer_wang"
        )
        self.assertRecordValues(
            request, [{"state": "applied", "reviewer_id": self.reviewer.id}]
        )
        self.assertEqual(self.order.order_line.product_uom_qty, 50)
        self.assertEqual(self.order.oms_stage, "approved")
