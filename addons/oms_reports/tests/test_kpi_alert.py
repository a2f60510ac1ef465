from odoo.tests import new_test_user, tagged

from .common import OmsReportsCommon


@tagged("post_install", "-at_install", "oms")
class TestKpiAlert(OmsReportsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.watcher = new_test_user(
            cls.env, login="rep_kpi_watcher", groups="base.group_user"
        )
        cls.group = cls.env["res.groups"].create(
            {"name": "KPI watchers", "users": [(4, cls.watcher.id)]}
        )
        cls.alert = cls.env["oms.kpi.alert"].create(
            {
                "name": "Too many cancellations",
                "kpi": "cancellation_rate",
                "operator": "above",
                "threshold": 0.5,
                "period_days": 7,
                "group_id": cls.group.id,
                "channel_ids": [(4, cls.channel_a.id)],
            }
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "oms_channel_id": cls.channel_a.id,
                "order_line": [
                    (0, 0, {"product_id": cls.product_a.id, "product_uom_qty": 1})
                ],
            }
        )

    def _activities(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "oms.kpi.alert"), ("res_id", "=", self.alert.id)]
        )

    def test_alert_fires_once_per_breach(self):
        """A breach notifies the group once; the alert re-arms when back to normal."""
        self.assertFalse(self.alert.action_check())
        self.order._action_cancel()
        self.assertEqual(self.alert.action_check(), self.alert)
        self.assertTrue(self.alert.is_breached)
        self.assertAlmostEqual(self.alert.last_value, 1.0)
        self.assertEqual(self._activities().user_id, self.watcher)
        # still in breach: no second notification
        self.assertFalse(self.alert.action_check())
        self.assertEqual(len(self._activities()), 1)
        # back to normal, then a new breach notifies again
        self.order.action_draft()
        self.alert.action_check()
        self.assertFalse(self.alert.is_breached)
        self.order._action_cancel()
        self.env["oms.kpi.alert"]._cron_check_alerts()
        self.assertTrue(self.alert.is_breached)
        self.assertEqual(len(self._activities()), 2)

    def test_alert_reads_in_each_member_language(self):
        """The cron (OdooBot, in English) finds a breach: the Chinese member's
        to-do reads in Chinese, the English member's in English, the figures
        in both; the alert's chatter line follows its reader."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "oms_reports")]
        )._update_translations("zh_CN")
        self.alert.with_context(lang="zh_CN").name = "取消过多"
        self.watcher.lang = "en_US"
        watcher_zh = new_test_user(
            self.env, login="rep_kpi_watcher_zh", groups="base.group_user", lang="zh_CN"
        )
        self.group.users = [(4, watcher_zh.id)]
        self.order._action_cancel()
        self.env["oms.kpi.alert"].with_user(
            self.env.ref("base.user_root")
        ).with_context(lang="en_US")._cron_check_alerts()
        by_user = {a.user_id: a for a in self._activities()}
        self.assertEqual(by_user[watcher_zh].summary, "KPI 预警：取消过多")
        self.assertIn(
            "取消过多：取消率 为 100.0 %，阈值 高于 50.0 %", by_user[watcher_zh].note
        )
        self.assertEqual(
            by_user[self.watcher].summary, "KPI alert: Too many cancellations"
        )
        self.assertIn(
            "Too many cancellations: Cancellation Rate is 100.0 %, threshold Above",
            by_user[self.watcher].note,
        )
        post = self.alert.message_ids.filtered("oms_body_source")[:1]
        body = post.with_context(lang="zh_CN").read(["body"])
        self.assertIn("取消率", body[0]["body"])

    def test_hold_age_and_low_stock_values(self):
        """Hold-queue age in hours and products short for open orders."""
        self.env.cr.execute(
            "UPDATE sale_order"
            " SET create_date = NOW() AT TIME ZONE 'UTC' - INTERVAL '30 hours',"
            " oms_stage = 'on_hold' WHERE id = %s",
            [self.order.id],
        )
        self.order.invalidate_recordset()
        hold = self.alert.copy(
            {"kpi": "hold_age_h", "threshold": 24, "channel_ids": False}
        )
        self.assertEqual(hold.action_check(), hold)
        self.assertAlmostEqual(hold.last_value, 30.0, places=1)
        short = self.env["product.product"].create(
            {"name": "KPI Short", "type": "consu", "is_storable": True}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": short.id, "product_uom_qty": 3})],
            }
        )
        order.action_confirm()
        low = self.env["oms.replenishment.suggest"]._get_low_stock(self.company)
        self.assertEqual(low[short.id], (3.0, 0.0))
        self.assertNotIn(self.product_a.id, low)
