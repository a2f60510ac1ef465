"""Bad input: generated payloads for every parser of the intake.

Each payload either imports correctly or leaves a ``failed`` staged record with a
(translated) error; the cron never raises; no sales order exists without its
``imported`` staged record, and none without lines.

What each test guards:

- Shopify / WooCommerce / REST-JSON:
  test_hostile_values_in_every_field (any field: huge or negative numbers,
  wrong types, Unicode)
- Unicode in every field:
  test_unicode_in_every_field
- truncated JSON:
  test_truncated_bodies
- unknown currencies:
  test_unknown_currencies
- negative / huge quantities:
  test_hostile_quantities
- file import CSV:
  test_generated_csv_files
- file import XLSX:
  test_generated_xlsx_files
- mail alias:
  test_generated_order_emails
- translated errors:
  test_failure_messages_are_translated
- 10 MB bodies:
  TestLargeWebhookBodies (webhook over HTTP)

Hypothesis runs derandomized (same examples on every run) with modest counts;
addons/oms_channels/tests/test_broken_payloads.py adds 300 arbitrary JSON bodies.
"""

import base64
import csv
import functools
import io
import json
import re

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.oms_channels.adapters.file_import import TEMPLATE_COLUMNS
from odoo.addons.oms_channels.models.oms_channel import WEBHOOK_MAX_BYTES
from odoo.addons.oms_channels.tests.common import (
    OmsChannelsCommon,
    json_paths,
    read_data,
    set_json_path,
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
QUIET = (
    "odoo.addons.oms_channels.models.oms_channel_order_queue",
    "odoo.addons.oms_channels.controllers.main",
)
UNICODE = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24
) | st.sampled_from(
    [
        "李雷 韩梅梅",
        "ﷺ مرحبا",
        "שלום\u202e",
        "😀👍🏽",
        "Z\u0351\u0368a\u0364lgo",
        "\x00nul",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "%(x)s {0}",
        "\ufeffbom",
    ]
)
#: the mail gateway's parser never hands a NUL character over (RFC 5322)
MAIL_TEXT = UNICODE.map(lambda value: value.replace("\x00", ""))
HUGE = st.sampled_from(
    [
        10**30,
        -(10**30),
        2**63,
        1e308,
        -1e308,
        "1e999",
        "-1e999",
        "9" * 60,
        "NaN",
        "Infinity",
        "0x10",
        "1,000.00",
        -1,
        -0.5,
        0,
    ]
)
WRONG_TYPES = st.sampled_from([None, True, [], {}, [1, 2], {"a": 1}, "", "abc"])
HOSTILE = HUGE | WRONG_TYPES | UNICODE
CURRENCIES = st.sampled_from(["XXX", "ZZZ", "usd", "€", "BTC", "", "US Dollar"]) | (
    st.text(max_size=4)
)


def isolated(test):
    """Roll back each hypothesis example's records (examples share one test)."""

    @functools.wraps(test)
    def wrapper(self, *args, **kwargs):
        savepoint = self.env.cr.savepoint()
        try:
            return test(self, *args, **kwargs)
        finally:
            savepoint.close(rollback=True)

    return wrapper


