"""Fixtures of the oms_channels tests, built on oms_core's.

:class:`OmsChannelsCommon` adds channels of each connector, their products and
taxes to :class:`~odoo.addons.oms_core.tests.common.OmsCommon`;
:class:`CommittedChannelCase` commits a channel for the tests of concurrent workers
(:class:`~odoo.addons.oms_core.tests.concurrency.CommittedCase`); :class:`FakePlatform`
is the platforms' HTTP API, answering with the payloads of ``tests/data``.
"""

import contextlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from odoo import Command
from odoo.tools import config, mute_logger

from odoo.addons.oms_core.tests.common import OmsCommon
from odoo.addons.oms_core.tests.concurrency import CommittedCase

from ..adapters import ChannelError
from ..adapters.base import hmac_b64

DATA = Path(__file__).parent / "data"
#: webhook secret of the committed channel
COMMITTED_SECRET = "committed-secret"


def read_data(name):
    """Raw bytes of a fixture in tests/data (see SOURCES.md)."""
    return (DATA / name).read_bytes()


def rest_order_payload(ref, sku, quantity=1, **values):
    """A REST-JSON order document (our normalized format) of ``quantity`` ``sku``."""
    return dict(
        {
            "id": ref,
            "customer": {
                "id": f"cust-{ref}",
                "name": f"Buyer {ref}",
                "email": f"{ref.lower()}@buyer.example.com",
            },
            "shipping": {
                "name": f"Buyer {ref}",
                "street": "1 Main St",
                "city": "Springfield",
                "country": "US",
            },
            "lines": [{"sku": sku, "quantity": quantity, "price": "5.00"}],
            "currency": "USD",
        },
        **values,
    )


