import json
import logging
from contextlib import contextmanager
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero, float_round

from .oms_order_type import OMS_INVOICE_POLICY, OMS_ORDER_TYPES, OMS_PAYMENT_POLICY
from .review_batch import OmsReviewBatch

_logger = logging.getLogger(__name__)


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

# fields of the order whose change after approval sends it back to review
OMS_REVIEWED_ORDER_FIELDS = {
    "partner_id",
    "partner_shipping_id",
    "pricelist_id",
    "payment_term_id",
    "warehouse_id",
    "oms_order_type",
}

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
    "oms_sourcing_note",
}

# Orders the server is working on, by purpose, for the duration of one call
# (``SaleOrder._oms_mark``): kept on the cursor, out of reach of any client,
# unlike a context key.
OMS_MARK_REVIEWED = "oms_core.reviewed"  # the review approved them just now
OMS_MARK_RESOLVING = "oms_core.resolving"  # a reviewer's resolution edits them
OMS_MARK_CANCELLING = "oms_core.cancelling"  # cancelled with a reason


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
        "oms_approval_snapshot", "order_line.product_uom_qty", "order_line.price_unit"
    )
    def _compute_oms_changes_since_approval(self):
        for order in self:
            order.oms_changes_since_approval = order._oms_diff_snapshot()

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
        included) is refused. A change of a reviewed fact after approval sends
        the order back to review."""
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
        res = super().write(vals)
        if OMS_REVIEWED_ORDER_FIELDS & set(vals):
            self._oms_changed_after_approval()
        return res

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

    def _oms_run_review(self, auto_confirm=False):
        """Evaluate the rules and synchronise the exceptions of the orders.

        Orders are reviewed by priority, then date. With ``auto_confirm`` the
        orders that pass and may confirm by themselves are returned, to be
        confirmed together, and every later order of the batch is reviewed as
        if they were confirmed already: the rules get the ``OmsReviewBatch`` of
        the call, which knows them (their stock, credit and first order count),
        so a batch decides exactly as one order at a time would.

        :return: the orders to confirm (always empty without ``auto_confirm``)
        """
        batch = OmsReviewBatch(self)
        if (
            auto_confirm
            and len(self) > 1
            and self.env["oms.review.rule"]._checks_stock(self.company_id)
        ):
            batch.prefetch(self)
        rules_by_company = {}
        for order in self.sorted(
            lambda o: (-int(o.oms_priority or 0), o.date_order or o.create_date, o.id)
        ):
            if order.state == "cancel":
                continue
            if order.company_id not in rules_by_company:
                rules_by_company[order.company_id] = order._oms_get_review_rules()
            results = [
                (rule, rule._evaluate(order, batch))
                for rule in rules_by_company[order.company_id]
                if rule._applies_to(order)
            ]
            order._oms_sync_exceptions(results, batch)
            order._oms_apply_sourcing(batch)
            blocked = bool(order._oms_get_blocking())
            values = {
                "oms_reviewed_date": fields.Datetime.now(),
                "oms_review_pending": False,
            }
            if not blocked and not order.oms_approval_snapshot:
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

    def _oms_sync_exceptions(self, results, batch):
        """Create, update and clear the rule exceptions of the order.

        An override sticks as long as the rule fails with the same message: a
        re-review re-checks only facts that changed.

        :param list results: [(rule, message or False)] of the applicable rules
        :param OmsReviewBatch batch: the review call the results come from
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
                if (current.message, current.severity) != (message, rule.severity):
                    current.write({"message": message, "severity": rule.severity})
                continue
            overridden = set(
                mine.filtered(lambda e: e.state == "overridden").mapped("message")
            )
            if overridden and (
                message in overridden
                or overridden & self._oms_rule_messages(rule, batch)
            ):
                continue
            created |= OmsException.create(
                {
                    "order_id": self.id,
                    "rule_id": rule.id,
                    "code": rule.check_type,
                    "message": message,
                    "severity": rule.severity,
                    "user_id": OmsException._get_owner(self, rule).id,
                    "deadline": OmsException._get_deadline(self, rule),
                }
            )
        cleared = existing.filtered(
            lambda e: e.state == "open" and e.rule_id not in failing
        )
        cleared._oms_resolve_by_system()
        created._schedule_owner_activity()
        if created:
            self.message_post(
                body=self.env._(
                    "Review found: %(messages)s",
                    messages="; ".join(created.mapped("message")),
                )
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
                self.env._(
                    "%(product)s: ordered %(qty)s, available %(stock)s",
                    product=product.display_name,
                    qty=float_round(needs[product.id], precision_rounding=rounding),
                    stock=stock,
                )
            )
        if self._oms_accepts_split_shipment():
            return self.env._(
                "No warehouse, nor any combination of warehouses, has the stock: "
                "%(lines)s",
                lines="; ".join(lines),
            )
        return self.env._(
            "No single warehouse has the stock and the customer does not accept "
            "split shipments: %(lines)s",
            lines="; ".join(lines),
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

    def _oms_changed_after_approval(self):
        """Send approved orders whose key facts changed back to review.

        Approved: confirmed, or a quotation the review approved without
        confirming it. The review runs again (it confirms nothing by itself).
        Orders a reviewer is changing as part of a resolution (the substitute
        wizard, see ``_oms_mark``) are left to that resolution's own review.
        """
        orders = (self - self._oms_filter_marked(OMS_MARK_RESOLVING)).filtered(
            lambda o: (
                o.state in ("draft", "sent", "sale")
                and o.oms_reviewed_date
                and o.oms_approval_snapshot
            )
        )
        for order in orders:
            changes = order._oms_diff_snapshot()
            if not changes:
                continue
            order._oms_touch()
            order.sudo().oms_review_pending = True  # the review's own record
            order.message_post(
                body=self.env._(
                    "Changed after approval, sent back to review: %(changes)s",
                    changes=changes,
                )
            )
        orders.filtered("oms_review_pending")._oms_run_review()

    @api.model
    def _oms_get_waiting_domain(self):
        return [
            ("state", "in", ("draft", "sent")),
            (
                "oms_exception_ids",
                "any",
                [("code", "=", "stock"), ("state", "=", "open")],
            ),
        ]

    def _oms_release_waiting(self, products=None):
        """Re-review orders waiting for stock (of ``products``), priority first."""
        domain = self._oms_get_waiting_domain()
        if products:
            domain.append(("order_line.product_id", "in", products.ids))
        # stock arrival is not done by the order's salesperson: review as system
        orders = self.sudo().search(domain, order="oms_priority desc, date_order, id")
        orders._oms_review_safely()
        return orders

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
        self._oms_reserve_stock()
        self.filtered(lambda o: o.oms_invoice_policy == "order")._oms_invoice_and_post()
        return result

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
