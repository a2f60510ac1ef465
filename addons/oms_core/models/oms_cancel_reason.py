from odoo import fields, models


class OmsCancelReason(models.Model):
    """Why an order was cancelled (required by the OMS cancel action)."""

    _name = "oms.cancel.reason"
    _description = "Order Cancellation Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