def json_paths(data, prefix=()):
    """Every key path of a JSON document (tuples of keys and list indexes)."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return
    for key, value in items:
        yield prefix + (key,)
        yield from json_paths(value, prefix + (key,))


def set_json_path(document, path, value):
    """Set ``value`` at ``path`` (see :func:`json_paths`) of ``document``, in place."""
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


class FakePlatform:
    """A real HTTP server on 127.0.0.1 answering with queued responses.

    ``add(method, path, *answers)`` queues ``(status, headers, body)`` answers, or
    ``(status, headers, body, delay)`` for an answer sent after ``delay`` seconds
    (a slow or timing-out platform), served in order (the last one repeats); a
    header value may contain ``{base}``, replaced by the server's URL. An answer
    may also be a callable ``(method, path_with_query, body)`` returning one,
    for a platform that keeps state (:class:`FakeShopifyOrder`). Every
    request is recorded in ``requests`` as ``(method, path_with_query, headers,
    body)``. ``verify`` checks each request as the platform would (its
    signature) and answers instead of the queue when it refuses one.
    """

    def __init__(self, verify=None):
        self.routes = {}
        self.requests = []
        #: ``verify(method, path, headers, body)``: None for a well signed
        #: request, else the answer ``(status, headers, body)`` of a bad one
        self.verify = verify
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
                refused = platform.verify and platform.verify(
                    self.command, self.path, dict(self.headers), body
                )
                answer = refused or (answers.pop(0) if len(answers) > 1 else answers[0])
                if callable(answer):
                    answer = answer(self.command, self.path, body)
                status, headers, payload, *delay = answer
                if delay:
                    # not time.sleep: the tests patch it to record the back-off
                    threading.Event().wait(delay[0])
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                # OSError: the client gave up waiting (timeout)
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value.replace("{base}", platform.url))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

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
        self.thread.join(10)

    def add(self, method, path, *answers):
        self.routes[(method, path)] = list(answers)


class FakePlatformOrder:
    """One order as a platform keeps it, answering its API on a
    :class:`FakePlatform` in the platform's shapes (see tests/data/SOURCES.md).

    ``lose(method, suffix)`` makes the next such call be processed but answered
    500, as when the platform's answer is lost: the client cannot know that the
    call was applied.
    """

    def __init__(self, order_id):
        self.order_id = order_id
        self.lost = set()

    def lose(self, method, suffix):
        self.lost.add((method, suffix))

    def _answer(self, method, suffix, status, body):
        if (method, suffix) in self.lost:
            self.lost.discard((method, suffix))
            return (500, {}, {"errors": "Internal Server Error"})
        return (status, {}, body)

    @staticmethod
    def _json(body):
        return json.loads(body) if body else {}


class FakeShopifyOrder(FakePlatformOrder):
    """A Shopify order of the Admin REST API 2024-10: one fulfilment order
    over its line items, the fulfilments, refunds and cancellation.

    :param line_items: [(line item id, variant id, quantity)]
    """

    base = "/admin/api/2024-10"

    def __init__(self, order_id, line_items):
        super().__init__(order_id)
        self.fulfillment_order = {
            "id": 1046000778,
            "shop_id": 548380009,
            "order_id": order_id,
            "status": "open",
            "request_status": "unsubmitted",
            "supported_actions": ["create_fulfillment"],
            "line_items": [
                {
                    "id": 1025578600 + index,
                    "shop_id": 548380009,
                    "fulfillment_order_id": 1046000778,
                    "line_item_id": line_item_id,
                    "inventory_item_id": 49148385 + index,
                    "quantity": quantity,
                    "fulfillable_quantity": quantity,
                    "variant_id": variant_id,
                }
                for index, (line_item_id, variant_id, quantity) in enumerate(line_items)
            ],
        }
        self.fulfillments = []
        self.refunds = []
        self.cancel = None

    def install(self, platform):
        order = f"{self.base}/orders/{self.order_id}"
        platform.add(
            "GET", f"{order}/fulfillment_orders.json", self._get_fulfillment_orders
        )
        platform.add("GET", f"{order}/fulfillments.json", self._get_fulfillments)
        platform.add("POST", f"{self.base}/fulfillments.json", self._fulfil)
        platform.add("GET", f"{order}.json", self._get_order)
        platform.add("POST", f"{order}/cancel.json", self._cancel)
        platform.add("GET", f"{order}/refunds.json", self._get_refunds)
        platform.add("POST", f"{order}/refunds/calculate.json", self._calculate)
        platform.add("POST", f"{order}/refunds.json", self._refund)
        return self

    def _get_fulfillment_orders(self, method, path, body):
        return (200, {}, {"fulfillment_orders": [self.fulfillment_order]})

    def _get_fulfillments(self, method, path, body):
        return (200, {}, {"fulfillments": self.fulfillments})

    def _get_order(self, method, path, body):
        return (
            200,
            {},
            {"order": {"id": self.order_id, "cancelled_at": self.cancel and "now"}},
        )

    def _get_refunds(self, method, path, body):
        return (200, {}, {"refunds": self.refunds})

    def _fulfil(self, method, path, body):
        data = self._json(body)["fulfillment"]
        items = {item["id"]: item for item in self.fulfillment_order["line_items"]}
        shipped = []
        for group in data["line_items_by_fulfillment_order"]:
            for wanted in group["fulfillment_order_line_items"]:
                item = items.get(wanted["id"])
                if not item or wanted["quantity"] > item["fulfillable_quantity"]:
                    return (
                        422,
                        {},
                        {"errors": ["Invalid fulfillment order line item quantity"]},
                    )
                shipped.append((item, wanted["quantity"]))
        for item, quantity in shipped:
            item["fulfillable_quantity"] -= quantity
        if not any(i["fulfillable_quantity"] for i in items.values()):
            self.fulfillment_order["status"] = "closed"
        else:
            self.fulfillment_order["status"] = "in_progress"
        tracking = data.get("tracking_info") or {}
        fulfillment = {
            "id": 255858046 + len(self.fulfillments),
            "order_id": self.order_id,
            "status": "success",
            "tracking_company": tracking.get("company"),
            "tracking_number": tracking.get("number") or None,
            "tracking_numbers": [tracking["number"]] if tracking.get("number") else [],
            "line_items": [
                {
                    "id": item["line_item_id"],
                    "variant_id": item["variant_id"],
                    "quantity": quantity,
                }
                for item, quantity in shipped
            ],
        }
        self.fulfillments.append(fulfillment)
        return self._answer("POST", "fulfillments", 201, {"fulfillment": fulfillment})

    def _cancel(self, method, path, body):
        if self.cancel:
            return (422, {}, {"error": "Order has already been cancelled"})
        self.cancel = self._json(body)
        return self._answer(
            "POST",
            "cancel",
            200,
            {"order": {"id": self.order_id, "cancelled_at": "now"}},
        )

    def _calculate(self, method, path, body):
        data = self._json(body)["refund"]
        return (
            200,
            {},
            {
                "refund": {
                    "refund_line_items": data.get("refund_line_items"),
                    "transactions": [
                        {
                            "order_id": self.order_id,
                            "kind": "suggested_refund",
                            "gateway": "bogus",
                            "parent_id": 801038806,
                            "amount": "1000.00",
                            "maximum_refundable": "1000.00",
                        }
                    ],
                }
            },
        )

    def _refund(self, method, path, body):
        data = self._json(body)["refund"]
        refund = dict(data, id=509562969 + len(self.refunds), order_id=self.order_id)
        self.refunds.append(refund)
        return self._answer("POST", "refunds", 201, {"refund": refund})


class FakeWooOrder(FakePlatformOrder):
    """A WooCommerce order of the REST API v3: status, notes and refunds."""

    base = "/wp-json/wc/v3"

    def __init__(self, order_id, status="processing"):
        super().__init__(order_id)
        self.status = status
        self.statuses = []
        self.notes = []
        self.refunds = []

    def install(self, platform):
        order = f"{self.base}/orders/{self.order_id}"
        platform.add("PUT", order, self._update)
        platform.add("GET", f"{order}/notes", lambda *a: (200, {}, self.notes))
        platform.add("POST", f"{order}/notes", self._note)
        platform.add("GET", f"{order}/refunds", lambda *a: (200, {}, self.refunds))
        platform.add("POST", f"{order}/refunds", self._refund)
        return self

    def _update(self, method, path, body):
        data = self._json(body)
        if "status" in data:
            self.status = data["status"]
            self.statuses.append(data["status"])
        return self._answer("PUT", "order", 200, {"id": self.order_id, **data})

    def _note(self, method, path, body):
        data = self._json(body)
        note = {
            "id": 281 + len(self.notes),
            "author": "system",
            "note": data["note"],
            "customer_note": bool(data.get("customer_note")),
        }
        self.notes.append(note)
        return self._answer("POST", "notes", 201, note)

    def _refund(self, method, path, body):
        data = self._json(body)
        refund = dict(data, id=726 + len(self.refunds))
        refund.pop("api_refund", None)
        self.refunds.append(refund)
        return self._answer("POST", "refunds", 201, refund)


class OmsChannelsCommon(OmsCommon):
    """Channels of each connector, their products, taxes, journal and carrier."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Channel USD",
                "currency_id": cls.usd.id,
                "company_id": cls.company.id,
            }
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
            cls.products[sku] = cls._create_sku_product(sku)

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
    def _create_sku_product(cls, sku, **values):
        """A product sold on the channels as ``sku``, without taxes."""
        return cls._create_storable(
            f"Product {sku}",
            1.0,
            **dict({"default_code": sku, "taxes_id": [Command.clear()]}, **values),
        )

    def _stage(self, channel, payload, source="webhook"):
        if isinstance(payload, bytes):
            payload = payload.decode()
        return self.env["oms.channel.order"]._stage(channel, payload, source=source)

    def _stage_as_webhook(self, channel, body):
        """Stage as the webhook does: a body that is no order is kept as failed."""
        Staged = self.env["oms.channel.order"]
        try:
            with self.env.cr.savepoint():
                return Staged._stage(channel, body)
        except ChannelError as exc:
            return Staged._stage_invalid(channel, body, str(exc))

    def _import(self, channel, payload):
        staged = self._stage(channel, payload)
        staged.action_process()
        return staged

    @staticmethod
    def _sign(secret, body):
        return hmac_b64(secret, body)


