from odoo import fields, models

OMS_TIERS = [("normal", "Normal"), ("key", "Key Account"), ("vip", "VIP")]


class ResPartner(models.Model):
    _inherit = "res.partner"

    oms_tier = fields.Selection(
        OMS_TIERS,
        string="Customer Tier",
        default="normal",
        tracking=True,
        help="Used by priority rules to serve key and VIP customers first.",
    )
