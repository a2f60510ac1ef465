from unittest.mock import patch

from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestReviewBatch(OmsCommon):
    """Reviewing several orders at once decides as one order at a time would:
    the orders approved earlier in the batch count as confirmed."""

    def test_batch_promises_stock_once(self):
        """Two orders of a batch cannot both be promised the same units."""
        self._create_rule("stock")
        first = self._create_order(qty=6)
        second = self._create_order(qty=6)
        third = self._create_order(qty=4)
        (first | second | third).action_oms_review()
        self.assertEqual(first.state, "sale")
        self.assertEqual(second.state, "draft")
        self.assertEqual(second.oms_stage, "on_hold")
        self.assertIn("available 4", second.oms_exception_ids.message)
        self.assertEqual(third.state, "sale", "the 4 units left fit the third order")
        self.assertTrue(first.oms_auto_approved and third.oms_auto_approved)
        self.assertEqual(
            sum((first | third).picking_ids.move_ids.mapped("quantity")), 10
        )

    def test_batch_counts_promised_orders_in_credit(self):
        """The credit exposure includes the orders approved before in the batch."""
        self.company.account_use_credit_limit = True
        self._create_rule("credit_limit")
        orders = self._create_order(qty=1) | self._create_order(qty=1)
        orders |= self._create_order(qty=1)
        limit = orders[0].amount_total * 2.5
        self.customer.with_company(self.company).sudo().credit_limit = limit
        orders.action_oms_review()
        self.assertEqual(orders.mapped("state"), ["sale", "sale", "draft"])
        self.assertEqual(orders[2].oms_exception_ids.code, "credit_limit")

    def test_batch_first_order_of_new_customer(self):
        """Only the first order of a new customer in a batch is its first order."""
        self._create_rule("new_customer", severity="warn", amount_limit=50.0)
        new = self.env["res.partner"].create(
            {"name": "Brand new", "email": "new@example.com"}
        )
        orders = self._create_order(qty=1, partner_id=new.id)
        orders |= self._create_order(qty=1, partner_id=new.id)
        orders.action_oms_review()
        self.assertEqual(orders.mapped("state"), ["sale", "sale"])
        self.assertEqual(orders[0].oms_exception_ids.code, "new_customer")
        self.assertFalse(orders[1].oms_exception_ids)

    def test_batch_same_result_as_one_by_one(self):
        """Orders reviewed together end like the same orders reviewed alone."""
        self._create_rule("stock")
        self._create_rule("amount_threshold", severity="warn", amount_limit=300.0)
        self._set_stock(self.product, 20)
        quantities = [5, 2, 30, 4]
        alone = [self._create_order(qty=qty) for qty in quantities]
        for order in alone:
            order.action_oms_review()
        self._set_stock(self.product, 11)  # the same stock again
        batch = [self._create_order(qty=qty) for qty in quantities]
        self.env["sale.order"].concat(*batch).action_oms_review()
        for one, other in zip(alone, batch, strict=True):
            self.assertEqual(
                (one.state, one.oms_stage, one.oms_auto_approved),
                (other.state, other.oms_stage, other.oms_auto_approved),
            )
            self.assertEqual(
                sorted(one.oms_exception_ids.mapped("code")),
                sorted(other.oms_exception_ids.mapped("code")),
            )

    def test_batch_reads_stock_once(self):
        """A batch locks and reads its products' stock once, not once per order
        (and its confirmation locks them once more to promise ship dates)."""
        # one sorted lock statement; orders it cannot serve still see the stock
        # the earlier orders took
        self._create_rule("stock")
        second = self.env["product.product"].create(
            {"name": "Batch second", "is_storable": True, "list_price": 10.0}
        )
        self._set_stock(second, 3)
        orders = self._create_order(qty=2) | self._create_order(qty=2)
        orders |= self._create_order(qty=1, product=second)
        orders |= self._create_order(qty=3, product=second)
        Product = type(self.env["product.product"])
        calls = {"atp": [], "lock": []}
        atp, lock = Product._oms_get_atp, Product._oms_lock_atp

        def count_atp(products, *args, **kwargs):
            calls["atp"].append(set(products.ids))
            return atp(products, *args, **kwargs)

        def count_lock(products, *args, **kwargs):
            calls["lock"].append(products.ids)
            return lock(products, *args, **kwargs)

        with (
            patch.object(Product, "_oms_get_atp", count_atp),
            patch.object(Product, "_oms_lock_atp", count_lock),
        ):
            orders.action_oms_review()
        expected = sorted([self.product.id, second.id])
        # the review, then the confirmation promising the ship dates: once
        # each for the batch, never once per order
        self.assertEqual(calls["lock"], [expected, expected])
        self.assertEqual(calls["atp"], [set(expected)])
        self.assertEqual(orders.mapped("state"), ["sale", "sale", "sale", "draft"])
        self.assertIn("available 2", orders[3].oms_exception_ids.message)

    def test_batch_subscribes_customers_at_once(self):
        """A batch subscribes its customers at once, as Odoo's confirmation does."""
        # without a subscription per order
        other = self.customer.copy({"name": "OMS Other Customer"})
        orders = self._create_order() | self._create_order()
        orders |= self._create_order(partner_id=other.id)
        reference = self._create_order()
        reference.action_confirm()
        SaleOrder = type(self.env["sale.order"])
        subscribe = SaleOrder.message_subscribe
        subscribed = []

        def count_subscribe(records, *args, **kwargs):
            subscribed.append(records.ids)
            return subscribe(records, *args, **kwargs)

        with patch.object(SaleOrder, "message_subscribe", count_subscribe):
            orders.action_oms_review()
        self.assertEqual(orders.mapped("state"), ["sale"] * 3)
        self.assertEqual(subscribed, [])

        def customer_subtypes(order):
            follower = order.message_follower_ids.filtered(
                lambda f: f.partner_id == order.partner_id
            )
            self.assertEqual(len(follower), 1)
            return follower.subtype_ids

        for order in orders:
            self.assertEqual(customer_subtypes(order), customer_subtypes(reference))


