"""Stock push: 10k SKUs of a Shopify channel to a local HTTP server (a real
``http.server`` in a thread, like the channel tests), then a second push after the
stock of some products changed: only those are sent."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .bench_lib import Timer, environment

CODE = "BENCHPUSH"


class InventoryServer:
    """Answers Shopify's GraphQL ``inventorySetQuantities``; counts the calls and
    the SKUs it got."""

    def __init__(self):
        self.requests = 0
        self.calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Shopify's API
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                quantities = payload["variables"]["input"]["quantities"]
                server.requests += len(quantities)  # SKUs received
                server.calls += 1
                body = b'{"data": {"inventorySetQuantities": {"userErrors": []}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def ensure_push_channel(registry, master, skus):
    """A Shopify channel with ``skus`` bound products (created once, committed)."""
    with environment(registry) as env, Timer() as timer:
        channel = env["oms.channel"].search([("code", "=", CODE)], limit=1)
        if not channel:
            channel = env["oms.channel"].create(
                {
                    "name": "Bench push",
                    "code": CODE,
                    "connector": "shopify",
                    "location_ref": "1",
                    "api_key": "bench",
                    "api_url": "http://127.0.0.1:9",
                    "warehouse_id": master["warehouse_id"],
                }
            )
        Product = env["product.product"]
        for start in range(len(channel.product_binding_ids), skus, 1000):
            products = Product.create(
                [
                    {
                        "name": f"Push SKU {i}",
                        "default_code": f"PUSH-{i:05d}",
                        "type": "consu",
                        "is_storable": True,
                    }
                    for i in range(start, min(start + 1000, skus))
                ]
            )
            env["oms.channel.product"].create(
                [
                    {
                        "channel_id": channel.id,
                        "product_id": product.id,
                        "external_sku": product.default_code,
                        "external_stock_ref": str(100000 + product.id),
                    }
                    for product in products
                ]
            )
            env.flush_all()
            env.invalidate_all()
        channel_id = channel.id
    return channel_id, timer.seconds


def run_stock_push(registry, master, skus=10000, changed=None):
    changed = changed or max(1, skus // 20)
    channel_id, setup_seconds = ensure_push_channel(registry, master, skus)
    with InventoryServer() as server:
        with environment(registry) as env:
            channel = env["oms.channel"].browse(channel_id)
            channel.api_url = server.url
            # a first push: every SKU is sent (also when the bench is run again)
            channel.product_binding_ids.last_push_date = False
        with environment(registry) as env, Timer() as full:
            env["oms.channel"].browse(channel_id)._push_stock()
        first, first_calls = server.requests, server.calls
        with environment(registry) as env:
            channel = env["oms.channel"].browse(channel_id)
            location = (
                env["stock.warehouse"].browse(master["warehouse_id"]).lot_stock_id
            )
            products = channel.product_binding_ids[:changed].product_id
            for product in products:
                env["stock.quant"]._update_available_quantity(product, location, 5)
        server.requests = server.calls = 0
        with environment(registry) as env, Timer() as delta:
            env["oms.channel"].browse(channel_id)._push_stock()
        second = server.requests
    if first != skus or second != changed:
        raise AssertionError(
            f"stock push sent {first} then {second} SKUs, "
            f"expected {skus} then {changed}"
        )
    return {
        "skus": skus,
        "setup_seconds": setup_seconds,
        "full_seconds": full.seconds,
        "full_sent": first,
        "full_calls": first_calls,
        "changed": changed,
        "changed_seconds": delta.seconds,
        "changed_sent": second,
        "changed_calls": server.calls,
    }
