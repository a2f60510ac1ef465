from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class OmsReviewRuleTier(models.Model):
    """One approval level of a review rule.

    A rule without levels is approved once, by its own approver group within its
    own deadline. With levels, an exception of the rule is approved level after
    level, in sequence, each by another person: the levels whose condition the
    order meets when its exception is raised or moves on (see
    ``oms.exception.action_override``). A level without condition is always
    needed; with a minimum amount or discount it is needed when the order total
    is above the amount, or a line discount above the discount (either one).
    When no level applies, the rule's approver group decides alone.
    """

    _name = "oms.review.rule.tier"
    _description = "Review Rule Approval Level"
    _order = "rule_id, sequence, id"
    _check_company_auto = True

    rule_id = fields.Many2one(
        "oms.review.rule", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    currency_id = fields.Many2one(related="rule_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    min_amount = fields.Monetary(
        string="Above Amount",
        currency_field="currency_id",
        help="Needed when the order total is above this amount (0: no amount "
        "condition).",
    )
    min_discount = fields.Float(
        string="Above Discount (%)",
        help="Needed when a line discount is above this percentage (0: no "
        "discount condition).",
    )
    approver_group_id = fields.Many2one(
        "res.groups",
        required=True,
        default=lambda self: self.env.ref(
            "oms_core.group_oms_reviewer", raise_if_not_found=False
        ),
        help="Only members of this group (or their delegates) approve this level.",
    )
    deadline_hours = fields.Float(
        string="Deadline (hours)",
        default=24.0,
        help="Time given to the owner of this level to approve it.",
    )

    @api.constrains("min_amount", "min_discount", "deadline_hours")
    def _check_positive_values(self):
        for tier in self:
            if min(tier.min_amount, tier.min_discount, tier.deadline_hours) < 0:
                raise ValidationError(
                    self.env._("Thresholds and deadlines cannot be negative.")
                )

    def _applies_to(self, order):
        """Whether the order needs this level (see the class docstring).

        :rtype: bool
        """
        self.ensure_one()
        if not self.min_amount and not self.min_discount:
            return True
        if self.min_amount:
            threshold = self.currency_id._convert(
                self.min_amount,
                order.currency_id,
                order.company_id,
                fields.Date.today(),
            )
            if (
                float_compare(
                    order.amount_total,
                    threshold,
                    precision_rounding=order.currency_id.rounding,
                )
                > 0
            ):
                return True
        if self.min_discount:
            return any(
                float_compare(line.discount, self.min_discount, precision_digits=2) > 0
                for line in order._oms_get_product_lines()
            )
        return False
