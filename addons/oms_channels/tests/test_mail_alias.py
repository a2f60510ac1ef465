from odoo.tests import tagged

from .common import OmsChannelsCommon

MAIL = """Return-Path: <buyer@example.com>
From: Zhang San <buyer@example.com>
To: orders@oms-test.example.com
Subject: PO-778 for 20 boxes
Message-ID: <po778.buyer@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset="utf-8"

Please deliver 20 boxes of tea next week.
--XYZ
Content-Type: text/csv; name="po778.csv"
Content-Disposition: attachment; filename="po778.csv"

sku,quantity
TEA,20
--XYZ--
"""


@tagged("post_install", "-at_install", "oms")
class TestMailAlias(OmsChannelsCommon):
    def test_order_email_becomes_draft_quotation_with_mail(self):
        """An e-mail to the channel's alias: a draft quotation of that channel."""
        domain = self.env["mail.alias.domain"].create({"name": "oms-test.example.com"})
        self.company.alias_domain_id = domain
        channel = self._create_channel(
            "Orders by e-mail", "MAIL", "manual", kind="email"
        )
        channel.write({"alias_name": "orders", "alias_domain_id": domain.id})
        self.assertEqual(channel.alias_id.alias_model_id.model, "sale.order")
        order_id = self.env["mail.thread"].message_process(None, MAIL)
        order = self.env["sale.order"].browse(order_id)
        self.assertRecordValues(
            order,
            [
                {
                    "state": "draft",
                    "oms_channel_id": channel.id,
                    "team_id": self.team.id,
                    "client_order_ref": "PO-778 for 20 boxes",
                }
            ],
        )
        self.assertEqual(order.partner_id.email, "buyer@example.com")
        self.assertIn("20 boxes of tea", str(order.note))
        self.assertTrue(order.name.startswith("S"), "the quotation keeps its sequence")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(attachment.name, "po778.csv")
