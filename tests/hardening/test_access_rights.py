"""Access: every OMS model for every group, secrets, webhook signatures.

What each test guards:

- every model x group x read/write/create/unlink, against MATRIX (the spec:
  a change of an ir.model.access.csv or a new model must change it too):
  test_acl_matrix_of_every_oms_model, test_matrix_lists_every_oms_model,
  test_acl_matrix_is_enforced_by_the_orm, test_kpis_refused_without_oms_rights
- credentials invisible below manager (read, search_read, search, export,
  web_read, fields_get):
  test_channel_secrets_unreadable_below_manager,
  test_secret_fields_are_manager_only
- webhook unusable without the right signature (missing, wrong, other
  channel's secret, other platform's header, replay with a changed body):
  TestWebhookSignatures

Record rules (own orders, multi-company) are addons/oms_core/tests/test_access.py
and addons/oms_channels/tests/test_security.py.
"""

import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.oms_channels.tests.common import OmsChannelsCommon, read_data
from odoo.addons.oms_core.tests.common import OmsCommon

OMS_ADDONS = ("oms_core", "oms_channels", "oms_reports")
GROUPS = {
    "internal": "base.group_user",
    "oms_user": "base.group_user,oms_core.group_oms_user",
    "salesman": "sales_team.group_sale_salesman",
    "reviewer": "oms_core.group_oms_reviewer",
    "manager": "oms_core.group_oms_manager",
    "stock_user": "stock.group_stock_user",
    "invoice_user": "account.group_account_invoice",
}
COLUMNS = tuple(GROUPS)
MODES = ("read", "write", "create", "unlink")


def _rights(*cells):
    """{group: 'rwcu' flags} from one cell per column of COLUMNS ('-' = none)."""
    return dict(zip(COLUMNS, cells, strict=True))


