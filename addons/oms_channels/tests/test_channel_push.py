import json
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..adapters.base import hmac_b64
from .common import (
    FakePlatform,
    FakeShopifyOrder,
    FakeWooOrder,
    OmsChannelsCommon,
    read_data,
    rest_order_payload,
)

GREEN, RED, BLACK = 466157049, 518995019, 703073504


@tagged("post_install", "-at_install", "oms")
class OmsPushCommon(OmsChannelsCommon):
    """Channel orders of Shopify, WooCommerce and REST-JSON ready to ship."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for product in cls.products.values():
            cls._set_stock(product, 20)
        cls.Outbox = cls.env["oms.channel.outbox"]

    def _shopify_order(self, green=3):
        """The Shopify sample order (3 iPods, ``green`` green ones), confirmed."""
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["line_items"][0]["quantity"] = green
        order = self._import(self.shopify, json.dumps(data)).sale_order_id
        if order.state == "draft":
            order.action_confirm()
        self.assertEqual(order.state, "sale")
        return order

    def _shop(self, platform, green=3):
        self.shopify.api_url = platform.url
        return FakeShopifyOrder(
            450789469,
            [(GREEN, 39072856, green), (RED, 49148385, 1), (BLACK, 457924702, 1)],
        ).install(platform)

    def _woo_order(self):
        """The WooCommerce sample order (2 × SKU-A, 1 × Bar3), paid, confirmed."""
        self.env["oms.channel.product"].create(
            {
                "channel_id": self.woo.id,
                "external_sku": "woo-93",
                "external_product_ref": "93",
                "product_id": self.products["SKU-A"].id,
            }
        )
        with patch.object(
            type(self.env["sale.order"]), "_oms_register_external_payment"
        ):
            order = self._import(
                self.woo, read_data("order_v3_retrieve.json")
            ).sale_order_id
        if order.state == "draft":
            order.action_confirm()
        return order

    def _ship_tracked(self, picking, tracking, quantities=None):
        picking.write({"carrier_id": self.carrier.id, "carrier_tracking_ref": tracking})
        return self._ship(picking, quantities)

    def _send(self):
        return self.Outbox._cron_send()

    def _credit_note(self, order, quantities):
        vals = order._prepare_invoice()
        vals.update(
            {
                "move_type": "out_refund",
                "invoice_line_ids": [
                    Command.create(line._prepare_invoice_line(quantity=quantity))
                    for line, quantity in quantities.items()
                ],
            }
        )
        credit_note = self.env["account.move"].create(vals)
        credit_note.action_post()
        return credit_note

    def _pay(self, move):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"journal_id": self.journal.id})._create_payments()

    @staticmethod
    def _shipped(fulfillment):
        return {(item["id"], item["quantity"]) for item in fulfillment["line_items"]}


@tagged("post_install", "-at_install", "oms")
class TestFulfilmentPush(OmsPushCommon):
    def test_partial_delivery_sends_shipped_lines_then_the_rest(self):
        """Two of three green iPods and the red one ship: Shopify gets exactly
        those through its fulfilment order; the backorder ships the rest."""
        order = self._shopify_order()
        picking = order.picking_ids
        green = self.products["IPOD2008GREEN"]
        black = self.products["IPOD2008BLACK"]
        self._ship_tracked(picking, "1Z001", {green: 2, black: 0})
        backorder = order.picking_ids - picking
        self.assertTrue(backorder)
        with FakePlatform() as platform:
            shop = self._shop(platform)
            self._send()
            self.assertEqual(len(shop.fulfillments), 1)
            first = shop.fulfillments[0]
            self.assertEqual(self._shipped(first), {(GREEN, 2), (RED, 1)})
            self.assertEqual(first["tracking_number"], "1Z001")
            self.assertEqual(shop.fulfillment_order["status"], "in_progress")
            self._ship_tracked(backorder, "1Z002")
            self._send()
        second = shop.fulfillments[1]
        self.assertEqual(self._shipped(second), {(GREEN, 1), (BLACK, 1)})
        self.assertEqual(shop.fulfillment_order["status"], "closed")
        self.assertRecordValues(
            order.oms_outbox_ids.sorted("id"),
            [
                {
                    "picking_id": picking.id,
                    "state": "sent",
                    "platform_ref": "255858046",
                },
                {
                    "picking_id": backorder.id,
                    "state": "sent",
                    "platform_ref": "255858047",
                },
            ],
        )
        self.assertEqual(picking.oms_channel_sync_state, "done")
        self.assertIn("sent to Shopify shop at", order.oms_outbox_ids[0].status_text)

    def test_woocommerce_partial_status_then_completed(self):
        """WooCommerce: a partial delivery sets the channel's partial status with
        a note of the shipped lines; `completed` only once everything shipped."""
        self.woo.fulfilment_partial_status = "partially-shipped"
        order = self._woo_order()
        picking = order.picking_ids
        self._ship_tracked(picking, "SF1", {self.products["SKU-A"]: 1})
        with FakePlatform() as platform:
            shop = FakeWooOrder(727).install(platform)
            self.woo.api_url = platform.url
            self._send()
            self.assertEqual(shop.statuses, ["partially-shipped"])
            self.assertIn("1 × woo-93", shop.notes[0]["note"])
            self.assertIn("1 × Bar3", shop.notes[0]["note"])
            self.assertIn("SF1", shop.notes[0]["note"])
            self.assertTrue(shop.notes[0]["customer_note"])
            self._ship_tracked(order.picking_ids - picking, "SF2")
            self._send()
        self.assertEqual(shop.statuses, ["partially-shipped", "completed"])
        self.assertIn("1 × woo-93", shop.notes[1]["note"])
        self.assertNotIn("Bar3", shop.notes[1]["note"])

    def test_woocommerce_partial_delivery_without_partial_status(self):
        """Without a partial status the order's status stays until complete."""
        order = self._woo_order()
        self._ship_tracked(order.picking_ids, "SF1", {self.products["SKU-A"]: 1})
        with FakePlatform() as platform:
            shop = FakeWooOrder(727).install(platform)
            self.woo.api_url = platform.url
            self._send()
        self.assertEqual(shop.statuses, [])
        self.assertEqual(len(shop.notes), 1)


