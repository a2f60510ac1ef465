"""Manager journey in the browser, in zh_CN: KPI dashboard, drill-down."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.oms_core.tests.common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourManager(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.manager = cls._create_tour_user(
            "tour_manager_liu", "oms_core.group_oms_manager", "刘经理", lang="zh_CN"
        )
        channel = cls.env["oms.channel"].create(
            {
                "name": "天猫旗舰店",
                "code": "TOURTMALL",
                "kind": "marketplace",
                "connector": "manual",
            }
        )
        product = cls._create_tour_product("龙井茶礼盒", 200.0)
        # the dashboard opens on the last 30 days
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)

        def ago(days):
            return now - timedelta(days=days)

        cls.on_time = cls._past_order(
            "北京华联商贸", product, channel, ago(20), promised=ago(12), shipped=ago(17)
        )
        cls.late = cls._past_order(
            "广州天河百货", product, channel, ago(19), promised=ago(15)
        )
        cls.shipped_late = cls._past_order(
            "深圳南山电子", product, channel, ago(18), promised=ago(16), shipped=ago(10)
        )

    @classmethod
    def _past_order(cls, name, product, channel, created, promised, shipped=None):
        """A confirmed order received at ``created``, delivered at ``shipped``."""
        order = cls._create_order(
            [(product, 2)],
            customer=cls._create_tour_customer(name),
            oms_channel_id=channel.id,
            commitment_date=promised,
        )
        order.action_confirm()
        if shipped:
            picking = order.picking_ids
            picking.move_ids.quantity = 2
            picking.move_ids.picked = True
            picking._action_done()
            cls._set_history(picking, "date_done", shipped)
            cls._set_history(picking.move_ids, "date", shipped)
            cls._set_history(order, "oms_delivered_date", shipped)
        cls._set_history(order, "create_date", created)
        cls._set_history(order, "date_order", created)
        return order

    def test_manager_drills_down_to_the_late_orders(self):
        """The manager clicks the on-time rate and sees the late orders only."""
        # 订单管理 KPI; not the one delivered on time
        Report = self.env["oms.order.report"]
        late = Report.search([("late_count", "=", 1)])
        self.assertEqual(
            set(late.mapped("name")), {self.late.name, self.shipped_late.name}
        )
        self.assertEqual(
            Report.search([("on_time_count", "=", 1)]).mapped("name"),
            [self.on_time.name],
        )
        self.start_oms_tour("/odoo", "oms_manager_tour", login="tour_manager_liu")
