from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestFulfilShipping(OmsAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "OMS Express",
                "delivery_type": "fixed",
                "fixed_price": 10.0,
                "tracking_url": "https://track.example.com/?n=<shipmenttrackingnumber>",
                "product_id": cls.env["product.product"]
                .create({"name": "OMS Shipping", "type": "service"})
                .id,
            }
        )

    def test_customer_policy_waits_until_complete(self):
        """A 'wait until complete' customer gets orders and deliveries that wait."""
        self.customer.oms_picking_policy = "one"
        order = self._create_order(product=self.goods, qty=5)
        self.assertEqual(order.picking_policy, "one")
        order.action_confirm()
        self.assertEqual(order.picking_ids.move_type, "one")

    def test_ship_available_now_backorders_the_rest(self):
        """Ship 3 of 5 now: a back-order of 2 is created and shown on the order."""
        self._set_stock(self.goods, 3)
        order = self._create_order(product=self.goods, qty=5)
        self.assertEqual(order.picking_policy, "direct")
        order.action_confirm()
        picking = order.picking_ids
        self._ship(picking, {self.goods: 3})
        self.assertEqual(picking.state, "done")
        self.assertEqual(order.oms_backorder_count, 1)
        self.assertEqual(order.oms_backorder_ids.move_ids.product_uom_qty, 2)
        self.assertEqual(order.order_line.qty_delivered, 3)
        self.assertEqual(order.oms_stage, "partially_shipped")
        action = order.action_oms_view_backorders()
        self.assertEqual(action["res_id"], order.oms_backorder_ids.id)

    def test_wait_complete_refuses_partial_shipment(self):
        """Wait until complete: 3 of 5 cannot ship; it ships once complete."""
        self._set_stock(self.goods, 3)
        order = self._create_order(product=self.goods, qty=5, picking_policy="one")
        order.action_confirm()
        picking = order.picking_ids
        with self.assertRaises(UserError):
            self._ship(picking, {self.goods: 3})
        self.assertEqual(picking.state, "confirmed")
        self._set_stock(self.goods, 2)
        picking.action_assign()
        self._ship(picking)
        self.assertEqual(picking.state, "done")
        self.assertFalse(order.oms_backorder_count)

    def test_warehouse_ships_order_it_may_not_read(self):
        """An inventory administrator whose sales rights cover their own orders
        only ships a colleague's order, and still may not read that order."""
        warehouse_admin = self._create_user(
            "oms_warehouse_admin",
            "stock.group_stock_manager,sales_team.group_sale_salesman",
        )
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        picking = order.picking_ids.with_user(warehouse_admin)
        self.env.invalidate_all()  # the warehouse's own request reads afresh
        self._ship(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(order.oms_stage, "shipped")
        with self.assertRaises(AccessError):
            order.with_user(warehouse_admin).read(["oms_payment_policy"])

    def test_tracking_email_sent_with_number_and_link(self):
        """Validating a tracked delivery e-mails the customer the number and link."""
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        picking = order.picking_ids
        picking.write(
            {"carrier_id": self.carrier.id, "carrier_tracking_ref": "TRK-4711"}
        )
        self._ship(picking)
        messages = picking.message_ids.filtered(lambda m: "TRK-4711" in (m.body or ""))
        self.assertEqual(len(messages), 1)
        self.assertIn(self.customer, messages.partner_ids)
        self.assertIn("https://track.example.com/?n=TRK-4711", messages.body)
        self.assertIn(order.name, messages.subject)
        self.assertTrue(picking.oms_shipment_mail_sent)

    def test_no_tracking_email_without_tracking_number(self):
        """Without a tracking number, no shipment e-mail is sent."""
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        self._ship(order.picking_ids)
        self.assertFalse(order.picking_ids.oms_shipment_mail_sent)

    def test_delivered_date_reaches_order(self):
        """Marking the delivery delivered dates the order, on time."""
        self._set_stock(self.goods, 5)
        order = self._create_order(
            product=self.goods,
            qty=5,
            commitment_date=fields.Datetime.now() + timedelta(days=2),
        )
        order.action_confirm()
        picking = order.picking_ids
        self._ship(picking)
        self.assertFalse(order.oms_delivered_date)
        picking.action_oms_mark_delivered()
        self.assertTrue(picking.oms_delivered_date)
        self.assertEqual(order.oms_delivered_date, picking.oms_delivered_date)
        self.assertTrue(order.oms_delivered_on_time)

    def test_late_delivery_set_by_hand_is_not_on_time(self):
        """Delivered after the commitment date is late; clearing it clears it."""
        self._set_stock(self.goods, 5)
        order = self._create_order(
            product=self.goods,
            qty=5,
            commitment_date=fields.Datetime.now() - timedelta(days=3),
        )
        order.action_confirm()
        picking = order.picking_ids
        self._ship(picking)
        picking.oms_delivered_date = fields.Datetime.now()
        self.assertTrue(order.oms_delivered_date)
        self.assertFalse(order.oms_delivered_on_time)
        picking.oms_delivered_date = False
        self.assertFalse(order.oms_delivered_date)

    def test_partial_delivery_does_not_date_order(self):
        """The order is delivered only when all of it reached the customer."""
        self._set_stock(self.goods, 3)
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        picking = order.picking_ids
        self._ship(picking, {self.goods: 3})
        picking._oms_set_delivered()
        self.assertTrue(picking.oms_delivered_date)
        self.assertFalse(order.oms_delivered_date)
