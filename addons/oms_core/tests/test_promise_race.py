import uuid
from datetime import timedelta

from odoo import Command, fields
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.promise_engine import to_local
from .concurrency import CommittedCase

QUIET = ("odoo.sql_db", "odoo.service.model")


@tagged("post_install", "-at_install", "oms")
class TestPromiseRace(CommittedCase):
    """No stock, 5 units arriving soon and 5 later: two orders of 5 confirmed
    at the same moment by two workers are not both promised the first ones."""

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        now = fields.Datetime.now().replace(hour=1, minute=0, second=0)
        self.soon, self.later = now + timedelta(days=5), now + timedelta(days=20)
        with self.committed_env() as env:
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            product = env["product.product"].create(
                {"name": f"Race {tag}", "type": "consu", "is_storable": True}
            )
            customer = env["res.partner"].create({"name": f"Race customer {tag}"})
            supplier = env.ref("stock.stock_location_suppliers")
            receipts = env["stock.picking"].create(
                [
                    {
                        "picking_type_id": warehouse.in_type_id.id,
                        "location_id": supplier.id,
                        "location_dest_id": warehouse.lot_stock_id.id,
                        "scheduled_date": date,
                        "move_ids": [
                            Command.create(
                                {
                                    "name": product.name,
                                    "product_id": product.id,
                                    "product_uom_qty": 5,
                                    "product_uom": product.uom_id.id,
                                    "location_id": supplier.id,
                                    "location_dest_id": warehouse.lot_stock_id.id,
                                    "date": date,
                                }
                            )
                        ],
                    }
                    for date in (self.soon, self.later)
                ]
            )
            receipts.action_confirm()
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": customer.id,
                        "warehouse_id": warehouse.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": 5}
                            )
                        ],
                    }
                    for _i in range(2)
                ]
            )
            self.warehouse_id, self.product_id = warehouse.id, product.id
            self.customer_id, self.order_ids = customer.id, orders.ids
            self.receipt_ids = receipts.ids
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        with mute_logger("odoo.models.unlink", *QUIET), self.committed_env() as env:
            self.remove_orders(
                env,
                env["sale.order"].browse(self.order_ids),
                env["stock.picking"].browse(self.receipt_ids),
            )
            self.remove_products(env, [self.product_id])
            env["res.partner"].browse(self.customer_id).unlink()

    def _confirm_in_worker(self, order_id):
        def confirm(env):
            # as Odoo's RPC dispatcher: a serialization failure is retried
            retrying(env["sale.order"].browse(order_id).action_confirm, env)

        return self.in_worker(confirm)

    def test_two_orders_are_not_promised_the_same_incoming_units(self):
        """Both confirmed at once: one ships after the first receipt, the
        other after the second."""
        with mute_logger(*QUIET):
            self.run_in_threads(*map(self._confirm_in_worker, self.order_ids))
        with self.committed_env() as env:
            orders = env["sale.order"].browse(self.order_ids)
            self.assertEqual(set(orders.mapped("state")), {"sale"})
            context = (
                env["stock.warehouse"]
                .browse(self.warehouse_id)
                ._oms_get_promise_context()
            )
            expected = [
                context.ship_datetime(to_local(day, context.calendar.tz).date())
                for day in (self.soon, self.later)
            ]
            self.assertNotEqual(expected[0], expected[1])
            self.assertEqual(
                sorted(orders.mapped("oms_promised_date")),
                expected,
                "the second order waits for the second receipt",
            )
