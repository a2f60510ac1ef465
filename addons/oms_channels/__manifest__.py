{
    "name": "OMS Channels",
    "summary": "Order intake from web shops, marketplaces, stores, phone, e-mail, "
    "files and APIs, exactly once; stock and shipment sync back to the channels",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "OMS Project",
    "website": "https://github.com/oms-project/oms",
    "license": "LGPL-3",
    "depends": ["oms_core"],
    "data": [
        "views/oms_channels_menus.xml",
    ],
    "installable": True,
}
