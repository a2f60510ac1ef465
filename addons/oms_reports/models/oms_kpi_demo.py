import random
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL


class OmsKpiDemo(models.AbstractModel):
    """Demo history for the dashboards (called by demo/oms_reports_demo.xml only)."""

    _name = "oms.kpi.demo"
    _description = "KPI Demo History"

    @api.model
    def _demo_build_history(self, count=60, days=60):
        """Create ``count`` orders spread over the last ``days`` days with a
        realistic handling history: on time, late, partial, returned, cancelled,
        touched, on hold. Dates are written in SQL as history would have."""
        rng = random.Random(42)
        company = self.env.company
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        channels = self.env["oms.channel"].search([("company_id", "=", company.id)])
        china = self.env.ref("base.cn")
        customers = self.env["res.partner"].create(
            [
                {
                    "name": name,
                    "city": city,
                    "country_id": china.id,
                    "is_company": True,
                    "street": "演示路 1 号",
                    "email": f"kpi.demo{index}@example.com",
                    "oms_tier": tier,
                }
                for index, (name, city, tier) in enumerate(
                    (
                        ("上海演示贸易有限公司", "上海", "vip"),
                        ("北京演示商贸", "北京", "key"),
                        ("广州演示百货", "广州", "normal"),
                        ("成都演示零售", "成都", "normal"),
                        ("杭州演示电商", "杭州", "key"),
                    )
                )
            ]
        )
        products = self.env["product.product"].create(
            [
                {
                    "name": name,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": price,
                }
                for name, price in (
                    ("KPI 演示 台灯", 89.0),
                    ("KPI 演示 水杯", 25.0),
                    ("KPI 演示 背包", 199.0),
                )
            ]
        )
        for product in products:
            self.env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 10000
            )
        reasons = self.env["oms.cancel.reason"].search([])
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        for index in range(count):
            created = now - timedelta(
                days=days * (count - index) / count, hours=rng.randint(0, 8)
            )
            kind = index % 10
            lines = rng.sample(products.ids, rng.randint(1, 2))
            order = self.env["sale.order"].create(
                {
                    "partner_id": rng.choice(customers.ids),
                    "oms_channel_id": channels and rng.choice(channels.ids),
                    "warehouse_id": warehouse.id,
                    "commitment_date": created + timedelta(days=3),
                    "order_line": [
                        Command.create(
                            {"product_id": pid, "product_uom_qty": rng.randint(1, 4)}
                        )
                        for pid in lines
                    ],
                }
            )
            self._demo_set(order, create_date=created)
            if kind == 8:
                order.with_context(disable_cancel_warning=True)._action_cancel()
                self._demo_set(
                    order, oms_cancel_reason_id=reasons and rng.choice(reasons.ids)
                )
                continue
            if kind == 9 and index > count - 20:
                order._oms_add_exception(
                    "demo_hold", "演示：等待人工审核", severity="block"
                )
                continue
            # history: these orders were approved back then
            order._oms_confirm_reviewed()
            touched = kind in (5, 9)
            if touched or index % 7 == 0:
                code = rng.choice(
                    ("stock", "address", "credit_limit", "price_floor", "stock")
                )
                order._oms_add_exception(
                    code, "演示：已人工处理的异常", severity="block"
                )
                # history: what the reviewers decided back then
                order.oms_exception_ids.sudo().write(
                    {"state": "overridden" if touched else "resolved"}
                )
            self._demo_set(
                order,
                date_order=created + timedelta(minutes=30),
                oms_reviewed_date=created + timedelta(minutes=rng.choice((5, 30, 240))),
                oms_auto_approved=not touched,
                oms_touch_count=int(touched),
            )
            if created > now - timedelta(days=2):
                continue
            shipped = created + timedelta(hours=rng.randint(6, 40) if kind != 6 else 90)
            partial = kind == 7
            picking = self._demo_ship(order, shipped, partial)
            if partial:
                self._demo_ship(order, shipped + timedelta(days=2), False)
            self._demo_set(
                order, oms_delivered_date=shipped + timedelta(hours=rng.randint(12, 30))
            )
            if index % 15 == 3:
                self._demo_return(picking, shipped + timedelta(days=3))
            elif index % 3 and not partial:
                self._demo_invoice(order, shipped, now, rng)

    @api.model
    def _demo_set(self, records, **values):
        if not records:
            return
        self.env.flush_all()
        for column, value in values.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE id IN %s",
                    SQL.identifier(records._table),
                    SQL.identifier(column),
                    value or None,
                    tuple(records.ids),
                )
            )
        records.invalidate_recordset()

    @api.model
    def _demo_ship(self, order, when, partial):
        picking = order._oms_get_customer_deliveries(include_returns=True).filtered(
            lambda p: p.state != "done"
        )[:1]
        if not picking:
            return picking
        for position, move in enumerate(picking.move_ids):
            move.quantity = move.product_uom_qty - (
                1 if partial and position == 0 else 0
            )
            move.picked = True
        picking._action_done()
        self._demo_set(picking, date_done=when)
        self._demo_set(
            picking.move_ids.filtered(lambda m: m.state == "done"), date=when
        )
        return picking

    @api.model
    def _demo_invoice(self, order, shipped, now, rng):
        invoice = order._create_invoices()
        invoice.invoice_date = shipped.date()
        invoice.action_post()
        paid = shipped + timedelta(days=rng.randint(3, 20))
        if paid < now:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": paid.date()})._create_payments()

    @api.model
    def _demo_return(self, picking, when):
        if not picking:
            return
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({"picking_id": picking.id})
        )
        for line in wizard.product_return_moves:
            line.quantity = 1
        returned = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        returned._action_done()
        self._demo_set(returned.move_ids, date=when)
