from odoo import api, fields, models
from odoo.tools import SQL


class OmsChannelSkuUnmatched(models.Model):
    """The platform SKUs of a channel that failed orders wait on: bound to no
    product yet (``oms.channel.order.missing_skus``), with how many orders wait
    and when they were first and last seen. Read-only (a SQL view); "Map"
    binds the SKU (``oms.channel.sku.map``)."""

    _name = "oms.channel.sku.unmatched"
    _description = "Unmatched Channel SKU"
    _auto = False
    _order = "order_count desc, last_seen desc"
    _rec_name = "external_sku"

    channel_id = fields.Many2one("oms.channel", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    external_sku = fields.Char("Channel SKU", readonly=True)
    order_count = fields.Integer("Orders Waiting", readonly=True)
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True)

    @property
    def _table_query(self):
        return SQL(
            "%s %s %s %s",
            self._select(),
            self._from(),
            self._where(),
            self._group_by(),
        )

    @api.model
    def _select(self):
        # a stable id per (channel, SKU): a row keeps it while orders come and go
        return SQL(
            """SELECT (hashtextextended(o.channel_id || '/' || s.sku, 0)
                       & 2147483647)::int AS id,
                      o.channel_id, o.company_id, s.sku AS external_sku,
                      count(DISTINCT o.id) AS order_count,
                      min(o.received_date) AS first_seen,
                      max(o.received_date) AS last_seen"""
        )

    @api.model
    def _from(self):
        return SQL(
            """FROM oms_channel_order o
               CROSS JOIN LATERAL regexp_split_to_table(o.missing_skus, E'\\n')
                   AS s(sku)"""
        )

    @api.model
    def _where(self):
        return SQL(
            """WHERE o.state = 'failed' AND s.sku != ''
                 AND NOT EXISTS (
                     SELECT 1 FROM oms_channel_product b
                      WHERE b.channel_id = o.channel_id AND b.external_sku = s.sku)"""
        )

    @api.model
    def _group_by(self):
        return SQL("GROUP BY o.channel_id, o.company_id, s.sku")

    def action_map(self):
        """Open the wizard that binds this SKU to a product."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Map this SKU"),
            "res_model": "oms.channel.sku.map",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_channel_id": self.channel_id.id,
                "default_external_sku": self.external_sku,
            },
        }
