"""Faults: killed workers, dropped connections, failing and slow channel APIs.

What each test guards:

- worker killed (SIGKILL) in the middle of a batch:
  test_worker_killed_mid_batch_resumes
- database connection dropped mid-batch (pg_terminate_backend):
  test_connection_dropped_mid_batch_resumes
  (both: nothing half-done, the next run imports every order exactly once)
- API answering 500: retried with back-off:
  test_pull_retries_5xx_with_backoff
- API timing out: retried:
  test_pull_retries_timeouts
- a pull meeting a concurrent update (serialization failure): the cron goes on,
  the next run stages the order:
  test_pull_conflict_keeps_cursor
- failing pull keeps the cursor, loses no order (also when it fails on the 2nd page):
  test_failing_pull_keeps_cursor_and_loses_nothing

The killed worker is a real second Odoo process (tests/hardening/cron_worker.py)
on the test database; its staged orders are committed and removed afterwards.
"""

import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config, mute_logger

from odoo.addons.oms_channels.adapters import base as adapter_base
from odoo.addons.oms_channels.models.oms_channel_order_queue import (
    OmsChannelOrderQueue,
)
from odoo.addons.oms_channels.tests.common import (
    CommittedChannelCase,
    FakePlatform,
    OmsChannelsCommon,
)
from odoo.addons.oms_core.tests.concurrency import conflicting_once