@tagged("post_install", "-at_install", "oms")
class TestCancelPush(OmsPushCommon):
    def _cancel(self, order, reason):
        self.env["oms.order.cancel"].create(
            {"order_ids": [Command.set(order.ids)], "reason_id": reason.id}
        ).action_confirm()

    def test_cancel_with_reason_is_pushed_to_shopify(self):
        """A cancellation in Odoo: Shopify's cancel with the reason's platform
        code and the channel's restock choice."""
        reason = self.env["oms.cancel.reason"].create(
            {"name": "Customer changed their mind", "oms_platform_reason": "customer"}
        )
        self.shopify.cancel_restock = False
        order = self._shopify_order()
        self._cancel(order, reason)
        self.assertEqual(order.state, "cancel")
        with FakePlatform() as platform:
            shop = self._shop(platform)
            self._send()
        self.assertEqual(
            shop.cancel, {"reason": "customer", "restock": False, "email": True}
        )
        self.assertEqual(order.oms_outbox_ids.state, "sent")

    def test_cancel_is_pushed_to_woocommerce_with_reason_note(self):
        """WooCommerce: status `cancelled` and a private note with the reason."""
        reason = self.env["oms.cancel.reason"].create({"name": "Out of stock"})
        order = self._woo_order()
        self._cancel(order, reason)
        with FakePlatform() as platform:
            shop = FakeWooOrder(727).install(platform)
            self.woo.api_url = platform.url
            self._send()
        self.assertEqual(shop.statuses, ["cancelled"])
        self.assertIn("Out of stock", shop.notes[0]["note"])
        self.assertFalse(shop.notes[0]["customer_note"])

    def test_cancellation_from_the_channel_is_not_sent_back(self):
        """An order the shop cancelled is cancelled in Odoo, nothing is sent."""
        order = self._shopify_order()
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["cancelled_at"] = "2024-05-01T10:00:00-04:00"
        data["order"]["line_items"][0]["quantity"] = 3
        self._stage(self.shopify, json.dumps(data))
        self.env["oms.channel.order"]._cron_process()
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.oms_outbox_ids)


