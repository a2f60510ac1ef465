from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.oms_core.models.review_batch import OmsWhatIfBatch

from .common import OmsCommon, OmsTourCase


class WhatIfCommon(OmsCommon):
    """A live rule holding big orders and six orders of the last weeks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.taxes_id = False
        cls.big = cls._create_rule("amount_threshold", amount_limit=1000.0)
        cls.discount = cls._create_rule(
            "discount_limit", percent_limit=10.0, active=False
        )
        now = fields.Datetime.now()

        def order(qty, discount=0.0, age=1):
            order = cls._create_order(
                product=cls.product,
                qty=qty,
                date_order=now - timedelta(days=age),
            )
            order.order_line.discount = discount
            return order

        cls.plain = order(5)  # 500: passes both rules
        cls.large = order(20)  # 2000: held by the live rule only
        cls.discounted = order(3, discount=20)  # 240: held by the new rule only
        cls.both = order(15, discount=15)  # 1275: held by both
        cls.old = order(3, discount=20, age=40)  # outside the 30 days
        cls.cancelled = order(3, discount=20)
        cls.cancelled._oms_cancel(cls.env.ref("oms_core.oms_cancel_reason_customer"))
        cls.recent = cls.plain | cls.large | cls.discounted | cls.both
        # what the review recorded: the live rule holds the large orders
        cls.recent._oms_run_review()


@tagged("post_install", "-at_install", "oms")
class TestReviewWhatIf(WhatIfCommon):
    """A manager replays a rule before activating it."""

    def test_new_rule_counts_computed_by_hand(self):
        """The discount rule over 4 recent orders: holds 2, one of them held
        by no other rule; touchless 2/4 before, 1/4 after."""
        result = self.discount.with_user(self.manager).action_what_if(days=30)
        self.assertEqual(result["orders"], 4)
        self.assertEqual(result["would_hold"], 2)
        self.assertEqual(
            result["held_order_ids"], sorted((self.discounted | self.both).ids)
        )
        self.assertEqual(result["newly_held_order_ids"], self.discounted.ids)
        self.assertEqual(result["touchless_rate_before"], 0.5)
        self.assertEqual(result["touchless_rate_after"], 0.25)
        self.assertEqual(result["released_order_ids"], [])

    def test_changed_rule_releases_orders(self):
        """The live rule raised to 1500: the 1275 order it holds is released,
        the 2000 one still held."""
        self.assertTrue(self.both.oms_has_blocking_exception)
        self.big.amount_limit = 1500.0
        result = self.big.with_user(self.manager).action_what_if()
        self.assertEqual(result["held_order_ids"], self.large.ids)
        self.assertEqual(result["released_order_ids"], self.both.ids)
        self.assertEqual(result["touchless_rate_after"], 0.75)

    def test_what_if_writes_nothing(self):
        """After a what-if with a stock rule: orders, exceptions, chatter and
        promise locks are as before."""
        self._create_rule("stock")
        orders = self.recent | self.old
        self.env.flush_all()

        def snapshot():
            self.env.invalidate_all()
            return (
                orders.read(["write_date", "oms_reviewed_date", "oms_stage", "state"]),
                self.env["oms.exception"].search_read([], ["state", "write_date"]),
                self.env["mail.message"].search_count([]),
                self.env["oms.stock.promise"].search_read([], ["version"]),
            )

        before = snapshot()
        result = self.discount.with_user(self.manager).action_what_if(days=60)
        self.assertEqual(result["orders"], 5)
        self.assertEqual(snapshot(), before)

    def test_set_form_agrees_with_the_review(self):
        """Each check read in one query finds the orders its review check fails."""
        self.customer.street = False
        rules = (
            self.big
            | self.discount
            | self._create_rule("address")
            | self._create_rule("domain", domain="[('amount_total', '<', 600)]")
        )
        window = self.big._get_what_if_domain(30)
        orders = self.env["sale.order"].search(window)
        for rule in rules:
            batch = OmsWhatIfBatch(orders)
            by_order = {
                o.id for o in orders if rule._applies_to(o) and rule._evaluate(o, batch)
            }
            self.assertTrue(by_order, rule.name)
            self.assertEqual(rule._what_if_failing(window), by_order, rule.check_type)

    def test_only_managers_run_it(self):
        """A reviewer cannot replay rules over every order."""
        with self.assertRaises(AccessError):
            self.discount.with_user(self.reviewer).action_what_if()

    def test_reviewer_cannot_open_the_wizard(self):
        """The wizard is for managers: a reviewer cannot create one."""
        with self.assertRaises(AccessError):
            self.env["oms.review.rule.what.if"].with_user(self.reviewer).create(
                {"rule_id": self.discount.id}
            )

    def test_wizard_shows_the_figures(self):
        """The What If button opens a wizard listing the held orders."""
        action = self.discount.with_user(self.manager).action_open_what_if()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({})
        )
        wizard.action_run()
        self.assertRecordValues(
            wizard,
            [
                {
                    "order_count": 4,
                    "would_hold": 2,
                    "touchless_rate_before": 0.5,
                    "touchless_rate_after": 0.25,
                }
            ],
        )
        self.assertEqual(wizard.held_order_ids, self.discounted | self.both)
        held = wizard.action_open_held()
        self.assertEqual(
            self.env["sale.order"].search(held["domain"]), self.discounted | self.both
        )


@tagged("post_install", "-at_install", "oms")
class TestReviewWhatIfRpc(OmsTourCase, WhatIfCommon):
    """An integrator asks the what-if over JSON-RPC."""

    def test_rpc_returns_the_dict(self):
        """``action_what_if`` over RPC answers the contract's dict."""
        self.authenticate(self.manager.login, self.manager.login)
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw/oms.review.rule/action_what_if",
            {
                "model": "oms.review.rule",
                "method": "action_what_if",
                "args": [self.discount.ids],
                "kwargs": {"days": 30},
            },
        )
        self.assertEqual(result["orders"], 4)
        self.assertEqual(result["would_hold"], 2)
        self.assertEqual(
            set(result["held_order_ids"]), set((self.discounted | self.both).ids)
        )
        self.assertEqual(result["touchless_rate_before"], 0.5)
        self.assertEqual(result["touchless_rate_after"], 0.25)