WORKER = Path(__file__).with_name("cron_worker.py")
ADAPTER_LOG = "odoo.addons.oms_channels.adapters.base"
CHANNEL_LOG = "odoo.addons.oms_channels.models.oms_channel"


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestWorkerFaults(CommittedChannelCase):
    """A second Odoo process running the cron is killed in the middle of a batch."""

    batch = 5
    pause_after = 3

    def _start_worker(self):
        """A second Odoo process running the cron; returns it paused mid-batch."""
        worker = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [
                sys.executable,
                str(WORKER),
                config.rcfile,
                self.env.cr.dbname,
                str(self.pause_after),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.addCleanup(self._stop, worker)
        ready, _w, _x = select.select([worker.stdout], [], [], 240)
        self.assertTrue(ready, "the worker never reached the middle of its batch")
        line = worker.stdout.readline().split()
        self.assertEqual(line[:1], ["MIDBATCH"], line)
        return worker, int(line[1])

    def _stop(self, worker):
        if worker.poll() is None:
            worker.kill()
        worker.wait(60)
        worker.stdin.close()
        worker.stdout.close()

    def _wait_backend_gone(self, pid):
        for _i in range(300):
            rows = self.read_sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", pid)
            if not rows:
                return
            time.sleep(0.1)
        self.fail(f"backend {pid} still alive")

    def read_sql(self, query, *params):
        with self.committed_env() as env:
            env.cr.execute(query, params)
            return env.cr.fetchall()

    def _assert_nothing_half_done(self, refs):
        self.assertEqual(set(self.staged_states().values()), {"received"})
        self.assertFalse(self.sale_orders(), "a sales order of the killed batch")
        self.assertFalse(
            self.read_committed(
                "res.partner",
                [("name", "like", f"Buyer K{self.tag}")],
                ["id"],
            )
        )
        self.assertFalse(
            self.read_committed(
                "stock.move", [("product_id", "=", self.product_id)], ["id"]
            )
        )

    def _assert_resumed_exactly_once(self, refs):
        with self.committed_env() as env:
            env["oms.channel.order"]._cron_process()
        self.assertEqual(self.staged_states(), dict.fromkeys(refs, "imported"))
        orders = self.sale_orders()
        self.assertEqual(sorted(o["oms_external_ref"] for o in orders), sorted(refs))
        self.assertTrue(all(o["order_line"] and o["state"] == "sale" for o in orders))
        staged = self.read_committed(
            "oms.channel.order",
            [("channel_id", "=", self.channel_id)],
            ["attempts", "error"],
        )
        self.assertEqual({(s["attempts"], s["error"]) for s in staged}, {(0, False)})

    def test_worker_killed_mid_batch_resumes(self):
        """SIGKILL of a worker mid-batch: nothing half-done, the next run does all."""
        refs = [f"K{self.tag}-{i}" for i in range(self.batch)]
        self.stage(*refs)
        worker, backend = self._start_worker()
        worker.send_signal(signal.SIGKILL)
        worker.wait(60)
        self.assertEqual(worker.returncode, -signal.SIGKILL)
        self._wait_backend_gone(backend)
        self._assert_nothing_half_done(refs)
        self._assert_resumed_exactly_once(refs)

    def test_connection_dropped_mid_batch_resumes(self):
        """The worker's connection terminated mid-batch: its batch is rolled back."""
        refs = [f"K{self.tag}-{i}" for i in range(self.batch)]
        self.stage(*refs)
        worker, backend = self._start_worker()
        terminated = self.read_sql("SELECT pg_terminate_backend(%s)", backend)
        self.assertEqual(terminated, [(True,)])
        self._wait_backend_gone(backend)
        worker.stdin.write("go on\n")
        worker.stdin.flush()
        worker.wait(120)
        self.assertNotEqual(worker.returncode, 0, "the worker cannot commit its batch")
        self._assert_nothing_half_done(refs)
        self._assert_resumed_exactly_once(refs)


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestPlatformApiFaults(OmsChannelsCommon):
    """The pull cron against a real local HTTP server that fails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["oms.channel"].search([("api_url", "!=", False)]).api_url = False
        cls.order = {
            "id": "PULL-1",
            "customer": {"name": "Pull buyer", "email": "pull@example.com"},
            "shipping": {
                "name": "Pull buyer",
                "street": "1 Main St",
                "city": "Austin",
                "country": "US",
            },
            "lines": [{"sku": "SKU-A", "quantity": 1, "price": "1"}],
            "currency": "USD",
        }

    def setUp(self):
        super().setUp()
        self.sleeps = []
        patcher = patch.object(adapter_base.time, "sleep", self.sleeps.append)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _staged(self, channel):
        return self.env["oms.channel.order"].search([("channel_id", "=", channel.id)])

    def test_pull_retries_5xx_with_backoff(self):
        """500, 502, 503 then 200: the order is staged after 1, 2, 4 s back-off."""
        with FakePlatform() as platform:
            platform.add(
                "GET",
                "/orders",
                (500, {}, {}),
                (502, {}, {}),
                (503, {}, {}),
                (200, {}, {"orders": [self.order]}),
            )
            self.rest.api_url = platform.url + "/orders"
            with mute_logger(ADAPTER_LOG):
                self.env["oms.channel"]._cron_sync_orders()
        self.assertEqual(len(platform.requests), 4)
        self.assertEqual(self.sleeps, [1.0, 2.0, 4.0])
        self.assertEqual(self._staged(self.rest).external_ref, "PULL-1")
        self.assertTrue(self.rest.last_sync_date)

    def test_pull_retries_timeouts(self):
        """Two answers slower than the timeout, then a fast one: staged, not lost."""
        answer = (200, {}, {"orders": [self.order]})
        with (
            FakePlatform() as platform,
            patch.object(adapter_base, "TIMEOUT", 0.5),
        ):
            platform.add("GET", "/orders", (*answer, 1.5), (*answer, 1.5), answer)
            self.rest.api_url = platform.url + "/orders"
            with mute_logger(ADAPTER_LOG):
                self.env["oms.channel"]._cron_sync_orders()
        self.assertEqual(len(platform.requests), 3)
        self.assertEqual(self.sleeps, [1.0, 2.0])
        self.assertEqual(self._staged(self.rest).external_ref, "PULL-1")

    def test_failing_pull_keeps_cursor_and_loses_nothing(self):
        """A pull failing (even on page 2) keeps the cursor; the next run gets all."""
        since = "2024-05-01 00:00:00"
        self.woo.last_sync_date = since
        first = {"id": 901, "line_items": [{"sku": "SKU-A", "quantity": 1}]}
        second = {"id": 902, "line_items": [{"sku": "SKU-B", "quantity": 1}]}
        with FakePlatform() as platform:
            platform.add(
                "GET",
                "/wp-json/wc/v3/orders",
                (200, {"X-WP-TotalPages": "2"}, [first]),
                (500, {}, {}),
            )
            self.woo.api_url = platform.url
            with mute_logger(ADAPTER_LOG, CHANNEL_LOG):
                self.env["oms.channel"]._cron_sync_orders()  # never raises
        self.assertEqual(
            len(platform.requests), 2 + adapter_base.ChannelAdapter.max_retries
        )
        self.assertEqual(str(self.woo.last_sync_date), since, "cursor untouched")
        self.assertFalse(self._staged(self.woo), "page 1 is not half-staged")
        with FakePlatform() as platform:
            platform.add(
                "GET",
                "/wp-json/wc/v3/orders",
                (200, {"X-WP-TotalPages": "2"}, [first]),
                (200, {"X-WP-TotalPages": "2"}, [second]),
            )
            self.woo.api_url = platform.url
            self.env["oms.channel"]._cron_sync_orders()
        self.assertIn("modified_after=2024-05-01T00%3A00%3A00", platform.requests[0][1])
        self.assertEqual(
            sorted(self._staged(self.woo).mapped("external_ref")), ["901", "902"]
        )
        self.assertGreater(str(self.woo.last_sync_date), since)

    def test_pull_conflict_keeps_cursor(self):
        """A serialization failure during the pull: no cron error, nothing lost."""
        conflicting, calls = conflicting_once(OmsChannelOrderQueue._stage)

        with FakePlatform() as platform:
            platform.add("GET", "/orders", (200, {}, {"orders": [self.order]}))
            self.rest.api_url = platform.url + "/orders"
            with (
                patch.object(OmsChannelOrderQueue, "_stage", conflicting),
                mute_logger("odoo.sql_db"),
            ):
                self.env["oms.channel"]._cron_sync_orders()  # never raises
                self.assertFalse(self.rest.last_sync_date)
                self.assertFalse(self._staged(self.rest))
                self.env["oms.channel"]._cron_sync_orders()
        self.assertEqual(self._staged(self.rest).external_ref, "PULL-1")
        self.assertTrue(self.rest.last_sync_date)
