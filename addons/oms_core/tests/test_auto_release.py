from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import OmsAccountingCommon, OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestAutoRelease(OmsCommon):
    """When the fact that held an order changes, the order is reviewed again
    without anyone clicking Review, and released when clean."""

    def _held(self, code, **values):
        order = self._create_order(user=self.salesman, **values)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(order.oms_exception_ids.code, code)
        return order

    def test_completed_address_releases_the_order(self):
        """The customer's street is filled in: the held order is confirmed."""
        self._create_rule("address")
        customer = self._create_customer(
            "No Street",
            city="Liège",
            zip="4000",
            country_id=self.country.id,
            email="ns@example.com",
        )
        order = self._held("address", customer=customer)
        customer.street = "Rue Neuve 5"
        self.assertEqual(order.state, "sale")
        self.assertRecordValues(
            order.oms_exception_ids, [{"state": "resolved", "resolution": "system"}]
        )

    def test_only_orders_of_the_changed_partner_are_reviewed(self):
        """Completing one address reviews that customer's held orders only."""
        self._create_rule("address")
        mine, other = (
            self._create_customer(name, city="Namur", country_id=self.country.id)
            for name in ("Mine", "Other")
        )
        order = self._held("address", customer=mine)
        other_order = self._held("address", customer=other)
        Order = type(self.env["sale.order"])
        reviewed = []
        review = Order._oms_review_safely

        def record(orders):
            reviewed.extend(orders.ids)
            return review(orders)

        with patch.object(Order, "_oms_review_safely", record):
            mine.write({"street": "Rue 1", "zip": "5000", "email": "m@example.com"})
        self.assertEqual(reviewed, order.ids)
        self.assertEqual(order.state, "sale")
        self.assertEqual(other_order.oms_stage, "on_hold")

    def test_corrected_price_releases_the_order(self):
        """The salesperson corrects a price below the floor: confirmed."""
        self._create_rule("price_floor", percent_limit=10.0)
        order = self._create_order(user=self.salesman)
        order.order_line.price_unit = 40.0
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        order.with_user(self.salesman).order_line.price_unit = 100.0
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.oms_exception_ids.state, "resolved")

    def test_stock_arrival_releases_a_confirmed_order_held_for_stock(self):
        """A confirmed order raised beyond stock is released by the receipt."""
        self._create_rule("stock")
        order = self._create_order(qty=2, user=self.salesman).with_env(self.env)
        order.action_oms_review()
        order.order_line.product_uom_qty = 15
        self.assertEqual(order.oms_stage, "on_hold")
        self._receive(self.product, 10)
        self.assertEqual(order.oms_stage, "approved")
        self.assertEqual(order.oms_exception_ids.state, "resolved")


@tagged("post_install", "-at_install", "oms")
class TestAutoReleaseMoney(OmsAccountingCommon):
    """Money that arrives releases the orders held for it."""

    def test_payment_received_releases_a_prepaid_quotation(self):
        """The channel reports the prepayment: the quotation is confirmed."""
        term = self.env["account.payment.term"].create({"name": "Prepaid"})
        self._create_rule("payment", payment_term_ids=[Command.set(term.ids)])
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=2, payment_term_id=term.id)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        order._oms_register_external_payment(
            self.bank_journal, order.amount_total, ref="PAY-1"
        )
        self.assertEqual(order.state, "sale")

    def test_payment_freeing_credit_releases_the_order(self):
        """The customer pays an old invoice: the order held for credit goes on."""
        self.company.account_use_credit_limit = True
        self._set_stock(self.goods, 10)
        self.customer.with_company(self.company).sudo().credit_limit = 500.0
        first = self._create_order(product=self.goods, qty=4)
        first.action_confirm()
        invoice = first._create_invoices()
        invoice.action_post()
        self._create_rule("credit_limit")
        order = self._create_order(product=self.goods, qty=2)
        order.action_oms_review()
        self.assertEqual(order.oms_exception_ids.code, "credit_limit")
        self.assertEqual(order.state, "draft")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.oms_exception_ids.state, "resolved")

    def test_raised_credit_limit_releases_the_order(self):
        """The accountant raises the customer's limit: the order goes on."""
        self.company.account_use_credit_limit = True
        self._set_stock(self.goods, 10)
        self.customer.with_company(self.company).sudo().credit_limit = 100.0
        self._create_rule("credit_limit")
        order = self._create_order(product=self.goods, qty=2)
        order.action_oms_review()
        self.assertEqual(order.state, "draft")
        self.customer.with_company(self.company).sudo().credit_limit = 5000.0
        self.assertEqual(order.state, "sale")
