from odoo.tests import tagged

from .common import OmsAccountingCommon


@tagged("post_install", "-at_install", "oms")
class TestFulfilPickingList(OmsAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Location = cls.env["stock.location"]
        cls.shelf_b = Location.create(
            {"name": "Shelf B", "location_id": cls.stock_location.id}
        )
        cls.shelf_a = Location.create(
            {"name": "Shelf A", "location_id": cls.stock_location.id}
        )
        cls._set_stock(cls.goods, 10, cls.shelf_b)
        cls._set_stock(cls.goods_b, 10, cls.shelf_a)

    def test_pickings_sorted_by_priority_then_location(self):
        """Urgent pickings first; then by the first location of their lines."""
        normal_b = self._create_order(lines=[(self.goods, 1)])
        normal_a = self._create_order(lines=[(self.goods_b, 1)])
        urgent_b = self._create_order(lines=[(self.goods, 1)])
        (normal_b | normal_a | urgent_b).action_confirm()
        urgent_b.picking_ids.priority = "1"
        pickings = (normal_b | normal_a | urgent_b).picking_ids
        ordered = self.env["stock.picking"]._oms_sort_for_picking_list(pickings)
        self.assertEqual(
            ordered.ids,
            [urgent_b.picking_ids.id, normal_a.picking_ids.id, normal_b.picking_ids.id],
        )

    def test_picking_list_lines_in_location_order_and_printable(self):
        """The printed picking list walks the locations in order (A before B)."""
        order = self._create_order(lines=[(self.goods, 2), (self.goods_b, 3)])
        order.action_confirm()
        picking = order.picking_ids
        lines = picking._oms_get_picking_list_lines()
        self.assertEqual(lines.location_id.ids, [self.shelf_a.id, self.shelf_b.id])
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "oms_core.report_oms_picking_list", picking.ids
            )[0]
        )
        self.assertIn("Picking List", html)
        self.assertLess(html.index("Shelf A"), html.index("Shelf B"))

    def test_packing_slip_shows_products_and_tracking(self):
        """The packing slip lists the shipped products and the tracking number."""
        order = self._create_order(lines=[(self.goods, 2)])
        order.action_confirm()
        picking = order.picking_ids
        picking.carrier_tracking_ref = "PK-1"
        self._ship(picking)
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "oms_core.report_oms_packing_slip", picking.ids
            )[0]
        )
        self.assertIn("Packing Slip", html)
        self.assertIn("OMS Widget", html)
        self.assertIn("PK-1", html)
