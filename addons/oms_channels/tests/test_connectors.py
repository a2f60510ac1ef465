import json
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..adapters.base import ChannelAdapter
from .common import FakePlatform, OmsChannelsCommon, read_data

SHOPIFY_ORDERS = "/admin/api/2024-10/orders.json"


@tagged("post_install", "-at_install", "oms")
class TestConnectors(OmsChannelsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patcher = patch.object(ChannelAdapter, "backoff", 0.01)
        patcher.start()
        cls.addClassCleanup(patcher.stop)

    def test_shopify_pull_follows_link_pages(self):
        """Shopify pull: Link/page_info pages, token header, cursor, one record each."""
        legacy = json.loads(read_data("order_rest_single_legacy.json"))["order"]
        sample = json.loads(read_data("orders_create_webhook.sample.json"))
        with FakePlatform() as platform:
            platform.add(
                "GET",
                SHOPIFY_ORDERS,
                (
                    200,
                    {
                        "Link": f"<{{base}}{SHOPIFY_ORDERS}?page_info=NEXT&limit=250>;"
                        ' rel="next"'
                    },
                    {"orders": [legacy]},
                ),
                (
                    200,
                    {
                        "Link": f"<{{base}}{SHOPIFY_ORDERS}?page_info=PREV&limit=250>; "
                        'rel="previous"'
                    },
                    {"orders": [sample]},
                ),
            )
            self.shopify.api_url = platform.url
            staged = self.shopify.action_sync_orders()
        self.assertEqual(
            sorted(staged.mapped("external_ref")), ["450789469", "820982911946154508"]
        )
        self.assertEqual(set(staged.mapped("source")), {"pull"})
        first, second = platform.requests
        self.assertIn("status=any", first[1])
        self.assertIn("page_info=NEXT", second[1])
        self.assertNotIn("status=any", second[1], "next link is used as is")
        self.assertEqual(first[2]["X-Shopify-Access-Token"], "SHOPIFY-key")
        self.assertTrue(self.shopify.last_sync_date)
        # the same orders pulled again are not staged twice
        with FakePlatform() as platform:
            platform.add("GET", SHOPIFY_ORDERS, (200, {}, {"orders": [legacy, sample]}))
            self.shopify.api_url = platform.url
            again = self.shopify.action_sync_orders()
            self.assertIn("updated_at_min=", platform.requests[0][1])
        self.assertEqual(again, staged)

    def test_woocommerce_pull_pages_and_retries(self):
        """WooCommerce pull: page/per_page until X-WP-TotalPages; 429/503 retried."""
        order = json.loads(read_data("order_v3_retrieve.json"))
        order2 = dict(order, id=728, number="728")
        with FakePlatform() as platform:
            platform.add(
                "GET",
                "/wp-json/wc/v3/orders",
                (429, {"Retry-After": "0"}, {}),
                (200, {"X-WP-TotalPages": "2"}, [order]),
                (503, {}, {}),
                (200, {"X-WP-TotalPages": "2"}, [order2]),
            )
            self.woo.api_url = platform.url
            with mute_logger("odoo.addons.oms_channels.adapters.base"):
                staged = self.woo.action_sync_orders()
        self.assertEqual(sorted(staged.mapped("external_ref")), ["727", "728"])
        pages = [r[1] for r in platform.requests]
        self.assertEqual(len(pages), 4)
        self.assertIn("page=1", pages[1])
        self.assertIn("page=2", pages[3])
        self.assertTrue(platform.requests[0][2]["Authorization"].startswith("Basic "))

    def test_errors_are_reported_without_credentials(self):
        """Persistent 5xx: a clear error, no key or secret in the message."""
        with FakePlatform() as platform:
            platform.add("GET", "/wp-json/wc/v3/orders", (500, {}, {}))
            self.woo.api_url = platform.url
            with (
                self.assertRaises(UserError) as caught,
                mute_logger("odoo.addons.oms_channels.adapters.base"),
            ):
                self.woo.action_sync_orders()
        self.assertIn("HTTP 500", str(caught.exception))
        self.assertNotIn("WOO-key", str(caught.exception))
        self.assertNotIn("WOO-secret", str(caught.exception))
        self.assertEqual(len(platform.requests), 1 + ChannelAdapter.max_retries)

    def test_timeout_is_set_on_every_call(self):
        """Every HTTP call of the adapters carries a timeout."""
        adapter = self.woo._get_adapter()
        with patch.object(adapter.session, "request") as request:
            request.return_value.status_code = 200
            adapter.request("GET", "http://127.0.0.1:9/")
        self.assertEqual(request.call_args.kwargs["timeout"], 20)

    def test_push_stock_atp_minus_buffer_only_changed(self):
        """Stock push: ATP − buffer, never negative, only SKUs that changed."""
        product_a, product_b = self.products["SKU-A"], self.products["SKU-B"]
        Binding = self.env["oms.channel.product"]
        binding_a = Binding.create(
            {
                "channel_id": self.woo.id,
                "external_sku": "SKU-A",
                "product_id": product_a.id,
                "external_stock_ref": "11",
            }
        )
        binding_b = Binding.create(
            {
                "channel_id": self.woo.id,
                "external_sku": "SKU-B",
                "product_id": product_b.id,
                "external_stock_ref": "12/13",
            }
        )
        self.woo.stock_buffer = 2
        atp = {product_a.id: 10.0, product_b.id: 1.0}
        product_class = type(self.env["product.product"])
        with (
            patch.object(
                product_class,
                "_oms_get_atp",
                autospec=True,
                side_effect=lambda products, wh: atp,
            ),
            FakePlatform() as platform,
        ):
            platform.add("POST", "/wp-json/wc/v3/products/batch", (200, {}, {}))
            platform.add(
                "POST", "/wp-json/wc/v3/products/12/variations/batch", (200, {}, {})
            )
            self.woo.api_url = platform.url
            self.woo.action_push_stock()
            sent = {r[1]: json.loads(r[3]) for r in platform.requests}
            self.assertEqual(
                sent,
                {
                    "/wp-json/wc/v3/products/batch": {
                        "update": [
                            {"id": 11, "manage_stock": True, "stock_quantity": 8}
                        ]
                    },
                    "/wp-json/wc/v3/products/12/variations/batch": {
                        "update": [
                            {"id": 13, "manage_stock": True, "stock_quantity": 0}
                        ]
                    },
                },
            )
            self.assertEqual(
                (binding_a.last_pushed_qty, binding_b.last_pushed_qty), (8, 0)
            )
            platform.requests.clear()
            self.woo.action_push_stock()
            self.assertFalse(platform.requests, "nothing changed, nothing sent")
            atp[product_a.id] = 5.0
            self.woo.action_push_stock()
            self.assertEqual(
                [json.loads(r[3]) for r in platform.requests],
                [{"update": [{"id": 11, "manage_stock": True, "stock_quantity": 3}]}],
            )

    def _bind_shopify_skus(self, count):
        """``count`` bound SKUs on the Shopify channel (inventory items 9000…)."""
        Binding = self.env["oms.channel.product"]
        products = self.env["product.product"].create(
            [
                {"name": f"Push {i}", "default_code": f"PUSH-{i}", "is_storable": True}
                for i in range(count)
            ]
        )
        return Binding.create(
            [
                {
                    "channel_id": self.shopify.id,
                    "external_sku": product.default_code,
                    "product_id": product.id,
                    "external_stock_ref": str(9000 + i),
                }
                for i, product in enumerate(products)
            ]
        )

    def _patched_atp(self, qty=3.0):
        return patch.object(
            type(self.env["product.product"]),
            "_oms_get_atp",
            autospec=True,
            side_effect=lambda products, wh: {p.id: qty for p in products},
        )

    def test_shopify_push_stock_graphql_in_chunks(self):
        """Shopify stock push: inventorySetQuantities, 250 items a call."""
        # GraphQL; available quantities set at the channel's location
        self.shopify.location_ref = "655441491"
        bindings = self._bind_shopify_skus(260)
        ok = {"data": {"inventorySetQuantities": {"userErrors": []}}}
        with self._patched_atp(), FakePlatform() as platform:
            platform.add("POST", "/admin/api/2024-10/graphql.json", (200, {}, ok))
            self.shopify.api_url = platform.url
            self.shopify.action_push_stock()
        calls = [json.loads(r[3]) for r in platform.requests]
        self.assertEqual(
            [len(c["variables"]["input"]["quantities"]) for c in calls], [250, 10]
        )
        self.assertIn("inventorySetQuantities", calls[0]["query"])
        first = calls[0]["variables"]["input"]
        self.assertEqual(
            (first["name"], first["ignoreCompareQuantity"]), ("available", True)
        )
        self.assertEqual(
            first["quantities"][0],
            {
                "inventoryItemId": "gid://shopify/InventoryItem/9000",
                "locationId": "gid://shopify/Location/655441491",
                "quantity": 3,
            },
        )
        self.assertEqual(set(bindings.mapped("last_pushed_qty")), {3})

    def test_shopify_push_stock_errors_are_reported(self):
        """Shopify userErrors make the push incomplete, shown, kept on the channel."""
        # nothing recorded as pushed; a throttled call is retried and a complete
        # push clears the error
        self.shopify.location_ref = "655441491"
        bindings = self._bind_shopify_skus(2)
        refused = {
            "data": {
                "inventorySetQuantities": {
                    "userErrors": [
                        {"code": "INVALID_LOCATION", "message": "Location not found"}
                    ]
                }
            }
        }
        throttled = {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
        }
        ok = {"data": {"inventorySetQuantities": {"userErrors": []}}}
        url = "/admin/api/2024-10/graphql.json"
        adapter_class = type(self.shopify._get_adapter())
        with (
            self._patched_atp(),
            FakePlatform() as platform,
            patch.object(adapter_class, "backoff", 0.0),
            mute_logger("odoo.addons.oms_channels.models.oms_channel"),
        ):
            platform.add("POST", url, (200, {}, refused))
            self.shopify.api_url = platform.url
            action = self.shopify.action_push_stock()
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(action["params"]["type"], "danger")
            self.assertIn("Location not found", action["params"]["message"])
            self.assertIn("Location not found", self.shopify.stock_push_error)
            self.assertFalse(any(bindings.mapped("last_push_date")))
            platform.add("POST", url, (200, {}, throttled), (200, {}, ok))
            platform.requests.clear()
            self.assertIs(self.shopify.action_push_stock(), True)
            self.assertEqual(len(platform.requests), 2, "retried once")
        self.assertEqual(set(bindings.mapped("last_pushed_qty")), {3})
        self.assertFalse(self.shopify.stock_push_error)

    def test_shopify_push_stock_failure_keeps_accepted_chunks(self):
        """A failed push keeps the chunks accepted before; the next sends the rest."""
        # the cron does the same without raising
        self.shopify.location_ref = "655441491"
        bindings = self._bind_shopify_skus(260)
        ok = {"data": {"inventorySetQuantities": {"userErrors": []}}}
        url = "/admin/api/2024-10/graphql.json"
        failing = [(500, {}, {"errors": "Internal Server Error"})] * (
            1 + ChannelAdapter.max_retries
        )
        with (
            self._patched_atp(),
            FakePlatform() as platform,
            mute_logger(
                "odoo.addons.oms_channels.models.oms_channel",
                "odoo.addons.oms_channels.adapters.base",
            ),
        ):
            platform.add("POST", url, (200, {}, ok), *failing, (200, {}, ok))
            self.shopify.api_url = platform.url
            self.env["oms.channel"]._cron_push_stock()
            self.assertIn("HTTP 500", self.shopify.stock_push_error)
            self.assertNotIn("SHOPIFY-key", self.shopify.stock_push_error)
            pushed = bindings.filtered("last_push_date")
            self.assertEqual(len(pushed), 250, "the accepted chunk is recorded")
            platform.requests.clear()
            self.shopify.action_push_stock()
        (call,) = [json.loads(r[3]) for r in platform.requests]
        sent = {q["inventoryItemId"] for q in call["variables"]["input"]["quantities"]}
        self.assertEqual(
            sent,
            {f"gid://shopify/InventoryItem/{b.external_stock_ref}" for b in bindings}
            - {f"gid://shopify/InventoryItem/{b.external_stock_ref}" for b in pushed},
        )
        self.assertTrue(all(bindings.mapped("last_push_date")))
        self.assertFalse(self.shopify.stock_push_error)

    def test_woocommerce_batch_item_error_is_reported(self):
        """A WooCommerce batch refusing one item records the others, reports it."""
        # the refused one is sent again next time; a ref that is not a WooCommerce
        # id is refused without a call
        Binding = self.env["oms.channel.product"]
        refused, accepted, not_an_id = Binding.create(
            [
                {
                    "channel_id": self.woo.id,
                    "external_sku": sku,
                    "product_id": self.products[product].id,
                    "external_stock_ref": ref,
                }
                for sku, product, ref in [
                    ("SKU-A", "SKU-A", "11"),
                    ("SKU-B", "SKU-B", "12"),
                    ("SKU-A2", "SKU-A", "shop-11"),
                ]
            ]
        )
        error = {"code": "woocommerce_rest_invalid_id", "message": "Invalid ID."}
        answer = {"update": [{"id": 11, "error": error}, {"id": 12}]}
        with (
            self._patched_atp(),
            FakePlatform() as platform,
            mute_logger("odoo.addons.oms_channels.models.oms_channel"),
        ):
            platform.add("POST", "/wp-json/wc/v3/products/batch", (200, {}, answer))
            self.woo.api_url = platform.url
            action = self.woo.action_push_stock()
        message = action["params"]["message"]
        self.assertIn("11: Invalid ID.", message)
        self.assertIn("not a WooCommerce product id: shop-11", message)
        self.assertEqual(len(platform.requests), 1)
        self.assertEqual(
            [bool(b.last_push_date) for b in (refused, accepted, not_an_id)],
            [False, True, False],
        )
        self.assertTrue(self.woo.stock_push_error)
        # the refused SKUs unmapped: nothing is left to push, the push is complete
        (refused | not_an_id).unlink()
        with self._patched_atp(), FakePlatform() as platform:
            self.woo.api_url = platform.url
            self.assertIs(self.woo.action_push_stock(), True)
        self.assertFalse(platform.requests)
        self.assertFalse(self.woo.stock_push_error)
