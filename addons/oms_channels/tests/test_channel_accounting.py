import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OmsChannelsCommon, read_data


@tagged("post_install", "-at_install", "oms")
class TestChannelAccounting(OmsChannelsCommon):
    """A channel works once its platform keys are pasted: its payment journal
    is proposed, a missing accounting setting waits for the accountant
    instead of blocking the intake, a missing tax is created or mapped from
    the failed order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls._create_user(
            "oms_accountant",
            "account.group_account_manager,oms_core.group_oms_reviewer",
        )
        cls.payment_rule = cls.env.ref("oms_channels.oms_review_rule_channel_payment")
        cls.payment_rule.active = True

    def _paid_shopify_order(self):
        data = json.loads(read_data("order_rest_single_legacy.json"))
        data["order"]["financial_status"] = "paid"
        return json.dumps(data)

    # -- payment journal -----------------------------------------------------
    def test_new_channel_proposes_company_bank_journal(self):
        """A new channel gets the company's bank journal as payment journal."""
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        self.assertTrue(bank)
        form = Form(self.env["oms.channel"].with_user(self.manager))
        form.name = "New shop"
        form.code = "NEWSHOP"
        form.connector = "shopify"
        self.assertEqual(form.payment_journal_id.id, bank.id)
        self.assertEqual(form.save().payment_journal_id, bank)

    def test_paid_order_without_journal_is_imported_for_the_accountant(self):
        """Paid on the channel, no payment journal: the order is imported, the
        accountant gets an exception, closed once the journal is set."""
        self.shopify.payment_journal_id = False
        staged = self._import(self.shopify, self._paid_shopify_order())
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        self.assertFalse(order.oms_payment_ids)
        self.assertAlmostEqual(order.oms_channel_payment_due, 409.94)
        self.assertIn("payment journal", order.oms_channel_payment_error)
        exception = order.oms_exception_ids.filtered(
            lambda e: e.rule_id == self.payment_rule
        )
        self.assertRecordValues(exception, [{"state": "open", "severity": "warn"}])
        self.assertIn("409.94", exception.message)
        self.assertIn(
            exception.user_id, self.env.ref("account.group_account_manager").users
        )
        self.shopify.with_user(self.manager).payment_journal_id = self.journal
        self.assertEqual(order.oms_payment_ids.journal_id, self.journal)
        self.assertAlmostEqual(order.oms_payment_ids.amount, 409.94)
        self.assertFalse(order.oms_channel_payment_due)
        self.assertRecordValues(
            exception, [{"state": "resolved", "resolution": "system"}]
        )

    def test_payment_due_is_not_written_by_users(self):
        """Side door: the waiting payment is the intake's record; a salesperson
        (plain write, RPC) cannot clear it to close the accountant's exception."""
        self.shopify.payment_journal_id = False
        order = self._import(self.shopify, self._paid_shopify_order()).sale_order_id
        order.user_id = self.salesman
        for vals in (
            {"oms_channel_payment_due": 0.0},
            {"oms_channel_payment_error": False},
            {"oms_channel_update_diff": False},
        ):
            with self.assertRaises(AccessError):
                order.with_user(self.salesman).write(vals)
        self.assertAlmostEqual(order.oms_channel_payment_due, 409.94)

    # -- missing tax ---------------------------------------------------------
    def _failed_for_missing_tax(self):
        self.tax_6.active = False
        staged = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        self.assertEqual(staged.state, "failed")
        self.assertIn("No sales tax of 6.00%", staged.error_display)
        self.assertIn("Fix Missing Tax", staged.error_display)
        self.assertRecordValues(
            staged,
            [
                {
                    "missing_tax_rate": 6.0,
                    "missing_tax_included": False,
                    "missing_tax_title": "State Tax",
                }
            ],
        )
        return staged

    def _wizard(self, staged, user):
        action = staged.with_user(user).action_open_tax_fix()
        return Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )

    def test_missing_tax_mapped_on_channel_and_retried(self):
        """A reviewer maps the platform's "State Tax" to an existing tax: the
        channel keeps the mapping and the order is imported with that tax."""
        staged = self._failed_for_missing_tax()
        form = self._wizard(staged, self.reviewer)
        form.mode = "map"
        form.tax_id = self.tax_75
        form.save().action_apply()
        self.assertEqual(staged.state, "imported", staged.error)
        self.assertRecordValues(
            self.shopify.tax_mapping_ids,
            [{"name": "State Tax", "rate": 6.0, "tax_id": self.tax_75.id}],
        )
        lines = staged.sale_order_id.order_line.filtered(
            lambda line: not line.is_delivery
        )
        self.assertEqual(lines.tax_id, self.tax_75)

    def test_missing_tax_created_by_accountant_and_retried(self):
        """An accountant creates the missing tax from the failed order; the
        order is imported with it. A reviewer without accounting rights cannot."""
        staged = self._failed_for_missing_tax()
        form = self._wizard(staged, self.reviewer)
        form.mode = "create"
        with self.assertRaises(AccessError):
            form.save().action_apply()
        self.assertEqual(staged.state, "failed")
        form = self._wizard(staged, self.accountant)
        form.mode = "create"
        self.assertEqual(form.tax_name, "State Tax 6%")
        form.save().action_apply()
        self.assertEqual(staged.state, "imported", staged.error)
        tax = staged.sale_order_id.order_line.filtered(
            lambda line: not line.is_delivery
        ).tax_id
        self.assertRecordValues(
            tax, [{"name": "State Tax 6%", "amount": 6.0, "type_tax_use": "sale"}]
        )

    def test_tax_fix_refused_on_order_not_missing_a_tax(self):
        """Side door: the wizard is refused on an order that misses no tax."""
        staged = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        with self.assertRaises(UserError):
            staged.with_user(self.reviewer).action_open_tax_fix()

    def test_tax_mapping_and_update_log_side_doors(self):
        """Side doors: an OMS user cannot map a tax; nobody writes the update
        log by hand (the intake's own record)."""
        with self.assertRaises(AccessError):
            self.env["oms.channel.tax"].with_user(self.oms_user).create(
                {"channel_id": self.shopify.id, "rate": 6.0, "tax_id": self.tax_6.id}
            )
        staged = self._import(self.shopify, read_data("order_rest_single_legacy.json"))
        log = self.env["oms.channel.order.update"]._log(
            staged, "", "webhook", "ignored", "test"
        )
        for user in (self.reviewer, self.manager):
            with self.assertRaises(AccessError):
                log.with_user(user).write({"state": "applied"})
            with self.assertRaises(AccessError):
                self.env["oms.channel.order.update"].with_user(user).create(
                    {"staged_order_id": staged.id, "state": "applied"}
                )
