"""Sharing scarce stock between channels in the browser, in zh_CN: a manager
sets a channel's share, maximum and floor, and sees each channel's offer per
SKU in the allocation table."""

from odoo.tests import tagged

from odoo.addons.oms_core.tests.common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourChannelAllocation(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.oms_manager = cls._create_tour_user(
            "tour_manager_zhou",
            "sales_team.group_sale_manager,oms_core.group_oms_manager",
            "周经理",
            lang="zh_CN",
        )
        Channel = cls.env["oms.channel"]
        cls.tmall, cls.mini = Channel.create(
            [
                {
                    "name": name,
                    "code": code,
                    "kind": "api",
                    "connector": "rest_json",
                    "warehouse_id": cls.warehouse.id,
                }
                for name, code in (
                    ("天猫旗舰店", "TOURTMALL"),
                    ("微信小程序商城", "TOURMINI"),
                )
            ]
        )
        cls.bowl = cls._create_tour_product("景德镇瓷碗", 80.0, qty=10)

    def test_manager_shares_a_scarce_sku(self):
        """Tmall: 50 %, at most 4, 3 kept for the others: offered 4 of 10; the
        mini program, without allocation, all 10."""
        self.start_oms_tour(
            "/odoo", "oms_channel_allocation_tour", login="tour_manager_zhou"
        )
        allocation = self.env["oms.channel.allocation"].search(
            [("product_id", "=", self.bowl.id)]
        )
        self.assertRecordValues(
            allocation,
            [
                {
                    "channel_id": self.tmall.id,
                    "share_percent": 50.0,
                    "max_qty": 4.0,
                    "floor_qty": 3.0,
                }
            ],
        )
        self.assertEqual(self.tmall._get_offered_qty(self.bowl), {self.bowl.id: 4})
        self.assertEqual(self.mini._get_offered_qty(self.bowl), {self.bowl.id: 10})
