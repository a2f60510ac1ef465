"""Each channel chooses which notices its customers get."""

from .common import OmsChannelsCommon


class TestCustomerNotices(OmsChannelsCommon):
    def _cancelled_channel_order(self, channel):
        order = self._create_order(oms_channel_id=channel.id)
        order._oms_cancel(self.env.ref("oms_core.oms_cancel_reason_customer"))
        return order

    def test_channel_switches_a_notice_off(self):
        """The marketplace tells its buyers itself: no cancellation notice from
        Odoo for its orders, while the web shop's customers still get one."""
        self.woo.notify_cancel = False
        silent = self._cancelled_channel_order(self.woo)
        told = self._cancelled_channel_order(self.shopify)
        self.assertFalse(silent.oms_notice_ids)
        self.assertEqual(told.oms_notice_ids.mapped("event"), ["cancel"])
        self.assertTrue(
            told.message_ids.filtered(lambda m: "is cancelled" in (m.subject or ""))
        )
        self.assertFalse(
            silent.message_ids.filtered(lambda m: "is cancelled" in (m.subject or ""))
        )

    def test_channel_switches_the_survey_off(self):
        self.shopify.notify_rating = False
        order = self._create_order(oms_channel_id=self.shopify.id)
        order.action_confirm()
        order._oms_request_rating()
        self.assertFalse(order.rating_ids)
        self.assertFalse(order.oms_notice_ids)
