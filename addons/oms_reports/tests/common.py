from datetime import datetime

from odoo import Command
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


def dt(text):
    """'2026-01-05 08:00' -> datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


class OmsReportsCommon(TransactionCase):
    """Factories for orders with a known history (dates set through SQL, as the
    report only reads what happened and when)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.manager = new_test_user(
            cls.env, login="rep_kpi_manager", groups="oms_core.group_oms_manager"
        )
        cls.salesman = new_test_user(
            cls.env, login="rep_kpi_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "KPI Customer",
                "street": "1 Road",
                "city": "Shanghai",
                "country_id": cls.env.ref("base.cn").id,
                "email": "kpi@example.com",
            }
        )
        cls.category = cls.env["product.category"].create({"name": "KPI Goods"})
        cls.product_a, cls.product_b = cls.env["product.product"].create(
            [
                {
                    "name": name,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 100.0,
                    "categ_id": cls.category.id,
                    "taxes_id": [Command.clear()],
                }
                for name in ("KPI Product A", "KPI Product B")
            ]
        )
        stock = cls.warehouse.lot_stock_id
        for product in cls.product_a | cls.product_b:
            cls.env["stock.quant"]._update_available_quantity(product, stock, 1000)
        cls.channel_a = cls._create_channel("KPI Web", "KPIWEB")
        cls.channel_b = cls._create_channel("KPI Phone", "KPIPHONE")

    @classmethod
    def _create_channel(cls, name, code):
        return cls.env["oms.channel"].create(
            {
                "name": name,
                "code": code,
                "kind": "web_shop",
                "connector": "manual",
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _create_order(cls, lines, created, channel=None, user=None, commitment=None):
        """A draft order with ``lines`` = [(product, qty)], received at ``created``."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": (user or cls.manager).id,
                "oms_channel_id": (channel or cls.channel_a).id,
                "commitment_date": commitment and dt(commitment),
                "warehouse_id": cls.warehouse.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "price_unit": 100.0,
                        }
                    )
                    for product, qty in lines
                ],
            }
        )
        cls._set(order, "create_date", dt(created))
        return order

    @classmethod
    def _confirm(cls, order, confirmed=None):
        order.action_confirm()
        if confirmed:
            cls._set(order, "date_order", dt(confirmed))
        return order

    @classmethod
    def _set(cls, records, column, value):
        """Write a column as history would have: raw SQL, no business logic."""
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE id IN %s",
                SQL.identifier(records._table),
                SQL.identifier(column),
                value,
                tuple(records.ids),
            )
        )
        records.invalidate_recordset()

    @classmethod
    def _set_review(cls, order, reviewed=None, auto=True, touches=0):
        cls._set(order, "oms_reviewed_date", reviewed and dt(reviewed))
        cls._set(order, "oms_auto_approved", auto)
        cls._set(order, "oms_touch_count", touches)

    @classmethod
    def _ship(cls, order, quantities, when):
        """Ship ``quantities`` {product: qty} from the order's open delivery."""
        picking = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"
            and p.state not in ("done", "cancel")
        )[:1]
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, 0.0)
            move.picked = True
        picking._action_done()
        cls._set(picking, "date_done", dt(when))
        cls._set(
            picking.move_ids.filtered(lambda m: m.state == "done"), "date", dt(when)
        )
        return picking

    @classmethod
    def _return(cls, picking, product, qty, when):
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        for line in wizard.product_return_moves:
            line.quantity = qty if line.product_id == product else 0.0
        action = wizard.action_create_returns()
        returned = cls.env["stock.picking"].browse(action["res_id"])
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        returned._action_done()
        cls._set(returned.move_ids, "date", dt(when))
        return returned

    @classmethod
    def _invoice_and_pay(cls, order, invoiced_on, paid_on=None):
        invoice = order._create_invoices()
        invoice.invoice_date = dt(invoiced_on).date()
        invoice.action_post()
        if paid_on:
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": dt(paid_on).date()})._create_payments()
        return invoice

    @classmethod
    def _add_exception(cls, order, code, state="open"):
        return cls.env["oms.exception"].create(
            {
                "order_id": order.id,
                "code": code,
                "state": state,
                "message": f"KPI test {code}",
                "severity": "block",
            }
        )
