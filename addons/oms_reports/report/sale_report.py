from odoo import fields, models


class SaleReport(models.Model):
    """Sales analysis by channel: the order's channel on every line."""

    _inherit = "sale.report"

    oms_channel_id = fields.Many2one("oms.channel", "Channel", readonly=True)

    def _select_additional_fields(self):
        res = super()._select_additional_fields()
        res["oms_channel_id"] = "s.oms_channel_id"
        return res

    def _group_by_sale(self):
        return super()._group_by_sale() + ",\n            s.oms_channel_id"
