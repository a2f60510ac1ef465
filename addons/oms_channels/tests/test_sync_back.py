import json
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..adapters.base import ChannelAdapter, PushDocument, PushLine
from .common import (
    FakePlatform,
    FakeShopifyOrder,
    FakeWooOrder,
    OmsChannelsCommon,
    read_data,
)


@tagged("post_install", "-at_install", "oms")
class TestSyncBack(OmsChannelsCommon):
    def _shipped_woo_order(self):
        self.env["oms.channel.product"].create(
            {
                "channel_id": self.woo.id,
                "external_sku": "woo-93",
                "external_product_ref": "93",
                "product_id": self.products["SKU-A"].id,
            }
        )
        with patch.object(
            type(self.env["sale.order"]), "_oms_register_external_payment"
        ):
            staged = self._import(self.woo, read_data("order_v3_retrieve.json"))
        order = staged.sale_order_id
        if order.state == "draft":
            order.action_confirm()
        picking = order.picking_ids
        picking.write(
            {"carrier_id": self.carrier.id, "carrier_tracking_ref": "SF1234567890"}
        )
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def test_validated_delivery_is_sent_with_tracking(self):
        """A validated delivery of a channel order: completed + tracking note on Woo.

        The delivery is queued in the channel outbox (its sync state reads the
        outbox document) and the outbox cron sends it; the old picking cron
        entry point still sends everything due."""
        picking = self._shipped_woo_order()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.oms_channel_sync_state, "pending")
        with FakePlatform() as platform:
            shop = FakeWooOrder(727).install(platform)
            self.woo.api_url = platform.url
            self.env["stock.picking"]._cron_push_fulfilments()
        self.assertEqual(picking.oms_channel_sync_state, "done")
        self.assertEqual(shop.statuses, ["completed"])
        (note,) = shop.notes
        self.assertIn("SF1234567890", note["note"])
        self.assertIn("Channel shipping", note["note"])

    def test_failed_send_is_kept_for_retry(self):
        """A platform error (502) is kept on the delivery and retried later.

        New expectation: a 5xx is not final any more; the outbox document
        stays to send (``pending``, retried with back-off) with the error."""
        picking = self._shipped_woo_order()
        with (
            FakePlatform() as platform,
            patch.object(ChannelAdapter, "backoff", 0.01),
            mute_logger("odoo.addons.oms_channels.adapters.base"),
        ):
            platform.add("GET", "/wp-json/wc/v3/orders/727/notes", (502, {}, {}))
            self.woo.api_url = platform.url
            self.env["stock.picking"]._cron_push_fulfilments()
        self.assertEqual(picking.oms_channel_sync_state, "pending")
        self.assertIn("502", picking.oms_channel_sync_error)
        self.assertEqual(picking.oms_outbox_ids.attempts, 1)

    def test_shopify_fulfilment_with_tracking(self):
        """Shopify: a fulfilment of the delivered lines through the order's
        fulfilment orders, with tracking.

        New expectation: only the lines of the document are fulfilled
        (``fulfillment_order_line_items`` with quantities), not every
        fulfilment order in full."""
        picking = self._shipped_woo_order()
        adapter = self.shopify._get_adapter()
        document = PushDocument(
            kind="fulfilment",
            key="k1",
            external_ref="450789469",
            carrier="UPS",
            tracking_ref="1Z2345",
            lines=[
                PushLine(sku="IPOD2008RED", quantity=Decimal(1), line_ref="518995019")
            ],
        )
        with FakePlatform() as platform:
            shop = FakeShopifyOrder(
                450789469, [(466157049, 39072856, 1), (518995019, 49148385, 1)]
            ).install(platform)
            adapter.config["api_url"] = platform.url
            self.assertEqual(adapter.send(document), "255858046")
        body = json.loads(platform.requests[-1][3])["fulfillment"]
        self.assertEqual(body["tracking_info"], {"company": "UPS", "number": "1Z2345"})
        self.assertEqual(
            body["line_items_by_fulfillment_order"],
            [
                {
                    "fulfillment_order_id": 1046000778,
                    "fulfillment_order_line_items": [{"id": 1025578601, "quantity": 1}],
                }
            ],
        )
        self.assertEqual(shop.fulfillment_order["status"], "in_progress")
        self.assertTrue(picking)

    def test_cancellation_after_shipment_raises_exception(self):
        """A channel cancellation of a shipped order becomes a blocking exception."""
        picking = self._shipped_woo_order()
        order = picking.sale_id
        data = json.loads(read_data("order_v3_retrieve.json"))
        data["status"] = "cancelled"
        self._stage(self.woo, json.dumps(data))
        self.env["oms.channel.order"]._cron_process()
        self.assertNotEqual(order.state, "cancel")
        exception = order.oms_exception_ids.filtered(
            lambda e: e.state == "open" and "already shipped" in e.message
        )
        self.assertEqual(exception.severity, "block")
        self.assertTrue(order.oms_channel_order_ids.is_cancel_done)
