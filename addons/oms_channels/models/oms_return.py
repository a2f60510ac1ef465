from odoo import models


class OmsReturn(models.Model):
    _inherit = "oms.return"

    def _oms_create_credit_note(self):
        """Hook of oms_core: a return of a refund made on the platform already
        has its credit note (the platform's); none is created twice."""
        self.ensure_one()
        if self.credit_note_id:
            return self.credit_note_id
        return super()._oms_create_credit_note()
