from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.translate import LazyTranslate

from ..tools import reader_text
from .oms_review_rule import OMS_CHECK_TYPES, OMS_SEVERITIES

_lt = LazyTranslate(__name__)

OMS_EXCEPTION_STATES = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("overridden", "Overridden"),
]
OMS_RESOLUTIONS = [
    ("system", "Cleared by re-review"),
    ("override", "Overridden"),
    ("wait_stock", "Waiting for stock"),
    ("substitute", "Product substituted"),
    ("ship_available", "Ship available, back-order the rest"),
    ("contact", "Customer contacted"),
    ("cancel", "Order cancelled"),
]
# What the review decided and how the exception was cleared: written only by
# the review and by the resolution actions (in superuser mode, once they
# checked the user), never by a plain write (see ``write``).
OMS_EXCEPTION_GUARDED_FIELDS = {
    "order_id",
    "rule_id",
    "code",
    "severity",
    "message",
    "message_source",
    "state",
    "resolution",
    "resolved_uid",
    "resolved_date",
    "is_escalated",
    "tier_id",
    "approval_ids",
}


class OmsException(models.Model):
    """A failed review check on an order, with an owner and a deadline.

    Created and cleared by `sale.order.action_oms_review`; resolved by reviewers
    through the ``action_*`` methods, each recorded and counted on the order.
    """

    _name = "oms.exception"
    _description = "Order Exception"
    _inherit = ["mail.thread"]
    _order = "deadline, id"
    _rec_name = "message"
    _check_company_auto = True

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer")
    salesperson_id = fields.Many2one(related="order_id.user_id", string="Salesperson")
    rule_id = fields.Many2one("oms.review.rule", ondelete="set null", index=True)
    code = fields.Char(
        required=True,
        help="The rule's check type, or the code given by the addon that raised it.",
    )
    check_type = fields.Selection(
        OMS_CHECK_TYPES, compute="_compute_check_type", store=True, string="Type"
    )
    severity = fields.Selection(
        OMS_SEVERITIES, required=True, default="warn", tracking=True
    )
    state = fields.Selection(
        OMS_EXCEPTION_STATES, required=True, default="open", index=True, tracking=True
    )
    message = fields.Text(
        compute="_compute_message",
        inverse="_inverse_message",
        search="_search_message",
        help="What failed, figures included, in the reader's language.",
    )
    message_source = fields.Text(
        required=True,
        readonly=True,
        help="The message as stored: its English source and its figures "
        "(tools/reader_text.py), or a plain text.",
    )
    user_id = fields.Many2one("res.users", string="Owner", tracking=True, index=True)
    deadline = fields.Datetime(tracking=True)
    is_overdue = fields.Boolean(
        compute="_compute_is_overdue", search="_search_is_overdue"
    )
    is_escalated = fields.Boolean(string="Escalated", readonly=True, copy=False)
    resolution = fields.Selection(OMS_RESOLUTIONS, tracking=True, copy=False)
    resolved_uid = fields.Many2one("res.users", string="Resolved By", copy=False)
    resolved_date = fields.Datetime(copy=False)
    note = fields.Text(copy=False)
    activity_id = fields.Many2one("mail.activity", copy=False, ondelete="set null")
    approver_group_id = fields.Many2one(
        "res.groups", compute="_compute_approver_group_id"
    )
    tier_id = fields.Many2one(
        "oms.review.rule.tier",
        string="Approval Level",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The level to approve now; empty: a single approval by the rule's "
        "approver group.",
    )
    approval_ids = fields.One2many(
        "oms.exception.approval",
        "exception_id",
        string="Approvals",
        readonly=True,
        copy=False,
    )
    level = fields.Integer(
        compute="_compute_level",
        help="Number of the level to approve now (1: the first).",
    )
    # What the reviewer needs next to the exception, by type
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    credit_limit = fields.Monetary(
        compute="_compute_credit_context",
        currency_field="company_currency_id",
    )
    credit_used = fields.Monetary(
        compute="_compute_credit_context",
        currency_field="company_currency_id",
        help="Receivables and confirmed sales not invoiced yet of the customer.",
    )
    open_invoice_count = fields.Integer(
        compute="_compute_credit_context", string="Open Invoices"
    )
    open_invoice_amount = fields.Monetary(
        compute="_compute_credit_context",
        currency_field="company_currency_id",
        string="Open Amount",
    )
    overdue_invoice_count = fields.Integer(
        compute="_compute_credit_context", string="Overdue Invoices"
    )
    overdue_invoice_amount = fields.Monetary(
        compute="_compute_credit_context",
        currency_field="company_currency_id",
        string="Overdue Amount",
    )
    order_line_ids = fields.One2many(
        related="order_id.order_line", string="Order Lines"
    )
    order_date = fields.Datetime(related="order_id.date_order", string="Order Date")
    order_amount = fields.Monetary(
        related="order_id.amount_total",
        string="Order Total",
        currency_field="order_currency_id",
    )
    order_currency_id = fields.Many2one(
        related="order_id.currency_id", string="Order Currency"
    )
    duplicate_order_ids = fields.Many2many(
        "sale.order",
        compute="_compute_duplicate_context",
        string="Possible Duplicates",
    )
    duplicate_line_ids = fields.Many2many(
        "sale.order.line",
        compute="_compute_duplicate_context",
        string="Lines of the Duplicates",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Only the review creates exceptions already closed (see ``write``).

        The message given is stored as it is (see ``_inverse_message``)."""
        for vals in vals_list:
            if "message" in vals:
                vals.setdefault("message_source", vals.pop("message"))
        if not self.env.su:
            for vals in vals_list:
                closed = {"resolution", "resolved_uid", "resolved_date"} & {
                    key for key, value in vals.items() if value
                }
                if closed or vals.get("state", "open") != "open":
                    raise AccessError(
                        self.env._(
                            "An order exception is created open: it is resolved "
                            "through its actions."
                        )
                    )
        return super().create(vals_list)

    def write(self, vals):
        """Guard what the review decided and how the exception was cleared.

        ``OMS_EXCEPTION_GUARDED_FIELDS`` change only through the review and the
        resolution actions, which check the user (approver group, four eyes)
        and then write in superuser mode. A plain write of them, RPC included,
        is refused to everyone, reviewers and managers alike; the owner, the
        deadline and the note stay editable.
        """
        guarded = OMS_EXCEPTION_GUARDED_FIELDS & set(vals)
        if guarded and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of an order exception change only through its "
                    "actions (Override, Wait for Stock, Substitute Product, "
                    "Ship Available, Cancel Order).",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in sorted(guarded)
                    ),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_manager(self):
        """Only OMS managers delete exceptions, and the order's chatter keeps
        a trace of it."""
        if not self.env.su and not self.env.user.has_group(
            "oms_core.group_oms_manager"
        ):
            raise AccessError(
                self.env._("Only OMS managers can delete order exceptions.")
            )
        for exception in self:
            self._post_on_order(
                exception.order_id,
                _lt("Exception deleted by %(user)s (%(state)s): %(message)s"),
                user=self.env.user.name,
                state=reader_text.selection(self._name, "state", exception.state),
                message=exception.message_source,
            )

    def unlink(self):
        """A deleted blocking exception may end the hold of its order."""
        orders = self.order_id
        result = super().unlink()
        orders.exists()._oms_sync_hold_reservation()
        return result

    @api.depends("message_source")
    @api.depends_context("lang")
    def _compute_message(self):
        lang = self.env.lang or "en_US"
        for exception in self:
            exception.message = reader_text.render(
                exception.message_source, lang, self.env
            )

    def _inverse_message(self):
        """A message written is stored as it is: a stored text of the review
        (rendered for each reader) or a plain text (read as written)."""
        for exception in self:
            exception.message_source = exception.message

    def _search_message(self, operator, value):
        """Searched in the stored message: its English source and figures
        (a search in another language finds the figures, not the words)."""
        return [("message_source", operator, value)]

    @api.depends("code")
    def _compute_check_type(self):
        types = dict(OMS_CHECK_TYPES)
        for exception in self:
            exception.check_type = exception.code if exception.code in types else False

    @api.depends("deadline", "state")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for exception in self:
            exception.is_overdue = (
                exception.state == "open"
                and bool(exception.deadline)
                and exception.deadline < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        overdue = [
            ("state", "=", "open"),
            ("deadline", "!=", False),
            ("deadline", "<", fields.Datetime.now()),
        ]
        if (operator == "=") == value:
            return overdue
        return ["!", "&", "&", *overdue]

    @api.depends("rule_id.approver_group_id", "tier_id.approver_group_id")
    def _compute_approver_group_id(self):
        default = self.env.ref("oms_core.group_oms_reviewer")
        for exception in self:
            exception.approver_group_id = (
                exception.tier_id.approver_group_id
                or exception.rule_id.approver_group_id
                or default
            )

    @api.depends("approval_ids.is_superseded")
    def _compute_level(self):
        for exception in self:
            exception.level = (
                len(exception.approval_ids.filtered(lambda a: not a.is_superseded)) + 1
            )

    def _get_open_invoice_domain(self):
        """Domain of the customer's posted invoices not paid yet.

        :rtype: list
        """
        self.ensure_one()
        return [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "=", self.company_id.id),
            (
                "commercial_partner_id",
                "=",
                self.partner_id.commercial_partner_id.id,
            ),
        ]

    @api.depends("check_type", "order_id.partner_id")
    def _compute_credit_context(self):
        today = fields.Date.context_today(self)
        for exception in self:
            values = dict.fromkeys(
                (
                    "credit_limit",
                    "credit_used",
                    "open_invoice_count",
                    "open_invoice_amount",
                    "overdue_invoice_count",
                    "overdue_invoice_amount",
                ),
                0,
            )
            if exception.check_type == "credit_limit" and exception.partner_id:
                company = exception.company_id
                # credit figures are for accountants; the reviewer sees the
                # ones the credit check read, as the review reads them
                partner = (
                    exception.partner_id.commercial_partner_id.sudo()
                    .with_company(company)
                    .with_context(allowed_company_ids=[company.id])
                )
                invoices = (
                    self.env["account.move"]
                    .sudo()
                    .search(exception._get_open_invoice_domain())
                )
                overdue = invoices.filtered(
                    lambda m: m.invoice_date_due and m.invoice_date_due < today
                )
                values.update(
                    credit_limit=partner.credit_limit,
                    credit_used=partner.credit + partner.credit_to_invoice,
                    open_invoice_count=len(invoices),
                    open_invoice_amount=sum(invoices.mapped("amount_residual_signed")),
                    overdue_invoice_count=len(overdue),
                    overdue_invoice_amount=sum(
                        overdue.mapped("amount_residual_signed")
                    ),
                )
            exception.update(values)

    @api.depends("check_type", "rule_id", "order_id")
    def _compute_duplicate_context(self):
        for exception in self:
            duplicates = self.env["sale.order"]
            if exception.check_type == "duplicate" and exception.rule_id:
                # rules are configuration; the orders shown are read as the user
                duplicates = (
                    exception.rule_id.sudo()
                    ._oms_get_duplicates(exception.order_id)
                    .with_env(self.env)
                    ._filtered_access("read")
                )
            exception.duplicate_order_ids = duplicates
            exception.duplicate_line_ids = duplicates.order_line

    def action_open_invoices(self):
        """The customer's open invoices, overdue first (credit hold context)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Invoices"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": self._get_open_invoice_domain(),
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Owner and deadline
    # ------------------------------------------------------------------
    @api.model
    def _get_owner(self, order, rule, tier=None, exclude=None):
        """Owner of a new exception or level: the rule's owner, else the least
        busy member of the approver group (of ``tier`` when given) who may
        approve the order (neither its creator nor its salesperson, see
        ``_check_four_eyes``, nor one of ``exclude``: the approvers of the
        earlier levels), else the salesperson. While the owner is away, his
        delegate (``res.users._oms_get_delegate``) owns it instead.

        :param tier: oms.review.rule.tier of the level, or None
        :param exclude: res.users who may not own it, or None
        :rtype: res.users
        """
        owner = self._get_owner_in_group(order, rule, tier, exclude)
        delegate = owner._oms_get_delegate() if owner else owner
        if delegate and delegate not in (
            order.create_uid | order.user_id | (exclude or delegate.browse())
        ):
            return delegate
        return owner

    @api.model
    def _get_owner_in_group(self, order, rule, tier=None, exclude=None):
        """The owner ``_get_owner`` picks, before delegation."""
        group = (
            tier.approver_group_id
            if tier
            else rule.approver_group_id or self.env.ref("oms_core.group_oms_reviewer")
        )
        exclude = exclude or self.env["res.users"]
        if rule.user_id and (
            not tier
            or (group in rule.user_id.groups_id and rule.user_id not in exclude)
        ):
            return rule.user_id
        candidates = (
            group.users.filtered(
                lambda u: u.active and not u.share and order.company_id in u.company_ids
            )
            - order.create_uid
            - order.user_id
            - exclude
            - self.env.ref("base.user_root")
        )
        if not candidates:
            return order.user_id
        load = dict(
            self._read_group(
                [("state", "=", "open"), ("user_id", "in", candidates.ids)],
                ["user_id"],
                ["__count"],
            )
        )
        return candidates.sorted(lambda u: (load.get(u, 0), u.id))[:1]

    @api.model
    def _get_deadline(self, order, rule, tier=None):
        """Deadline of a new exception or level (of ``tier`` when given)."""
        hours = (
            tier.deadline_hours
            if tier
            else rule.deadline_hours
            if rule
            else order.company_id.oms_exception_deadline_hours
        )
        return fields.Datetime.now() + timedelta(hours=hours)

    def _schedule_owner_activity(self):
        """A to-do on the order for the owner, due at the deadline."""
        for exception in self.filtered("user_id"):
            # in the language of the owner who reads it (as Odoo notifies it)
            read = exception._for_reader(exception.user_id)
            exception.activity_id = exception.order_id.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.to_date(
                    exception.deadline or fields.Datetime.now()
                ),
                summary=read.env._(
                    "Order exception: %(message)s", message=read.message[:80]
                ),
                note=read.message,
                user_id=exception.user_id.id,
            )

    @api.model
    def _post_on_order(self, order, source, **args):
        """Post a chatter line on ``order`` that reads in the language of each
        reader (``mail.message.oms_body_source``); its body, for e-mails and
        search, in the poster's.

        :param order: sale.order
        :param source: an ``_lt()`` text; ``args`` its arguments, as
            ``tools/reader_text.store`` takes them
        :rtype: mail.message
        """
        stored = reader_text.store(source, **args)
        message = order.message_post(
            body=reader_text.render(stored, self.env.lang, self.env)
        )
        # sudo: the OMS writes the line's stored text once, right after posting
        message.sudo().oms_body_source = stored
        return message

    def _for_reader(self, user):
        """The exceptions in the language of ``user`` (who reads what is made
        of them: an activity, a notice), else of the current user.

        :rtype: oms.exception
        """
        return self.with_context(lang=user.lang or self.env.lang)

    # ------------------------------------------------------------------
    # Resolutions
    # ------------------------------------------------------------------
    def _check_can_act(self):
        """Whether the user may act on these exceptions: an order reviewer, in
        the approver group of each exception's current level (or the delegate
        of a member, see ``_get_acting_for``), who is neither the order's
        creator nor its salesperson (four eyes), nor approved an earlier level
        of it, on open exceptions.

        :raise AccessError: not a reviewer, or outside the approver group
        :raise UserError: own order, earlier level approved, or exception not
            open
        """
        if not self.env.user.has_group("oms_core.group_oms_reviewer"):
            raise AccessError(
                self.env._("Only order reviewers can act on order exceptions.")
            )
        if self.filtered(lambda e: e.state != "open"):
            raise UserError(self.env._("This exception is already closed."))
        for exception in self:
            exception._get_acting_for()
        self.order_id._oms_check_four_eyes()

    def _get_previous_approvers(self):
        """Who approved the earlier levels, themselves or through a delegate.

        :rtype: res.users
        """
        self.ensure_one()
        approvals = self.sudo().approval_ids.filtered(lambda a: not a.is_superseded)
        return (approvals.user_id | approvals.on_behalf_id).with_env(self.env)

    def _get_acting_for(self):
        """For whom the user acts on the exception's current level: nobody (an
        empty recordset) when he is in its approver group himself, else the
        absent member of the group whose running delegation names him
        (``res.users._oms_get_delegators``; the owner first). One step only:
        the delegate acts with the groups of the user he replaces, never with
        those of the users who delegated to that user. Nobody approves two
        levels of an exception, nor acts for someone who did, and the user
        replaced is, like the user, neither the order's creator nor its
        salesperson.

        :rtype: res.users
        :raise AccessError: neither in the group nor the delegate of a member
        :raise UserError: the user, or every member he replaces, approved an
            earlier level or sells or created the order
        """
        self.ensure_one()
        user = self.env.user
        group = self.approver_group_id
        previous = self._get_previous_approvers()
        if user in previous:
            raise UserError(
                self.env._(
                    "You approved an earlier level of this exception: another "
                    "person approves level %(level)s.",
                    level=self.level,
                )
            )
        if group in user.groups_id:
            return self.env["res.users"]
        order = self.order_id
        delegators = user._oms_get_delegators().filtered(lambda u: group in u.groups_id)
        if not delegators:
            raise AccessError(
                self.env._(
                    "Only members of %(group)s can act on this exception.",
                    group=group.full_name,
                )
            )
        allowed = delegators - previous - order.create_uid - order.user_id
        if not allowed:
            raise UserError(
                self.env._(
                    "You replace %(users)s, who may not approve this level "
                    "(own order, or an earlier level approved).",
                    users=", ".join(delegators.mapped("name")),
                )
            )
        owner = allowed & self.user_id.sudo()
        return (owner or allowed.sorted("id")[:1]).with_env(self.env)

    def _write_resolution(self, vals):
        """Write resolution fields once the action checked the user
        (``_check_can_act``): superuser mode, as ``write`` refuses them to
        everyone else. ``vals`` never comes from the client."""
        return self.sudo().write(vals)

    def _close(self, resolution, note=None, state="resolved"):
        """Record a human resolution (who, when, note) and count the touch."""
        now = fields.Datetime.now()
        for exception in self:
            exception._write_resolution(
                {
                    "state": state,
                    "resolution": resolution,
                    "resolved_uid": self.env.uid,
                    "resolved_date": now,
                    "note": note or exception.note,
                }
            )
            exception.order_id._oms_touch()
            self._post_on_order(
                exception.order_id,
                _lt("Exception %(message)s: %(resolution)s by %(user)s. %(note)s"),
                message=exception.message_source,
                resolution=reader_text.selection(self._name, "resolution", resolution),
                user=self.env.user.name,
                note=note or "",
            )
        self._close_owner_activities()

    def _oms_resolve_by_system(self):
        """Close exceptions that no longer apply (re-review): resolved by system."""
        if not self:
            return
        # the review clears what no longer fails: a system decision
        self.sudo().write(
            {
                "state": "resolved",
                "resolution": "system",
                "resolved_uid": False,
                "resolved_date": fields.Datetime.now(),
            }
        )
        self._close_owner_activities()

    def _close_owner_activities(self):
        activities = self.activity_id.exists()
        if activities:
            activities.action_feedback(feedback=self.env._("Exception closed."))

    def action_override(self, note):
        """Override these exceptions and re-review their orders.

        Only members of the rule's approver group may override, with a reason,
        and never on an order they created or sell themselves (four eyes, see
        ``_check_can_act``).

        :param str note: the reason, required
        :raise AccessError: outside the approver group
        :raise UserError: no reason, own order, or exception not open
        """
        self._check_can_act()
        if not (note or "").strip():
            raise UserError(
                self.env._("A reason is required to override an exception.")
            )
        last_levels = self._approve_level(note)
        last_levels._close("override", note, state="overridden")
        self.order_id.action_oms_review()
        return True

    def _approve_level(self, note):
        """Record the approval of the current level of each exception and move
        the ones with a level left to it (``_move_to_level``).

        Private: ``_check_can_act`` vouched for the user.

        :param str note: the reason
        :return: the exceptions whose last level is approved now
        :rtype: oms.exception
        """
        last_levels = self.browse()
        Approval = self.env["oms.exception.approval"].sudo()
        for exception in self:
            on_behalf = exception._get_acting_for()
            level = exception.level
            Approval.create(
                {
                    "exception_id": exception.id,
                    "level": level,
                    "tier_id": exception.tier_id.id,
                    "user_id": self.env.uid,
                    "on_behalf_id": on_behalf.id,
                    "note": note,
                }
            )
            next_tier = exception._get_next_tier()
            if on_behalf or next_tier:
                exception._post_approval_trace(level, on_behalf, note)
            if next_tier:
                exception._move_to_level(next_tier)
            else:
                last_levels |= exception
        return last_levels

    def _get_next_tier(self):
        """The level after the current one that the order needs now, if any.

        :rtype: oms.review.rule.tier
        """
        self.ensure_one()
        if not self.tier_id:
            return self.tier_id
        current = (self.tier_id.sequence, self.tier_id.id)
        return (
            self.rule_id.sudo()
            ._oms_get_tiers(self.order_id)
            .filtered(lambda t: (t.sequence, t.id) > current)[:1]
            .with_env(self.env)
        )

    def _post_approval_trace(self, level, on_behalf, note):
        """The chatter line of a level approval: by whom, for whom."""
        self.ensure_one()
        if on_behalf:
            who = reader_text.store(
                _lt("%(user)s for %(absent)s"),
                user=self.env.user.name,
                absent=on_behalf.name,
            )
        else:
            who = self.env.user.name
        return self._post_on_order(
            self.order_id,
            _lt(
                "Level %(level)s (%(tier)s) of exception %(message)s approved by "
                "%(who)s: %(note)s"
            ),
            level=level,
            tier=self.tier_id.name or self.approver_group_id.full_name,
            message=self.message_source,
            who=who,
            note=note,
        )

    def _restart_levels(self):
        """Start the levels again on open exceptions whose failing facts
        changed (new message) after a level was approved: those approvals no
        longer cover the order; they stay recorded, superseded.

        Private: called by the review (``sale.order._oms_sync_exceptions``).
        """
        for exception in self.filtered(lambda e: e.state == "open"):
            approvals = exception.sudo().approval_ids.filtered(
                lambda a: not a.is_superseded
            )
            if not approvals:
                continue
            # the review's decision, whoever triggered it
            approvals.sudo().is_superseded = True
            order = exception.order_id
            tier = exception.rule_id.sudo()._oms_get_tiers(order)[:1]
            exception._close_owner_activities()
            exception.sudo().write(
                {
                    "tier_id": tier.id,
                    "is_escalated": False,
                    "user_id": self._get_owner(order, exception.rule_id, tier).id,
                    "deadline": self._get_deadline(order, exception.rule_id, tier),
                }
            )
            exception._schedule_owner_activity()
            self._post_on_order(
                order,
                _lt(
                    "Exception %(message)s changed after approval: its approval "
                    "levels start again."
                ),
                message=exception.message_source,
            )

    def _move_to_level(self, tier):
        """Move the still open exception to ``tier``: its owner (not one of the
        approvers so far) and its deadline, with a new to-do.

        Private: called by ``_approve_level`` once the level is approved.
        """
        self.ensure_one()
        order = self.order_id
        self._close_owner_activities()
        self._write_resolution(
            {
                "tier_id": tier.id,
                "is_escalated": False,
                "user_id": self._get_owner(
                    order, self.rule_id, tier, self._get_previous_approvers()
                ).id,
                "deadline": self._get_deadline(order, self.rule_id, tier),
            }
        )
        self._schedule_owner_activity()
        order._oms_touch()
        self._post_on_order(
            order,
            _lt(
                "Exception %(message)s now awaits level %(level)s (%(tier)s), "
                "owner %(owner)s."
            ),
            message=self.message_source,
            level=self.level,
            tier=tier.name,
            owner=self.user_id.name or "",
        )

    def action_wait_stock(self):
        """Keep the stock exception open; the order is released when stock arrives."""
        self._check_can_act()
        if self.filtered(lambda e: e.code != "stock"):
            raise UserError(self.env._("Only stock exceptions can wait for stock."))
        for exception in self:
            exception._write_resolution(
                {"resolution": "wait_stock", "resolved_uid": self.env.uid}
            )
            exception.order_id._oms_touch()
            self._post_on_order(
                exception.order_id,
                _lt("Waiting for stock: %(message)s"),
                message=exception.message_source,
            )
        return True

    def action_ship_available(self):
        """Ship what is available now and back-order the rest."""
        self._check_can_act()
        if self.filtered(lambda e: e.code != "stock"):
            raise UserError(self.env._("Only stock exceptions can be back-ordered."))
        orders = self.order_id
        # sudo: the decision is recorded by this action only (sale.order.write)
        orders.sudo().write(
            {"oms_backorder_accepted": True, "picking_policy": "direct"}
        )
        self._close("ship_available")
        orders.action_oms_review()
        return True

    def action_contact_customer(self):
        """Schedule a call for the owner and open the e-mail composer."""
        self.ensure_one()
        self._check_can_act()
        order = self.order_id
        caller = self.user_id or self.env.user
        read = self._for_reader(caller)
        order.activity_schedule(
            "mail.mail_activity_data_call",
            summary=read.env._(
                "Contact the customer about: %(message)s", message=read.message[:80]
            ),
            note=read.message,
            user_id=caller.id,
        )
        self._write_resolution({"resolution": "contact", "resolved_uid": self.env.uid})
        order._oms_touch()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": "sale.order",
                "default_res_ids": order.ids,
                "default_composition_mode": "comment",
                "default_partner_ids": order.partner_id.ids,
                "default_subject": self.env._(
                    "About your order %(order)s", order=order.name
                ),
                "default_body": self.message,
            },
        }

    def action_open_substitute(self):
        """Open the wizard substituting a product of the order (stock
        exceptions: another product ships instead)."""
        self.ensure_one()
        self._check_can_substitute()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Substitute a Product"),
            "res_model": "oms.exception.substitute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_id": self.id},
        }

    def _check_can_substitute(self):
        """``_check_can_act``, on stock exceptions only: a product short in
        stock is what another product replaces.

        :raise UserError: not a stock exception
        """
        self._check_can_act()
        if self.filtered(lambda e: e.code != "stock"):
            raise UserError(
                self.env._("Only stock exceptions are solved by a substitute.")
            )

    def action_open_cancel(self):
        """Open the wizard cancelling the order with a reason."""
        self.ensure_one()
        self._check_can_act()
        return self.order_id.action_oms_open_cancel()

    def action_open_override(self):
        """Open the wizard asking the override reason: of one exception (its
        form), or of several selected in the hold queue (one reason for all)."""
        self._check_can_act()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Exception"),
            "res_model": "oms.exception.override",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_exception_ids": self.ids,
                # from an exception's form: go on with the next one
                "default_is_open_next": bool(self.env.context.get("oms_open_next")),
            },
        }

    def _get_next_in_queue(self):
        """Where a reviewer goes on after acting on these exceptions: the
        first open exception of the hold queue (in its order: deadline) that
        is not one of these.

        :rtype: oms.exception
        """
        return self.search(
            [("state", "=", "open"), ("id", "not in", self.ids)], limit=1
        )

    def _get_form_action(self):
        """The action opening the form of this exception.

        :rtype: dict
        """
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "current",
        }

    def action_assign_to_me(self):
        """Hold queue, several at once: the current user owns the open
        exceptions selected (a reviewer taking work from the queue)."""
        self.check_access("write")
        self.filtered(lambda e: e.state == "open").user_id = self.env.user
        return True

    def action_review_orders(self):
        """Hold queue, several at once: review the orders of the selected
        exceptions again now (after a fix elsewhere, e.g. stock received)."""
        self.check_access("write")
        self.order_id.action_oms_review()
        return self._get_outcome_action(self.env._("Reviewed again"))

    def _get_outcome_action(self, title):
        """A notification telling, per order of the exceptions, what became of
        it (confirmed, approved, still held and by what), then the queue again.

        :rtype: dict
        """
        lines, held = [], False
        for order in self.order_id:
            blocking = order.oms_exception_ids.filtered(
                lambda e: e.state == "open" and e.severity == "block"
            )
            held = held or bool(blocking)
            if blocking:
                lines.append(
                    self.env._(
                        "%(order)s: still on hold (%(reasons)s)",
                        order=order.name,
                        reasons=", ".join(
                            f"{e.rule_id.name}: {e.message}" if e.rule_id else e.message
                            for e in blocking
                        ),
                    )
                )
            elif order.state == "sale":
                lines.append(self.env._("%(order)s: confirmed", order=order.name))
            else:
                lines.append(
                    self.env._("%(order)s: approved, not confirmed", order=order.name)
                )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": "\n".join(lines),
                "type": "warning" if held else "success",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_open_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "view_mode": "form",
            "res_id": self.order_id.id,
        }

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------
    @api.model
    def _cron_escalate_overdue(self):
        """Escalate overdue open exceptions to the OMS managers (once each)."""
        overdue = self.search(
            [
                ("is_overdue", "=", True),
                ("is_escalated", "=", False),
                ("resolution", "!=", "wait_stock"),
            ]
        )
        managers = self.env.ref("oms_core.group_oms_manager").users.filtered(
            lambda u: u.active and not u.share
        ) - self.env.ref("base.user_root")
        for exception in overdue:
            manager = managers.filtered(
                lambda u, e=exception: e.company_id in u.company_ids
            )[:1]
            if manager:
                read = exception._for_reader(manager)
                exception.order_id.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=read.env._(
                        "Overdue order exception: %(message)s",
                        message=read.message[:80],
                    ),
                    note=read.message,
                    user_id=manager.id,
                )
            self._post_on_order(
                exception.order_id,
                _lt("Exception overdue since %(deadline)s, escalated: %(message)s"),
                deadline=exception.deadline,
                message=exception.message_source,
            )
        # escalation is the scheduler's decision
        overdue.sudo().is_escalated = True
        return True
