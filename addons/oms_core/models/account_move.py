from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        """A posted payment or credit note frees credit: release the orders
        held for it."""
        posted = super()._post(soft)
        posted._oms_release_money_holds()
        return posted

    def _oms_release_money_holds(self):
        """Review again the orders held for credit or prepayment of the
        customers these entries bring money from (a receivable credited): one
        search for all of them (``sale.order._oms_release_held``)."""
        partners = self.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and line.balance < 0
        ).partner_id.commercial_partner_id
        if partners:
            # the credit read earlier in this transaction is out of date now
            partners.invalidate_recordset(["credit", "credit_to_invoice"])
            self.env["sale.order"]._oms_release_held(
                ["credit_limit", "payment"],
                [("partner_id.commercial_partner_id", "in", partners.ids)],
            )

    @api.model
    def _cron_oms_overdue_activities(self):
        """Schedule a to-do for the accountant on each overdue customer invoice."""
        invoices = self.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", fields.Date.context_today(self)),
            ]
        )
        invoices._oms_schedule_overdue_activity()
        return invoices

    def _oms_get_accountant(self):
        """Hook: who follows up the overdue invoice (an accountant of its company)."""
        self.ensure_one()
        group = self.env.ref("account.group_account_manager")
        accountants = group.users.filtered(
            lambda u: self.company_id in u.company_ids and not u.share and u.active
        )
        return accountants[:1] or self.invoice_user_id or self.env.user

    def _oms_schedule_overdue_activity(self):
        summary = self.env._("Overdue invoice: follow up the payment")
        for invoice in self:
            if invoice.activity_ids.filtered(lambda a: a.summary == summary):
                continue
            invoice.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=self.env._(
                    "%(invoice)s of %(partner)s was due on %(date)s; "
                    "%(amount)s is still open.",
                    invoice=invoice.name,
                    partner=invoice.partner_id.display_name,
                    date=invoice.invoice_date_due,
                    amount=invoice.amount_residual,
                ),
                user_id=invoice._oms_get_accountant().id,
            )
