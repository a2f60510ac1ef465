from odoo import models


class OmsException(models.Model):
    """An exception raised, resolved, overridden or deleted refreshes the
    facts of its order."""

    _name = "oms.exception"
    _inherit = ["oms.order.fact.source", "oms.exception"]

    _oms_fact_fields = frozenset({"order_id", "code", "state"})

    def _get_oms_fact_orders(self):
        return self.order_id
