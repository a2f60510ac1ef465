from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import OmsTiersCommon


@tagged("post_install", "-at_install", "oms")
class TestReviewTiers(OmsTiersCommon):
    """Approvals in tiers: levels in sequence, each by another person."""

    def test_two_levels_reviewer_then_director(self):
        """An order of 2,000: a reviewer approves, then a director; the order is
        confirmed only after the second level, every approval recorded."""
        exception = self._held(20)
        self.assertEqual(exception.tier_id, self.level_1)
        self.assertEqual(exception.level, 1)
        self.assertIn(self.reviewer_group, exception.user_id.groups_id)
        self.assertNotEqual(exception.user_id, self.salesman)
        self._approve(exception, self.reviewer, "customer known")
        order = exception.order_id
        self.assertRecordValues(
            exception, [{"state": "open", "tier_id": self.level_2.id, "level": 2}]
        )
        self.assertIn(exception.user_id, self.director | self.director_2)
        self.assertAlmostEqual(
            exception.deadline,
            fields.Datetime.now() + timedelta(hours=8),
            delta=timedelta(minutes=5),
        )
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_stage, "on_hold")
        with self.assertRaises(AccessError):
            self._approve(exception, self.reviewer_2)
        self._approve(exception, self.director, "margin fine")
        self.assertRecordValues(
            exception, [{"state": "overridden", "resolved_uid": self.director.id}]
        )
        self.assertEqual(order.state, "sale")
        self.assertRecordValues(
            exception.approval_ids,
            [
                {
                    "level": 1,
                    "tier_id": self.level_1.id,
                    "user_id": self.reviewer.id,
                    "on_behalf_id": False,
                    "note": "customer known",
                },
                {
                    "level": 2,
                    "tier_id": self.level_2.id,
                    "user_id": self.director.id,
                    "on_behalf_id": False,
                    "note": "margin fine",
                },
            ],
        )
        self.assertEqual(order.oms_touch_count, 2)

    def test_small_order_needs_one_level(self):
        """An order of 500: the reviewer's approval confirms it."""
        exception = self._held(5)
        self.assertEqual(exception.tier_id, self.level_1)
        self._approve(exception, self.reviewer)
        self.assertEqual(exception.state, "overridden")
        self.assertEqual(exception.order_id.state, "sale")
        self.assertEqual(exception.approval_ids.user_id, self.reviewer)

    def test_same_person_cannot_approve_two_levels(self):
        """A director approves level 1: level 2 needs the other director."""
        exception = self._held(20)
        self._approve(exception, self.director)
        self.assertEqual(exception.tier_id, self.level_2)
        self.assertEqual(exception.user_id, self.director_2)
        with self.assertRaisesRegex(UserError, "earlier level"):
            self._approve(exception, self.director)
        self.assertEqual(exception.state, "open")
        self._approve(exception, self.director_2)
        self.assertEqual(exception.state, "overridden")

    def test_salesperson_and_creator_refused_at_each_level(self):
        """A director sells an order a reviewer created: neither approves a
        level; others do."""
        order = self._create_order(
            qty=20, user=self.reviewer_2, user_id=self.director.id
        )
        order.action_oms_review()
        exception = order.oms_exception_ids.with_env(self.env)
        self.assertNotIn(exception.user_id, self.reviewer_2 | self.director)
        for user in (self.reviewer_2, self.director):
            with self.assertRaises(UserError):
                self._approve(exception, user)
        self._approve(exception, self.reviewer)
        self.assertEqual(exception.user_id, self.director_2)
        with self.assertRaises(AccessError):
            self._approve(exception, self.reviewer_2)
        with self.assertRaises(UserError):
            self._approve(exception, self.director)
        self._approve(exception, self.director_2)
        self.assertEqual(order.state, "sale")

    def test_discount_tier_needs_a_manager(self):
        """Discounts above 10 % need a reviewer; above 30 % also a manager."""
        self.rule.active = False
        manager_2 = self._create_user(
            "oms_tier_manager_2", "oms_core.group_oms_manager"
        )
        self._create_rule(
            "discount_limit",
            percent_limit=10.0,
            tier_ids=[
                Command.create({"name": "Reviewer", "sequence": 1}),
                Command.create(
                    {
                        "name": "Manager",
                        "sequence": 2,
                        "min_discount": 30.0,
                        "approver_group_id": self.env.ref(
                            "oms_core.group_oms_manager"
                        ).id,
                    }
                ),
            ],
        )
        orders = self._create_order(user=self.salesman) | self._create_order(
            user=self.salesman
        )
        orders[0].order_line.discount = 20.0
        orders[1].order_line.discount = 40.0
        orders.action_oms_review()
        twenty, forty = (o.oms_exception_ids.with_env(self.env) for o in orders)
        self._approve(twenty, self.reviewer)
        self.assertEqual(orders[0].state, "sale")
        self._approve(forty, self.reviewer)
        self.assertRecordValues(forty, [{"state": "open", "level": 2}])
        with self.assertRaises(AccessError):
            self._approve(forty, self.reviewer_2)
        self._approve(forty, manager_2)
        self.assertEqual(orders[1].state, "sale")

    def test_rule_without_levels_keeps_one_approval(self):
        """A rule without levels: one approval by its group, recorded."""
        self.rule.tier_ids.unlink()
        exception = self._held(20)
        self.assertFalse(exception.tier_id)
        self._approve(exception, self.reviewer)
        self.assertEqual(exception.state, "overridden")
        self.assertRecordValues(
            exception.approval_ids,
            [{"level": 1, "tier_id": False, "user_id": self.reviewer.id}],
        )


