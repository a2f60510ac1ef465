from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestSideDoors(OmsCommon):
    """A held order stays held whatever the door: no context key, no plain
    write, no self-approval, no shipping, no cancellation without a reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reviewer_2 = cls._create_user(
            "oms_reviewer_2",
            "sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer",
        )
        cls.stock_user = cls._create_user("oms_stock_user", "stock.group_stock_user")
        cls.reason = cls.env["oms.cancel.reason"].create({"name": "Side door"})

    def _held_order(self, **values):
        """A salesperson's quotation held by a blocking amount rule."""
        self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order(user=self.salesman, **values)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        return order

    def _confirmed_order(self, qty=2):
        """A salesperson's order confirmed by a clean stock review, reserved."""
        self._create_rule("stock")
        order = self._create_order(qty=qty, user=self.salesman)
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.picking_ids.state, "assigned")
        return order

    # ------------------------------------------------------------------ review

    def test_skip_review_context_confirms_nothing(self):
        """A salesperson sets oms_skip_review: the held order stays on hold."""
        order = self._held_order()
        order.with_user(self.salesman).with_context(
            oms_skip_review=True
        ).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertFalse(order.picking_ids)

    def test_skip_rereview_context_changes_still_rereviewed(self):
        """oms_skip_rereview on a change after approval: the salesperson's
        change waits as a change request, the reviewer's is reviewed again."""
        order = self._confirmed_order()
        order.order_line.with_user(self.salesman).with_context(
            oms_skip_rereview=True
        ).product_uom_qty = 30
        self.assertEqual(order.order_line.product_uom_qty, 2)
        self.assertEqual(order.oms_change_request_ids.state, "to_approve")
        order.order_line.with_user(self.reviewer).with_context(
            oms_skip_rereview=True
        ).product_uom_qty = 30
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(order.oms_touch_count, 1)
        self.assertIn("stock", order.oms_exception_ids.mapped("code"))

    def test_review_confirms_clean_orders_without_second_review(self):
        """The intake's review confirms its clean orders, each evaluated once."""
        rule = self._create_rule("stock")
        orders = self._create_order() | self._create_order() | self._create_order()
        Rule = type(rule)
        evaluate = Rule._evaluate
        evaluated = []

        def count_evaluate(records, order, batch):
            evaluated.append(order.id)
            return evaluate(records, order, batch)

        with patch.object(Rule, "_evaluate", count_evaluate):
            orders.action_oms_review()
        self.assertEqual(orders.mapped("state"), ["sale"] * 3)
        self.assertEqual(sorted(evaluated), sorted(orders.ids))

    def test_plain_write_of_review_record_refused(self):
        """A salesperson erases the approval snapshot of a confirmed order to
        change it unreviewed: refused, and the change waits for a reviewer."""
        order = self._confirmed_order()
        as_salesman = order.with_user(self.salesman)
        for vals in (
            {"oms_approval_snapshot": False},
            {"oms_reviewed_date": False},
            {"oms_review_pending": False},
            {"oms_cancel_reason_id": self.reason.id},
        ):
            with self.assertRaises(AccessError):
                as_salesman.write(vals)
        # the change itself waits for a reviewer (a change request)
        as_salesman.order_line.product_uom_qty = 30
        self.assertEqual(order.order_line.product_uom_qty, 2)
        self.assertEqual(order.oms_change_request_ids.state, "to_approve")
        self.assertEqual(order.oms_stage, "approved")

    # ------------------------------------------------------------------ exceptions

    def test_plain_write_of_exception_outcome_refused(self):
        """Reviewer and manager write state, severity, resolution: refused."""
        order = self._held_order()
        exception = order.oms_exception_ids
        for user in (self.reviewer, self.manager):
            for vals in (
                {"state": "overridden"},
                {"severity": "warn"},
                {"resolution": "override", "resolved_uid": user.id},
                {"order_id": self._create_order().id},
            ):
                with self.assertRaises(AccessError):
                    exception.with_user(user).write(vals)
        order.with_user(self.salesman).action_confirm()
        self.assertRecordValues(exception, [{"state": "open", "severity": "block"}])
        self.assertEqual(order.state, "draft")
        # owner, deadline and notes stay the reviewer's to edit
        exception.with_user(self.reviewer).write(
            {"user_id": self.reviewer_2.id, "note": "called the customer"}
        )

    def test_closed_exception_cannot_be_created(self):
        """A manager cannot create an exception already overridden."""
        order = self._held_order()
        with self.assertRaises(AccessError):
            self.env["oms.exception"].with_user(self.manager).create(
                {
                    "order_id": order.id,
                    "code": "amount_threshold",
                    "message": order.oms_exception_ids.message,
                    "state": "overridden",
                }
            )

    def test_exception_unlink_manager_only_and_traced(self):
        """A reviewer cannot delete an exception; a manager can, traced."""
        order = self._held_order()
        exception = order.oms_exception_ids
        with self.assertRaises(AccessError):
            exception.with_user(self.reviewer).unlink()
        exception.with_user(self.manager).unlink()
        self.assertFalse(exception.exists())
        trace = order.message_ids[0].preview
        self.assertIn(f"Exception deleted by {self.manager.name} (Open)", trace)
        self.assertIn("exceeds the approval threshold", trace)

    def test_rule_deactivation_manager_only_and_traced(self):
        """A reviewer cannot switch a rule off; a manager can, traced."""
        rule = self._create_rule("stock").with_context(
            tracking_disable=False, mail_notrack=False
        )
        with self.assertRaises(AccessError):
            rule.with_user(self.reviewer).active = False
        rule.with_user(self.manager).active = False
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written at commit
        self.assertFalse(rule.active)
        tracked = rule.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "active"
        )
        self.assertEqual(tracked.mail_message_id.author_id, self.manager.partner_id)

    # ------------------------------------------------------------------ four eyes

    def test_salesperson_reviewer_cannot_clear_own_order(self):
        """A reviewer who is the order's salesperson cannot clear its exception."""
        self._create_rule("stock")
        order = self._create_order(qty=50, user_id=self.reviewer.id)
        order.action_oms_review()
        exception = order.oms_exception_ids
        self.assertNotEqual(exception.user_id, self.reviewer)
        for action in (
            lambda e: e.action_override("my own customer"),
            lambda e: e.action_wait_stock(),
            lambda e: e.action_ship_available(),
            lambda e: e.action_open_substitute(),
            lambda e: e.action_open_cancel(),
        ):
            with self.assertRaises(UserError):
                action(exception.with_user(self.reviewer))
        self.assertRecordValues(exception, [{"state": "open", "resolution": False}])
        exception.with_user(self.reviewer_2).action_override("known customer")
        self.assertEqual(order.state, "sale")

    def test_substitute_only_on_the_exception_order(self):
        """The substitute wizard refuses a line of another order."""
        self._create_rule("stock")
        order = self._create_order(qty=50)
        order.action_oms_review()
        other = self._create_order(qty=1)
        wizard = (
            self.env["oms.exception.substitute"]
            .with_user(self.reviewer)
            .create(
                {
                    "exception_id": order.oms_exception_ids.id,
                    "line_id": other.order_line.id,
                    "product_id": self.product_alt.id,
                }
            )
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(other.order_line.product_id, self.product)
        self.assertEqual(order.oms_exception_ids.state, "open")

    # ------------------------------------------------------------------ shipping

    def test_hold_after_approval_refuses_delivery(self):
        """A confirmed order changed beyond stock (by a reviewer: a salesperson
        would make a change request): its delivery cannot ship."""
        order = self._confirmed_order()
        picking = order.picking_ids
        self.assertFalse(picking.oms_on_hold)
        order.order_line.with_user(self.reviewer).product_uom_qty = 30
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertTrue(picking.oms_on_hold)
        self.assertEqual(
            self.env["stock.picking"].search([("oms_on_hold", "=", True)]), picking
        )
        as_stock = picking.with_user(self.stock_user)
        self.assertTrue(as_stock.oms_on_hold)
        with self.assertRaisesRegex(UserError, "on hold"):
            self._ship(as_stock)
        with self.assertRaisesRegex(UserError, "on hold"):
            picking._action_done()
        self.assertNotEqual(picking.state, "done")
        order.oms_exception_ids.filtered(lambda e: e.state == "open").with_user(
            self.reviewer
        ).action_override("back-order accepted")
        self.assertFalse(picking.oms_on_hold)
        self._ship(picking.with_user(self.stock_user), {self.product: 2})
        self.assertEqual(picking.state, "done")

    def test_new_exception_on_confirmed_order_refuses_delivery(self):
        """A blocking exception raised on a confirmed order stops its delivery."""
        order = self._confirmed_order()
        order._oms_add_exception("fraud_check", "Payment flagged", severity="block")
        with self.assertRaises(UserError):
            self._ship(order.picking_ids)
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_hold_keeps_reservation_by_default(self):
        """Without the setting a held order keeps its reserved stock."""
        order = self._confirmed_order(qty=4)
        order._oms_add_exception("fraud_check", "Payment flagged", severity="block")
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertFalse(order.picking_ids.oms_hold_unreserved)

    def test_hold_releases_reservation_when_set(self):
        """With the setting the stock of a held order serves others, and is
        reserved again when the hold is released."""
        self.company.oms_hold_release_reservation = True
        order = self._confirmed_order(qty=4)
        picking = order.picking_ids
        product = self.product.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(product.free_qty, 6)
        exception = order._oms_add_exception(
            "fraud_check", "Payment flagged", severity="block"
        )
        self.assertEqual(picking.state, "confirmed")
        self.assertTrue(picking.oms_hold_unreserved)
        self.assertEqual(product.free_qty, 10)
        picking.action_assign()  # not reserved while on hold
        self.assertEqual(picking.state, "confirmed")
        exception.with_user(self.reviewer).action_override("payment verified")
        self.assertEqual(picking.state, "assigned")
        self.assertFalse(picking.oms_hold_unreserved)
        self.assertEqual(product.free_qty, 6)

    # ------------------------------------------------------------------ cancel

    def test_plain_cancel_refused(self):
        """Odoo's Cancel, its cancel and mass-cancel wizards: refused."""
        order = self._create_order(user=self.salesman)
        as_salesman = order.with_user(self.salesman)
        with self.assertRaisesRegex(UserError, "Cancel with Reason"):
            as_salesman.action_cancel()
        with self.assertRaises(UserError):
            as_salesman.with_context(disable_cancel_warning=True).action_cancel()
        order.action_confirm()
        wizard = (
            self.env["sale.order.cancel"]
            .with_user(self.salesman)
            .create({"order_id": order.id})
        )
        with self.assertRaises(UserError):
            wizard.action_cancel()
        mass = (
            self.env["sale.mass.cancel.orders"]
            .with_user(self.salesman)
            .create({"sale_order_ids": [Command.set(order.ids)]})
        )
        with self.assertRaises(UserError):
            mass.action_mass_cancel()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.oms_cancel_reason_id)

    def test_cancel_wizard_records_reason(self):
        """A salesperson cancels a quotation with a reason."""
        order = self._create_order(user=self.salesman)
        wizard = Form(
            self.env["oms.order.cancel"]
            .with_user(self.salesman)
            .with_context(**order.action_oms_open_cancel()["context"])
        )
        wizard.reason_id = self.reason
        wizard.save().action_confirm()
        self.assertRecordValues(
            order, [{"state": "cancel", "oms_cancel_reason_id": self.reason.id}]
        )

    def test_cancel_approved_order_needs_another_reviewer(self):
        """An approved order: neither its salesperson nor a reviewer who sells
        it may cancel it; another reviewer may."""
        self.company.oms_cancel_review_stage = "approved"
        own = self._create_order(user=self.salesman).with_env(self.env)
        sold_by_reviewer = self._create_order(user_id=self.reviewer.id)
        (own | sold_by_reviewer).action_oms_review()
        self.assertEqual((own | sold_by_reviewer).mapped("state"), ["sale", "sale"])

        def cancel(order, user):
            self.env["oms.order.cancel"].with_user(user).create(
                {"order_ids": [Command.set(order.ids)], "reason_id": self.reason.id}
            ).action_confirm()

        with self.assertRaises(AccessError):
            cancel(own, self.salesman)
        with self.assertRaises(UserError):
            cancel(sold_by_reviewer, self.reviewer)
        self.assertEqual((own | sold_by_reviewer).mapped("state"), ["sale", "sale"])
        cancel(own | sold_by_reviewer, self.reviewer_2)
        self.assertEqual((own | sold_by_reviewer).mapped("state"), ["cancel", "cancel"])

    def test_cancel_above_amount_needs_reviewer(self):
        """Above the company's amount a salesperson cannot cancel a quotation."""
        self.company.write(
            {"oms_cancel_review_stage": "none", "oms_cancel_review_amount": 150.0}
        )
        small = self._create_order(qty=1, user=self.salesman)
        large = self._create_order(qty=2, user=self.salesman)
        wizard = self.env["oms.order.cancel"].with_user(self.salesman)
        values = {"reason_id": self.reason.id}
        with self.assertRaises(AccessError):
            wizard.create(
                dict(values, order_ids=[Command.set(large.ids)])
            ).action_confirm()
        wizard.create(dict(values, order_ids=[Command.set(small.ids)])).action_confirm()
        self.assertEqual((small | large).mapped("state"), ["cancel", "draft"])