NONE = "----"
#: expected rights: read, write, create, unlink per group (in COLUMNS order:
#:              internal oms_user salesman reviewer manager stock  invoice)
MATRIX = {
    "oms.review.rule": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.exception": _rights(NONE, "r---", "r---", "rw--", "rwcu", NONE, NONE),
    "oms.priority.rule": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.cancel.reason": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.order.type": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.stock.promise": _rights(NONE, NONE, NONE, NONE, "r---", NONE, NONE),
    "oms.exception.override": _rights(NONE, NONE, NONE, "rwc-", "rwc-", NONE, NONE),
    "oms.exception.substitute": _rights(NONE, NONE, NONE, "rwc-", "rwc-", NONE, NONE),
    "oms.order.cancel": _rights(NONE, "rwc-", "rwc-", "rwc-", "rwc-", NONE, NONE),
    "oms.review.rule.what.if": _rights(NONE, NONE, NONE, NONE, "rwc-", NONE, NONE),
    "oms.return": _rights(NONE, "rwc-", "rwc-", "rwc-", "rwcu", "rw--", NONE),
    "oms.return.line": _rights(NONE, "rwcu", "rwcu", "rwcu", "rwcu", "r---", NONE),
    "oms.return.reason": _rights(NONE, "r---", "r---", "r---", "rwcu", "r---", "r---"),
    "oms.channel": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.logistics.code": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.channel.order": _rights(NONE, "r---", "r---", "rwc-", "rwcu", NONE, NONE),
    "oms.channel.product": _rights(NONE, "r---", "r---", "rwcu", "rwcu", NONE, NONE),
    "oms.channel.customer": _rights(NONE, "r---", "r---", "rwcu", "rwcu", NONE, NONE),
    "oms.channel.order.import": _rights(NONE, NONE, NONE, "rwcu", "rwcu", NONE, NONE),
    "oms.channel.outbox": _rights(NONE, "r---", "r---", "r---", "rw-u", NONE, NONE),
    "oms.order.report": _rights(NONE, "r---", "r---", "r---", "r---", NONE, NONE),
    "oms.order.fact": _rights(NONE, NONE, NONE, NONE, "r---", NONE, NONE),
    "oms.order.fact.queue": _rights(NONE, NONE, NONE, NONE, "r---", NONE, NONE),
    "oms.order.fact.daily": _rights(NONE, NONE, NONE, NONE, "r---", NONE, NONE),
    "oms.kpi.alert": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.replenishment.suggest": _rights(NONE, NONE, NONE, NONE, "rwcu", NONE, NONE),
    "oms.replenishment.suggest.line": _rights(
        NONE, NONE, NONE, NONE, "rwcu", NONE, NONE
    ),
    "oms.review.rule.tier": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.exception.approval": _rights(NONE, "r---", "r---", "r---", "r---", NONE, NONE),
    "oms.order.change": _rights(NONE, "r---", "r---", "rw--", "rw-u", NONE, NONE),
    "oms.order.notice": _rights(NONE, "r---", "r---", "r---", "r---", NONE, NONE),
    "oms.warehouse.region": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.channel.allocation": _rights(NONE, "r---", "r---", "r---", "rwcu", NONE, NONE),
    "oms.channel.allocation.table": _rights(NONE, NONE, NONE, NONE, "rwcu", NONE, NONE),
    "oms.channel.order.update": _rights(
        NONE, "r---", "r---", "r---", "r---", NONE, NONE
    ),
    "oms.channel.tax": _rights(NONE, "r---", "r---", "rwcu", "rwcu", NONE, NONE),
    "oms.channel.order.tax.fix": _rights(NONE, NONE, NONE, "rwcu", "rwcu", NONE, NONE),
    "oms.channel.sku.unmatched": _rights(
        NONE, "r---", "r---", "r---", "r---", NONE, NONE
    ),
    "oms.channel.sku.map": _rights(NONE, NONE, NONE, "rwcu", "rwcu", NONE, NONE),
}
#: fields holding credentials: OMS managers only
SECRET_FIELDS = {
    "oms.channel": (
        "api_key",
        "api_secret",
        "api_secret_previous",
        "api_token",
        "api_token_expiry",
        "api_refresh_token",
        "webhook_token",
        "webhook_url",
    ),
}
SECRET_WORDS = ("key", "secret", "token", "password", "webhook_url")


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestAccessRights(OmsCommon):
    """Rights of every group on every OMS model, and on the credentials."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            name: cls._create_user(f"access_{name}", groups)
            for name, groups in GROUPS.items()
        }

    def _oms_models(self):
        """Every model with a table or transient of the three addons."""
        data = self.env["ir.model.data"].search(
            [("module", "in", OMS_ADDONS), ("model", "=", "ir.model")]
        )
        models = self.env["ir.model"].browse(data.mapped("res_id"))
        return {
            model.model
            for model in models
            if not self.env[model.model]._abstract and model.model.startswith("oms.")
        }

    def test_matrix_lists_every_oms_model(self):
        """A new OMS model must get its line in the matrix (and ACLs)."""
        self.assertEqual(self._oms_models(), set(MATRIX))

    def test_acl_matrix_of_every_oms_model(self):
        """Each group has exactly the expected rights on each OMS model."""
        Access = self.env["ir.model.access"]
        mismatches = []
        for model, expected in MATRIX.items():
            for group, user in self.users.items():
                actual = "".join(
                    mode[0]
                    if Access.with_user(user).check(model, mode, raise_exception=False)
                    else "-"
                    for mode in MODES
                )
                if actual != expected[group]:
                    mismatches.append(f"{model} {group}: {actual} != {expected[group]}")
        self.assertFalse(mismatches, "\n".join(mismatches))

    def test_acl_matrix_is_enforced_by_the_orm(self):
        """The ORM refuses what the matrix refuses (read and create of a few models)."""
        user = self.users["internal"]
        for model in ("oms.channel", "oms.channel.order", "oms.exception"):
            with self.assertRaises(AccessError), mute_logger("odoo.models"):
                self.env[model].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.env["oms.review.rule"].with_user(self.users["reviewer"]).create(
                {"name": "x", "check_type": "stock"}
            )
        with self.assertRaises(AccessError):
            self.env["oms.channel.order"].with_user(self.users["stock_user"]).search([])

    def test_kpis_refused_without_oms_rights(self):
        """An internal user without the OMS gets no KPI figures."""
        with self.assertRaises(AccessError):
            self.env["oms.kpi"].with_user(self.users["internal"]).get_kpis(
                "2024-01-01", "2024-01-31"
            )
        kpis = (
            self.env["oms.kpi"]
            .with_user(self.users["manager"])
            .get_kpis("2024-01-01", "2024-01-31")
        )
        self.assertIn("orders", kpis)

    def test_secret_fields_are_manager_only(self):
        """Every credential-like field of the OMS models is restricted to managers."""
        for model in self._oms_models():
            for name, field in self.env[model]._fields.items():
                if any(word in name for word in SECRET_WORDS):
                    self.assertIn(name, SECRET_FIELDS.get(model, ()), f"{model}.{name}")
                    self.assertEqual(field.groups, "oms_core.group_oms_manager")

    @staticmethod
    def _secret_reads(Channel, channel_id, field):
        """Every way of reading ``field`` of the channel ``channel_id``."""
        record = Channel.browse(channel_id)
        attempts = [
            lambda: record.read([field]),
            lambda: Channel.search_read([("id", "=", channel_id)], [field]),
            lambda: record.export_data([field]),
            lambda: record.web_read({field: {}}),
        ]
        if Channel._fields[field].store:
            # guessing a secret through a search domain
            attempts.append(lambda: Channel.search([(field, "=", "x")]))
        return attempts

    def test_channel_secrets_unreadable_below_manager(self):
        """Secrets: no read, search_read, search, export or fields_get below manager."""
        channel = self.env["oms.channel"].create(
            {
                "name": "Secret shop",
                "code": "HARD-SECRET",
                "connector": "shopify",
                "api_key": "the-key",
                "api_secret": "the-secret",
                "api_secret_previous": "the-old-secret",
                "api_token": "the-token",
                "api_refresh_token": "the-refresh-token",
            }
        )
        fields = SECRET_FIELDS["oms.channel"]
        export = self.env.ref("base.group_allow_export")
        for group in ("oms_user", "salesman", "reviewer"):
            # users allowed to export at all: the field rights must still refuse
            self.users[group].groups_id = [Command.link(export.id)]
            Channel = self.env["oms.channel"].with_user(self.users[group])
            record = Channel.browse(channel.id)
            self.assertEqual(record.name, "Secret shop", group)
            self.assertFalse(set(fields) & set(Channel.fields_get()), group)
            for field in fields:
                attempts = self._secret_reads(Channel, channel.id, field)
                for attempt in attempts:
                    with self.assertRaises(AccessError, msg=f"{group} {field}"):
                        attempt()
            # a plain read of every field the user may see leaks nothing
            values = json.dumps(record.read()[0], default=str)
            for secret in (
                "the-key",
                "the-secret",
                "the-token",
                "the-refresh-token",
                channel.webhook_token,
            ):
                self.assertNotIn(secret, values, group)
        manager = self.env["oms.channel"].with_user(self.users["manager"])
        self.assertEqual(
            manager.browse(channel.id).read(["api_key", "api_secret"])[0]["api_key"],
            "the-key",
        )


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestWebhookSignatures(HttpCase, OmsChannelsCommon):
    """Real HTTP on the webhook: only the channel's own signature is accepted."""

    HEADERS = {
        "shopify": "X-Shopify-Hmac-Sha256",
        "woocommerce": "X-WC-Webhook-Signature",
        "rest_json": "X-OMS-Signature",
    }

    def _bodies(self):
        return {
            self.shopify: read_data("orders_create_webhook.sample.json"),
            self.woo: read_data("order_v3_retrieve.json"),
            self.rest: json.dumps(
                {"id": "SIG-1", "lines": [{"sku": "SKU-A", "quantity": 1}]}
            ).encode(),
        }

    def _post(self, channel, body, headers):
        return self.url_open(
            f"/oms/webhook/{channel.webhook_token}",
            data=body,
            headers=dict(headers, **{"Content-Type": "application/json"}),
        )

    def _staged(self, channel):
        return self.env["oms.channel.order"].search([("channel_id", "=", channel.id)])

    def test_every_wrong_signature_is_refused(self):
        """Missing, wrong, other channel's, other header, other body's: all 401."""
        bodies = self._bodies()
        for channel, body in bodies.items():
            header = self.HEADERS[channel.connector]
            other = self.woo if channel != self.woo else self.shopify
            other_header = self.HEADERS[other.connector]
            own = self._sign(f"{channel.code}-secret", body)
            changed = body.replace(b"1", b"2", 1)
            attempts = {
                "missing": {},
                "empty": {header: ""},
                "wrong secret": {header: self._sign("guess", body)},
                "other channel's secret": {
                    header: self._sign(f"{other.code}-secret", body)
                },
                "other platform's header": (
                    {other_header: own} if other_header != header else {}
                ),
                "signature of another body": {header: own},
                "not base64": {header: "%%%"},
            }
            for label, headers in attempts.items():
                sent = changed if label == "signature of another body" else body
                with mute_logger("odoo.addons.oms_channels.controllers.main"):
                    response = self._post(channel, sent, headers)
                self.assertEqual(
                    response.status_code, 401, f"{channel.connector}: {label}"
                )
            self.assertFalse(self._staged(channel), channel.connector)
            self.assertEqual(self._post(channel, body, {header: own}).status_code, 200)
            self.assertEqual(len(self._staged(channel)), 1)

    def test_replay_with_modified_body_changes_nothing(self):
        """A captured signature replayed with a changed body: 401, payload kept."""
        body = self._bodies()[self.rest]
        signature = self._sign("MINI-secret", body)
        header = self.HEADERS["rest_json"]
        self.assertEqual(
            self._post(self.rest, body, {header: signature}).status_code, 200
        )
        staged = self._staged(self.rest)
        tampered = json.dumps(
            {"id": "SIG-1", "lines": [{"sku": "SKU-A", "quantity": 999}]}
        ).encode()
        with mute_logger("odoo.addons.oms_channels.controllers.main"):
            response = self._post(self.rest, tampered, {header: signature})
        self.assertEqual(response.status_code, 401)
        staged.invalidate_recordset()
        self.assertEqual(staged.payload, body.decode())
        # the untouched replay is idempotent: 200, still one record
        self.assertEqual(
            self._post(self.rest, body, {header: signature}).status_code, 200
        )
        self.assertEqual(self._staged(self.rest), staged)

    def test_token_of_a_manual_channel_is_unknown(self):
        """Channels without a webhook connector do not answer webhooks (404)."""
        manual = self._create_channel("Phone", "PHONE", "manual", kind="phone")
        body = self._bodies()[self.rest]
        response = self._post(
            manual, body, {"X-OMS-Signature": self._sign("PHONE-secret", body)}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._staged(manual))