@tagged("post_install", "-at_install", "oms")
class TestReviewDelegation(OmsTiersCommon):
    """A director away names a delegate until a date: the delegate owns and
    approves the director's levels meanwhile, and only meanwhile."""

    def _delegate(self, user, delegate, days=1):
        user.with_user(user).write(
            {
                "oms_delegate_id": delegate.id,
                "oms_delegate_until": fields.Date.today() + timedelta(days=days),
            }
        )

    def test_delegate_owns_and_approves_for_the_absent_director(self):
        """The director delegates to a reviewer: the level is the reviewer's,
        approved by him for the director, traced so."""
        self._delegate(self.director, self.reviewer_2)
        self._delegate(self.director_2, self.reviewer_2)
        exception = self._held(20)
        self._approve(exception, self.reviewer)
        self.assertEqual(exception.tier_id, self.level_2)
        self.assertEqual(exception.user_id, self.reviewer_2)
        self._approve(exception, self.reviewer_2, "director away, margin fine")
        self.assertEqual(exception.state, "overridden")
        approval = exception.approval_ids.filtered(lambda a: a.level == 2)
        self.assertRecordValues(
            approval,
            [{"user_id": self.reviewer_2.id, "on_behalf_id": self.director.id}],
        )
        traces = exception.order_id.message_ids.mapped("body")
        self.assertTrue(
            any(
                f"approved by {self.reviewer_2.name} for {self.director.name}" in t
                for t in traces
            ),
            traces,
        )

    def test_delegate_refused_after_until(self):
        """The delegation ended yesterday: the reviewer cannot approve for the
        director any more."""
        exception = self._held(20)
        self._approve(exception, self.reviewer)
        self._delegate(self.director, self.reviewer_2, days=-1)
        with self.assertRaises(AccessError):
            self._approve(exception, self.reviewer_2)
        self.assertEqual(exception.state, "open")

    def test_delegation_is_one_step(self):
        """The director delegates to a reviewer who delegates on: the second
        reviewer gets nothing of the director's."""
        self._delegate(self.director, self.reviewer_2)
        self._delegate(self.reviewer_2, self.reviewer_3)
        self._delegate(self.reviewer_3, self.director)
        exception = self._held(20)
        self._approve(exception, self.reviewer)
        with self.assertRaises(AccessError):
            self._approve(exception, self.reviewer_3)
        self.assertEqual(exception.state, "open")

    def test_delegate_cannot_approve_two_levels(self):
        """The delegate approved level 1 himself: not level 2 for the director."""
        self._delegate(self.director, self.reviewer_2)
        self._delegate(self.director_2, self.reviewer_2)
        exception = self._held(20)
        self._approve(exception, self.reviewer_2)
        with self.assertRaisesRegex(UserError, "earlier level"):
            self._approve(exception, self.reviewer_2)
        self.assertNotEqual(exception.user_id, self.reviewer_2)

    def test_delegate_not_for_own_order(self):
        """The delegate sells the order: he cannot approve it for the director."""
        self._delegate(self.director, self.reviewer_2)
        order = self._create_order(
            qty=20, user=self.reviewer_3, user_id=self.reviewer_2.id
        )
        order.action_oms_review()
        exception = order.oms_exception_ids.with_env(self.env)
        self._approve(exception, self.reviewer)
        self.assertNotEqual(exception.user_id, self.reviewer_2)
        with self.assertRaises(UserError):
            self._approve(exception, self.reviewer_2)

    def test_delegate_must_be_another_reviewer(self):
        """A director cannot delegate to himself nor to a plain salesperson."""
        for delegate in (self.director, self.salesman):
            with self.assertRaises(ValidationError):
                self._delegate(self.director, delegate)

    def test_only_self_or_manager_sets_delegation(self):
        """A reviewer cannot name himself the director's delegate; a manager can."""
        with self.assertRaises(AccessError):
            self.director.with_user(self.reviewer).write(
                {"oms_delegate_id": self.reviewer.id}
            )
        self.director.with_user(self.manager).write(
            {
                "oms_delegate_id": self.reviewer.id,
                "oms_delegate_until": fields.Date.today(),
            }
        )
        self.assertEqual(self.director._oms_get_delegate(), self.reviewer)
        with self.assertRaises(AccessError):
            self.director.with_user(self.manager).write(
                {"oms_delegate_id": self.reviewer_2.id, "login": "hijacked"}
            )


