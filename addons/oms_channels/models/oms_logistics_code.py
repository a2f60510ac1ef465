from odoo import fields, models

#: the marketplaces that confirm shipments with their own logistics company codes
OMS_LOGISTICS_CODE_CONNECTOR = [
    ("taobao", "Taobao / Tmall"),
    ("jd", "JD"),
    ("pinduoduo", "Pinduoduo"),
    ("douyin", "Douyin Shop"),
]


class OmsLogisticsCode(models.Model):
    """A carrier's code on one marketplace (物流公司编码).

    Each marketplace names the logistics companies its own way: Taobao's
    ``company_code`` (``taobao.logistics.companies.get``), JD's ``logiCoprId``,
    Pinduoduo's ``logistics_id`` (``pdd.logistics.companies.get``) and Douyin's
    ``company_code`` (``/order/logisticsCompanyList``). The ship confirmation of
    a delivery sends the code of its carrier for the order's marketplace; a
    carrier without one is not sent and says so on the delivery. Managers keep
    the table (one row per carrier and marketplace).
    """

    _name = "oms.logistics.code"
    _description = "Marketplace Logistics Company Code"
    _order = "connector, carrier_id"
    _rec_name = "code"

    carrier_id = fields.Many2one(
        "delivery.carrier", required=True, ondelete="cascade", index=True
    )
    connector = fields.Selection(
        OMS_LOGISTICS_CODE_CONNECTOR, string="Marketplace", required=True
    )
    code = fields.Char(
        required=True,
        help="The marketplace's code or id of this logistics company, as its "
        "logistics company list API returns it.",
    )
    note = fields.Char(help="Where the code comes from, when it was checked.")

    _sql_constraints = [
        (
            "carrier_connector_uniq",
            "unique(carrier_id, connector)",
            "A carrier has one code per marketplace.",
        ),
    ]
