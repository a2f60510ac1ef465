from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestExceptionContext(OmsAccountingCommon):
    """Next to an exception the reviewer sees what its type needs: the
    customer's credit and invoices for a credit hold, both orders for a
    duplicate; and only the actions that fit it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.goods, 100)
        cls.company.account_use_credit_limit = True
        cls.customer.with_company(cls.company).sudo().credit_limit = 500.0
        today = fields.Date.context_today(cls.env["res.partner"])
        # invoices due at once: one overdue for months, one of today
        cls.customer.with_company(cls.company).property_payment_term_id = cls.env.ref(
            "account.account_payment_term_immediate"
        )
        cls.overdue = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=today - timedelta(days=90),
            amounts=[300.0],
            taxes=[],
            post=True,
        )
        cls.due = cls.init_invoice(
            "out_invoice",
            partner=cls.customer,
            invoice_date=today,
            amounts=[100.0],
            taxes=[],
            post=True,
        )

    def _held(self, check_type, qty=1, **rule_values):
        self._create_rule(check_type, **rule_values)
        order = self._create_order(product=self.goods, qty=qty, user=self.salesman)
        order.action_oms_review()
        return self.env["oms.exception"].search(
            [("order_id", "=", order.id), ("code", "=", check_type)]
        )

    def test_credit_hold_shows_the_customer_credit_and_invoices(self):
        """A credit hold shows the limit, the credit used, the open and the
        overdue invoices of the customer, and opens those invoices."""
        exception = self._held("credit_limit", qty=5).with_user(self.reviewer)
        partner = self.customer.with_company(self.company)
        self.assertRecordValues(
            exception,
            [
                {
                    "credit_limit": 500.0,
                    "credit_used": partner.credit + partner.credit_to_invoice,
                    "open_invoice_count": 2,
                    "open_invoice_amount": 400.0,
                    "overdue_invoice_count": 1,
                    "overdue_invoice_amount": 300.0,
                    "duplicate_order_ids": [],
                }
            ],
        )
        self.assertEqual(exception.credit_used, 400.0)
        action = exception.action_open_invoices()
        self.assertEqual(
            self.env["account.move"].search(action["domain"]), self.overdue | self.due
        )

    def test_duplicate_shows_both_orders(self):
        """A duplicate shows the earlier order and its lines next to this one's;
        no credit figures."""
        first = self._create_order(product=self.goods, qty=2, user=self.salesman)
        exception = self._held("duplicate", qty=2, hours_window=24)
        self.assertEqual(exception.order_id.amount_total, first.amount_total)
        exception = exception.with_user(self.reviewer)
        self.assertEqual(exception.duplicate_order_ids, first)
        self.assertEqual(exception.duplicate_line_ids, first.order_line)
        self.assertEqual(exception.order_line_ids, exception.order_id.order_line)
        self.assertEqual(
            (exception.credit_limit, exception.open_invoice_count), (0.0, 0)
        )

    def test_no_substitute_for_a_credit_hold(self):
        """A credit hold is not solved by substituting a product: neither by
        its button nor by a wizard made by hand."""
        exception = self._held("credit_limit", qty=5)
        with self.assertRaises(UserError):
            exception.with_user(self.reviewer).action_open_substitute()
        wizard = (
            self.env["oms.exception.substitute"]
            .with_user(self.reviewer)
            .create(
                {
                    "exception_id": exception.id,
                    "line_id": exception.order_id.order_line.id,
                    "product_id": self.product_alt.id,
                }
            )
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(exception.order_id.order_line.product_id, self.goods)
        self.assertEqual(exception.state, "open")
