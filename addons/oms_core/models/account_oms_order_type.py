from odoo import fields, models

from .sale_order_fulfilment import OMS_INVOICE_POLICY, OMS_PAYMENT_POLICY


class OmsOrderType(models.Model):
    """Invoice and payment policies per order type."""

    _inherit = "oms.order.type"

    invoice_policy = fields.Selection(
        OMS_INVOICE_POLICY,
        help="Default invoice policy of orders of this type; a customer's own policy "
        "wins. Empty: manual (Odoo's default).",
    )
    payment_policy = fields.Selection(
        OMS_PAYMENT_POLICY,
        help="Default payment policy of orders of this type; a customer's own policy "
        "wins. Empty: payment terms.",
    )
