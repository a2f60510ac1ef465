from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestReturn(OmsAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason = cls.env["oms.return.reason"].create({"name": "Broken on arrival"})
        cls._set_stock(cls.goods, 5)
        cls.order = cls._create_order(
            product=cls.goods, qty=5, oms_invoice_policy="delivery"
        )
        cls.order.action_confirm()

    def _request(self, quantity, **values):
        self._ship(self.order.picking_ids)
        with Form(
            self.env["oms.return"].with_context(default_order_id=self.order.id)
        ) as form:
            for key, value in values.items():
                setattr(form, key, value)
            with form.line_ids.edit(0) as line:
                line.quantity = quantity
                line.reason_id = self.reason
        return form.record

    def _stock(self, location):
        return self.env["stock.quant"]._get_available_quantity(self.goods, location)

    def test_return_restock_and_credit_note(self):
        """Return 2 of 5: back in stock, credit note for 2, delivered down to 3."""
        ret = self._request(2)
        self.assertEqual(ret.line_ids.product_id, self.goods)
        self.assertEqual(self.order.oms_return_count, 1)
        ret.action_confirm()
        self.assertEqual(ret.state, "receiving")
        self.assertEqual(ret.picking_id.picking_type_code, "incoming")
        self.assertEqual(ret.picking_id.location_dest_id, self.stock_location)
        ret.action_receive()
        self.assertEqual(ret.picking_id.state, "done")
        self.assertEqual(self._stock(self.stock_location), 2)
        self.assertEqual(self.order.order_line.qty_delivered, 3)
        ret.action_done()
        credit = ret.credit_note_id
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.state, "posted")
        self.assertEqual(credit.invoice_line_ids.quantity, 2)
        self.assertEqual(credit.amount_total, 200.0)
        self.assertEqual(self.order.order_line.qty_invoiced, 3)
        self.assertEqual(ret.state, "done")

    def test_quarantined_return_goes_to_quarantine(self):
        """Quarantined returns are received in the warehouse's quarantine location."""
        ret = self._request(1, disposition="quarantine")
        ret.action_confirm()
        ret.action_receive()
        quarantine = ret.picking_id.location_dest_id
        self.assertTrue(quarantine.oms_is_quarantine)
        self.assertEqual(self._stock(quarantine), 1)
        self.assertEqual(self._stock(self.stock_location), 0)

    def test_scrapped_return_goes_to_scrap(self):
        """Scrapped returns go to the company's scrap location, not back to stock."""
        ret = self._request(1, disposition="scrap")
        ret.action_confirm()
        ret.action_receive()
        self.assertTrue(ret.picking_id.location_dest_id.scrap_location)
        self.assertEqual(ret.picking_id.state, "done")
        self.assertEqual(self._stock(self.stock_location), 0)

    def test_exchange_creates_a_new_delivery_and_no_credit_note(self):
        """Exchange: return receipt plus a new delivery; no credit note."""
        ret = self._request(1, resolution="exchange")
        ret.action_confirm()
        exchange = ret.exchange_picking_id
        self.assertEqual(exchange.picking_type_code, "outgoing")
        self.assertEqual(exchange.move_ids.product_id, self.goods)
        self.assertEqual(exchange.move_ids.product_uom_qty, 1)
        ret.action_receive()
        ret.action_done()
        self.assertFalse(ret.credit_note_id)
        self.assertEqual(self.order.order_line.qty_delivered, 5)

    def test_cannot_return_more_than_delivered(self):
        """Returning more than was delivered is refused."""
        with self.assertRaises(ValidationError):
            self._request(6)

    def test_salesperson_requests_a_return(self):
        """A salesperson (OMS user) can open a return request and pick a reason."""
        self._ship(self.order.picking_ids)
        salesman = self.env["res.users"].create(
            {
                "name": "OMS Return Salesman",
                "login": "oms_return_salesman",
                "company_id": self.env.company.id,
                "company_ids": [Command.set(self.env.company.ids)],
                "groups_id": [
                    Command.set(
                        self.env.ref("sales_team.group_sale_salesman_all_leads").ids
                    )
                ],
            }
        )
        ret = (
            self.env["oms.return"]
            .with_user(salesman)
            .create(
                {
                    "order_id": self.order.id,
                    "line_ids": [
                        Command.create(
                            {
                                "product_id": self.goods.id,
                                "quantity": 1,
                                "reason_id": self.reason.id,
                                "sale_line_id": self.order.order_line.id,
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(ret.state, "draft")
        self.assertTrue(ret.name.startswith("RMA/"))
        with self.assertRaises(AccessError):
            self.env["oms.return.reason"].with_user(salesman).create({"name": "Nope"})
