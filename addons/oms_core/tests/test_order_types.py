from odoo.tests import Form, tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestOrderTypes(OmsCommon):
    """Order types set defaults on the order."""

    def test_type_sets_shipping_policy(self):
        """Bulk orders ship as soon as possible, presales when complete."""
        form = Form(self.env["sale.order"].with_user(self.salesman))
        form.partner_id = self.customer
        form.oms_order_type = "presale"
        self.assertEqual(form.picking_policy, "one")
        form.oms_order_type = "bulk"
        self.assertEqual(form.picking_policy, "direct")

    def test_plain_order_keeps_odoo_default(self):
        """A standard order keeps Odoo's default shipping policy."""
        order = self._create_order()
        self.assertEqual(order.oms_order_type, "standard")
        self.assertEqual(order.picking_policy, "direct")
        order = self._create_order(picking_policy="one")
        self.assertEqual(order.picking_policy, "one")

    def test_custom_type_uses_its_route(self):
        """Lines of custom orders use the type's route (made to order)."""
        route = self.env.ref("oms_core.oms_order_type_custom").route_id
        self.assertTrue(route)
        order = self._create_order(oms_order_type="custom")
        values = order.order_line._prepare_procurement_values(group_id=False)
        self.assertEqual(values["route_ids"], route)
        order = self._create_order()
        self.assertFalse(
            order.order_line._prepare_procurement_values(group_id=False)["route_ids"]
        )

    def test_type_lookup_follows_changes(self):
        """The order type cache by code follows archiving and reactivation."""
        order = self._create_order(oms_order_type="presale")
        presale = order._oms_get_order_type()
        self.assertEqual(presale.code, "presale")
        presale.active = False
        self.assertFalse(order._oms_get_order_type())
        presale.active = True
        self.assertEqual(order._oms_get_order_type(), presale)
