import re

from odoo.tests import tagged

from .common import OmsReportsCommon


@tagged("post_install", "-at_install", "oms")
class TestDashboard(OmsReportsCommon):
    def test_dashboard_opens_for_managers_only(self):
        """The 订单管理 KPI dashboard opens for managers and only uses real fields."""
        dashboard = self.env.ref("oms_reports.spreadsheet_dashboard_oms_kpi")
        # English source, read in the user's language
        self.assertEqual(dashboard.name, "Order Management KPIs")
        data = dashboard.with_user(self.manager).get_readonly_dashboard()
        snapshot = data["snapshot"]
        sources = list(snapshot["pivots"].values()) + list(snapshot["lists"].values())
        for source in sources:
            Model = self.env[source["model"]]
            names = [m["fieldName"] for m in source.get("measures", [])]
            names += [r["fieldName"] for r in source.get("rows", [])]
            names += source.get("columns", []) if "measures" not in source else []
            for name in names:
                self.assertIn(name.split(":")[0], Model._fields, source["name"])
            Model.search(source["domain"], limit=1)
            for matching in source["fieldMatching"].values():
                Model._search([(matching["chain"], "!=", False)])
        charts = [f["data"] for s in snapshot["sheets"] for f in s["figures"]]
        for chart in charts:
            if chart["type"].startswith("odoo_"):
                Model = self.env[chart["metaData"]["resModel"]]
                Model.read_group(
                    chart["searchParams"]["domain"],
                    [chart["metaData"]["measure"]]
                    if chart["metaData"]["measure"] != "__count"
                    else [],
                    chart["metaData"]["groupBy"],
                )
        scorecards = {c["title"]["text"]: c for c in charts if c["type"] == "scorecard"}
        self.assertGreaterEqual(len(scorecards), 10)
        # a rise is red where lower is better, green elsewhere
        red, green = "#DC6965", "#00A04A"
        self.assertEqual(scorecards["Cancellation Rate"]["baselineColorUp"], red)
        self.assertEqual(scorecards["Return Rate"]["baselineColorDown"], green)
        self.assertEqual(scorecards["On-time Delivery Rate"]["baselineColorUp"], green)
        # no Chinese source text: the spreadsheet is translated like Odoo's own
        texts = [
            cell.get("content", "")
            for sheet in snapshot["sheets"]
            for cell in sheet["cells"].values()
        ]
        texts += [title for title in scorecards]
        self.assertFalse([t for t in texts if re.search("[\u4e00-\u9fff]", t)])

    def test_dashboard_name_reads_in_chinese(self):
        """In zh_CN the dashboard is named 订单管理 KPI."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "oms_reports")]
        )._update_translations("zh_CN")
        dashboard = self.env.ref("oms_reports.spreadsheet_dashboard_oms_kpi")
        self.assertEqual(dashboard.with_context(lang="zh_CN").name, "订单管理 KPI")
        action = self.env.ref("oms_reports.oms_kpi_dashboard_action")
        self.assertEqual(action.with_context(lang="zh_CN").name, "KPI 仪表板")

    def test_dashboard_hidden_from_salespeople(self):
        """Only OMS managers get the dashboard."""
        Dashboard = self.env["spreadsheet.dashboard"]
        dashboard = self.env.ref("oms_reports.spreadsheet_dashboard_oms_kpi")
        self.assertIn(dashboard, Dashboard.with_user(self.manager).search([]))
        self.assertNotIn(dashboard, Dashboard.with_user(self.salesman).search([]))
