from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestMoneyPayment(OmsAccountingCommon):
    def _prepaid_order(self):
        self._set_stock(self.goods, 5)
        self.customer.write(
            {"oms_payment_policy": "prepaid", "oms_invoice_policy": "order"}
        )
        order = self._create_order(product=self.goods, qty=5)
        self.assertEqual(order.oms_payment_policy, "prepaid")
        return order

    def test_prepaid_order_not_shipped_before_payment(self):
        """A prepaid order cannot ship unpaid; a channel payment unblocks it."""
        order = self._prepaid_order()
        order.action_confirm()
        picking = order.picking_ids
        with self.assertRaises(UserError):
            self._ship(picking)
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(order.oms_payment_state, "not_paid")
        payment = order._oms_register_external_payment(
            self.bank_journal, order.amount_total, ref="SHOP-PAY-1"
        )
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertIn(order.invoice_ids.payment_state, ("paid", "in_payment"))
        self.assertTrue(order.oms_is_paid)
        self.assertEqual(order.oms_payment_state, "paid")
        self._ship(picking)
        self.assertEqual(picking.state, "done")

    def test_prepaid_order_refused_to_warehouse_that_may_not_read_it(self):
        """The warehouse may not read a colleague's unpaid prepaid order: shipping
        it is refused because it is unpaid, not for lack of access."""
        warehouse_admin = self._create_user(
            "oms_warehouse_admin",
            "stock.group_stock_manager,sales_team.group_sale_salesman",
        )
        order = self._prepaid_order()
        order.action_confirm()
        picking = order.picking_ids
        self.env.invalidate_all()  # the warehouse's own request reads afresh
        with self.assertRaisesRegex(UserError, "is prepaid and not paid yet") as caught:
            self._ship(picking.with_user(warehouse_admin))
        self.assertNotIsInstance(caught.exception, AccessError)
        self.assertEqual(picking.state, "assigned")

    def test_channel_payment_is_reconciled_with_the_invoice(self):
        """The reported payment is reconciled with the order's invoice."""
        order = self._prepaid_order()
        order.action_confirm()
        payment = order._oms_register_external_payment(
            self.bank_journal, order.amount_total, ref="SHOP-PAY-2"
        )
        invoice = order.invoice_ids
        self.assertIn(invoice, payment.invoice_ids | payment.reconciled_invoice_ids)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        if payment.move_id:
            self.assertTrue(payment.is_reconciled)
            self.assertEqual(invoice.amount_residual, 0.0)

    def test_payment_reported_before_confirmation_reconciles_later(self):
        """A payment on a draft order waits and is reconciled at invoicing."""
        order = self._prepaid_order()
        order._oms_register_external_payment(
            self.bank_journal, order.amount_total, ref="P3"
        )
        self.assertTrue(order.oms_is_paid)
        order.action_confirm()
        invoice = order.invoice_ids
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(order.oms_payment_state, "paid")
        self._ship(order.picking_ids)
        self.assertEqual(order.picking_ids.state, "done")

    def test_payment_registered_in_odoo_unblocks_shipping(self):
        """A payment registered on the invoice in Odoo unblocks the order."""
        order = self._prepaid_order()
        order.action_confirm()
        invoice = order.invoice_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        self.assertTrue(order.oms_is_paid)
        self._ship(order.picking_ids)
        self.assertEqual(order.picking_ids.state, "done")

    def test_cash_on_delivery_paid_when_carrier_confirms(self):
        """COD: paid on the carrier's journal when it confirms the delivery."""
        carrier = self.env["delivery.carrier"].create(
            {
                "name": "OMS COD Courier",
                "delivery_type": "fixed",
                "product_id": self.env["product.product"]
                .create({"name": "COD Shipping", "type": "service"})
                .id,
                "oms_cod_journal_id": self.cash_journal.id,
            }
        )
        self._set_stock(self.goods, 5)
        order = self._create_order(
            product=self.goods,
            qty=5,
            oms_payment_policy="cod",
            oms_invoice_policy="delivery",
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.carrier_id = carrier
        self._ship(picking)
        self.assertEqual(order.oms_payment_state, "not_paid")
        picking._oms_set_delivered()
        self.assertTrue(order.oms_is_paid)
        self.assertEqual(order.oms_payment_ids.journal_id, self.cash_journal)
        self.assertTrue(order.oms_delivered_date)
        self.assertEqual(order.oms_stage, "done")

    def test_overdue_invoice_raises_activity_and_counts_for_credit(self):
        """An overdue invoice gets an accountant to-do and counts as overdue."""
        order = self._create_order(
            product=self.goods, qty=5, oms_invoice_policy="order"
        )
        order.action_confirm()
        invoice = order.invoice_ids
        self.assertEqual(self.customer._oms_get_overdue_amount(), 0.0)
        invoice.button_draft()
        invoice.write(
            {
                "invoice_date": fields.Date.today() - timedelta(days=40),
                "invoice_payment_term_id": False,
                "invoice_date_due": fields.Date.today() - timedelta(days=10),
            }
        )
        invoice.action_post()
        self.env["account.move"]._cron_oms_overdue_activities()
        activity = invoice.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("account.group_account_manager"))
        self.env["account.move"]._cron_oms_overdue_activities()
        self.assertEqual(len(invoice.activity_ids), 1)
        self.assertEqual(self.customer._oms_get_overdue_amount(), 500.0)

    def test_channel_payment_lets_the_review_confirm_a_prepaid_quotation(self):
        """A prepaid quotation is held until the channel reports it paid."""
        # then the review confirms it
        self.env.company.oms_auto_confirm = True
        prepaid_term = self.env["account.payment.term"].create({"name": "Prepaid"})
        self.env["oms.review.rule"].create(
            {
                "name": "Prepayment",
                "check_type": "payment",
                "severity": "block",
                "payment_term_ids": [Command.set(prepaid_term.ids)],
            }
        )
        order = self._prepaid_order()
        order.payment_term_id = prepaid_term
        order.action_oms_review()
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.oms_has_blocking_exception)
        order._oms_register_external_payment(
            self.bank_journal, order.amount_total, ref="P9"
        )
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        self.assertIn(order.invoice_ids.payment_state, ("paid", "in_payment"))
