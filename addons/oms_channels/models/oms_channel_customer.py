from odoo import api, fields, models


class OmsChannelCustomer(models.Model):
    """Binding of a channel's customer id to our partner."""

    _name = "oms.channel.customer"
    _description = "Channel Customer"
    _rec_name = "external_id"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "oms.channel", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    external_id = fields.Char("Channel Customer ID", required=True)
    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )

    _sql_constraints = [
        (
            "channel_external_uniq",
            "unique(channel_id, external_id)",
            "A channel customer is bound to one partner only.",
        ),
    ]

    @api.model
    def _to_internal(self, channel, external_ids):
        """The bindings of these customer ids of ``channel`` (one query); their
        ``partner_id`` is our customer.

        :param channel: ``oms.channel`` record
        :param external_ids: list of the platform's customer ids
        :rtype: ``oms.channel.customer`` recordset
        """
        return self.search(
            [("channel_id", "=", channel.id), ("external_id", "in", external_ids)]
        )

    @api.model
    def _to_external(self, channel, partners):
        """The bindings of these partners on ``channel`` (their ``external_id``).

        :rtype: ``oms.channel.customer`` recordset
        """
        return self.search(
            [("channel_id", "=", channel.id), ("partner_id", "in", partners.ids)]
        )

    @api.model
    def _bind(self, channel, external_id, partner):
        """Bind the channel's customer ``external_id`` (not bound yet) to
        ``partner``."""
        return self.create(
            {
                "channel_id": channel.id,
                "external_id": external_id,
                "partner_id": partner.id,
            }
        )
