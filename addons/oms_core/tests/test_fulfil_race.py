import threading

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


@tagged("post_install", "-at_install", "oms")
class TestFulfilLastUnitRace(TransactionCase):
    """Two workers approve two orders for the last unit at the same moment.

    The data is committed with a separate registry cursor (each thread needs
    to see it) and removed again in the cleanup.
    """

    def setUp(self):
        super().setUp()
        # real cursors, not the test cursor of an HttpCase
        self.assertFalse(self.registry.in_test_mode())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, DISABLED_MAIL_CONTEXT)
            company = env.ref("base.main_company")
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            self.auto_confirm = company.oms_auto_confirm
            company.oms_auto_confirm = True
            partner = env["res.partner"].create({"name": "OMS Race Customer"})
            product = env["product.product"].create(
                {"name": "OMS Last Unit", "type": "consu", "is_storable": True}
            )
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 1
            )
            rule = env["oms.review.rule"].create(
                {
                    "name": "OMS race stock check",
                    "check_type": "stock",
                    "severity": "block",
                    "company_id": company.id,
                }
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
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
            self.committed = {
                "company": company.id,
                "partner": partner.id,
                "product": product.id,
                "rule": rule.id,
                "orders": orders.ids,
            }
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        ids = self.committed
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, DISABLED_MAIL_CONTEXT)
            orders = env["sale.order"].browse(ids["orders"])
            pickings = orders.picking_ids
            orders._action_cancel()
            pickings.unlink()
            groups = env["procurement.group"].search([("sale_id", "in", orders.ids)])
            orders.unlink()
            groups.unlink()
            product = env["product.product"].browse(ids["product"])
            cr.execute(SQL("DELETE FROM stock_quant WHERE product_id = %s", product.id))
            cr.execute(
                SQL("DELETE FROM oms_stock_promise WHERE product_id = %s", product.id)
            )
            template = product.product_tmpl_id
            product.unlink()
            template.exists().unlink()
            env["oms.review.rule"].browse(ids["rule"]).unlink()
            env["res.partner"].browse(ids["partner"]).unlink()
            env["res.company"].browse(
                ids["company"]
            ).oms_auto_confirm = self.auto_confirm
            env["mail.message"].search(
                [("model", "=", "sale.order"), ("res_id", "in", orders.ids)]
            ).unlink()

    def _approve_in_worker(self, order_id, barrier, errors):
        threading.current_thread().dbname = self.env.cr.dbname
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, DISABLED_MAIL_CONTEXT)
                order = env["sale.order"].browse(order_id)
                order.read(["name", "state"])  # the transaction's snapshot starts here
                barrier.wait(timeout=30)
                retrying(order.action_oms_review, env)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    @mute_logger("odoo.service.model", "odoo.sql_db")
    def test_last_unit_has_exactly_one_winner(self):
        """Two workers approve two orders for the last unit at once: one order is
        confirmed with the unit reserved, the other is held with a stock exception."""
        barrier = threading.Barrier(2)
        errors = []
        threads = [
            threading.Thread(
                target=self._approve_in_worker, args=(order_id, barrier, errors)
            )
            for order_id in self.committed["orders"]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse(errors)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["sale.order"].browse(self.committed["orders"])
            winners = orders.filtered(lambda o: o.state == "sale")
            losers = orders - winners
            self.assertEqual(len(winners), 1)
            self.assertEqual(winners.picking_ids.state, "assigned")
            self.assertEqual(winners.picking_ids.move_ids.quantity, 1)
            self.assertEqual(losers.state, "draft")
            exception = losers.oms_exception_ids.filtered(lambda e: e.state == "open")
            self.assertEqual(exception.rule_id.check_type, "stock")
            self.assertEqual(exception.severity, "block")
            self.assertFalse(
                winners.oms_exception_ids.filtered(lambda e: e.state == "open")
            )
