from odoo import api, models


class OmsOrderFactSource(models.AbstractModel):
    """Mixin of the models the order facts (`oms.order.fact`) read: a change of
    one of their ``_oms_fact_fields`` queues the orders whose facts it touches
    (``_get_oms_fact_orders``) in `oms.order.fact.queue`. Cache invalidation
    only: the facts themselves are computed in SQL.

    A model takes part with ``_inherit = ["oms.order.fact.source", model]`` (the
    mixin first, so that its create/write/unlink wrap the model's own: an
    invoice's orders are read before its lines are deleted), the class
    attribute and the hook. Writes of fields the facts do not read cost one set
    intersection; stored computed fields are followed through
    ``_compute_field_value``, the hook Odoo's own tracking of computed fields
    (``mail.thread``) uses.

    The orders are looked up as superuser: whoever changes a source record
    queues the facts of its orders, also when they may not read those orders
    (a warehouse user validating someone else's delivery); only the orders'
    ids reach the queue.
    """

    _name = "oms.order.fact.source"
    _description = "Source of Order Facts"

    # the stored fields the facts read: writing or recomputing one queues
    _oms_fact_fields = frozenset()

    def _get_oms_fact_orders(self):
        """Hook: the sales orders whose facts read ``self``.

        :rtype: sale.order
        """
        return self.env["sale.order"]

    def _get_oms_fact_sources(self, vals):
        """Hook: the records of ``self`` whose change of ``vals`` can change
        the facts (all of them by default), e.g. to leave out the states in
        which the facts do not read a field.

        :param dict vals: the values written, or the names of the recomputed
            fields mapped to ``None``; only called when they hold one of
            ``_oms_fact_fields``
        :rtype: recordset
        """
        return self

    def _oms_queue_facts(self, orders, created=False):
        """Queue the facts of ``orders`` (`sale.order` records) for a refresh.

        :param bool created: ``orders`` were created just now
        """
        self.env["oms.order.fact.queue"]._enqueue(orders, created=created)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        orders = records.sudo()._get_oms_fact_orders()
        self._oms_queue_facts(orders, created=orders._name == records._name)
        return records

    def write(self, vals):
        if not self._oms_fact_fields.intersection(vals):
            return super().write(vals)
        sources = self._get_oms_fact_sources(vals)
        orders = sources.sudo()._get_oms_fact_orders()
        res = super().write(vals)
        if sources:
            self._oms_queue_facts(orders | sources.sudo()._get_oms_fact_orders())
        return res

    def unlink(self):
        self._oms_queue_facts(self.sudo()._get_oms_fact_orders())
        return super().unlink()

    def _compute_field_value(self, field):
        """Also queue the orders of the records whose stored fact fields were
        recomputed (amounts, quantities, payment states...): they reach the
        database without ``write``."""
        res = super()._compute_field_value(field)
        if field.store and self._oms_fact_fields:
            names = {
                computed.name
                for computed in self.pool.field_computed.get(field, [field])
                if computed.name in self._oms_fact_fields
            }
            records = self.filtered("id") if names else None
            if records:
                sources = records._get_oms_fact_sources(dict.fromkeys(names))
                self._oms_queue_facts(sources.sudo()._get_oms_fact_orders())
        return res