@tagged("post_install", "-at_install", "oms")
class TestRefunds(OmsPushCommon):
    def _refund_webhook(self, body):
        raw = json.dumps(body).encode()
        headers = {
            "X-Shopify-Topic": "refunds/create",
            "X-Shopify-Hmac-Sha256": hmac_b64("SHOPIFY-secret", raw),
        }
        return self.shopify._oms_receive_webhook(headers, raw)

    def _platform_refund(self, restock_type, refund_id=929361462, quantity=1):
        return {
            "id": refund_id,
            "order_id": 450789469,
            "created_at": "2024-05-02T10:00:00-04:00",
            "note": "Damaged in transit",
            "restock": False,
            "refund_line_items": [
                {
                    "id": 104689539,
                    "quantity": quantity,
                    "line_item_id": GREEN,
                    "location_id": 40642626,
                    "restock_type": restock_type,
                    "subtotal": "199.00",
                    "total_tax": "0.00",
                    "line_item": {
                        "id": GREEN,
                        "variant_id": 39072856,
                        "sku": "IPOD2008GREEN",
                        "name": "IPod Nano - 8gb - green",
                    },
                }
            ],
            "transactions": [
                {
                    "id": 245135,
                    "amount": "199.00",
                    "kind": "refund",
                    "status": "success",
                }
            ],
        }

    def test_odoo_refund_is_pushed_with_its_lines(self):
        """A paid credit note of one green iPod: Shopify gets a refund of that
        line item with the calculated transaction, once."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        green_line = order.order_line.filtered(
            lambda ln: ln.product_id == self.products["IPOD2008GREEN"]
        )
        credit_note = self._credit_note(order, {green_line: 1})
        self.assertFalse(credit_note.oms_outbox_ids, "not paid yet: nothing sent")
        self._pay(credit_note)
        self.assertEqual(credit_note.oms_outbox_ids.kind, "refund")
        with FakePlatform() as platform:
            shop = self._shop(platform)
            self._send()
        refund = shop.refunds[0]
        self.assertEqual(
            refund["refund_line_items"],
            [{"line_item_id": GREEN, "quantity": 1, "restock_type": "no_restock"}],
        )
        self.assertEqual(refund["transactions"][0]["parent_id"], 801038806)
        self.assertEqual(
            float(refund["transactions"][0]["amount"]), credit_note.amount_total
        )
        self.assertIn(credit_note.oms_outbox_ids.idempotency_id, refund["note"])

    def test_odoo_refund_is_pushed_to_woocommerce(self):
        """WooCommerce: `orders/{id}/refunds` with the line items."""
        order = self._woo_order()
        self._ship_tracked(order.picking_ids, "SF1")
        line = order.order_line.filtered(
            lambda ln: ln.product_id == self.products["SKU-A"]
        )
        credit_note = self._credit_note(order, {line: 1})
        self._pay(credit_note)
        with FakePlatform() as platform:
            shop = FakeWooOrder(727).install(platform)
            self.woo.api_url = platform.url
            self._send()
        refund = shop.refunds[0]
        self.assertEqual(
            [(i["id"], i["quantity"]) for i in refund["line_items"]], [(315, 1)]
        )
        self.assertEqual(float(refund["amount"]), credit_note.amount_total)

    def test_platform_refund_becomes_a_credit_note_and_expected_return(self):
        """Shopify `refunds/create` of a shipped, returned item: a posted credit
        note (recorded once) and a return waiting for the goods."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        status, _message, _ids = self._refund_webhook(self._platform_refund("return"))
        self.assertEqual(status, 200)
        credit_note = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertRecordValues(
            credit_note,
            [{"state": "posted", "oms_channel_refund_ref": "929361462"}],
        )
        self.assertEqual(credit_note.invoice_line_ids.quantity, 1)
        self.assertEqual(
            credit_note.invoice_line_ids.product_id, self.products["IPOD2008GREEN"]
        )
        ret = self.env["oms.return"].search([("order_id", "=", order.id)])
        self.assertRecordValues(
            ret, [{"state": "receiving", "credit_note_id": credit_note.id}]
        )
        self.assertEqual(ret.line_ids.quantity, 1)
        # delivered again: still one credit note, and none is sent back
        self._refund_webhook(self._platform_refund("return"))
        self.assertEqual(
            len(order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")), 1
        )
        self.assertFalse(order.oms_outbox_ids.filtered(lambda r: r.kind == "refund"))

    def test_refund_sent_from_odoo_is_not_recorded_again(self):
        """The shop echoes our own refund in `refunds/create`: it is ignored."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        line = order.order_line.filtered(
            lambda ln: ln.product_id == self.products["IPOD2008GREEN"]
        )
        credit_note = self._credit_note(order, {line: 1})
        self._pay(credit_note)
        echo = self._platform_refund("no_restock")
        echo["note"] = f"x [oms:{credit_note.oms_outbox_ids.idempotency_id}]"
        self._refund_webhook(echo)
        self.assertEqual(
            order.invoice_ids.filtered(lambda m: m.move_type == "out_refund"),
            credit_note,
        )

    def test_refund_before_shipment_holds_the_delivery(self):
        """A refund on the shop before shipment intercepts the delivery: it
        cannot be validated and the order shows in the hold queue."""
        order = self._shopify_order()
        self._refund_webhook(self._platform_refund("cancel"))
        picking = order.picking_ids
        self.assertTrue(picking.oms_on_hold)
        with self.assertRaises(UserError):
            self._ship_tracked(picking, "1Z001")
        self.assertEqual(picking.state, "assigned")
        # the hold queue lists the open exceptions (its default filter)
        held = self.env["oms.exception"].search(
            [
                ("state", "=", "open"),
                ("order_id", "=", order.id),
                ("code", "=", "channel_refund_before_shipment"),
            ]
        )
        self.assertRecordValues(held, [{"state": "open", "severity": "block"}])
        self.assertFalse(self.env["oms.return"].search([("order_id", "=", order.id)]))

    def test_woocommerce_refunds_are_pulled_with_the_orders(self):
        """WooCommerce has no refund webhook: the pull reads an order's refunds."""
        order = self._woo_order()
        self._ship_tracked(order.picking_ids, "SF1")
        data = json.loads(read_data("order_v3_retrieve.json"))
        data["refunds"] = [{"id": 731, "reason": "Broken", "total": "-3.00"}]
        refund = {
            "id": 731,
            "reason": "Broken",
            "amount": "3.00",
            "meta_data": [],
            "line_items": [
                {
                    "id": 320,
                    "name": "Woo Single #1",
                    "product_id": 93,
                    "variation_id": 0,
                    "quantity": -1,
                    "total": "-3.00",
                    "total_tax": "0.00",
                    "sku": "",
                    "meta_data": [{"key": "_refunded_item_id", "value": "315"}],
                }
            ],
        }
        with FakePlatform() as platform:
            platform.add("GET", "/wp-json/wc/v3/orders", (200, {}, [data]))
            platform.add(
                "GET", "/wp-json/wc/v3/orders/727/refunds", (200, {}, [refund])
            )
            self.woo.api_url = platform.url
            self.woo.action_sync_orders()
            self.woo.action_sync_orders()
        credit_note = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.oms_channel_refund_ref, "731")
        self.assertEqual(
            credit_note.invoice_line_ids.product_id, self.products["SKU-A"]
        )


