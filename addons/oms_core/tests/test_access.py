from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestAccess(OmsCommon):
    """Access rights of each OMS group on the new models."""

    def test_only_managers_edit_rules(self):
        """Users read rules; only managers create or change them."""
        rule = self._create_rule("stock")
        self.assertTrue(rule.with_user(self.salesman).name)
        for user in (self.salesman, self.reviewer):
            with self.assertRaises(AccessError):
                rule.with_user(user).write({"severity": "warn"})
            with self.assertRaises(AccessError):
                self.env["oms.priority.rule"].with_user(user).create(
                    {"name": "x", "points": 1}
                )
        rule.with_user(self.manager).write({"severity": "warn"})
        self.env["oms.priority.rule"].with_user(self.manager).create(
            {"name": "x", "points": 1}
        )

    def test_salesman_sees_own_order_exceptions_only(self):
        """Own-documents rule: salespeople see the exceptions of their orders."""
        self._create_rule("amount_threshold", amount_limit=1.0)
        own = self._create_order(user=self.salesman)
        other = self._create_order(user_id=self.reviewer.id)
        own.action_oms_review()
        other.action_oms_review()
        Exception = self.env["oms.exception"]
        visible = Exception.with_user(self.salesman).search([])
        self.assertIn(own.oms_exception_ids, visible)
        self.assertNotIn(other.oms_exception_ids, visible)
        self.assertFalse(
            self.env["sale.order"]
            .with_user(self.salesman)
            .search([("id", "=", other.id)])
        )
        self.assertEqual(
            Exception.with_user(self.reviewer).search(
                [("id", "in", (own | other).oms_exception_ids.ids)]
            ),
            (own | other).oms_exception_ids,
        )

    def test_salesman_review_runs_with_restricted_rights(self):
        """A salesperson's review still sees other salespeople's duplicates."""
        self._create_rule("duplicate")
        self._create_order(qty=2, user_id=self.reviewer.id)
        mine = self._create_order(qty=2, user=self.salesman)
        mine.with_user(self.salesman).action_oms_review()
        self.assertEqual(mine.oms_exception_ids.code, "duplicate")

    def test_salesman_cannot_write_exceptions(self):
        """Exceptions are read-only for users, writable by reviewers."""
        self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order(user=self.salesman)
        order.action_oms_review()
        with self.assertRaises(AccessError):
            order.oms_exception_ids.with_user(self.salesman).write({"note": "x"})
        order.oms_exception_ids.with_user(self.reviewer).write({"note": "x"})

    def test_other_company_rules_and_exceptions_are_invisible(self):
        """Rules and exceptions of a company not allowed are invisible."""
        other_company = self.env["res.company"].create({"name": "OMS Other"})
        self.manager.company_ids = [(4, other_company.id)]
        rule = self._create_rule("stock", company_id=other_company.id)
        shared = self._create_rule("stock", active=False)
        Rule = (
            self.env["oms.review.rule"]
            .with_user(self.manager)
            .with_context(active_test=False)
        )
        main_only = Rule.with_context(allowed_company_ids=[self.company.id])
        both = Rule.with_context(
            allowed_company_ids=[self.company.id, other_company.id]
        )
        self.assertEqual(main_only.search([("id", "in", (rule | shared).ids)]), shared)
        self.assertEqual(
            both.search([("id", "in", (rule | shared).ids)]), rule | shared
        )
        self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order()
        order.action_oms_review()
        Exception = self.env["oms.exception"].with_user(self.manager)
        ids = order.oms_exception_ids.ids
        self.assertTrue(
            Exception.with_context(allowed_company_ids=[self.company.id]).search(
                [("id", "in", ids)]
            )
        )
        self.assertFalse(
            Exception.with_context(allowed_company_ids=[other_company.id]).search(
                [("id", "in", ids)]
            )
        )
