from odoo import api, models


class ResourceCalendarAttendance(models.Model):
    """Its working hours make the shipping calendar of the promise, kept in the
    registry's cache (``stock.warehouse._oms_get_calendar_data``): a change
    clears it."""

    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
