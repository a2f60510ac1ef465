from odoo import api, fields, models


class OmsPriorityRule(models.Model):
    """Points given to the orders matching a domain; their sum is the order's
    priority score, mapped to a level by the company thresholds."""

    _name = "oms.priority.rule"
    _inherit = ["oms.order.domain.mixin"]
    _description = "Order Priority Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to apply the rule in every company."
    )
    points = fields.Integer(required=True, default=10)

    @api.model
    def _get_rules(self, company):
        """The active rules of ``company`` (and of every company)."""
        # sudo: rules are configuration, the score is computed for every user
        return self.sudo().search([("company_id", "in", [False, company.id])])

    @api.model
    def _get_matches(self, order, rules=None):
        """The active rules matching ``order``, which give it their points.

        :param rules: the result of ``_get_rules(order.company_id)`` when known
        :rtype: oms.priority.rule
        """
        if rules is None:
            rules = self._get_rules(order.company_id)
        order = order.sudo()
        return rules.filtered(lambda rule: order.filtered_domain(rule._get_domain()))

    @api.model
    def _get_score(self, order, rules=None):
        """Sum of the points of the active rules matching ``order``.

        :param rules: the result of ``_get_rules(order.company_id)`` when known
        :rtype: int
        """
        return sum(self._get_matches(order, rules).mapped("points"))
