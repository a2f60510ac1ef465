"""Accountant journey in the browser: the invoice of what was delivered, paid."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourAccountant(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls._create_tour_user(
            "tour_account_sun", "account.group_account_invoice", "Sun Li"
        )
        product = cls._create_tour_product("Silk Scarf", 100.0, qty=3)
        customer = cls._create_tour_customer("Hangzhou Retail Co.")
        cls.order = cls._create_order(
            [(product, 5)], customer=customer, oms_invoice_policy="delivery"
        )
        cls.order.action_confirm()
        picking = cls.order.picking_ids
        picking.move_ids.quantity = 3
        picking.move_ids.picked = True
        picking.with_context(cancel_backorder=False)._action_done()

    def test_accountant_pays_the_invoice_of_the_delivery(self):
        """The invoice posted for the 3 units delivered is found and paid."""
        invoice = self.order.invoice_ids
        self.assertRecordValues(invoice, [{"state": "posted", "amount_total": 300.0}])
        self.start_oms_tour("/odoo", "oms_accountant_tour", login="tour_account_sun")
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        payment = invoice.matched_payment_ids
        self.assertRecordValues(
            payment, [{"amount": 300.0, "partner_id": invoice.partner_id.id}]
        )
        # 2 units still to deliver and invoice
        self.assertEqual(self.order.oms_payment_state, "partial")
