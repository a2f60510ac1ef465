from odoo import api, models

# fields of a line that its order's facts (quantities, promised date) read
OMS_FACT_LINE_FIELDS = {
    "order_id",
    "product_id",
    "product_uom_qty",
    "customer_lead",
    "display_type",
}


class SaleOrderLine(models.Model):
    """Keep `oms.order.fact` fresh: queue the order when a line changes
    (cache invalidation only, the facts are computed in SQL)."""

    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        self.env["oms.order.fact.queue"]._enqueue(lines.order_id)
        return lines

    def write(self, vals):
        orders = self.order_id if OMS_FACT_LINE_FIELDS.intersection(vals) else None
        res = super().write(vals)
        if orders is not None:
            self.env["oms.order.fact.queue"]._enqueue(orders | self.order_id)
        return res

    def unlink(self):
        self.env["oms.order.fact.queue"]._enqueue(self.order_id)
        return super().unlink()
