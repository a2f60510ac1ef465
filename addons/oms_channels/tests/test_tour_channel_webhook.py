"""Channel journey, in zh_CN: a signed webhook POST, then the browser."""

import json

from odoo.tests import tagged

from odoo.addons.oms_channels.adapters.base import hmac_b64
from odoo.addons.oms_channels.tests.common import FakePlatform
from odoo.addons.oms_core.tests.common import OmsTourCase

ORDER = {
    "id": "MINI-20261122-001",
    "currency": "USD",
    "customer": {"id": "wx-8848", "name": "周杰", "email": "zhoujie@example.com"},
    "shipping": {
        "name": "周杰",
        "street": "南京西路 1266 号",
        "city": "上海",
        "zip": "200040",
        "country": "CN",
        "phone": "+86 138 0013 8000",
    },
    "lines": [
        {"sku": "TEA-LJ-250", "name": "龙井茶礼盒", "quantity": 2, "price": "200.00"}
    ],
    "total": "400.00",
    "note": "周末送货",
}


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourChannelWebhook(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.integrator = cls._create_tour_user(
            "tour_integrator_he", "oms_core.group_oms_manager", "何集成", lang="zh_CN"
        )
        cls.channel = cls.env["oms.channel"].create(
            {
                "name": "微信小程序商城",
                "code": "TOURMINI",
                "kind": "api",
                "connector": "rest_json",
                "api_secret": "mini-program-secret",
                "auto_confirm": True,
                "warehouse_id": cls.warehouse.id,
            }
        )
        cls.product = cls._create_tour_product(
            "龙井茶礼盒", 200.0, default_code="TEA-LJ-250"
        )
        cls.product_2 = cls._create_tour_product(
            "白毫银针礼盒", 300.0, default_code="TEA-BH-100"
        )

    def test_webhook_order_is_staged_then_confirmed(self):
        """A signed POST is staged; the integrator processes it into a sale."""
        body = json.dumps(ORDER, ensure_ascii=False).encode()
        response = self.url_open(
            f"/oms/webhook/{self.channel.webhook_token}",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-OMS-Signature": hmac_b64("mini-program-secret", body),
            },
        )
        self.assertEqual(response.status_code, 200)
        staged = self.env["oms.channel.order"].search(
            [("channel_id", "=", self.channel.id)]
        )
        self.assertRecordValues(
            staged,
            [{"external_ref": ORDER["id"], "state": "received", "source": "webhook"}],
        )
        # an order of a product the shop names by its own SKU: it waits for a
        # person, who maps the SKU in the tour
        unknown = self.env["oms.channel.order"]._stage(
            self.channel,
            json.dumps(
                dict(
                    ORDER,
                    id="MINI-20261122-002",
                    name="小程序订单 0002",
                    lines=[
                        {
                            "sku": "WX-BH-100",
                            "name": "白毫银针礼盒",
                            "quantity": 1,
                            "price": "300.00",
                        }
                    ],
                    total="300.00",
                ),
                ensure_ascii=False,
            ),
        )
        unknown.action_process()
        self.assertRecordValues(
            unknown, [{"state": "failed", "error_kind": "permanent"}]
        )
        with FakePlatform() as platform:
            platform.add("GET", "/", (200, {}, {"orders": []}))
            self.channel.api_url = platform.url
            self.start_oms_tour(
                "/odoo", "oms_channel_webhook_tour", login="tour_integrator_he"
            )
        self.assertEqual(len(platform.requests), 1, "Test Connection called it")
        self.assertRecordValues(unknown, [{"state": "imported", "error_kind": False}])
        self.assertEqual(unknown.sale_order_id.order_line.product_id, self.product_2)
        self.assertTrue(
            self.env["oms.channel.product"].search(
                [
                    ("channel_id", "=", self.channel.id),
                    ("external_sku", "=", "WX-BH-100"),
                    ("product_id", "=", self.product_2.id),
                ]
            )
        )
        order = staged.sale_order_id
        self.assertEqual(staged.state, "imported")
        self.assertRecordValues(
            order,
            [
                {
                    "oms_channel_id": self.channel.id,
                    "oms_external_ref": ORDER["id"],
                    "state": "sale",
                    "amount_total": 400.0,
                }
            ],
        )
        self.assertEqual(order.partner_id.name, "周杰")
        self.assertEqual(order.order_line.product_id, self.product)
