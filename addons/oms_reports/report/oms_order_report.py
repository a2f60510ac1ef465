from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

from odoo.addons.oms_core.models.oms_order_type import OMS_ORDER_TYPES
from odoo.addons.oms_core.models.res_partner import OMS_TIERS
from odoo.addons.oms_core.models.sale_order import OMS_PRIORITIES, OMS_STAGES

# exception codes with their own column; other codes count in exception_other_count
OMS_REPORT_EXCEPTION_CODES = (
    "credit_limit",
    "stock",
    "address",
    "price_floor",
    "discount_limit",
    "amount_threshold",
    "duplicate",
    "payment",
    "new_customer",
)
OMS_REPORT_STATES = [
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
]

# tolerance when comparing quantities and amounts in SQL
QTY_EPSILON = 0.0001
AMOUNT_EPSILON = 0.005


def _hours(end, start):
    """SQL of the hours between two timestamp expressions (trusted SQL text)."""
    return SQL("EXTRACT(EPOCH FROM (%s - %s)) / 3600.0", SQL(end), SQL(start))


class OmsOrderReport(models.Model):
    """One row per sales order with its whole handling history (SQL view).

    Built from overridable parts: ``_with_oms`` (the per-order aggregates),
    ``_select_oms``, ``_from_oms``, ``_where_oms`` and ``_group_by_oms``.
    The 0/1 ``*_count`` measures make every KPI a ratio of two sums, so pivots,
    spreadsheets and `oms.kpi` agree (definitions in the readme).
    """

    _name = "oms.order.report"
    _description = "Order Management Analysis"
    _auto = False
    _rec_name = "name"
    _order = "date_ordered desc"

    name = fields.Char("Order Reference", readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    # dates
    date_ordered = fields.Datetime("Ordered On", readonly=True)
    date_reviewed = fields.Datetime("Reviewed On", readonly=True)
    date_confirmed = fields.Datetime("Confirmed On", readonly=True)
    date_promised = fields.Datetime("Promised For", readonly=True)
    date_first_shipment = fields.Datetime("First Shipment On", readonly=True)
    date_fully_shipped = fields.Datetime("Fully Shipped On", readonly=True)
    date_delivered = fields.Datetime("Delivered On", readonly=True)
    date_completed = fields.Datetime("Completed On", readonly=True)
    date_invoiced = fields.Date("Invoiced On", readonly=True)
    date_paid = fields.Date("Paid On", readonly=True)
    # dimensions
    channel_id = fields.Many2one("oms.channel", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    commercial_partner_id = fields.Many2one(
        "res.partner", "Customer Company", readonly=True
    )
    partner_tier = fields.Selection(OMS_TIERS, "Customer Tier", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", readonly=True)
    city = fields.Char(readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    order_type = fields.Selection(OMS_ORDER_TYPES, readonly=True)
    priority = fields.Selection(OMS_PRIORITIES, readonly=True)
    stage = fields.Selection(OMS_STAGES, readonly=True)
    state = fields.Selection(OMS_REPORT_STATES, "Status", readonly=True)
    cancel_reason_id = fields.Many2one(
        "oms.cancel.reason", "Cancellation Reason", readonly=True
    )
    is_auto_approved = fields.Boolean("Auto-approved", readonly=True)
    # amounts (company currency)
    amount_untaxed = fields.Monetary("Untaxed Amount", readonly=True)
    amount_total = fields.Monetary("Total", readonly=True)
    amount_invoiced = fields.Monetary("Invoiced", readonly=True)
    # quantities
    qty_ordered = fields.Float(readonly=True)
    qty_first_shipment = fields.Float("Qty in First Shipment", readonly=True)
    qty_delivered = fields.Float(readonly=True)
    qty_returned = fields.Float(readonly=True)
    line_count = fields.Integer("Lines to Deliver", readonly=True)
    line_filled_count = fields.Integer(
        "Lines Complete at First Shipment", readonly=True
    )
    delivery_count = fields.Integer("Deliveries", readonly=True)
    touch_count = fields.Integer("Touches", readonly=True)
    # exceptions
    exception_count = fields.Integer("Exceptions", readonly=True)
    exception_open_count = fields.Integer("Open Exceptions", readonly=True)
    exception_overridden_count = fields.Integer("Overridden Exceptions", readonly=True)
    exception_credit_limit_count = fields.Integer(
        "Credit Limit Exceptions", readonly=True
    )
    exception_stock_count = fields.Integer("Stock Exceptions", readonly=True)
    exception_address_count = fields.Integer("Address Exceptions", readonly=True)
    exception_price_count = fields.Integer(
        "Price and Discount Exceptions", readonly=True
    )
    exception_amount_count = fields.Integer("Amount Exceptions", readonly=True)
    exception_duplicate_count = fields.Integer("Duplicate Exceptions", readonly=True)
    exception_payment_count = fields.Integer("Payment Exceptions", readonly=True)
    exception_customer_count = fields.Integer("New Customer Exceptions", readonly=True)
    exception_other_count = fields.Integer("Other Exceptions", readonly=True)
    # 0/1 measures: KPI = sum(numerator) / sum(denominator)
    order_count = fields.Integer("Orders", readonly=True, aggregator="sum")
    confirmed_count = fields.Integer("Confirmed Orders", readonly=True)
    cancelled_count = fields.Integer("Cancelled Orders", readonly=True)
    shipped_count = fields.Integer("Shipped Orders", readonly=True)
    completed_count = fields.Integer("Completed Orders", readonly=True)
    on_time_count = fields.Integer("On-time Orders", readonly=True)
    late_count = fields.Integer("Late Orders", readonly=True)
    perfect_count = fields.Integer("Perfect Orders", readonly=True)
    touchless_count = fields.Integer("Touchless Orders", readonly=True)
    touched_count = fields.Integer("Orders with Manual Intervention", readonly=True)
    exception_order_count = fields.Integer("Orders with Exceptions", readonly=True)
    backorder_count = fields.Integer("Back-ordered Orders", readonly=True)
    returned_count = fields.Integer("Orders with Returns", readonly=True)
    # durations in hours (averaged)
    review_time_h = fields.Float("Review Time (h)", readonly=True, aggregator="avg")
    order_to_ship_h = fields.Float("Order to Ship (h)", readonly=True, aggregator="avg")
    cycle_time_h = fields.Float(
        "Order to Delivery (h)", readonly=True, aggregator="avg"
    )
    invoice_to_pay_h = fields.Float(
        "Invoice to Payment (h)", readonly=True, aggregator="avg"
    )
    late_h = fields.Float("Delay (h)", readonly=True, aggregator="max")

    # ------------------------------------------------------------------
    # Query parts (hooks)
    # ------------------------------------------------------------------
    @api.model
    def _with_oms(self):
        """Hook: the per-order aggregates (CTEs) joined by ``_from_oms``.

        :return: the ``WITH`` list, without the keyword
        :rtype: SQL
        """
        return SQL(
            """
            oms_line AS (
                SELECT sol.id, sol.order_id, sol.product_uom_qty
                  FROM sale_order_line sol
                  %(scope_line)s
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE sol.display_type IS NULL AND pt.type = 'consu'
            ),
            oms_move AS (
                SELECT line.order_id, sm.sale_line_id, sm.picking_id, sm.date,
                       dst.usage = 'customer' AS is_out, sm.quantity
                  FROM stock_move sm
                  JOIN oms_line line ON line.id = sm.sale_line_id
                  JOIN stock_location src ON src.id = sm.location_id
                  JOIN stock_location dst ON dst.id = sm.location_dest_id
                 WHERE sm.state = 'done'
                   AND (src.usage = 'customer') <> (dst.usage = 'customer')
            ),
            oms_ship AS (
                SELECT order_id, MIN(date) AS date_first, MAX(date) AS date_last,
                       (ARRAY_AGG(picking_id ORDER BY date, picking_id))[1]
                           AS first_picking_id,
                       COUNT(DISTINCT picking_id) AS delivery_count
                  FROM oms_move
                 WHERE is_out
                 GROUP BY order_id
            ),
            oms_pending AS (
                SELECT DISTINCT line.order_id
                  FROM stock_move sm
                  JOIN oms_line line ON line.id = sm.sale_line_id
                  JOIN stock_location dst ON dst.id = sm.location_dest_id
                 WHERE sm.state NOT IN ('done', 'cancel') AND dst.usage = 'customer'
            ),
            oms_line_qty AS (
                SELECT line.order_id, line.id, line.product_uom_qty,
                       COALESCE(SUM(mv.quantity) FILTER (
                           WHERE mv.is_out AND mv.picking_id = ship.first_picking_id
                       ), 0) AS qty_first,
                       COALESCE(SUM(mv.quantity) FILTER (WHERE mv.is_out), 0)
                           AS qty_out,
                       COALESCE(SUM(mv.quantity) FILTER (WHERE NOT mv.is_out), 0)
                           AS qty_in
                  FROM oms_line line
                  LEFT JOIN oms_ship ship ON ship.order_id = line.order_id
                  LEFT JOIN oms_move mv ON mv.sale_line_id = line.id
                 GROUP BY line.order_id, line.id, line.product_uom_qty
            ),
            oms_qty AS (
                SELECT order_id,
                       SUM(product_uom_qty) AS qty_ordered,
                       SUM(qty_first) AS qty_first,
                       SUM(qty_out) AS qty_out,
                       SUM(qty_in) AS qty_in,
                       COUNT(*) AS line_count,
                       COUNT(*) FILTER (
                           WHERE qty_first >= product_uom_qty - %(eps)s
                       ) AS line_filled_count
                  FROM oms_line_qty
                 GROUP BY order_id
            ),
            oms_invoice AS (
                SELECT DISTINCT sol.order_id, am.id, am.move_type, am.invoice_date,
                       am.amount_total_in_currency_signed AS amount, am.payment_state
                  FROM sale_order_line_invoice_rel rel
                  JOIN sale_order_line sol ON sol.id = rel.order_line_id
                  %(scope_line)s
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                  JOIN account_move am ON am.id = aml.move_id
                 WHERE am.state = 'posted'
                   AND am.move_type IN ('out_invoice', 'out_refund')
            ),
            oms_paid AS (
                SELECT aml.move_id, MAX(apr.max_date) AS date_paid
                  FROM account_move_line aml
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 WHERE aml.move_id IN (SELECT id FROM oms_invoice)
                   AND aml.display_type = 'payment_term'
                 GROUP BY aml.move_id
            ),
            oms_money AS (
                SELECT inv.order_id,
                       MIN(inv.invoice_date) FILTER (
                           WHERE inv.move_type = 'out_invoice'
                       ) AS date_invoiced,
                       SUM(inv.amount) AS amount_invoiced,
                       COUNT(*) FILTER (WHERE inv.move_type = 'out_refund')
                           AS refund_count,
                       BOOL_AND(inv.payment_state IN ('paid', 'in_payment')) FILTER (
                           WHERE inv.move_type = 'out_invoice'
                       ) AS is_paid,
                       MAX(paid.date_paid) AS date_paid
                  FROM oms_invoice inv
                  LEFT JOIN oms_paid paid ON paid.move_id = inv.id
                 GROUP BY inv.order_id
            ),
            oms_exc AS (
                SELECT order_id,
                       COUNT(*) AS total,
                       COUNT(*) FILTER (WHERE state = 'open') AS open,
                       COUNT(*) FILTER (WHERE state = 'overridden') AS overridden,
                       COUNT(*) FILTER (WHERE code = 'credit_limit') AS credit_limit,
                       COUNT(*) FILTER (WHERE code = 'stock') AS stock,
                       COUNT(*) FILTER (WHERE code = 'address') AS address,
                       COUNT(*) FILTER (
                           WHERE code IN ('price_floor', 'discount_limit')
                       ) AS price,
                       COUNT(*) FILTER (WHERE code = 'amount_threshold') AS amount,
                       COUNT(*) FILTER (WHERE code = 'duplicate') AS duplicate,
                       COUNT(*) FILTER (WHERE code = 'payment') AS payment,
                       COUNT(*) FILTER (WHERE code = 'new_customer') AS customer,
                       COUNT(*) FILTER (WHERE code NOT IN %(known)s) AS other
                  FROM oms_exception exception
                  %(scope_exception)s
                 GROUP BY order_id
            ),
            oms_lead AS (
                SELECT order_id, MAX(customer_lead) AS lead_days
                  FROM sale_order_line sol
                  %(scope_line)s
                 WHERE sol.display_type IS NULL
                 GROUP BY order_id
            ),
            oms_flow AS (
                SELECT so.id,
                       so.create_date AS date_ordered,
                       CASE WHEN so.state = 'sale' THEN so.date_order END
                           AS date_confirmed,
                       COALESCE(
                           so.commitment_date,
                           so.date_order
                           + COALESCE(lead.lead_days, 0) * INTERVAL '1 day'
                       ) AS date_promised,
                       ship.date_first AS date_first_shipment,
                       CASE WHEN pending.order_id IS NULL THEN ship.date_last
                       END AS date_fully_shipped,
                       CASE WHEN pending.order_id IS NULL AND ship.date_last IS NOT NULL
                            THEN GREATEST(ship.date_last, so.oms_delivered_date)
                       END AS date_completed,
                       ship.delivery_count
                  FROM sale_order so
                  LEFT JOIN oms_lead lead ON lead.order_id = so.id
                  LEFT JOIN oms_ship ship ON ship.order_id = so.id
                  LEFT JOIN oms_pending pending ON pending.order_id = so.id
                 WHERE %(scope_order)s
            )
            """,
            eps=QTY_EPSILON,
            known=OMS_REPORT_EXCEPTION_CODES,
            **self._get_scope_sql(),
        )

    @api.model
    def _get_scope_sql(self):
        """Restrict the aggregates to the orders received in a period, when the
        context key ``oms_report_period`` = (start, stop) is set (`oms.kpi` sets
        it): the per-order aggregates are then only computed for those orders.

        :return: SQL fragments ``scope_order``, ``scope_line``, ``scope_exception``
        :rtype: dict
        """
        period = self.env.context.get("oms_report_period")
        if not period:
            return {
                "scope_order": SQL("TRUE"),
                "scope_line": SQL(),
                "scope_exception": SQL(),
            }
        start, stop = period
        orders = SQL(
            "SELECT id FROM sale_order WHERE create_date >= %s AND create_date < %s",
            start,
            stop,
        )
        return {
            "scope_order": SQL(
                "so.create_date >= %s AND so.create_date < %s", start, stop
            ),
            "scope_line": SQL("JOIN (%s) scope ON scope.id = sol.order_id", orders),
            "scope_exception": SQL(
                "JOIN (%s) scope ON scope.id = exception.order_id", orders
            ),
        }

    @api.model
    def _select_oms(self):
        """Hook: the columns of the view.

        :rtype: SQL
        """
        rate = SQL(
            "CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0"
            " ELSE so.currency_rate END"
        )
        confirmed = SQL("so.state = 'sale'")
        filled = SQL(
            "COALESCE(qty.line_filled_count, 0) >= COALESCE(qty.line_count, 0)"
        )
        on_time = SQL("flow.date_completed <= flow.date_promised")
        late = SQL(
            "(flow.date_completed > flow.date_promised"
            " OR (flow.date_completed IS NULL"
            " AND flow.date_promised < NOW() AT TIME ZONE 'UTC'))"
        )
        invoice_right = SQL(
            "(COALESCE(money.refund_count, 0) = 0"
            " AND ABS(COALESCE(money.amount_invoiced, 0) - so.amount_total) < %s)",
            AMOUNT_EPSILON,
        )
        touchless = SQL(
            "(so.oms_auto_approved AND COALESCE(so.oms_touch_count, 0) = 0)"
        )
        return SQL(
            """
            so.id AS id,
            so.name AS name,
            so.id AS order_id,
            so.company_id AS company_id,
            company.currency_id AS currency_id,
            flow.date_ordered AS date_ordered,
            so.oms_reviewed_date AS date_reviewed,
            flow.date_confirmed AS date_confirmed,
            flow.date_promised AS date_promised,
            flow.date_first_shipment AS date_first_shipment,
            flow.date_fully_shipped AS date_fully_shipped,
            so.oms_delivered_date AS date_delivered,
            flow.date_completed AS date_completed,
            money.date_invoiced AS date_invoiced,
            CASE WHEN money.is_paid THEN money.date_paid END AS date_paid,
            so.oms_channel_id AS channel_id,
            so.team_id AS team_id,
            so.user_id AS user_id,
            so.partner_id AS partner_id,
            partner.commercial_partner_id AS commercial_partner_id,
            commercial.oms_tier AS partner_tier,
            shipping.country_id AS country_id,
            shipping.state_id AS state_id,
            shipping.city AS city,
            so.warehouse_id AS warehouse_id,
            so.oms_order_type AS order_type,
            so.oms_priority AS priority,
            so.oms_stage AS stage,
            so.state AS state,
            so.oms_cancel_reason_id AS cancel_reason_id,
            COALESCE(so.oms_auto_approved, FALSE) AS is_auto_approved,
            so.amount_untaxed / %(rate)s AS amount_untaxed,
            so.amount_total / %(rate)s AS amount_total,
            COALESCE(money.amount_invoiced, 0) / %(rate)s AS amount_invoiced,
            COALESCE(qty.qty_ordered, 0) AS qty_ordered,
            COALESCE(qty.qty_first, 0) AS qty_first_shipment,
            COALESCE(qty.qty_out, 0) AS qty_delivered,
            COALESCE(qty.qty_in, 0) AS qty_returned,
            COALESCE(qty.line_count, 0) AS line_count,
            COALESCE(qty.line_filled_count, 0) AS line_filled_count,
            COALESCE(flow.delivery_count, 0) AS delivery_count,
            COALESCE(so.oms_touch_count, 0) AS touch_count,
            COALESCE(exc.total, 0) AS exception_count,
            COALESCE(exc.open, 0) AS exception_open_count,
            COALESCE(exc.overridden, 0) AS exception_overridden_count,
            COALESCE(exc.credit_limit, 0) AS exception_credit_limit_count,
            COALESCE(exc.stock, 0) AS exception_stock_count,
            COALESCE(exc.address, 0) AS exception_address_count,
            COALESCE(exc.price, 0) AS exception_price_count,
            COALESCE(exc.amount, 0) AS exception_amount_count,
            COALESCE(exc.duplicate, 0) AS exception_duplicate_count,
            COALESCE(exc.payment, 0) AS exception_payment_count,
            COALESCE(exc.customer, 0) AS exception_customer_count,
            COALESCE(exc.other, 0) AS exception_other_count,
            1 AS order_count,
            (%(confirmed)s)::int AS confirmed_count,
            (so.state = 'cancel')::int AS cancelled_count,
            (%(confirmed)s AND flow.date_first_shipment IS NOT NULL)::int
                AS shipped_count,
            (%(confirmed)s AND flow.date_completed IS NOT NULL)::int AS completed_count,
            COALESCE(%(confirmed)s AND %(on_time)s, FALSE)::int AS on_time_count,
            COALESCE(%(confirmed)s AND %(late)s, FALSE)::int AS late_count,
            COALESCE(
                %(confirmed)s AND %(on_time)s AND %(filled)s
                AND COALESCE(qty.qty_in, 0) = 0
                AND COALESCE(so.oms_touch_count, 0) = 0
                AND %(invoice_right)s,
                FALSE
            )::int AS perfect_count,
            (%(confirmed)s AND %(touchless)s)::int AS touchless_count,
            (COALESCE(so.oms_touch_count, 0) > 0)::int AS touched_count,
            (COALESCE(exc.total, 0) > 0)::int AS exception_order_count,
            (%(confirmed)s AND flow.date_first_shipment IS NOT NULL
                AND NOT %(filled)s)::int AS backorder_count,
            (%(confirmed)s AND COALESCE(qty.qty_in, 0) > 0)::int AS returned_count,
            %(review_h)s AS review_time_h,
            %(ship_h)s AS order_to_ship_h,
            %(cycle_h)s AS cycle_time_h,
            (money.date_paid - money.date_invoiced) * 24.0 AS invoice_to_pay_h,
            CASE WHEN %(confirmed)s AND %(late)s THEN %(late_h)s END AS late_h
            """,
            rate=rate,
            confirmed=confirmed,
            filled=filled,
            on_time=on_time,
            late=late,
            invoice_right=invoice_right,
            touchless=touchless,
            review_h=_hours("so.oms_reviewed_date", "flow.date_ordered"),
            ship_h=_hours("flow.date_first_shipment", "flow.date_ordered"),
            cycle_h=_hours("flow.date_completed", "flow.date_ordered"),
            late_h=_hours(
                "COALESCE(flow.date_completed, NOW() AT TIME ZONE 'UTC')",
                "flow.date_promised",
            ),
        )

    @api.model
    def _from_oms(self):
        """Hook: the joined tables.

        :rtype: SQL
        """
        return SQL(
            """
            sale_order so
            JOIN oms_flow flow ON flow.id = so.id
            JOIN res_company company ON company.id = so.company_id
            JOIN res_partner partner ON partner.id = so.partner_id
            JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
            LEFT JOIN res_partner shipping ON shipping.id = so.partner_shipping_id
            LEFT JOIN oms_qty qty ON qty.order_id = so.id
            LEFT JOIN oms_money money ON money.order_id = so.id
            LEFT JOIN oms_exc exc ON exc.order_id = so.id
            """
        )

    @api.model
    def _where_oms(self):
        """Hook: which orders get a row (not quotations never sent for review).

        :rtype: SQL
        """
        return SQL("so.state IN ('draft', 'sent', 'sale', 'cancel')")

    @api.model
    def _group_by_oms(self):
        """Hook: GROUP BY of the view; empty as rows are one per order.

        :rtype: SQL
        """
        return SQL()

    @api.model
    def _query(self):
        group_by = self._group_by_oms()
        return SQL(
            "WITH %s SELECT %s FROM %s WHERE %s%s",
            self._with_oms(),
            self._select_oms(),
            self._from_oms(),
            self._where_oms(),
            SQL(" GROUP BY %s", group_by) if group_by.code else SQL(),
        )

    @property
    def _table_query(self):
        return self._query()

    def init(self):
        """Indexes for the period filter and the per-order aggregates."""
        res = super().init()
        cr = self.env.cr
        create_index(
            cr, "sale_order_oms_report_create_date_idx", "sale_order", ["create_date"]
        )
        create_index(
            cr,
            "oms_exception_oms_report_order_code_idx",
            "oms_exception",
            ["order_id", "code"],
        )
        return res

    def action_open_order(self):
        """Drill down from a report row to its order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "view_mode": "form",
            "res_id": self.order_id.id,
        }
