from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestFulfilReservation(OmsAccountingCommon):
    def _receive(self, product, quantity):
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.stock_location.id,
                "move_ids": [
                    fields.Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.stock_location.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        self._ship(receipt)
        return receipt

    def test_confirmation_reserves_stock_at_once(self):
        """Deliveries reserved at confirmation: approval reserves the stock."""
        self.warehouse.out_type_id.reservation_method = "at_confirm"
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertEqual(order.picking_ids.move_ids.quantity, 5)

    def test_confirmation_serves_urgent_first(self):
        """Two orders approved together, stock for one: the urgent one gets it."""
        self.warehouse.out_type_id.reservation_method = "at_confirm"
        self._set_stock(self.goods, 4)
        normal = self._create_order(lines=[(self.goods, 4)])
        urgent = self._create_order(lines=[(self.goods, 4)], oms_priority="2")
        (normal | urgent).action_confirm()
        self.assertEqual(urgent.picking_ids.state, "assigned")
        self.assertEqual(normal.picking_ids.state, "confirmed")

    def test_manual_reservation_left_to_the_warehouse(self):
        """Deliveries reserved manually: approval reserves nothing, the warehouse
        does (Check Availability)."""
        self.warehouse.out_type_id.reservation_method = "manual"
        self._set_stock(self.goods, 5)
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        self.assertEqual(order.picking_ids.state, "confirmed")
        self.assertFalse(order.picking_ids.move_ids.quantity)
        order.picking_ids.action_assign()
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_reservation_before_scheduled_date_waits_for_it(self):
        """Deliveries reserved 2 days before their date: an order promised in 10
        days is not reserved at approval, one promised tomorrow is."""
        self.warehouse.out_type_id.write(
            {"reservation_method": "by_date", "reservation_days_before": 2}
        )
        self._set_stock(self.goods, 10)
        now = fields.Datetime.now()
        later = self._create_order(
            product=self.goods, qty=5, commitment_date=now + timedelta(days=10)
        )
        soon = self._create_order(
            product=self.goods, qty=5, commitment_date=now + timedelta(days=1)
        )
        (later | soon).action_confirm()
        self.assertEqual(later.picking_ids.state, "confirmed")
        self.assertEqual(soon.picking_ids.state, "assigned")

    def test_arriving_stock_serves_urgent_before_high(self):
        """Stock arriving for a high and an urgent order serves the urgent first."""
        # Odoo alone (same star, earlier date) would serve the high one
        now = fields.Datetime.now()
        high = self._create_order(lines=[(self.goods, 4)], oms_priority="1")
        urgent = self._create_order(
            lines=[(self.goods, 4)],
            oms_priority="2",
            commitment_date=now + timedelta(days=10),
        )
        (high | urgent).action_confirm()
        self.assertEqual((high | urgent).picking_ids.mapped("priority"), ["1", "1"])
        self._receive(self.goods, 4)
        self.assertEqual(urgent.picking_ids.state, "assigned")
        self.assertEqual(high.picking_ids.state, "confirmed")

    def test_arriving_stock_serves_priority_then_order_date(self):
        """Among orders of the same priority, the oldest order is served first."""
        now = fields.Datetime.now()
        # The oldest order promised a late date: Odoo alone would serve it last.
        old = self._create_order(
            lines=[(self.goods, 4)], commitment_date=now + timedelta(days=10)
        )
        new = self._create_order(lines=[(self.goods, 4)])
        urgent = self._create_order(lines=[(self.goods, 4)], oms_priority="2")
        (new | old | urgent).action_confirm()
        old.date_order = now - timedelta(days=3)
        new.date_order = now - timedelta(days=1)
        self.assertEqual(
            set((old | new | urgent).picking_ids.mapped("state")), {"confirmed"}
        )
        self._receive(self.goods, 8)
        self.assertEqual(urgent.picking_ids.state, "assigned")
        self.assertEqual(old.picking_ids.state, "assigned")
        self.assertEqual(new.picking_ids.state, "confirmed")


@tagged("post_install", "-at_install", "oms")
class TestFulfilInterWarehouse(OmsAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["stock.warehouse"].create(
            {"name": "OMS North", "code": "OMSN"}
        )
        cls._set_stock(cls.goods, 10, cls.other.lot_stock_id)

    def test_no_proposal_by_default(self):
        """Without the warehouse setting, nothing is proposed (plain Odoo)."""
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        self.assertFalse(order.activity_ids)

    def test_proposes_transfer_from_other_warehouse(self):
        """The order's warehouse lacks stock, another has it: an activity says so."""
        self.warehouse.oms_interwarehouse_policy = "propose"
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        self.assertEqual(len(order.activity_ids), 1)
        self.assertIn("OMS North", order.activity_ids.note)

    def test_creates_transfer_that_serves_the_order(self):
        """With 'create the transfer', done transfer lets the delivery be reserved."""
        self.warehouse.oms_interwarehouse_policy = "transfer"
        order = self._create_order(product=self.goods, qty=5)
        order.action_confirm()
        transfer = self.env["stock.picking"].search(
            [("origin", "=", order.name), ("picking_type_code", "=", "internal")]
        )
        self.assertEqual(transfer.location_id, self.other.lot_stock_id)
        self.assertEqual(transfer.move_ids.product_uom_qty, 5)
        self._ship(transfer)
        self.assertEqual(order.picking_ids.state, "assigned")
