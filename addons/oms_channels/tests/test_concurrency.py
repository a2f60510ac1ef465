import json
import logging
import threading
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from ..models.oms_channel_order_queue import CLAIM_AGAIN_SECONDS
from .common import CommittedChannelCase, rest_order_payload


@tagged("post_install", "-at_install", "oms")
class TestConcurrency(CommittedChannelCase):
    """Real commits on separate cursors, as two Odoo workers would do."""

    def _stager(self, ref, source):
        def stage(env):
            channel = env["oms.channel"].browse(self.channel_id)
            payload = json.dumps(rest_order_payload(ref, self.sku))
            return env["oms.channel.order"]._stage(channel, payload, source=source).ids

        return self.in_worker(stage)

    def test_same_order_webhook_and_pull_at_once_is_staged_once(self):
        """Webhook twice and the pull, at the same moment: one staged record."""
        ref = f"CONC-{self.tag}"
        self.run_in_threads(
            self._stager(ref, "webhook"),
            self._stager(ref, "webhook"),
            self._stager(ref, "pull"),
        )
        self.assertEqual(
            self.count_committed(
                "oms.channel.order", [("channel_id", "=", self.channel_id)]
            ),
            1,
        )

    def test_two_workers_processing_make_one_sale_order(self):
        """Two cron workers on the same queue: one sales order per staged order."""
        self.stage(f"CONC-{self.tag}")

        def process(env):
            return env["oms.channel.order"]._cron_process().ids

        claimed = self.run_in_threads(self.in_worker(process), self.in_worker(process))
        self.assertEqual(
            sorted(len(ids) for ids in claimed),
            [0, 1],
            "SKIP LOCKED: the second worker skips the claimed row",
        )
        self.assertEqual(
            self.count_committed(
                "sale.order", [("oms_channel_id", "=", self.channel_id)]
            ),
            1,
        )
        self.assertEqual(
            self.count_committed(
                "oms.channel.order",
                [("channel_id", "=", self.channel_id), ("state", "=", "imported")],
            ),
            1,
        )


