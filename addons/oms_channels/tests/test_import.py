import json
from unittest.mock import patch

from odoo.tests import Form, tagged

from .common import OmsChannelsCommon, read_data


@tagged("post_install", "-at_install", "oms")
class TestImport(OmsChannelsCommon):
    def _open_exceptions(self, order):
        return order.oms_exception_ids.filtered(lambda e: e.state == "open")

    def test_shopify_webhook_sample_end_to_end(self):
        """Shopify's orders/create sample becomes one order with every detail mapped."""
        staged = self._import(
            self.shopify, read_data("orders_create_webhook.sample.json")
        )
        self.assertEqual(staged.state, "imported", staged.error)
        self.assertEqual(staged.external_ref, "820982911946154508")
        order = staged.sale_order_id
        self.assertEqual(order.oms_channel_id, self.shopify)
        self.assertEqual(order.team_id, self.team)
        self.assertFalse(order.user_id, "no salesperson on the channel nor its team")
        self.assertEqual(order.oms_external_ref, "820982911946154508")
        self.assertEqual(order.client_order_ref, "#9999")
        self.assertEqual(order.currency_id, self.usd)
        self.assertEqual(order.partner_id.name, "John Smith")
        self.assertEqual(order.partner_id.email, "jon@example.com")
        for address in (order.partner_invoice_id, order.partner_shipping_id):
            self.assertEqual(address.parent_id, order.partner_id)
            self.assertRecordValues(
                address,
                [
                    {
                        "name": "Steve Shipper",
                        "street": "123 Shipping Street",
                        "city": "Shippington",
                        "zip": "40003",
                        "country_id": self.env.ref("base.us").id,
                        "state_id": self.env.ref("base.state_us_18").id,
                    }
                ],
            )
        self.assertEqual(order.partner_invoice_id.type, "invoice")
        self.assertEqual(order.partner_shipping_id.type, "delivery")
        products = order.order_line.filtered(lambda rec: not rec.is_delivery)
        self.assertRecordValues(
            products,
            [
                {
                    "product_id": self.products["SKU2006-001"].id,
                    "product_uom_qty": 1.0,
                    "price_unit": 89.99,
                    "discount": 0.0,
                    "tax_id": [],
                },
                {
                    "product_id": self.products["SKU2006-020"].id,
                    "product_uom_qty": 1.0,
                    "price_unit": 159.99,
                    "discount": 0.0,
                    "tax_id": [],
                },
                {
                    "product_id": self.products["SKU2006-035"].id,
                    "product_uom_qty": 1.0,
                    "price_unit": 119.99,
                    "discount": 0.0,
                    "tax_id": [],
                },
                {
                    "product_id": self.env.ref(
                        "oms_channels.product_channel_discount"
                    ).id,
                    "product_uom_qty": 1.0,
                    "price_unit": -20.0,
                    "discount": 0.0,
                    "tax_id": [],
                },
            ],
        )
        shipping = order.order_line.filtered("is_delivery")
        self.assertRecordValues(
            shipping,
            [
                {
                    "name": "Generic Shipping",
                    "price_unit": 10.0,
                    "product_id": self.carrier.product_id.id,
                }
            ],
        )
        self.assertAlmostEqual(order.amount_total, 359.97)
        self.assertEqual(order.date_order.isoformat(), "2022-01-01T00:00:00")
        self.assertFalse(self._open_exceptions(order), "the totals match")
        # the sample was cancelled on Shopify (cancelled_at is set)
        self.assertEqual(order.state, "cancel")

    def test_shopify_legacy_order_taxes_and_total_mismatch(self):
        """The legacy REST order: 6% tax mapped, its inconsistent total is flagged."""
        staged = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        self.assertEqual(order.partner_id.name, "Bob Norman")
        self.assertEqual(order.partner_shipping_id.street, "Chestnut Street 92")
        self.assertEqual(
            order.partner_shipping_id.state_id, self.env.ref("base.state_us_18")
        )
        lines = order.order_line.filtered(lambda rec: not rec.is_delivery)
        self.assertEqual(
            lines.product_id.mapped("default_code"),
            ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"],
        )
        self.assertEqual(lines.mapped("price_unit"), [199.0, 199.0, 199.0])
        self.assertEqual(lines.tax_id, self.tax_6)
        self.assertAlmostEqual(order.amount_tax, 35.82)
        self.assertAlmostEqual(order.amount_total, 632.82)
        shipping = order.order_line.filtered("is_delivery")
        self.assertEqual((shipping.name, shipping.price_unit), ("Free Shipping", 0.0))
        exception = self._open_exceptions(order)
        self.assertEqual(len(exception), 1)
        self.assertIn("409.94", exception.message)
        self.assertEqual(order.state, "draft")

    def test_woocommerce_order_retry_after_mapping(self):
        """A WooCommerce line without SKU fails, then imports once it is mapped."""
        payload = read_data("order_v3_retrieve.json")
        with patch.object(
            type(self.env["sale.order"]),
            "_oms_register_external_payment",
            autospec=True,
        ) as pay:
            staged = self._import(self.woo, payload)
            self.assertEqual(staged.state, "failed")
            self.assertIn("Unknown product", staged.error_display)
            self.assertFalse(staged.sale_order_id)
            self.assertFalse(
                self.env["sale.order"].search([("oms_channel_id", "=", self.woo.id)]),
                "nothing half-created",
            )
            self.assertEqual(staged.attempts, 1)
            # an unknown SKU fails the same way every time: it waits for a
            # person instead of the cron's retry
            self.assertFalse(staged.next_retry_date)
            self.assertEqual(staged.error_kind, "permanent")
            self.env["oms.channel.product"].create(
                {
                    "channel_id": self.woo.id,
                    "external_sku": "woo-93",
                    "external_product_ref": "93",
                    "product_id": self.products["SKU-A"].id,
                }
            )
            staged.action_retry()
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        self.assertEqual(order.partner_id.name, "John Doe")
        self.assertEqual(order.partner_id.email, "john.doe@example.com")
        self.assertEqual(order.partner_shipping_id.city, "San Francisco")
        self.assertEqual(
            order.partner_shipping_id.state_id, self.env.ref("base.state_us_5")
        )
        lines = order.order_line.filtered(lambda rec: not rec.is_delivery)
        self.assertRecordValues(
            lines,
            [
                {
                    "product_id": self.products["SKU-A"].id,
                    "product_uom_qty": 2.0,
                    "price_unit": 3.0,
                    "tax_id": self.tax_75.ids,
                    "name": "Woo Single #1",
                },
                {
                    "product_id": self.products["Bar3"].id,
                    "product_uom_qty": 1.0,
                    "price_unit": 12.0,
                    "tax_id": self.tax_75.ids,
                    "name": "Ship Your Idea – Color: Black, Size: M Test",
                },
            ],
        )
        shipping = order.order_line.filtered("is_delivery")
        self.assertEqual((shipping.name, shipping.price_unit), ("Flat Rate", 10.0))
        self.assertAlmostEqual(order.amount_tax, 1.35)
        self.assertAlmostEqual(order.amount_total, 29.35)
        self.assertFalse(self._open_exceptions(order))
        pay.assert_called_once()
        _order, journal, amount = pay.call_args.args
        self.assertEqual((journal, amount), (self.journal, 29.35))

    def test_rest_json_tax_included_with_field_map(self):
        """A mini-program order with renamed keys and tax-included prices."""
        self.rest.field_map = json.dumps(
            {"id": "order_no", "lines": "items", "line.sku": "goods_code"}
        )
        body = {
            "order_no": "MP-1",
            "currency": "USD",
            "taxes_included": True,
            "customer": {"id": "u1", "name": "王小明", "phone": "13900000000"},
            "shipping": {
                "name": "王小明",
                "street": "人民路 1 号",
                "city": "上海",
                "zip": "200000",
                "country": "CN",
            },
            "items": [
                {
                    "goods_code": "SKU-A",
                    "quantity": 2,
                    "price": "113.00",
                    "discount": "11.30",
                    "tax_rate": "13",
                }
            ],
            "shipping_lines": [{"name": "顺丰", "amount": "10.00"}],
            "total": "213.40",
            "note": "请尽快发货",
            "date": "2024-05-01T10:00:00+08:00",
        }
        staged = self._import(self.rest, json.dumps(body))
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        line = order.order_line.filtered(lambda rec: not rec.is_delivery)
        self.assertRecordValues(
            line,
            [
                {
                    "product_uom_qty": 2.0,
                    "price_unit": 113.0,
                    "discount": 5.0,
                    "tax_id": self.tax_13_incl.ids,
                }
            ],
        )
        self.assertAlmostEqual(order.amount_total, 224.7)
        self.assertEqual(order.partner_shipping_id.country_id, self.env.ref("base.cn"))
        self.assertIn("请尽快发货", str(order.note))
        self.assertEqual(order.date_order.isoformat(), "2024-05-01T02:00:00")
        self.assertEqual(len(self._open_exceptions(order)), 1, "213.40 ≠ 224.70")

    def test_customer_matched_by_channel_id_then_email_then_phone(self):
        """Known customers are reused: channel id first, then e-mail, then phone."""
        first = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["id"] = 2
        data["order"]["email"] = "other@example.com"
        second = self._import(self.shopify, json.dumps(data))
        self.assertEqual(
            second.sale_order_id.partner_id, first.sale_order_id.partner_id
        )
        self.assertEqual(
            second.sale_order_id.partner_shipping_id,
            first.sale_order_id.partner_shipping_id,
            "same address reused",
        )
        by_phone = self.env["res.partner"].create(
            {"name": "Phone buyer", "phone": "555-1"}
        )
        body = {
            "id": "P-1",
            "customer": {"name": "x", "phone": "555-1"},
            "shipping": {"name": "x", "street": "s", "city": "c", "country": "US"},
            "lines": [{"sku": "SKU-A", "quantity": 1, "price": "1"}],
        }
        staged = self._import(self.rest, json.dumps(body))
        self.assertEqual(staged.sale_order_id.partner_id, by_phone)

    def test_missing_address_and_not_an_order_fail_with_error(self):
        """Unmappable payloads fail with a clear error and the payload kept."""
        body = {
            "id": "NA-1",
            "customer": {"name": "x"},
            "lines": [{"sku": "SKU-A", "quantity": 1, "price": "1"}],
        }
        staged = self._import(self.rest, json.dumps(body))
        self.assertEqual(staged.state, "failed")
        self.assertIn("no delivery address", staged.error_display)
        self.assertEqual(json.loads(staged.payload), body)
        staged.action_ignore()
        self.assertEqual(staged.state, "ignored")

    def test_duplicate_of_existing_order(self):
        """A staged order whose sales order already exists becomes `duplicate`."""
        existing = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "c"}).id,
                "oms_channel_id": self.shopify.id,
                "oms_external_ref": "450789469",
            }
        )
        staged = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        self.assertEqual(staged.state, "duplicate")
        self.assertEqual(staged.sale_order_id, existing)

    def test_same_order_staged_twice_is_one_record(self):
        """Webhook twice / webhook and pull: one staged record, one sales order."""
        body = read_data("order_rest_single_legacy.json")
        first = self._stage(self.shopify, body, source="webhook")
        second = self._stage(self.shopify, body, source="pull")
        self.assertEqual(first, second)
        first.action_process()
        self._stage(self.shopify, body, source="pull").action_process()
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("oms_channel_id", "=", self.shopify.id)]
            ),
            1,
        )

    def test_channel_cancellation_cancels_order(self):
        """orders/cancelled after import cancels the sales order via the cron."""
        data = json.loads(read_data("order_rest_single_legacy.json"))
        staged = self._import(self.shopify, json.dumps(data))
        order = staged.sale_order_id
        self.assertNotEqual(order.state, "cancel")
        data["order"]["cancelled_at"] = "2024-01-01T00:00:00Z"
        self._stage(self.shopify, json.dumps(data))
        self.assertTrue(staged.is_cancel_requested)
        self.env["oms.channel.order"]._cron_process()
        self.assertEqual(order.state, "cancel")
        self.assertTrue(staged.is_cancel_done)

    def test_auto_confirm_follows_channel(self):
        """The channel's auto-confirm policy drives the review's confirmation."""
        self.shopify.auto_confirm = True
        order = self.env["sale.order"].new({"oms_channel_id": self.shopify.id})
        self.assertTrue(order._oms_can_auto_confirm())
        self.shopify.auto_confirm = False
        self.assertFalse(order._oms_can_auto_confirm())

    def test_default_channel_from_salesperson_team(self):
        """An order typed in Odoo takes the channel of the salesperson's team."""
        store_team = self.env["crm.team"].create({"name": "Store"})
        store = self._create_channel(
            "Store", "STORE", "manual", kind="store", team_id=store_team.id
        )
        user = self.env["res.users"].create(
            {
                "name": "Clerk",
                "login": "oms_clerk",
                "groups_id": [
                    (6, 0, [self.env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )
        store_team.member_ids = user
        form = Form(
            self.env["sale.order"].with_user(user).with_context(default_user_id=user.id)
        )
        form.partner_id = self.env["res.partner"].create({"name": "walk-in"})
        self.assertEqual(form.team_id, store_team)
        self.assertEqual(form.oms_channel_id, store)

    def test_paid_order_registers_payment_on_channel_journal(self):
        """A paid channel order gets the platform's payment on the channel's journal."""
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["financial_status"] = "paid"
        staged = self._import(self.shopify, json.dumps(data))
        self.assertEqual(staged.state, "imported", staged.error)
        payment = staged.sale_order_id.oms_payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.journal_id, self.journal)
        self.assertAlmostEqual(payment.amount, 409.94)
        self.assertEqual(payment.state, "in_process")

    def test_paid_without_journal_is_imported(self):
        """A paid order on a channel without payment journal is imported all the
        same (a missing accounting setting never blocks the intake): the
        payment waits on the order for the accountant."""
        self.shopify.payment_journal_id = False
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["financial_status"] = "paid"
        staged = self._import(self.shopify, json.dumps(data))
        self.assertEqual(staged.state, "imported", staged.error)
        self.assertFalse(staged.sale_order_id.oms_payment_ids)
        self.assertIn("payment journal", staged.sale_order_id.oms_channel_payment_error)

    def test_currency_without_pricelist_imports_only_company_currency(self):
        """No pricelist: company currency imports, another currency fails clearly."""
        self.shopify.pricelist_id = False
        self.env["product.pricelist"].search([("currency_id", "=", self.usd.id)]).write(
            {"active": False}
        )
        staged = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        self.assertEqual(staged.state, "imported", staged.error)
        self.assertEqual(staged.sale_order_id.currency_id, self.company.currency_id)
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"].update(id=99, currency="CNY")
        self.env.ref("base.CNY").active = True
        staged = self._import(self.shopify, json.dumps(data))
        self.assertEqual(staged.state, "failed")
        self.assertIn("No pricelist in CNY", staged.error_display)

    def test_same_reference_on_two_channels_is_no_duplicate(self):
        """The review's duplicate check compares channel references per channel."""
        partner = self.env["res.partner"].create({"name": "c"})
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "oms_channel_id": channel.id,
                    "client_order_ref": "#1001",
                }
                for channel in (self.shopify, self.woo, self.woo)
            ]
        )
        Order = self.env["sale.order"]
        # the later order is the duplicate, and only of the same channel's order
        self.assertEqual(Order.search(orders[1]._oms_get_duplicate_domain()), Order)
        self.assertEqual(Order.search(orders[2]._oms_get_duplicate_domain()), orders[1])

    def test_sales_analysis_per_channel(self):
        """Odoo's sales analysis groups by channel (and by its sales team)."""
        self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        self.env.flush_all()
        groups = self.env["sale.report"]._read_group(
            [("oms_channel_id", "=", self.shopify.id)], ["team_id"], ["price_total:sum"]
        )
        self.assertEqual(len(groups), 1)
        team, total = groups[0]
        self.assertEqual(team, self.team)
        self.assertAlmostEqual(total, 632.82)
