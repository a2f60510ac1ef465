from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms")
class TestOrderChangeRpc(OmsTourCase):
    """Change requests tried as an RPC client: ``/web/dataset/call_kw`` with
    the values and the context the client chooses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rule("stock")

    def _requested(self):
        """A confirmed order whose quantity the salesperson raised over RPC."""
        order = self._create_order(qty=2, user=self.salesman)
        order.action_oms_review()
        self.call_kw(
            self.salesman.login,
            "sale.order",
            "write",
            [
                order.ids,
                {"order_line": [[1, order.order_line.id, {"product_uom_qty": 30}]]},
            ],
            {"oms_skip_review": True},
        )
        self.assertEqual(order.order_line.product_uom_qty, 2)
        self.assertEqual(order.oms_change_request_ids.state, "to_approve")
        return order

    def test_rpc_line_write_becomes_a_request(self):
        """A salesperson writes a line of a confirmed order over RPC: a request."""
        order = self._create_order(qty=2, user=self.salesman)
        order.action_oms_review()
        self.call_kw(
            self.salesman.login,
            "sale.order.line",
            "write",
            [order.order_line.ids, {"price_unit": 1.0}],
        )
        self.assertEqual(order.order_line.price_unit, 100.0)
        self.assertIn("1.00", order.oms_change_request_ids.diff)

    def test_rpc_write_of_request_state_refused(self):
        """A reviewer writes state='applied' over RPC: refused, nothing applied."""
        order = self._requested()
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                self.reviewer.login,
                "oms.order.change",
                "write",
                [order.oms_change_request_ids.ids, {"state": "applied"}],
            )
        self.assertEqual(order.oms_change_request_ids.state, "to_approve")
        self.assertEqual(order.order_line.product_uom_qty, 2)

    def test_rpc_requester_cannot_approve(self):
        """The salesperson approves its own request over RPC: refused."""
        order = self._requested()
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                self.salesman.login,
                "oms.order.change",
                "action_approve",
                [order.oms_change_request_ids.ids],
                {"oms_skip_review": True},
            )
        self.assertEqual(order.oms_change_request_ids.state, "to_approve")
        self.assertEqual(order.order_line.product_uom_qty, 2)

    def test_rpc_reviewer_approves(self):
        """Another reviewer approves over RPC: applied and reviewed again."""
        order = self._requested()
        self.call_kw(
            self.reviewer.login,
            "oms.order.change",
            "action_approve",
            [order.oms_change_request_ids.ids],
        )
        self.assertEqual(order.oms_change_request_ids.state, "applied")
        self.assertEqual(order.order_line.product_uom_qty, 30)
        self.assertEqual(order.oms_stage, "on_hold")
