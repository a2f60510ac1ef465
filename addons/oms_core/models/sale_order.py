import json

from odoo import api, fields, models

from .oms_order_type import OMS_ORDER_TYPES

OMS_STAGES = [
    ("draft", "Draft"),
    ("to_review", "To Review"),
    ("on_hold", "On Hold"),
    ("approved", "Approved"),
    ("partially_shipped", "Partially Shipped"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
OMS_PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent")]


class SaleOrder(models.Model):
    """OMS fields of the sales order: type, stage, priority and review results."""

    _inherit = "sale.order"

    # Odoo's credit banner reads the partner's credit fields, which only
    # accounting groups may read: computed as superuser so that salespeople and
    # reviewers can open the quotations of a company using credit limits.
    partner_credit_warning = fields.Text(compute_sudo=True)
    oms_order_type = fields.Selection(
        OMS_ORDER_TYPES,
        string="Order Type",
        default="standard",
        required=True,
        tracking=True,
    )
    oms_stage = fields.Selection(
        OMS_STAGES,
        string="OMS Stage",
        compute="_compute_oms_stage",
        store=True,
        index=True,
        group_expand=True,
        help="Where the order is in its life, derived from Odoo's own states.",
    )
    oms_priority_score = fields.Integer(
        string="Priority Score",
        compute="_compute_oms_priority_score",
        store=True,
        help="Sum of the points of the matching priority rules.",
    )
    oms_priority = fields.Selection(
        OMS_PRIORITIES,
        string="Priority",
        compute="_compute_oms_priority",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        help="From the score and the company thresholds; can be raised by hand.",
    )
    oms_exception_ids = fields.One2many(
        "oms.exception", "order_id", string="Exceptions"
    )
    oms_open_exception_count = fields.Integer(
        string="Open Exceptions", compute="_compute_oms_open_exception_count"
    )
    oms_has_blocking_exception = fields.Boolean(
        compute="_compute_oms_stage", store=True, string="Blocked"
    )
    oms_auto_approved = fields.Boolean(
        string="Auto-approved",
        readonly=True,
        copy=False,
        help="Confirmed by the review with no human action.",
    )
    oms_touch_count = fields.Integer(
        string="Touches",
        readonly=True,
        copy=False,
        help="Manual interventions: overrides, resolutions, edits after approval.",
    )
    oms_reviewed_date = fields.Datetime(string="Reviewed On", readonly=True, copy=False)
    oms_review_pending = fields.Boolean(
        string="Review Pending",
        readonly=True,
        copy=False,
        help="Changed after approval; the review runs again.",
    )
    oms_approval_snapshot = fields.Json(
        string="Approval Snapshot", readonly=True, copy=False
    )
    oms_changes_since_approval = fields.Text(
        string="Changes Since Approval", compute="_compute_oms_changes_since_approval"
    )
    oms_backorder_accepted = fields.Boolean(
        string="Back-order Accepted",
        readonly=True,
        copy=False,
        help="A reviewer decided to ship what is available and back-order the rest.",
    )
    oms_cancel_reason_id = fields.Many2one(
        "oms.cancel.reason",
        string="Cancellation Reason",
        readonly=True,
        copy=False,
        tracking=True,
    )
    oms_delivered_date = fields.Datetime(
        string="Delivered On",
        copy=False,
        readonly=True,
        help="When the goods reached the customer (set by the fulfilment).",
    )
    # key facts re-checked when changed after approval: tracked in the chatter
    partner_shipping_id = fields.Many2one(tracking=True)
    payment_term_id = fields.Many2one(tracking=True)
    pricelist_id = fields.Many2one(tracking=True)
    commitment_date = fields.Datetime(tracking=True)
    warehouse_id = fields.Many2one(tracking=True)
    picking_policy = fields.Selection(
        default=None,
        compute="_compute_picking_policy",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends(
        "state",
        "oms_exception_ids.state",
        "oms_exception_ids.severity",
        "oms_reviewed_date",
        "oms_review_pending",
        "oms_delivered_date",
        "picking_ids.state",
        "invoice_status",
        "invoice_ids.payment_state",
    )
    def _compute_oms_stage(self):
        for order in self:
            blocked = any(
                e.state == "open" and e.severity == "block"
                for e in order.oms_exception_ids
            )
            order.oms_has_blocking_exception = blocked
            order.oms_stage = order._oms_get_stage(blocked)

    def _oms_get_stage(self, blocked):
        """Stage of the order from Odoo's states (hook).

        :param bool blocked: whether a blocking exception is open
        :rtype: str
        """
        self.ensure_one()
        if self.state == "cancel":
            return "cancel"
        if blocked:
            return "on_hold"
        if self.oms_review_pending:
            return "to_review"
        if self.state in ("draft", "sent"):
            return "approved" if self.oms_reviewed_date else "draft"
        if self.oms_delivered_date:
            return "done" if self._oms_is_paid() else "delivered"
        deliveries = self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
        )
        done = deliveries.filtered(lambda p: p.state == "done")
        if done and done == deliveries:
            return "shipped"
        if done:
            return "partially_shipped"
        return "approved"

    def _oms_is_paid(self):
        """Fully invoiced and every customer invoice paid."""
        self.ensure_one()
        invoices = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        return (
            self.invoice_status == "invoiced"
            and bool(invoices)
            and all(
                m.payment_state in ("paid", "in_payment", "reversed") for m in invoices
            )
        )

    @api.depends(
        "partner_id.oms_tier",
        "partner_id.commercial_partner_id.oms_tier",
        "amount_untaxed",
        "amount_total",
        "commitment_date",
        "oms_order_type",
        "team_id",
        "carrier_id",
        "order_line.product_id",
        "company_id",
    )
    def _compute_oms_priority_score(self):
        Rule = self.env["oms.priority.rule"]
        rules = {}  # per company, read once for all the orders
        for order in self:
            company = order.company_id
            if company not in rules:
                rules[company] = Rule._get_rules(company)
            order.oms_priority_score = Rule._get_score(order, rules[company])

    @api.depends("oms_priority_score", "company_id")
    def _compute_oms_priority(self):
        for order in self:
            company = order.company_id or self.env.company
            score = order.oms_priority_score
            if (
                company.oms_priority_urgent_score
                and score >= company.oms_priority_urgent_score
            ):
                order.oms_priority = "2"
            elif (
                company.oms_priority_high_score
                and score >= company.oms_priority_high_score
            ):
                order.oms_priority = "1"
            else:
                order.oms_priority = "0"

    @api.depends("oms_exception_ids.state")
    def _compute_oms_open_exception_count(self):
        for order in self:
            order.oms_open_exception_count = len(
                order.oms_exception_ids.filtered(lambda e: e.state == "open")
            )

    @api.depends("oms_order_type")
    def _compute_picking_policy(self):
        types = self.env["oms.order.type"].search([])
        for order in self:
            policy = types.filtered(
                lambda t, o=order: t.code == o.oms_order_type
            ).picking_policy
            order.picking_policy = policy or order.picking_policy or "direct"

    @api.depends(
        "oms_approval_snapshot", "order_line.product_uom_qty", "order_line.price_unit"
    )
    def _compute_oms_changes_since_approval(self):
        for order in self:
            order.oms_changes_since_approval = order._oms_diff_snapshot()

    def _oms_get_order_type(self):
        """The oms.order.type record holding the defaults of the order's type."""
        self.ensure_one()
        return self.env["oms.order.type"]._get_by_code(self.oms_order_type)

    # ------------------------------------------------------------------
    # Approval snapshot: what changed since approval
    # ------------------------------------------------------------------
    def _oms_take_snapshot(self):
        """The facts checked by the review, as approved."""
        self.ensure_one()
        return {
            "shipping": self.partner_shipping_id.display_name or "",
            "amount": self.amount_total,
            "lines": {
                str(line.id): [
                    line.product_id.display_name,
                    line.product_uom_qty,
                    line.price_unit,
                    line.discount,
                ]
                for line in self._oms_get_product_lines()
            },
        }

    def _oms_diff_snapshot(self):
        self.ensure_one()
        before = self.oms_approval_snapshot
        if not before or not self.id:
            return False
        now = self._oms_take_snapshot()
        changes = []
        if before.get("shipping") != now["shipping"]:
            changes.append(
                self.env._(
                    "Delivery address: %(old)s → %(new)s",
                    old=before.get("shipping"),
                    new=now["shipping"],
                )
            )
        old_lines, new_lines = before.get("lines", {}), now["lines"]
        for key, (product, qty, price, discount) in new_lines.items():
            if key not in old_lines:
                changes.append(
                    self.env._("Added: %(product)s × %(qty)s", product=product, qty=qty)
                )
            elif old_lines[key] != [product, qty, price, discount]:
                old = old_lines[key]
                changes.append(
                    self.env._(
                        "%(product)s: %(old_qty)s × %(old_price)s → "
                        "%(qty)s × %(price)s",
                        product=product,
                        old_qty=old[1],
                        old_price=old[2],
                        qty=qty,
                        price=price,
                    )
                )
        for key, values in old_lines.items():
            if key not in new_lines:
                changes.append(self.env._("Removed: %(product)s", product=values[0]))
        return "\n".join(changes) or False

    def _oms_get_product_lines(self):
        self.ensure_one()
        return self.order_line.filtered(
            lambda line: (
                not line.display_type and line.product_id and not line.is_downpayment
            )
        )

    def _oms_get_lines_signature(self):
        """Products, quantities and total: what makes two orders duplicates."""
        self.ensure_one()
        lines = sorted(
            (line.product_id.id, line.product_uom_qty)
            for line in self._oms_get_product_lines()
        )
        return json.dumps([lines, self.currency_id.round(self.amount_total)])
