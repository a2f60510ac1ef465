from ast import literal_eval

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OmsOrderDomainMixin(models.AbstractModel):
    """A rule whose condition is a domain on sales orders (review and priority
    rules): the condition is data, checked when it is saved, never Python."""

    _name = "oms.order.domain.mixin"
    _description = "Rule with a Condition on Orders"

    domain = fields.Char(string="Condition", default="[]", required=True)

    @api.constrains("domain")
    def _check_domain_valid(self):
        for rule in self:
            try:
                self.env["sale.order"].search_count(rule._get_domain(), limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The condition of rule %(rule)s is not a valid domain: "
                        "%(error)s",
                        rule=rule.name,
                        error=error,
                    )
                ) from error

    def _get_domain(self):
        """The condition as a domain on ``sale.order``.

        :rtype: list
        """
        self.ensure_one()
        return literal_eval(self.domain or "[]")
