{
    "name": "OMS Reports",
    "summary": "Order management KPIs: perfect order, on-time, fill rate, cycle time, "
    "touchless rate, exception Pareto, channel performance, alerts",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "OMS Project",
    "website": "https://github.com/oms-project/oms",
    "license": "LGPL-3",
    "depends": ["oms_core", "oms_channels", "spreadsheet_dashboard"],
    "data": [
        "security/ir.model.access.csv",
        "security/oms_reports_security.xml",
        "report/oms_order_report_views.xml",
        "report/sale_report_views.xml",
        "views/oms_kpi_alert_views.xml",
        "wizard/oms_replenishment_suggest_views.xml",
        "views/oms_reports_menus.xml",
        "data/oms_kpi_alert_defaults.xml",
        "data/ir_cron_data.xml",
        "data/spreadsheet_dashboard_data.xml",
    ],
    "demo": ["demo/oms_reports_demo.xml"],
    "assets": {
        "web.assets_tests": ["oms_reports/static/tests/tours/**/*"],
    },
    "installable": True,
}
