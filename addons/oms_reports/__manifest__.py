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
        "views/oms_reports_menus.xml",
    ],
    "installable": True,
}
