from odoo import models


class AccountMove(models.Model):
    """A customer invoice or credit note that is posted, reset, cancelled, paid
    or deleted refreshes the facts of its sales orders. Payments are followed
    on `account.partial.reconcile`."""

    _name = "account.move"
    _inherit = ["oms.order.fact.source", "account.move"]

    _oms_fact_fields = frozenset(
        {"state", "invoice_date", "move_type", "payment_state"}
    )

    def _get_oms_fact_orders(self):
        """The sales orders of the customer invoices and credit notes of self."""
        invoices = self.filtered(
            lambda move: move.move_type in ("out_invoice", "out_refund")
        )
        return invoices.invoice_line_ids.sale_line_ids.order_id
