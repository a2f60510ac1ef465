import base64
import csv
import io
from unittest.mock import patch

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..adapters.file_import import TEMPLATE_COLUMNS
from .common import OmsChannelsCommon, read_data

WIZARD_MODULE = "odoo.addons.oms_channels.wizard.oms_channel_order_import"


def _csv(rows, header):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


TEMPLATE_ROWS = [
    {
        "order_ref": "F-1",
        "date": "2024-05-01 10:00:00",
        "customer_name": "李雷",
        "email": "lilei@example.com",
        "street": "人民路 1 号",
        "city": "上海",
        "zip": "200000",
        "country": "CN",
        "sku": "SKU-A",
        "quantity": "2",
        "price": "10.00",
        "shipping": "5.00",
        "currency": "USD",
        "total": "35.00",
    },
    {"order_ref": "F-1", "sku": "SKU-B", "quantity": "1", "price": "10.00"},
    {
        "order_ref": "F-2",
        "customer_name": "韩梅梅",
        "email": "hmm@example.com",
        "street": "南京路 2 号",
        "city": "上海",
        "country": "CN",
        "sku": "SKU-B",
        "quantity": "abc",
        "price": "1",
    },
    {
        "order_ref": "F-3",
        "customer_name": "Lucy",
        "email": "lucy@example.com",
        "street": "1 Main St",
        "city": "Austin",
        "country": "US",
        "sku": "SKU-A",
        "quantity": "1",
        "price": "7.50",
    },
]


@tagged("post_install", "-at_install", "oms")
class TestFileImport(OmsChannelsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.file_channel = cls._create_channel("Files", "FILES", "file", kind="store")

    def _wizard(self, content, filename="orders.csv"):
        return self.env["oms.channel.order.import"].create(
            {
                "channel_id": self.file_channel.id,
                "file": base64.b64encode(content),
                "filename": filename,
            }
        )

    def test_template_preview_row_errors_and_reupload(self):
        """Preview shows orders and row errors; a re-import imports nothing twice."""
        content = _csv(TEMPLATE_ROWS, TEMPLATE_COLUMNS)
        wizard = self._wizard(content)
        wizard.action_preview()
        self.assertRecordValues(
            wizard,
            [
                {
                    "file_format": "template",
                    "order_count": 2,
                    "new_count": 2,
                    "known_count": 0,
                    "error_count": 1,
                }
            ],
        )
        self.assertIn("Row 4", wizard.row_errors)
        self.assertIn("quantity", wizard.row_errors)
        self.assertFalse(
            self.env["oms.channel.order"].search(
                [("channel_id", "=", self.file_channel.id)]
            ),
            "preview stores nothing",
        )
        wizard.action_import()
        self.assertEqual(len(wizard.staged_ids), 2)
        self.assertEqual(set(wizard.staged_ids.mapped("state")), {"imported"})
        order = wizard.staged_ids.filtered(
            lambda s: s.external_ref == "F-1"
        ).sale_order_id
        self.assertEqual(order.partner_id.name, "李雷")
        self.assertEqual(
            order.order_line.filtered(lambda rec: not rec.is_delivery).mapped(
                "product_uom_qty"
            ),
            [2.0, 1.0],
        )
        self.assertAlmostEqual(order.amount_total, 35.0)
        self.assertEqual(order.oms_channel_id, self.file_channel)
        again = self._wizard(content)
        again.action_preview()
        self.assertEqual((again.new_count, again.known_count), (0, 2))
        again.action_import()
        self.assertFalse(again.staged_ids)
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("oms_channel_id", "=", self.file_channel.id)]
            ),
            2,
        )

    def test_shopify_export_csv_and_xlsx(self):
        """Shopify's own orders export (real header row) imports, as CSV and as XLSX."""
        header = (
            read_data("shopify_orders_export_header.csv").decode().strip().split(",")
        )
        rows = [
            {
                "Name": "#1001",
                "Email": "bob@example.com",
                "Financial Status": "pending",
                "Currency": "USD",
                "Subtotal": "30.00",
                "Shipping": "5.00",
                "Taxes": "0.00",
                "Total": "35.00",
                "Shipping Method": "Standard",
                "Created at": "2024-03-01 10:00:00 -0500",
                "Lineitem quantity": "2",
                "Lineitem name": "Product A",
                "Lineitem price": "10.00",
                "Lineitem sku": "SKU-A",
                "Billing Name": "Bob",
                "Billing Address1": "1 Elm St",
                "Billing City": "Louisville",
                "Billing Zip": "40202",
                "Billing Province": "KY",
                "Billing Country": "US",
                "Shipping Name": "Bob",
                "Shipping Address1": "1 Elm St",
                "Shipping City": "Louisville",
                "Shipping Zip": "40202",
                "Shipping Province": "KY",
                "Shipping Country": "US",
                "Id": "5001",
            },
            {
                "Name": "#1001",
                "Lineitem quantity": "1",
                "Lineitem name": "Product B",
                "Lineitem price": "10.00",
                "Lineitem sku": "SKU-B",
            },
        ]
        wizard = self._wizard(_csv(rows, header))
        wizard.action_import()
        order = wizard.staged_ids.sale_order_id
        self.assertEqual(wizard.staged_ids.external_ref, "#1001")
        self.assertEqual(
            order.partner_shipping_id.state_id, self.env.ref("base.state_us_18")
        )
        self.assertAlmostEqual(order.amount_total, 35.0)
        self.assertEqual(order.order_line.filtered("is_delivery").name, "Standard")
        # the same orders in an XLSX file
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column, "") for column in header])
        sheet.cell(row=2, column=header.index("Name") + 1, value="#1002")
        sheet.cell(row=3, column=header.index("Name") + 1, value="#1002")
        buffer = io.BytesIO()
        book.save(buffer)
        wizard = self._wizard(buffer.getvalue(), "orders.xlsx")
        wizard.action_import()
        self.assertEqual(wizard.staged_ids.external_ref, "#1002")
        self.assertEqual(wizard.staged_ids.state, "imported", wizard.staged_ids.error)

    def test_unknown_layout_is_refused(self):
        """A file that is neither our template nor Shopify's export is refused."""
        wizard = self._wizard(b"foo,bar\n1,2\n")
        with self.assertRaises(UserError):
            wizard.action_preview()

    def test_large_file_is_left_to_the_cron(self):
        """Big files are staged at once and imported by the cron in batches."""
        content = _csv(
            [TEMPLATE_ROWS[0], TEMPLATE_ROWS[1], TEMPLATE_ROWS[3]], TEMPLATE_COLUMNS
        )
        wizard = self._wizard(content)
        with patch(f"{WIZARD_MODULE}.BATCH_SIZE", 1):
            wizard.action_import()
        self.assertEqual(wizard.staged_ids.mapped("state"), ["received", "received"])
        self.env["oms.channel.order"]._cron_process()
        self.assertEqual(set(wizard.staged_ids.mapped("state")), {"imported"})
