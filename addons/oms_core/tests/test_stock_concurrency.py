import threading
from functools import partial

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install", "oms")
class TestStockConcurrency(TransactionCase):
    """Two reviews promising the last unit at once, on two real cursors."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _setup_committed_data(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            # no reservation at confirmation: only the promise lock protects the unit
            self.reservation_method = warehouse.out_type_id.reservation_method
            warehouse.out_type_id.reservation_method = "manual"
            partner = env["res.partner"].create({"name": "OMS concurrency customer"})
            product = env["product.product"].create(
                {"name": "OMS last unit", "type": "consu", "is_storable": True}
            )
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 1
            )
            rule = env["oms.review.rule"].create(
                {
                    "name": "OMS concurrency stock",
                    "check_type": "stock",
                    "domain": repr([("partner_id", "=", partner.id)]),
                }
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "warehouse_id": warehouse.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": 1}
                            )
                        ],
                    }
                    for _i in range(2)
                ]
            )
            return partner.id, product.id, rule.id, orders.ids

    def _cleanup(self, partner_id, product_id, rule_id, order_ids):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            orders = env["sale.order"].browse(order_ids)
            pickings = orders.picking_ids
            moves = pickings.move_ids | orders.order_line.move_ids
            moves.move_line_ids.unlink()
            moves._action_cancel()
            moves.unlink()
            pickings.unlink()
            orders.with_context(disable_cancel_warning=True).action_cancel()
            orders.unlink()
            env["stock.quant"].search([("product_id", "=", product_id)]).unlink()
            env["oms.review.rule"].browse(rule_id).unlink()
            product = env["product.product"].browse(product_id)
            template = product.product_tmpl_id
            product.unlink()
            template.unlink()
            env["res.partner"].browse(partner_id).unlink()
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            warehouse.out_type_id.reservation_method = self.reservation_method

    def test_last_unit_is_promised_once(self):
        """One review wins the last unit; the other gets a stock exception."""
        # real, separately committed cursors: the registry must not be in test mode
        self.assertIsNone(self.registry.test_cr)
        partner_id, product_id, rule_id, (order_a_id, order_b_id) = (
            self._setup_committed_data()
        )
        b_snapshot_taken = threading.Event()
        a_holds_lock = threading.Event()
        errors = []

        def review_a():
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    b_snapshot_taken.wait(10)
                    env["sale.order"].browse(order_a_id).action_oms_review()
                    env.flush_all()
                    a_holds_lock.set()
                    # let B reach the lock while A still holds it
                    threading.Event().wait(1.0)
            except Exception as error:  # noqa: BLE001 - reported in the main thread
                errors.append(error)
                a_holds_lock.set()

        def review_b():
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    order = env["sale.order"].browse(order_b_id)
                    # the transaction's snapshot starts here
                    order.name  # pylint: disable=pointless-statement  # noqa: B018
                    b_snapshot_taken.set()
                    a_holds_lock.wait(10)
                    retrying(partial(order.action_oms_review), env)
            except Exception as error:  # noqa: BLE001 - reported in the main thread
                errors.append(error)
                b_snapshot_taken.set()

        threads = [threading.Thread(target=review_a), threading.Thread(target=review_b)]
        try:
            with mute_logger("odoo.sql_db", "odoo.service.model"):
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(60)
            self.assertFalse(errors, errors)
            with self.registry.cursor() as cr:
                env = self._env(cr)
                order_a, order_b = env["sale.order"].browse([order_a_id, order_b_id])
                self.assertEqual(order_a.state, "sale")
                self.assertEqual(order_b.state, "draft")
                self.assertEqual(order_b.oms_exception_ids.code, "stock")
                self.assertEqual(order_b.oms_stage, "on_hold")
        finally:
            self._cleanup(partner_id, product_id, rule_id, [order_a_id, order_b_id])
