from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import Form, tagged

from .common import OmsApprovedOrderCommon

AMOUNT_CHECKS = {
    "credit_limit",
    "amount_threshold",
    "duplicate",
    "payment",
    "new_customer",
}


@tagged("post_install", "-at_install", "oms")
class TestRereviewFacts(OmsApprovedOrderCommon):
    """A change of one reviewed fact of an approved order re-runs just the
    rules that read it; the others keep their result."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one passing rule of every check, and a condition on the commitment date
        for check_type, values in (
            ("credit_limit", {}),
            ("stock", {}),
            ("address", {}),
            ("price_floor", {"percent_limit": 90.0}),
            ("discount_limit", {"percent_limit": 90.0}),
            ("amount_threshold", {"amount_limit": 1e9}),
            ("duplicate", {}),
            ("payment", {}),
            ("new_customer", {"amount_limit": 1e9}),
        ):
            cls._create_rule(check_type, **values)
        cls._create_rule(
            "domain",
            name="Promised in the past",
            domain="[('commitment_date', '<', '2000-01-01')]",
        )

    @contextmanager
    def _rules_run(self):
        """Collect the check types of the rules evaluated in the block."""
        Rule = type(self.env["oms.review.rule"])
        evaluate = Rule._evaluate
        ran = set()

        def record(rule, order, batch):
            ran.add("commitment" if rule.check_type == "domain" else rule.check_type)
            return evaluate(rule, order, batch)

        with patch.object(Rule, "_evaluate", record):
            yield ran

    def _assert_rerun(self, change, expected):
        """Apply ``change`` to the approved order as a reviewer: exactly the
        ``expected`` checks run again, and the change is logged."""
        touches = self.order.oms_touch_count
        with self._rules_run() as ran:
            change(self.order.with_user(self.reviewer))
        self.assertEqual(ran, set(expected))
        self.assertEqual(self.order.oms_touch_count, touches + 1)
        previews = self.order.message_ids[:3].mapped("preview")
        self.assertTrue(any("sent back to review" in p for p in previews), previews)

    def test_quantity_reruns_stock_and_amount_checks(self):
        """More units: stock and the amount-based checks run, not price or address."""
        self._assert_rerun(
            lambda o: o.order_line.write({"product_uom_qty": 3}),
            AMOUNT_CHECKS | {"stock"},
        )

    def test_price_reruns_price_floor_and_amount_checks(self):
        """A lower price: the price floor and the amount checks run, not stock."""
        self._assert_rerun(
            lambda o: o.order_line.write({"price_unit": 80.0}),
            AMOUNT_CHECKS | {"price_floor"},
        )

    def test_discount_reruns_discount_limit_and_amount_checks(self):
        """A discount: the discount limit and the amount checks run."""
        self._assert_rerun(
            lambda o: o.order_line.write({"discount": 10.0}),
            AMOUNT_CHECKS | {"discount_limit"},
        )

    def test_product_reruns_every_line_check(self):
        """Another product: every check of the lines runs, not the address."""
        self._assert_rerun(
            lambda o: o.order_line.write({"product_id": self.product_alt.id}),
            AMOUNT_CHECKS | {"stock", "price_floor", "discount_limit"},
        )

    def test_added_line_reruns_every_line_check(self):
        """A line added in the form: every check of the lines runs."""

        def add_line(order):
            with Form(order) as form, form.order_line.new() as line:
                line.product_id = self.product_alt
                line.product_uom_qty = 1

        self._assert_rerun(
            add_line, AMOUNT_CHECKS | {"stock", "price_floor", "discount_limit"}
        )
        self.assertIn("Added: OMS Widget Plus", self.order.oms_changes_since_approval)

    def test_delivery_address_reruns_address_check(self):
        """Another delivery address: only the address check runs."""
        address = self._create_customer(
            "Warehouse door",
            parent_id=self.customer.id,
            type="delivery",
            street="Quai 2",
            city="Antwerp",
            zip="2000",
            country_id=self.country.id,
        )
        self._assert_rerun(
            lambda o: o.write({"partner_shipping_id": address.id}), {"address"}
        )

    def test_payment_term_reruns_payment_check(self):
        """Another payment term: only the prepayment check runs."""
        term = self.env["account.payment.term"].create({"name": "Prepaid"})
        self._assert_rerun(lambda o: o.write({"payment_term_id": term.id}), {"payment"})

    def test_pricelist_reruns_price_and_amount_checks(self):
        """Another pricelist on an approved quotation (Odoo keeps the pricelist
        of confirmed orders): the price floor and the amount checks run."""
        self.company.oms_auto_confirm = False
        self.order = self._create_order(qty=3, user=self.salesman).with_env(self.env)
        self.order.action_oms_review()
        self.assertEqual(self.order.oms_stage, "approved")
        pricelist = self.env["product.pricelist"].create({"name": "Wholesale"})
        self._assert_rerun(
            lambda o: o.write({"pricelist_id": pricelist.id}),
            AMOUNT_CHECKS | {"price_floor"},
        )

    def test_warehouse_reruns_stock_check(self):
        """Another warehouse: only the stock check runs."""
        other = self.env["stock.warehouse"].create({"name": "North", "code": "NRT"})
        self._assert_rerun(lambda o: o.write({"warehouse_id": other.id}), {"stock"})

    def test_order_type_reruns_stock_and_payment_checks(self):
        """Another order type: the stock and prepayment checks run."""
        self._assert_rerun(
            lambda o: o.write({"oms_order_type": "bulk"}), {"stock", "payment"}
        )

    def test_fiscal_position_reruns_amount_checks(self):
        """Another fiscal position: the amount checks run."""
        position = self.env["account.fiscal.position"].create({"name": "Export"})
        self._assert_rerun(
            lambda o: o.write({"fiscal_position_id": position.id}), AMOUNT_CHECKS
        )

    def test_commitment_date_reruns_rules_reading_it(self):
        """A new commitment date: only the condition on that date runs."""
        promised = fields.Datetime.now() + timedelta(days=3)
        self._assert_rerun(
            lambda o: o.write({"commitment_date": promised}), {"commitment"}
        )

    def test_unrelated_field_reruns_nothing(self):
        """A customer reference is no reviewed fact: no rule runs, no touch."""
        with self._rules_run() as ran:
            self.order.with_user(self.salesman).client_order_ref = "PO-7"
        self.assertFalse(ran)
        self.assertEqual(self.order.oms_touch_count, 0)

    def test_rules_not_rerun_keep_their_result(self):
        """A held quantity stays held when only the address changes."""
        order = self.order.with_user(self.reviewer)
        order.order_line.product_uom_qty = 50
        stock = order.oms_exception_ids.filtered(lambda e: e.code == "stock")
        self.assertEqual(stock.state, "open")
        address = self._create_customer(
            "Back door",
            parent_id=self.customer.id,
            type="delivery",
            street="Quai 3",
            city="Ghent",
            zip="9000",
            country_id=self.country.id,
        )
        order.partner_shipping_id = address
        self.assertEqual(stock.state, "open")
        self.assertEqual(order.oms_stage, "on_hold")

    def test_diff_shows_changes_since_last_approval(self):
        """Held after a change, approved, changed again: the diff shows only
        the change since the last approval, with who made it."""
        order = self.order.with_user(self.reviewer)
        order.order_line.product_uom_qty = 50
        self.assertIn("50", order.oms_changes_since_approval)
        self.assertIn(self.reviewer.name, order.oms_changes_since_approval)
        stock = order.oms_exception_ids.filtered(lambda e: e.state == "open")
        stock.with_user(self.reviewer_2).action_override("customer waits")
        self.assertFalse(order.oms_changes_since_approval)
        order.order_line.price_unit = 95.0
        diff = order.oms_changes_since_approval
        self.assertIn("95", diff)
        self.assertNotIn("2.00", diff)
        self.assertIn(self.reviewer.name, diff)

    def test_change_undone_reruns_its_rules(self):
        """A quantity put back as approved releases the hold it caused."""
        order = self.order.with_user(self.reviewer)
        order.order_line.product_uom_qty = 50
        self.assertEqual(order.oms_stage, "on_hold")
        order.order_line.product_uom_qty = 2
        self.assertEqual(order.oms_stage, "approved")
        self.assertFalse(order.oms_changes_since_approval)

    def test_code_write_is_rereviewed(self):
        """Server code (superuser) changing a line is re-reviewed like a user."""
        self.order.sudo().order_line.product_uom_qty = 50
        self.assertEqual(self.order.oms_stage, "on_hold")
        self.assertIn("stock", self.order.oms_exception_ids.mapped("code"))
