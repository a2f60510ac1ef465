from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

OMS_TAX_FIX_MODE = [
    ("map", "Use an existing tax"),
    ("create", "Create the tax"),
]


class OmsChannelOrderTaxFix(models.TransientModel):
    """Fix the tax a failed staged order is missing, then retry it: map the
    platform's tax (title and rate) to an existing tax on the channel
    (``oms.channel.tax``), or create the tax (accountants only: Odoo's own
    access rights on taxes decide)."""

    _name = "oms.channel.order.tax.fix"
    _description = "Fix the Missing Tax of a Channel Order"

    staged_order_id = fields.Many2one(
        "oms.channel.order", required=True, readonly=True, ondelete="cascade"
    )
    channel_id = fields.Many2one(related="staged_order_id.channel_id")
    company_id = fields.Many2one(related="staged_order_id.company_id")
    rate = fields.Float(
        "Platform Rate (%)",
        related="staged_order_id.missing_tax_rate",
        digits=(16, 4),
    )
    price_include = fields.Boolean(
        "Price Includes Tax", related="staged_order_id.missing_tax_included"
    )
    title = fields.Char(
        "Platform Tax Title", related="staged_order_id.missing_tax_title"
    )
    mode = fields.Selection(OMS_TAX_FIX_MODE, required=True, default="map")
    tax_id = fields.Many2one(
        "account.tax",
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
    )
    tax_name = fields.Char(
        "New Tax Name", compute="_compute_tax_name", store=True, readonly=False
    )
    can_create_tax = fields.Boolean(compute="_compute_can_create_tax")

    @api.depends("staged_order_id")
    def _compute_tax_name(self):
        for wizard in self:
            rate = format(wizard.rate, "g")
            wizard.tax_name = f"{wizard.title} {rate}%" if wizard.title else f"{rate}%"

    def _compute_can_create_tax(self):
        self.can_create_tax = self.env["account.tax"].has_access("create")

    def _prepare_tax_vals(self):
        """Hook: values of the tax the wizard creates."""
        self.ensure_one()
        return {
            "name": self.tax_name,
            "amount": self.rate,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included"
            if self.price_include
            else "tax_excluded",
            "company_id": self.company_id.id,
        }

    def action_apply(self):
        """Create or map the tax, then retry the staged order."""
        self.ensure_one()
        staged = self.staged_order_id
        if staged.state != "failed" or not staged.missing_tax_rate:
            raise UserError(self.env._("This order does not miss a tax any more."))
        if self.mode == "create":
            if not self.env["account.tax"].has_access("create"):
                raise AccessError(
                    self.env._("Only accountants can create taxes; map the tax.")
                )
            if not self.tax_name:
                raise UserError(self.env._("Give the new tax a name."))
            tax = self.env["account.tax"].create(self._prepare_tax_vals())
        else:
            if not self.tax_id:
                raise UserError(self.env._("Choose the tax to use."))
            tax = self.tax_id
            self.env["oms.channel.tax"].create(
                {
                    "channel_id": staged.channel_id.id,
                    "name": self.title or False,
                    "rate": self.rate,
                    "tax_id": tax.id,
                }
            )
        staged.message_post(
            body=self.env._(
                "Missing tax %(rate)s%% fixed with %(tax)s; retried.",
                rate=format(self.rate, "g"),
                tax=tax.display_name,
            )
        )
        # sudo: the order is imported as the intake (webhook, cron) imports
        # it; the user only fixed its tax
        staged.sudo().action_retry()
        return staged._get_records_action()
