from odoo import api, fields, models
from odoo.tools import html2plaintext


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

    _sql_constraints = [
        (
            "oms_channel_external_ref_uniq",
            "unique(oms_channel_id, oms_external_ref)",
            "A channel order becomes one sales order only.",
        ),
    ]

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

    def _oms_can_auto_confirm(self):
        """Hook of oms_core: channel orders follow the channel's auto-confirm."""
        self.ensure_one()
        if self.oms_channel_id:
            return self.oms_channel_id.auto_confirm
        return super()._oms_can_auto_confirm()

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
