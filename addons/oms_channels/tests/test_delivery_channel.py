"""Deliveries tell the warehouse which channel they serve."""

from .common import OmsChannelsCommon


class TestDeliveryChannel(OmsChannelsCommon):
    def test_delivery_shows_the_channel(self):
        """The warehouse sees which channel a delivery serves."""
        order = self._create_order(oms_channel_id=self.woo.id)
        order.action_confirm()
        self.assertEqual(order.picking_ids.oms_channel_id, self.woo)
