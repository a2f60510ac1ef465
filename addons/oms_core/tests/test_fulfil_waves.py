"""The warehouse's work list: deliveries to ship with the OMS priority, most
urgent first, handed to the pickers as waves per carrier and priority."""

from lxml import etree

from odoo.exceptions import UserError
from odoo.tools.safe_eval import safe_eval

from .common import OmsCommon


class TestFulfilWaves(OmsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_stock(cls.product, 100)
        cls.stock_user = cls._create_user("oms_picker", "stock.group_stock_user")
        shipping = cls.env["product.product"].create(
            {"name": "OMS Shipping", "type": "service"}
        )
        cls.sf, cls.zto = cls.env["delivery.carrier"].create(
            [
                {"name": name, "delivery_type": "fixed", "product_id": shipping.id}
                for name in ("SF Express", "ZTO Express")
            ]
        )

    def _delivery(self, carrier, priority):
        order = self._create_order(oms_priority=priority, carrier_id=carrier.id)
        order.action_confirm()
        picking = order.picking_ids
        picking.carrier_id = carrier
        return picking

    def test_waves_per_carrier_and_priority_most_urgent_first(self):
        """Two urgent SF parcels go together, before the normal ones; each
        carrier gets its own wave."""
        sf_urgent = self._delivery(self.sf, "2") | self._delivery(self.sf, "2")
        sf_normal = self._delivery(self.sf, "0")
        zto_urgent = self._delivery(self.zto, "2")
        pickings = (sf_urgent | sf_normal | zto_urgent).with_user(self.stock_user)
        action = pickings.action_oms_create_waves()
        batches = self.env["stock.picking.batch"].search(action["domain"], order="id")
        self.assertEqual(
            [batch.picking_ids for batch in batches], [sf_urgent, zto_urgent, sf_normal]
        )
        self.assertEqual(batches.mapped("state"), ["in_progress"] * 3)
        self.assertEqual(batches[0].description, "SF Express / Urgent")

    def test_held_and_batched_deliveries_stay_out(self):
        held = self._delivery(self.sf, "1")
        self._create_rule("domain", domain=f"[('id', '=', {held.sale_id.id})]")
        held.sale_id.action_oms_review()
        self.assertTrue(held.oms_on_hold)
        ready = self._delivery(self.sf, "1")
        ready.action_oms_create_waves()
        self.assertTrue(ready.batch_id)
        with self.assertRaises(UserError):
            (held | ready).action_oms_create_waves()
        self.assertFalse(held.batch_id)

    def test_deliveries_to_ship_hide_the_shipped_ones(self):
        """The work list opens on what is left to ship, the most urgent first."""
        shipped = self._delivery(self.sf, "2")
        self._ship(shipped)
        waiting = self._delivery(self.sf, "0")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_core.oms_delivery_action"
        )
        context = safe_eval(action["context"])
        self.assertEqual(context.get("search_default_oms_to_ship"), 1)
        search = self.env["stock.picking"].get_view(view_type="search")["arch"]
        to_ship = etree.fromstring(search).xpath("//filter[@name='oms_to_ship']")[0]
        domain = safe_eval(action["domain"]) + safe_eval(to_ship.get("domain"))
        found = self.env["stock.picking"].search(domain)
        self.assertIn(waiting, found)
        self.assertNotIn(shipped, found)
        view = self.env.ref("oms_core.oms_delivery_view_list")
        arch = self.env["stock.picking"].get_view(view.id, "list")["arch"]
        self.assertIn("oms_priority desc", etree.fromstring(arch).get("default_order"))
