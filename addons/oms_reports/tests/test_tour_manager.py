"""Manager journey in the browser, in English and in zh_CN: the KPI dashboard
(labels in the user's language, trends coloured by meaning) and a drill-down
filtered by the dashboard's period and channel."""

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
        cls.manager_en = cls._create_tour_user(
            "tour_manager_lee", "oms_core.group_oms_manager", "Alex Lee"
        )
        cls.tmall, cls.jd = cls.env["oms.channel"].create(
            [
                {
                    "name": name,
                    "code": code,
                    "kind": "marketplace",
                    "connector": "manual",
                }
                for name, code in (("天猫旗舰店", "TOURTMALL"), ("京东自营", "TOURJD"))
            ]
        )
        product = cls._create_tour_product("龙井茶礼盒", 200.0)
        # the dashboard opens on the last 30 days
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)

        def ago(days):
            return now - timedelta(days=days)

        tmall = cls.tmall
        cls.on_time = cls._past_order(
            "北京华联商贸", product, tmall, ago(20), promised=ago(12), shipped=ago(17)
        )
        cls.late = cls._past_order(
            "广州天河百货", product, tmall, ago(19), promised=ago(15)
        )
        cls.shipped_late = cls._past_order(
            "深圳南山电子", product, tmall, ago(18), promised=ago(16), shipped=ago(10)
        )
        # late too, but on another channel, or before the period
        cls._past_order("成都锦江商城", product, cls.jd, ago(15), promised=ago(10))
        before = cls._past_order(
            "杭州西湖茶庄", product, tmall, ago(45), promised=ago(40)
        )
        # a cancellation this period and none before: the rate rose (bad news)
        cancelled = cls._create_order(
            [(product, 1)],
            customer=cls._create_tour_customer("南京鼓楼商行"),
            oms_channel_id=tmall.id,
        )
        cancelled._action_cancel()
        cls._set_history(cancelled, "create_date", ago(5))
        # the exception Pareto reads the type's label; every order of the
        # period before had an exception, one in five now: the exception rate
        # fell (good news, where lower is better)
        cls.env["oms.exception"].create(
            [
                {
                    "order_id": cls.late.id,
                    "code": "price_floor",
                    "message": "below the floor price",
                    "severity": "warn",
                },
                {
                    "order_id": before.id,
                    "code": "address",
                    "message": "postal code missing",
                    "severity": "warn",
                },
            ]
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
        """In Chinese, the manager reads the KPIs, filters on one channel, clicks
        the on-time rate and sees the late orders of that channel and period."""
        Report = self.env["oms.order.report"]
        late = Report.search([("late_count", "=", 1)])
        self.assertEqual(len(late), 4)
        self.start_oms_tour("/odoo", "oms_manager_tour", login="tour_manager_liu")

    def test_manager_reads_the_dashboard_in_english(self):
        """In English, the same dashboard, labels and drill-down."""
        self.start_oms_tour("/odoo", "oms_manager_tour_en", login="tour_manager_lee")