def _map_strings(data, function):
    """``data`` with every string value (not keys) replaced by function(value)."""
    if isinstance(data, dict):
        return {k: _map_strings(v, function) for k, v in data.items()}
    if isinstance(data, list):
        return [_map_strings(v, function) for v in data]
    if isinstance(data, str):
        return function(data)
    return data


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestHostileInput(OmsChannelsCommon):
    """Generated payloads, files and emails for every parser of the intake."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.file_channel = cls._create_channel("Files", "FILES", "file", kind="store")
        cls.rest_document = {
            "id": "R-1",
            "customer": {"id": "c-1", "name": "Rest buyer", "email": "r@example.com"},
            "billing": {
                "name": "Rest buyer",
                "street": "1 Main St",
                "city": "Austin",
                "zip": "73301",
                "country": "US",
                "phone": "+1 555 0100",
            },
            "shipping": {
                "name": "Rest buyer",
                "street": "1 Main St",
                "city": "Austin",
                "country": "US",
            },
            "lines": [
                {
                    "sku": "SKU-A",
                    "name": "A",
                    "quantity": 2,
                    "price": "10.00",
                    "discount": "1.00",
                    "tax_rate": "6",
                },
                {"sku": "SKU-B", "name": "B", "quantity": 1, "price": "3.50"},
            ],
            "shipping_lines": [{"name": "Post", "amount": "4.00", "tax_rate": "0"}],
            "discount": "0.00",
            "currency": "USD",
            "note": "leave at the door",
            "date": "2024-05-01T10:00:00+08:00",
        }
        cls.documents = {
            "shopify": (
                cls.shopify,
                json.loads(read_data("order_rest_single_legacy.json")),
            ),
            "shopify_webhook": (
                cls.shopify,
                json.loads(read_data("orders_create_webhook.sample.json")),
            ),
            "woocommerce": (cls.woo, json.loads(read_data("order_v3_retrieve.json"))),
            "rest_json": (cls.rest, cls.rest_document),
        }
        cls.connectors = st.sampled_from(sorted(cls.documents))
        cls.mail_channel = cls._create_channel(
            "Mail", "HARDMAIL", "manual", kind="email"
        )

    # -- the invariant ---------------------------------------------------------
    def _process_and_check(self, staged):
        """Run the cron; each record imported (with lines) or failed with an error."""
        with mute_logger(*QUIET):
            self.env["oms.channel.order"]._cron_process(limit=500)
        staged.invalidate_recordset()
        for record in staged:
            self.assertIn(record.state, ("imported", "failed"), record.payload[:200])
            orders = self.env["sale.order"].search(
                [
                    ("oms_channel_id", "=", record.channel_id.id),
                    ("oms_external_ref", "=", record.external_ref),
                ]
            )
            if record.state == "failed":
                self.assertTrue(record.error)
                self.assertFalse(orders, "a partial sale order of a failed record")
            else:
                self.assertEqual(orders, record.sale_order_id)
                self.assertTrue(orders.order_line)
        channels = staged.channel_id
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("oms_channel_id", "in", channels.ids)]
            ),
            self.env["oms.channel.order"].search_count(
                [("channel_id", "in", channels.ids), ("state", "=", "imported")]
            ),
            "every sales order of a channel comes from an imported record",
        )
        return staged

    def _stage_document(self, connector, document):
        channel, _original = self.documents[connector]
        return self._stage_as_webhook(channel, json.dumps(document))

    # -- JSON connectors -------------------------------------------------------------
    @SETTINGS
    @given(data=st.data())
    @isolated
    def test_hostile_values_in_every_field(self, data):
        """Any one to three fields of a real order replaced by hostile values."""
        connector = data.draw(self.connectors)
        document = json.loads(json.dumps(self.documents[connector][1]))
        for _i in range(data.draw(st.integers(1, 3))):
            paths = list(json_paths(document))
            if not paths:
                break
            set_json_path(
                document, data.draw(st.sampled_from(paths)), data.draw(HOSTILE)
            )
        self._process_and_check(self._stage_document(connector, document))

    @SETTINGS
    @given(
        connector=st.sampled_from(["shopify", "woocommerce", "rest_json"]),
        value=UNICODE,
    )
    @isolated
    def test_unicode_in_every_field(self, connector, value):
        """Every string of the order replaced by Unicode: imported or failed."""
        document = _map_strings(self.documents[connector][1], lambda _s: value)
        self._process_and_check(self._stage_document(connector, document))

    def test_unicode_names_and_addresses_import_verbatim(self):
        """CJK, RTL and emoji text in names, addresses and notes is kept as sent."""
        name = "李雷 😀 ﷺ"
        document = _map_strings(
            self.rest_document,
            lambda s: name
            if s in ("Rest buyer", "1 Main St", "leave at the door")
            else s,
        )
        staged = self._process_and_check(self._stage_document("rest_json", document))
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        self.assertEqual(order.partner_id.name, name)
        self.assertEqual(order.partner_shipping_id.street, name)
        self.assertIn(name, str(order.note))

    @SETTINGS
    @given(
        connector=st.sampled_from(["shopify", "woocommerce", "rest_json"]),
        cut=st.floats(0.0, 0.999),
    )
    @isolated
    def test_truncated_bodies(self, connector, cut):
        """A body cut anywhere: failed with an error (or a whole order)."""
        body = json.dumps(self.documents[connector][1])
        truncated = body[: int(len(body) * cut)]
        channel = self.documents[connector][0]
        staged = self._process_and_check(self._stage_as_webhook(channel, truncated))
        self.assertEqual(staged.state, "failed")

    @settings(SETTINGS, max_examples=12)
    @given(currency=CURRENCIES)
    @isolated
    def test_unknown_currencies(self, currency):
        """An unknown or inactive currency code fails with a message naming it."""
        for connector, key in (
            ("rest_json", ("currency",)),
            ("shopify", ("order", "currency")),
            ("woocommerce", ("currency",)),
        ):
            document = json.loads(json.dumps(self.documents[connector][1]))
            set_json_path(document, key, currency)
            staged = self._process_and_check(self._stage_document(connector, document))
            if currency.strip().upper() != "USD" and currency.strip():
                self.assertEqual(staged.state, "failed", (connector, currency))

    @SETTINGS
    @given(
        quantity=HUGE
        | st.integers(max_value=0)
        | st.decimals(max_value=0, allow_nan=False, places=3).map(str)
    )
    @isolated
    def test_hostile_quantities(self, quantity):
        """Zero, negative, huge, NaN quantities: never a sale order with them."""
        for connector, path in (
            ("rest_json", ("lines", 0, "quantity")),
            ("shopify", ("order", "line_items", 0, "quantity")),
            ("woocommerce", ("line_items", 0, "quantity")),
        ):
            document = json.loads(json.dumps(self.documents[connector][1]))
            set_json_path(document, path, quantity)
            staged = self._process_and_check(self._stage_document(connector, document))
            if staged.state == "imported":
                quantities = staged.sale_order_id.order_line.filtered(
                    lambda line: not line.is_delivery and line.product_uom_qty
                ).mapped("product_uom_qty")
                self.assertTrue(all(0 < q < 1e15 for q in quantities), quantities)

    # -- file import -----------------------------------------------------------------
    def _row(self, data, ref):
        row = {
            "order_ref": ref,
            "customer_name": "File buyer",
            "email": "file@example.com",
            "street": "1 Main St",
            "city": "Austin",
            "country": "US",
            "sku": "SKU-A",
            "quantity": "1",
            "price": "2.00",
            "currency": "USD",
        }
        for column in data.draw(
            st.lists(st.sampled_from(TEMPLATE_COLUMNS), max_size=4)
        ):
            row[column] = str(data.draw(HOSTILE))
        return row

    def _import_file(self, filename, content):
        """The wizard's preview and import: a UserError or staged records."""
        wizard = self.env["oms.channel.order.import"].create(
            {
                "channel_id": self.file_channel.id,
                "file": base64.b64encode(content),
                "filename": filename,
            }
        )
        try:
            with self.env.cr.savepoint(), mute_logger(*QUIET):
                wizard.action_preview()
                wizard.action_import()
        except UserError as exc:
            self.assertTrue(str(exc))
            return self.env["oms.channel.order"]
        self.assertEqual(wizard.state, "done")
        return wizard.staged_ids

    @SETTINGS
    @given(data=st.data())
    @isolated
    def test_generated_csv_files(self, data):
        """CSV files with hostile cells, bad encodings or garbage bytes."""
        kind = data.draw(st.sampled_from(["rows", "bytes", "latin1"]))
        if kind == "bytes":
            content = data.draw(st.binary(max_size=200))
        else:
            rows = [
                self._row(data, f"F-{i}") for i in range(data.draw(st.integers(1, 3)))
            ]
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=TEMPLATE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            text = buffer.getvalue().replace("\x00", "")
            content = (
                text.encode("latin-1", errors="replace")
                if kind == "latin1"
                else text.encode("utf-8")
            )
        staged = self._import_file("orders.csv", content)
        if staged:
            self._process_and_check(staged)

    @SETTINGS
    @given(data=st.data())
    @isolated
    def test_generated_xlsx_files(self, data):
        """XLSX files with hostile cells (numbers, Unicode), or garbage bytes."""
        if data.draw(st.booleans()):
            content = data.draw(st.binary(max_size=200))
        else:
            workbook = openpyxl.Workbook()
            sheet = workbook.active
            sheet.append(TEMPLATE_COLUMNS)
            for i in range(data.draw(st.integers(1, 3))):
                row = self._row(data, f"X-{i}")
                sheet.append(
                    [
                        re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", row.get(c, ""))
                        for c in TEMPLATE_COLUMNS
                    ]
                )
            buffer = io.BytesIO()
            workbook.save(buffer)
            content = buffer.getvalue()
        staged = self._import_file("orders.xlsx", content)
        if staged:
            self._process_and_check(staged)

    # -- mail alias ---------------------------------------------------------------
    @SETTINGS
    @given(
        subject=MAIL_TEXT
        | st.just("")
        | st.text(min_size=200, max_size=400).map(
            lambda value: value.replace("\x00", "")
        ),
        body=MAIL_TEXT | st.just("<p><b>unclosed"),
        sender=MAIL_TEXT | st.sampled_from(["", "<>", "a@b", "Zhang <z@example.com>"]),
    )
    @isolated
    def test_generated_order_emails(self, subject, body, sender):
        """Any e-mail to a channel alias is a draft quotation of the channel."""
        # only a mail without any sender is refused (the gateway then bounces it)
        message = {
            "subject": subject,
            "body": body,
            "email_from": sender,
            "author_id": False,
            "message_id": "<hostile-input@example.com>",
        }
        Order = self.env["sale.order"]
        before = Order.search_count([])
        try:
            with self.env.cr.savepoint():
                order = Order.message_new(
                    message, {"oms_channel_id": self.mail_channel.id}
                )
        except ValueError:
            self.assertFalse(sender.strip())
            self.assertEqual(Order.search_count([]), before)
            return
        self.assertRecordValues(
            order, [{"state": "draft", "oms_channel_id": self.mail_channel.id}]
        )
        self.assertTrue(order.partner_id)
        self.assertLessEqual(len(order.client_order_ref or ""), 100)

    # -- translated errors ------------------------------------------------------------
    def test_failure_messages_are_translated(self):
        """The error of a failed record reads in the reader's language (Chinese)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        env = self.env(context=dict(self.env.context, lang="zh_CN"))
        bad = dict(self.rest_document, id="T-1", currency="XXX")
        unknown_sku = dict(
            self.rest_document, id="T-2", lines=[{"sku": "NOPE", "quantity": 1}]
        )
        bad_number = dict(
            self.rest_document, id="T-3", lines=[{"sku": "SKU-A", "quantity": "x"}]
        )
        Staged = env["oms.channel.order"]
        staged = Staged.browse()
        for document in (bad, unknown_sku, bad_number):
            staged |= Staged._stage(self.rest, json.dumps(document))
        with mute_logger(*QUIET):
            Staged._cron_process()
        for record in staged:
            self.assertEqual(record.state, "failed")
            self.assertRegex(record.error_display, "[\u4e00-\u9fff]", record.error)


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestLargeWebhookBodies(HttpCase, OmsChannelsCommon):
    """10 MB webhook bodies: refused with 413; kept as failed only when signed.

    A platform never sends an order that large: a signed one is kept as a
    ``failed`` record (the user sees it, the platform gets a clear 413 and the
    order can still come through the pull or a file); an unsigned one is 401 and
    nothing is stored. Bodies up to the limit are processed as usual.
    """

    def _post(self, body, headers):
        return self.url_open(
            f"/oms/webhook/{self.rest.webhook_token}",
            data=body,
            headers=dict(headers, **{"Content-Type": "application/json"}),
            timeout=120,
        )

    def _staged(self):
        return self.env["oms.channel.order"].search([("channel_id", "=", self.rest.id)])

    def test_ten_megabyte_signed_order_is_413_and_kept_failed(self):
        """A signed 10 MB order: 413, one failed record with the reason, no order."""
        document = {
            "id": "BIG-1",
            "lines": [{"sku": "SKU-A", "quantity": 1, "price": "1"}],
            "note": "长" * (10 * 1024 * 1024 // 3),
        }
        body = json.dumps(document, ensure_ascii=False).encode()
        self.assertGreater(len(body), 10 * 1024 * 1024 - 100)
        headers = {"X-OMS-Signature": self._sign("MINI-secret", body)}
        with mute_logger("odoo.addons.oms_channels.controllers.main"):
            response = self._post(body, headers)
            again = self._post(body, headers)
        self.assertEqual((response.status_code, again.status_code), (413, 413))
        staged = self._staged()
        self.assertEqual(len(staged), 1, "a redelivery is the same record")
        self.assertEqual(staged.state, "failed")
        self.assertIn("MB", staged.error)
        self.assertFalse(staged.next_retry_date, "never retried automatically")
        self.env["oms.channel.order"]._cron_process()
        self.assertFalse(staged.sale_order_id)
        self.assertEqual(staged.state, "failed")

    def test_ten_megabyte_unsigned_body_is_401_and_nothing_stored(self):
        """An unsigned (or wrongly signed) 10 MB body: 401, nothing stored."""
        body = b"[" + b"1," * (5 * 1024 * 1024) + b"1]"
        with mute_logger("odoo.addons.oms_channels.controllers.main"):
            response = self._post(body, {"X-OMS-Signature": "AAAA"})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._staged())

    def test_body_just_under_the_limit_is_processed(self):
        """A large but acceptable order (under the limit) is stored and imported."""
        document = {
            "id": "BIG-2",
            "customer": {"name": "Big buyer", "email": "big@example.com"},
            "shipping": {
                "name": "Big buyer",
                "street": "1 Main St",
                "city": "Austin",
                "country": "US",
            },
            "lines": [{"sku": "SKU-A", "quantity": 1, "price": "1"}],
            "currency": "USD",
            "note": "x" * (WEBHOOK_MAX_BYTES - 1000),
        }
        body = json.dumps(document).encode()
        self.assertLess(len(body), WEBHOOK_MAX_BYTES)
        response = self._post(
            body, {"X-OMS-Signature": self._sign("MINI-secret", body)}
        )
        self.assertEqual(response.status_code, 200)
        staged = self._staged()
        staged.action_process()
        self.assertEqual(staged.state, "imported", staged.error)
