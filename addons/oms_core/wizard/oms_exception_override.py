from odoo import fields, models


class OmsExceptionOverride(models.TransientModel):
    """Ask the reason of an override."""

    _name = "oms.exception.override"
    _description = "Override Order Exception"

    exception_ids = fields.Many2many(
        "oms.exception", string="Exceptions", required=True
    )
    note = fields.Text(string="Reason", required=True)
    is_open_next = fields.Boolean(
        "Open the Next Exception",
        help="After the override, open the next open exception of the hold "
        "queue (overriding from an exception's form).",
    )

    def action_confirm(self):
        """Override, then say what became of each order (confirmed, or still
        held by another exception) and, from an exception's form, open the
        next exception of the queue."""
        self.ensure_one()
        self.exception_ids.action_override(self.note)
        action = self.exception_ids._get_outcome_action(self.env._("Overridden"))
        if self.is_open_next:
            following = self.exception_ids._get_next_in_queue()
            if following:
                action["params"]["next"] = following._get_form_action()
        return action
