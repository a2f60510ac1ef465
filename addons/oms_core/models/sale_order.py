import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import (
    float_compare,
    float_is_zero,
    float_round,
    format_date,
    format_datetime,
    formatLang,
)
from odoo.tools.translate import LazyTranslate

from ..tools import reader_text
from .oms_order_type import OMS_INVOICE_POLICY, OMS_ORDER_TYPES, OMS_PAYMENT_POLICY
from .promise_engine import order_date
from .review_batch import OmsReviewBatch

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)


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

OMS_PAYMENT_STATE = [
    ("not_invoiced", "Not invoiced"),
    ("not_paid", "Not paid"),
    ("partial", "Partially paid"),
    ("paid", "Paid"),
]

# The reviewed facts of the order besides its lines (see
# ``SaleOrder._oms_get_reviewed_facts``): fact key -> field. A change of one of
# them after approval re-runs the rules reading it (``OMS_CHECK_FACTS``).
OMS_REVIEWED_FACTS = {
    "partner": "partner_id",
    "shipping": "partner_shipping_id",
    "payment_term": "payment_term_id",
    "pricelist": "pricelist_id",
    "warehouse": "warehouse_id",
    "order_type": "oms_order_type",
    "fiscal_position": "fiscal_position_id",
    "commitment_date": "commitment_date",
}
# the facts of the lines: product, quantity (and unit), price and discount
OMS_LINE_FACTS = {"line_product", "line_qty", "line_price", "line_discount"}

# What the review recorded on the order: written by the review and the
# resolution actions only (in superuser mode), never by a plain write (see
# ``SaleOrder.write``).
OMS_REVIEW_STATE_FIELDS = {
    "oms_reviewed_date",
    "oms_review_pending",
    "oms_approval_snapshot",
    "oms_auto_approved",
    "oms_touch_count",
    "oms_backorder_accepted",
    "oms_cancel_reason_id",
    "oms_promised_date",
    "oms_sourcing_note",
}

# Orders the server is working on, by purpose, for the duration of one call
# (``SaleOrder._oms_mark``): kept on the cursor, out of reach of any client,
# unlike a context key.
OMS_MARK_REVIEWED = "oms_core.reviewed"  # the review approved them just now
OMS_MARK_RESOLVING = "oms_core.resolving"  # a reviewer's resolution edits them
OMS_MARK_CANCELLING = "oms_core.cancelling"  # cancelled with a reason
OMS_MARK_APPROVING = "oms_core.approving"  # a reviewer applies a change request
OMS_MARK_WRITING = "oms_core.writing"  # written: the order re-reviews its lines

# Satisfaction answers that make customer service call the customer back.
OMS_LOW_RATING = 2  # stars out of 5
OMS_NPS_DETRACTOR = 6  # out of 10