@tagged("post_install", "-at_install", "oms")
class TestReviewTiersSideDoors(OmsTiersCommon):
    """Levels and approvals change only through the override action."""

    def test_plain_write_of_level_and_approvals_refused(self):
        """Reviewer and manager write the level or an approval: refused."""
        exception = self._held(20)
        for user in (self.reviewer, self.manager):
            for vals in (
                {"tier_id": self.level_2.id},
                {
                    "approval_ids": [
                        Command.create(
                            {"level": 1, "user_id": user.id, "note": "forged"}
                        )
                    ]
                },
            ):
                with self.assertRaises(AccessError):
                    exception.with_user(user).write(vals)
            with self.assertRaises(AccessError):
                self.env["oms.exception.approval"].with_user(user).create(
                    {"exception_id": exception.id, "level": 1, "user_id": user.id}
                )
        self._approve(exception, self.reviewer)
        approval = exception.approval_ids
        for vals in ({"user_id": self.director.id}, {"on_behalf_id": self.director.id}):
            with self.assertRaises(AccessError):
                approval.with_user(self.manager).write(vals)
        with self.assertRaises(AccessError):
            approval.with_user(self.manager).unlink()
        self.assertRecordValues(
            exception, [{"state": "open", "tier_id": self.level_2.id}]
        )

    def test_crafted_context_grants_no_level(self):
        """A reviewer overrides the director's level with a crafted context:
        refused, the order stays held."""
        exception = self._held(20)
        self._approve(exception, self.reviewer)
        crafted = exception.with_user(self.reviewer_2).with_context(
            oms_on_behalf_id=self.director.id,
            default_on_behalf_id=self.director.id,
            oms_skip_review=True,
            oms_approver_group_id=self.reviewer_group.id,
        )
        with self.assertRaises(AccessError):
            crafted.action_override("forged")
        self.assertRecordValues(
            exception, [{"state": "open", "tier_id": self.level_2.id}]
        )
        self.assertEqual(exception.order_id.state, "draft")


@tagged("post_install", "-at_install", "oms")
class TestReviewTiersRestart(OmsTiersCommon):
    """Approvals cover the facts they saw: a change starts the levels again."""

    def test_change_after_first_level_starts_levels_again(self):
        """Level 1 approved at 2,000, the order grows to 3,000: back to level 1,
        the earlier approval kept as superseded."""
        exception = self._held(20)
        self._approve(exception, self.reviewer)
        self.assertEqual(exception.tier_id, self.level_2)
        order = exception.order_id
        order.with_user(self.salesman).order_line.product_uom_qty = 30
        order.with_user(self.salesman).action_oms_review()
        exception.invalidate_recordset()
        self.assertRecordValues(
            exception, [{"state": "open", "tier_id": self.level_1.id, "level": 1}]
        )
        self.assertTrue(exception.approval_ids.is_superseded)
        self._approve(exception, self.reviewer, "new amount checked")
        self._approve(exception, self.director)
        self.assertEqual(order.state, "sale")
        self.assertEqual(
            exception.approval_ids.mapped("is_superseded"), [True, False, False]
        )

    def test_review_in_another_language_keeps_levels(self):
        """Level 1 approved by a reviewer working in French: the re-review in
        French words the same facts otherwise, the level stays approved."""
        self.env["res.lang"]._activate_lang("fr_FR")
        exception = self._held(20)
        exception.with_user(self.reviewer).with_context(lang="fr_FR").action_override(
            "vu"
        )
        exception.invalidate_recordset()
        self.assertRecordValues(
            exception, [{"state": "open", "tier_id": self.level_2.id, "level": 2}]
        )
        self.assertFalse(exception.approval_ids.is_superseded)
