from odoo import fields, models

OMS_CANCEL_REVIEW_STAGES = [
    ("any", "Every order"),
    ("approved", "Approved or confirmed orders"),
    ("confirmed", "Confirmed orders"),
    ("none", "No order (amount only)"),
]


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
    oms_hold_release_reservation = fields.Boolean(
        string="Release Reservations of Held Orders",
        help="When a confirmed order goes back on hold, release the stock its "
        "deliveries reserved so that it serves other orders; reserve it again "
        "when the hold is released.",
    )
    oms_cancel_review_stage = fields.Selection(
        OMS_CANCEL_REVIEW_STAGES,
        string="Reviewer Cancels From",
        default="approved",
        help="From this stage on, only an order reviewer who is not the "
        "order's salesperson may cancel it.",
    )
    oms_cancel_review_amount = fields.Monetary(
        string="Reviewer Cancels Above",
        currency_field="currency_id",
        help="Orders of this total or more (company currency) are cancelled "
        "only by an order reviewer who is not their salesperson; 0: no limit.",
    )
    oms_rating_delay_hours = fields.Integer(
        string="Satisfaction Survey Delay (hours)",
        default=24,
        help="Hours after the delivery reached the customer before the "
        "satisfaction survey is sent.",
    )
    oms_service_user_id = fields.Many2one(
        "res.users",
        string="Customer Service",
        help="Who calls back unhappy customers when the order's sales team has "
        "no leader and the order no salesperson.",
    )
    oms_source_warehouse_ids = fields.Many2many(
        "stock.warehouse",
        "oms_company_source_warehouse_rel",
        "company_id",
        "warehouse_id",
        string="Ship From Warehouses",
        domain="[('company_id', '=', id)]",
        help="Warehouses the review may ship an order from besides the order's "
        "own: one that has everything (preferred by the region of the delivery "
        "address), else one delivery per warehouse when the customer accepts "
        "split shipments. Empty: the order's warehouse only.",
    )

    def write(self, vals):
        """A new working calendar changes the promise's calendar of the
        warehouses without their own (``stock.warehouse._oms_get_calendar_data``)."""
        if "resource_calendar_id" in vals:
            self.env.registry.clear_cache()
        return super().write(vals)
