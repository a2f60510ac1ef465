from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestResolutions(OmsCommon):
    """Every way a reviewer resolves an exception, recorded and counted."""

    def _held_order(self, check_type="amount_threshold", user=None, **rule_values):
        values = {"amount_limit": 1.0} if check_type == "amount_threshold" else {}
        values.update(rule_values)
        rule = self._create_rule(check_type, **values)
        qty = 50 if check_type == "stock" else 1
        order = self._create_order(qty=qty, user=user or self.salesman)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        return order, order.oms_exception_ids, rule

    def test_override_by_reviewer_confirms(self):
        """A reviewer overrides with a reason (wizard); the order is confirmed."""
        order, exception, _rule = self._held_order()
        action = exception.with_user(self.reviewer).action_open_override()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.reviewer)
            .with_context(**action["context"])
        )
        wizard.note = "Known customer"
        wizard.save().action_confirm()
        self.assertRecordValues(
            exception,
            [
                {
                    "state": "overridden",
                    "resolution": "override",
                    "resolved_uid": self.reviewer.id,
                    "note": "Known customer",
                }
            ],
        )
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.oms_auto_approved)
        self.assertEqual(order.oms_touch_count, 1)

    def test_override_sticks_until_facts_change(self):
        """A re-review keeps the override while the failure is the same."""
        order, exception, _rule = self._held_order()
        exception.with_user(self.reviewer).action_override("ok")
        order.action_oms_review()
        self.assertEqual(order.oms_exception_ids, exception)

    def test_override_requires_a_reason(self):
        """No reason, no override."""
        _order, exception, _rule = self._held_order()
        with self.assertRaises(UserError):
            exception.with_user(self.reviewer).action_override("  ")

    def test_creator_cannot_override_own_exceptions(self):
        """The order's creator cannot override its exceptions, even as a reviewer."""
        _order, exception, _rule = self._held_order(user=self.reviewer)
        with self.assertRaises(UserError):
            exception.with_user(self.reviewer).action_override("mine")
        self.assertEqual(exception.state, "open")

    def test_override_needs_approver_group(self):
        """Only members of the rule's approver group override; salespeople never."""
        manager_group = self.env.ref("oms_core.group_oms_manager")
        _order, exception, _rule = self._held_order(approver_group_id=manager_group.id)
        with self.assertRaises(AccessError):
            exception.with_user(self.reviewer).action_override("please")
        with self.assertRaises(AccessError):
            exception.with_user(self.salesman).action_override("please")
        exception.with_user(self.manager).action_override("approved by manager")
        self.assertEqual(exception.state, "overridden")

    def test_wait_for_stock_then_released_by_receipt(self):
        """A stock exception waits; a validated receipt releases the order."""
        order, exception, _rule = self._held_order("stock")
        exception.with_user(self.reviewer).action_wait_stock()
        self.assertEqual(exception.resolution, "wait_stock")
        self.assertEqual(exception.state, "open")
        self._receive(self.product, 100)
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(exception.resolution, "system")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.oms_touch_count, 1)

    def test_waiting_orders_released_by_cron(self):
        """The cron re-reviews orders waiting for stock once it is there."""
        order, _exception, _rule = self._held_order("stock")
        self._set_stock(self.product, 100)
        self.env["sale.order"]._cron_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.oms_auto_approved)

    def test_substitute_swaps_product_and_reviews_again(self):
        """The substitute wizard swaps the short product and re-reviews the order."""
        order, exception, _rule = self._held_order("stock")
        self._set_stock(self.product_alt, 100)
        action = exception.with_user(self.reviewer).action_open_substitute()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.reviewer)
            .with_context(**action["context"])
        )
        self.assertEqual(wizard.line_id, order.order_line)
        wizard.product_id = self.product_alt
        wizard.save().action_confirm()
        self.assertEqual(order.order_line.product_id, self.product_alt)
        self.assertEqual(exception.resolution, "substitute")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.oms_touch_count, 1)

    def test_ship_available_and_backorder(self):
        """Ship what is there now: the order is confirmed, the rest back-ordered."""
        order, exception, _rule = self._held_order("stock")
        exception.with_user(self.reviewer).action_ship_available()
        self.assertEqual(exception.resolution, "ship_available")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.picking_policy, "direct")
        self.assertTrue(order.oms_backorder_accepted)
        picking = order.picking_ids
        picking.action_assign()
        self.assertEqual(picking.move_ids.quantity, 10)

    def test_contact_customer_schedules_call_and_opens_mail(self):
        """Contacting the customer schedules a call and opens the e-mail composer."""
        order, exception, _rule = self._held_order()
        action = exception.with_user(self.reviewer).action_contact_customer()
        self.assertEqual(action["res_model"], "mail.compose.message")
        self.assertEqual(action["context"]["default_partner_ids"], self.customer.ids)
        self.assertEqual(exception.resolution, "contact")
        call = order.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertTrue(call)
        self.assertEqual(order.oms_touch_count, 1)

    def test_cancel_needs_reason_and_closes_exceptions(self):
        """Cancelling needs a reason, releases reservations and closes exceptions."""
        reason = self.env["oms.cancel.reason"].create({"name": "Test reason"})
        order, exception, _rule = self._held_order()
        action = exception.with_user(self.reviewer).action_open_cancel()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.reviewer)
            .with_context(**action["context"])
        )
        wizard.reason_id = reason
        wizard.save().action_confirm()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.oms_stage, "cancel")
        self.assertEqual(order.oms_cancel_reason_id, reason)
        self.assertEqual(exception.resolution, "cancel")

    def test_cancel_of_confirmed_order_frees_the_stock(self):
        """Cancelling a confirmed order cancels its delivery and frees the stock."""
        reason = self.env["oms.cancel.reason"].create({"name": "Test reason"})
        order = self._create_order(qty=4)
        order.action_confirm()
        order.picking_ids.action_assign()
        self.assertEqual(
            self.product.with_context(warehouse_id=self.warehouse.id).free_qty, 6
        )
        order._oms_cancel(reason)
        self.assertEqual(order.picking_ids.state, "cancel")
        self.assertEqual(
            self.product.with_context(warehouse_id=self.warehouse.id).free_qty, 10
        )

    def test_cancel_refused_once_shipped(self):
        """An order with something shipped cannot be cancelled."""
        reason = self.env["oms.cancel.reason"].create({"name": "Test reason"})
        order = self._create_order(qty=2)
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.with_context(cancel_backorder=False)._action_done()
        self.assertEqual(order.order_line.qty_delivered, 1)
        with self.assertRaises(UserError):
            order._oms_cancel(reason)

    def test_salesperson_cannot_act_on_exceptions(self):
        """A salesperson cannot act on exceptions."""
        _order, exception, _rule = self._held_order("stock")
        with self.assertRaises(AccessError):
            exception.with_user(self.salesman).action_wait_stock()

    def test_receipt_not_blocked_by_unconfirmable_order(self):
        """A waiting order that cannot be confirmed does not fail the receipt."""
        order, exception, _rule = self._held_order("stock")
        self.env["sale.order.line"].create(
            {"order_id": order.id, "name": "Line without product", "product_uom_qty": 1}
        )
        with self.assertLogs(
            "odoo.addons.oms_core.models.sale_order", "WARNING"
        ) as logs:
            receipt = self._receive(self.product, 100)
        self.assertEqual(receipt.state, "done")
        self.assertIn(order.name, logs.output[0])
        self.assertEqual(order.state, "draft")
