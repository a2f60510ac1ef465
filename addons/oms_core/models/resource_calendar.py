from odoo import models


class ResourceCalendar(models.Model):
    """Its time zone make the shipping calendar of the promise, kept in the
    registry's cache (``stock.warehouse._oms_get_calendar_data``): a change
    clears it."""

    _inherit = "resource.calendar"

    def write(self, vals):
        if {"tz"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
