import json
import threading

from odoo import api
from odoo.tests import TransactionCase, tagged

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

PAYLOAD = {
    "id": "CONC-1",
    "customer": {
        "id": "conc-customer",
        "name": "Concurrent buyer",
        "email": "concurrent.buyer@example.com",
    },
    "shipping": {
        "name": "Concurrent buyer",
        "street": "1 Main St",
        "city": "Springfield",
        "country": "US",
    },
    "lines": [{"sku": "OMS-CONC-SKU", "quantity": 1, "price": "5.00"}],
    "currency": "USD",
}


@tagged("post_install", "-at_install", "oms")
class TestConcurrency(TransactionCase):
    """Real commits on separate cursors, as two Odoo workers would do.

    The data is committed, so every test removes what it created (tearDown).
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, DISABLED_MAIL_CONTEXT)
            usd = env.ref("base.USD")
            pricelist = env["product.pricelist"].search(
                [("currency_id", "=", usd.id)], limit=1
            )
            if not pricelist:
                pricelist = env["product.pricelist"].create(
                    {"name": "OMS concurrency", "currency_id": usd.id}
                )
                self.pricelist_id = pricelist.id
            else:
                self.pricelist_id = None
            self.product_id = (
                env["product.product"]
                .create(
                    {
                        "name": "Concurrency product",
                        "default_code": "OMS-CONC-SKU",
                        "type": "consu",
                    }
                )
                .id
            )
            self.channel_id = (
                env["oms.channel"]
                .create(
                    {
                        "name": "Concurrency",
                        "code": "OMS-CONC",
                        "connector": "rest_json",
                        "kind": "api",
                        "pricelist_id": pricelist.id,
                    }
                )
                .id
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, DISABLED_MAIL_CONTEXT)
            orders = env["sale.order"].search(
                [("oms_channel_id", "=", self.channel_id)]
            )
            partners = (
                orders.partner_id
                | orders.partner_invoice_id
                | orders.partner_shipping_id
            )
            orders.filtered(lambda o: o.state != "draft")._action_cancel()
            staged = env["oms.channel.order"].search(
                [("channel_id", "=", self.channel_id)]
            )
            staged.unlink()
            orders.unlink()
            env["oms.channel"].browse(self.channel_id).unlink()
            env["product.product"].browse(self.product_id).unlink()
            (partners | partners.child_ids).exists().unlink()
            if self.pricelist_id:
                env["product.pricelist"].browse(self.pricelist_id).unlink()

    def _run_in_threads(self, *functions):
        """Run each function(env) in its own thread and cursor, started together."""
        barrier = threading.Barrier(len(functions))
        results, errors = [None] * len(functions), []

        def target(index, function):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, api.SUPERUSER_ID, DISABLED_MAIL_CONTEXT)
                    barrier.wait(timeout=10)
                    results[index] = function(env)
                    # each thread's work must be visible to the other real cursors
                    cr.commit()  # pylint: disable=invalid-commit
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=target, args=(i, f))
            for i, f in enumerate(functions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        return results

    def _stager(self, source):
        def stage(env):
            channel = env["oms.channel"].browse(self.channel_id)
            return (
                env["oms.channel.order"]
                ._stage(channel, json.dumps(PAYLOAD), source=source)
                .ids
            )

        return stage

    def _count(self, model, domain):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            return env[model].search_count(domain)

    def test_same_order_webhook_and_pull_at_once_is_staged_once(self):
        """Webhook twice and the pull, at the same moment: one staged record."""
        self._run_in_threads(
            self._stager("webhook"), self._stager("webhook"), self._stager("pull")
        )
        self.assertEqual(
            self._count("oms.channel.order", [("channel_id", "=", self.channel_id)]), 1
        )

    def test_two_workers_processing_make_one_sale_order(self):
        """Two cron workers on the same queue: one sales order per staged order."""
        self._run_in_threads(self._stager("webhook"))

        def process(env):
            return env["oms.channel.order"]._cron_process().ids

        claimed = self._run_in_threads(process, process)
        self.assertEqual(
            sorted(len(ids) for ids in claimed),
            [0, 1],
            "SKIP LOCKED: the second worker skips the claimed row",
        )
        self.assertEqual(
            self._count("sale.order", [("oms_channel_id", "=", self.channel_id)]), 1
        )
        self.assertEqual(
            self._count(
                "oms.channel.order",
                [("channel_id", "=", self.channel_id), ("state", "=", "imported")],
            ),
            1,
        )
