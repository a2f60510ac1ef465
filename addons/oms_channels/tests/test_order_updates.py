import json
import random

from odoo.tests import tagged

from .common import FakePlatform, OmsChannelsCommon, read_data, rest_order_payload


@tagged("post_install", "-at_install", "oms")
class TestOrderUpdates(OmsChannelsCommon):
    """Changes of an imported order sent by its channel: applied before
    shipment, held as an exception after, the newest version winning."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.update_rule = cls.env.ref("oms_channels.oms_review_rule_channel_update")
        cls.update_rule.active = True

    # -- helpers -------------------------------------------------------------
    def _shopify_order(self, updated_at="2008-01-10T11:00:00-05:00"):
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["updated_at"] = updated_at
        return data

    def _deliver(self, channel, body, topic=None):
        """The platform's webhook delivery of ``body``, signed with the channel's
        secret; the HTTP status and the staged records."""
        body = json.dumps(body).encode()
        header = type(channel._get_adapter()).signature_header
        headers = {header: self._sign(f"{channel.code}-secret", body)}
        if topic:
            headers["X-Shopify-Topic"] = topic
        status, _message, ids = channel._oms_receive_webhook(headers, body)
        return status, self.env["oms.channel.order"].browse(ids)

    def _shopify_update(self, data):
        """A Shopify orders/updated delivery, processed."""
        status, staged = self._deliver(self.shopify, data, "orders/updated")
        self.assertEqual(status, 200)
        staged.action_process()
        return staged

    def _edited(self, data):
        """The Shopify order edited: the green iPod three times instead of once,
        the red one removed, a SKU2006-001 added, a new address, a note and an
        express shipping."""
        order = data["order"]
        items = order["line_items"]
        items[0]["quantity"] = 3
        red = items.pop(1)
        added = dict(red, id=99, sku="SKU2006-001", quantity=2, price="10.00")
        items.append(added)
        order["shipping_address"]["address1"] = "Elm Street 7"
        order["note"] = "Leave at the door"
        order["shipping_lines"] = [
            {"code": "Express", "price": "15.00", "title": "Express"}
        ]
        order["updated_at"] = "2008-01-10T12:00:00-05:00"
        return data

    def _product_lines(self, order):
        return order.order_line.filtered(
            lambda line: not line.is_delivery and line.product_uom_qty
        )

    # -- before shipment -----------------------------------------------------
    def test_update_before_shipment_is_applied_and_reviewed_again(self):
        """orders/updated before shipment: address, lines, note and shipping
        change; the review runs again on them (an amount rule now holds it)."""
        staged = self._import(self.shopify, json.dumps(self._shopify_order()))
        order = staged.sale_order_id
        self.assertTrue(order.oms_reviewed_date)
        self._create_rule("amount_threshold", amount_limit=800.0)
        self._shopify_update(self._edited(self._shopify_order()))
        lines = self._product_lines(order)
        self.assertEqual(
            {(line.product_id.default_code, line.product_uom_qty) for line in lines},
            {("IPOD2008GREEN", 3.0), ("IPOD2008BLACK", 1.0), ("SKU2006-001", 2.0)},
        )
        self.assertEqual(order.partner_shipping_id.street, "Elm Street 7")
        self.assertIn("Leave at the door", order.note)
        shipping = order.order_line.filtered("is_delivery")
        self.assertRecordValues(shipping, [{"name": "Express", "price_unit": 15.0}])
        exception = order.oms_exception_ids.filtered(
            lambda e: e.code == "amount_threshold" and e.state == "open"
        )
        self.assertTrue(exception, "the review ran again on the new amount")
        log = order.oms_channel_update_ids
        self.assertEqual(log.state, "applied")
        self.assertEqual(log.version, "2008-01-10 17:00:00")
        self.assertEqual(log.source, "webhook")
        for change in (
            "Added: ",
            "Removed: ",
            "Delivery address: ",
            "Note: ",
            "Shipping: ",
        ):
            self.assertIn(change, log.changes)
        self.assertIn("Updated by the channel", order.message_ids[:3].mapped("body")[0])

    def test_update_of_confirmed_order_changes_its_delivery(self):
        """WooCommerce order.updated of a confirmed order: the delivery follows
        the new quantity, the approved order goes back to review."""
        self.woo.auto_confirm = True
        self.env["oms.channel.product"].create(
            {
                "channel_id": self.woo.id,
                "external_sku": "woo-93",
                "external_product_ref": "93",
                "product_id": self.products["SKU-A"].id,
            }
        )
        data = json.loads(read_data("order_v3_retrieve.json"))
        data["status"] = "on-hold"  # not paid: no payment to record
        staged = self._import(self.woo, json.dumps(data))
        order = staged.sale_order_id
        self.assertEqual(order.state, "sale")
        data["line_items"][0]["quantity"] = 4
        for key in ("subtotal", "total", "subtotal_tax", "total_tax"):
            data["line_items"][0][key] = str(float(data["line_items"][0][key]) * 2)
        data["date_modified_gmt"] = "2017-03-23T08:00:00"
        status, _staged = self._deliver(self.woo, data)
        self.assertEqual(status, 200)
        self.assertTrue(staged.is_update_pending)
        staged.action_process()
        self.assertFalse(staged.is_update_pending)
        line = self._product_lines(order)[:1]
        self.assertEqual(line.product_uom_qty, 4.0)
        self.assertEqual(order.picking_ids.move_ids[:1].product_uom_qty, 4.0)
        self.assertIn(
            "Changed after approval",
            " ".join(order.message_ids.mapped("body")),
        )
        self.assertEqual(order.oms_channel_update_ids.state, "applied")

    def test_update_without_change_is_logged_as_ignored(self):
        """A newer version changing nothing the order keeps is logged, ignored."""
        staged = self._import(self.shopify, json.dumps(self._shopify_order()))
        data = self._shopify_order("2008-01-11T00:00:00Z")
        data["order"]["fulfillment_status"] = "partial"
        self._shopify_update(data)
        log = staged.sale_order_id.oms_channel_update_ids
        self.assertEqual(log.state, "ignored")
        self.assertIn("Nothing", log.reason)

    # -- after shipment ------------------------------------------------------
    def test_update_after_shipment_opens_exception_and_keeps_order(self):
        """An update after the order shipped changes nothing on it: a blocking
        exception shows the changes to the reviewer."""
        self.shopify.auto_confirm = True
        staged = self._import(self.shopify, json.dumps(self._shopify_order()))
        order = staged.sale_order_id
        self.assertEqual(order.state, "sale")
        self._ship(order.picking_ids)
        before = [
            (line.product_id.id, line.product_uom_qty, line.price_unit)
            for line in order.order_line
        ]
        address = order.partner_shipping_id
        self._shopify_update(self._edited(self._shopify_order()))
        self.assertEqual(
            [
                (line.product_id.id, line.product_uom_qty, line.price_unit)
                for line in order.order_line
            ],
            before,
        )
        self.assertEqual(order.partner_shipping_id, address)
        exception = order.oms_exception_ids.filtered(
            lambda e: e.rule_id == self.update_rule and e.state == "open"
        )
        self.assertEqual(exception.severity, "block")
        self.assertIn("Elm Street 7", exception.message)
        self.assertIn("Removed: ", exception.message)
        self.assertEqual(order.oms_channel_update_ids.state, "held")
        self.assertIn("Elm Street 7", order.oms_channel_update_diff)

    # -- ordering ----------------------------------------------------------------
    def test_shuffled_updates_end_in_newest_state(self):
        """Versions 2 to 6 of a REST-JSON order arrive shuffled, by webhook and
        by pull: the order ends with version 6's quantity, older ones logged
        as ignored."""
        versions = {
            version: rest_order_payload(
                "R-SHUF", "SKU-A", quantity=version, version=version
            )
            for version in range(1, 7)
        }
        staged = self._import(self.rest, json.dumps(versions[1]))
        order = staged.sale_order_id
        self.assertEqual(self._product_lines(order).product_uom_qty, 1.0)
        order_of = random.Random(18).sample(range(2, 7), 5)
        with FakePlatform() as platform:
            self.rest.api_url = platform.url + "/orders"
            for index, version in enumerate(order_of):
                if index % 2:
                    platform.add(
                        "GET", "/orders", (200, {}, {"orders": [versions[version]]})
                    )
                    self.rest.action_sync_orders()
                else:
                    status, _staged = self._deliver(self.rest, versions[version])
                    self.assertEqual(status, 200)
                if index == 2:
                    staged.action_process()
            if staged.is_update_pending:
                staged.action_process()
        self.assertEqual(self._product_lines(order).product_uom_qty, 6.0)
        self.assertEqual(staged.channel_version, f"{6:020d}")
        late = [v for i, v in enumerate(order_of) if v < max(order_of[:i] or [0])]
        ignored = order.oms_channel_update_ids.filtered(lambda u: u.state == "ignored")
        self.assertEqual(len(ignored), len(late))
        self.assertTrue(
            all("Older than" in reason for reason in ignored.mapped("reason"))
        )

    def test_update_webhook_with_bad_signature_is_refused(self):
        """An update signed with another secret is refused; nothing is staged."""
        staged = self._import(self.shopify, json.dumps(self._shopify_order()))
        body = json.dumps(self._edited(self._shopify_order())).encode()
        status, _message, ids = self.shopify._oms_receive_webhook(
            {
                "X-Shopify-Hmac-Sha256": self._sign("wrong", body),
                "X-Shopify-Topic": "orders/updated",
            },
            body,
        )
        self.assertEqual((status, ids), (401, []))
        self.assertFalse(staged.is_update_pending)
        self.assertFalse(staged.update_payload)

    def test_shopify_order_edit_reads_the_edited_order(self):
        """orders/edited carries the edit only: the edited order is read from
        the API and applied."""
        staged = self._import(self.shopify, json.dumps(self._shopify_order()))
        edited = self._edited(self._shopify_order())
        with FakePlatform() as platform:
            self.shopify.api_url = platform.url
            platform.add(
                "GET",
                f"/admin/api/2024-10/orders/{staged.external_ref}.json",
                (200, {}, edited),
            )
            status, _staged = self._deliver(
                self.shopify,
                {"order_edit": {"id": 1, "order_id": int(staged.external_ref)}},
                "orders/edited",
            )
        self.assertEqual(status, 200)
        staged.action_process()
        self.assertEqual(
            staged.sale_order_id.partner_shipping_id.street, "Elm Street 7"
        )
