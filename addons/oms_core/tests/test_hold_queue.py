from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestHoldQueue(OmsCommon):
    """The queue of open exceptions: overdue first, activities, escalation."""

    def _held_exception(self, deadline_hours=24):
        self._create_rule(
            "amount_threshold", amount_limit=1.0, deadline_hours=deadline_hours
        )
        order = self._create_order(user=self.salesman)
        order.action_oms_review()
        return self.env["oms.exception"].browse(order.oms_exception_ids.ids)

    def test_queue_lists_overdue_exceptions_first(self):
        """The queue lists overdue exceptions before the others."""
        later = self._held_exception(deadline_hours=48)
        overdue = self._create_order(qty=2, user=self.salesman)
        overdue.action_oms_review()
        overdue_exc = (
            self.env["oms.exception"].browse(overdue.oms_exception_ids.ids) - later
        )
        overdue_exc.deadline = fields.Datetime.now() - timedelta(hours=1)
        queue = (
            self.env["oms.exception"]
            .with_user(self.reviewer)
            .search(
                [
                    ("state", "=", "open"),
                    ("id", "in", (later | overdue.oms_exception_ids).ids),
                ]
            )
        )
        self.assertEqual(queue[0].is_overdue, True)
        self.assertFalse(queue[-1].is_overdue)
        self.assertIn(
            overdue_exc,
            self.env["oms.exception"].search([("is_overdue", "=", True)]),
        )
        self.assertNotIn(
            later, self.env["oms.exception"].search([("is_overdue", "=", True)])
        )
        groups = self.env["oms.exception"].read_group(
            [("id", "in", queue.ids)],
            ["check_type"],
            ["check_type", "user_id"],
            lazy=False,
        )
        self.assertTrue(groups)

    def test_overdue_exception_escalates_once_to_managers(self):
        """An overdue exception escalates once, with an activity for a manager."""
        exception = self._held_exception()
        exception.deadline = fields.Datetime.now() - timedelta(hours=1)
        Exception = self.env["oms.exception"]
        Exception._cron_escalate_overdue()
        self.assertTrue(exception.is_escalated)
        activities = exception.order_id.activity_ids.filtered(
            lambda a: (
                a.user_id.has_group("oms_core.group_oms_manager")
                and "Overdue" in (a.summary or "")
            )
        )
        self.assertEqual(len(activities), 1)
        Exception._cron_escalate_overdue()
        activities = exception.order_id.activity_ids.filtered(
            lambda a: "Overdue" in (a.summary or "")
        )
        self.assertEqual(len(activities), 1)

    def test_owner_activity_closed_with_exception(self):
        """The owner's to-do is done once the exception is resolved."""
        exception = self._held_exception()
        activity = exception.activity_id
        self.assertTrue(activity)
        exception.with_user(self.reviewer).action_override("fine")
        self.assertFalse(activity.exists())
