from odoo import fields, models

OMS_PLATFORM_CANCEL_REASON = [
    ("customer", "Customer changed or cancelled the order"),
    ("inventory", "Items unavailable"),
    ("fraud", "Fraudulent order"),
    ("declined", "Payment declined"),
    ("other", "Other"),
]


class OmsCancelReason(models.Model):
    _inherit = "oms.cancel.reason"

    oms_platform_reason = fields.Selection(
        OMS_PLATFORM_CANCEL_REASON,
        string="Reason on the Platform",
        default="other",
        help="The reason sent with a cancellation to platforms that take one of "
        "a fixed list (Shopify); the others get the reason's name.",
    )
