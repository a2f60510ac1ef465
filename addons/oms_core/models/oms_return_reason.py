from odoo import fields, models


class OmsReturnReason(models.Model):
    _name = "oms.return.reason"
    _description = "Return Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company")
    is_wrong_item = fields.Boolean(
        "Wrong Item or Quantity",
        help="Returns for this reason mean the order was shipped wrong (wrong "
        "item or quantity): they count against the order accuracy rate.",
    )
