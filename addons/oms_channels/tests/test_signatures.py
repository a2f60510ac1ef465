import json

from odoo.tests import TransactionCase, tagged

from ..adapters.base import parse_link_header, verify_hmac_b64
from ..adapters.shopify import ShopifyAdapter
from ..adapters.woocommerce import WooCommerceAdapter
from .common import read_data


@tagged("post_install", "-at_install", "oms")
class TestSignatures(TransactionCase):
    def test_shopify_published_vectors_verify(self):
        """Every published X-Shopify-Hmac-Sha256 vector verifies, a changed one not."""
        vectors = json.loads(read_data("webhook_hmac_test_vectors.json"))["vectors"]
        self.assertEqual(len(vectors), 4)
        for vector in vectors:
            body = vector["raw_body"].encode()
            self.assertTrue(
                verify_hmac_b64([vector["secret"]], body, vector["expected_header"])
            )
            self.assertFalse(
                verify_hmac_b64(
                    [vector["secret"]], body + b" ", vector["expected_header"]
                )
            )
            self.assertFalse(
                verify_hmac_b64(["wrong"], body, vector["expected_header"])
            )

    def test_shopify_previous_secret_accepted_during_rotation(self):
        """The old_secret vector verifies when the previous secret is configured."""
        vectors = json.loads(read_data("webhook_hmac_test_vectors.json"))["vectors"]
        old = next(v for v in vectors if v["secret"] == "old_secret")
        adapter = ShopifyAdapter(
            {"api_secret": "secret", "api_secret_previous": "old_secret"}
        )
        headers = {"X-Shopify-Hmac-Sha256": old["expected_header"]}
        self.assertTrue(adapter.verify_signature(old["raw_body"].encode(), headers))
        adapter = ShopifyAdapter({"api_secret": "secret"})
        self.assertFalse(adapter.verify_signature(old["raw_body"].encode(), headers))
        self.assertFalse(adapter.verify_signature(old["raw_body"].encode(), {}))

    def test_woocommerce_secret_entities_are_decoded(self):
        """WooCommerce signs with the entity-decoded secret (wp_specialchars_decode)."""
        vectors = json.loads(read_data("webhook_hmac_test_vectors.json"))["vectors"]
        vector = vectors[3]  # secret "key"
        adapter = WooCommerceAdapter({"api_secret": "k&#101;y"})
        headers = {"X-WC-Webhook-Signature": vector["expected_header"]}
        self.assertTrue(adapter.verify_signature(vector["raw_body"].encode(), headers))

    def test_link_header_pagination_finds_the_next_page(self):
        """Shopify Link headers: next only, both, quoted and unquoted rel."""
        header = (
            "<https://s.myshopify.com/admin/api/2019-07/orders.json?page_info=abc&limit=3>;"
            ' rel="previous", <https://s.myshopify.com/admin/api/2019-07/orders.json?'
            "page_info=def&limit=3>; rel=next"
        )
        links = parse_link_header(header)
        self.assertTrue(links["next"].endswith("page_info=def&limit=3"))
        self.assertTrue(links["previous"].endswith("page_info=abc&limit=3"))
        self.assertEqual(parse_link_header(None), {})