class CommittedChannelCase(CommittedCase):
    """A REST-JSON channel, a product with stock and a stock review rule, committed.

    ``self.channel_id``, ``self.product_id``, ``self.sku`` are ids usable from any
    cursor; everything the test's orders create is removed in the cleanup.
    """

    #: units of the product in stock
    stock_qty = 100
    #: the channel confirms clean orders (review then confirmation with pickings)
    auto_confirm = True
    #: reservation method of the deliveries during the test (None: unchanged)
    reservation_method = None

    def setUp(self):
        super().setUp()
        self.tag = uuid.uuid4().hex[:8].upper()
        self.sku = f"RACE-{self.tag}"
        with self.committed_env() as env:
            company = env.company
            usd = env.ref("base.USD")
            self.usd_was_active = usd.active
            usd.active = True
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            self.warehouse_id = warehouse.id
            self.reservation_method_was = warehouse.out_type_id.reservation_method
            if self.reservation_method:
                warehouse.out_type_id.reservation_method = self.reservation_method
            pricelist = env["product.pricelist"].create(
                {"name": f"Committed {self.tag}", "currency_id": usd.id}
            )
            product = env["product.product"].create(
                {
                    "name": f"Committed product {self.tag}",
                    "default_code": self.sku,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 5.0,
                    "taxes_id": [Command.clear()],
                }
            )
            if self.stock_qty:
                env["stock.quant"]._update_available_quantity(
                    product, warehouse.lot_stock_id, self.stock_qty
                )
            channel = env["oms.channel"].create(
                {
                    "name": f"Committed {self.tag}",
                    "code": f"RACE-{self.tag}",
                    "connector": "rest_json",
                    "kind": "api",
                    "pricelist_id": pricelist.id,
                    "warehouse_id": warehouse.id,
                    "auto_confirm": self.auto_confirm,
                    "api_key": f"{self.tag}-key",
                    "api_secret": COMMITTED_SECRET,
                }
            )
            rule = env["oms.review.rule"].create(
                {
                    "name": f"Committed stock {self.tag}",
                    "check_type": "stock",
                    "severity": "block",
                    "domain": repr([("oms_channel_id", "=", channel.id)]),
                }
            )
            self.pricelist_id = pricelist.id
            self.product_id = product.id
            self.channel_id = channel.id
            self.rule_id = rule.id
            self.webhook_token = channel.webhook_token
            triggers = env["ir.cron.trigger"].search([], order="id desc", limit=1)
            self.last_trigger_id = triggers.id or 0
        self.addCleanup(self._cleanup_committed)

    # -- helpers ---------------------------------------------------------------
    def stage(self, *refs, quantity=1):
        """Stage one REST-JSON order per reference (committed); the staged ids."""
        with self.committed_env() as env:
            channel = env["oms.channel"].browse(self.channel_id)
            staged = env["oms.channel.order"]
            for ref in refs:
                staged |= staged._stage(
                    channel, json.dumps(rest_order_payload(ref, self.sku, quantity))
                )
            return staged.ids

    def webhook_url(self, token=None):
        """URL of the channel's webhook on the test server."""
        return (
            f"http://127.0.0.1:{config['http_port']}/oms/webhook/"
            f"{token or self.webhook_token}"
        )

    @staticmethod
    def signed(body, secret=COMMITTED_SECRET):
        """Headers of a REST-JSON delivery of ``body`` signed with ``secret``."""
        return {
            "X-OMS-Signature": hmac_b64(secret, body),
            "Content-Type": "application/json",
        }

    def drain_queue(self, limit=2, patience=100):
        """One worker draining the queue batch by batch, as Odoo's cron runner
        does; a claim that finds the rest taken by another worker (its stock,
        or its rows) waits a little and tries again, until nothing is left.

        :param patience: empty claims in a row (0.1 s apart) before giving up
        :return: the ids of the staged orders it processed
        """
        processed, idle = [], 0
        while idle < patience:
            with self.committed_env() as env:
                records = env["oms.channel.order"]._cron_process(limit=limit)
                processed += records.ids
            if records:
                idle = 0
                continue
            if not self.count_committed("oms.channel.order", self.processable()):
                break
            idle += 1
            # not time.sleep: some tests patch it
            threading.Event().wait(0.1)
        return processed

    def processable(self):
        """The domain of the channel's staged orders the cron has work for now."""
        return [
            ("channel_id", "=", self.channel_id),
            "|",
            "|",
            ("state", "=", "received"),
            ("is_update_pending", "=", True),
            "&",
            ("is_cancel_requested", "=", True),
            ("is_cancel_done", "=", False),
        ]

    def staged_states(self):
        """{external reference: state} of the channel's staged orders (committed)."""
        return {
            r["external_ref"]: r["state"]
            for r in self.read_committed(
                "oms.channel.order",
                [("channel_id", "=", self.channel_id)],
                ["external_ref", "state"],
            )
        }

    def sale_orders(self):
        """The channel's sales orders (committed), as ``search_read`` dicts."""
        return self.read_committed(
            "sale.order",
            [("oms_channel_id", "=", self.channel_id)],
            ["oms_external_ref", "state", "order_line"],
        )

    # -- cleanup -----------------------------------------------------------------
    def _cleanup_committed(self):
        with (
            mute_logger("odoo.models.unlink", "odoo.sql_db"),
            self.committed_env() as env,
        ):
            orders = env["sale.order"].search(
                [("oms_channel_id", "=", self.channel_id)]
            )
            partners = (
                orders.partner_id
                | orders.partner_invoice_id
                | orders.partner_shipping_id
            )
            self.remove_orders(env, orders)
            env["oms.channel.order"].search(
                [("channel_id", "=", self.channel_id)]
            ).unlink()
            env["oms.channel.customer"].search(
                [("channel_id", "=", self.channel_id)]
            ).unlink()
            env["oms.channel.product"].search(
                [("channel_id", "=", self.channel_id)]
            ).unlink()
            env["oms.review.rule"].browse(self.rule_id).unlink()
            env["oms.channel"].browse(self.channel_id).unlink()
            self.remove_products(env, [self.product_id])
            (partners | partners.child_ids).exists().unlink()
            env["product.pricelist"].browse(self.pricelist_id).unlink()
            env.ref("base.USD").active = self.usd_was_active
            warehouse = env["stock.warehouse"].browse(self.warehouse_id)
            warehouse.out_type_id.reservation_method = self.reservation_method_was
            # the processing cron was scheduled by the webhook and by conflicts
            env["ir.cron.trigger"].search([("id", ">", self.last_trigger_id)]).unlink()
