"""Sourcing by region in the browser, in zh_CN: a manager lists the Shanghai
warehouse for 浙江省, and the review ships an order delivered there from
Shanghai, saying why on the order."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourWarehouseRegion(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.oms_manager = cls._create_tour_user(
            "tour_manager_sun",
            "sales_team.group_sale_manager,oms_core.group_oms_manager",
            "孙经理",
            lang="zh_CN",
        )
        cls.beijing = cls.warehouse
        cls.beijing.name = "北京仓"
        cls.shanghai = cls.env["stock.warehouse"].create(
            {"name": "上海仓", "code": "SHWH", "sequence": 50}
        )
        cls.company.oms_source_warehouse_ids = cls.shanghai
        cls.zhejiang = cls.env.ref("base.state_cn_ZJ")
        # both warehouses have everything: only the region decides
        cls.tea = cls._create_tour_product("西湖龙井", 120.0, qty=10)
        cls._set_stock(cls.tea, 10, cls.shanghai.lot_stock_id)
        cls._create_rule("stock", name="库存检查")
        customer = cls._create_tour_customer(
            "杭州茶叶商行",
            street="西湖区文三路 90 号",
            city="杭州",
            zip="310012",
            state_id=cls.zhejiang.id,
        )
        cls.order = cls._create_order([(cls.tea, 3)], customer=customer)

    def test_manager_sources_an_order_by_region(self):
        """Shanghai listed for 浙江省: the Hangzhou order, reviewed, ships from
        Shanghai (not its own Beijing warehouse) and says why."""
        self.assertEqual(self.order.warehouse_id, self.beijing)
        self.start_oms_tour(
            "/odoo", "oms_warehouse_region_tour", login="tour_manager_sun"
        )
        self.assertRecordValues(
            self.env["oms.warehouse.region"].search(
                [("state_id", "=", self.zhejiang.id)]
            ),
            [{"state_id": self.zhejiang.id, "warehouse_id": self.shanghai.id}],
        )
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(self.order.order_line.oms_source_warehouse_id, self.shanghai)
        self.assertEqual(
            self.order.picking_ids.picking_type_id, self.shanghai.out_type_id
        )
        self.assertEqual(
            self.order.oms_sourcing_note,
            "由 上海仓 发货：库存齐全，且负责 浙江省 区域。",
        )
