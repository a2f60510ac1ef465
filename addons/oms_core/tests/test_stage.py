from odoo import fields
from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestStage(OmsCommon):
    """oms_stage follows Odoo's own states from quotation to paid."""

    def _ship(self, order, qty):
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        picking.action_assign()
        picking.move_ids.quantity = qty
        picking.move_ids.picked = True
        picking.with_context(cancel_backorder=False, skip_backorder=True)._action_done()
        return picking

    def test_stage_through_the_lifecycle(self):
        """draft → approved → partially shipped → shipped → delivered → done."""
        self.company.oms_auto_confirm = False
        order = self._create_order(qty=4, picking_policy="direct")
        self.assertEqual(order.oms_stage, "draft")
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "approved")
        order.action_confirm()
        self.assertEqual(order.oms_stage, "approved")
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        backorder_wizard = picking.button_validate()
        self.env[backorder_wizard["res_model"]].with_context(
            **backorder_wizard["context"]
        ).create({}).process()
        self.assertEqual(order.oms_stage, "partially_shipped")
        self._ship(order, 3)
        self.assertEqual(order.oms_stage, "shipped")
        order.oms_delivered_date = fields.Datetime.now()
        self.assertEqual(order.oms_stage, "delivered")
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(order.oms_stage, "delivered")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(order.oms_stage, "done")

    def test_stage_on_hold_and_cancel(self):
        """A blocking exception puts the order on hold; cancelling ends it."""
        self._create_rule("amount_threshold", amount_limit=1.0)
        order = self._create_order()
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertEqual(
            self.env["sale.order"].search(
                [("oms_stage", "=", "on_hold"), ("id", "=", order.id)]
            ),
            order,
        )
        order._oms_cancel(self.env["oms.cancel.reason"].create({"name": "r"}))
        self.assertEqual(order.oms_stage, "cancel")

    def test_stage_groupable_with_all_columns(self):
        """The stage groups orders (kanban columns), empty stages included."""
        self._create_order()
        groups = self.env["sale.order"].read_group([], ["oms_stage"], ["oms_stage"])
        self.assertEqual(
            [g["oms_stage"] for g in groups],
            [
                key
                for key, _label in self.env["sale.order"]._fields["oms_stage"].selection
            ],
        )
