from odoo import fields, models


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    oms_cod_journal_id = fields.Many2one(
        "account.journal",
        string="Cash on Delivery Journal",
        domain="[('type', 'in', ('bank', 'cash'))]",
        check_company=True,
        help="Journal on which cash-on-delivery payments collected by this carrier are "
        "registered when it confirms the delivery.",
    )
