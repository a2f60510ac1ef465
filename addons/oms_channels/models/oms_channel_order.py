import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.oms_core.tools import reader_text

from ..intake.errors import OMS_CHANNEL_ORDER_ERROR_KIND

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
    _rec_names_search = ["order_number", "external_ref"]
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
    external_ref = fields.Char(
        "External Reference",
        required=True,
        readonly=True,
        help="The platform's id of the order: the key that stages it once.",
    )
    order_number = fields.Char(
        readonly=True,
        index="btree_not_null",
        help="The order number the shop shows (Shopify's #1001), which names "
        "the staged order.",
    )
    payload = fields.Text(
        readonly=True, help="The order exactly as the channel sent it."
    )
    payload_display = fields.Text(
        "Payload (formatted)",
        compute="_compute_payload_display",
        help="The payload with its JSON indented, to read.",
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
    error_display = fields.Text(
        "Error (to read)",
        compute="_compute_error_display",
        help="Why the order failed, in your language.",
    )
    error_kind = fields.Selection(
        OMS_CHANNEL_ORDER_ERROR_KIND,
        readonly=True,
        copy=False,
        help="Retried automatically: a failure of the moment (network, time-out, "
        "platform busy, lock), retried by the cron with a growing delay. Waits "
        "for a person: the order fails the same way every time (unknown SKU, "
        "invalid data) until someone fixes the mapping and processes it again.",
    )
    missing_skus = fields.Text(
        "Unknown SKUs",
        readonly=True,
        copy=False,
        help="The platform's SKUs of the order bound to no product (one a line).",
    )
    missing_product_refs = fields.Text(
        "Unknown Product IDs",
        readonly=True,
        copy=False,
        help="The platform's product ids of the order's lines that carry no "
        "SKU and are bound to no product (one a line).",
    )
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

    @api.depends("order_number", "external_ref")
    def _compute_display_name(self):
        for record in self:
            record.display_name = record.order_number or record.external_ref

    @api.depends("error")
    @api.depends_context("lang")
    def _compute_error_display(self):
        for record in self:
            record.error_display = reader_text.render(
                record.error, self.env.lang, self.env
            )

    @api.depends("payload")
    def _compute_payload_display(self):
        for record in self:
            try:
                record.payload_display = json.dumps(
                    json.loads(record.payload or ""), indent=2, ensure_ascii=False
                )
            except ValueError:
                record.payload_display = record.payload

    # -- actions ------------------------------------------------------------------
    def action_process(self):
        """Process these staged orders now, through the cron's code path; the
        notification tells the outcome."""
        claimed = self._claim(limit=max(len(self), 1))
        if len(claimed) < len(
            self.filtered(lambda r: r.state in ("received", "failed"))
        ):
            raise UserError(
                self.env._("Some of these orders are being processed right now.")
            )
        claimed._process()
        return self._get_process_notification()

    def action_retry(self):
        """Retry failed orders now (after the mapping was fixed)."""
        failed = self.filtered(lambda r: r.state == "failed")
        if not failed:
            raise UserError(self.env._("Only failed orders can be retried."))
        return failed.action_process()

    def action_open_sku_map(self):
        """Open the wizard that binds the unknown SKU of this failed order to a
        product (or, for a line without SKU, the platform's product id of the
        line), then processes the orders waiting on it."""
        self.ensure_one()
        if self.state != "failed" or not (
            self.missing_skus or self.missing_product_refs
        ):
            raise UserError(self.env._("This order does not wait on an unknown SKU."))
        if self.missing_skus:
            key = {"default_external_sku": self.missing_skus.split("\n")[0]}
        else:
            key = {
                "default_external_product_ref": self.missing_product_refs.split("\n")[0]
            }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Map this SKU"),
            "res_model": "oms.channel.sku.map",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_channel_id": self.channel_id.id,
                "default_staged_order_id": self.id,
                **key,
            },
        }

    def _get_process_notification(self):
        """The notification of what processing these records gave: the sales
        order of an imported one (a link), the error of one that failed again."""
        self.invalidate_recordset()
        Channel = self.env["oms.channel"]
        imported = self.filtered(lambda r: r.state in ("imported", "duplicate"))
        failed = self.filtered(lambda r: r.state == "failed")
        if len(self) == 1 and imported:
            order = self.sale_order_id
            return Channel._oms_notification(
                self.env._(
                    "Order %(number)s was imported as %(order)s.",
                    number=self.display_name,
                    order="%s",
                ),
                "success",
                title=self.env._("Imported"),
                links=[{"label": order.name, "url": f"/odoo/sale.order/{order.id}"}],
                reload=True,
            )
        if len(self) == 1 and failed:
            return Channel._oms_notification(
                self.env._(
                    "Order %(number)s failed again: %(error)s",
                    number=self.display_name,
                    error=self.error_display,
                ),
                "danger",
                title=self.env._("Failed"),
                reload=True,
            )
        waiting = self - imported - failed
        message = self.env._(
            "%(imported)s imported, %(failed)s failed, %(waiting)s not processed.",
            imported=len(imported),
            failed=len(failed),
            waiting=len(waiting),
        )
        if failed:
            first_error = self.env._(
                "First error (%(number)s): %(error)s",
                number=failed[0].display_name,
                error=failed[0].error_display,
            )
            message = f"{message} {first_error}"
        return Channel._oms_notification(
            message,
            "danger" if failed else "success",
            title=self.env._("Processed"),
            reload=True,
        )

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
            {
                "state": "received",
                "attempts": 0,
                "error": False,
                "error_kind": False,
            }
        )
        return True
