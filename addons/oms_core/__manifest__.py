{
    "name": "OMS Core",
    "summary": "Order management: review rules, exceptions, priority, approvals, "
    "fulfilment and payment policies on sales orders",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "OMS Project",
    "website": "https://github.com/oms-project/oms",
    "license": "LGPL-3",
    "depends": ["sale_stock", "delivery"],
    "data": [
        "security/oms_core_groups.xml",
        "views/oms_core_menus.xml",
    ],
    "application": True,
    "installable": True,
}
