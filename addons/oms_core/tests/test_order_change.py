from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OmsApprovedOrderCommon


@tagged("post_install", "-at_install", "oms")
class TestOrderChange(OmsApprovedOrderCommon):
    """A salesperson's change to a confirmed order's reviewed facts becomes a
    change request that another reviewer approves (applied, re-reviewed) or
    rejects; the order keeps every version."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rule("stock")

    def _request_quantity(self, qty=5, note=None):
        """The salesperson raises the quantity in the form (and notes a
        customer reference): the change request made."""
        with Form(self.order.with_user(self.salesman)) as form:
            form.client_order_ref = note or "PO-42"
            with form.order_line.edit(0) as line:
                line.product_uom_qty = qty
        return self.order.oms_change_request_ids

    def test_salesperson_edit_becomes_a_request(self):
        """The quantity is held back as a request; the rest of the save applies."""
        request = self._request_quantity(5)
        self.assertRecordValues(
            request, [{"state": "to_approve", "user_id": self.salesman.id}]
        )
        self.assertEqual(self.order.order_line.product_uom_qty, 2)
        self.assertEqual(self.order.client_order_ref, "PO-42")
        self.assertEqual(self.order.oms_touch_count, 0)
        self.assertIn("2.00", request.diff)
        self.assertIn("5.00", request.diff)
        self.assertEqual(request.amount_before, self.order.amount_total)
        self.assertAlmostEqual(request.amount_after, self.order.amount_total * 2.5)
        self.assertIn("Amount:", request.impact)
        self.assertIn("OMS Widget: 3.0 more, 8.0 available to promise", request.impact)
        self.assertEqual(self.order.oms_change_request_count, 1)
        self.assertIn("waiting for a reviewer", self.order.message_ids[0].preview)

    def test_added_line_and_address_become_a_request(self):
        """A line added and another delivery address: both in one request."""
        address = self._create_customer(
            "Side entrance",
            parent_id=self.customer.id,
            type="delivery",
            street="Rue 9",
            city="Brussels",
            zip="1000",
            country_id=self.country.id,
        )
        self.order.with_user(self.salesman).write(
            {
                "partner_shipping_id": address.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_alt.id, "price_unit": 90}
                    )
                ],
            }
        )
        request = self.order.oms_change_request_ids
        self.assertEqual(len(self.order.order_line), 1)
        self.assertNotEqual(self.order.partner_shipping_id, address)
        self.assertIn("Side entrance", request.diff)
        self.assertIn("Added: OMS Widget Plus", request.diff)
        request.with_user(self.reviewer).action_approve()
        self.assertEqual(self.order.partner_shipping_id, address)
        self.assertEqual(len(self.order.order_line), 2)
        self.assertEqual(self.order.order_line[1].price_unit, 90)

    def test_direct_line_write_becomes_a_request(self):
        """A salesperson writing the line itself (as RPC would): a request."""
        self.order.order_line.with_user(self.salesman).write({"discount": 15.0})
        self.assertEqual(self.order.order_line.discount, 0.0)
        self.assertIn("discount 0.0% → 15.0%", self.order.oms_change_request_ids.diff)

    def test_direct_line_create_becomes_a_request(self):
        """A salesperson creating a line on the confirmed order: a request."""
        lines = (
            self.env["sale.order.line"]
            .with_user(self.salesman)
            .create({"order_id": self.order.id, "product_id": self.product_alt.id})
        )
        self.assertFalse(lines)
        self.assertEqual(len(self.order.order_line), 1)
        self.assertIn("Added: OMS Widget Plus", self.order.oms_change_request_ids.diff)

    def test_without_rules_odoo_behaviour_is_kept(self):
        """No active review rule, nothing to review: the salesperson's edit of
        a confirmed order is written as in Odoo."""
        self.env["oms.review.rule"].search([]).active = False
        self.order.order_line.with_user(self.salesman).product_uom_qty = 5
        self.assertEqual(self.order.order_line.product_uom_qty, 5)
        self.assertFalse(self.order.oms_change_request_ids)

    def test_reviewer_edits_directly_and_is_rereviewed(self):
        """A reviewer changes the quantity: applied at once, reviewed again."""
        self.order.order_line.with_user(self.reviewer).product_uom_qty = 30
        self.assertFalse(self.order.oms_change_request_ids)
        self.assertEqual(self.order.oms_stage, "on_hold")

    def test_approved_request_is_applied_and_rereviewed(self):
        """Approved: the quantity is written and the stock check runs again."""
        request = self._request_quantity(30)
        request.with_user(self.reviewer).action_approve()
        self.assertRecordValues(
            request, [{"state": "applied", "reviewer_id": self.reviewer.id}]
        )
        self.assertEqual(self.order.order_line.product_uom_qty, 30)
        self.assertEqual(self.order.oms_stage, "on_hold")
        self.assertIn("stock", self.order.oms_exception_ids.mapped("code"))
        self.assertEqual(self.order.oms_touch_count, 1)
        previews = self.order.message_ids[:4].mapped("preview")
        self.assertTrue(any("approved by" in p for p in previews), previews)

    def test_approved_clean_request_refreshes_the_approval(self):
        """A clean approved change is the approved version: no diff left."""
        request = self._request_quantity(3)
        request.with_user(self.reviewer).action_approve()
        self.assertEqual(self.order.order_line.product_uom_qty, 3)
        self.assertEqual(self.order.oms_stage, "approved")
        self.assertFalse(self.order.oms_changes_since_approval)

    def test_rejected_request_leaves_the_order(self):
        """Rejected with a reason: the order is unchanged, the chatter says why."""
        request = self._request_quantity(5)
        with self.assertRaises(UserError):
            request.with_user(self.reviewer).action_reject("")
        request.with_user(self.reviewer).action_reject("no stock for that")
        self.assertRecordValues(
            request,
            [
                {
                    "state": "rejected",
                    "note": "no stock for that",
                    "reviewer_id": self.reviewer.id,
                }
            ],
        )
        self.assertEqual(self.order.order_line.product_uom_qty, 2)
        self.assertIn("no stock for that", self.order.message_ids[0].preview)

    def test_order_keeps_every_version(self):
        """Two requests, one applied and one rejected: both stay on the order."""
        first = self._request_quantity(3)
        first.with_user(self.reviewer).action_approve()
        second = self._request_quantity(4, note="PO-43") - first
        second.with_user(self.reviewer).action_reject("too late")
        self.assertEqual(
            self.order.oms_change_request_ids.mapped("state"), ["rejected", "applied"]
        )
        self.assertEqual(self.order.order_line.product_uom_qty, 3)


@tagged("post_install", "-at_install", "oms")
class TestOrderChangeSideDoors(OmsApprovedOrderCommon):
    """A change request is decided only through its actions, by another
    reviewer: no plain write, no self-approval, no crafted context."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rule("stock")

    def setUp(self):
        super().setUp()
        self.order.order_line.with_user(self.salesman).product_uom_qty = 30
        self.request = self.order.oms_change_request_ids
        self.assertEqual(self.request.state, "to_approve")

    def _assert_unchanged(self):
        self.assertEqual(self.request.state, "to_approve")
        self.assertEqual(self.order.order_line.product_uom_qty, 2)
        self.assertEqual(self.order.oms_stage, "approved")

    def test_plain_write_of_state_refused(self):
        """Salesperson, reviewer and manager write the state or values: refused."""
        for user in (self.salesman, self.reviewer, self.manager):
            for vals in (
                {"state": "approved"},
                {"state": "applied"},
                {"vals": {"order_line": []}},
                {"reviewer_id": user.id},
            ):
                with self.assertRaises(AccessError):
                    self.request.with_user(user).write(vals)
        self._assert_unchanged()

    def test_request_cannot_be_created_directly(self):
        """A salesperson or a manager creates an applied request: refused."""
        for user in (self.salesman, self.manager):
            with self.assertRaises(AccessError):
                self.env["oms.order.change"].with_user(user).create(
                    {
                        "order_id": self.order.id,
                        "state": "to_approve",
                        "vals": {"partner_id": self.customer.id},
                    }
                )

    def test_salesperson_cannot_approve(self):
        """The requester approves its own request: refused (not a reviewer)."""
        with self.assertRaises(AccessError):
            self.request.with_user(self.salesman).action_approve()
        self._assert_unchanged()

    def test_requester_turned_reviewer_cannot_approve_own(self):
        """A requester made reviewer since approves its own request: refused."""
        self.salesman.groups_id = [
            Command.link(self.env.ref("oms_core.group_oms_reviewer").id)
        ]
        with self.assertRaises(UserError):
            self.request.with_user(self.salesman).action_approve()
        self._assert_unchanged()

    def test_reviewer_salesperson_of_the_order_cannot_approve(self):
        """Four eyes: the reviewer who sells the order may not approve its change."""
        self.order.sudo().user_id = self.reviewer
        with self.assertRaises(UserError):
            self.request.with_user(self.reviewer).action_approve()
        self._assert_unchanged()

    def test_crafted_context_changes_nothing(self):
        """A salesperson with made-up context keys: still a request, still refused."""
        context = {"oms_skip_review": True, "oms_change_approved": True}
        self.order.order_line.with_user(self.salesman).with_context(
            **context
        ).product_uom_qty = 40
        self.assertEqual(self.order.order_line.product_uom_qty, 2)
        with self.assertRaises(AccessError):
            self.request.with_user(self.salesman).with_context(
                **context
            ).action_approve()
        self._assert_unchanged()

    def test_decided_request_cannot_be_decided_again(self):
        """A rejected request cannot be approved afterwards."""
        self.request.with_user(self.reviewer).action_reject("no")
        with self.assertRaises(UserError):
            self.request.with_user(self.manager).action_approve()
        self.assertEqual(self.order.order_line.product_uom_qty, 2)
