import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from odoo import Command
from odoo.tests import TransactionCase

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

from ..adapters.base import hmac_b64

DATA = Path(__file__).parent / "data"


def read_data(name):
    """Raw bytes of a fixture in tests/data (see SOURCES.md)."""
    return (DATA / name).read_bytes()


class FakePlatform:
    """A real HTTP server on 127.0.0.1 answering with queued responses.

    ``routes`` maps ``(method, path)`` to a list of ``(status, headers, body)``
    answers served in order (the last one repeats); every request is recorded in
    ``requests`` as ``(method, path_with_query, headers, body)``.
    """

    def __init__(self):
        self.routes = {}
        self.requests = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                platform.requests.append(
                    (self.command, self.path, dict(self.headers), body)
                )
                answers = platform.routes.get((self.command, path)) or [
                    (404, {}, b"{}")
                ]
                status, headers, payload = (
                    answers.pop(0) if len(answers) > 1 else answers[0]
                )
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value.replace("{base}", platform.url))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def add(self, method, path, *answers):
        self.routes[(method, path)] = list(answers)


class OmsChannelsCommon(TransactionCase):
    """Company, channels, products and taxes shared by the oms_channels tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Channel USD",
                "currency_id": cls.usd.id,
                "company_id": cls.company.id,
            }
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Web team", "company_id": cls.company.id}
        )
        cls.journal = cls.env["account.journal"].create(
            {
                "name": "Shopify Payments",
                "type": "bank",
                "code": "SHPY",
                "company_id": cls.company.id,
            }
        )
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Channel shipping",
                "product_id": cls.env["product.product"]
                .create({"name": "Channel shipping", "type": "service"})
                .id,
            }
        )
        Tax = cls.env["account.tax"]
        cls.tax_6 = Tax.create(
            {
                "name": "State Tax 6%",
                "amount": 6.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.tax_75 = Tax.create(
            {
                "name": "CA State Tax 7.5%",
                "amount": 7.5,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.tax_13_incl = Tax.create(
            {
                "name": "VAT 13% incl.",
                "amount": 13.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "company_id": cls.company.id,
            }
        )
        cls.shopify = cls._create_channel("Shopify shop", "SHOPIFY", "shopify")
        cls.woo = cls._create_channel("Woo shop", "WOO", "woocommerce")
        cls.rest = cls._create_channel("Mini program", "MINI", "rest_json", kind="api")
        cls.products = {}
        for sku in (
            "SKU2006-001",
            "SKU2006-020",
            "SKU2006-035",
            "IPOD2008GREEN",
            "IPOD2008RED",
            "IPOD2008BLACK",
            "Bar3",
            "SKU-A",
            "SKU-B",
        ):
            cls.products[sku] = cls._create_product(sku)

    @classmethod
    def _create_channel(cls, name, code, connector, **values):
        return cls.env["oms.channel"].create(
            dict(
                {
                    "name": name,
                    "code": code,
                    "connector": connector,
                    "kind": "web_shop",
                    "team_id": cls.team.id,
                    "pricelist_id": cls.pricelist.id,
                    "warehouse_id": cls.warehouse.id,
                    "payment_journal_id": cls.journal.id,
                    "carrier_id": cls.carrier.id,
                    "api_key": f"{code}-key",
                    "api_secret": f"{code}-secret",
                },
                **values,
            )
        )

    @classmethod
    def _create_product(cls, sku, **values):
        return cls.env["product.product"].create(
            dict(
                {
                    "name": f"Product {sku}",
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 1.0,
                    "taxes_id": [Command.clear()],
                },
                **values,
            )
        )

    def _stage(self, channel, payload, source="webhook"):
        if isinstance(payload, bytes):
            payload = payload.decode()
        return self.env["oms.channel.order"]._stage(channel, payload, source=source)

    def _import(self, channel, payload):
        staged = self._stage(channel, payload)
        staged.action_process()
        return staged

    @staticmethod
    def _sign(secret, body):
        return hmac_b64(secret, body)
