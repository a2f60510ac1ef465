from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    """The public holidays (leaves without resource) make the shipping
    calendar of the promise, kept in the registry's cache
    (``stock.warehouse._oms_get_calendar_data``): a change of one clears it;
    the time off of people does not."""

    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        if any(not vals.get("resource_id") for vals in vals_list):
            self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "resource_id" in vals or not all(self.mapped("resource_id")):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        if not all(self.mapped("resource_id")):
            self.env.registry.clear_cache()
        return super().unlink()