@tagged("post_install", "-at_install", "oms")
class TestOutbox(OmsPushCommon):
    def test_fulfilment_retried_after_lost_answer_is_sent_once(self):
        """Shopify processes the fulfilment but answers 500: the outbox retries
        later, finds the fulfilment by its tracking number and creates none."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        record = order.oms_outbox_ids
        with FakePlatform() as platform:
            shop = self._shop(platform)
            shop.lose("POST", "fulfillments")
            self._send()
            self.assertRecordValues(record, [{"state": "pending", "attempts": 1}])
            self.assertIn("HTTP 500", record.last_error)
            self.assertGreater(record.next_try_date, fields.Datetime.now())
            self.assertFalse(self._send(), "not due before its back-off")
            with freeze_time(fields.Datetime.now() + timedelta(minutes=3)):
                self._send()
        self.assertEqual(len(shop.fulfillments), 1)
        self.assertRecordValues(
            record, [{"state": "sent", "attempts": 2, "platform_ref": "255858046"}]
        )

    def test_refund_retried_after_lost_answer_is_sent_once(self):
        """Shopify and WooCommerce refunds carry the key: a retry after a lost
        answer finds the refund instead of refunding twice."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        line = order.order_line.filtered(
            lambda ln: ln.product_id == self.products["IPOD2008GREEN"]
        )
        refunds = self._credit_note(order, {line: 1})
        self._pay(refunds)
        woo_order = self._woo_order()
        self._ship_tracked(woo_order.picking_ids, "SF1")
        woo_line = woo_order.order_line.filtered(
            lambda ln: ln.product_id == self.products["SKU-A"]
        )
        woo_refund = self._credit_note(woo_order, {woo_line: 1})
        self._pay(woo_refund)
        records = refunds.oms_outbox_ids | woo_refund.oms_outbox_ids
        with FakePlatform() as platform:
            shop = self._shop(platform)
            woo = FakeWooOrder(727).install(platform)
            self.woo.api_url = platform.url
            shop.lose("POST", "refunds")
            woo.lose("POST", "refunds")
            self._send()
            self.assertEqual(records.mapped("state"), ["pending", "pending"])
            records.action_retry()
        self.assertEqual(records.mapped("state"), ["sent", "sent"])
        self.assertEqual((len(shop.refunds), len(woo.refunds)), (1, 1))

    def test_cancel_retried_after_lost_answer_is_sent_once(self):
        """Shopify shows the order cancelled: the retry does not cancel again."""
        order = self._shopify_order()
        reason = self.env["oms.cancel.reason"].create({"name": "Fraud"})
        order._oms_cancel(reason)
        with FakePlatform() as platform:
            shop = self._shop(platform)
            shop.lose("POST", "cancel")
            self._send()
            self.assertEqual(order.oms_outbox_ids.state, "pending")
            order.oms_outbox_ids.action_retry()
        self.assertEqual(order.oms_outbox_ids.state, "sent")
        cancels = [r for r in platform.requests if r[1].endswith("/cancel.json")]
        self.assertEqual(len(cancels), 1)

    def test_platform_refusal_fails_with_its_message_until_retried(self):
        """A 4xx is final: failed with the platform's message, on the order's
        chatter; Retry sends it again."""
        self.rest.write(
            {"push_fulfilment_path": "/oms/fulfilments", "auto_confirm": True}
        )
        order = self._import(
            self.rest, json.dumps(rest_order_payload("R-1", "SKU-A", 2))
        ).sale_order_id
        if order.state == "draft":
            order.action_confirm()
        self._ship_tracked(order.picking_ids, "SF9")
        record = order.oms_outbox_ids
        with FakePlatform() as platform:
            platform.add(
                "POST",
                "/oms/fulfilments",
                (422, {}, {"message": "order R-1 is closed"}),
                (200, {}, {"id": "F-1"}),
            )
            self.rest.api_url = platform.url + "/api/orders"
            self._send()
            self.assertEqual(record.state, "failed")
            self.assertIn("order R-1 is closed", record.last_error)
            self.assertIn("failed: ", record.status_text)
            self.assertIn("order R-1 is closed", order.message_ids[0].body)
            self._send()
            self.assertEqual(record.state, "failed", "a failed one waits for Retry")
            record.with_user(self.oms_user).action_retry()
        self.assertRecordValues(record, [{"state": "sent", "platform_ref": "F-1"}])

    def test_timeouts_end_failed_after_the_last_attempt(self):
        """A platform that never answers: back-off, then failed."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        record = order.oms_outbox_ids
        self.shopify.api_url = "http://127.0.0.1:9"  # nothing listens there
        now = fields.Datetime.now()
        with mute_logger("odoo.addons.oms_channels.adapters.base"):
            for hours in range(0, 80, 7):
                with freeze_time(now + timedelta(hours=hours)):
                    self._send()
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.attempts, 8)

    def test_rest_json_fulfilment_is_signed_with_idempotency_id(self):
        """REST-JSON: the shipment is a POST signed like the webhooks, with the
        record's key; a lost answer is retried with the same key."""
        self.rest.push_fulfilment_path = "/oms/fulfilments"
        order = self._import(
            self.rest, json.dumps(rest_order_payload("R-2", "SKU-B", 3))
        ).sale_order_id
        if order.state == "draft":
            order.action_confirm()
        self._ship_tracked(order.picking_ids, "SF7", {self.products["SKU-B"]: 2})
        record = order.oms_outbox_ids
        with FakePlatform() as platform:
            platform.add(
                "POST",
                "/oms/fulfilments",
                (500, {}, {}),
                (201, {}, {"id": "F-9"}),
            )
            self.rest.api_url = platform.url + "/api/orders"
            self._send()
            record.action_retry()
        first, second = platform.requests
        for _method, path, headers, body in (first, second):
            self.assertEqual(path, "/oms/fulfilments")
            self.assertEqual(headers["X-OMS-Signature"], hmac_b64("MINI-secret", body))
            self.assertEqual(headers["Idempotency-Key"], record.idempotency_id)
        self.assertEqual(first[3], second[3])
        document = json.loads(first[3])
        self.assertEqual(document["event"], "fulfilment")
        self.assertEqual(document["external_ref"], "R-2")
        self.assertEqual(document["tracking_ref"], "SF7")
        self.assertFalse(document["is_complete"])
        self.assertEqual(
            [(line["sku"], float(line["quantity"])) for line in document["lines"]],
            [("SKU-B", 2.0)],
        )
        self.assertEqual(record.state, "sent")

    def test_rest_json_stock_push_is_signed(self):
        """REST-JSON publishes stock with the same signed POST, once its path is
        set; without it the channel takes no stock."""
        binding = self.env["oms.channel.product"].create(
            {
                "channel_id": self.rest.id,
                "external_sku": "SKU-A",
                "external_stock_ref": "sku-a",
                "product_id": self.products["SKU-A"].id,
            }
        )
        with self.assertRaises(UserError):
            self.rest.action_push_stock()
        self.rest.push_stock_path = "/oms/stock"
        with FakePlatform() as platform:
            platform.add("POST", "/oms/stock", (200, {}, {"refused": {}}))
            self.rest.api_url = platform.url
            self.assertIs(self.rest.action_push_stock(), True)
        ((_method, _path, headers, body),) = platform.requests
        self.assertEqual(headers["X-OMS-Signature"], hmac_b64("MINI-secret", body))
        self.assertTrue(headers["Idempotency-Key"])
        self.assertEqual(
            json.loads(body),
            {"event": "stock", "items": [{"ref": "sku-a", "quantity": 20}]},
        )
        self.assertEqual(binding.last_pushed_qty, 20)

    def test_outbox_state_changes_only_by_sending(self):
        """Side doors: no user marks a document sent or creates one; a user
        may retry."""
        order = self._shopify_order()
        self._ship_tracked(order.picking_ids, "1Z001")
        record = order.oms_outbox_ids
        for user in (self.oms_user, self.manager):
            with self.assertRaises(AccessError):
                record.with_user(user).write({"state": "sent"})
            with self.assertRaises(AccessError):
                record.with_user(user).with_context(active_test=False).write(
                    {"platform_ref": "fake", "sent_date": fields.Datetime.now()}
                )
            with self.assertRaises(AccessError):
                self.Outbox.with_user(user).create(
                    {
                        "channel_id": self.shopify.id,
                        "order_id": order.id,
                        "kind": "fulfilment",
                        "state": "sent",
                    }
                )
            with self.assertRaises(AccessError):
                # a crafted context changes nothing: the guard reads none
                record.with_user(user).with_context(install_mode=True).write(
                    {"state": "sent"}
                )
        with self.assertRaises(AccessError):
            record.with_user(self.internal).read(["state"])
        self.assertEqual(record.state, "pending")
        self.assertEqual(record.with_user(self.oms_user).state, "pending")

    def test_warehouse_user_validation_queues_the_shipment(self):
        """A stock user who may read neither the order's channel nor the outbox
        validates the delivery: the shipment is queued, the state shown."""
        stock_user = self._create_user("oms_push_stock", "stock.group_stock_user")
        order = self._shopify_order()
        picking = order.picking_ids.with_user(stock_user)
        picking.carrier_tracking_ref = "1Z777"
        self._ship(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.oms_channel_sync_state, "pending")
        self.assertEqual(order.oms_outbox_ids.kind, "fulfilment")
        sales = self._create_user(
            "oms_push_sales", "sales_team.group_sale_salesman_all_leads"
        )
        self.assertEqual(order.with_user(sales).oms_outbox_count, 1)
