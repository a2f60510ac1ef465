from odoo import models


class AccountPartialReconcile(models.Model):
    """Reconciling a payment with an invoice, or unreconciling it, refreshes
    the facts of the invoice's sales orders."""

    _name = "account.partial.reconcile"
    _inherit = ["oms.order.fact.source", "account.partial.reconcile"]

    def _get_oms_fact_orders(self):
        moves = (self.debit_move_id | self.credit_move_id).move_id
        return moves._get_oms_fact_orders()
