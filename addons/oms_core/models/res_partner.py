from odoo import fields, models

from .oms_order_type import OMS_INVOICE_POLICY, OMS_PAYMENT_POLICY

OMS_TIERS = [("normal", "Normal"), ("key", "Key Account"), ("vip", "VIP")]
# what the address check of the review reads on a partner
OMS_ADDRESS_FIELDS = {
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "country_id",
    "phone",
    "email",
}


class ResPartner(models.Model):
    """Customer tier, per-customer fulfilment and money policies, and the
    overdue amount."""

    _inherit = "res.partner"

    oms_tier = fields.Selection(
        OMS_TIERS,
        string="Customer Tier",
        default="normal",
        tracking=True,
        help="Used by priority rules to serve key and VIP customers first.",
    )
    oms_picking_policy = fields.Selection(
        [
            ("direct", "Ship available now, back-order the rest"),
            ("one", "Wait until complete"),
        ],
        string="OMS Shipping Policy",
        company_dependent=True,
        help="Overrides the shipping policy of this customer's orders.",
    )
    oms_invoice_policy = fields.Selection(
        OMS_INVOICE_POLICY,
        string="OMS Invoice Policy",
        company_dependent=True,
        help="Overrides the invoice policy of this customer's orders.",
    )
    oms_payment_policy = fields.Selection(
        OMS_PAYMENT_POLICY,
        string="OMS Payment Policy",
        company_dependent=True,
        help="Overrides the payment policy of this customer's orders.",
    )

    oms_accepts_split = fields.Boolean(
        string="Accepts Split Shipments",
        help="When no single warehouse has the whole order, it may ship in one "
        "delivery per warehouse.",
    )

    def write(self, vals):
        """A completed address or a raised credit limit releases the orders
        held for it (``sale.order._oms_release_held``)."""
        res = super().write(vals)
        Order = self.env["sale.order"]
        if OMS_ADDRESS_FIELDS & set(vals):
            Order._oms_release_held(
                ["address"],
                [
                    "|",
                    ("partner_shipping_id", "in", self.ids),
                    ("partner_id", "in", self.ids),
                ],
            )
        if "credit_limit" in vals:
            Order._oms_release_held(
                ["credit_limit"],
                [
                    (
                        "partner_id.commercial_partner_id",
                        "in",
                        self.commercial_partner_id.ids,
                    )
                ],
            )
        return res

    def _oms_get_overdue_domain(self):
        """Hook: domain of the overdue receivable items of the partners in self."""
        return [
            ("partner_id", "child_of", self.commercial_partner_id.ids),
            ("company_id", "in", self.env.companies.ids),
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("reconciled", "=", False),
            ("date_maturity", "<", fields.Date.context_today(self)),
        ]

    def _oms_get_overdue_amount(self):
        """Overdue receivable of the commercial partner(s) of self, in company currency.

        Used by the credit-limit check of the review: overdue invoices count towards it.

        :return: amount residual of the posted, unreconciled receivable items past due
        :rtype: float
        """
        if not self:
            return 0.0
        # sudo: reviewers may not read journal items; only a sum leaves.
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                self._oms_get_overdue_domain(), aggregates=["amount_residual:sum"]
            )
        )
        return groups[0][0] or 0.0
