from odoo import models

# fields of a customer invoice or credit note that its orders' facts read
OMS_FACT_INVOICE_FIELDS = {"state", "invoice_date", "move_type", "payment_state"}


class AccountMove(models.Model):
    """Keep `oms.order.fact` fresh: queue the sales orders of a customer invoice
    or credit note that is posted, reset, cancelled or deleted (cache
    invalidation only). Payments are followed on `account.partial.reconcile`."""

    _inherit = "account.move"

    def _get_oms_fact_orders(self):
        """The sales orders of the customer invoices and credit notes of self."""
        invoices = self.filtered(
            lambda move: move.move_type in ("out_invoice", "out_refund")
        )
        return invoices.invoice_line_ids.sale_line_ids.order_id

    def write(self, vals):
        if not OMS_FACT_INVOICE_FIELDS.intersection(vals):
            return super().write(vals)
        orders = self._get_oms_fact_orders()
        res = super().write(vals)
        self.env["oms.order.fact.queue"]._enqueue(orders | self._get_oms_fact_orders())
        return res

    def unlink(self):
        self.env["oms.order.fact.queue"]._enqueue(self._get_oms_fact_orders())
        return super().unlink()
