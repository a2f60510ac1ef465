from odoo.tests import tagged

from .common import OmsChannelsCommon


@tagged("post_install", "-at_install", "oms")
class TestChannelSourcing(OmsChannelsCommon):
    """The company may ship from its Shanghai warehouse too; the tea is only
    there. Both shops confirm clean orders; the Shopify one ships from its own
    warehouse only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shanghai = cls.env["stock.warehouse"].create(
            {"name": "Shanghai DC", "code": "SHCH", "sequence": 50}
        )
        cls.company.oms_source_warehouse_ids = cls.shanghai
        (cls.shopify | cls.woo).auto_confirm = True
        cls.shopify.source_warehouse_ids = cls.warehouse
        cls.tea = cls._create_sku_product("TEA-LJ")
        cls._set_stock(cls.tea, 5, cls.shanghai.lot_stock_id)
        cls.rule = cls._create_rule("stock")

    def _review(self, channel):
        order = self._create_order([(self.tea, 2)], oms_channel_id=channel.id)
        order.action_oms_review()
        return order

    def test_channel_narrows_the_source_warehouses(self):
        """The WooCommerce order ships from Shanghai; the Shopify one, allowed
        only its own warehouse, is held by the stock check."""
        woo = self._review(self.woo)
        self.assertEqual(woo.state, "sale")
        self.assertEqual(woo.order_line.oms_source_warehouse_id, self.shanghai)
        self.assertEqual(woo.picking_ids.picking_type_id, self.shanghai.out_type_id)
        shopify = self._review(self.shopify)
        self.assertEqual(shopify.state, "draft")
        self.assertEqual(shopify.oms_exception_ids.rule_id, self.rule)
        self.assertFalse(shopify.order_line.oms_source_warehouse_id)
        self.assertEqual(self.shopify._get_source_warehouses(), self.warehouse)
        self.assertEqual(
            self.woo._get_source_warehouses(), self.warehouse | self.shanghai
        )
