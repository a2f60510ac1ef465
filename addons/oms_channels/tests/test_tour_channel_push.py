"""Customer service journey, in zh_CN: a partial delivery, then the order shows
that its shipment was sent to the shop."""

import json

from odoo.tests import tagged

from odoo.addons.oms_core.tests.common import OmsTourCase

from .common import FakePlatform


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourChannelPush(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.agent = cls._create_tour_user(
            "tour_service_lin",
            "sales_team.group_sale_salesman_all_leads,stock.group_stock_user,"
            "oms_core.group_oms_user",
            "林小美",
            lang="zh_CN",
        )
        cls.channel = cls.env["oms.channel"].create(
            {
                "name": "微信小程序商城",
                "code": "TOURPUSH",
                "kind": "api",
                "connector": "rest_json",
                "api_secret": "mini-program-secret",
                "warehouse_id": cls.warehouse.id,
                "push_fulfilment_path": "/oms/fulfilments",
            }
        )
        tea = cls._create_tour_product("龙井茶礼盒", 200.0, default_code="TEA-LJ")
        cups = cls._create_tour_product("青瓷茶杯", 30.0, default_code="CUP-QC")
        cls.order = cls._create_order(
            [(tea, 2), (cups, 4)],
            customer=cls._create_tour_customer("周杰"),
            oms_channel_id=cls.channel.id,
            oms_external_ref="MINI-20261206-007",
        )
        cls.order.action_confirm()
        cls.order.picking_ids.carrier_tracking_ref = "SF1400000007"

    def test_partial_delivery_is_sent_to_the_shop(self):
        """The agent ships one of the two tea boxes and the cups; the outbox sends
        that shipment; the order shows it sent to the shop."""
        picking = self.order.picking_ids
        self.start_oms_tour(
            f"/odoo/action-sale.action_orders/{self.order.id}",
            "oms_channel_push_ship_tour",
            login="tour_service_lin",
        )
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(self.order.picking_ids), 2, "a backorder for the rest")
        with FakePlatform() as platform:
            platform.add("POST", "/oms/fulfilments", (201, {}, {"id": "SHIP-1"}))
            self.channel.api_url = platform.url
            self.env["oms.channel.outbox"]._cron_send()
        ((_method, _path, _headers, body),) = platform.requests
        self.assertEqual(
            [
                (line["sku"], float(line["quantity"]))
                for line in json.loads(body)["lines"]
            ],
            [("TEA-LJ", 1.0), ("CUP-QC", 4.0)],
        )
        self.start_oms_tour(
            f"/odoo/action-sale.action_orders/{self.order.id}",
            "oms_channel_push_order_tour",
            login="tour_service_lin",
        )