@tagged("post_install", "-at_install", "oms")
class TestReviewBatchMixed(OmsCommon):
    """A batch reads what its rules need for all its orders at once, and finds
    exactly the exceptions the same orders get one at a time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.account_use_credit_limit = True
        cls.poor = cls._create_customer(
            "OMS Poor Customer",
            street="Rue du Test 2",
            city="Brussels",
            zip="1000",
            country_id=cls.country.id,
            email="poor@example.com",
        )
        cls.poor.with_company(cls.company).credit_limit = 150.0
        cls.nowhere = cls._create_customer("OMS No Address", email="x@example.com")
        cls.newcomer = cls._create_customer(
            "OMS Newcomer",
            street="Rue du Test 3",
            city="Brussels",
            zip="1000",
            country_id=cls.country.id,
            phone="+32 2 000 00 00",
        )
        # an earlier confirmed order: the customer is not new
        cls._create_order(qty=1).action_confirm()
        for check_type, values in [
            ("credit_limit", {}),
            ("stock", {}),
            ("address", {}),
            ("price_floor", {"severity": "warn", "percent_limit": 20}),
            ("discount_limit", {"percent_limit": 15}),
            ("amount_threshold", {"severity": "warn", "amount_limit": 450.0}),
            ("duplicate", {"hours_window": 24}),
            ("duplicate", {"severity": "warn", "hours_window": 168}),
            ("new_customer", {"severity": "warn", "amount_limit": 50.0}),
            ("domain", {"domain": "[('client_order_ref', '=ilike', 'TEST%')]"}),
        ]:
            cls._create_rule(
                check_type,
                severity=values.pop("severity", "block"),
                name=f"Mixed {check_type} {values}",
                **values,
            )

    def _mixed_orders(self):
        """Clean, duplicated, short of stock, cheap, discounted, over credit,
        new customers (twice), no address, a test order."""
        product, alt = self.product, self.product_alt
        specs = [
            {"qty": 2},
            {"qty": 2, "client_order_ref": "PO-1"},
            {"qty": 1, "client_order_ref": "PO-1"},
            {"qty": 2},  # same customer, lines and total as the first
            {"qty": 7},  # short once the earlier ones are confirmed
            {"lines": [(alt, 1), (product, 1)]},
            {"qty": 2, "customer": self.poor},  # above the credit limit
            {"qty": 1, "customer": self.poor},
            {"qty": 1, "customer": self.newcomer},
            {"qty": 1, "customer": self.newcomer},
            {"qty": 1, "customer": self.nowhere},
            {"qty": 5, "client_order_ref": "TEST-42"},
        ]
        orders = self.env["sale.order"].concat(
            *(self._create_order(**spec) for spec in specs)
        )
        orders[5].order_line[0].price_unit = 50.0  # 50 % below the pricelist
        orders[5].order_line[1].discount = 30.0
        return orders

    def _exceptions(self, orders):
        index = {order.id: position for position, order in enumerate(orders)}
        return sorted(
            (
                index[exception.order_id.id],
                exception.rule_id.name,
                exception.severity,
                exception.state,
                exception.message,
            )
            for exception in orders.oms_exception_ids
        )

    def _both_ways(self, orders, review):
        """The exceptions and states of ``orders`` reviewed by ``review`` one
        at a time, then (rolled back in between) all together."""
        self.env.flush_all()
        with self.env.cr.savepoint() as savepoint:
            for order in orders:
                review(order)
            self.env.flush_all()
            alone = (self._exceptions(orders), orders.mapped("state"))
            savepoint.rollback()
        self.env.invalidate_all()
        review(orders)
        self.env.flush_all()
        return alone, (self._exceptions(orders), orders.mapped("state"))

    def test_batch_same_exceptions_as_one_by_one(self):
        """Reviewing a mixed set at once opens the same exceptions, with the
        same messages, as reviewing each order alone."""
        orders = self._mixed_orders()
        alone, together = self._both_ways(orders, lambda o: o._oms_run_review())
        self.assertEqual(together, alone)
        codes = {(i, name.split()[1]) for i, name, *_rest in alone[0]}
        for expected in [
            (2, "duplicate"),
            (3, "duplicate"),
            (5, "price_floor"),
            (5, "discount_limit"),
            (6, "credit_limit"),
            (8, "new_customer"),
            (10, "address"),
            (11, "domain"),
            (11, "amount_threshold"),
        ]:
            self.assertIn(expected, codes)

    def test_batch_with_confirmation_same_as_one_by_one(self):
        """The review that confirms (stock, credit and first orders promised to
        the earlier orders of the batch) ends as one order at a time does."""
        orders = self._mixed_orders()
        alone, together = self._both_ways(orders, lambda o: o.action_oms_review())
        self.assertEqual(together, alone)
        self.assertIn("draft", alone[1])
        self.assertIn("sale", alone[1])

    def test_batch_searches_orders_once_for_all(self):
        """The duplicate, new-customer and credit checks search the orders a
        few times per batch, not once per order (three searches per order
        before): twelve more orders in the batch add at most two searches."""
        SaleOrder = type(self.env["sale.order"])
        search = SaleOrder._search
        counts, counting = [], []

        def count_search(records, *args, **kwargs):
            if counting:
                counting[0] += 1
            return search(records, *args, **kwargs)

        twelve = self._mixed_orders()
        twenty_four = self._mixed_orders() | self._mixed_orders()
        with patch.object(SaleOrder, "_search", count_search):
            for batch in (twelve, twenty_four):
                self.env.flush_all()
                self.env.invalidate_all()
                counting[:] = [0]
                batch._oms_run_review()
                counts.append(counting.pop())
        self.assertLessEqual(counts[1], counts[0] + 2)
