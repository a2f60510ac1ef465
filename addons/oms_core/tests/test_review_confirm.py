from odoo import Command
from odoo.tests import Form, tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestReviewConfirm(OmsCommon):
    """The review inside Odoo's confirmation, block vs warn, applicability."""

    def test_inactive_rules_behave_like_plain_odoo(self):
        """With every rule inactive, confirming is exactly Odoo's."""
        self._create_rule("stock", active=False)
        self._create_rule("amount_threshold", amount_limit=1.0, active=False)
        form = Form(self.env["sale.order"].with_user(self.salesman))
        form.partner_id = self.customer
        with form.order_line.new() as line:
            line.product_id = self.product
            line.product_uom_qty = 500
        order = form.save()
        self.assertIs(order.action_confirm(), True)
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.oms_exception_ids)
        self.assertFalse(order.oms_auto_approved)
        self.assertEqual(order.picking_ids.move_ids.product_uom_qty, 500)

    def test_confirm_runs_the_review_and_holds_blocked_orders(self):
        """Confirming an order failing a blocking rule holds it and warns."""
        self._create_rule("stock")
        order = self._create_order(qty=50, user=self.salesman)
        result = order.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("50", result["params"]["message"])
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(len(order.oms_exception_ids), 1)

    def test_manual_confirm_is_not_auto_approved(self):
        """A clean order confirmed by a person is approved but not auto-approved."""
        self._create_rule("stock")
        order = self._create_order(qty=1)
        self.assertIs(order.action_confirm(), True)
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.oms_auto_approved)
        self.assertTrue(order.oms_reviewed_date)
        # the two flags say two things: clean review, but a person confirmed
        self.assertTrue(order.oms_review_passed)
        held = self._create_order(qty=500)
        held.action_oms_review()
        self.assertFalse(held.oms_review_passed)

    def test_warning_rule_does_not_block(self):
        """A failing warning rule reports an exception but the order is confirmed."""
        self._create_rule("amount_threshold", severity="warn", amount_limit=10.0)
        order = self._create_order(qty=2)
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertRecordValues(
            order.oms_exception_ids, [{"state": "open", "severity": "warn"}]
        )
        self.assertNotEqual(order.oms_stage, "on_hold")

    def test_auto_confirm_disabled_leaves_clean_order_approved(self):
        """Without auto-confirmation a clean review leaves the quotation approved."""
        self.company.oms_auto_confirm = False
        order = self._create_order(qty=1)
        order.action_oms_review()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_stage, "approved")

    def test_rereview_resolves_by_system(self):
        """An exception that no longer applies is resolved by the system."""
        self._create_rule("stock")
        order = self._create_order(qty=20)
        order.action_oms_review()
        exception = order.oms_exception_ids
        self._set_stock(self.product, 20)
        order.action_oms_review()
        self.assertRecordValues(
            exception,
            [{"state": "resolved", "resolution": "system", "resolved_uid": False}],
        )
        self.assertTrue(exception.resolved_date)
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.oms_auto_approved)

    def test_deactivated_rule_exceptions_are_cleared(self):
        """Deactivating a rule clears its open exceptions on the next review."""
        rule = self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order(qty=1)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        rule.active = False
        order.action_oms_review()
        self.assertEqual(order.oms_exception_ids.state, "resolved")
        self.assertEqual(order.state, "sale")

    def test_applicability_order_types_teams_domain_company(self):
        """A rule applies only to its order types, teams, domain and company."""
        bulk = self.env.ref("oms_core.oms_order_type_bulk")
        team = self.env["crm.team"].create({"name": "OMS B2B team"})
        other_company = self.env["res.company"].create({"name": "OMS Other Co"})
        self._create_rule(
            "amount_threshold", amount_limit=1.0, order_type_ids=[Command.set(bulk.ids)]
        )
        self._create_rule(
            "amount_threshold", amount_limit=1.0, team_ids=[Command.set(team.ids)]
        )
        self._create_rule(
            "amount_threshold",
            amount_limit=1.0,
            domain="[('client_order_ref', '=', 'X')]",
        )
        self._create_rule(
            "amount_threshold", amount_limit=1.0, company_id=other_company.id
        )
        order = self._create_order(qty=1)
        order.action_oms_review()
        self.assertFalse(order.oms_exception_ids)
        order = self._create_order(
            qty=1, oms_order_type="bulk", team_id=team.id, client_order_ref="X"
        )
        order.action_oms_review()
        self.assertEqual(len(order.oms_exception_ids), 3)

    def test_owner_is_approver_not_order_creator(self):
        """The owner is an approver other than the order's creator."""
        self._create_rule("amount_threshold", amount_limit=1.0, deadline_hours=4)
        order = self._create_order(qty=1, user=self.reviewer)
        order.action_oms_review()
        exception = order.oms_exception_ids
        self.assertTrue(exception.user_id.has_group("oms_core.group_oms_reviewer"))
        self.assertNotEqual(exception.user_id, self.reviewer)
        self.assertAlmostEqual(
            (exception.deadline - exception.create_date).total_seconds() / 3600,
            4,
            delta=0.1,
        )
        activity = exception.activity_id
        self.assertEqual(activity.user_id, exception.user_id)
        self.assertEqual(activity.res_id, order.id)

    def test_add_exception_keeps_one_open_per_code(self):
        """_oms_add_exception: one open exception per code, kept by re-review."""
        order = self._create_order(qty=1)
        order._oms_add_exception(
            "channel_total_mismatch", "Totals differ", severity="block"
        )
        order._oms_add_exception(
            "channel_total_mismatch", "Totals differ by 5", severity="block"
        )
        self.assertEqual(len(order.oms_exception_ids), 1)
        self.assertEqual(order.oms_exception_ids.message, "Totals differ by 5")
        order.action_oms_review()
        self.assertEqual(order.oms_exception_ids.state, "open")
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.oms_exception_ids.deadline)

    def test_can_auto_confirm_hook_default(self):
        """The hook follows the company setting."""
        order = self._create_order()
        self.assertTrue(order._oms_can_auto_confirm())
        self.company.oms_auto_confirm = False
        self.assertFalse(order._oms_can_auto_confirm())
