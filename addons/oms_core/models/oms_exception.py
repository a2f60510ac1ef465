from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .oms_review_rule import OMS_CHECK_TYPES, OMS_SEVERITIES

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
    "state",
    "resolution",
    "resolved_uid",
    "resolved_date",
    "is_escalated",
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
    message = fields.Text(required=True)
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

    @api.model_create_multi
    def create(self, vals_list):
        """Only the review creates exceptions already closed (see ``write``)."""
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
            exception.order_id.message_post(
                body=self.env._(
                    "Exception deleted by %(user)s (%(state)s): %(message)s",
                    user=self.env.user.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        exception.state
                    ],
                    message=exception.message,
                )
            )

    def unlink(self):
        """A deleted blocking exception may end the hold of its order."""
        orders = self.order_id
        result = super().unlink()
        orders.exists()._oms_sync_hold_reservation()
        return result

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

    @api.depends("rule_id.approver_group_id")
    def _compute_approver_group_id(self):
        default = self.env.ref("oms_core.group_oms_reviewer")
        for exception in self:
            exception.approver_group_id = exception.rule_id.approver_group_id or default

    # ------------------------------------------------------------------
    # Owner and deadline
    # ------------------------------------------------------------------
    @api.model
    def _get_owner(self, order, rule):
        """Owner of a new exception: the rule's owner, else the least busy member
        of the approver group who may approve the order (neither its creator nor
        its salesperson, see ``_check_four_eyes``), else the salesperson."""
        if rule.user_id:
            return rule.user_id
        group = rule.approver_group_id or self.env.ref("oms_core.group_oms_reviewer")
        candidates = (
            group.users.filtered(
                lambda u: u.active and not u.share and order.company_id in u.company_ids
            )
            - order.create_uid
            - order.user_id
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
    def _get_deadline(self, order, rule):
        hours = (
            rule.deadline_hours
            if rule
            else order.company_id.oms_exception_deadline_hours
        )
        return fields.Datetime.now() + timedelta(hours=hours)

    def _schedule_owner_activity(self):
        """A to-do on the order for the owner, due at the deadline."""
        for exception in self.filtered("user_id"):
            exception.activity_id = exception.order_id.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.to_date(
                    exception.deadline or fields.Datetime.now()
                ),
                summary=self.env._(
                    "Order exception: %(message)s", message=exception.message[:80]
                ),
                note=exception.message,
                user_id=exception.user_id.id,
            )

    # ------------------------------------------------------------------
    # Resolutions
    # ------------------------------------------------------------------
    def _check_can_act(self):
        """Whether the user may act on these exceptions: an order reviewer, in
        the approver group of each exception's rule, who is neither the order's
        creator nor its salesperson (four eyes), on open exceptions.

        :raise AccessError: not a reviewer, or outside the approver group
        :raise UserError: own order, or exception not open
        """
        if not self.env.user.has_group("oms_core.group_oms_reviewer"):
            raise AccessError(
                self.env._("Only order reviewers can act on order exceptions.")
            )
        if self.filtered(lambda e: e.state != "open"):
            raise UserError(self.env._("This exception is already closed."))
        for exception in self:
            if exception.approver_group_id not in self.env.user.groups_id:
                raise AccessError(
                    self.env._(
                        "Only members of %(group)s can act on this exception.",
                        group=exception.approver_group_id.full_name,
                    )
                )
        self.order_id._oms_check_four_eyes()

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
            exception.order_id.message_post(
                body=self.env._(
                    "Exception %(message)s: %(resolution)s by %(user)s. %(note)s",
                    message=exception.message,
                    resolution=dict(
                        self._fields["resolution"]._description_selection(self.env)
                    )[resolution],
                    user=self.env.user.name,
                    note=note or "",
                )
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
        self._close("override", note, state="overridden")
        self.order_id.action_oms_review()
        return True

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
            exception.order_id.message_post(
                body=self.env._(
                    "Waiting for stock: %(message)s", message=exception.message
                )
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
        order.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.env._(
                "Contact the customer about: %(message)s", message=self.message[:80]
            ),
            note=self.message,
            user_id=(self.user_id or self.env.user).id,
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
        """Open the wizard substituting a product of the order."""
        self.ensure_one()
        self._check_can_act()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Substitute a Product"),
            "res_model": "oms.exception.substitute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_id": self.id},
        }

    def action_open_cancel(self):
        """Open the wizard cancelling the order with a reason."""
        self.ensure_one()
        self._check_can_act()
        return self.order_id.action_oms_open_cancel()

    def action_open_override(self):
        """Open the wizard asking the override reason."""
        self.ensure_one()
        self._check_can_act()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Exception"),
            "res_model": "oms.exception.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_ids": self.ids},
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
                exception.order_id.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._(
                        "Overdue order exception: %(message)s",
                        message=exception.message[:80],
                    ),
                    note=exception.message,
                    user_id=manager.id,
                )
            exception.order_id.message_post(
                body=self.env._(
                    "Exception overdue since %(deadline)s, escalated: %(message)s",
                    deadline=exception.deadline,
                    message=exception.message,
                )
            )
        # escalation is the scheduler's decision
        overdue.sudo().is_escalated = True
        return True
