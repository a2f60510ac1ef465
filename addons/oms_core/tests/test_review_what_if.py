from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.oms_core.models.oms_review_rule import OMS_CHECK_TYPES
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
class TestWhatIfFastPath(WhatIfCommon):
    """The what-if reads each check over the window at once, or evaluates
    only the orders that may fail it: it finds exactly the orders the
    review's own check fails, order by order, for every check type."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        now = fields.Datetime.now()
        cls.company.account_use_credit_limit = True
        cls.customer.credit_limit = 1000.0
        cls.prepaid = cls.env["account.payment.term"].create({"name": "Prepaid"})
        fresh = cls._create_customer("Fresh Customer", email="fresh@example.com")
        loyal = cls._create_customer(
            "Loyal Customer", street="Rue 2", city="Ghent", email="loyal@example.com"
        )
        cls.extra = cls.env["sale.order"].concat(
            # a repeat of the plain order (same customer, lines and total)
            cls._create_order(qty=5, date_order=now),
            # the same external reference twice
            cls._create_order(qty=1, client_order_ref="EXT-1", date_order=now),
            cls._create_order(qty=2, client_order_ref="EXT-1", date_order=now),
            # sold far below the list price
            cls._create_order(qty=2, date_order=now),
            # prepaid term, not paid
            cls._create_order(qty=1, payment_term_id=cls.prepaid.id, date_order=now),
            # a service only, and a backorder accepted: no stock needed
            cls._create_order(product=cls.service, qty=1, date_order=now),
            cls._create_order(qty=30, oms_backorder_accepted=True, date_order=now),
            # first orders: of a new customer, and of one with one confirmed order
            cls._create_order(customer=fresh, qty=6, date_order=now),
            cls._create_order(customer=loyal, qty=7, date_order=now),
            cls._create_order(customer=loyal, qty=8, date_order=now),
        )
        cls.extra[3].order_line.price_unit = 50.0
        cls.extra[8].action_confirm()
        cls.rules = cls.env["oms.review.rule"].concat(
            cls.big,
            cls.discount,
            cls._create_rule("credit_limit"),
            cls._create_rule("stock"),
            cls._create_rule("address"),
            cls._create_rule("price_floor", percent_limit=20.0),
            cls._create_rule("duplicate", hours_window=24),
            cls._create_rule(
                "payment", payment_term_ids=[Command.set(cls.prepaid.ids)]
            ),
            cls._create_rule("new_customer", amount_limit=550.0),
            cls._create_rule("domain", domain="[('amount_total', '<', 600)]"),
        )

    def test_fast_path_equals_the_review_for_every_check(self):
        """Per check type: some orders fail, some pass, and the what-if
        finds the same ones as the review's check run order by order."""
        self.assertEqual(
            set(self.rules.mapped("check_type")), {key for key, _ in OMS_CHECK_TYPES}
        )
        Order = self.env["sale.order"]
        window = self.big._get_what_if_domain(30)
        for rule in self.rules:
            orders = Order.search(window + rule._get_what_if_applicability_domain())
            by_order = rule._what_if_evaluate(orders)
            self.assertTrue(by_order, rule.check_type)
            self.assertLess(len(by_order), len(orders), rule.check_type)
            self.assertEqual(rule._what_if_failing(window), by_order, rule.check_type)

    def test_stock_and_price_floor_rows_equal_the_review(self):
        """Orders sharing scarce products, confirmed ones partly reserved,
        a pricelist with a category rule, a discount and a second company:
        the price floor and stock checks read as rows hold exactly the
        orders the review's checks hold, order by order."""
        self.env["oms.review.rule"].search([]).active = False
        now = fields.Datetime.now()
        scarce = self._create_storable("OMS Scarce", 100.0)
        reserved = self._create_storable("OMS Reserved", 100.0, qty=2)
        # confirmed before the stock came in: 2 units not reserved
        unreserved = self._create_order(product=scarce, qty=2, date_order=now)
        unreserved.action_confirm()
        self._set_stock(scarce, 6)
        # 3 units reserved: nothing more to promise to it
        covered = self._create_order(product=scarce, qty=3, date_order=now)
        covered.action_confirm()
        # 2 of 3 units reserved, then one more unit in stock
        partly = self._create_order(product=reserved, qty=3, date_order=now)
        partly.action_confirm()
        self._set_stock(reserved, 1)
        # 6 on hand, 5 ordered, 3 reserved: 1 unit to promise to quotations
        one = self._create_order(product=scarce, qty=1, date_order=now)
        other_one = self._create_order(product=scarce, qty=1, date_order=now)
        two = self._create_order(product=scarce, qty=2, date_order=now)
        # the price floor: a pricelist 30 % off a category, and a discount
        category = self.env["product.category"].create({"name": "OMS Trade"})
        trade = self._create_storable(
            "OMS Trade Good", 100.0, qty=50, categ_id=category.id
        )
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "OMS Trade",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "2_product_category",
                            "categ_id": category.id,
                            "compute_price": "percentage",
                            "percent_price": 30.0,
                        }
                    )
                ],
            }
        )
        at_trade = self._create_order(
            product=trade, qty=1, pricelist_id=pricelist.id, date_order=now
        )
        below_trade = self._create_order(
            product=trade, qty=1, pricelist_id=pricelist.id, date_order=now
        )
        below_trade.order_line.price_unit = 50.0
        discounted = self._create_order(product=trade, qty=1, date_order=now)
        discounted.order_line.discount = 50.0
        # a second company with its own warehouse and stock
        company = self.env["res.company"].create({"name": "OMS What If Co"})
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        self._set_stock(scarce, 1, location=warehouse.lot_stock_id)
        elsewhere = self.env["sale.order"].concat(
            *(
                self._create_order(
                    product=scarce,
                    qty=qty,
                    company_id=company.id,
                    warehouse_id=warehouse.id,
                    date_order=now,
                )
                for qty in (1, 2)
            )
        )
        elsewhere[0].order_line.price_unit = 10.0
        self.assertEqual(unreserved.order_line.move_ids.quantity, 0.0)
        self.assertEqual(partly.order_line.move_ids.quantity, 2.0)
        window = self.big.with_context(
            allowed_company_ids=(self.company | company).ids
        )._get_what_if_domain(30)
        Order = self.env["sale.order"]
        expected = {
            # the confirmed orders do not compete with their own demand,
            # nor the quotations with each other
            "stock": (two | elsewhere[1]).ids,
            # the price of the pricelist, before the discount
            "price_floor": (below_trade | elsewhere[0]).ids,
        }
        for check_type, failing in expected.items():
            rule = self.rules.filtered(lambda r, c=check_type: r.check_type == c)
            orders = Order.search(window + rule._get_what_if_applicability_domain())
            by_order = rule._what_if_evaluate(orders)
            self.assertEqual(rule._what_if_failing(window), by_order, check_type)
            mine = (
                unreserved | covered | partly | one | other_one | two | at_trade
            ) | (below_trade | discounted | elsewhere)
            self.assertEqual(by_order & set(mine.ids), set(failing), check_type)

    def test_fast_path_reads_only_the_orders_that_may_fail(self):
        """The stock check is evaluated on the orders needing stock only:
        the service order and the accepted backorder are not read."""
        stock_rule = self.rules.filtered(lambda r: r.check_type == "stock")
        window = stock_rule._get_what_if_domain(30)
        candidates = self.env["sale.order"].search(
            window + stock_rule._what_if_candidates_stock(window)
        )
        self.assertFalse(candidates & (self.extra[5] | self.extra[6]))
        self.assertIn(self.large, candidates)


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