class SaleOrder(models.Model):
    """The order of the OMS: its type, review, priority and stage, fulfilment,
    money and returns, in the order an order goes through them."""

    _inherit = "sale.order"

    # Odoo's credit banner reads the partner's credit fields, which only
    # accounting groups may read: computed as superuser so that salespeople and
    # reviewers can open the quotations of a company using credit limits.
    partner_credit_warning = fields.Text(compute_sudo=True)
    # Required in the form only: no NOT NULL on a core table, so that modules
    # loaded before this one (and their tests) keep creating orders.
    oms_order_type = fields.Selection(
        OMS_ORDER_TYPES,
        string="Order Type",
        default="standard",
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
    oms_priority_explanation = fields.Text(
        string="Why this Priority",
        compute="_compute_oms_priority_explanation",
        help="The priority rules the order matches, with their points, and the "
        "company's thresholds.",
    )
    oms_auto_approved = fields.Boolean(
        string="Confirmed Untouched",
        readonly=True,
        copy=False,
        help="Confirmed by the review itself: nobody pressed Confirm and nobody "
        "cleared an exception. An order that passed the review but that a person "
        "confirmed is not.",
    )
    oms_review_passed = fields.Boolean(
        string="Passed the Review",
        compute="_compute_oms_review_passed",
        help="The last review found nothing blocking: no exception waits for a "
        "reviewer. Whether a person or the review confirmed the order says "
        "Confirmed Untouched.",
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
    oms_change_request_ids = fields.One2many(
        "oms.order.change", "order_id", string="Change Requests"
    )
    oms_change_request_count = fields.Integer(
        string="Pending Change Requests", compute="_compute_oms_change_request_count"
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
    oms_rating_requested = fields.Boolean(
        string="Satisfaction Survey Sent",
        readonly=True,
        copy=False,
        help="The customer was asked to rate the delivery (once per order).",
    )
    oms_notice_ids = fields.One2many(
        "oms.order.notice", "order_id", string="Customer Notices", readonly=True
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

    oms_invoice_policy = fields.Selection(
        OMS_INVOICE_POLICY,
        string="Invoice Policy",
        compute="_compute_oms_invoice_policy",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="On order: invoiced and posted at confirmation (prepaid). On delivery: "
        "invoiced and posted for the delivered quantities when a delivery is "
        "validated. "
        "Periodic: delivered quantities invoiced per customer by a scheduled action.",
    )
    oms_payment_policy = fields.Selection(
        OMS_PAYMENT_POLICY,
        string="Payment Policy",
        compute="_compute_oms_payment_policy",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Prepaid: not shipped before it is paid. Cash on delivery: the payment is "
        "registered when the carrier confirms the delivery.",
    )
    oms_delivered_on_time = fields.Boolean(
        string="Delivered on Time",
        compute="_compute_oms_delivered_on_time",
        store=True,
        help="Delivered no later than the commitment date, or the expected date.",
    )
    oms_backorder_ids = fields.Many2many(
        "stock.picking",
        string="Back-orders",
        compute="_compute_oms_backorder_ids",
    )
    oms_backorder_count = fields.Integer(
        string="Back-order Count", compute="_compute_oms_backorder_ids"
    )
    oms_payment_ids = fields.Many2many(
        "account.payment",
        "oms_sale_order_payment_rel",
        "order_id",
        "payment_id",
        string="Reported Payments",
        copy=False,
        readonly=True,
    )
    oms_amount_paid = fields.Monetary(
        string="Amount Paid", compute="_compute_oms_payment_state"
    )
    oms_payment_state = fields.Selection(
        OMS_PAYMENT_STATE, string="Payment Status", compute="_compute_oms_payment_state"
    )
    oms_is_paid = fields.Boolean(string="Is Paid", compute="_compute_oms_payment_state")

    oms_return_ids = fields.One2many("oms.return", "order_id", string="Returns")
    oms_return_count = fields.Integer(
        string="Return Count", compute="_compute_oms_return_count"
    )
    oms_promised_date = fields.Datetime(
        string="Promised Ship Date",
        compute="_compute_oms_promised_date",
        store=True,
        copy=False,
        help="When the order leaves the warehouse: its latest line, or its "
        "first one when it ships what is available. Estimated while quoting, "
        "promised at confirmation, re-promised when the stock changes.",
    )

    # sourcing: which warehouse ships what (the review's stock check)
    oms_split_allowed = fields.Boolean(
        string="Split Shipments Accepted",
        compute="_compute_oms_split_allowed",
        store=True,
        readonly=False,
        precompute=True,
        help="When no single warehouse has everything, the order may ship in one "
        "delivery per warehouse (the customer's choice by default).",
    )
    oms_sourcing_note = fields.Text(
        string="Sourcing",
        readonly=True,
        copy=False,
        help="Which warehouse ships what, and why (written by the review).",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

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
    def _compute_oms_priority_explanation(self):
        Rule = self.env["oms.priority.rule"]
        for order in self:
            company = order.company_id or self.env.company
            lines = [
                self.env._("%(rule)s: +%(points)s", rule=rule.name, points=rule.points)
                for rule in Rule._get_matches(order, Rule._get_rules(company))
            ] or [self.env._("No priority rule matches this order.")]
            lines.append(
                self.env._(
                    "Score %(score)s: high from %(high)s, urgent from %(urgent)s.",
                    score=order.oms_priority_score,
                    high=company.oms_priority_high_score or "-",
                    urgent=company.oms_priority_urgent_score or "-",
                )
            )
            order.oms_priority_explanation = "\n".join(lines)

    @api.depends(
        "oms_reviewed_date", "oms_review_pending", "oms_has_blocking_exception"
    )
    def _compute_oms_review_passed(self):
        for order in self:
            order.oms_review_passed = bool(
                order.oms_reviewed_date
                and not order.oms_review_pending
                and not order.oms_has_blocking_exception
            )

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

    @api.depends("oms_order_type", "partner_id")
    def _compute_picking_policy(self):
        """The customer's shipping policy wins over the order type's default."""
        types = self.env["oms.order.type"].search([])
        for order in self:
            policy = (
                order.partner_id.commercial_partner_id.oms_picking_policy
                or types.filtered(
                    lambda t, o=order: t.code == o.oms_order_type
                ).picking_policy
            )
            order.picking_policy = policy or order.picking_policy or "direct"

    @api.depends("partner_id")
    def _compute_oms_split_allowed(self):
        for order in self:
            order.oms_split_allowed = (
                order.partner_id.commercial_partner_id.oms_accepts_split
            )

    @api.depends(
        "oms_approval_snapshot",
        "order_line.product_id",
        "order_line.product_uom_qty",
        "order_line.price_unit",
        "order_line.discount",
        "partner_id",
        "partner_shipping_id",
        "payment_term_id",
        "pricelist_id",
        "warehouse_id",
        "oms_order_type",
        "fiscal_position_id",
        "commitment_date",
    )
    def _compute_oms_changes_since_approval(self):
        for order in self:
            order.oms_changes_since_approval = order._oms_diff_snapshot()

    @api.depends("oms_change_request_ids.state")
    def _compute_oms_change_request_count(self):
        for order in self:
            order.oms_change_request_count = len(
                order.oms_change_request_ids.filtered(lambda c: c.state == "to_approve")
            )

    @api.depends("partner_id", "oms_order_type")
    def _compute_oms_invoice_policy(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id
            order.oms_invoice_policy = (
                partner.oms_invoice_policy or order._oms_get_default_invoice_policy()
            )

    @api.depends("partner_id", "oms_order_type")
    def _compute_oms_payment_policy(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id
            order.oms_payment_policy = (
                partner.oms_payment_policy or order._oms_get_default_payment_policy()
            )

    @api.depends("oms_delivered_date", "commitment_date", "expected_date")
    def _compute_oms_delivered_on_time(self):
        for order in self:
            promised = order.commitment_date or order.expected_date
            order.oms_delivered_on_time = bool(
                order.oms_delivered_date
                and (not promised or order.oms_delivered_date <= promised)
            )

    @api.depends("order_line.oms_promised_date", "picking_policy")
    def _compute_oms_promised_date(self):
        for order in self:
            lines = order.order_line.filtered(lambda line: line._oms_is_promised())
            order.oms_promised_date = (
                order_date(
                    [line.oms_promised_date or None for line in lines],
                    order.picking_policy == "direct",
                )
                or False
            )

    @api.depends("picking_ids.backorder_id", "picking_ids.state")
    def _compute_oms_backorder_ids(self):
        for order in self:
            backorders = order.picking_ids.filtered(
                lambda p: p.backorder_id and p.state not in ("done", "cancel")
            )
            order.oms_backorder_ids = backorders
            order.oms_backorder_count = len(backorders)

    @api.depends(
        "invoice_ids.state",
        "invoice_ids.payment_state",
        "invoice_ids.amount_residual",
        "oms_payment_ids.state",
        "amount_total",
    )
    def _compute_oms_payment_state(self):
        for order in self:
            invoices = order.invoice_ids.filtered(lambda m: m.state == "posted")
            paid = 0.0
            for invoice in invoices:
                sign = -1 if invoice.move_type == "out_refund" else 1
                if invoice.payment_state in ("paid", "in_payment", "reversed"):
                    paid += sign * invoice.amount_total
                else:
                    paid += sign * (invoice.amount_total - invoice.amount_residual)
            advances = order._oms_get_advance_payments()
            paid += sum(advances.mapped("amount"))
            order.oms_amount_paid = paid
            currency = order.currency_id
            order.oms_is_paid = (
                bool(order.amount_total)
                and currency.compare_amounts(paid, order.amount_total) >= 0
            )
            if order.oms_is_paid:
                order.oms_payment_state = "paid"
            elif not invoices and not advances:
                order.oms_payment_state = "not_invoiced"
            elif currency.is_zero(paid):
                order.oms_payment_state = "not_paid"
            else:
                order.oms_payment_state = "partial"

    @api.depends("oms_return_ids")
    def _compute_oms_return_count(self):
        for order in self:
            order.oms_return_count = len(order.oms_return_ids)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        """Guard what the review recorded (``OMS_REVIEW_STATE_FIELDS``): the
        review and the actions write it in superuser mode, a plain write (RPC
        included) is refused. On a confirmed order, the reviewed facts a user
        may not change directly (``_oms_may_change_approved``) are held back
        as a change request (``oms.order.change``) and the rest is written;
        any other change of a reviewed fact after approval sends the order
        back to review (``_oms_changed_after_approval``, once per write, after
        the lines)."""
        guarded = OMS_REVIEW_STATE_FIELDS & set(vals)
        if guarded and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of an order are recorded by its review and "
                    "cannot be changed directly.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in sorted(guarded)
                    ),
                )
            )
        requesting = self._oms_filter_requesting(vals)
        if requesting:
            held, vals = self._oms_split_reviewed_vals(vals)
            self.env["oms.order.change"]._oms_request(requesting, held)
            if self - requesting:
                (self - requesting).write(held)
            if not vals:
                return True
        with self._oms_mark(OMS_MARK_WRITING):
            res = super().write(vals)
        reviewed = set(self._oms_get_reviewed_facts().values()) | {"order_line"}
        if reviewed & set(vals):
            self._oms_changed_after_approval()
        return res

    @api.model
    def _oms_may_change_approved(self):
        """Hook: whether the user changes the reviewed facts of confirmed orders
        directly (re-reviewed all the same) rather than through a change
        request: reviewers and managers, and server code in superuser mode.

        :rtype: bool
        """
        return self.env.su or self.env.user.has_group("oms_core.group_oms_reviewer")

    def _oms_filter_requesting(self, vals):
        """The orders of self on which writing ``vals`` becomes a change request:
        confirmed orders whose reviewed facts the user may not change directly
        (``_oms_may_change_approved``), when ``vals`` changes one and a review
        rule is active in the order's company.

        :rtype: sale.order
        """
        if self._oms_may_change_approved():
            return self.browse()
        orders = self.filtered(lambda o: o.state == "sale")
        if not orders or not self._oms_split_reviewed_vals(vals)[0]:
            return self.browse()
        # no rule, nothing to review: Odoo's own behaviour
        reviewed = self.browse()
        for company_orders in orders.grouped("company_id").values():
            if company_orders[:1]._oms_get_review_rules():
                reviewed |= company_orders
        return reviewed

    def _oms_split_reviewed_vals(self, vals):
        """Split order values into the reviewed facts they change (held back
        for a change request) and the rest (written at once).

        Line commands on product lines are held back for their reviewed fields
        (``OMS_REVIEWED_LINE_FIELDS``); sections, notes, down payments and
        delivery lines, deletions (which Odoo refuses on confirmed orders) and
        the other fields go through.

        :return: (held back values, remaining values)
        :rtype: tuple
        """
        fact_fields = set(self._oms_get_reviewed_facts().values())
        held = {key: value for key, value in vals.items() if key in fact_fields}
        rest = {key: value for key, value in vals.items() if key not in held}
        if "order_line" in vals:
            held_lines, rest_lines = self.env["sale.order.line"]._oms_split_commands(
                vals["order_line"]
            )
            if held_lines:
                held["order_line"] = held_lines
            rest.pop("order_line")
            if rest_lines:
                rest["order_line"] = rest_lines
        return held, rest

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_oms_review(self):
        """Review the orders; confirm the clean ones when the policy allows.

        Runs every applicable active `oms.review.rule`, creates/updates one
        exception per failing rule, clears the ones that no longer apply.
        Quotations without blocking exception are confirmed (Odoo's
        `action_confirm`, once for all of them) when `_oms_can_auto_confirm()`
        allows it, and flagged `oms_auto_approved` when nobody touched them.
        Each order is reviewed as if the orders approved before it in the same
        call were confirmed already (see `_oms_run_review`). Safe to call
        repeatedly.

        :return: True
        """
        to_confirm = self._oms_run_review(auto_confirm=True)
        if to_confirm:
            to_confirm._oms_subscribe_customers()
            to_confirm._oms_confirm_reviewed()
            touched = to_confirm.filtered("oms_touch_count")
            # sudo: the review's own record (see write)
            (to_confirm - touched).sudo().oms_auto_approved = True
            touched.sudo().oms_auto_approved = False
        return True

    def action_confirm(self):
        """Review before confirming (see readme).

        Every quotation is reviewed first, except the ones the review approved
        just now in this same call (``_oms_confirm_reviewed``): no context key
        switches the review off. Orders with an open blocking exception are not
        confirmed: they stay on hold with their exceptions, and the user gets a
        warning notification (the method then returns that client action
        instead of True). With no active rule, confirmation is exactly Odoo's.
        """
        reviewed = self._oms_filter_marked(OMS_MARK_REVIEWED)
        (self - reviewed).filtered(
            lambda o: o.state in ("draft", "sent")
        )._oms_run_review()
        blocked = self.filtered("oms_has_blocking_exception")
        result = True
        if self - blocked:
            result = super(SaleOrder, self - blocked).action_confirm()
        if blocked:
            return blocked._oms_notify_blocked()
        return result

    def _oms_confirm_reviewed(self):
        """Confirm orders that the review approved just now, without reviewing
        them a second time (``action_confirm``, Odoo's whole chain).

        Private: the caller vouches that ``_oms_run_review`` found no blocking
        exception on these orders and that nothing changed since. A blocking
        exception still stops the confirmation.

        :return: the result of ``action_confirm``
        """
        with self._oms_mark(OMS_MARK_REVIEWED):
            return self.action_confirm()

    @contextmanager
    def _oms_mark(self, purpose):
        """Mark the orders for ``purpose`` while the ``with`` block runs.

        The marks live on the database cursor of this call, where no client can
        put them (a client chooses its context, not the server's memory), and
        are removed when the block ends.

        :param str purpose: one of the ``OMS_MARK_*`` constants
        """
        marked = self.env.cr.cache.setdefault(purpose, set())
        added = set(self.ids) - marked
        marked.update(added)
        try:
            yield self
        finally:
            marked.difference_update(added)

    def _oms_filter_unwritten(self):
        """The orders of self not being written right now: an order's write
        re-reviews its lines once, after all of them (see ``write``).

        :rtype: sale.order
        """
        return self - self._oms_filter_marked(OMS_MARK_WRITING)

    def _oms_filter_marked(self, purpose):
        """The orders of ``self`` marked for ``purpose`` (see ``_oms_mark``).

        :rtype: sale.order
        """
        marked = self.env.cr.cache.get(purpose) or ()
        return self.filtered(lambda o: o.id in marked)

    def action_cancel(self):
        """Cancel only with a reason: Odoo's plain cancellation (its button,
        its cancel wizard, RPC) is refused unless ``_oms_cancel`` runs it."""
        self._oms_check_cancel_reason()
        return super().action_cancel()

    def _action_cancel(self):
        """The stock a cancelled order gave back is promised again to the
        orders after it (``_oms_repromise``)."""
        scope = self.filtered(lambda o: o.state == "sale")._oms_get_promise_scope()
        result = super()._action_cancel()
        for warehouse, products in scope.items():
            self._oms_repromise(warehouse, products)
        return result

    def action_oms_open_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_core.oms_exception_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def action_oms_open_cancel(self):
        """Open the cancel wizard (a reason is required)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Order"),
            "res_model": "oms.order.cancel",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    def action_oms_view_backorders(self):
        """Open the open back-orders of the order."""
        self.ensure_one()
        return self.oms_backorder_ids._get_records_action(
            name=self.env._("Back-orders")
        )

    def action_oms_create_return(self):
        """Button: open a new return request for this delivered order."""
        self.ensure_one()
        deliveries = self._oms_get_customer_deliveries(include_returns=True)
        if not self.order_line.move_ids.filtered(
            lambda m: m.state == "done" and m.picking_id in deliveries
        ):
            raise UserError(self.env._("Nothing has been delivered on this order yet."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return"),
            "res_model": "oms.return",
            "view_mode": "form",
            "context": {"default_order_id": self.id},
        }

    def action_oms_view_change_requests(self):
        """Open the change requests of the order, pending ones first."""
        self.ensure_one()
        return self.oms_change_request_ids._get_records_action(
            name=self.env._("Change Requests")
        )

    def action_oms_view_returns(self):
        self.ensure_one()
        return self.oms_return_ids._get_records_action(name=self.env._("Returns"))

    # ------------------------------------------------------------------
    # Review: rules -> exceptions -> approval
    # ------------------------------------------------------------------

    def _oms_subscribe_customers(self):
        """Make each customer follow its orders, for all the orders at once.

        `action_confirm` subscribes the customer of each order with queries of
        its own, and skips the orders whose customer follows already.
        """
        self.check_access("write")
        Followers = self.env["mail.followers"]
        partners = self.partner_id.filtered("active")
        if not partners:
            return
        subscriptions = Followers._get_subscription_data(
            [(self._name, self.ids)], partners.ids
        )
        following = {
            (res_id, partner_id) for _id, res_id, partner_id, _s in subscriptions
        }
        customer_ids = partners.filtered("partner_share").ids
        values = []
        for partner, orders in self.grouped("partner_id").items():
            order_ids = [o.id for o in orders if (o.id, partner.id) not in following]
            if partner not in partners or not order_ids:
                continue
            new, _update = Followers._add_default_followers(
                self._name,
                order_ids,
                partner.ids,
                customer_ids=customer_ids,
                check_existing=False,
            )
            values += [
                dict(vals, res_id=res_id)
                for res_id, vals_list in new.items()
                for vals in vals_list
            ]
        # sudo: as message_subscribe, once the user may write the orders
        Followers.sudo().with_context(default_partner_id=False).create(values)
        self.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def _oms_notify_blocked(self):
        messages = "\n".join(
            f"{order.name}: {'; '.join(order._oms_get_blocking().mapped('message'))}"
            for order in self
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Order on hold"),
                "message": self.env._(
                    "Not confirmed, blocking exceptions must be resolved "
                    "first:\n%(messages)s",
                    messages=messages,
                ),
                "type": "warning",
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _oms_can_auto_confirm(self):
        """Hook: whether a clean review may confirm the order by itself.

        Default: the company setting *Auto-confirm Reviewed Orders*.
        `oms_channels` overrides it with the channel's auto_confirm.

        :rtype: bool
        """
        self.ensure_one()
        return self.company_id.oms_auto_confirm

    def _oms_address_needs_zip(self):
        """Hook: whether the address review asks the delivery address for a ZIP
        code when its country requires one.

        Default: yes. `oms_channels` answers no for the marketplaces whose
        orders carry no ZIP code (their addresses are the platform's own).

        :rtype: bool
        """
        self.ensure_one()
        return True

    def _oms_add_exception(self, code, message, severity="warn"):
        """Hook: raise an exception without rule (e.g. from a channel import).

        Creates, or updates when one is open with the same code, an open
        exception owned like the rule ones (reviewers, else the salesperson).
        Never cleared by a re-review: a reviewer resolves it.

        :param str code: short code, e.g. ``channel_total_mismatch``
        :param str message: translated message for the reviewer
        :param str severity: ``warn`` or ``block``
        :return: the oms.exception
        """
        self.ensure_one()
        # the review is a system action; only reviewers act on exceptions
        OmsException = self.env["oms.exception"].sudo()
        existing = self.sudo().oms_exception_ids.filtered(
            lambda e: not e.rule_id and e.code == code and e.state == "open"
        )[:1]
        if existing:
            existing.write({"message": message, "severity": severity})
            self._oms_sync_hold_reservation()
            return existing
        no_rule = self.env["oms.review.rule"]
        exception = OmsException.create(
            {
                "order_id": self.id,
                "code": code,
                "message": message,
                "severity": severity,
                "user_id": OmsException._get_owner(self, no_rule).id,
                "deadline": OmsException._get_deadline(self, False),
            }
        )
        exception._schedule_owner_activity()
        self._oms_sync_hold_reservation()
        return exception

    def _oms_check_cancel_reason(self):
        """Refuse to cancel orders outside ``_oms_cancel``: every cancellation
        records a reason (the *Cancel with Reason* wizard, or the intake when a
        channel cancels). Orders cancelled already pass (nothing to cancel).

        :raise UserError: an order would be cancelled without a reason
        """
        orders = self.filtered(lambda o: o.state != "cancel") - self._oms_filter_marked(
            OMS_MARK_CANCELLING
        )
        if orders:
            raise UserError(
                self.env._(
                    "%(orders)s: an order is cancelled with a reason. Use the "
                    "Cancel with Reason button of the order.",
                    orders=", ".join(orders.mapped("name")),
                )
            )

    def _oms_check_four_eyes(self):
        """Four eyes: whoever clears an exception of an order is neither its
        creator nor its salesperson.

        :raise UserError: the user created the order or is its salesperson
        """
        user = self.env.user
        for order in self:
            if order.create_uid == user:
                raise UserError(
                    self.env._("You cannot approve an order you created yourself.")
                )
            if order.user_id == user:
                raise UserError(
                    self.env._(
                        "You are the salesperson of order %(order)s: another "
                        "reviewer must approve it.",
                        order=order.name,
                    )
                )

    def _oms_cancel_needs_reviewer(self):
        """Hook: whether cancelling the order needs a reviewer who is not its
        salesperson: past the company's stage, or above its amount
        (*Settings > Sales > Order Management*).

        :rtype: bool
        """
        self.ensure_one()
        company = self.company_id or self.env.company
        stage = company.oms_cancel_review_stage
        if stage == "any":
            return True
        if stage == "confirmed" and self.state == "sale":
            return True
        if stage == "approved" and (
            self.state == "sale" or self.oms_stage == "approved"
        ):
            return True
        limit = company.oms_cancel_review_amount
        if not limit:
            return False
        amount = self.currency_id._convert(
            self.amount_total,
            company.currency_id,
            company,
            self.date_order or fields.Date.context_today(self),
        )
        return company.currency_id.compare_amounts(amount, limit) >= 0

    def _oms_check_can_cancel(self):
        """Refuse the cancellation of an order past the company's stage or
        amount to anyone but a reviewer who is not its salesperson.

        :raise AccessError: the user is not an order reviewer
        :raise UserError: the reviewer is the order's salesperson
        """
        user = self.env.user
        for order in self.filtered(lambda o: o.state != "cancel"):
            if not order._oms_cancel_needs_reviewer():
                continue
            if not user.has_group("oms_core.group_oms_reviewer"):
                raise AccessError(
                    self.env._(
                        "Order %(order)s is approved or large: only an order "
                        "reviewer may cancel it.",
                        order=order.name,
                    )
                )
            if order.user_id == user:
                raise UserError(
                    self.env._(
                        "You are the salesperson of order %(order)s: another "
                        "reviewer must cancel it.",
                        order=order.name,
                    )
                )

    def _oms_cancel(self, reason):
        """Hook: cancel the orders for ``reason`` and release their reservations.

        The only way to cancel an order (``action_cancel`` refuses the others,
        see ``_oms_check_cancel_reason``). Server code calls it for a decision
        taken elsewhere (a channel cancelled the order); a user goes through the
        wizard, which first checks ``_oms_check_can_cancel``.

        :param reason: oms.cancel.reason record
        :raise UserError: once something has been shipped
        """
        if not reason:
            raise UserError(self.env._("A cancellation reason is required."))
        for order in self:
            shipped = order._oms_get_customer_deliveries(include_returns=True).filtered(
                lambda p: p.state == "done"
            )
            if shipped or any(line.qty_delivered for line in order.order_line):
                raise UserError(
                    self.env._(
                        "Order %(order)s cannot be cancelled: goods have "
                        "already been shipped.",
                        order=order.name,
                    )
                )
        self.filtered("locked").action_unlock()
        # sudo: the reason is recorded by the cancellation only (see write)
        self.sudo().write({"oms_cancel_reason_id": reason.id})
        with self._oms_mark(OMS_MARK_CANCELLING):
            self.with_context(disable_cancel_warning=True).action_cancel()
        now = fields.Datetime.now()
        # closing the exceptions is a consequence of the cancellation
        exceptions = self.sudo().oms_exception_ids.filtered(lambda e: e.state == "open")
        exceptions.write(
            {
                "state": "resolved",
                "resolution": "cancel",
                "resolved_uid": self.env.uid,
                "resolved_date": now,
            }
        )
        exceptions._close_owner_activities()
        for order in self:
            order._oms_touch()
            order.message_post(
                body=self.env._("Cancelled: %(reason)s", reason=reason.name)
            )
        self._oms_send_notice("cancel", "oms_core.mail_template_oms_notice_cancel")
        return True

    def _oms_get_duplicate_domain(self, hours=24):
        """Hook: domain of the orders that would duplicate this one.

        Earlier orders with the same external reference (`client_order_ref`)
        in the company, else of the same customer and total within ``hours``
        (lines compared afterwards). The later order is the duplicate.
        `oms_channels` may narrow it to the channel.

        :param int hours: the window of the rule
        :rtype: list
        """
        self.ensure_one()
        domain = [
            ("id", "<", self.id) if isinstance(self.id, int) else ("id", "!=", False),
            ("company_id", "=", self.company_id.id),
            ("state", "!=", "cancel"),
        ]
        if self.client_order_ref:
            return domain + [("client_order_ref", "=", self.client_order_ref)]
        since = (self.create_date or fields.Datetime.now()) - timedelta(hours=hours)
        return domain + [
            (
                "partner_id.commercial_partner_id",
                "=",
                self.partner_id.commercial_partner_id.id,
            ),
            ("amount_total", "=", self.amount_total),
            ("create_date", ">=", since),
        ]

    def _oms_get_review_rules(self):
        """Active rules that may apply to the order's company (hook, called once
        per company of a reviewed batch)."""
        self.ensure_one()
        # rules are configuration read for whoever triggers the review
        return (
            self.env["oms.review.rule"]
            .sudo()
            .search([("company_id", "in", [False, self.company_id.id])])
        )

    def _oms_run_review(self, auto_confirm=False, facts=None):
        """Evaluate the rules and synchronise the exceptions of the orders.

        Orders are reviewed by priority, then date. With ``auto_confirm`` the
        orders that pass and may confirm by themselves are returned, to be
        confirmed together, and every later order of the batch is reviewed as
        if they were confirmed already: the rules get the ``OmsReviewBatch`` of
        the call, which knows them (their stock, credit and first order count),
        so a batch decides exactly as one order at a time would.

        A review of every rule that leaves the order unblocked is an approval:
        the approval snapshot is taken again (``_oms_take_snapshot``), so that
        *Changed since approval* shows the changes since the last approval.

        :param set facts: re-review after a change: only the rules reading
            one of these facts run (``oms.review.rule._get_facts``), the others
            keep their result and the snapshot is kept (unless a reviewer is
            applying a change request, see ``OMS_MARK_APPROVING``)
        :return: the orders to confirm (always empty without ``auto_confirm``)
        """
        batch = OmsReviewBatch(self)
        if len(self) > 1 and self.env["oms.review.rule"]._checks_stock(self.company_id):
            batch.prefetch(self)
        rules_by_company = {}
        for order in self.sorted(
            lambda o: (-int(o.oms_priority or 0), o.date_order or o.create_date, o.id)
        ):
            if order.state == "cancel":
                continue
            if order.company_id not in rules_by_company:
                rules_by_company[order.company_id] = order._oms_get_review_rules()
            rules = rules_by_company[order.company_id]
            if facts is not None:
                rules = rules.filtered(lambda r: r._get_facts() & facts)
            results = [
                (rule, rule._evaluate(order, batch))
                for rule in rules
                if rule._applies_to(order)
            ]
            order._oms_sync_exceptions(
                results, batch, rules=None if facts is None else rules
            )
            order._oms_apply_sourcing(batch)
            blocked = bool(order._oms_get_blocking())
            values = {
                "oms_reviewed_date": fields.Datetime.now(),
                "oms_review_pending": False,
            }
            if not blocked and (
                facts is None
                or not order.oms_approval_snapshot
                or order._oms_filter_marked(OMS_MARK_APPROVING)
            ):
                values["oms_approval_snapshot"] = order._oms_take_snapshot()
            # sudo: the review's own record (see write)
            order.sudo().write(values)
            if (
                auto_confirm
                and not blocked
                and order.state in ("draft", "sent")
                and order._oms_can_auto_confirm()
            ):
                batch.promise(order)
        self.filtered(lambda o: o.state == "sale")._oms_sync_hold_reservation()
        self._oms_notify_customer_waits()
        return batch.promised_orders

    def _oms_sync_hold_reservation(self):
        """Hook: make the reservations of confirmed orders follow their hold.

        With *Release Reservations of Held Orders* (company setting), the
        deliveries of an order on hold give their reserved stock back, for other
        orders, and are not reserved again (``stock.move._action_assign``) until
        the hold ends; then they are reserved again.
        """
        for order in self.filtered(lambda o: o.state == "sale"):
            # sudo: the reservation follows the review's decision, whoever
            # triggered the review (a salesperson may not reserve stock)
            deliveries = (
                order.sudo()
                ._oms_get_customer_deliveries(include_returns=True)
                .filtered(lambda p: p.state not in ("done", "cancel"))
            )
            if order.oms_has_blocking_exception:
                to_release = deliveries.filtered(lambda p: not p.oms_hold_unreserved)
                if not order.company_id.oms_hold_release_reservation or not (
                    to_release
                ):
                    continue
                to_release.do_unreserve()
                to_release.oms_hold_unreserved = True
                order.message_post(
                    body=self.env._(
                        "On hold: the stock reserved by %(pickings)s is released "
                        "for other orders.",
                        pickings=", ".join(to_release.mapped("name")),
                    )
                )
            else:
                held = deliveries.filtered("oms_hold_unreserved")
                if not held:
                    continue
                held.oms_hold_unreserved = False
                held.action_assign()
                order.message_post(
                    body=self.env._(
                        "Hold released: %(pickings)s reserved again.",
                        pickings=", ".join(held.mapped("name")),
                    )
                )

    def _oms_get_blocking(self):
        return self.oms_exception_ids.filtered(
            lambda e: e.state == "open" and e.severity == "block"
        )

    def _oms_sync_exceptions(self, results, batch, rules=None):
        """Create, update and clear the rule exceptions of the order.

        An override sticks as long as the rule fails with the same message: a
        re-review re-checks only facts that changed.

        :param list results: [(rule, message or False)] of the applicable rules
        :param OmsReviewBatch batch: the review call the results come from
        :param rules: the rules that ran (a re-review after a change): the
            exceptions of the others are kept; default: every rule ran
        """
        self.ensure_one()
        # the review is a system action; only reviewers act on exceptions
        OmsException = self.env["oms.exception"].sudo()
        existing = self.sudo().oms_exception_ids.filtered("rule_id")
        failing = self.env["oms.review.rule"]
        created = OmsException
        for rule, message in results:
            if not message:
                continue
            failing |= rule
            mine = existing.filtered(lambda e, r=rule: e.rule_id == r)
            current = mine.filtered(lambda e: e.state == "open")[:1]
            if current:
                if (current.message_source, current.severity) != (
                    message,
                    rule.severity,
                ):
                    if current.level > 1 and current.message_source not in (
                        self._oms_rule_messages(rule, batch)
                    ):
                        # approvals so far covered the former facts
                        current._restart_levels()
                    current.write({"message": message, "severity": rule.severity})
                continue
            overridden = set(
                mine.filtered(lambda e: e.state == "overridden").mapped(
                    "message_source"
                )
            )
            if overridden and (
                message in overridden
                or overridden & self._oms_rule_messages(rule, batch)
            ):
                continue
            # the first approval level the order needs, if the rule has levels
            tier = rule._oms_get_tiers(self)[:1]
            # the owner is told once, by the to-do of `_schedule_owner_activity`,
            # not also by an "assigned to you" notice of the new exception
            created |= OmsException.with_context(
                mail_auto_subscribe_no_notify=True
            ).create(
                {
                    "order_id": self.id,
                    "rule_id": rule.id,
                    "code": rule.check_type,
                    "message": message,
                    "severity": rule.severity,
                    "tier_id": tier.id,
                    "user_id": OmsException._get_owner(self, rule, tier).id,
                    "deadline": OmsException._get_deadline(self, rule, tier),
                }
            )
        cleared = existing.filtered(
            lambda e: (
                e.state == "open"
                and e.rule_id not in failing
                and (rules is None or e.rule_id in rules)
            )
        )
        cleared._oms_resolve_by_system()
        created._schedule_owner_activity()
        if created:
            OmsException._post_on_order(
                self,
                _lt("Review found: %(messages)s"),
                messages=reader_text.join("; ", created.mapped("message_source")),
            )

    def _oms_rule_messages(self, rule, batch):
        """The message of a failing rule in every installed language: an
        override sticks whoever re-reviews the order, in whatever language.

        :param OmsReviewBatch batch: the review call evaluating the rule
        :return: set of messages
        """
        self.ensure_one()
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        return {rule.with_context(lang=lang)._evaluate(self, batch) for lang in langs}

    def _oms_touch(self):
        """Count a manual intervention on the orders."""
        for order in self:
            order.sudo().oms_touch_count += (
                1  # counter readonly for users, written for them
            )

    def _oms_get_stock_needs(self):
        """Units still to promise per storable product, in the product UoM.

        :return: {product_id: qty}
        """
        self.ensure_one()
        needs = {}
        for line in self._oms_get_product_lines():
            product = line.product_id
            if not product.is_storable:
                continue
            qty = line.product_uom._compute_quantity(
                line.product_uom_qty - line.qty_delivered, product.uom_id
            )
            needs[product.id] = needs.get(product.id, 0.0) + qty
        if self.state == "sale":
            # already reserved for this order: out of the free quantity already
            reserved = (
                self.env["stock.move.line"]
                .sudo()
                ._read_group(
                    [
                        ("move_id.sale_line_id.order_id", "=", self.id),
                        ("move_id.state", "not in", ("done", "cancel")),
                        ("location_dest_id.usage", "=", "customer"),
                    ],
                    ["product_id"],
                    ["quantity_product_uom:sum"],
                )
            )
            for product, qty in reserved:
                if product.id in needs:
                    needs[product.id] -= qty
        return {pid: qty for pid, qty in needs.items() if qty > 0}

    # ------------------------------------------------------------------
    # Sourcing: which warehouse ships what
    # ------------------------------------------------------------------

    def _oms_get_source_warehouses(self):
        """Hook: the warehouses the order may ship from: its own, plus the
        company's *Ship From Warehouses* (settings). ``oms_channels`` narrows
        them to the channel's.

        :rtype: stock.warehouse
        """
        self.ensure_one()
        return self.warehouse_id | self.company_id.oms_source_warehouse_ids

    def _oms_get_region_warehouses(self):
        """Hook: the warehouses preferred for the delivery address's state or
        province (``oms.warehouse.region``), by sequence.

        :rtype: stock.warehouse
        """
        self.ensure_one()
        state = self.partner_shipping_id.state_id
        if not state:
            return self.env["stock.warehouse"]
        # configuration read for whoever triggers the review
        regions = (
            self.env["oms.warehouse.region"]
            .sudo()
            .search(
                [
                    ("state_id", "=", state.id),
                    ("company_id", "=", self.company_id.id),
                ]
            )
        )
        return regions.warehouse_id.with_env(self.env)

    def _oms_rank_source_warehouses(self):
        """Hook: the source warehouses in order of preference: the ones of the
        delivery address's region, then the order's warehouse, then the others
        by their sequence (cheapest or nearest first).

        :rtype: stock.warehouse (ordered)
        """
        self.ensure_one()
        candidates = self._oms_get_source_warehouses()
        if candidates == self.warehouse_id:
            return candidates
        regional = self._oms_get_region_warehouses().filtered(lambda w: w in candidates)
        return (
            regional
            | (self.warehouse_id & candidates)
            | candidates.sorted(lambda w: (w.sequence, w.id))
        )

    def _oms_accepts_split_shipment(self):
        """Hook: whether the order may ship in one delivery per warehouse."""
        self.ensure_one()
        return self.oms_split_allowed

    def _oms_split_stock_needs(self, needs):
        """The stock needs of the order by the warehouse its lines ship from
        (the sourcing of the review, else the order's warehouse).

        :param dict needs: ``_oms_get_stock_needs()``
        :return: {stock.warehouse: {product id: qty}}, by warehouse id
        :rtype: dict
        """
        self.ensure_one()
        source = {
            line.product_id.id: line.oms_source_warehouse_id
            for line in self._oms_get_product_lines()
            if line.oms_source_warehouse_id
        }
        result = {}
        for product_id, qty in needs.items():
            warehouse = source.get(product_id) or self.warehouse_id
            result.setdefault(warehouse, {})[product_id] = qty
        return dict(sorted(result.items(), key=lambda item: item[0].id))

    def _oms_apply_sourcing(self, batch):
        """Record the sourcing plan of the review on the order: the warehouse
        of each line (``sale.order.line.oms_source_warehouse_id``: the
        confirmation makes one delivery per warehouse) and why.

        :param OmsReviewBatch batch: the review call that made the plan
        """
        self.ensure_one()
        plan = batch.plans.get(self.id)
        if plan is None:
            return
        Warehouse = self.env["stock.warehouse"]
        lines = self._oms_get_product_lines().filtered("product_id.is_storable")
        assignment = plan.assignment or {}
        for line in lines:
            target = Warehouse.browse(assignment.get(line.product_id.id))
            if line.oms_source_warehouse_id != target:
                # sudo: the review's own record, whoever triggers it
                line.sudo().oms_source_warehouse_id = target
        note = (
            self._oms_get_sourcing_note(plan)
            if plan.covered
            else self._oms_get_sourcing_failure(batch)
        )
        if self.oms_sourcing_note != note:
            # sudo: the review's own record (see write)
            self.sudo().oms_sourcing_note = note

    def _oms_get_sourcing_note(self, plan):
        """Hook: the explanation of a sourcing plan shown on the order.

        :param SourcingPlan plan: a plan that covers the order
        :rtype: str
        """
        self.ensure_one()
        Warehouse = self.env["stock.warehouse"]
        warehouses = Warehouse.browse(plan.warehouses())
        if not plan.split:
            warehouse = warehouses
            if warehouse in self._oms_get_region_warehouses():
                return self.env._(
                    "Ships from %(warehouse)s: it has everything and serves %(state)s.",
                    warehouse=warehouse.name,
                    state=self.partner_shipping_id.state_id.name,
                )
            if warehouse == self.warehouse_id:
                return self.env._(
                    "Ships from %(warehouse)s, the order's warehouse: it has "
                    "everything.",
                    warehouse=warehouse.name,
                )
            return self.env._(
                "Ships from %(warehouse)s: the first warehouse by sequence that "
                "has everything.",
                warehouse=warehouse.name,
            )
        Product = self.env["product.product"]
        parts = [
            self.env._(
                "%(warehouse)s ships %(products)s",
                warehouse=warehouse.name,
                products=", ".join(
                    Product.browse(
                        sorted(
                            p for p, w in plan.assignment.items() if w == warehouse.id
                        )
                    ).mapped("display_name")
                ),
            )
            for warehouse in warehouses
        ]
        return self.env._(
            "Split shipment: no single warehouse has everything and the customer "
            "accepts split shipments. %(parts)s.",
            parts="; ".join(parts),
        )

    def _oms_get_sourcing_failure(self, batch):
        """The stock check's message when no warehouse, nor any combination
        the customer accepts, has the stock of the order.

        :param OmsReviewBatch batch: the review call (ATP read for the batch)
        :return: a stored text (``tools/reader_text.py``)
        :rtype: str
        """
        self.ensure_one()
        needs = batch.stock_needs(self)
        ranked = self._oms_rank_source_warehouses()
        lines = []
        for product in self.env["product.product"].browse(sorted(needs)):
            rounding = product.uom_id.rounding
            available = [
                (
                    warehouse.name,
                    float_round(
                        batch.atp.get((warehouse.id, product.id), 0.0)
                        - batch.promised[warehouse.id, product.id],
                        precision_rounding=rounding,
                    ),
                )
                for warehouse in ranked
            ]
            stock = ", ".join(f"{name} {qty}" for name, qty in available)
            lines.append(
                reader_text.store(
                    _lt("%(product)s: ordered %(qty)s, available %(stock)s"),
                    product=product.display_name,
                    qty=float_round(needs[product.id], precision_rounding=rounding),
                    stock=stock,
                )
            )
        if self._oms_accepts_split_shipment():
            return reader_text.store(
                _lt(
                    "No warehouse, nor any combination of warehouses, has the stock: "
                    "%(lines)s"
                ),
                lines=reader_text.join("; ", lines),
            )
        return reader_text.store(
            _lt(
                "No single warehouse has the stock and the customer does not accept "
                "split shipments: %(lines)s"
            ),
            lines=reader_text.join("; ", lines),
        )

    def _oms_get_required_prepayment(self, payment_terms):
        """Amount to be paid before confirmation: all of it with a prepaid
        payment term, the company's deposit share for presales. (Odoo's portal
        "online payment" option is left to the portal.)

        :param payment_terms: account.payment.term requiring full prepayment
        :rtype: float
        """
        self.ensure_one()
        percent = 0.0
        if self.payment_term_id and self.payment_term_id in payment_terms:
            percent = 1.0
        if self.oms_order_type == "presale":
            percent = max(percent, self.company_id.oms_presale_deposit_percent / 100.0)
        return self.currency_id.round(self.amount_total * percent)

    def _oms_get_paid_amount(self):
        """Paid so far: online transactions, payments on posted invoices, and
        what the channel reported paid before the order was invoiced."""
        self.ensure_one()
        order = self.sudo()  # payments are accounting data the review needs
        invoices = order.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )
        paid = sum(invoices.mapped("amount_total")) - sum(
            invoices.mapped("amount_residual")
        )
        advances = order._oms_get_advance_payments()
        return order.amount_paid + paid + sum(advances.mapped("amount"))

    def _oms_get_order_type(self):
        """The oms.order.type record holding the defaults of the order's type."""
        self.ensure_one()
        return self.env["oms.order.type"]._get_by_code(self.oms_order_type)

    @api.model
    def _oms_get_reviewed_facts(self):
        """Hook: the facts of an order the review reads besides its lines
        (``OMS_LINE_FACTS``), each held by one field of the order. They make
        the approval snapshot; a change of one of them after approval re-runs
        the rules reading it (``oms.review.rule._get_facts``). ``oms_channels``
        adds the channel.

        :return: {fact key: field name on sale.order}
        :rtype: dict
        """
        return dict(OMS_REVIEWED_FACTS)

    def _oms_take_snapshot(self):
        """The reviewed facts of the order, as raw values (ids, keys, dates as
        strings): ``facts`` {fact key: value} and ``lines`` {line id: [product
        id, quantity, unit of measure id, unit price, discount]}.

        :rtype: dict
        """
        self.ensure_one()
        return {
            "facts": {
                key: self._oms_get_fact_value(fname)
                for key, fname in self._oms_get_reviewed_facts().items()
            },
            "lines": {
                str(line.id): [
                    line.product_id.id,
                    line.product_uom_qty,
                    line.product_uom.id,
                    line.price_unit,
                    line.discount,
                ]
                for line in self._oms_get_product_lines()
            },
        }

    def _oms_get_fact_value(self, fname):
        """The raw value of field ``fname`` as the snapshot keeps it."""
        value = self[fname]
        if isinstance(value, models.BaseModel):
            return value.id
        if isinstance(value, datetime):
            return fields.Datetime.to_string(value)
        if isinstance(value, date):
            return fields.Date.to_string(value)
        return value

    def _oms_format_fact(self, fname, value):
        """A raw snapshot value of field ``fname``, as the user reads it."""
        field = self._fields[fname]
        if value in (False, None, ""):
            return "—"
        if field.type == "many2one":
            # display names only: the snapshot may name a record the user
            # cannot read (another salesperson's address)
            record = self.env[field.comodel_name].sudo().browse(value).exists()
            return record.display_name if record else f"#{value}"
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if field.type == "datetime":
            return format_datetime(self.env, value)
        if field.type == "date":
            return format_date(self.env, value)
        return str(value)

    def _oms_compare_snapshots(self, before, after):
        """The differences between two snapshots of the order's reviewed facts
        (``_oms_take_snapshot``), one entry per changed fact of the order and
        per changed, added or removed line.

        :return: {entry key: (set of fact keys, text, signature)}; the
            signature (the raw values before and after) tells whether an entry
            changed again
        :rtype: dict
        """
        self.ensure_one()
        changes = {}
        old_facts, new_facts = before.get("facts"), after.get("facts") or {}
        for key, fname in self._oms_get_reviewed_facts().items():
            # facts missing from a snapshot were not recorded: no change known
            if old_facts is None or key not in old_facts or key not in new_facts:
                continue
            old, new = old_facts[key], new_facts[key]
            if old == new:
                continue
            changes[f"fact:{key}"] = (
                {key},
                self.env._(
                    "%(fact)s: %(old)s → %(new)s",
                    fact=self._fields[fname]._description_string(self.env),
                    old=self._oms_format_fact(fname, old),
                    new=self._oms_format_fact(fname, new),
                ),
                json.dumps([old, new], default=str),
            )
        old_lines, new_lines = before.get("lines") or {}, after.get("lines") or {}
        for key in [*new_lines, *(k for k in old_lines if k not in new_lines)]:
            entry = self._oms_compare_lines(old_lines.get(key), new_lines.get(key))
            if entry:
                changes[f"line:{key}"] = entry
        return changes

    def _oms_compare_lines(self, old, new):
        """The change of one line between two snapshots, or None.

        :param list old: the line in the first snapshot, None when added
        :param list new: the line in the second snapshot, None when removed
        :return: (set of fact keys, text, signature) or None
        """
        signature = json.dumps([old, new])
        Product = self.env["product.product"].sudo()

        def name(product_id):
            return Product.browse(product_id).exists().display_name or "—"

        def qty(value):
            return formatLang(self.env, value, dp="Product Unit of Measure")

        def price(value):
            return formatLang(self.env, value, currency_obj=self.currency_id)

        if old and len(old) == 4:
            # approved before the snapshot knew products and units: the
            # quantity, price and discount are compared
            old = [None, old[1], None, old[2], old[3]]
        if old is None:
            text = self.env._(
                "Added: %(product)s × %(qty)s", product=name(new[0]), qty=qty(new[1])
            )
            return set(OMS_LINE_FACTS), text, signature
        if new is None:
            text = self.env._("Removed: %(product)s", product=name(old[0]))
            return set(OMS_LINE_FACTS), text, signature
        facts, texts = set(), []
        if old[0] is not None and old[0] != new[0]:
            facts.add("line_product")
            texts.append(
                self.env._(
                    "Product: %(old)s → %(new)s", old=name(old[0]), new=name(new[0])
                )
            )
        if old[1] != new[1] or old[2] not in (None, new[2]):
            facts.add("line_qty")
        if old[3] != new[3]:
            facts.add("line_price")
        if facts & {"line_qty", "line_price"}:
            texts.append(
                self.env._(
                    "%(product)s: %(old_qty)s × %(old_price)s → %(qty)s × %(price)s",
                    product=name(new[0]),
                    old_qty=qty(old[1]),
                    old_price=price(old[3]),
                    qty=qty(new[1]),
                    price=price(new[3]),
                )
            )
        if old[4] != new[4]:
            facts.add("line_discount")
            texts.append(
                self.env._(
                    "%(product)s: discount %(old)s%% → %(new)s%%",
                    product=name(new[0]),
                    old=old[4],
                    new=new[4],
                )
            )
        if not facts:
            return None
        return facts, "; ".join(texts), signature

    def _oms_diff_snapshot(self):
        """*Changed since approval*: each change of a reviewed fact since the
        last approval, old → new, with who changed it and when.

        :return: one change a line, or False
        """
        self.ensure_one()
        before = self.oms_approval_snapshot
        if not before or not self.id:
            return False
        entries = self._oms_compare_snapshots(before, self._oms_take_snapshot())
        log = before.get("changes") or {}
        texts = []
        for key, (_facts, text, signature) in entries.items():
            logged = log.get(key)
            if logged and logged[2] == signature:
                text = self.env._(
                    "%(change)s (%(user)s, %(date)s)",
                    change=text,
                    user=self.env["res.users"].sudo().browse(logged[0]).name,
                    date=format_datetime(self.env, logged[1]),
                )
            texts.append(text)
        return "\n".join(texts) or False

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

    def _oms_changed_after_approval(self):
        """Review again the orders whose reviewed facts changed (called after
        every write of an order or of its lines, from the form, RPC or code).

        Approved orders (confirmed, or a quotation the review approved): the
        changes since the last check (``_oms_log_changes``: who, when,
        old → new, on the order and in the chatter) re-run the rules reading
        the changed facts; the other rules keep their result, and the review
        confirms nothing by itself. Held orders never approved are reviewed
        again, and released when clean: a corrected price or address ends the
        hold without anyone clicking Review. Orders a reviewer is changing as
        part of a resolution (the substitute wizard, see ``_oms_mark``) are
        left to that resolution's own review.
        """
        orders = (self - self._oms_filter_marked(OMS_MARK_RESOLVING)).filtered(
            lambda o: o.state in ("draft", "sent", "sale")
        )
        held = self.browse()
        for order in orders:
            if not (order.oms_reviewed_date and order.oms_approval_snapshot):
                if order.oms_has_blocking_exception:
                    held |= order
                continue
            facts = order._oms_log_changes()
            if facts:
                order._oms_run_review(facts=facts)
        held._oms_review_safely()

    def _oms_log_changes(self):
        """Record the changes of the order's reviewed facts since the last
        check: who and when (kept with the snapshot for *Changed since
        approval*), the texts in the chatter, a touch.

        :return: the facts changed, or changed back, since the last check
        :rtype: set
        """
        self.ensure_one()
        snapshot = self.oms_approval_snapshot
        entries = self._oms_compare_snapshots(snapshot, self._oms_take_snapshot())
        log = dict(snapshot.get("changes") or {})
        now = fields.Datetime.to_string(fields.Datetime.now())
        facts, texts = set(), []
        for key, (entry_facts, text, signature) in entries.items():
            if key in log and log[key][2] == signature:
                continue
            log[key] = [self.env.uid, now, signature, sorted(entry_facts)]
            facts |= entry_facts
            texts.append(text)
        for key in set(log) - set(entries):
            facts |= set(log.pop(key)[3])
            texts.append(self.env._("changed back as approved"))
        if not facts:
            return facts
        self._oms_touch()
        # sudo: the review's own record (see write)
        self.sudo().write(
            {
                "oms_approval_snapshot": dict(snapshot, changes=log),
                "oms_review_pending": True,
            }
        )
        self.message_post(
            body=self.env._(
                "Changed after approval, sent back to review: %(changes)s",
                changes="; ".join(texts),
            )
        )
        return facts

    @api.model
    def _oms_get_held_domain(self, codes):
        """Hook: domain of the orders with an open exception of ``codes``.

        :param list codes: exception codes (the rules' check types)
        :rtype: list
        """
        return [
            ("state", "!=", "cancel"),
            (
                "oms_exception_ids",
                "any",
                [("code", "in", list(codes)), ("state", "=", "open")],
            ),
        ]

    @api.model
    def _oms_release_held(self, codes, domain=None):
        """Hook: the fact that made a rule of ``codes`` fail changed outside the
        order (stock arrived, an address completed, a payment received, credit
        freed): review again the orders held for it that ``domain`` selects,
        found with one search, priority first. Released when clean: confirmed
        (when the policy allows) or cleared for shipping.

        :param list codes: exception codes (the rules' check types)
        :param list domain: the orders concerned by the changed record
        :return: the orders reviewed
        :rtype: sale.order
        """
        # the changed record is not the order's: review as system, whoever
        # changed it (a warehouse user, an accountant)
        orders = self.sudo().search(
            self._oms_get_held_domain(codes) + list(domain or []),
            order="oms_priority desc, date_order, id",
        )
        orders._oms_review_safely()
        return orders

    def _oms_release_waiting(self, products=None):
        """Re-review orders waiting for stock (of ``products``), priority first."""
        domain = [("order_line.product_id", "in", products.ids)] if products else []
        return self._oms_release_held(["stock"], domain)

    def _oms_review_safely(self):
        """Review each order on its own savepoint: an order that cannot be
        confirmed must not fail the receipt or the cron that released it."""
        for order in self:
            try:
                with self.env.cr.savepoint():
                    order.action_oms_review()
            except UserError as error:
                _logger.warning("OMS review of %s failed: %s", order.name, error)

    @api.model
    def _cron_oms_review(self):
        """Release orders waiting for stock and review pending ones."""
        self._oms_release_waiting()
        pending = self.search(
            [("oms_review_pending", "=", True), ("state", "!=", "cancel")]
        )
        pending._oms_review_safely()
        return True

    # ------------------------------------------------------------------
    # Priority and stage
    # ------------------------------------------------------------------

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
        deliveries = self._oms_get_customer_deliveries(include_returns=True)
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

    # ------------------------------------------------------------------
    # Fulfilment
    # ------------------------------------------------------------------

    def _oms_get_default_invoice_policy(self):
        """Hook: invoice policy of an order whose customer has none: the order
        type's, else manual (a channel addon overrides it for its channels).

        :return: a key of ``OMS_INVOICE_POLICY``
        """
        self.ensure_one()
        return self._oms_get_order_type().invoice_policy or "manual"

    def _oms_get_default_payment_policy(self):
        """Hook: payment policy of an order whose customer has none: the order
        type's, else payment terms.

        :return: a key of ``OMS_PAYMENT_POLICY``
        """
        self.ensure_one()
        return self._oms_get_order_type().payment_policy or "terms"

    def _action_confirm(self):
        """Reserve stock at approval and invoice prepaid orders (extends sale_stock)."""
        result = super()._action_confirm()
        self._oms_promise_confirmed()
        self._oms_reserve_stock()
        self.filtered(lambda o: o.oms_invoice_policy == "order")._oms_invoice_and_post()
        return result

    def _oms_get_serving_rank(self):
        """Hook: the order's place when stock is short, lower first: priority,
        then order date (as ``stock.move._oms_sorted_for_reservation``)."""
        self.ensure_one()
        return (-int(self.oms_priority or 0), self.date_order, self.id)

    def _oms_get_promise_scope(self):
        """{warehouse: storable products} of the goods of the orders."""
        scope = {}
        for order in self.filtered("warehouse_id"):
            products = order.order_line.product_id.filtered("is_storable")
            scope[order.warehouse_id] = (
                scope.get(order.warehouse_id, products.browse()) | products
            )
        return scope

    def _oms_promise_confirmed(self):
        """Hook: promise a ship date to the orders just confirmed, under the
        promise lock of their products (two orders are never promised the
        same incoming units). The orders they overtake (higher priority) are
        re-promised with them."""
        untracked = self.order_line.filtered(
            lambda line: line._oms_is_promised()
            and not line.product_id.is_storable
            and line.order_id.warehouse_id
        )
        for warehouse, lines in untracked.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            # goods whose stock is not tracked ship after the lead time; sudo:
            # the promise is the system's (see sale.order.line.write)
            context = warehouse._oms_get_promise_context()
            lines.sudo().oms_promised_date = context.ship_datetime(context.today)
        for warehouse, products in self._oms_get_promise_scope().items():
            self._oms_repromise(warehouse, products, confirming=self)

    @api.model
    def _oms_repromise(self, warehouse, products, confirming=None):
        """Re-promise the confirmed orders needing ``products`` from
        ``warehouse`` (hook: a receipt moved, an order cancelled or confirmed
        ahead of them, the cron).

        Takes the promise lock of the products, then stores the new date of
        every line that changed. A changed order logs its new date; one later
        than promised gets a *promise at risk* exception (warning, with an
        owner and a deadline before the promised date).

        :param products: storable product.product
        :param confirming: the orders being confirmed (promised, not re-promised)
        :return: the re-promised orders (``confirming`` excluded)
        """
        confirming = confirming or self.browse()
        products._oms_lock_atp(warehouse)
        # sudo: the promise follows the stock, whoever moved it (a receipt
        # rescheduled by the warehouse, another salesperson's order)
        promises = (
            self.env["sale.order.line"]
            .sudo()
            ._oms_get_confirmed_promises(warehouse.sudo(), products.sudo())
        )
        changed = {
            line: ship_date
            for line, ship_date in promises.items()
            if line.oms_promised_date != ship_date
        }
        orders = self.sudo().browse({line.order_id.id for line in changed})
        before = {order: order.oms_promised_date for order in orders}
        by_date = defaultdict(lambda: self.env["sale.order.line"].sudo())
        for line, ship_date in changed.items():
            by_date[ship_date] |= line
        for ship_date, lines in by_date.items():
            lines.oms_promised_date = ship_date
        repromised = orders - confirming.sudo()
        for order in repromised:
            if order.oms_promised_date != before[order]:
                order._oms_log_repromise(before[order])
        return repromised

    def _oms_log_repromise(self, previous):
        """Log the order's new promised date; raise *promise at risk* when it
        is later than ``previous`` (hook)."""
        self.ensure_one()
        new = self.oms_promised_date
        old_text = format_datetime(self.env, previous) if previous else "-"
        new_text = format_datetime(self.env, new) if new else None
        self.message_post(
            body=self.env._(
                "Ship date re-promised: %(new)s (was %(old)s).",
                new=new_text or self.env._("none"),
                old=old_text,
            )
        )
        if previous and (not new or new > previous):
            # read in the reader's language (the dates as the re-promise wrote them)
            exception = self._oms_add_exception(
                "promise_at_risk",
                reader_text.store(
                    _lt(
                        "Promise at risk: promised %(old)s, the stock now allows "
                        "%(new)s."
                    ),
                    old=old_text,
                    new=new_text or _lt("none"),
                ),
                severity="warn",
            )
            # due before the promise is missed; sudo: the system's exception
            exception.sudo().deadline = min(exception.deadline, previous)
            self._oms_send_notice(
                "promise_at_risk",
                "oms_core.mail_template_oms_notice_promise_at_risk",
                topic=fields.Datetime.to_string(new) if new else "",
            )

    @api.model
    def _cron_oms_repromise(self):
        """Re-promise every open confirmed order, warehouse by warehouse."""
        Move = self.env["stock.move"].sudo()
        for warehouse in self.env["stock.warehouse"].sudo().search([]):
            groups = Move._read_group(
                [
                    ("location_id.warehouse_id", "=", warehouse.id),
                    ("sale_line_id", "!=", False),
                    ("state", "not in", ("draft", "done", "cancel")),
                    ("location_dest_id.usage", "=", "customer"),
                    ("product_id.is_storable", "=", True),
                ],
                ["product_id"],
            )
            products = self.env["product.product"].union(
                *(product for (product,) in groups)
            )
            if products:
                self._oms_repromise(warehouse, products)
        return True

    def _oms_reserve_stock(self):
        """Hook: at approval, reserve the deliveries of the orders (冻结库存) whose
        operation type reserves at confirmation, by priority then order date.

        Operation types that reserve manually or before the scheduled date keep
        Odoo's own behaviour: Odoo (and its scheduler) reserves them, by the
        same priority order (``stock.move._action_assign``).
        """
        pickings = self._oms_get_customer_deliveries(include_returns=True).filtered(
            lambda p: (
                p.state in ("confirmed", "waiting")
                and p.picking_type_id.reservation_method == "at_confirm"
            )
        )
        if pickings:
            pickings.move_ids._oms_sorted_for_reservation()._action_assign()
        self._oms_replenish_from_other_warehouse()

    def _oms_replenish_from_other_warehouse(self):
        """Hook: when the order's warehouse lacks stock and another warehouse of the
        company has it, propose (activity) or create an inter-warehouse transfer,
        as set on the warehouse."""
        for order in self:
            warehouse = order.warehouse_id
            if warehouse.oms_interwarehouse_policy in (False, "none"):
                continue
            deliveries = order._oms_get_customer_deliveries(include_returns=True)
            moves = deliveries.move_ids.filtered(
                lambda m: (
                    m.state in ("confirmed", "partially_available")
                    and m.product_id.is_storable
                )
            )
            for move in moves:
                product = move.product_id
                missing = move.product_uom._compute_quantity(
                    move.product_uom_qty - move.quantity, product.uom_id
                )
                source = warehouse._oms_find_source_warehouse(product, missing)
                if not source:
                    continue
                if warehouse.oms_interwarehouse_policy == "transfer":
                    transfer = warehouse._oms_create_interwarehouse_transfer(
                        source, product, missing, order.name
                    )
                    order.message_post(
                        body=self.env._(
                            "Transfer %(transfer)s brings %(qty)s %(product)s "
                            "from %(from_wh)s.",
                            transfer=transfer.name,
                            qty=missing,
                            product=product.display_name,
                            from_wh=source.name,
                        )
                    )
                else:
                    order.activity_schedule(
                        "mail.mail_activity_data_todo",
                        summary=self.env._("Stock available in another warehouse"),
                        note=self.env._(
                            "%(from_wh)s has %(qty)s %(product)s that "
                            "%(warehouse)s lacks: "
                            "transfer it or ship from there.",
                            from_wh=source.name,
                            qty=missing,
                            product=product.display_name,
                            warehouse=warehouse.name,
                        ),
                        user_id=order.user_id.id or self.env.uid,
                    )

    def _oms_get_customer_deliveries(self, include_returns=False):
        """The deliveries of the orders to their customers, cancelled ones left
        out (see ``stock.picking._oms_is_customer_delivery``).

        :param bool include_returns: also the pickings that send a customer
            return back to the customer (outgoing pickings with ``return_id``)
        :rtype: stock.picking
        """
        return self.picking_ids._oms_filter_customer_deliveries(
            include_returns=include_returns
        ).filtered(lambda p: p.state != "cancel")

    def _oms_update_delivered_date(self):
        """Set the order's delivered date once every delivery reached the customer."""
        for order in self:
            deliveries = order._oms_get_customer_deliveries()
            pending = any(
                float_compare(
                    line.qty_delivered,
                    line.product_uom_qty,
                    precision_rounding=line.product_uom.rounding,
                )
                < 0
                for line in order.order_line
                if line.product_id.type == "consu" and not line.display_type
            )
            dates = deliveries.mapped("oms_delivered_date")
            if deliveries and all(dates) and not pending:
                order.oms_delivered_date = max(dates)
            else:
                order.oms_delivered_date = False

    # ------------------------------------------------------------------
    # Money
    # ------------------------------------------------------------------

    def _oms_has_invoiceable_lines(self):
        self.ensure_one()
        precision = self.env["decimal.precision"].precision_get(
            "Product Unit of Measure"
        )
        return any(
            not line.display_type
            and float_compare(line.qty_to_invoice, 0, precision_digits=precision) > 0
            for line in self.order_line
        )

    def _oms_invoice_and_post(self):
        """Create and post the invoices of what is invoiceable now under each
        order's invoice policy, and reconcile reported payments with them.

        :return: the posted invoices
        :rtype: account.move
        """
        orders = self.filtered(
            lambda o: o.state == "sale" and o._oms_has_invoiceable_lines()
        )
        if not orders:
            return self.env["account.move"]
        invoices = orders._create_invoices()
        invoices.action_post()
        orders._oms_reconcile_payments()
        return invoices

    @api.model
    def _cron_oms_periodic_invoicing(self):
        """Consolidated invoicing: one invoice per customer for the delivered,
        uninvoiced quantities of its orders under the periodic policy."""
        orders = self.search(
            [
                ("oms_invoice_policy", "=", "periodic"),
                ("state", "=", "sale"),
                ("invoice_status", "=", "to invoice"),
            ]
        )
        return orders._oms_invoice_and_post()

    def _oms_get_advance_payments(self):
        """Reported payments not yet matched with an invoice."""
        return self.oms_payment_ids.filtered(
            lambda p: (
                p.state not in ("draft", "canceled")
                and not p.reconciled_invoice_ids
                and not p.invoice_ids
            )
        )

    def _oms_get_open_invoices(self):
        return self.invoice_ids.filtered(
            lambda m: (
                m.state == "posted"
                and m.move_type == "out_invoice"
                and m.payment_state in ("not_paid", "partial")
            )
        )

    def _oms_register_external_payment(self, journal, amount, date=None, ref=None):
        """Register a payment that a channel (or a carrier, for cash on delivery)
        reports for this order, and reconcile it with the order's invoices.

        A prepaid order is invoiced first when its policy allows; a payment that
        arrives before there is any invoice is kept on the order and reconciled
        when the invoice is posted.

        :param journal: ``account.journal`` (bank or cash) receiving the money
        :param float amount: amount received, in the journal's currency
        :param date: payment date (default: today)
        :param str ref: the channel's payment reference (memo)
        :return: the posted payment
        :rtype: account.payment
        """
        self.ensure_one()
        if float_is_zero(amount, precision_rounding=self.currency_id.rounding):
            raise UserError(self.env._("The payment amount must not be zero."))
        if self.state == "sale" and not self._oms_get_open_invoices():
            self.filtered(
                lambda o: o.oms_invoice_policy == "order"
            )._oms_invoice_and_post()
        payment = self.env["account.payment"].create(
            self._prepare_oms_payment_vals(journal, amount, date=date, ref=ref)
        )
        payment.action_post()
        self.oms_payment_ids = [Command.link(payment.id)]
        self._oms_reconcile_payments()
        # the payment counts once linked: release the order if it waited for it
        self._oms_release_held(["payment", "credit_limit"], [("id", "=", self.id)])
        self.message_post(
            body=self.env._(
                "Payment of %(amount)s registered on %(journal)s (reference %(ref)s).",
                amount=amount,
                journal=journal.display_name,
                ref=ref or "-",
            )
        )
        return payment

    def _prepare_oms_payment_vals(self, journal, amount, date=None, ref=None):
        """Hook: values of the payment of ``_oms_register_external_payment``."""
        self.ensure_one()
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.partner_invoice_id.commercial_partner_id.id,
            "amount": amount,
            "currency_id": (journal.currency_id or journal.company_id.currency_id).id,
            "journal_id": journal.id,
            "date": date or fields.Date.context_today(self),
            "memo": ref or self.name,
            "company_id": self.company_id.id,
        }

    def _oms_reconcile_payments(self):
        """Reconcile the payments reported on the orders with their open invoices."""
        for order in self:
            invoices = order._oms_get_open_invoices()
            payments = order.oms_payment_ids.filtered(
                lambda p: (
                    p.state in ("in_process", "paid")
                    and not p.is_reconciled
                    and not p.invoice_ids
                )
            )
            if not invoices or not payments:
                continue
            for payment in payments:
                if payment.move_id:
                    lines = (payment.move_id.line_ids + invoices.line_ids).filtered(
                        lambda ln: (
                            ln.account_type == "asset_receivable" and not ln.reconciled
                        )
                    )
                    lines.reconcile()
                else:
                    payment.invoice_ids = [Command.link(inv.id) for inv in invoices]

    # ------------------------------------------------------------------
    # Returns
    # ------------------------------------------------------------------

    def _prepare_oms_return_line_vals(self):
        """Hook: proposed return lines: every delivered move of the order."""
        self.ensure_one()
        reason = self.env["oms.return.reason"].search(
            [("company_id", "in", [self.company_id.id, False])], limit=1
        )
        vals_list = []
        deliveries = self._oms_get_customer_deliveries(include_returns=True)
        for move in self.order_line.move_ids.filtered(
            lambda m: (
                m.state == "done"
                and m.picking_id in deliveries
                and not m.origin_returned_move_id  # a return's moves are not proposed
            )
        ):
            vals_list.append(
                {
                    "product_id": move.product_id.id,
                    "quantity": move.quantity,
                    "sale_line_id": move.sale_line_id.id,
                    "move_id": move.id,
                    "reason_id": reason.id,
                }
            )
        return vals_list

    # ------------------------------------------------------------------
    # The customer's side: notices, satisfaction, portal
    # ------------------------------------------------------------------

    def _oms_notice_enabled(self, event):
        """Hook: whether the customer of the order gets the notice of ``event``
        (a key of ``OMS_NOTICE_EVENTS``). `oms_channels` lets each channel
        switch each notice off.

        :rtype: bool
        """
        self.ensure_one()
        return bool(self.partner_id.email)

    def _oms_send_notice(self, event, template_xmlid, topic="", source=None):
        """Send the notice of ``event`` to the customer of each order once
        (per ``topic``): the ``oms.order.notice`` log decides, under its unique
        index, so a second call or a concurrent worker sends nothing.

        :param str template_xmlid: the mail template
        :param str topic: what the notice is about within the event
        :param source: the record the template renders (default: the order)
        :return: the orders notified now
        """
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        notified = self.browse()
        if not template:
            return notified
        Notice = self.env["oms.order.notice"]
        for order in self:
            if not order._oms_notice_enabled(event):
                continue
            if not Notice._claim(order, event, topic):
                continue
            record = source or order
            # sudo: a notice follows the event that triggered it (a warehouse
            # user validating a delivery may not read the order)
            record.sudo().with_context(
                lang=order.partner_id.lang
            ).message_post_with_source(
                template,
                email_layout_xmlid="mail.mail_notification_light",
                subtype_xmlid="mail.mt_comment",
            )
            notified |= order
        return notified

    def _oms_get_customer_waits(self):
        """The open blocking exceptions of the order that only the customer
        can clear: an incomplete address, a payment not received.

        :rtype: oms.exception
        """
        return self.oms_exception_ids.filtered(
            lambda e: e.state == "open"
            and e.severity == "block"
            and e.check_type in ("address", "payment")
        )

    def _oms_notify_customer_waits(self):
        """Tell the customer once per exception that the order waits on him."""
        for order in self:
            for exception in order.sudo()._oms_get_customer_waits():
                order._oms_send_notice(
                    "hold_customer",
                    "oms_core.mail_template_oms_notice_hold_customer",
                    topic=str(exception.id),
                )

    def _oms_get_rating_candidates(self, limit=None):
        """Orders delivered long enough ago (*Satisfaction Survey Delay*) whose
        customer has not been asked to rate the delivery yet."""
        delay = self.env.company.oms_rating_delay_hours
        before = fields.Datetime.now() - timedelta(hours=delay)
        return self.search(
            [
                ("state", "=", "sale"),
                ("oms_rating_requested", "=", False),
                ("oms_delivered_date", "!=", False),
                ("oms_delivered_date", "<=", before),
            ],
            order="oms_delivered_date, id",
            limit=limit,
        )

    def _oms_request_rating(self):
        """Ask the customers of the orders to rate the delivery (stars and the
        0-10 recommendation question), once per order."""
        template = self.env.ref("oms_core.mail_template_oms_rating_request")
        for order in self:
            if not order._oms_notice_enabled("rating"):
                continue
            if not self.env["oms.order.notice"]._claim(order, "rating"):
                continue
            order.rating_send_request(
                template, lang=order.partner_id.lang, force_send=False
            )
        # sudo: the survey flag is the system's record (readonly in the form)
        self.sudo().oms_rating_requested = True

    @api.model
    def _cron_oms_request_ratings(self, limit=500):
        """Scheduled action: send the satisfaction surveys of delivered orders."""
        self._oms_get_rating_candidates(limit=limit)._oms_request_rating()

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        """An unhappy customer (two stars or fewer) gets a call: an activity
        for customer service."""
        rating = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        if rate <= OMS_LOW_RATING:
            self._oms_schedule_service_call(
                self.env._("Unhappy customer: rated %(rate)s/5", rate=int(rate))
            )
        return rating

    def _oms_schedule_service_call(self, summary):
        """Hook: ask customer service to call the customer back. Owner: the
        sales team's leader, else the salesperson, else the company's
        customer service user (settings).

        :param str summary: why
        """
        for order in self:
            owner = (
                order.team_id.user_id
                or order.user_id
                or order.company_id.oms_service_user_id
            )
            if not owner:
                continue
            # sudo: the customer (public user) triggers it from the survey page
            order.sudo().activity_schedule(
                "mail.mail_activity_data_todo", summary=summary, user_id=owner.id
            )

    def _oms_apply_nps(self, rating, score):
        """Record the customer's 0-10 answer on the rating of the order; a
        detractor (6 or less) gets a call from customer service.

        :param rating: rating.rating of the order, from the survey's token
        :param int score: 0 to 10
        """
        self.ensure_one()
        rating.write({"oms_nps_score": score, "oms_nps_answered": True})
        if score <= OMS_NPS_DETRACTOR:
            self._oms_schedule_service_call(
                self.env._("Detractor: would recommend us %(score)s/10", score=score)
            )

    def _oms_portal_promised_date(self):
        """Hook: the date the customer was promised: the delivery date
        committed to him, else the promised ship date, else Odoo's expected
        date (as the on-time rate reads it)."""
        self.ensure_one()
        return self.commitment_date or self.oms_promised_date or self.expected_date

    def _oms_portal_timeline(self):
        """The steps of the order as the customer sees them in the portal:
        received, reviewed, promised, shipped (one per delivery, with carrier
        and tracking link), delivered.

        :return: list of dicts ``key``, ``label``, ``date``, ``done``, and for
            shipments ``carrier``, ``tracking_ref``, ``tracking_url``
        """
        self.ensure_one()
        _ = self.env._
        steps = [
            {
                "key": "received",
                "label": _("Order received"),
                "date": self.date_order,
                "done": True,
            },
            {
                "key": "reviewed",
                "label": _("Order reviewed"),
                "date": self.oms_reviewed_date if self.state == "sale" else False,
                "done": self.state == "sale" and not self.oms_has_blocking_exception,
            },
        ]
        promised = self._oms_portal_promised_date()
        if promised and self.state != "cancel":
            steps.append(
                {
                    "key": "promised",
                    # a delivery date committed to the customer is not the
                    # ship date shown next to the order's details
                    "label": _("Delivery by")
                    if promised == self.commitment_date
                    else _("Ships by"),
                    "date": promised,
                    "done": False,
                }
            )
        deliveries = self.sudo()._oms_get_customer_deliveries()
        for picking in deliveries.filtered(lambda p: p.state == "done").sorted(
            "date_done"
        ):
            steps.append(
                {
                    "key": "shipped",
                    "label": _("Shipped"),
                    "date": picking.date_done,
                    "done": True,
                    "carrier": picking.carrier_id.name or "",
                    "tracking_ref": picking.carrier_tracking_ref or "",
                    "tracking_url": picking.carrier_tracking_url or "",
                }
            )
        if not any(step["key"] == "shipped" for step in steps):
            steps.append(
                {"key": "shipped", "label": _("Shipped"), "date": False, "done": False}
            )
        steps.append(
            {
                "key": "delivered",
                "label": _("Delivered"),
                "date": self.oms_delivered_date,
                "done": bool(self.oms_delivered_date),
            }
        )
        if self.state == "cancel":
            reason = self.oms_cancel_reason_id.name
            steps.append(
                {
                    "key": "cancelled",
                    "label": _("Cancelled: %(reason)s", reason=reason)
                    if reason
                    else _("Cancelled"),
                    "date": False,
                    "done": True,
                }
            )
        return steps

    def _oms_portal_customer_actions(self):
        """What the customer must do for the order to go on, in words, with
        where to do it.

        :return: list of dicts ``message``, ``url``, ``button``
        """
        self.ensure_one()
        _ = self.env._
        actions = []
        waits = self.sudo()._oms_get_customer_waits()
        if any(e.check_type == "address" for e in waits):
            actions.append(
                {
                    "key": "address",
                    "message": _(
                        "Your delivery address is incomplete: please complete it "
                        "so that we can ship your order."
                    ),
                    "url": "/my/account",
                    "button": _("Complete my address"),
                }
            )
        if any(e.check_type == "payment" for e in waits):
            actions.append(
                {
                    "key": "payment",
                    "message": _(
                        "We are waiting for your payment before we ship your order."
                    ),
                    "url": self.get_portal_url(),
                    "button": _("Pay now"),
                }
            )
        return actions

    def _oms_portal_rating_token(self):
        """The token of the order's pending satisfaction survey, if any."""
        self.ensure_one()
        if not self.oms_rating_requested:
            return False
        # sudo: the portal renders the order of its access token
        rating = self.sudo().rating_ids.filtered(
            lambda r: r.partner_id == self.partner_id and not r.consumed
        )[:1]
        return rating.access_token
