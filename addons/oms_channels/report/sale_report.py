from odoo import fields, models


class SaleReport(models.Model):
    """Odoo's sales analysis, with the channel as a dimension."""

    _inherit = "sale.report"

    oms_channel_id = fields.Many2one("oms.channel", string="Channel", readonly=True)

    def _select_additional_fields(self):
        res = super()._select_additional_fields()
        res["oms_channel_id"] = "s.oms_channel_id"
        return res

    def _group_by_sale(self):
        res = super()._group_by_sale()
        res += """,
            s.oms_channel_id"""
        return res
