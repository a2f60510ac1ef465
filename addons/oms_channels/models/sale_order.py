from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import html2plaintext

from .oms_channel import OMS_CN_CONNECTORS

#: what the intake recorded on the order from its channel: written by the
#: intake only (superuser mode), never by a plain write (see ``write``)
OMS_CHANNEL_STATE_FIELDS = {
    "oms_channel_update_diff",
    "oms_channel_payment_due",
    "oms_channel_payment_error",
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    oms_channel_id = fields.Many2one(
        "oms.channel",
        string="Channel",
        compute="_compute_oms_channel_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        check_company=True,
        tracking=True,
        help="Where the order came from. Defaults from the salesperson's sales team.",
    )
    oms_external_ref = fields.Char(
        "Channel Reference",
        copy=False,
        index="btree_not_null",
        help="The order's id on the channel.",
    )
    oms_channel_order_ids = fields.One2many("oms.channel.order", "sale_order_id")
    oms_channel_update_ids = fields.One2many(
        "oms.channel.order.update",
        "order_id",
        string="Channel Updates",
        help="The changes the channel sent after the import, and what became of them.",
    )
    oms_channel_update_diff = fields.Text(
        "Changes After Shipment",
        readonly=True,
        copy=False,
        help="What the channel changed after the order shipped, not applied to "
        "the order: its review shows it as an exception.",
    )
    oms_channel_payment_due = fields.Monetary(
        "Channel Payment Not Recorded",
        readonly=True,
        copy=False,
        help="Paid on the channel, but not recorded in Odoo because an accounting "
        "setting is missing: recorded as soon as it is fixed.",
    )
    oms_channel_payment_error = fields.Char(
        "Why the Payment Is Not Recorded", readonly=True, copy=False
    )

    _sql_constraints = [
        (
            "oms_channel_external_ref_uniq",
            "unique(oms_channel_id, oms_external_ref)",
            "A channel order becomes one sales order only.",
        ),
    ]

    def write(self, vals):
        """Guard what the intake recorded from the channel
        (``OMS_CHANNEL_STATE_FIELDS``): clearing it would close the exception
        its review shows."""
        guarded = OMS_CHANNEL_STATE_FIELDS & set(vals)
        if guarded and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of an order are recorded by the channel intake "
                    "and cannot be changed directly.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in sorted(guarded)
                    ),
                )
            )
        return super().write(vals)

    @api.depends("team_id")
    def _compute_oms_channel_id(self):
        for order in self:
            if order.oms_channel_id or not order.team_id:
                continue
            order.oms_channel_id = self.env["oms.channel"].search(
                [
                    ("team_id", "=", order.team_id.id),
                    ("company_id", "=", order.company_id.id or self.env.company.id),
                ],
                limit=1,
            )

    @api.model
    def _oms_get_reviewed_facts(self):
        """Hook of oms_core: the channel is a reviewed fact of the order."""
        return dict(super()._oms_get_reviewed_facts(), channel="oms_channel_id")

    def _oms_can_auto_confirm(self):
        """Hook of oms_core: channel orders follow the channel's auto-confirm."""
        self.ensure_one()
        if self.oms_channel_id:
            return self.oms_channel_id.auto_confirm
        return super()._oms_can_auto_confirm()

    def _oms_address_needs_zip(self):
        """Hook of oms_core: the Chinese marketplaces give no ZIP code (or a
        placeholder); their delivery address is the platform's own, masked or
        not, and is not held for it."""
        self.ensure_one()
        if self.oms_channel_id.connector in OMS_CN_CONNECTORS:
            return False
        return super()._oms_address_needs_zip()

    def _oms_notice_enabled(self, event):
        """Hook of oms_core: each channel switches each customer notice off."""
        enabled = super()._oms_notice_enabled(event)
        channel = self.oms_channel_id
        if enabled and channel:
            return bool(channel[f"notify_{event}"])
        return enabled

    def _oms_get_duplicate_domain(self, hours=24):
        """Hook of oms_core: a channel reference only duplicates within its channel."""
        domain = super()._oms_get_duplicate_domain(hours=hours)
        if self.oms_channel_id and self.client_order_ref:
            domain = [*domain, ("oms_channel_id", "=", self.oms_channel_id.id)]
        return domain

    def _oms_log_auto_confirmation(self):
        """Note on the channel orders the review confirmed by itself (intake
        confirms without field tracking, so this is where the chatter says it)."""
        confirmed = self.filtered(lambda o: o.state == "sale" and o.oms_auto_approved)
        if confirmed:
            body = self.env._(
                "Confirmed automatically: the review found no blocking exception."
            )
            confirmed._message_log_batch(bodies=dict.fromkeys(confirmed.ids, body))

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """E-mail to a channel alias: a draft quotation for a person to complete."""
        values = dict(custom_values or {})
        channel = self.env["oms.channel"].browse(values.get("oms_channel_id")).exists()
        if not channel:
            return super().message_new(msg_dict, custom_values)
        partner = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if not partner:
            email = msg_dict.get("email_from") or ""
            partner = self.env["res.partner"].find_or_create(email)
        values.update(
            {
                "partner_id": partner.id,
                "company_id": channel.company_id.id,
                "team_id": channel.team_id.id or False,
                "client_order_ref": (msg_dict.get("subject") or "")[:100] or False,
                "note": html2plaintext(msg_dict.get("body") or "") or False,
            }
        )
        values["name"] = self.env._("New")  # keep the quotation sequence
        return super().message_new(msg_dict, values)
