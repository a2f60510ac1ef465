from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestReviewEngine(OmsCommon):
    def test_clean_order_is_auto_approved(self):
        """With no failing rule the review confirms and flags auto-approved."""
        self._create_rule("stock")
        order = self._create_order(qty=2)
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.oms_auto_approved)
        self.assertTrue(order.oms_reviewed_date)
        self.assertEqual(order.oms_stage, "approved")
        self.assertFalse(order.oms_exception_ids)

    def test_blocking_rule_holds_order(self):
        """A failing blocking rule creates one open exception and holds the order."""
        self._create_rule("stock")
        order = self._create_order(qty=50)
        order.action_oms_review()
        order.action_oms_review()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(len(order.oms_exception_ids), 1)
        exception = order.oms_exception_ids
        self.assertRecordValues(
            exception, [{"state": "open", "severity": "block", "code": "stock"}]
        )
        self.assertIn("50", exception.message)
        self.assertIn("10", exception.message)
        self.assertTrue(exception.user_id)
        self.assertTrue(exception.deadline)
