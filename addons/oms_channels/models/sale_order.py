from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import html2plaintext
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

from ..adapters.base import PushDocument
from .oms_channel import OMS_CN_CONNECTORS

_lt = LazyTranslate(__name__)

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
    oms_outbox_ids = fields.One2many(
        "oms.channel.outbox",
        "order_id",
        string="Sent to the Channel",
        groups="oms_core.group_oms_user",
    )
    # compute_sudo: counted for the order's readers, the records stay OMS-only
    oms_outbox_count = fields.Integer(
        "Channel Messages", compute="_compute_oms_outbox_count", compute_sudo=True
    )
    oms_outbox_failed_count = fields.Integer(
        "Failed Channel Messages",
        compute="_compute_oms_outbox_count",
        compute_sudo=True,
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

    @api.depends("oms_outbox_ids.state")
    def _compute_oms_outbox_count(self):
        for order in self:
            order.oms_outbox_count = len(order.oms_outbox_ids)
            order.oms_outbox_failed_count = len(
                order.oms_outbox_ids.filtered(lambda r: r.state == "failed")
            )

    def action_oms_view_outbox(self):
        """Smart button: what was sent to the channel about the order."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_channels.oms_channel_outbox_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def _oms_cancel(self, reason):
        """Hook of oms_core: a cancellation decided in Odoo is sent to the
        channel with its reason (not one the channel itself asked for)."""
        res = super()._oms_cancel(reason)
        channel_reason = self.env.ref(
            "oms_channels.oms_cancel_reason_channel", raise_if_not_found=False
        )
        # sudo: queueing is a consequence of the cancellation; the canceller
        # may not read the channel (its connector and the payload's line ids)
        for order in self.sudo():
            if (
                not order.oms_external_ref
                or reason == channel_reason
                or any(order.oms_channel_order_ids.mapped("is_cancel_requested"))
                or not order.oms_channel_id._oms_takes_push("cancel")
            ):
                continue
            self.env["oms.channel.outbox"]._enqueue(
                order, order._oms_prepare_cancel_document(reason)
            )
        return res

    def _oms_prepare_cancel_document(self, reason):
        """Hook: the cancellation sent to the channel.

        :param reason: the ``oms.cancel.reason``
        :rtype: :class:`~odoo.addons.oms_channels.adapters.base.PushDocument`
        """
        self.ensure_one()
        return PushDocument(
            kind="cancel",
            key="",
            external_ref=self.oms_external_ref,
            reference=self.name,
            reason=reason.name,
            reason_code=reason.oms_platform_reason or "other",
            restock=self.oms_channel_id.cancel_restock,
        )

    def _oms_after_platform_refund(self, refund, credit_note):
        """Hook: the order follows a refund made on the platform.

        Refunded quantities not shipped yet intercept the delivery: a blocking
        exception holds the order (its delivery cannot be validated and it
        shows in the hold queue) until a reviewer adjusts and releases it.
        Items the platform restocks that had shipped are expected back: a
        return is opened for them, waiting for the goods (its credit note is
        the platform's).

        :param refund: :class:`~odoo.addons.oms_channels.adapters.base.PlatformRefund`
        :param credit_note: the credit note recorded (may be empty)
        """
        self.ensure_one()
        quantities = self.oms_channel_id._oms_refund_quantities(self, refund)
        self.message_post(
            body=self.env._(
                "Refund %(ref)s made on %(channel)s: %(amount)s, recorded as "
                "%(credit_note)s.",
                ref=refund.ref,
                channel=self.oms_channel_id.display_name,
                amount=format(refund.amount, "f"),
                credit_note=credit_note.name or "-",
            )
        )
        open_deliveries = self._oms_get_customer_deliveries().filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        not_shipped = {
            line: quantity
            for line, quantity in quantities.items()
            if line.product_uom_qty - line.qty_delivered > 0
        }
        if open_deliveries and not_shipped:
            self._oms_add_exception(
                "channel_refund_before_shipment",
                reader_text.store(
                    _lt(
                        "The customer was refunded on %(channel)s before shipment "
                        "(%(lines)s): stop the delivery, adjust the order, then "
                        "release it."
                    ),
                    channel=reader_text.record(self.oms_channel_id),
                    lines=", ".join(
                        f"{quantity:g} × {line.product_id.display_name}"
                        for line, quantity in not_shipped.items()
                    ),
                ),
                severity="block",
            )
        shipped = {
            line: min(quantity, line.qty_delivered)
            for line, quantity in quantities.items()
            if line.qty_delivered > 0
        }
        if refund.restock and shipped:
            self._oms_expect_platform_return(shipped, credit_note)

    def _oms_expect_platform_return(self, quantities, credit_note):
        """Open the return of refunded items the customer sends back, waiting
        for the goods; its credit note is the platform refund's."""
        self.ensure_one()
        proposed = [
            vals
            for vals in self._prepare_oms_return_line_vals()
            if self.env["sale.order.line"].browse(vals["sale_line_id"]) in quantities
        ]
        lines, left = [], dict(quantities)
        for vals in proposed:
            line = self.env["sale.order.line"].browse(vals["sale_line_id"])
            quantity = min(vals["quantity"], left.get(line, 0.0))
            if quantity > 0:
                left[line] -= quantity
                lines.append(Command.create(dict(vals, quantity=quantity)))
        if not lines:
            return self.env["oms.return"]
        ret = self.env["oms.return"].create(
            {
                "order_id": self.id,
                "line_ids": lines,
                "credit_note_id": credit_note.id or False,
                "note": self.env._("Refunded on the channel; the goods come back."),
            }
        )
        ret.action_confirm()
        return ret

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

    def _oms_get_source_warehouses(self):
        """The channel's *Ship From Warehouses*, when set, narrow the warehouses
        the order may ship from (the order's own stays one of them)."""
        warehouses = super()._oms_get_source_warehouses()
        allowed = self.oms_channel_id.source_warehouse_ids
        if allowed:
            warehouses = warehouses.filtered(
                lambda w: w in allowed or w == self.warehouse_id
            )
        return warehouses

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
