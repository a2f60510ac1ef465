from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    oms_auto_confirm = fields.Boolean(
        string="Auto-confirm Reviewed Orders",
        default=True,
        help="Confirm an order as soon as its review finds no blocking exception.",
    )
    oms_priority_high_score = fields.Integer(string="High Priority Score", default=50)
    oms_priority_urgent_score = fields.Integer(
        string="Urgent Priority Score", default=100
    )
    oms_presale_deposit_percent = fields.Float(
        string="Presale Deposit (%)",
        default=30.0,
        help="Share of a presale order that must be paid before it is confirmed.",
    )
    oms_exception_deadline_hours = fields.Float(
        string="Exception Deadline (hours)",
        default=24.0,
        help="Deadline of exceptions raised without a rule (e.g. by a channel).",
    )
