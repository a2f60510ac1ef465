from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Keep `oms.order.fact` fresh: queue the sales orders of the invoices a
    payment is reconciled with or unreconciled from (cache invalidation only)."""

    _inherit = "account.partial.reconcile"

    def _get_oms_fact_orders(self):
        moves = (self.debit_move_id | self.credit_move_id).move_id
        return moves._get_oms_fact_orders()

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        self.env["oms.order.fact.queue"]._enqueue(partials._get_oms_fact_orders())
        return partials

    def unlink(self):
        self.env["oms.order.fact.queue"]._enqueue(self._get_oms_fact_orders())
        return super().unlink()
