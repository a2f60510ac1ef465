"""Concurrent workers on real, committed data.

What each test guards:

- two workers processing the same staged orders:
  test_two_workers_drain_one_queue_exactly_once
- the same webhook twice at the same moment:
  test_same_webhook_twice_at_once_over_http
- webhook and pull racing on one order:
  test_webhook_and_pull_race_make_one_order
- the last unit wanted by two orders at once (through the intake):
  test_last_unit_race_confirms_one_order_and_holds_the_other
- serialization error never reaches the user:
  every test (no failed record, no exception, no 500); the retries are
  test_conflict_is_retried_not_failed (cron) and
  test_webhook_conflict_is_retried_not_500 (webhook)
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
from odoo.addons.oms_channels.tests.common import (
    CommittedChannelCase,
    FakePlatform,
    rest_order_payload,
)
from odoo.addons.oms_core.tests.concurrency import conflicting_once

QUIET = ("odoo.sql_db", "odoo.service.model", "odoo.http")


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestConcurrentWorkers(CommittedChannelCase):
    """Workers, webhooks and pulls at the same moment on one channel."""

    def test_two_workers_drain_one_queue_exactly_once(self):
        """Two cron workers on one queue of 8 orders: 8 sale orders, none twice."""
        refs = [f"Q{self.tag}-{i}" for i in range(8)]
        self.stage(*refs)
        with mute_logger(*QUIET):
            first, second = self.run_in_threads(self.drain_queue, self.drain_queue)
        # a row met by both is one whose first try conflicted and was queued again
        self.assertEqual(len(set(first) | set(second)), 8)
        self.assertEqual(set(self.staged_states().values()), {"imported"})
        orders = self.sale_orders()
        self.assertEqual(sorted(o["oms_external_ref"] for o in orders), sorted(refs))
        self.assertEqual({o["state"] for o in orders}, {"sale"})

    def test_same_webhook_twice_at_once_over_http(self):
        """One signed body posted twice at the same moment: both 200, one record."""
        body = json.dumps(rest_order_payload(f"W{self.tag}", self.sku)).encode()

        def deliver():
            return requests.post(
                self.webhook_url(), data=body, headers=self.signed(body), timeout=60
            )

        with mute_logger(*QUIET):
            answers = self.run_in_threads(deliver, deliver)
        self.assertEqual([a.status_code for a in answers], [200, 200])
        self.assertEqual(self.staged_states(), {f"W{self.tag}": "received"})
        with mute_logger(*QUIET):
            self.run_in_threads(self.drain_queue, self.drain_queue)
        self.assertEqual(self.staged_states(), {f"W{self.tag}": "imported"})
        self.assertEqual(len(self.sale_orders()), 1)

    def test_webhook_conflict_is_retried_not_500(self):
        """A serialization failure while the webhook stores: retried, answered 200."""
        body = json.dumps(rest_order_payload(f"C{self.tag}", self.sku)).encode()
        conflicting, calls = conflicting_once(OmsChannelOrderQueue._stage)

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
        document = rest_order_payload(ref, self.sku)
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
            self.run_in_threads(self.drain_queue, self.drain_queue)
        self.assertEqual(self.staged_states(), {ref: "imported"})
        self.assertEqual([o["oms_external_ref"] for o in self.sale_orders()], [ref])


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestLastUnitRace(CommittedChannelCase):
    """One unit in stock, two orders wanting it, two workers at once."""

    stock_qty = 1
    # no reservation at confirmation: only the stock promise protects the unit
    reservation_method = "manual"

    def test_last_unit_race_confirms_one_order_and_holds_the_other(self):
        """Two orders, one unit, two workers at once: one confirmed, one held."""
        # the cron, and a user pressing *Process now* on the other order
        refs = [f"L{self.tag}-A", f"L{self.tag}-B"]
        with self.committed_env() as env:
            # the SKU is mapped already: nothing but the stock promise orders
            # the two workers (a new mapping would make one of them wait)
            env["oms.channel.product"].create(
                {
                    "channel_id": self.channel_id,
                    "external_sku": self.sku,
                    "product_id": self.product_id,
                }
            )
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
            self.drain_queue()
        # Process now takes its order; the cron takes the other one at the same
        # moment, or leaves it while Process now promises the unit (a claim
        # only tries the promise lock of its stock): drained right after
        cron_claimed, processed_now = claimed
        self.assertEqual(processed_now, [second])
        self.assertLessEqual(len(cron_claimed), 1)
        self.assertEqual(set(self.staged_states().values()), {"imported"})
        with self.committed_env() as env:
            orders = env["sale.order"].search(
                [("oms_channel_id", "=", self.channel_id)]
            )
            self.assertEqual(
                sorted(orders.mapped(lambda o: (o.state, o.oms_stage))),
                [("draft", "on_hold"), ("sale", "approved")],
                "exactly one order gets the last unit, the other waits on hold",
            )
            winner = orders.filtered(lambda o: o.state == "sale")
            loser = orders - winner
            exception = loser.oms_exception_ids.filtered(lambda e: e.state == "open")
            self.assertRecordValues(exception, [{"code": "stock", "severity": "block"}])
            self.assertEqual(exception.rule_id.check_type, "stock")
            self.assertFalse(
                winner.oms_exception_ids.filtered(lambda e: e.state == "open")
            )
            self.assertFalse(loser.picking_ids)
            # the unit promised to the winner is there for its delivery
            winner.picking_ids.action_assign()
            self.assertEqual(winner.picking_ids.state, "assigned")
            self.assertEqual(winner.picking_ids.move_ids.quantity, 1)
            moves = env["stock.move"].search(
                [("product_id", "=", self.product_id), ("state", "!=", "cancel")]
            )
            self.assertEqual(sum(moves.mapped("product_uom_qty")), 1.0, "no oversell")


@tagged("post_install", "-at_install", "oms", "oms_hardening")
class TestConflictRetry(CommittedChannelCase):
    """A serialization failure while importing is retried, never shown."""

    def test_conflict_is_retried_not_failed(self):
        """A serialization failure while importing: the order stays queued, no error."""
        ref = f"S{self.tag}"
        self.stage(ref)
        conflicting, calls = conflicting_once(OrderImporter.import_batch)

        with (
            patch.object(OrderImporter, "import_batch", conflicting),
            mute_logger(*QUIET),
        ):
            with self.committed_env() as env:
                env["oms.channel.order"]._cron_process()
            self.assertEqual(self.staged_states(), {ref: "received"})
            self.drain_queue()
        self.assertEqual(len(calls), 2)
        self.assertEqual(self.staged_states(), {ref: "imported"})
        staged = self.read_committed(
            "oms.channel.order",
            [("channel_id", "=", self.channel_id)],
            ["attempts", "error"],
        )
        self.assertEqual((staged[0]["attempts"], staged[0]["error"]), (1, False))
        self.assertEqual(len(self.sale_orders()), 1)
