"""Approvals in two levels in the browser, in zh_CN: a reviewer, then a manager."""

from odoo import Command
from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourReviewTiers(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.env["oms.review.rule"].create(
            {
                "name": "大额订单审批",
                "check_type": "amount_threshold",
                "severity": "block",
                "amount_limit": 5000.0,
                "tier_ids": [
                    Command.create({"name": "审核员审批", "sequence": 1}),
                    Command.create(
                        {
                            "name": "经理审批",
                            "sequence": 2,
                            "min_amount": 10000.0,
                            "deadline_hours": 8,
                            "approver_group_id": cls.env.ref(
                                "oms_core.group_oms_manager"
                            ).id,
                        }
                    ),
                ],
            }
        )
        cls.salesman = cls._create_tour_user(
            "tour_sales_chen", "sales_team.group_sale_salesman", "陈销售", lang="zh_CN"
        )
        cls.reviewer = cls._create_tour_user(
            "tour_reviewer_sun", "oms_core.group_oms_reviewer", "孙审核", lang="zh_CN"
        )
        cls.manager = cls._create_tour_user(
            "tour_manager_zhao", "oms_core.group_oms_manager", "赵经理", lang="zh_CN"
        )
        product = cls._create_tour_product("商用冷柜", 6000.0)
        cls.order = cls._create_order(
            [(product, 2)],
            customer=cls._create_tour_customer("华南电器有限公司"),
            user=cls.salesman,
        )
        cls.order.with_user(cls.salesman).with_context(lang="zh_CN").action_oms_review()

    def test_reviewer_then_manager_approve_a_large_order(self):
        """A reviewer approves level 1, a manager level 2: order confirmed."""
        exception = self.order.oms_exception_ids
        self.assertEqual((exception.state, exception.level), ("open", 1))
        self.start_oms_tour(
            "/odoo", "oms_tier_reviewer_tour", login="tour_reviewer_sun"
        )
        self.assertRecordValues(exception, [{"state": "open", "level": 2}])
        self.assertEqual(self.order.state, "draft")
        self.start_oms_tour("/odoo", "oms_tier_manager_tour", login="tour_manager_zhao")
        self.assertEqual(exception.state, "overridden")
        self.assertRecordValues(
            exception.approval_ids,
            [
                {"level": 1, "user_id": self.reviewer.id, "note": "老客户，订单真实"},
                {"level": 2, "user_id": self.manager.id, "note": "毛利符合要求，同意"},
            ],
        )
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(self.order.oms_stage, "approved")
