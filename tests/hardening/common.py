"""Committed-data fixtures of the hardening suites.

Concurrency and fault tests need data that other cursors, threads, the HTTP server
and even other processes see, so :class:`CommittedChannelCase` commits its fixtures
on a separate registry cursor (the registry is not in test mode for a
``TransactionCase``) and removes everything again in a cleanup, whatever the test's
outcome. Every thread it starts is joined; every cursor is closed by a ``with``.
"""

import json
import threading
import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase
from odoo.tools import config, mute_logger

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
from odoo.addons.oms_channels.adapters.base import hmac_b64

SECRET = "hardening-secret"
#: SQL failing as a transaction that met a concurrent update does
RAISE_SERIALIZATION_FAILURE = (
    "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure', "
    "MESSAGE = 'could not serialize access due to concurrent update'; END $$"
)


def order_payload(ref, sku, quantity=1, **values):
    """A REST-JSON order document (our normalized format)."""
    return dict(
        {
            "id": ref,
            "customer": {
                "id": f"cust-{ref}",
                "name": f"Hardening buyer {ref}",
                "email": f"{ref.lower()}@hardening.example.com",
            },
            "shipping": {
                "name": f"Hardening buyer {ref}",
                "street": "1 Main St",
                "city": "Springfield",
                "country": "US",
            },
            "lines": [{"sku": sku, "quantity": quantity, "price": "5.00"}],
            "currency": "USD",
        },
        **values,
    )


class CommittedChannelCase(TransactionCase):
    """A REST-JSON channel, a product with stock and a stock review rule, committed.

    ``self.channel_id``, ``self.product_id``, ``self.sku``, ``self.partner_ids``
    (filled by the tests' orders) are ids usable from any cursor.
    """

    #: units of the product in stock
    stock_qty = 100
    #: the channel confirms clean orders (review then confirmation with pickings)
    auto_confirm = True

    def setUp(self):
        super().setUp()
        # real cursors: a test cursor would serialize everything through one connection
        self.assertFalse(self.registry.in_test_mode())
        self.tag = uuid.uuid4().hex[:8].upper()
        self.sku = f"HARD-{self.tag}"
        with self.committed_env() as env:
            company = env.company
            usd = env.ref("base.USD")
            self.usd_was_active = usd.active
            usd.active = True
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            self.warehouse_id = warehouse.id
            pricelist = env["product.pricelist"].create(
                {"name": f"Hardening {self.tag}", "currency_id": usd.id}
            )
            product = env["product.product"].create(
                {
                    "name": f"Hardening product {self.tag}",
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
                    "name": f"Hardening {self.tag}",
                    "code": f"HARD-{self.tag}",
                    "connector": "rest_json",
                    "kind": "api",
                    "pricelist_id": pricelist.id,
                    "warehouse_id": warehouse.id,
                    "auto_confirm": self.auto_confirm,
                    "api_key": f"{self.tag}-key",
                    "api_secret": SECRET,
                }
            )
            rule = env["oms.review.rule"].create(
                {
                    "name": f"Hardening stock {self.tag}",
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
    def committed_env(self, context=None):
        """Context manager: a superuser env on a new registry cursor, committed."""
        case = self

        class _Env:
            def __enter__(self):
                self.cr = case.registry.cursor()
                return api.Environment(
                    self.cr,
                    SUPERUSER_ID,
                    dict(DISABLED_MAIL_CONTEXT, **(context or {})),
                )

            def __exit__(self, exc_type, exc, tb):
                # a registry cursor commits on a clean exit, rolls back otherwise
                self.cr.__exit__(exc_type, exc, tb)

        return _Env()

    def stage(self, *refs, quantity=1):
        """Stage one REST-JSON order per reference (committed); the staged ids."""
        with self.committed_env() as env:
            channel = env["oms.channel"].browse(self.channel_id)
            staged = env["oms.channel.order"]
            for ref in refs:
                staged |= staged._stage(
                    channel, json.dumps(order_payload(ref, self.sku, quantity))
                )
            return staged.ids

    def webhook_url(self, token=None):
        return (
            f"http://127.0.0.1:{config['http_port']}/oms/webhook/"
            f"{token or self.webhook_token}"
        )

    @staticmethod
    def signed(body, secret=SECRET):
        """Headers of a REST-JSON delivery of ``body`` signed with ``secret``."""
        return {
            "X-OMS-Signature": hmac_b64(secret, body),
            "Content-Type": "application/json",
        }

    def run_in_threads(self, *functions, timeout=120):
        """Run each ``function()`` in its own thread, released together.

        :return: the results in order; fails the test on any exception or hang
        """
        barrier = threading.Barrier(len(functions))
        results, errors = [None] * len(functions), []

        def target(index, function):
            try:
                barrier.wait(timeout=30)
                results[index] = function()
            except Exception as exc:  # noqa: BLE001 - reported in the main thread
                errors.append(exc)

        threads = [
            threading.Thread(target=target, args=(i, f), daemon=True)
            for i, f in enumerate(functions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
        self.assertFalse([t for t in threads if t.is_alive()], "a thread hangs")
        self.assertFalse(errors, errors)
        return results

    def in_worker(self, function):
        """``function(env)`` wrapped to run on its own committed cursor."""

        def run():
            with self.committed_env() as env:
                return function(env)

        return run

    def cron_worker(self, env):
        """One worker draining the queue batch by batch, as Odoo's cron runner does."""
        processed = []
        while True:
            with self.committed_env() as env:
                records = env["oms.channel.order"]._cron_process(limit=2)
                processed += records.ids
            if not records:
                return processed

    def read(self, model, domain, fields):
        with self.committed_env() as env:
            return env[model].search_read(domain, fields)

    def staged_states(self):
        return {
            r["external_ref"]: r["state"]
            for r in self.read(
                "oms.channel.order",
                [("channel_id", "=", self.channel_id)],
                ["external_ref", "state"],
            )
        }

    def sale_orders(self):
        return self.read(
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
            pickings = orders.picking_ids
            moves = pickings.move_ids | orders.order_line.move_ids
            moves.move_line_ids.unlink()
            moves._action_cancel()
            moves.unlink()
            pickings.unlink()
            orders.with_context(disable_cancel_warning=True)._action_cancel()
            env["oms.channel.order"].search(
                [("channel_id", "=", self.channel_id)]
            ).unlink()
            orders.unlink()
            env["oms.channel.customer"].search(
                [("channel_id", "=", self.channel_id)]
            ).unlink()
            env["oms.channel.product"].search(
                [("channel_id", "=", self.channel_id)]
            ).unlink()
            env["oms.review.rule"].browse(self.rule_id).unlink()
            env["oms.channel"].browse(self.channel_id).unlink()
            env["stock.quant"].search([("product_id", "=", self.product_id)]).unlink()
            env["oms.stock.promise"].search(
                [("product_id", "=", self.product_id)]
            ).unlink()
            product = env["product.product"].browse(self.product_id)
            template = product.product_tmpl_id
            product.unlink()
            template.unlink()
            (partners | partners.child_ids).exists().unlink()
            env["product.pricelist"].browse(self.pricelist_id).unlink()
            env.ref("base.USD").active = self.usd_was_active
            # the processing cron was scheduled by the webhook and by conflicts
            env["ir.cron.trigger"].search([("id", ">", self.last_trigger_id)]).unlink()
