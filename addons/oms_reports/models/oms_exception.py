from odoo import api, models

# fields of an exception that its order's facts read
OMS_FACT_EXCEPTION_FIELDS = {"order_id", "code", "state"}


class OmsException(models.Model):
    """Keep `oms.order.fact` fresh: queue the order of an exception that is
    raised, resolved, overridden or deleted (cache invalidation only)."""

    _inherit = "oms.exception"

    @api.model_create_multi
    def create(self, vals_list):
        exceptions = super().create(vals_list)
        self.env["oms.order.fact.queue"]._enqueue(exceptions.order_id)
        return exceptions

    def write(self, vals):
        if not OMS_FACT_EXCEPTION_FIELDS.intersection(vals):
            return super().write(vals)
        orders = self.order_id
        res = super().write(vals)
        self.env["oms.order.fact.queue"]._enqueue(orders | self.order_id)
        return res

    def unlink(self):
        self.env["oms.order.fact.queue"]._enqueue(self.order_id)
        return super().unlink()
