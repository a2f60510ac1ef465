from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    oms_auto_confirm = fields.Boolean(
        related="company_id.oms_auto_confirm", readonly=False
    )
    oms_priority_high_score = fields.Integer(
        related="company_id.oms_priority_high_score", readonly=False
    )
    oms_priority_urgent_score = fields.Integer(
        related="company_id.oms_priority_urgent_score", readonly=False
    )
    oms_presale_deposit_percent = fields.Float(
        related="company_id.oms_presale_deposit_percent", readonly=False
    )
    oms_exception_deadline_hours = fields.Float(
        related="company_id.oms_exception_deadline_hours", readonly=False
    )
    oms_hold_release_reservation = fields.Boolean(
        related="company_id.oms_hold_release_reservation", readonly=False
    )
    oms_cancel_review_stage = fields.Selection(
        related="company_id.oms_cancel_review_stage", readonly=False
    )
    oms_cancel_review_amount = fields.Monetary(
        related="company_id.oms_cancel_review_amount",
        currency_field="currency_id",
        readonly=False,
    )
    oms_rating_delay_hours = fields.Integer(
        related="company_id.oms_rating_delay_hours", readonly=False
    )
    oms_service_user_id = fields.Many2one(
        related="company_id.oms_service_user_id", readonly=False
    )
    oms_source_warehouse_ids = fields.Many2many(
        related="company_id.oms_source_warehouse_ids", readonly=False
    )
