from odoo import api, models, tools


class AccountAnalyticDistributionModel(models.Model):
    """Skip the lookup of analytic distribution models while none exists.

    Odoo looks for applicable models once or twice per sales order line (and per
    journal item), with one search each time. Most companies define no model at
    all; then nothing can apply and the search is skipped. As soon as one model
    exists, Odoo's lookup runs unchanged.
    """

    _inherit = "account.analytic.distribution.model"

    @api.model
    def _get_applicable_models(self, vals):
        if not self._oms_has_models():
            return self.browse()
        return super()._get_applicable_models(vals)

    @api.model
    @tools.ormcache()
    def _oms_has_models(self):
        # sudo: whether any model exists in any company; when one does, the
        # lookup itself (super) runs with the user's rights
        return bool(self.sudo().search_count([], limit=1))

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _oms_has_models
        return super().create(vals_list)

    def unlink(self):
        self.env.registry.clear_cache()  # _oms_has_models
        return super().unlink()
