import json

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import OmsChannelsCommon, read_data


@tagged("post_install", "-at_install", "oms")
class TestWebhook(HttpCase, OmsChannelsCommon):
    def _post(self, channel, body, headers=None, token=None):
        token = token or channel.webhook_token
        return self.url_open(f"/oms/webhook/{token}", data=body, headers=headers or {})

    def _staged(self, channel):
        return self.env["oms.channel.order"].search([("channel_id", "=", channel.id)])

    def test_webhook_url_on_channel(self):
        """The channel shows the absolute webhook URL with its secret token."""
        self.assertTrue(self.shopify.webhook_token)
        self.assertEqual(
            self.shopify.webhook_url,
            f"{self.shopify.get_base_url()}/oms/webhook/{self.shopify.webhook_token}",
        )
        self.assertNotEqual(self.shopify.webhook_token, self.woo.webhook_token)

    def test_shopify_signed_order_is_stored(self):
        """200 once stored verbatim; a second delivery stores nothing new."""
        body = read_data("orders_create_webhook.sample.json")
        headers = {
            "X-Shopify-Hmac-Sha256": self._sign("SHOPIFY-secret", body),
            "X-Shopify-Topic": "orders/create",
            "Content-Type": "application/json",
        }
        response = self._post(self.shopify, body, headers)
        self.assertEqual(response.status_code, 200)
        staged = self._staged(self.shopify)
        self.assertEqual(len(staged), 1)
        self.assertEqual(staged.payload, body.decode())
        self.assertEqual(
            (staged.external_ref, staged.state, staged.source),
            ("820982911946154508", "received", "webhook"),
        )
        self.assertEqual(response.json()["ids"], staged.ids)
        self.assertEqual(self._post(self.shopify, body, headers).status_code, 200)
        self.assertEqual(len(self._staged(self.shopify)), 1)

    def test_bad_signature_is_401_and_nothing_stored(self):
        """A wrong or missing signature: 401, nothing stored."""
        body = read_data("orders_create_webhook.sample.json")
        with mute_logger("odoo.addons.oms_channels.controllers.main"):
            wrong = self._post(
                self.shopify,
                body,
                {"X-Shopify-Hmac-Sha256": self._sign("not-the-secret", body)},
            )
            missing = self._post(self.shopify, body)
        self.assertEqual((wrong.status_code, missing.status_code), (401, 401))
        self.assertFalse(self._staged(self.shopify))

    def test_woocommerce_ping_is_answered(self):
        """WooCommerce's test delivery on webhook creation gets 200, nothing stored."""
        response = self._post(
            self.woo,
            b"webhook_id=12",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self._staged(self.woo))

    def test_published_shopify_vector_through_the_endpoint(self):
        """Shopify's published vector authenticates over HTTP; a wrong one is 401."""
        vectors = json.loads(read_data("webhook_hmac_test_vectors.json"))["vectors"]
        vector = next(v for v in vectors if v["secret"] == "test-webhook-secret")
        self.shopify.api_secret = vector["secret"]
        body = vector["raw_body"].encode()
        with mute_logger("odoo.addons.oms_channels.controllers.main"):
            wrong = self._post(
                self.shopify,
                body,
                {"X-Shopify-Hmac-Sha256": vectors[0]["expected_header"]},
            )
        self.assertEqual(wrong.status_code, 401)
        self.assertFalse(self._staged(self.shopify))
        response = self._post(
            self.shopify,
            body,
            {
                "X-Shopify-Hmac-Sha256": vector["expected_header"],
                "Content-Type": "application/json",
            },
        )
        # authentic, but a bare {"id", "email", "total_price"} is not an order
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._staged(self.shopify).state, "failed")

    def test_unknown_token_is_404(self):
        """Unknown tokens are 404."""
        response = self._post(self.shopify, b"{}", token="no-such-token")
        self.assertEqual(response.status_code, 404)

    def test_signed_body_that_is_not_an_order_is_400_and_failed(self):
        """A signed non-order: 400 and kept as a failed record."""
        body = b'{"webhook_id": 5}'
        response = self._post(
            self.woo, body, {"X-WC-Webhook-Signature": self._sign("WOO-secret", body)}
        )
        self.assertEqual(response.status_code, 400)
        staged = self._staged(self.woo)
        self.assertEqual(staged.state, "failed")
        self.assertEqual(staged.payload, body.decode())
        self.assertTrue(staged.error)

    def test_woocommerce_and_rest_json_signatures(self):
        """WooCommerce and REST-JSON bodies signed with their own headers are stored."""
        body = read_data("order_v3_retrieve.json")
        response = self._post(
            self.woo,
            body,
            {
                "X-WC-Webhook-Signature": self._sign("WOO-secret", body),
                "X-WC-Webhook-Topic": "order.created",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._staged(self.woo).external_ref, "727")
        body = json.dumps(
            {"id": "R1", "lines": [{"sku": "SKU-A", "quantity": 1, "price": "1"}]}
        ).encode()
        with mute_logger("odoo.addons.oms_channels.controllers.main"):
            bad = self._post(self.rest, body, {"X-OMS-Signature": "AAAA"})
        self.assertEqual(bad.status_code, 401)
        good = self._post(
            self.rest, body, {"X-OMS-Signature": self._sign("MINI-secret", body)}
        )
        self.assertEqual(good.status_code, 200)
        self.assertEqual(self._staged(self.rest).external_ref, "R1")

    def test_shopify_cancel_topic_flags_cancellation(self):
        """orders/cancelled marks the staged order for cancellation."""
        data = json.loads(read_data("order_rest_single_legacy.json"))["order"]
        body = json.dumps(data).encode()
        headers = {"X-Shopify-Hmac-Sha256": self._sign("SHOPIFY-secret", body)}
        self._post(
            self.shopify, body, dict(headers, **{"X-Shopify-Topic": "orders/create"})
        )
        self.assertFalse(self._staged(self.shopify).is_cancel_requested)
        self._post(
            self.shopify, body, dict(headers, **{"X-Shopify-Topic": "orders/cancelled"})
        )
        self.assertTrue(self._staged(self.shopify).is_cancel_requested)
