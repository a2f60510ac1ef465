from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestReviewChecks(OmsCommon):
    """Each built-in check, failing and passing."""

    def _review(self, order):
        order.action_oms_review()
        return order.oms_exception_ids.filtered(lambda e: e.state == "open")

    def assertFails(self, order, code, *numbers):
        exceptions = self._review(order)
        self.assertEqual(
            exceptions.mapped("code"), [code], exceptions.mapped("message")
        )
        for number in numbers:
            self.assertIn(number, exceptions.message)
        self.assertEqual(order.state, "draft")
        return exceptions

    def assertPasses(self, order):
        self.assertFalse(self._review(order))
        self.assertEqual(order.state, "sale")

    def test_credit_limit_exceeded_fails(self):
        """Receivables + open orders + this order above the partner's limit fail."""
        self.company.account_use_credit_limit = True
        self._create_rule("credit_limit")
        self.customer.with_company(self.company).sudo().credit_limit = 500.0
        self.assertFails(
            self._create_order(qty=10), "credit_limit", "500.00", "1,150.00"
        )
        self.customer.with_company(self.company).sudo().credit_limit = 100000.0
        self.assertPasses(self._create_order(qty=10))

    def test_credit_limit_ignored_when_company_does_not_use_it(self):
        """Without Odoo's credit limit setting the check passes."""
        self.company.account_use_credit_limit = False
        self._create_rule("credit_limit")
        self.customer.with_company(self.company).sudo().credit_limit = 1.0
        self.assertPasses(self._create_order(qty=10))

    def test_stock_short_of_promise_fails(self):
        """Ordering more than available to promise fails, with the quantities."""
        self._create_rule("stock")
        self.assertFails(self._create_order(qty=11), "stock", "11", "10")
        self.assertPasses(self._create_order(qty=10))

    def test_stock_counts_confirmed_unreserved_orders(self):
        """Units promised to a confirmed order are no longer available to promise."""
        self._create_rule("stock")
        self.assertPasses(self._create_order(qty=8))
        atp = self.product._oms_get_atp(self.warehouse)
        self.assertEqual(atp[self.product.id], 2.0)
        self.assertFails(self._create_order(qty=3), "stock", "3", "2")

    def test_stock_skipped_for_presale(self):
        """Presale orders may be confirmed without stock."""
        self._create_rule("stock")
        self.assertPasses(self._create_order(qty=500, oms_order_type="presale"))

    def test_incomplete_address_fails(self):
        """A delivery address without street, city or contact fails."""
        self._create_rule("address")
        incomplete = self.env["res.partner"].create(
            {"name": "Nowhere", "country_id": self.country.id}
        )
        exceptions = self.assertFails(
            self._create_order(partner_id=incomplete.id), "address"
        )
        self.assertIn("street", exceptions.message)
        self.assertIn("phone or e-mail", exceptions.message)
        self.assertPasses(self._create_order())

    def test_price_below_floor_fails(self):
        """A unit price more than X % below the pricelist price fails."""
        self._create_rule("price_floor", percent_limit=10.0)
        order = self._create_order()
        order.order_line.price_unit = 80.0
        self.assertFails(order, "price_floor", "20", "10")
        order = self._create_order()
        order.order_line.price_unit = 95.0
        self.assertPasses(order)

    def test_discount_above_limit_fails(self):
        """A discount above X % fails."""
        self._create_rule("discount_limit", percent_limit=10.0)
        order = self._create_order()
        order.order_line.discount = 15.0
        self.assertFails(order, "discount_limit", "15", "10")
        order = self._create_order()
        order.order_line.discount = 5.0
        self.assertPasses(order)

    def test_amount_above_threshold_needs_approval(self):
        """An order total above the threshold needs approval."""
        self._create_rule("amount_threshold", amount_limit=500.0)
        self.assertFails(self._create_order(qty=10), "amount_threshold", "500")
        self.assertPasses(self._create_order(qty=1))

    def test_duplicate_within_window_fails(self):
        """Same customer, lines and total within the window fails."""
        self._create_rule("duplicate", hours_window=24)
        first = self._create_order(qty=2)
        exceptions = self.assertFails(self._create_order(qty=2), "duplicate")
        self.assertIn(first.name, exceptions.message)
        self.assertPasses(self._create_order(qty=3))

    def test_duplicate_same_external_reference(self):
        """The same external reference is a duplicate, whatever the lines."""
        self._create_rule("duplicate")
        self._create_order(qty=1, client_order_ref="EXT-1")
        self.assertFails(
            self._create_order(qty=5, client_order_ref="EXT-1"), "duplicate"
        )
        self.assertPasses(self._create_order(qty=5, client_order_ref="EXT-2"))

    def test_identical_order_outside_window_passes(self):
        """An identical order older than the window is no duplicate."""
        self._create_rule("duplicate", hours_window=24)
        first = self._create_order(qty=2)
        self.env.cr.execute(
            "UPDATE sale_order SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(hours=48), first.id),
        )
        first.invalidate_recordset(["create_date"])
        self.assertPasses(self._create_order(qty=2))

    def test_prepaid_order_is_held_until_paid(self):
        """Orders with a prepaid payment term are held until paid."""
        term = self.env["account.payment.term"].create({"name": "Prepaid"})
        self._create_rule("payment", payment_term_ids=[Command.set(term.ids)])
        order = self._create_order(payment_term_id=term.id)
        self.assertFails(order, "payment", "paid")
        self.assertPasses(self._create_order())

    def test_presale_is_held_until_deposit_paid(self):
        """A presale needs its deposit (company %) before confirmation."""
        self._create_rule("payment")
        self.company.oms_presale_deposit_percent = 30.0
        order = self._create_order(oms_order_type="presale")
        exceptions = self.assertFails(order, "payment")
        # 30 % of 115.00 (100.00 + the default 15 % tax)
        self.assertIn("34.50", exceptions.message)

    def test_first_large_order_of_new_customer_fails(self):
        """The first order of a customer above the amount fails; later ones pass."""
        self._create_rule("new_customer", amount_limit=500.0)
        self.assertFails(self._create_order(qty=10), "new_customer", "500")
        self._create_order(qty=1).action_confirm()
        self.assertPasses(self._create_order(qty=10))

    def test_order_matching_rule_domain_fails(self):
        """An order matching the rule's condition fails with the rule's message."""
        self._create_rule(
            "domain", domain="[('amount_untaxed', '>', 500)]", message="Big order"
        )
        exceptions = self.assertFails(self._create_order(qty=10), "domain")
        self.assertEqual(exceptions.message, "Big order")
        self.assertPasses(self._create_order(qty=1))

    def test_exception_messages_are_translated(self):
        """Exception messages come in the user's language, numbers included."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "oms_core")]
        )._update_translations("zh_CN")
        self._create_rule("amount_threshold", amount_limit=500.0)
        order = self._create_order(qty=10).with_context(lang="zh_CN")
        order.action_oms_review()
        self.assertIn("超过审批阈值", order.oms_exception_ids.message)
        self.assertIn("500", order.oms_exception_ids.message)
