from odoo import fields, models


class OmsExceptionOverride(models.TransientModel):
    """Ask the reason of an override."""

    _name = "oms.exception.override"
    _description = "Override Order Exception"

    exception_ids = fields.Many2many(
        "oms.exception", string="Exceptions", required=True
    )
    note = fields.Text(string="Reason", required=True)

    def action_confirm(self):
        """Override, then say what became of each order (confirmed, or still
        held by another exception)."""
        self.ensure_one()
        self.exception_ids.action_override(self.note)
        return self.exception_ids._get_outcome_action(self.env._("Overridden"))
