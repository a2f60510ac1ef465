"""Fixtures of the oms_reports tests, built on oms_channels' (and so oms_core's)."""

from datetime import datetime

from odoo import Command

from odoo.addons.oms_channels.tests.common import OmsChannelsCommon


def dt(text):
    """'2026-01-05 08:00' -> datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


class OmsReportsCommon(OmsChannelsCommon):
    """Factories for orders with a known history (dates set through SQL, as the
    report only reads what happened and when)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer(
            "KPI Customer",
            street="1 Road",
            city="Shanghai",
            country_id=cls.env.ref("base.cn").id,
            email="kpi@example.com",
        )
        cls.category = cls.env["product.category"].create({"name": "KPI Goods"})
        cls.product_a, cls.product_b = (
            cls._create_storable(
                name,
                100.0,
                qty=1000,
                categ_id=cls.category.id,
                taxes_id=[Command.clear()],
            )
            for name in ("KPI Product A", "KPI Product B")
        )
        cls.channel_a, cls.channel_b = cls.env["oms.channel"].create(
            [
                {
                    "name": name,
                    "code": code,
                    "kind": "web_shop",
                    "connector": "manual",
                    "company_id": cls.company.id,
                }
                for name, code in (("KPI Web", "KPIWEB"), ("KPI Phone", "KPIPHONE"))
            ]
        )

    @classmethod
    def _create_past_order(
        cls, lines, created, channel=None, user=None, commitment=None
    ):
        """A draft order with ``lines`` = [(product, qty)] at 100.0 a unit,
        received at ``created``."""
        order = cls._create_order(
            lines,
            user_id=(user or cls.manager).id,
            oms_channel_id=(channel or cls.channel_a).id,
            commitment_date=commitment and dt(commitment),
        )
        order.order_line.price_unit = 100.0
        cls._set_history(order, "create_date", dt(created))
        return order

    @classmethod
    def _confirm(cls, order, confirmed=None, promised=None):
        """Confirm ``order``; with ``confirmed``, as history did at that date,
        promised to ship at ``promised`` (none: the due date is the commitment
        or the customer lead time)."""
        order.action_confirm()
        if confirmed:
            cls._set_history(order, "date_order", dt(confirmed))
            cls._set_history(order, "oms_promised_date", promised and dt(promised))
        return order

    @classmethod
    def _set_review(cls, order, reviewed=None, auto=True, touches=0):
        cls._set_history(order, "oms_reviewed_date", reviewed and dt(reviewed))
        cls._set_history(order, "oms_auto_approved", auto)
        cls._set_history(order, "oms_touch_count", touches)

    @classmethod
    def _ship_on(cls, order, quantities, when):
        """Ship ``quantities`` {product: qty} from the order's open delivery."""
        picking = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"
            and p.state not in ("done", "cancel")
        )[:1]
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, 0.0)
            move.picked = True
        picking._action_done()
        cls._set_history(picking, "date_done", dt(when))
        cls._set_history(
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
        cls._set_history(returned.move_ids, "date", dt(when))
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
