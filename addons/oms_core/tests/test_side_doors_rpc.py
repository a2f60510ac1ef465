from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms")
class TestSideDoorsRpc(OmsTourCase):
    """The side doors tried as an RPC client does: a logged-in user calling
    ``/web/dataset/call_kw`` with the context and values it chooses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_user = cls._create_user("oms_rpc_stock", "stock.group_stock_user")
        cls.reason = cls.env["oms.cancel.reason"].create({"name": "RPC"})

    def _held_order(self):
        self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order(user=self.salesman)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        return order

    def test_rpc_skip_review_context_keeps_order_held(self):
        """A salesperson confirms a held order with oms_skip_review over RPC:
        it stays unconfirmed and unshipped."""
        order = self._held_order()
        result = self.call_kw(
            self.salesman.login,
            "sale.order",
            "action_confirm",
            [order.ids],
            {"oms_skip_review": True, "oms_skip_rereview": True},
        )
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertFalse(order.picking_ids)

    def test_rpc_write_of_exception_state_refused(self):
        """A reviewer writes state='overridden' over RPC: refused, still held."""
        order = self._held_order()
        exception = order.oms_exception_ids
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                self.reviewer.login,
                "oms.exception",
                "write",
                [exception.ids, {"state": "overridden", "resolution": "override"}],
            )
        self.assertEqual(exception.state, "open")
        self.call_kw(self.salesman.login, "sale.order", "action_confirm", [order.ids])
        self.assertEqual(order.state, "draft")

    def test_rpc_held_delivery_not_validated(self):
        """A warehouse user validates the delivery of a held order over RPC:
        refused, nothing shipped."""
        self._create_rule("stock")
        order = self._create_order(qty=2, user=self.salesman)
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        order._oms_add_exception("fraud_check", "Payment flagged", severity="block")
        picking = order.picking_ids
        picking.move_ids.write({"quantity": 2, "picked": True})
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                self.stock_user.login, "stock.picking", "button_validate", [picking.ids]
            )
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(order.order_line.qty_delivered, 0)

    def test_rpc_cancel_only_through_reason_wizard(self):
        """Odoo's plain cancel over RPC is refused; the reason wizard cancels."""
        order = self._create_order(user=self.salesman)
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                self.salesman.login,
                "sale.order",
                "action_cancel",
                [order.ids],
                {"disable_cancel_warning": True},
            )
        self.assertEqual(order.state, "draft")
        wizard_id = self.call_kw(
            self.salesman.login,
            "oms.order.cancel",
            "create",
            [{"order_ids": [Command.set(order.ids)], "reason_id": self.reason.id}],
        )
        self.call_kw(
            self.salesman.login, "oms.order.cancel", "action_confirm", [wizard_id]
        )
        self.assertRecordValues(
            order, [{"state": "cancel", "oms_cancel_reason_id": self.reason.id}]
        )
