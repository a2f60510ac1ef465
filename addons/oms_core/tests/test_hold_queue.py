from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
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

    def test_owner_told_once_of_a_new_exception(self):
        """The owner of a new exception gets one notice, the to-do on the
        order, not also an "assigned to you" notice of the exception."""
        self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order(user=self.salesman)
        # with mail on, as in production (the fixture mutes it)
        order.with_context(tracking_disable=False).action_oms_review()
        exception = order.oms_exception_ids
        self.assertTrue(exception.user_id)
        self.assertNotEqual(exception.user_id, self.env.user)
        notices = self.env["mail.message"].search(
            [
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", exception.user_id.partner_id.ids),
                "|",
                "&",
                ("model", "=", "oms.exception"),
                ("res_id", "=", exception.id),
                "&",
                ("model", "=", "sale.order"),
                ("res_id", "=", order.id),
            ]
        )
        self.assertEqual(notices.mapped("model"), ["sale.order"])
        # still a follower of the exception
        self.assertIn(exception.user_id.partner_id, exception.message_partner_ids)

    def test_queue_opens_as_a_list_by_deadline(self):
        """The hold queue opens flat (no folded groups), open ones only."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_core.oms_exception_action"
        )
        self.assertNotIn("group_by", action["context"])
        self.assertIn("search_default_filter_open", action["context"])
        self.assertEqual(self.env["oms.exception"]._order, "deadline, id")

    def test_reviewer_works_several_exceptions_at_once(self):
        """A reviewer takes two exceptions, overrides both with one reason, and
        is told what became of each order."""
        self._create_rule("amount_threshold", amount_limit=1.0)
        orders = self._create_order(user=self.salesman) | self._create_order(
            qty=2, user=self.salesman
        )
        orders.action_oms_review()
        exceptions = orders.oms_exception_ids
        self.assertEqual(len(exceptions), 2)
        queue = exceptions.with_user(self.reviewer)
        queue.action_assign_to_me()
        self.assertEqual(exceptions.user_id, self.reviewer)
        wizard_action = queue.action_open_override()
        wizard = (
            self.env["oms.exception.override"]
            .with_user(self.reviewer)
            .with_context(**wizard_action["context"])
            .create({"note": "Known wholesale customer"})
        )
        outcome = wizard.action_confirm()
        self.assertEqual(set(exceptions.mapped("state")), {"overridden"})
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertEqual(outcome["params"]["type"], "success")
        for order in orders:
            self.assertIn(f"{order.name}: confirmed", outcome["params"]["message"])

    def _override_from_form(self, exception, note):
        """Override ``exception`` as the reviewer does from its form."""
        action = (
            exception.with_user(self.reviewer)
            .with_context(oms_open_next=True)
            .action_open_override()
        )
        wizard = (
            self.env["oms.exception.override"]
            .with_user(self.reviewer)
            .with_context(**action["context"])
            .create({"note": note})
        )
        return wizard.action_confirm()

    def test_override_from_the_form_says_the_outcome_and_goes_on(self):
        """Overridden from its form, an exception says what became of its
        order (still held by another rule, named; then confirmed) and opens
        the next open exception of the queue, by deadline."""
        self._create_rule("amount_threshold", amount_limit=1.0, name="Big order")
        self._create_rule(
            "domain",
            domain="[('amount_untaxed', '>', 1)]",
            message="Check the margin",
            name="Margin check",
            deadline_hours=48,
        )
        order = self._create_order(user=self.salesman)
        other = self._create_order(qty=2, user=self.salesman)
        (order | other).action_oms_review()
        Exception = self.env["oms.exception"]
        first = Exception.search(
            [("order_id", "=", order.id), ("check_type", "=", "amount_threshold")]
        )
        second = Exception.search(
            [("order_id", "=", order.id), ("check_type", "=", "domain")]
        )
        queue = Exception.search([("state", "=", "open")])
        outcome = self._override_from_form(first, "Known customer")
        self.assertEqual(first.state, "overridden")
        params = outcome["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn(
            f"{order.name}: still on hold (Margin check: Check the margin)",
            params["message"],
        )
        following = (queue - first)[:1]
        self.assertEqual(
            (params["next"]["res_model"], params["next"]["res_id"]),
            ("oms.exception", following.id),
        )
        self.assertEqual(following.deadline, min((queue - first).mapped("deadline")))
        outcome = self._override_from_form(second, "Margin agreed")
        self.assertEqual(order.state, "sale")
        self.assertIn(f"{order.name}: confirmed", outcome["params"]["message"])
        self.assertEqual(outcome["params"]["type"], "success")
        self.assertEqual(
            Exception.browse(outcome["params"]["next"]["res_id"]).order_id, other
        )
        # from the queue's list (no form): the list stays, nothing opens
        listed = Exception.search(
            [("order_id", "=", other.id), ("state", "=", "open")], limit=1
        )
        action = listed.with_user(self.reviewer).action_open_override()
        wizard = (
            self.env["oms.exception.override"]
            .with_user(self.reviewer)
            .with_context(**action["context"])
            .create({"note": "Fine"})
        )
        self.assertEqual(
            wizard.action_confirm()["params"]["next"]["type"],
            "ir.actions.act_window_close",
        )

    def test_review_again_says_who_is_still_held(self):
        exception = self._held_exception()
        outcome = exception.with_user(self.reviewer).action_review_orders()
        self.assertEqual(outcome["params"]["type"], "warning")
        self.assertIn("still on hold", outcome["params"]["message"])
        with self.assertRaises(AccessError):
            exception.with_user(self.salesman).action_assign_to_me()

    def test_held_order_leads_to_its_exceptions(self):
        """On a held order the primary button resolves the hold: no e-mail or
        confirmation offered first, and one way to cancel (with a reason)."""
        arch = etree.fromstring(
            self.env["sale.order"].get_view(view_type="form")["arch"]
        )
        header = arch.find(".//header")
        resolve = header.xpath("button[@name='action_oms_open_exceptions']")
        self.assertEqual(resolve[0].get("invisible"), "not oms_has_blocking_exception")
        self.assertIn("btn-primary", resolve[0].get("class"))
        for button in header.xpath(
            "button[@name='action_confirm' or @id='send_by_email_primary']"
        ):
            self.assertIn("oms_has_blocking_exception", button.get("invisible"))
        cancels = [
            b
            for b in header.xpath("button[contains(@name, 'cancel')]")
            if b.get("invisible") not in ("1", "True")
        ]
        self.assertEqual([b.get("name") for b in cancels], ["action_oms_open_cancel"])
