from odoo import api, fields, models

from ..adapters.base import version_label
from .oms_channel_order import OMS_CHANNEL_ORDER_SOURCE

OMS_CHANNEL_UPDATE_STATE = [
    ("applied", "Applied"),
    ("held", "Not applied: shipped"),
    ("ignored", "Ignored"),
    ("failed", "Failed"),
]


class OmsChannelOrderUpdate(models.Model):
    """One change of an imported order received from its channel, and what
    became of it: applied to the sales order, held because the order has
    shipped (an exception shows the changes instead), ignored (older than a
    version received before, or nothing the order keeps changed) or failed.

    Written by the intake only (``_log``); users read it on the order.
    """

    _name = "oms.channel.order.update"
    _description = "Channel Order Update"
    _order = "id desc"
    _check_company_auto = True

    staged_order_id = fields.Many2one(
        "oms.channel.order",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    order_id = fields.Many2one(
        "sale.order", ondelete="cascade", index=True, readonly=True
    )
    channel_id = fields.Many2one(related="staged_order_id.channel_id")
    company_id = fields.Many2one(
        related="staged_order_id.company_id", store=True, index=True
    )
    version = fields.Char(
        "Channel Version",
        readonly=True,
        help="The platform's version of the change: its version number, or its "
        "updated_at in UTC.",
    )
    received_date = fields.Datetime("Received", readonly=True)
    source = fields.Selection(OMS_CHANNEL_ORDER_SOURCE, readonly=True)
    state = fields.Selection(OMS_CHANNEL_UPDATE_STATE, required=True, readonly=True)
    reason = fields.Text(readonly=True)
    changes = fields.Text(readonly=True)

    @api.model
    def _log(
        self, staged, version, source, state, reason=False, changes=False, date=None
    ):
        """Record what became of a change of ``staged`` (the intake's own log).

        :param staged: the ``oms.channel.order`` of the imported order
        :param str version: the channel's version of the change (``version_key``)
        :param str state: a key of ``OMS_CHANNEL_UPDATE_STATE``
        :param str changes: the changes, one a line
        :param date: when the change arrived (default: now)
        :return: the new log line
        """
        # sudo: the intake's own record, whoever delivered the change (users
        # only read it)
        return self.sudo().create(
            {
                "staged_order_id": staged.id,
                "order_id": staged.sale_order_id.id,
                "version": version_label(version) or False,
                "received_date": date or fields.Datetime.now(),
                "source": source,
                "state": state,
                "reason": reason,
                "changes": changes,
            }
        )
