from odoo import api, models

# columns of an order copied into its `oms.order.fact` row
OMS_FACT_ORDER_FIELDS = {
    "create_date",
    "company_id",
    "oms_channel_id",
    "user_id",
    "state",
    "oms_cancel_reason_id",
    "oms_auto_approved",
    "oms_touch_count",
    "amount_untaxed",
    "amount_total",
    "currency_rate",
    "date_order",
    "commitment_date",
    "oms_reviewed_date",
    "oms_delivered_date",
}


class SaleOrder(models.Model):
    """Keep `oms.order.fact` fresh: queue an order when it is created or when a
    column its facts copy is written (cache invalidation only)."""

    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        self.env["oms.order.fact.queue"]._enqueue(orders)
        return orders

    def _write_multi(self, vals_list):
        """Also queue the orders whose copied columns change. Wrapped here, not
        in ``write``, because stored computed fields (amounts, currency rate,
        touch count...) reach the database through this method only."""
        res = super()._write_multi(vals_list)
        changed = [
            order.id
            for order, vals in zip(self, vals_list, strict=True)
            if OMS_FACT_ORDER_FIELDS.intersection(vals)
        ]
        if changed:
            self.env["oms.order.fact.queue"]._enqueue(self.browse(changed))
        return res
