from odoo import api, fields, models
from odoo.exceptions import ValidationError

OMS_DELEGATION_FIELDS = ["oms_delegate_id", "oms_delegate_until"]


class ResUsers(models.Model):
    """A delegate for order approvals while the user is away (Odoo Community
    has no out-of-office).

    While the delegation runs (until its date, included), the exceptions and
    approval levels the user would own go to the delegate, who may approve for
    the user the levels of the user's approver groups; the trace says "by the
    delegate for the user". Delegation is one step only: a delegate never acts
    for the users who delegated to the user he replaces, so a chain or a loop
    of delegations grants nobody anything more. The delegate must be an order
    reviewer himself and is never the user. The user sets it in his
    preferences; an OMS manager may set it for anyone (managers already choose
    the approver groups of the rules).
    """

    _inherit = "res.users"

    oms_delegate_id = fields.Many2one(
        "res.users",
        string="Approvals Delegate",
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref("oms_core.group_oms_reviewer").ids),
        ],
        help="While you are away, this order reviewer owns and approves your "
        "order exception levels for you.",
    )
    oms_delegate_until = fields.Date(
        string="Delegate Until",
        help="Last day of the delegation (included); empty: no delegation.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + OMS_DELEGATION_FIELDS

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + OMS_DELEGATION_FIELDS

    @api.constrains("oms_delegate_id")
    def _check_oms_delegate_id(self):
        reviewers = self.env.ref("oms_core.group_oms_reviewer")
        for user in self.filtered("oms_delegate_id"):
            delegate = user.oms_delegate_id
            if delegate == user:
                raise ValidationError(
                    self.env._("You cannot delegate your approvals to yourself.")
                )
            if delegate.share or reviewers not in delegate.groups_id:
                raise ValidationError(
                    self.env._(
                        "%(user)s is not an order reviewer: approvals are "
                        "delegated to order reviewers only.",
                        user=delegate.name,
                    )
                )

    def write(self, vals):
        """An OMS manager sets the approvals delegate of another user (someone
        away without having set it): these two fields only, which give nobody
        more than the manager may already configure on the rules."""
        if (
            vals
            and set(vals) <= set(OMS_DELEGATION_FIELDS)
            and not self.env.su
            and self != self.env.user
            and self.env.user.has_group("oms_core.group_oms_manager")
        ):
            # sudo: the delegation fields only, for an OMS manager
            return super(ResUsers, self.sudo()).write(vals)
        return super().write(vals)

    def _oms_get_delegate(self):
        """The running delegate of the user, if any.

        :rtype: res.users
        """
        self.ensure_one()
        # delegation is read for whoever asks (owner assignment, checks)
        user = self.sudo()
        if (
            user.oms_delegate_id
            and user.oms_delegate_until
            and user.oms_delegate_until >= fields.Date.context_today(self)
        ):
            return user.oms_delegate_id
        return self.browse()

    def _oms_get_delegators(self):
        """The users the user replaces now (their running delegation names him).

        :rtype: res.users
        """
        self.ensure_one()
        # delegation is read for whoever asks (owner assignment, checks)
        return (
            self.sudo()
            .search(
                [
                    ("oms_delegate_id", "=", self.id),
                    ("oms_delegate_until", ">=", fields.Date.context_today(self)),
                ]
            )
            .filtered(lambda u: u._oms_get_delegate() == self)
        )
