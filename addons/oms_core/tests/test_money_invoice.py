from odoo.tests import tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestMoneyInvoice(OmsAccountingCommon):
    def test_invoice_on_delivery_posts_delivered_quantities_only(self):
        """Shipping 3 of 5 creates and posts an invoice for the 3 delivered."""
        self._set_stock(self.goods, 3)
        order = self._create_order(
            product=self.goods, qty=5, oms_invoice_policy="delivery"
        )
        order.action_confirm()
        self.assertFalse(order.invoice_ids)
        self._ship(order.picking_ids, {self.goods: 3})
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_line_ids.quantity, 3)
        self.assertEqual(invoice.amount_total, 300.0)
        self.assertEqual(order.oms_payment_state, "not_paid")
        # the back-order, once shipped, is invoiced on its own
        self._set_stock(self.goods, 2)
        backorder = order.oms_backorder_ids
        backorder.action_assign()
        self._ship(backorder)
        self.assertEqual(len(order.invoice_ids), 2)
        self.assertEqual(sum(order.invoice_ids.mapped("amount_total")), 500.0)
        self.assertEqual(order.invoice_status, "invoiced")

    def test_invoice_on_order_posts_at_confirmation(self):
        """An on-order (prepaid) order is invoiced in full at confirmation."""
        order = self._create_order(
            product=self.goods, qty=5, oms_invoice_policy="order"
        )
        order.action_confirm()
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(order.invoice_ids.invoice_line_ids.quantity, 5)

    def test_manual_policy_behaves_like_odoo(self):
        """With the default manual policy nothing is invoiced automatically."""
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=5)
        self.assertEqual(order.oms_invoice_policy, "manual")
        order.action_confirm()
        self._ship(order.picking_ids)
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.invoice_status, "to invoice")
        self.assertEqual(order.oms_payment_state, "not_invoiced")

    def test_periodic_invoicing_consolidates_per_customer(self):
        """The periodic cron invoices a customer's delivered orders at once."""
        self.customer.oms_invoice_policy = "periodic"
        self._set_stock(self.goods, 10)
        first = self._create_order(lines=[(self.goods, 2)])
        second = self._create_order(lines=[(self.goods, 3)])
        undelivered = self._create_order(lines=[(self.goods_b, 1)])
        orders = first | second | undelivered
        self.assertEqual(set(orders.mapped("oms_invoice_policy")), {"periodic"})
        orders.action_confirm()
        self._ship(first.picking_ids)
        self._ship(second.picking_ids)
        self.assertFalse(orders.invoice_ids)
        self.env["sale.order"]._cron_oms_periodic_invoicing()
        invoice = first.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice, second.invoice_ids)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 500.0)
        self.assertFalse(undelivered.invoice_ids)

    def test_policies_by_order_type_unless_customer_has_own(self):
        """Order types set the invoice/payment policy; a customer's own policy wins."""
        bulk = self.env["oms.order.type"].search([("code", "=", "bulk")])
        bulk.write({"invoice_policy": "periodic", "payment_policy": "cod"})
        order = self._create_order(product=self.goods, qty=5, oms_order_type="bulk")
        self.assertEqual(order.oms_invoice_policy, "periodic")
        self.assertEqual(order.oms_payment_policy, "cod")
        standard = self._create_order(
            product=self.goods, qty=5, oms_order_type="standard"
        )
        self.assertEqual(standard.oms_invoice_policy, "manual")
        self.assertEqual(standard.oms_payment_policy, "terms")
        self.customer.oms_invoice_policy = "delivery"
        own = self._create_order(product=self.goods, qty=5, oms_order_type="bulk")
        self.assertEqual(own.oms_invoice_policy, "delivery")
