import json
from unittest.mock import patch

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..intake.importer import OrderImporter
from ..intake.mapper import OrderMapper
from ..models.oms_channel_order_queue import CUSTOMER_LOCK_CLASS
from .common import OmsChannelsCommon


@tagged("post_install", "-at_install", "oms")
class TestBatchImport(OmsChannelsCommon):
    """The cron imports its batch together, with the single path's results and
    per-order error isolation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rest.auto_confirm = True
        cls.rest_alone = cls._create_channel(
            "Mini program 2", "MINI2", "rest_json", kind="api", auto_confirm=True
        )

    @staticmethod
    def _body(ref, sku="SKU-A", qty=2, **values):
        return json.dumps(
            dict(
                {
                    "id": ref,
                    "currency": "USD",
                    "customer": {
                        "id": "batch-1",
                        "name": "Batch Buyer",
                        "email": "batch.buyer@example.com",
                    },
                    "shipping": {
                        "name": "Batch Buyer",
                        "street": "1 Main Street",
                        "city": "Springfield",
                        "zip": "12345",
                        "country": "US",
                    },
                    "lines": [{"sku": sku, "quantity": qty, "price": "3.00"}],
                    "total": str(3 * qty),
                },
                **values,
            )
        )

    def _stage_all(self, channel, bodies):
        Staged = self.env["oms.channel.order"]
        return Staged.concat(*(self._stage(channel, body) for body in bodies))

    def _no_single_path(self):
        """Fail the test if a record goes through the one-by-one path."""
        return patch.object(
            OrderImporter, "import_one", side_effect=AssertionError("one by one")
        )

    def test_batch_gives_the_single_path_result(self):
        """A batch imports, reviews and confirms like one order at a time."""
        bodies = [
            self._body("B-1"),
            self._body("B-2", sku="SKU-B", qty=5),
            self._body("B-3", note="gift"),
        ]
        batch = self._stage_all(self.rest, bodies)
        with self._no_single_path():
            batch._process()
        alone = self._stage_all(self.rest_alone, bodies)
        for record in alone:
            record._process()
        for one, other in zip(batch, alone, strict=True):
            self.assertEqual(one.state, "imported", one.error)
            self.assertEqual(other.state, "imported", other.error)
            first, second = one.sale_order_id, other.sale_order_id
            self.assertEqual(first.oms_external_ref, second.oms_external_ref)
            self.assertEqual(
                (first.state, first.oms_auto_approved, first.amount_total),
                (second.state, second.oms_auto_approved, second.amount_total),
            )
            self.assertEqual(first.state, "sale")
            self.assertEqual(first.partner_id, second.partner_id)
            self.assertEqual(first.partner_shipping_id, second.partner_shipping_id)
            self.assertEqual(
                first.order_line.mapped(
                    lambda line: (line.product_id, line.price_unit)
                ),
                second.order_line.mapped(
                    lambda line: (line.product_id, line.price_unit)
                ),
            )
            self.assertEqual(len(first.picking_ids), 1)
            for order, record in ((first, one), (second, other)):
                origin = f'data-oe-id="{record.id}"'
                self.assertTrue(
                    order.message_ids.filtered(lambda m, o=origin: o in m.body),
                    "the order links to its staged record",
                )
            self.assertEqual(
                first.picking_ids.move_ids.product_uom_qty,
                second.picking_ids.move_ids.product_uom_qty,
            )

    def test_bad_order_does_not_block_the_batch(self):
        """An unmappable order fails alone; the others of the batch import."""
        batch = self._stage_all(
            self.rest,
            [self._body("C-1"), self._body("C-2", sku="UNKNOWN"), self._body("C-3")],
        )
        with self._no_single_path():
            batch._process()
        self.assertEqual(batch.mapped("state"), ["imported", "failed", "imported"])
        self.assertIn("Unknown product", batch[1].error_display)
        self.assertFalse(batch[1].sale_order_id)
        # an unknown SKU waits for a person, not for the cron's retry
        self.assertFalse(batch[1].next_retry_date)
        self.assertEqual(batch[1].error_kind, "permanent")
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("oms_channel_id", "=", self.rest.id)]
            ),
            2,
        )

    def test_failing_batch_falls_back_to_one_by_one(self):
        """A batch failing late is imported one by one: only the bad order fails."""
        # an error after the orders are created rolls the batch back
        register = type(self.rest)._register_channel_payment

        def register_or_fail(channel, order, normalized):
            if normalized.external_ref == "D-2":
                raise UserError(channel.env._("the payment provider is down"))
            return register(channel, order, normalized)

        batch = self._stage_all(
            self.rest,
            [self._body("D-1"), self._body("D-2", paid=True), self._body("D-3")],
        )
        with (
            mute_logger("odoo.addons.oms_channels.models.oms_channel_order_queue"),
            patch.object(
                type(self.rest), "_register_channel_payment", register_or_fail
            ),
        ):
            batch._process()
        self.assertEqual(batch.mapped("state"), ["imported", "failed", "imported"])
        self.assertIn("payment provider is down", batch[1].error_display)
        self.assertEqual(
            self.env["sale.order"]
            .search([("oms_channel_id", "=", self.rest.id)])
            .mapped("oms_external_ref"),
            ["D-3", "D-1"],
        )

    def test_duplicate_and_cancelled_in_batch(self):
        """Known orders become duplicates; cancelled ones are imported cancelled."""
        existing = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "c"}).id,
                "oms_channel_id": self.rest.id,
                "oms_external_ref": "E-1",
            }
        )
        batch = self._stage_all(
            self.rest,
            [self._body("E-1"), self._body("E-2", cancelled=True), self._body("E-3")],
        )
        with self._no_single_path():
            batch._process()
        self.assertEqual(batch.mapped("state"), ["duplicate", "imported", "imported"])
        self.assertEqual(batch[0].sale_order_id, existing)
        self.assertEqual(batch[1].sale_order_id.state, "cancel")
        self.assertTrue(batch[1].is_cancel_done)
        self.assertEqual(batch[2].sale_order_id.state, "sale")

    def test_mapping_race_defers_the_order(self):
        """A mapping another worker just created leaves the order for later."""
        # unique violation: deferred, not failed
        batch = self._stage_all(self.rest, [self._body("F-1"), self._body("F-2")])
        prepare = OrderMapper.prepare_sale_order_vals
        raced = []

        def racing_prepare(mapper, normalized):
            if normalized.external_ref == "F-1" and not raced:
                raced.append(normalized.external_ref)
                raise psycopg2.errors.UniqueViolation()
            return prepare(mapper, normalized)

        with patch.object(OrderMapper, "prepare_sale_order_vals", racing_prepare):
            batch._process()
        self.assertEqual(batch.mapped("state"), ["received", "imported"])
        self.assertEqual(batch[0].attempts, 1)
        self.assertFalse(batch[0].error)
        self.env["oms.channel.order"]._cron_process()
        self.assertEqual(batch[0].state, "imported")

    def test_batch_reads_bindings_once(self):
        """A batch reads its product and customer bindings in one query each."""
        # not per line or order
        self.env["oms.channel.product"].create(
            {
                "channel_id": self.rest.id,
                "external_sku": "SKU-A",
                "product_id": self.products["SKU-A"].id,
            }
        )
        buyer = self.env["res.partner"].create({"name": "Bound Buyer"})
        self.env["oms.channel.customer"].create(
            {
                "channel_id": self.rest.id,
                "external_id": "batch-1",
                "partner_id": buyer.id,
            }
        )
        batch = self._stage_all(
            self.rest, [self._body(f"G-{i}", qty=1) for i in range(3)]
        )
        searches = {"external_sku": [], "external_id": []}

        def counting(Model):
            search = Model.search

            def counting_search(records, domain, *args, **kwargs):
                for leaf in domain:
                    if len(leaf) == 3 and leaf[0] in searches:
                        searches[leaf[0]].append(domain)
                return search(records, domain, *args, **kwargs)

            return patch.object(Model, "search", counting_search)

        with (
            self._no_single_path(),
            counting(type(self.env["oms.channel.product"])),
            counting(type(self.env["oms.channel.customer"])),
        ):
            batch._process()
        self.assertEqual(batch.mapped("state"), ["imported"] * 3)
        self.assertEqual(len(searches["external_sku"]), 1, searches)
        self.assertEqual(len(searches["external_id"]), 1, searches)
        self.assertEqual(
            batch.sale_order_id.order_line.product_id, self.products["SKU-A"]
        )
        self.assertEqual(batch.sale_order_id.partner_id, buyer)

    def test_intake_logs_origin_and_confirmation(self):
        """Intake logs each order's origin and confirmation, without field tracking."""
        # the salesperson and the customer follow the order
        salesperson = self.env["res.users"].create(
            {"name": "Channel rep", "login": "channel.rep@example.com"}
        )
        self.rest.user_id = salesperson
        self.rest_alone.user_id = salesperson
        # mail as in production (the test class disables it)
        env = self.env(context={"lang": "en_US"})
        batch = self._stage_all(
            self.rest, [self._body("M-1"), self._body("M-2")]
        ).with_env(env)
        alone = self._stage(self.rest_alone, self._body("M-3")).with_env(env)
        with self._no_single_path():
            batch._process()
        alone._process()
        for record in batch | alone:
            order = record.sale_order_id
            self.assertEqual(order.state, "sale", record.error)
            messages = order.message_ids
            self.assertFalse(messages.tracking_value_ids, "no field tracking")
            self.assertFalse(record.message_ids.tracking_value_ids)
            self.assertTrue(
                messages.filtered(lambda m: "Confirmed automatically" in m.body)
            )
            self.assertTrue(
                messages.filtered(lambda m, r=record: f'data-oe-id="{r.id}"' in m.body)
            )
            self.assertIn(order.partner_id, order.message_partner_ids)
            self.assertIn(salesperson.partner_id, order.message_partner_ids)

    @staticmethod
    def _customer_keys(keys):
        return {key for key in keys if key[0] == CUSTOMER_LOCK_CLASS}

    def test_two_workers_never_create_the_same_customer(self):
        """Two orders of a customer the shop has not sent before need different
        stock: while one worker creates that customer, the other leaves both
        orders; once it committed, the next order finds the customer, and a
        bound customer holds nothing back."""
        orders = self._stage_all(
            self.rest, [self._body("N-1"), self._body("N-2", sku="SKU-B")]
        )
        Staged = self.env["oms.channel.order"]
        keys = orders._get_partition_keys()
        customer = self._customer_keys(keys[orders[0].id])
        self.assertTrue(customer)
        self.assertEqual(self._customer_keys(keys[orders[1].id]), customer)
        with self.registry.cursor() as other_worker:
            for key in sorted(customer):
                other_worker.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
            self.assertFalse(Staged._cron_process(), "the customer is being created")
            self.assertEqual(orders.mapped("state"), ["received"] * 2)
        # the claim leaves half of the keys to another worker: two batches
        self.assertEqual(Staged._cron_process() | Staged._cron_process(), orders)
        self.assertEqual(
            orders.mapped("state"), ["imported"] * 2, orders.mapped("error")
        )
        self.assertEqual(len(orders.sale_order_id.partner_id), 1)
        later = self._stage(self.rest, self._body("N-3"))
        self.assertFalse(self._customer_keys(later._get_partition_keys()[later.id]))

    def test_copies_of_the_processing_cron_are_triggered_too(self):
        """A copy of the processing cron is one more worker on the queue: a
        trigger wakes both."""
        cron = self.env.ref("oms_channels.ir_cron_oms_channel_order_process")
        copy = cron.copy({"name": "OMS: process staged channel orders, worker 2"})
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([]).ids
        self.env["oms.channel.order"]._trigger_processing()
        self.assertEqual(
            Trigger.search([("id", "not in", before)]).cron_id, cron | copy
        )

    def test_claims_parse_each_staged_payload_once(self):
        """A claim reads a window of several batches: the next claims find
        the SKUs of the orders it read without parsing their payloads again."""
        staged = self._stage_all(
            self.rest, [self._body("P-1"), self._body("P-2", sku="SKU-B")]
        )
        Staged = self.env["oms.channel.order"].browse(staged.ids)
        module = "odoo.addons.oms_channels.models.oms_channel_order_queue"
        first = Staged._get_partition_keys()
        with patch(f"{module}.loads", side_effect=AssertionError("parsed again")):
            self.assertEqual(Staged._get_partition_keys(), first)
        self.assertEqual(
            first[staged[1].id] - self._customer_keys(first[staged[1].id]),
            {(self.products["SKU-B"].id, self.warehouse.id)},
        )

    def test_cron_skips_the_orders_whose_stock_another_worker_promises(self):
        """While another worker promises SKU-A, the cron takes the orders of the
        same channel that need other stock, and SKU-A's once it is free."""
        first = self._stage_all(self.rest, [self._body("W-1"), self._body("W-2")])
        second = self._stage(self.rest, self._body("W-3", sku="SKU-B"))
        Staged = self.env["oms.channel.order"]
        key = (self.products["SKU-A"].id, self.warehouse.id)
        keys = Staged.browse(first.ids + second.ids)._get_partition_keys()
        customer = self._customer_keys(keys[second.id])
        self.assertEqual(len(customer), 2, "the new customer's id and e-mail")
        self.assertEqual(
            keys,
            {
                first[0].id: {key} | customer,
                first[1].id: {key} | customer,
                second.id: {(self.products["SKU-B"].id, self.warehouse.id)} | customer,
            },
        )
        with self.registry.cursor() as other_worker:
            other_worker.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
            self.assertEqual(Staged._cron_process(), second)
            self.assertEqual(first.mapped("state"), ["received"] * 2)
            self.assertFalse(Staged._cron_process(), "SKU-A is being promised")
        self.assertEqual(second.state, "imported", second.error)
        self.assertEqual(Staged._cron_process(), first, "SKU-A is free again")
