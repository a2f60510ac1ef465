from odoo.tests import Form, tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestChangesAfterApproval(OmsCommon):
    """Editing an approved order sends it back to review."""

    def test_quantity_change_rereviews_and_holds(self):
        """A reviewer raising a quantity beyond stock after approval holds the
        order (a salesperson's change would wait as a change request)."""
        self._create_rule("stock")
        order = self._create_order(qty=2, user=self.salesman)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "approved")
        with (
            Form(order.with_user(self.reviewer)) as form,
            form.order_line.edit(0) as line,
        ):
            line.product_uom_qty = 30
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(order.oms_touch_count, 1)
        self.assertIn("30", order.oms_changes_since_approval)
        self.assertIn("stock", order.oms_exception_ids.mapped("code"))

    def test_change_keeps_unrelated_overrides(self):
        """Only changed facts are re-checked: an unchanged override sticks."""
        self._create_rule("discount_limit", percent_limit=5.0)
        self._create_rule("stock")
        order = self._create_order(qty=2)
        order.order_line.discount = 10.0
        order.action_oms_review()
        exception = order.oms_exception_ids
        exception.with_user(self.reviewer).action_override("loyal customer")
        self.assertEqual(order.state, "sale")
        order.partner_shipping_id = self.env["res.partner"].create(
            {
                "name": "Other address",
                "parent_id": self.customer.id,
                "type": "delivery",
                "street": "s",
                "city": "c",
                "zip": "1000",
                "country_id": self.country.id,
            }
        )
        self.assertEqual(order.oms_touch_count, 2)
        self.assertEqual(order.oms_exception_ids, exception)
        self.assertEqual(order.oms_stage, "approved")
        self.assertIn("Other address", order.oms_changes_since_approval)

    def test_price_change_is_tracked(self):
        """A price change after approval is posted in the chatter."""
        order = self._create_order(qty=2)
        order.action_oms_review()
        order.order_line.price_unit = 70.0
        self.assertIn("70", order.oms_changes_since_approval)
        messages = order.message_ids.mapped("body")
        self.assertTrue(any("sent back to review" in (body or "") for body in messages))

    def test_draft_changes_do_not_count(self):
        """Editing a quotation before approval is no touch."""
        order = self._create_order(qty=2)
        order.order_line.product_uom_qty = 3
        self.assertEqual(order.oms_touch_count, 0)
        self.assertFalse(order.oms_changes_since_approval)

    def test_approved_quotation_change_rereviews(self):
        """A quotation approved without auto-confirmation is re-reviewed when edited."""
        self.company.oms_auto_confirm = False
        self._create_rule("amount_threshold", amount_limit=500.0)
        order = self._create_order(qty=1)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "approved")
        order.order_line.product_uom_qty = 10
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_touch_count, 1)
