import json
import logging

from odoo import Command
from odoo.tests import tagged

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
