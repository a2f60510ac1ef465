"""The last units of two warehouses wanted by two orders at once.

Each order needs one unit from each warehouse (a split shipment); the review
reads both warehouses under the promise locks, taken in one global order
(product, then warehouse), so the two workers neither deadlock nor promise the
same units: one order ships in two deliveries, the other waits on hold.
"""

import uuid

from odoo import Command
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tools import mute_logger

from .concurrency import CommittedCase

QUIET = ("odoo.sql_db", "odoo.service.model")


@tagged("post_install", "-at_install", "oms")
class TestSourcingRace(CommittedCase):
    """Two warehouses with one unit each, two split orders wanting both."""

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:4].upper()
        with self.committed_env() as env:
            company = env.company
            self.sources_were = company.oms_source_warehouse_ids.ids
            self.home = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            other = env["stock.warehouse"].create(
                {"name": f"Race DC {tag}", "code": f"R{tag}", "company_id": company.id}
            )
            company.oms_source_warehouse_ids = [Command.link(other.id)]
            products = env["product.product"].create(
                [
                    {"name": f"Race {name} {tag}", "is_storable": True}
                    for name in ("kettle", "teapot")
                ]
            )
            # the kettle is in the home warehouse, the teapot in the other one
            Quant = env["stock.quant"]
            Quant._update_available_quantity(products[0], self.home.lot_stock_id, 1)
            Quant._update_available_quantity(products[1], other.lot_stock_id, 1)
            customer = env["res.partner"].create(
                {"name": f"Race buyer {tag}", "oms_accepts_split": True}
            )
            rule = env["oms.review.rule"].create(
                {
                    "name": f"Race stock {tag}",
                    "check_type": "stock",
                    "severity": "block",
                    "domain": repr([("partner_id", "=", customer.id)]),
                }
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": customer.id,
                        "warehouse_id": self.home.id,
                        "order_line": [
                            Command.create({"product_id": p.id, "product_uom_qty": 1})
                            for p in products
                        ],
                    }
                    for _i in range(2)
                ]
            )
            self.other_id = other.id
            self.product_ids = products.ids
            self.customer_id = customer.id
            self.rule_id = rule.id
            self.order_ids = orders.ids
        self.addCleanup(self._cleanup_committed)

    def test_last_units_across_warehouses_no_oversell(self):
        """Two split orders at once for the last units of two warehouses: one
        ships in two deliveries, the other is held, nothing promised twice."""

        def review(order_id):
            def run(env):
                retrying(
                    lambda: env["sale.order"].browse(order_id).action_oms_review(),
                    env,
                )

            return self.in_worker(run)

        with mute_logger(*QUIET):
            self.run_in_threads(*(review(order_id) for order_id in self.order_ids))
        with self.committed_env() as env:
            orders = env["sale.order"].browse(self.order_ids)
            self.assertEqual(
                sorted(orders.mapped(lambda o: (o.state, o.oms_stage))),
                [("draft", "on_hold"), ("sale", "approved")],
            )
            winner = orders.filtered(lambda o: o.state == "sale")
            loser = orders - winner
            self.assertEqual(
                sorted(winner.picking_ids.picking_type_id.warehouse_id.ids),
                sorted([self.home.id, self.other_id]),
                "one delivery per warehouse",
            )
            self.assertFalse(loser.picking_ids)
            self.assertEqual(
                loser.oms_exception_ids.filtered(lambda e: e.state == "open").code,
                "stock",
            )
            moves = env["stock.move"].search(
                [("product_id", "in", self.product_ids), ("state", "!=", "cancel")]
            )
            self.assertEqual(
                sorted(moves.mapped(lambda m: (m.product_id.id, m.product_uom_qty))),
                [(self.product_ids[0], 1.0), (self.product_ids[1], 1.0)],
                "no oversell",
            )

    def _cleanup_committed(self):
        with (
            mute_logger("odoo.models.unlink", "odoo.sql_db"),
            self.committed_env() as env,
        ):
            self.remove_orders(env, env["sale.order"].browse(self.order_ids).exists())
            env["oms.review.rule"].browse(self.rule_id).unlink()
            self.remove_products(env, self.product_ids)
            env["res.partner"].browse(self.customer_id).unlink()
            env.company.oms_source_warehouse_ids = [Command.set(self.sources_were)]
            env["stock.warehouse"].browse(self.other_id).active = False
