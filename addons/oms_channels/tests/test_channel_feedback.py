"""What a person sees when a channel or one of its orders goes wrong: the
failure in words, the outcome of each button, what waits for a person."""

import json
import socket
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.oms_core.tools import reader_text

from ..adapters.base import ChannelAdapter, ChannelHTTPError
from ..intake.mapper import OrderMapper
from .common import FakePlatform, OmsChannelsCommon, read_data, rest_order_payload
from .test_cn_marketplaces import CnChannelsCommon

SHOPIFY_SHOP = "/admin/api/2024-10/shop.json"
WOO_ORDERS = "/wp-json/wc/v3/orders"


def closed_port():
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install", "oms")
class TestChannelFeedback(OmsChannelsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patcher = patch.object(ChannelAdapter, "backoff", 0.01)
        patcher.start()
        cls.addClassCleanup(patcher.stop)

    def _rest(self, ref, sku="SKU-A", **values):
        return json.dumps(rest_order_payload(ref, sku, **values))

    # -- the channel -------------------------------------------------------------
    def test_pull_from_unreachable_shop_says_what_failed(self):
        """The shop's server is down: Pull Orders names the host and says the
        connection was refused, keeps it as the channel's last pull, and the
        code path raises the same words (no Python exception text)."""
        port = closed_port()
        self.woo.api_url = f"http://127.0.0.1:{port}"
        with mute_logger(
            "odoo.addons.oms_channels.adapters.base",
            "odoo.addons.oms_channels.models.oms_channel",
        ):
            action = self.woo.action_pull_orders()
        params = action["params"]
        self.assertEqual(
            (action["tag"], params["type"]), ("display_notification", "danger")
        )
        self.assertIn(f"127.0.0.1:{port} could not be reached", params["message"])
        self.assertIn("the connection was refused", params["message"])
        self.assertNotIn("Errno", params["message"])
        self.assertNotIn("HTTPConnectionPool", params["message"])
        self.assertEqual(self.woo.last_sync_state, "failed")
        self.assertTrue(self.woo.last_sync_attempt_date)
        self.assertTrue(reader_text.is_stored(self.woo.sync_error))
        self.assertIn("connection was refused", self.woo.sync_error_display)
        with (
            self.assertRaises(UserError) as caught,
            mute_logger(
                "odoo.addons.oms_channels.adapters.base",
                "odoo.addons.oms_channels.models.oms_channel",
            ),
        ):
            self.woo.action_sync_orders()
        self.assertIn("could not be reached", str(caught.exception))

    def test_last_pull_is_kept_on_the_channel(self):
        """A pull that works after a failed one clears the error and says so."""
        self.woo.write({"last_sync_state": "failed", "sync_error": "down"})
        with FakePlatform() as platform:
            platform.add("GET", WOO_ORDERS, (200, {"X-WP-TotalPages": "1"}, []))
            self.woo.api_url = platform.url
            action = self.woo.action_pull_orders()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("0 orders received", action["params"]["message"])
        self.assertRecordValues(
            self.woo, [{"last_sync_state": "ok", "sync_error": False}]
        )

    def test_connection_test_tells_each_platform_answer(self):
        """Test Connection: 401, 404, 429 and 500 with the platform's message
        are told in words; a working shop answers with its name."""
        answers = [
            (401, "[API] Invalid API key or access token", "key or access token"),
            (404, "Not Found", "check the API URL"),
            (429, "Exceeded 2 calls per second", "Too many calls"),
            (500, "Internal error", "The platform has a problem"),
        ]
        with FakePlatform() as platform:
            self.shopify.api_url = platform.url
            for status, message, hint in answers:
                platform.add(
                    "GET",
                    SHOPIFY_SHOP,
                    (status, {"Retry-After": "0"}, {"errors": message}),
                )
                with mute_logger("odoo.addons.oms_channels.adapters.base"):
                    action = self.shopify.action_test_connection()
                text = action["params"]["message"]
                self.assertEqual(action["params"]["type"], "danger", text)
                self.assertIn(f"answered HTTP {status}", text)
                self.assertIn(hint, text)
                self.assertIn(f"The platform says: {message}", text)
            calls = len(platform.requests)
            platform.add(
                "GET", SHOPIFY_SHOP, (200, {}, {"shop": {"name": "Demo Shop"}})
            )
            action = self.shopify.action_test_connection()
        self.assertEqual(calls, len(answers), "one call each: the person waits")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Demo Shop", action["params"]["message"])
        self.assertEqual(
            platform.requests[-1][2]["X-Shopify-Access-Token"], "SHOPIFY-key"
        )
        store = self._create_channel("Store", "STORE-T", "manual", kind="store")
        action = store.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("no platform to call", action["params"]["message"])

    def test_channel_error_reads_in_the_readers_language(self):
        """A pull error stored by an English user reads in Chinese for a
        Chinese reader, with the same host and status."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "oms_channels")]
        )._update_translations("zh_CN")
        with FakePlatform() as platform:
            platform.add("GET", WOO_ORDERS, (401, {}, {"message": "Invalid key"}))
            self.woo.api_url = platform.url
            self.woo.with_context(lang="en_US").action_pull_orders()
        host = platform.url.split("//")[1]
        english = self.woo.with_context(lang="en_US").sync_error_display
        chinese = self.woo.with_context(lang="zh_CN").sync_error_display
        self.assertIn(f"The platform at {host} answered HTTP 401", english)
        self.assertIn(host, chinese)
        self.assertIn("401", chinese)
        self.assertIn("Invalid key", chinese)
        self.assertIn("拉取", chinese)

    # -- a staged order ------------------------------------------------------------
    def test_staged_order_is_named_by_the_shop_order_number(self):
        """Shopify's #9999 and WooCommerce's number name the staged orders;
        the platform's id stays the key that stages them once."""
        shopify_order = json.loads(read_data("orders_create_webhook.sample.json"))
        woo_order = dict(
            json.loads(read_data("order_v3_retrieve.json")), number="WC-727"
        )
        first = self._stage(self.shopify, json.dumps(shopify_order))
        woo = self._stage(self.woo, json.dumps(woo_order))
        rest = self._stage(self.rest, self._rest("MINI-1", name="小程序订单 0001"))
        self.assertRecordValues(
            first + woo + rest,
            [
                {
                    "order_number": "#9999",
                    "external_ref": "820982911946154508",
                    "display_name": "#9999",
                },
                {
                    "order_number": "WC-727",
                    "external_ref": "727",
                    "display_name": "WC-727",
                },
                {
                    "order_number": "小程序订单 0001",
                    "external_ref": "MINI-1",
                    "display_name": "小程序订单 0001",
                },
            ],
        )
        again = self._stage(self.shopify, json.dumps(shopify_order))
        self.assertEqual(again, first, "staged once, by the platform's id")
        self.assertEqual(
            self.env["oms.channel.order"].name_search("#9999"),
            [(first.id, "#9999")],
        )

    def test_payload_reads_indented(self):
        """The payload sent on one line is shown indented, as JSON."""
        staged = self._stage(self.rest, self._rest("MINI-2"))
        self.assertNotIn("\n", staged.payload)
        self.assertEqual(
            staged.payload_display,
            json.dumps(json.loads(staged.payload), indent=2, ensure_ascii=False),
        )
        self.assertIn('\n  "lines": [', staged.payload_display)

    def test_retry_tells_the_outcome(self):
        """Retry says "imported as S…" with a link once the SKU is mapped, and
        the error when the order fails again."""
        staged = self._import(self.rest, self._rest("MINI-3", sku="NEW-SKU"))
        self.assertEqual(staged.state, "failed")
        action = staged.action_retry()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("MINI-3 failed again", action["params"]["message"])
        self.assertIn("Unknown product: SKU NEW-SKU", action["params"]["message"])
        self.env["oms.channel.product"].create(
            {
                "channel_id": self.rest.id,
                "external_sku": "NEW-SKU",
                "product_id": self.products["SKU-A"].id,
            }
        )
        action = staged.action_retry()
        order = staged.sale_order_id
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("MINI-3 was imported as %s", action["params"]["message"])
        self.assertEqual(
            action["params"]["links"],
            [{"label": order.name, "url": f"/odoo/sale.order/{order.id}"}],
        )

    def test_cron_retries_transient_errors_only(self):
        """A platform that is down is retried by the cron; an unknown SKU waits
        for a person however often the cron runs."""
        Staged = self.env["oms.channel.order"]
        busy = self._stage(self.rest, self._rest("MINI-4"))
        unknown = self._stage(self.rest, self._rest("MINI-5", sku="NOPE"))
        down = ChannelHTTPError(
            "GET https://shop.example.com/x: HTTP 503",
            status=503,
            host="shop.example.com",
            reason="Service Unavailable",
        )
        real = OrderMapper.prepare_sale_order_vals

        def prepare(mapper, normalized):
            if normalized.external_ref == "MINI-4":
                raise down
            return real(mapper, normalized)

        with patch.object(OrderMapper, "prepare_sale_order_vals", prepare):
            (busy + unknown).action_process()
        self.assertRecordValues(
            busy + unknown,
            [
                {"state": "failed", "error_kind": "transient", "attempts": 1},
                {"state": "failed", "error_kind": "permanent", "attempts": 1},
            ],
        )
        self.assertTrue(busy.next_retry_date)
        self.assertFalse(unknown.next_retry_date)
        self.assertIn("shop.example.com answered HTTP 503", busy.error_display)
        self.assertEqual(
            Staged.search(
                [("id", "in", (busy + unknown).ids)]
                + [("state", "=", "failed"), ("error_kind", "=", "permanent")]
            ),
            unknown,
            "the 'Waits for a Person' filter",
        )
        # due before this test's transaction began (NOW() in the claim)
        busy.next_retry_date = fields.Datetime.now() - timedelta(days=1)
        Staged._cron_process()
        Staged._cron_process()
        self.assertEqual(busy.state, "imported")
        self.assertRecordValues(
            unknown, [{"state": "failed", "attempts": 1, "next_retry_date": False}]
        )

    def test_map_the_unknown_sku_then_the_orders_import(self):
        """Two orders wait on one unknown SKU: the channel lists it with both;
        mapped from the failed order, both are imported and the list is empty."""
        Unmatched = self.env["oms.channel.sku.unmatched"]
        first = self._import(self.rest, self._rest("MINI-6", sku="TEA-9"))
        second = self._import(self.rest, self._rest("MINI-7", sku="TEA-9"))
        third = self._import(self.rest, self._rest("MINI-8", sku="TEA-10"))
        self.assertEqual(first.missing_skus, "TEA-9")
        self.assertEqual(self.rest.unmatched_sku_count, 2)
        rows = Unmatched.search([("channel_id", "=", self.rest.id)])
        self.assertRecordValues(
            rows.sorted("external_sku"),
            [
                {
                    "external_sku": "TEA-10",
                    "order_count": 1,
                    "first_seen": third.received_date,
                    "last_seen": third.received_date,
                },
                {
                    "external_sku": "TEA-9",
                    "order_count": 2,
                    "first_seen": min(first.received_date, second.received_date),
                    "last_seen": max(first.received_date, second.received_date),
                },
            ],
        )
        action = first.action_open_sku_map()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.reviewer)
            .with_context(**action["context"])
            .create({"product_id": self.products["SKU-B"].id})
        )
        self.assertRecordValues(
            wizard,
            [{"channel_id": self.rest.id, "external_sku": "TEA-9", "waiting_count": 2}],
        )
        result = wizard.action_apply()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("2 imported, 0 failed", result["params"]["message"])
        self.assertEqual((first + second).mapped("state"), ["imported", "imported"])
        self.assertEqual(
            first.sale_order_id.order_line.product_id, self.products["SKU-B"]
        )
        self.assertEqual(
            Unmatched.search([("channel_id", "=", self.rest.id)]).external_sku,
            "TEA-10",
        )
        with self.assertRaises(UserError):
            self.env["oms.channel.sku.map"].with_context(
                default_channel_id=self.rest.id
            ).create(
                {"external_sku": "TEA-9", "product_id": self.products["SKU-A"].id}
            ).action_apply()

    def test_map_a_line_without_sku_by_its_product_id(self):
        """A Shopify line comes without SKU: the staged order waits on the
        line's product id; mapped from the staged order by that id, the order
        imports, and the next order with that line imports on its own."""
        payload = json.loads(read_data("orders_create_webhook.sample.json"))
        payload["line_items"][0]["sku"] = ""
        product_id = str(payload["line_items"][0]["product_id"])
        staged = self._import(self.shopify, json.dumps(payload))
        self.assertRecordValues(
            staged,
            [
                {
                    "state": "failed",
                    "error_kind": "permanent",
                    "missing_skus": False,
                    "missing_product_refs": product_id,
                }
            ],
        )
        self.assertIn(f"product id {product_id}", staged.error_display)
        action = staged.action_open_sku_map()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.reviewer)
            .with_context(**action["context"])
            .create({"product_id": self.products["SKU2006-001"].id})
        )
        self.assertRecordValues(
            wizard,
            [
                {
                    "external_sku": False,
                    "external_product_ref": product_id,
                    "waiting_count": 1,
                }
            ],
        )
        result = wizard.action_apply()
        self.assertEqual(result["params"]["type"], "success", result["params"])
        self.assertEqual(staged.state, "imported")
        self.assertIn(
            self.products["SKU2006-001"], staged.sale_order_id.order_line.product_id
        )
        payload.update(id=payload["id"] + 1, name="#10000")
        again = self._import(self.shopify, json.dumps(payload))
        self.assertEqual(again.state, "imported", again.error_display)

    def test_mapping_error_reads_in_the_readers_language(self):
        """An order imported by an English user fails on an unknown SKU: a
        Chinese reader reads the error in Chinese, an English one in English,
        the SKU in both."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "oms_channels")]
        )._update_translations("zh_CN")
        staged = self._stage(self.rest, self._rest("MINI-ZH", sku="TEA-ZH"))
        staged.with_context(lang="en_US").action_process()
        self.assertEqual(
            staged.with_context(lang="zh_CN").error_display,
            "未知产品：SKU TEA-ZH（-）。请在渠道的产品映射中进行映射。",
        )
        self.assertEqual(
            staged.with_context(lang="en_US").error_display,
            "Unknown product: SKU TEA-ZH (-). Map it under the channel's products.",
        )
        foreign = self._stage(self.rest, self._rest("MINI-ZH2", currency="XXX"))
        foreign.with_context(lang="en_US").action_process()
        self.assertEqual(
            foreign.with_context(lang="zh_CN").error_display, "未知币种 XXX。"
        )

    def test_only_reviewers_map_skus(self):
        """A plain OMS user sees the unmatched SKUs but cannot map one, nor
        write the binding behind the wizard's back."""
        self._import(self.rest, self._rest("MINI-9", sku="TEA-11"))
        rows = (
            self.env["oms.channel.sku.unmatched"]
            .with_user(self.oms_user)
            .search([("channel_id", "=", self.rest.id)])
        )
        self.assertEqual(rows.order_count, 1)
        with self.assertRaises(AccessError):
            self.env["oms.channel.sku.map"].with_user(self.oms_user).create(
                {
                    "channel_id": self.rest.id,
                    "external_sku": "TEA-11",
                    "product_id": self.products["SKU-A"].id,
                }
            )
        imported = self._import(self.rest, self._rest("MINI-12"))
        with self.assertRaises(UserError):
            imported.action_open_sku_map()
        with self.assertRaises(AccessError):
            self.env["oms.channel.product"].with_user(self.oms_user).create(
                {
                    "channel_id": self.rest.id,
                    "external_sku": "TEA-11",
                    "product_id": self.products["SKU-A"].id,
                }
            )

    def test_process_the_channel_queue_now(self):
        """Process Queue Now on the channel imports what waits (received and
        retryable), not the orders that wait for a person."""
        waiting = self._stage(self.rest, self._rest("MINI-10"))
        unknown = self._import(self.rest, self._rest("MINI-11", sku="TEA-12"))
        action = self.rest.action_process_queue()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("MINI-10 was imported", action["params"]["message"])
        self.assertEqual(waiting.state, "imported")
        self.assertEqual(unknown.attempts, 1, "not tried again")
        action = self.rest.action_process_queue()
        self.assertEqual(action["params"]["type"], "info")


@tagged("post_install", "-at_install", "oms")
class TestMarketplaceConnection(CnChannelsCommon):
    def test_marketplace_connection_is_one_signed_call(self):
        """Taobao: Test Connection lists the orders of the last minute with
        the shop's token; the platform's refusal is told with its message."""
        channel = self.cn_channels["taobao"]
        empty = {"trades_sold_increment_get_response": {"total_results": 0}}
        refused = {"error_response": {"code": 15, "msg": "Remote service error"}}
        with FakePlatform() as platform:
            platform.add("POST", "/", (200, {}, empty))
            channel.api_url = platform.url
            action = channel.action_test_connection()
            self.assertEqual(action["params"]["type"], "success")
            self.assertEqual(len(platform.requests), 1)
            self.assertIn(b"taobao-token", platform.requests[0][3])
            self.assertIn(b"taobao.trades.sold.increment.get", platform.requests[0][3])
            platform.add("POST", "/", (200, {}, refused))
            with mute_logger("odoo.addons.oms_channels.adapters.cn_base"):
                action = channel.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Remote service error", action["params"]["message"])
