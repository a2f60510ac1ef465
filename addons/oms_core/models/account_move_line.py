from odoo import models


class AccountMoveLine(models.Model):
    """A reconciliation pays invoices: the orders held for their prepayment
    are reviewed again."""

    _inherit = "account.move.line"

    def _reconcile_post_hook(self, data):
        res = super()._reconcile_post_hook(data)
        self.move_id._oms_release_money_holds()
        return res
