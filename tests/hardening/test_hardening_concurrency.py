"""Concurrency: several workers at once on real, committed data.

Requirement of issue #7, then its test(s):

- two workers processing the same staged orders:
  test_two_workers_drain_one_queue_exactly_once
- the same webhook twice at the same moment:
  test_same_webhook_twice_at_once_over_http
- webhook and pull racing on one order:
  test_webhook_and_pull_race_make_one_order
- the last-unit race (through the intake):
  test_last_unit_race_through_the_intake
- serialization error never reaches the user:
  every test (no failed record, no exception, no 500); the retries are
  test_conflict_is_retried_not_failed (cron) and
  test_webhook_conflict_is_retried_not_500 (webhook)

oms_core's own last-unit races (review only, confirmation only) are
addons/oms_core/tests/test_stock_concurrency.py and test_fulfil_race.py.
"""

import json
from unittest.mock import patch

import requests

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.oms_channels.intake.importer import OrderImporter
from odoo.addons.oms_channels.models.oms_channel_order_queue import (
    OmsChannelOrderQueue,
)
from odoo.addons.oms_channels.tests.common import FakePlatform

from .common import RAISE_SERIALIZATION_FAILURE, CommittedChannelCase, order_payload

QUIET = ("odoo.sql_db", "odoo.service.model", "odoo.http")


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestHardeningConcurrency(CommittedChannelCase):
    def test_two_workers_drain_one_queue_exactly_once(self):
        """Two cron workers on one queue of 8 orders: 8 sale orders, none twice."""
        refs = [f"Q{self.tag}-{i}" for i in range(8)]
        self.stage(*refs)
        with mute_logger(*QUIET):
            first, second = self.run_in_threads(
                lambda: self.cron_worker(None), lambda: self.cron_worker(None)
            )
        # a row met by both is one whose first try conflicted and was queued again
        self.assertEqual(len(set(first) | set(second)), 8)
        self.assertEqual(set(self.staged_states().values()), {"imported"})
        orders = self.sale_orders()
        self.assertEqual(sorted(o["oms_external_ref"] for o in orders), sorted(refs))
        self.assertEqual({o["state"] for o in orders}, {"sale"})

    def test_same_webhook_twice_at_once_over_http(self):
        """One signed body posted twice at the same moment: both 200, one record."""
        body = json.dumps(order_payload(f"W{self.tag}", self.sku)).encode()

        def deliver():
            return requests.post(
                self.webhook_url(), data=body, headers=self.signed(body), timeout=60
            )

        with mute_logger(*QUIET):
            answers = self.run_in_threads(deliver, deliver)
        self.assertEqual([a.status_code for a in answers], [200, 200])
        self.assertEqual(self.staged_states(), {f"W{self.tag}": "received"})
        with mute_logger(*QUIET):
            self.run_in_threads(
                lambda: self.cron_worker(None), lambda: self.cron_worker(None)
            )
        self.assertEqual(self.staged_states(), {f"W{self.tag}": "imported"})
        self.assertEqual(len(self.sale_orders()), 1)

    def test_webhook_conflict_is_retried_not_500(self):
        """A serialization failure while the webhook stores: retried, answered 200."""
        body = json.dumps(order_payload(f"C{self.tag}", self.sku)).encode()
        original = OmsChannelOrderQueue._stage
        calls = []

        def conflicting(model, *args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                model.env.cr.execute(RAISE_SERIALIZATION_FAILURE)
            return original(model, *args, **kwargs)

        with (
            patch.object(OmsChannelOrderQueue, "_stage", conflicting),
            mute_logger(*QUIET),
        ):
            answer = requests.post(
                self.webhook_url(), data=body, headers=self.signed(body), timeout=60
            )
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(len(calls), 2, "Odoo retried the request once")
        self.assertEqual(self.staged_states(), {f"C{self.tag}": "received"})

    def test_webhook_and_pull_race_make_one_order(self):
        """The platform's webhook and our pull deliver one order at once: one order."""
        ref = f"P{self.tag}"
        document = order_payload(ref, self.sku)
        body = json.dumps(document).encode()
        with FakePlatform() as platform:
            platform.add("GET", "/orders", (200, {}, {"orders": [document]}))
            with self.committed_env() as env:
                env["oms.channel"].browse(self.channel_id).api_url = (
                    platform.url + "/orders"
                )

            def webhook():
                return requests.post(
                    self.webhook_url(), data=body, headers=self.signed(body), timeout=60
                ).status_code

            def pull(env):
                env["oms.channel"].browse(self.channel_id)._sync_orders()

            with mute_logger(*QUIET):
                status, _pulled = self.run_in_threads(webhook, self.in_worker(pull))
        self.assertEqual(status, 200)
        self.assertEqual(len(platform.requests), 1)
        self.assertEqual(self.staged_states(), {ref: "received"})
        with mute_logger(*QUIET):
            self.run_in_threads(
                lambda: self.cron_worker(None), lambda: self.cron_worker(None)
            )
        self.assertEqual(self.staged_states(), {ref: "imported"})
        self.assertEqual([o["oms_external_ref"] for o in self.sale_orders()], [ref])


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestHardeningLastUnit(CommittedChannelCase):
    stock_qty = 1

    def test_last_unit_race_through_the_intake(self):
        """Two channel orders, one unit, two workers at once (the cron, and a
        user pressing *Process now* on the other order; two cron workers never
        take the same channel): one confirmed, one held."""
        refs = [f"L{self.tag}-A", f"L{self.tag}-B"]
        _first, second = self.stage(*refs)

        def cron(env):
            return env["oms.channel.order"]._cron_process(limit=1).ids

        def process_now(env):
            env["oms.channel.order"].browse(second).action_process()
            return [second]

        with mute_logger(*QUIET):
            claimed = self.run_in_threads(
                self.in_worker(cron), self.in_worker(process_now)
            )
            # a conflicting worker leaves its order for the next run of the cron
            self.cron_worker(None)
        self.assertEqual(sorted(len(ids) for ids in claimed), [1, 1])
        self.assertEqual(set(self.staged_states().values()), {"imported"})
        orders = self.read(
            "sale.order",
            [("oms_channel_id", "=", self.channel_id)],
            ["state", "oms_stage"],
        )
        self.assertEqual(
            sorted((o["state"], o["oms_stage"]) for o in orders),
            [("draft", "on_hold"), ("sale", "approved")],
            "exactly one order gets the last unit, the other waits on hold",
        )
        moves = self.read(
            "stock.move",
            [("product_id", "=", self.product_id), ("state", "!=", "cancel")],
            ["product_uom_qty", "quantity"],
        )
        self.assertEqual(sum(m["product_uom_qty"] for m in moves), 1.0, "no oversell")

    def test_conflict_is_retried_not_failed(self):
        """A serialization failure while importing: the order stays queued, no error."""
        ref = f"S{self.tag}"
        self.stage(ref)
        original = OrderImporter.import_batch
        calls = []

        def conflicting(importer, record):
            calls.append(record.id)
            if len(calls) == 1:
                record.env.cr.execute(RAISE_SERIALIZATION_FAILURE)
            return original(importer, record)

        with (
            patch.object(OrderImporter, "import_batch", conflicting),
            mute_logger(*QUIET),
        ):
            with self.committed_env() as env:
                env["oms.channel.order"]._cron_process()
            self.assertEqual(self.staged_states(), {ref: "received"})
            self.cron_worker(None)
        self.assertEqual(len(calls), 2)
        self.assertEqual(self.staged_states(), {ref: "imported"})
        staged = self.read(
            "oms.channel.order",
            [("channel_id", "=", self.channel_id)],
            ["attempts", "error"],
        )
        self.assertEqual((staged[0]["attempts"], staged[0]["error"]), (1, False))
        self.assertEqual(len(self.sale_orders()), 1)
