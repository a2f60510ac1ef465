from odoo.tests import tagged

from .common import OmsReportsCommon


@tagged("post_install", "-at_install", "oms")
class TestDashboard(OmsReportsCommon):
    def test_dashboard_opens_for_managers_only(self):
        """The 订单管理 KPI dashboard opens for managers and only uses real fields."""
        dashboard = self.env.ref("oms_reports.spreadsheet_dashboard_oms_kpi")
        self.assertEqual(dashboard.name, "订单管理 KPI")
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
        self.assertGreaterEqual(
            len([c for c in charts if c["type"] == "scorecard"]), 10
        )

    def test_dashboard_hidden_from_salespeople(self):
        """Only OMS managers get the dashboard."""
        Dashboard = self.env["spreadsheet.dashboard"]
        dashboard = self.env.ref("oms_reports.spreadsheet_dashboard_oms_kpi")
        self.assertIn(dashboard, Dashboard.with_user(self.manager).search([]))
        self.assertNotIn(dashboard, Dashboard.with_user(self.salesman).search([]))
