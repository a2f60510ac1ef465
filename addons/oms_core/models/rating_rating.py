from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RatingRating(models.Model):
    """Odoo's rating of a record by a customer, with the Net Promoter Score
    question that the OMS asks after a delivery next to the stars."""

    _inherit = "rating.rating"

    oms_nps_score = fields.Integer(
        string="Likelihood to Recommend (0-10)",
        help="Answer to 'How likely are you to recommend us?', from 0 to 10. "
        "Promoters answer 9 or 10, detractors 0 to 6.",
    )
    oms_nps_answered = fields.Boolean(string="NPS Answered", readonly=True)

    @api.constrains("oms_nps_score")
    def _check_oms_nps_score(self):
        for rating in self:
            if not 0 <= rating.oms_nps_score <= 10:
                raise ValidationError(
                    self.env._("The recommendation score is a number from 0 to 10.")
                )
