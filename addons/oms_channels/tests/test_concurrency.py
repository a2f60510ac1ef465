import json

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
