import math
from datetime import datetime, time, timedelta
from statistics import NormalDist

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

OMS_SERVICE_LEVELS = [
    ("0.90", "90 %"),
    ("0.95", "95 %"),
    ("0.975", "97.5 %"),
    ("0.99", "99 %"),
]


def replenishment_levels(
    daily_sum, daily_sum_squares, days, lead_days, service_level, review_days
):
    """Min/max of a reorder rule from a demand history (plain Python).

    :param daily_sum: total demand over the history
    :param daily_sum_squares: sum of the squared daily demands
    :param days: length of the history in days (days without demand count as 0)
    :param lead_days: replenishment lead time in days
    :param service_level: probability of no stock-out during the lead time
    :param review_days: days of demand ordered on top of the minimum
    :return: (average daily demand, standard deviation, safety stock, min, max)
    """
    average = daily_sum / days
    variance = (
        (daily_sum_squares - days * average * average) / (days - 1) if days > 1 else 0.0
    )
    deviation = math.sqrt(max(variance, 0.0))
    z = NormalDist().inv_cdf(service_level)
    safety = z * deviation * math.sqrt(lead_days)
    minimum = average * lead_days + safety
    return average, deviation, safety, minimum, minimum + average * review_days


class OmsReplenishmentSuggest(models.TransientModel):
    """Suggest reordering rules from the order history of a warehouse.

    Also home of the stock figures (``_get_low_stock``,
    ``_get_inventory_turnover``) that the KPIs and the alerts read.
    """

    _name = "oms.replenishment.suggest"
    _description = "Replenishment Suggestions"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        check_company=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
    )
    history_days = fields.Integer("History (days)", default=90, required=True)
    service_level = fields.Selection(OMS_SERVICE_LEVELS, default="0.95", required=True)
    default_lead_days = fields.Float(
        "Lead Time (days)",
        default=7.0,
        help="Used for products without a vendor lead time.",
    )
    review_days = fields.Float(
        "Order Cycle (days)", default=14.0, help="Days of demand between two orders."
    )
    line_ids = fields.One2many("oms.replenishment.suggest.line", "wizard_id")

    # ------------------------------------------------------------------
    # Stock figures (also read by the KPIs and the alerts)
    # ------------------------------------------------------------------
    @api.model
    def _get_low_stock(self, company, warehouse=None):
        """Storable products whose confirmed, undelivered orders need more than
        the quantity on hand (in the warehouse, else the company).

        :return: {product_id: (open_qty, on_hand_qty)} in the product's unit
        :rtype: dict
        """
        self.env.flush_all()
        order_filter = SQL("TRUE")
        stock_filter = SQL("TRUE")
        if warehouse:
            order_filter = SQL("so.warehouse_id = %s", warehouse.id)
            stock_filter = SQL(
                "loc.parent_path LIKE %s", f"{warehouse.view_location_id.parent_path}%"
            )
        self.env.cr.execute(
            SQL(
                """
                WITH demand AS (
                    SELECT sol.product_id,
                           SUM((sol.product_uom_qty - sol.qty_delivered)
                               / line_uom.factor * product_uom.factor) AS qty
                      FROM sale_order_line sol
                      JOIN sale_order so ON so.id = sol.order_id
                      JOIN product_product pp ON pp.id = sol.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      JOIN uom_uom line_uom ON line_uom.id = sol.product_uom
                      JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                     WHERE so.state = 'sale' AND so.company_id = %(company)s
                       AND pt.is_storable AND sol.product_uom_qty > sol.qty_delivered
                       AND %(order_filter)s
                     GROUP BY sol.product_id
                ), stock AS (
                    SELECT q.product_id, SUM(q.quantity) AS qty
                      FROM stock_quant q
                      JOIN stock_location loc ON loc.id = q.location_id
                     WHERE loc.usage = 'internal' AND q.company_id = %(company)s
                       AND q.product_id IN (SELECT product_id FROM demand)
                       AND %(stock_filter)s
                     GROUP BY q.product_id
                )
                SELECT demand.product_id, demand.qty, COALESCE(stock.qty, 0)
                  FROM demand LEFT JOIN stock ON stock.product_id = demand.product_id
                 WHERE COALESCE(stock.qty, 0) < demand.qty
                """,
                company=company.id,
                order_filter=order_filter,
                stock_filter=stock_filter,
            )
        )
        return {
            product_id: (open_qty, on_hand)
            for product_id, open_qty, on_hand in self.env.cr.fetchall()
        }

    @api.model
    def _get_inventory_turnover(self, date_from, date_to, company_ids):
        """Inventory turnover per product category over the period, in units:
        quantity delivered to customers / average on-hand quantity, where the
        on-hand quantity at the start and at the end of the period is rebuilt
        from today's stock and the moves done since.

        :return: [{categ_id, name, shipped_qty, average_stock, turnover}]
        """
        start = datetime.combine(date_from, time.min)
        stop = datetime.combine(date_to + timedelta(days=1), time.min)
        self.env.cr.execute(
            SQL(
                """
                WITH moves AS (
                    SELECT pt.categ_id, sm.date, sm.product_qty,
                           (src.usage = 'internal')::int - (dst.usage = 'internal')::int
                               AS sign_out,
                           dst.usage = 'customer' AND src.usage = 'internal' AS is_sale
                      FROM stock_move sm
                      JOIN stock_location src ON src.id = sm.location_id
                      JOIN stock_location dst ON dst.id = sm.location_dest_id
                      JOIN product_product pp ON pp.id = sm.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                     WHERE sm.state = 'done' AND sm.company_id IN %(companies)s
                       AND sm.date >= %(start)s
                       AND (src.usage = 'internal') <> (dst.usage = 'internal')
                ), flows AS (
                    SELECT categ_id,
                           SUM(product_qty) FILTER (WHERE is_sale AND date < %(stop)s)
                               AS shipped,
                           SUM(product_qty * sign_out) AS out_since_start,
                           SUM(product_qty * sign_out) FILTER (WHERE date >= %(stop)s)
                               AS out_since_stop
                      FROM moves GROUP BY categ_id
                ), stock AS (
                    SELECT pt.categ_id, SUM(q.quantity) AS qty
                      FROM stock_quant q
                      JOIN stock_location loc ON loc.id = q.location_id
                      JOIN product_product pp ON pp.id = q.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                     WHERE loc.usage = 'internal' AND q.company_id IN %(companies)s
                     GROUP BY pt.categ_id
                )
                SELECT COALESCE(flows.categ_id, stock.categ_id),
                       COALESCE(flows.shipped, 0),
                       (2 * COALESCE(stock.qty, 0) + COALESCE(flows.out_since_start, 0)
                        + COALESCE(flows.out_since_stop, 0)) / 2.0
                  FROM flows FULL JOIN stock ON stock.categ_id = flows.categ_id
                 WHERE COALESCE(flows.shipped, 0) > 0
                 ORDER BY 1
                """,
                companies=tuple(company_ids),
                start=start,
                stop=stop,
            )
        )
        rows = self.env.cr.fetchall()
        categories = self.env["product.category"].browse([r[0] for r in rows])
        names = {categ.id: categ.display_name for categ in categories}
        return [
            {
                "categ_id": categ_id,
                "name": names.get(categ_id, ""),
                "shipped_qty": float(shipped),
                "average_stock": float(average),
                "turnover": float(shipped / average) if average > 0 else 0.0,
            }
            for categ_id, shipped, average in rows
        ]

    # ------------------------------------------------------------------
    # Suggestions
    # ------------------------------------------------------------------
    def _get_demand_history(self):
        """Hook: total and sum of squares of the daily demand per product.

        Demand = quantities of confirmed orders of the warehouse, by order day,
        in the product's unit, over the ``history_days`` before today.

        :return: {product_id: (sum, sum of squares)}
        """
        self.ensure_one()
        self.env.flush_all()
        stop = datetime.combine(fields.Date.context_today(self), time.min)
        start = stop - timedelta(days=self.history_days)
        self.env.cr.execute(
            SQL(
                """
                WITH daily AS (
                    SELECT sol.product_id, so.date_order::date AS day,
                           SUM(sol.product_uom_qty / line_uom.factor
                               * product_uom.factor) AS qty
                      FROM sale_order_line sol
                      JOIN sale_order so ON so.id = sol.order_id
                      JOIN product_product pp ON pp.id = sol.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      JOIN uom_uom line_uom ON line_uom.id = sol.product_uom
                      JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                     WHERE so.state = 'sale' AND so.warehouse_id = %s AND pt.is_storable
                       AND so.date_order >= %s AND so.date_order < %s
                     GROUP BY sol.product_id, so.date_order::date
                )
                SELECT product_id, SUM(qty), SUM(qty * qty)
                  FROM daily GROUP BY product_id
                """,
                self.warehouse_id.id,
                start,
                stop,
            )
        )
        return {pid: (total, squares) for pid, total, squares in self.env.cr.fetchall()}

    def _get_lead_days(self, product):
        """Hook: replenishment lead time of a product in days."""
        sellers = product.seller_ids.filtered(
            lambda s: not s.company_id or s.company_id == self.company_id
        )
        return sellers[:1].delay if sellers else self.default_lead_days

    def action_compute(self):
        """Fill the suggestions (and the low-stock warnings) and show them."""
        self.ensure_one()
        if self.history_days < 2:
            raise UserError(self.env._("The history must cover at least two days."))
        history = self._get_demand_history()
        low_stock = self._get_low_stock(self.company_id, self.warehouse_id)
        products = self.env["product.product"].browse(
            sorted(set(history) | set(low_stock))
        )
        orderpoints = self.env["stock.warehouse.orderpoint"].search(
            [
                ("warehouse_id", "=", self.warehouse_id.id),
                ("product_id", "in", products.ids),
            ]
        )
        by_product = {op.product_id.id: op for op in orderpoints}
        level = float(self.service_level)
        commands = [Command.clear()]
        for product in products:
            total, squares = history.get(product.id, (0.0, 0.0))
            lead = self._get_lead_days(product)
            average, deviation, safety, minimum, maximum = replenishment_levels(
                total, squares, self.history_days, lead, level, self.review_days
            )
            open_qty, on_hand = low_stock.get(product.id, (0.0, 0.0))
            orderpoint = by_product.get(product.id)
            rounding = product.uom_id.rounding
            commands.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "avg_daily_demand": average,
                        "demand_deviation": deviation,
                        "lead_days": lead,
                        "safety_stock": safety,
                        "min_qty": float_round(
                            minimum, precision_rounding=rounding, rounding_method="UP"
                        ),
                        "max_qty": float_round(
                            maximum, precision_rounding=rounding, rounding_method="UP"
                        ),
                        "orderpoint_id": orderpoint.id if orderpoint else False,
                        "is_low_stock": product.id in low_stock,
                        "open_qty": open_qty,
                        "on_hand_qty": on_hand,
                        "to_apply": bool(total),
                    }
                )
            )
        self.line_ids = commands
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_apply(self):
        """Write the selected suggestions into the warehouse's reordering rules."""
        self.ensure_one()
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        to_create = []
        for line in self.line_ids.filtered("to_apply"):
            values = {"product_min_qty": line.min_qty, "product_max_qty": line.max_qty}
            if line.orderpoint_id:
                line.orderpoint_id.write(values)
            else:
                to_create.append(
                    dict(
                        values,
                        product_id=line.product_id.id,
                        warehouse_id=self.warehouse_id.id,
                        location_id=self.warehouse_id.lot_stock_id.id,
                        company_id=self.company_id.id,
                    )
                )
        created = Orderpoint.create(to_create)
        for line, orderpoint in zip(
            self.line_ids.filtered(lambda rec: rec.to_apply and not rec.orderpoint_id),
            created,
            strict=True,
        ):
            line.orderpoint_id = orderpoint
        return {"type": "ir.actions.act_window_close"}
