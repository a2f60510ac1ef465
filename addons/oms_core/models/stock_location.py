from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    oms_is_quarantine = fields.Boolean(
        string="Quarantine Location",
        help="Returned goods with the disposition 'quarantine' are received here.",
    )
