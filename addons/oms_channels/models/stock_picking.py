import logging

from odoo import api, fields, models

from ..adapters import ChannelError

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    oms_channel_sync_state = fields.Selection(
        [("pending", "To Send"), ("done", "Sent"), ("failed", "Failed")],
        string="Channel Sync",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Whether the shipment (carrier, tracking) was sent back to the channel.",
    )
    oms_channel_sync_error = fields.Text(
        "Channel Sync Error", copy=False, readonly=True
    )

    def _action_done(self):
        res = super()._action_done()
        self._oms_mark_channel_sync()
        return res

    def _oms_mark_channel_sync(self):
        """Queue the validated customer deliveries of channel orders for sync back."""
        self._oms_filter_customer_deliveries(include_returns=True).filtered(
            lambda p: (
                p.state == "done"
                and p.sale_id.oms_external_ref
                and p.sale_id.oms_channel_id._adapter_can("can_push_fulfilment")
            )
        ).write({"oms_channel_sync_state": "pending", "oms_channel_sync_error": False})

    def _oms_push_fulfilment(self):
        """Send carrier and tracking of each picking to its channel."""
        for picking in self:
            order = picking.sale_id
            adapter = order.oms_channel_id._get_adapter()
            lines = [(m.product_id.default_code, m.quantity) for m in picking.move_ids]
            try:
                adapter.push_fulfilment(
                    order.oms_external_ref,
                    picking.carrier_id.name or "",
                    picking.carrier_tracking_ref or "",
                    lines,
                )
            except ChannelError as exc:
                picking.write(
                    {
                        "oms_channel_sync_state": "failed",
                        "oms_channel_sync_error": str(exc),
                    }
                )
                picking.message_post(
                    body=self.env._(
                        "Sending the shipment to the channel failed: %(error)s",
                        error=str(exc),
                    )
                )
                continue
            picking.write(
                {"oms_channel_sync_state": "done", "oms_channel_sync_error": False}
            )

    @api.model
    def _cron_push_fulfilments(self, limit=100):
        pickings = self.search(
            [("oms_channel_sync_state", "in", ("pending", "failed"))], limit=limit
        )
        pickings._oms_push_fulfilment()

    def action_oms_push_fulfilment(self):
        self._oms_push_fulfilment()
        return True
