from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    oms_cost_per_order = fields.Monetary(
        related="company_id.oms_cost_per_order",
        currency_field="currency_id",
        readonly=False,
    )
    oms_cost_per_exception = fields.Monetary(
        related="company_id.oms_cost_per_exception",
        currency_field="currency_id",
        readonly=False,
    )
    oms_cost_per_shipment = fields.Monetary(
        related="company_id.oms_cost_per_shipment",
        currency_field="currency_id",
        readonly=False,
    )
    oms_cost_per_return = fields.Monetary(
        related="company_id.oms_cost_per_return",
        currency_field="currency_id",
        readonly=False,
    )
    oms_cost_per_touch = fields.Monetary(
        related="company_id.oms_cost_per_touch",
        currency_field="currency_id",
        readonly=False,
    )
