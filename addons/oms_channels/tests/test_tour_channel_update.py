"""Customer service journey, in zh_CN: the shop changed an imported order."""

import json

from odoo.tests import tagged

from odoo.addons.oms_channels.adapters.base import hmac_b64
from odoo.addons.oms_core.tests.common import OmsTourCase

from .test_tour_channel_webhook import ORDER


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourChannelUpdate(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls._create_tour_user(
            "tour_service_lin",
            "sales_team.group_sale_salesman_all_leads,oms_core.group_oms_user",
            "林客服",
            lang="zh_CN",
        )
        cls.channel = cls.env["oms.channel"].create(
            {
                "name": "微信小程序商城",
                "code": "TOURUPD",
                "kind": "api",
                "connector": "rest_json",
                "api_secret": "mini-program-secret",
                "warehouse_id": cls.warehouse.id,
            }
        )
        cls._create_tour_product("龙井茶礼盒", 200.0, default_code="TEA-LJ-250")

    def _post(self, document):
        body = json.dumps(document, ensure_ascii=False).encode()
        status, _message, ids = self.channel._oms_receive_webhook(
            {"X-OMS-Signature": hmac_b64("mini-program-secret", body)}, body
        )
        self.assertEqual(status, 200)
        staged = self.env["oms.channel.order"].browse(ids)
        staged.action_process()
        return staged

    def test_service_sees_the_shop_update(self):
        """The mini-program resends the order with 3 boxes and a new address:
        the order changes, customer service sees the changes and the log."""
        staged = self._post(dict(ORDER, version=1))
        order = staged.sale_order_id
        updated = json.loads(json.dumps(ORDER))
        updated["version"] = 2
        updated["lines"][0]["quantity"] = 3
        updated["shipping"]["street"] = "淮海中路 999 号"
        updated["total"] = "600.00"
        self._post(updated)
        self.assertEqual(order.order_line.product_uom_qty, 3.0)
        self.assertEqual(order.oms_channel_update_ids.state, "applied")
        self.start_oms_tour(
            f"/odoo/action-sale.action_orders/{order.id}",
            "oms_channel_update_tour",
            login="tour_service_lin",
        )
