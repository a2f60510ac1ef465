from odoo import models


class SaleOrderLine(models.Model):
    """A line created, deleted or changed in what the facts read (quantities,
    promised date) refreshes the facts of its order."""

    _name = "sale.order.line"
    _inherit = ["oms.order.fact.source", "sale.order.line"]

    _oms_fact_fields = frozenset(
        {"order_id", "product_id", "product_uom_qty", "customer_lead", "display_type"}
    )

    def _get_oms_fact_orders(self):
        return self.order_id
