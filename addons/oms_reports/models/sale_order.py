from odoo import models


class SaleOrder(models.Model):
    """An order refreshes its facts when it is created or when a column they
    copy changes, written or recomputed (amounts, currency rate...)."""

    _name = "sale.order"
    _inherit = ["oms.order.fact.source", "sale.order"]

    _oms_fact_fields = frozenset(
        {
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
            "oms_promised_date",
            "oms_reviewed_date",
            "oms_delivered_date",
        }
    )

    def _get_oms_fact_orders(self):
        return self
