from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

from odoo.addons.oms_core.models.oms_order_type import OMS_ORDER_TYPES
from odoo.addons.oms_core.models.res_partner import OMS_TIERS
from odoo.addons.oms_core.models.sale_order import OMS_PRIORITIES, OMS_STAGES

OMS_REPORT_STATES = [
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
]


def _hours(end, start):
    """SQL of the hours between two timestamp expressions (trusted SQL text),
    in double precision (``EXTRACT`` would compute in slower numerics)."""
    return SQL("DATE_PART('epoch', %s - %s) / 3600.0", SQL(end), SQL(start))


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
    promised_count = fields.Integer("Delivered Orders with a Promise", readonly=True)
    promise_kept_count = fields.Integer("Promises Kept", readonly=True)
    wrong_item_count = fields.Integer(
        "Orders Returned as Wrong Item or Quantity", readonly=True
    )
    handling_cost = fields.Monetary(readonly=True)
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
        """Hook: the per-order facts (CTEs) joined by ``_from_oms``: the stored
        `oms.order.fact` rows, and the live ones of the orders whose stored row
        is stale or missing (``oms_fact``).

        :return: the ``WITH`` list, without the keyword
        :rtype: SQL
        """
        Fact = self.env["oms.order.fact"]
        return SQL(
            "%s, oms_fact AS (%s)",
            Fact._with_live_facts(Fact._get_stale_orders_sql()),
            Fact._get_facts_sql(),
        )

    @api.model
    def _select_oms(self):
        """Hook: the columns of the view. The KPIs read ``fact`` columns only,
        so that PostgreSQL drops the joins of the other columns.

        :rtype: SQL
        """
        confirmed = SQL("fact.state = 'sale'")
        late = self._get_late_sql()
        return SQL(
            """
            fact.order_id AS id,
            so.name AS name,
            fact.order_id AS order_id,
            fact.company_id AS company_id,
            company.currency_id AS currency_id,
            fact.date_ordered AS date_ordered,
            fact.date_reviewed AS date_reviewed,
            fact.date_confirmed AS date_confirmed,
            fact.date_promised AS date_promised,
            fact.date_first_shipment AS date_first_shipment,
            fact.date_fully_shipped AS date_fully_shipped,
            fact.date_delivered AS date_delivered,
            fact.date_completed AS date_completed,
            fact.date_invoiced AS date_invoiced,
            fact.date_paid AS date_paid,
            fact.channel_id AS channel_id,
            so.team_id AS team_id,
            fact.user_id AS user_id,
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
            fact.state AS state,
            fact.cancel_reason_id AS cancel_reason_id,
            fact.is_auto_approved AS is_auto_approved,
            fact.amount_untaxed AS amount_untaxed,
            fact.amount_total AS amount_total,
            fact.amount_invoiced AS amount_invoiced,
            fact.qty_ordered AS qty_ordered,
            fact.qty_first_shipment AS qty_first_shipment,
            fact.qty_delivered AS qty_delivered,
            fact.qty_returned AS qty_returned,
            fact.line_count AS line_count,
            fact.line_filled_count AS line_filled_count,
            fact.delivery_count AS delivery_count,
            fact.touch_count AS touch_count,
            fact.exception_count AS exception_count,
            fact.exception_open_count AS exception_open_count,
            fact.exception_overridden_count AS exception_overridden_count,
            fact.exception_credit_limit_count AS exception_credit_limit_count,
            fact.exception_stock_count AS exception_stock_count,
            fact.exception_address_count AS exception_address_count,
            fact.exception_price_count AS exception_price_count,
            fact.exception_amount_count AS exception_amount_count,
            fact.exception_duplicate_count AS exception_duplicate_count,
            fact.exception_payment_count AS exception_payment_count,
            fact.exception_customer_count AS exception_customer_count,
            fact.exception_other_count AS exception_other_count,
            1 AS order_count,
            fact.confirmed_count AS confirmed_count,
            fact.cancelled_count AS cancelled_count,
            fact.shipped_count AS shipped_count,
            fact.completed_count AS completed_count,
            fact.on_time_count AS on_time_count,
            %(late_count)s AS late_count,
            fact.perfect_count AS perfect_count,
            fact.touchless_count AS touchless_count,
            fact.touched_count AS touched_count,
            fact.exception_order_count AS exception_order_count,
            fact.backorder_count AS backorder_count,
            fact.returned_count AS returned_count,
            fact.review_time_h AS review_time_h,
            fact.order_to_ship_h AS order_to_ship_h,
            fact.cycle_time_h AS cycle_time_h,
            fact.invoice_to_pay_h AS invoice_to_pay_h,
            CASE WHEN %(confirmed)s AND %(late)s THEN %(late_h)s END AS late_h,
            %(promised_count)s AS promised_count,
            %(promise_kept_count)s AS promise_kept_count,
            %(wrong_item_count)s AS wrong_item_count,
            %(handling_cost)s AS handling_cost
            """,
            confirmed=confirmed,
            promised_count=self._get_promised_count_sql(),
            promise_kept_count=self._get_promise_kept_count_sql(),
            wrong_item_count=self._get_wrong_item_count_sql(),
            handling_cost=self._get_handling_cost_sql(),
            late=late,
            late_count=self._get_late_count_sql(),
            late_h=_hours(
                "COALESCE(fact.date_completed, NOW() AT TIME ZONE 'UTC')",
                "fact.date_promised",
            ),
        )

    @api.model
    def _get_late_sql(self):
        """Whether a fact row (alias ``fact``) is past its promise: completed
        after it, or still open after it (so it depends on the time of reading
        and is not stored)."""
        return SQL(
            "(fact.date_completed > fact.date_promised"
            " OR (fact.date_completed IS NULL"
            " AND fact.date_promised < NOW() AT TIME ZONE 'UTC'))"
        )

    @api.model
    def _get_late_count_sql(self):
        """``late_count`` of a fact row (alias ``fact``): confirmed and late."""
        return SQL(
            "COALESCE(fact.state = 'sale' AND %s, FALSE)::int", self._get_late_sql()
        )

    @api.model
    def _get_promised_date_sql(self):
        """The promised ship date of an order (joined as ``so``): the one place
        the promise-kept measures read the promise from, stored in the facts
        as ``date_ship_promised``. A delivery date committed to the customer
        wins, else the OMS promised ship date (as the on-time rate's due
        date).

        :rtype: SQL
        """
        return SQL("COALESCE(so.commitment_date, so.oms_promised_date)")

    @api.model
    def _get_promised_count_sql(self):
        """``promised_count`` of a fact row: delivered, with a promised date."""
        return SQL(
            "COALESCE(fact.completed_count = 1"
            " AND fact.date_ship_promised IS NOT NULL, FALSE)::int"
        )

    @api.model
    def _get_promise_kept_count_sql(self):
        """``promise_kept_count`` of a fact row: delivered, and fully shipped on
        or before its promised date."""
        return SQL(
            "COALESCE(fact.completed_count = 1"
            " AND fact.date_fully_shipped <= fact.date_ship_promised, FALSE)::int"
        )

    @api.model
    def _get_wrong_item_count_sql(self):
        """``wrong_item_count`` of a fact row: delivered, and returned (return
        not cancelled) for a reason flagged as a wrong item or quantity (an
        uncorrelated subquery: PostgreSQL hashes it once)."""
        return SQL(
            """COALESCE(fact.completed_count = 1 AND fact.order_id IN (
                   SELECT ret.order_id FROM oms_return ret
                     JOIN oms_return_line line ON line.return_id = ret.id
                     JOIN oms_return_reason reason ON reason.id = line.reason_id
                    WHERE ret.state != 'cancel' AND reason.is_wrong_item),
                   FALSE)::int"""
        )

    @api.model
    def _get_handling_cost_sql(self):
        """``handling_cost`` of a fact row (its company joined as ``company``):
        the company's cost of each step the order went through (received,
        exceptions, shipments, return) and of each manual touch (settings,
        company currency)."""
        return SQL(
            """COALESCE(company.oms_cost_per_order, 0)
               + fact.exception_count * COALESCE(company.oms_cost_per_exception, 0)
               + fact.delivery_count * COALESCE(company.oms_cost_per_shipment, 0)
               + fact.returned_count * COALESCE(company.oms_cost_per_return, 0)
               + fact.touch_count * COALESCE(company.oms_cost_per_touch, 0)"""
        )

    @api.model
    def _from_oms(self):
        """Hook: the joined tables (left joins: dropped when unused).

        :rtype: SQL
        """
        return SQL(
            """
            oms_fact fact
            LEFT JOIN sale_order so ON so.id = fact.order_id
            LEFT JOIN res_company company ON company.id = fact.company_id
            LEFT JOIN res_partner partner ON partner.id = so.partner_id
            LEFT JOIN res_partner commercial
                   ON commercial.id = partner.commercial_partner_id
            LEFT JOIN res_partner shipping ON shipping.id = so.partner_shipping_id
            """
        )

    @api.model
    def _where_oms(self):
        """Hook: which orders get a row (not quotations never sent for review).

        :rtype: SQL
        """
        return SQL("fact.state IN ('draft', 'sent', 'sale', 'cancel')")

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
