from odoo import fields, models
from odoo.exceptions import UserError

OMS_CHANNEL_ORDER_STATE = [
    ("received", "Received"),
    ("imported", "Imported"),
    ("duplicate", "Duplicate"),
    ("failed", "Failed"),
    ("ignored", "Ignored"),
]
OMS_CHANNEL_ORDER_SOURCE = [
    ("webhook", "Webhook"),
    ("pull", "Scheduled pull"),
    ("file", "File"),
    ("manual", "Manual"),
]


class OmsChannelOrder(models.Model):
    """A channel's order as it arrived, kept once (the raw payload), and what
    its import gave. How it is staged, claimed and retried is the queue
    (`oms.channel.order.queue`); how it is imported, the
    :class:`~odoo.addons.oms_channels.intake.importer.OrderImporter`."""

    _name = "oms.channel.order"
    _description = "Staged Channel Order"
    _inherit = ["mail.thread", "oms.channel.order.queue"]
    _order = "received_date desc, id desc"
    _rec_name = "external_ref"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "oms.channel",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True
    )
    external_ref = fields.Char("External Reference", required=True, readonly=True)
    payload = fields.Text(
        readonly=True, help="The order exactly as the channel sent it."
    )
    state = fields.Selection(
        OMS_CHANNEL_ORDER_STATE,
        required=True,
        default="received",
        index=True,
        readonly=True,
        tracking=True,
    )
    error = fields.Text(readonly=True)
    attempts = fields.Integer(readonly=True)
    next_retry_date = fields.Datetime(readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    received_date = fields.Datetime(
        default=fields.Datetime.now, readonly=True, required=True
    )
    processed_date = fields.Datetime(readonly=True)
    source = fields.Selection(
        OMS_CHANNEL_ORDER_SOURCE,
        default="manual",
        readonly=True,
    )
    is_cancel_requested = fields.Boolean(
        "Cancellation Requested",
        readonly=True,
        help="The channel cancelled the order; the cron applies the cancellation.",
    )
    is_cancel_done = fields.Boolean(readonly=True)
    is_awaiting_payment = fields.Boolean(
        "Awaiting Payment",
        readonly=True,
        help="The buyer has not paid yet: the order is kept up to date but not "
        "imported; it is queued once the platform reports it paid.",
    )
    channel_version = fields.Char(
        readonly=True,
        copy=False,
        help="The platform's version of the newest payload received (its "
        "updated_at or version): an older one arriving later is ignored.",
    )
    update_payload = fields.Text(
        readonly=True,
        copy=False,
        help="The newest change of the imported order, exactly as the channel sent it.",
    )
    is_update_pending = fields.Boolean(
        "Update Pending",
        readonly=True,
        copy=False,
        help="A change of the imported order waits to be applied to its sales order.",
    )
    update_source = fields.Selection(
        OMS_CHANNEL_ORDER_SOURCE, readonly=True, copy=False
    )
    update_date = fields.Datetime(
        "Update Received", readonly=True, copy=False, help="When the update arrived."
    )
    update_ids = fields.One2many(
        "oms.channel.order.update", "staged_order_id", string="Updates"
    )
    missing_tax_rate = fields.Float(
        readonly=True, copy=False, help="The platform's tax rate no tax matches."
    )
    missing_tax_included = fields.Boolean(readonly=True, copy=False)
    missing_tax_title = fields.Char(
        readonly=True, copy=False, help="The platform's name of the missing tax."
    )

    _sql_constraints = [
        (
            "channel_ref_uniq",
            "unique(channel_id, external_ref)",
            "An order of a channel is staged only once.",
        ),
    ]

    # -- actions ------------------------------------------------------------------
    def action_process(self):
        """Process these staged orders now, through the cron's code path."""
        claimed = self._claim(limit=max(len(self), 1))
        if len(claimed) < len(
            self.filtered(lambda r: r.state in ("received", "failed"))
        ):
            raise UserError(
                self.env._("Some of these orders are being processed right now.")
            )
        claimed._process()
        return True

    def action_retry(self):
        """Retry failed orders now (after the mapping was fixed)."""
        failed = self.filtered(lambda r: r.state == "failed")
        if not failed:
            raise UserError(self.env._("Only failed orders can be retried."))
        return failed.action_process()

    def action_open_tax_fix(self):
        """Open the wizard that creates or maps the tax the import is missing."""
        self.ensure_one()
        if self.state != "failed" or not self.missing_tax_rate:
            raise UserError(self.env._("This order does not miss a tax."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Fix the Missing Tax"),
            "res_model": "oms.channel.order.tax.fix",
            "view_mode": "form",
            "target": "new",
            "context": {"default_staged_order_id": self.id},
        }

    def action_ignore(self):
        if self.filtered(lambda r: r.state == "imported"):
            raise UserError(
                self.env._(
                    "An imported order cannot be ignored; cancel the sales order."
                )
            )
        self.write({"state": "ignored", "next_retry_date": False})
        return True

    def action_reset(self):
        """Put ignored orders back into the queue."""
        self.filtered(lambda r: r.state == "ignored").write(
            {"state": "received", "attempts": 0, "error": False}
        )
        return True