class _Recorder(logging.Handler):
    """Keeps the messages of a logger muted during a race."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@tagged("post_install", "-at_install", "oms")
class TestPartitionedQueue(CommittedChannelCase):
    """Two cron workers on one busy channel whose orders share products."""

    #: units in stock of each shared product
    shared_stock = 3

    def setUp(self):
        self.shared_product_ids = []
        # registered first: runs after the channel's cleanup removed the orders
        self.addCleanup(self._cleanup_shared_products)
        super().setUp()
        with self.committed_env() as env:
            warehouse = env["stock.warehouse"].browse(self.warehouse_id)
            for index in range(1, 5):
                product = env["product.product"].create(
                    {
                        "name": f"Shared {index} {self.tag}",
                        "default_code": f"{self.sku}-{index}",
                        "type": "consu",
                        "is_storable": True,
                        "list_price": 5.0,
                        "taxes_id": [Command.clear()],
                    }
                )
                env["stock.quant"]._update_available_quantity(
                    product, warehouse.lot_stock_id, self.shared_stock
                )
                self.shared_product_ids.append(product.id)

    def _cleanup_shared_products(self):
        with self.committed_env() as env:
            products = env["product.product"].browse(self.shared_product_ids)
            env["stock.quant"].search([("product_id", "in", products.ids)]).unlink()
            env["oms.stock.promise"].search(
                [("product_id", "in", products.ids)]
            ).unlink()
            templates = products.product_tmpl_id
            products.unlink()
            templates.unlink()

    def test_two_workers_on_one_channel_share_products_exactly_once(self):
        """12 orders of one channel over 4 products with 3 units each, two
        workers at once: both import, each order once, no unit promised twice,
        no deadlock."""
        groups = [(1, 2)] * 5 + [(3, 4)] * 5 + [(2, 3)] * 2
        refs = []
        with self.committed_env() as env:
            channel = env["oms.channel"].browse(self.channel_id)
            for index, group in enumerate(groups):
                ref = f"PART-{self.tag}-{index:02d}"
                payload = rest_order_payload(ref, self.sku)
                payload["lines"] = [
                    {"sku": f"{self.sku}-{n}", "quantity": 1, "price": "5.00"}
                    for n in group
                ]
                env["oms.channel.order"]._stage(channel, json.dumps(payload))
                refs.append(ref)
        recorder = _Recorder()
        sql_logger = logging.getLogger("odoo.sql_db")
        sql_logger.addHandler(recorder)
        # concurrent transactions may still log a refused statement: kept, read below
        propagate, sql_logger.propagate = sql_logger.propagate, False
        try:
            first, second = self.run_in_threads(self.drain_queue, self.drain_queue)
        finally:
            sql_logger.propagate = propagate
            sql_logger.removeHandler(recorder)
        self.assertFalse(
            [m for m in recorder.messages if "deadlock" in m], "no deadlock"
        )
        self.assertTrue(first and second, "both workers imported orders")
        self.assertEqual(set(self.staged_states().values()), {"imported"})
        orders = self.sale_orders()
        self.assertEqual(sorted(o["oms_external_ref"] for o in orders), refs)
        confirmed = [o for o in orders if o["state"] == "sale"]
        self.assertTrue(confirmed, "the stock covers some orders")
        self.assertLess(len(confirmed), len(orders), "and holds the others")
        lines = self.read_committed(
            "sale.order.line",
            [("order_id", "in", [o["id"] for o in confirmed])],
            ["product_id", "product_uom_qty"],
        )
        for product_id in self.shared_product_ids:
            promised = sum(
                line["product_uom_qty"]
                for line in lines
                if line["product_id"][0] == product_id
            )
            self.assertLessEqual(promised, self.shared_stock, "no oversell")
        quants = self.read_committed(
            "stock.quant",
            [("product_id", "in", self.shared_product_ids)],
            ["quantity", "reserved_quantity"],
        )
        for quant in quants:
            self.assertLessEqual(quant["reserved_quantity"], quant["quantity"])


@tagged("post_install", "-at_install", "oms")
class TestIdleWorker(CommittedChannelCase):
    """A cron worker that finds every waiting order taken by the other worker
    comes back shortly, and only while some order can be processed."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            cron = env.ref("oms_channels.ir_cron_oms_channel_order_process")
            # two workers: two copies of the processing cron
            self.cron_ids = [
                cron.copy({"name": f"{cron.name} {self.tag} {n}"}).id for n in (1, 2)
            ]
        self.addCleanup(self._remove_copies)

    def _remove_copies(self):
        with self.committed_env() as env:
            env["ir.cron.trigger"].search([("cron_id", "in", self.cron_ids)]).unlink()
            # their progress records go with them
            env["ir.cron"].browse(self.cron_ids).unlink()

    def as_cron_job(self, env, index):
        """The queue in the environment Odoo's cron runner gives the job of
        ``self.cron_ids[index]``, and the progress record it reports to."""
        progress = env["ir.cron.progress"].create({"cron_id": self.cron_ids[index]})
        queue = env["oms.channel.order"].with_context(
            cron_id=self.cron_ids[index], ir_cron_progress_id=progress.id
        )
        return queue, progress

    def triggers(self, index):
        """{'now': count, 'later': [seconds from now]} of the committed triggers
        of ``self.cron_ids[index]``."""
        now = fields.Datetime.now()
        rows = self.read_committed(
            "ir.cron.trigger",
            [
                ("cron_id", "=", self.cron_ids[index]),
                ("id", ">", self.last_trigger_id),
            ],
            ["call_at"],
        )
        later = [r["call_at"] for r in rows if r["call_at"] > now]
        return {
            "now": len(rows) - len(later),
            "later": [(at - now).total_seconds() for at in later],
        }

    def test_worker_finding_every_order_taken_comes_back_shortly(self):
        """Worker 1 promises the stock all 3 orders need; worker 2 claims
        nothing, reports the 3 orders waiting and asks to run again in a few
        seconds; worker 1's commit brings worker 2 back at once."""
        self.stage(*(f"IDLE-{self.tag}-{n}" for n in range(3)))
        claimed, released = threading.Event(), threading.Event()
        Queue = type(self.env["oms.channel.order"])
        process = Queue._process

        def process_holding_the_stock(records):
            claimed.set()
            released.wait(60)
            return process(records)

        def first():
            with self.committed_env() as env:
                queue, progress = self.as_cron_job(env, 0)
                done = queue._cron_process(limit=1)
                return len(done), progress.done, progress.remaining

        def second():
            claimed.wait(60)
            try:
                with self.committed_env() as env:
                    queue, progress = self.as_cron_job(env, 1)
                    done = queue._cron_process()
                    result = len(done), progress.done, progress.remaining
                # committed: what worker 1 finds after its batch
                return result, self.triggers(1)
            finally:
                released.set()

        with patch.object(Queue, "_process", process_holding_the_stock):
            one, (two, waiting) = self.run_in_threads(first, second)
        self.assertEqual(two, (0, 0, 3), "claims nothing, 3 orders still waiting")
        self.assertEqual(waiting["now"], 0, "not at once: no spinning")
        self.assertEqual(len(waiting["later"]), 1)
        self.assertLessEqual(waiting["later"][0], CLAIM_AGAIN_SECONDS)
        self.assertEqual(one, (1, 1, 2))
        self.assertGreaterEqual(
            self.triggers(1)["now"], 1, "worker 1's commit wakes worker 2"
        )
        self.assertEqual(
            self.triggers(0),
            {"now": 0, "later": []},
            "worker 1 goes on in its own job (progress), untriggered",
        )

    def test_no_new_run_for_orders_nobody_can_process_now(self):
        """Left in the queue: an order failed for good (waits for a person),
        one whose retry is due tomorrow and one waiting for payment. The
        worker claims nothing, reports nothing to do and asks for no run."""
        ids = self.stage(*(f"IDLE-{self.tag}-{n}" for n in range(3)))
        with self.committed_env() as env:
            permanent, later, unpaid = env["oms.channel.order"].browse(ids)
            permanent.write(
                {"state": "failed", "error_kind": "permanent", "error": "Unknown SKU"}
            )
            later.write(
                {
                    "state": "failed",
                    "error_kind": "transient",
                    "error": "Timeout",
                    "next_retry_date": fields.Datetime.now() + timedelta(days=1),
                }
            )
            unpaid.write({"state": "ignored", "is_awaiting_payment": True})
        with self.committed_env() as env:
            queue, progress = self.as_cron_job(env, 1)
            self.assertFalse(queue._cron_process())
            self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertEqual(self.triggers(1), {"now": 0, "later": []})
        self.assertEqual(self.triggers(0), {"now": 0, "later": []})
