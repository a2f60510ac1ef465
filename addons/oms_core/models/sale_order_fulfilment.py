from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

OMS_INVOICE_POLICY = [
    ("manual", "Manual (Odoo default)"),
    ("order", "On order (prepaid)"),
    ("delivery", "On delivery"),
    ("periodic", "Periodic (consolidated)"),
]
OMS_PAYMENT_POLICY = [
    ("terms", "Payment terms"),
    ("prepaid", "Prepaid"),
    ("cod", "Cash on delivery"),
]
OMS_PAYMENT_STATE = [
    ("not_invoiced", "Not invoiced"),
    ("not_paid", "Not paid"),
    ("partial", "Partially paid"),
    ("paid", "Paid"),
]


# One file per concern: the review engine is in sale_order_review.
class SaleOrder(models.Model):
    """Fulfilment and money policies of the OMS on sales orders."""

    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    oms_invoice_policy = fields.Selection(
        OMS_INVOICE_POLICY,
        string="Invoice Policy",
        compute="_compute_oms_invoice_policy",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="On order: invoiced and posted at confirmation (prepaid). On delivery: "
        "invoiced and posted for the delivered quantities when a delivery is "
        "validated. "
        "Periodic: delivered quantities invoiced per customer by a scheduled action.",
    )
    oms_payment_policy = fields.Selection(
        OMS_PAYMENT_POLICY,
        string="Payment Policy",
        compute="_compute_oms_payment_policy",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Prepaid: not shipped before it is paid. Cash on delivery: the payment is "
        "registered when the carrier confirms the delivery.",
    )
    oms_delivered_on_time = fields.Boolean(
        string="Delivered on Time",
        compute="_compute_oms_delivered_on_time",
        store=True,
        help="Delivered no later than the commitment date, or the expected date.",
    )
    oms_backorder_ids = fields.Many2many(
        "stock.picking",
        string="Back-orders",
        compute="_compute_oms_backorder_ids",
    )
    oms_backorder_count = fields.Integer(
        string="Back-order Count", compute="_compute_oms_backorder_ids"
    )
    oms_payment_ids = fields.Many2many(
        "account.payment",
        "oms_sale_order_payment_rel",
        "order_id",
        "payment_id",
        string="Reported Payments",
        copy=False,
        readonly=True,
    )
    oms_amount_paid = fields.Monetary(
        string="Amount Paid", compute="_compute_oms_payment_state"
    )
    oms_payment_state = fields.Selection(
        OMS_PAYMENT_STATE, string="Payment Status", compute="_compute_oms_payment_state"
    )
    oms_is_paid = fields.Boolean(string="Is Paid", compute="_compute_oms_payment_state")

    # ------------------------------------------------------------------ policies

    def _oms_get_default_invoice_policy(self):
        """Hook: invoice policy of an order whose customer has none: the order
        type's, else manual (a channel addon overrides it for its channels).

        :return: a key of ``OMS_INVOICE_POLICY``
        """
        self.ensure_one()
        return self._oms_get_order_type().invoice_policy or "manual"

    def _oms_get_default_payment_policy(self):
        """Hook: payment policy of an order whose customer has none: the order
        type's, else payment terms.

        :return: a key of ``OMS_PAYMENT_POLICY``
        """
        self.ensure_one()
        return self._oms_get_order_type().payment_policy or "terms"

    @api.depends("partner_id")
    def _compute_picking_policy(self):
        """The customer's shipping policy wins over the order type's default."""
        res = super()._compute_picking_policy()
        for order in self:
            policy = order.partner_id.commercial_partner_id.oms_picking_policy
            if policy:
                order.picking_policy = policy
        return res

    @api.depends("partner_id", "oms_order_type")
    def _compute_oms_invoice_policy(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id
            order.oms_invoice_policy = (
                partner.oms_invoice_policy or order._oms_get_default_invoice_policy()
            )

    @api.depends("partner_id", "oms_order_type")
    def _compute_oms_payment_policy(self):
        for order in self:
            partner = order.partner_id.commercial_partner_id
            order.oms_payment_policy = (
                partner.oms_payment_policy or order._oms_get_default_payment_policy()
            )

    # ------------------------------------------------------------------ delivery

    @api.depends("oms_delivered_date", "commitment_date", "expected_date")
    def _compute_oms_delivered_on_time(self):
        for order in self:
            promised = order.commitment_date or order.expected_date
            order.oms_delivered_on_time = bool(
                order.oms_delivered_date
                and (not promised or order.oms_delivered_date <= promised)
            )

    @api.depends("picking_ids.backorder_id", "picking_ids.state")
    def _compute_oms_backorder_ids(self):
        for order in self:
            backorders = order.picking_ids.filtered(
                lambda p: p.backorder_id and p.state not in ("done", "cancel")
            )
            order.oms_backorder_ids = backorders
            order.oms_backorder_count = len(backorders)

    def action_oms_view_backorders(self):
        """Open the open back-orders of the order."""
        self.ensure_one()
        return self.oms_backorder_ids._get_records_action(
            name=self.env._("Back-orders")
        )

    def _oms_update_delivered_date(self):
        """Set the order's delivered date once every delivery reached the customer."""
        for order in self:
            deliveries = order.picking_ids.filtered(
                lambda p: (
                    p.picking_type_code == "outgoing"
                    and p.state != "cancel"
                    and not p.return_id
                )
            )
            pending = any(
                float_compare(
                    line.qty_delivered,
                    line.product_uom_qty,
                    precision_rounding=line.product_uom.rounding,
                )
                < 0
                for line in order.order_line
                if line.product_id.type == "consu" and not line.display_type
            )
            dates = deliveries.mapped("oms_delivered_date")
            if deliveries and all(dates) and not pending:
                order.oms_delivered_date = max(dates)
            else:
                order.oms_delivered_date = False

    # ------------------------------------------------------------------ confirm

    def _action_confirm(self):
        """Reserve stock at approval and invoice prepaid orders (extends sale_stock)."""
        result = super()._action_confirm()
        self._oms_reserve_stock()
        self.filtered(lambda o: o.oms_invoice_policy == "order")._oms_invoice_and_post()
        return result

    def _oms_reserve_stock(self):
        """Hook: reserve the deliveries of the orders now (冻结库存), whatever the
        reservation method of the operation type, by priority then order date."""
        pickings = self.picking_ids.filtered(
            lambda p: (
                p.state in ("confirmed", "waiting")
                and p.picking_type_code == "outgoing"
            )
        )
        if pickings:
            pickings.move_ids._oms_sorted_for_reservation()._action_assign()
        self._oms_replenish_from_other_warehouse()

    def _oms_replenish_from_other_warehouse(self):
        """Hook: when the order's warehouse lacks stock and another warehouse of the
        company has it, propose (activity) or create an inter-warehouse transfer,
        as set on the warehouse."""
        for order in self:
            warehouse = order.warehouse_id
            if warehouse.oms_interwarehouse_policy in (False, "none"):
                continue
            moves = order.picking_ids.move_ids.filtered(
                lambda m: (
                    m.state in ("confirmed", "partially_available")
                    and m.picking_code == "outgoing"
                    and m.product_id.is_storable
                )
            )
            for move in moves:
                product = move.product_id
                missing = move.product_uom._compute_quantity(
                    move.product_uom_qty - move.quantity, product.uom_id
                )
                source = warehouse._oms_find_source_warehouse(product, missing)
                if not source:
                    continue
                if warehouse.oms_interwarehouse_policy == "transfer":
                    transfer = warehouse._oms_create_interwarehouse_transfer(
                        source, product, missing, order.name
                    )
                    order.message_post(
                        body=self.env._(
                            "Transfer %(transfer)s brings %(qty)s %(product)s "
                            "from %(from_wh)s.",
                            transfer=transfer.name,
                            qty=missing,
                            product=product.display_name,
                            from_wh=source.name,
                        )
                    )
                else:
                    order.activity_schedule(
                        "mail.mail_activity_data_todo",
                        summary=self.env._("Stock available in another warehouse"),
                        note=self.env._(
                            "%(from_wh)s has %(qty)s %(product)s that "
                            "%(warehouse)s lacks: "
                            "transfer it or ship from there.",
                            from_wh=source.name,
                            qty=missing,
                            product=product.display_name,
                            warehouse=warehouse.name,
                        ),
                        user_id=order.user_id.id or self.env.uid,
                    )

    # ------------------------------------------------------------------ money

    def _oms_has_invoiceable_lines(self):
        self.ensure_one()
        precision = self.env["decimal.precision"].precision_get(
            "Product Unit of Measure"
        )
        return any(
            not line.display_type
            and float_compare(line.qty_to_invoice, 0, precision_digits=precision) > 0
            for line in self.order_line
        )

    def _oms_invoice_and_post(self):
        """Create and post the invoices of what is invoiceable now under each
        order's invoice policy, and reconcile reported payments with them.

        :return: the posted invoices
        :rtype: account.move
        """
        orders = self.filtered(
            lambda o: o.state == "sale" and o._oms_has_invoiceable_lines()
        )
        if not orders:
            return self.env["account.move"]
        invoices = orders._create_invoices()
        invoices.action_post()
        orders._oms_reconcile_payments()
        return invoices

    @api.model
    def _cron_oms_periodic_invoicing(self):
        """Consolidated invoicing: one invoice per customer for the delivered,
        uninvoiced quantities of its orders under the periodic policy."""
        orders = self.search(
            [
                ("oms_invoice_policy", "=", "periodic"),
                ("state", "=", "sale"),
                ("invoice_status", "=", "to invoice"),
            ]
        )
        return orders._oms_invoice_and_post()

    @api.depends(
        "invoice_ids.state",
        "invoice_ids.payment_state",
        "invoice_ids.amount_residual",
        "oms_payment_ids.state",
        "amount_total",
    )
    def _compute_oms_payment_state(self):
        for order in self:
            invoices = order.invoice_ids.filtered(lambda m: m.state == "posted")
            paid = 0.0
            for invoice in invoices:
                sign = -1 if invoice.move_type == "out_refund" else 1
                if invoice.payment_state in ("paid", "in_payment", "reversed"):
                    paid += sign * invoice.amount_total
                else:
                    paid += sign * (invoice.amount_total - invoice.amount_residual)
            advances = order._oms_get_advance_payments()
            paid += sum(advances.mapped("amount"))
            order.oms_amount_paid = paid
            currency = order.currency_id
            order.oms_is_paid = (
                bool(order.amount_total)
                and currency.compare_amounts(paid, order.amount_total) >= 0
            )
            if order.oms_is_paid:
                order.oms_payment_state = "paid"
            elif not invoices and not advances:
                order.oms_payment_state = "not_invoiced"
            elif currency.is_zero(paid):
                order.oms_payment_state = "not_paid"
            else:
                order.oms_payment_state = "partial"

    def _oms_get_advance_payments(self):
        """Reported payments not yet matched with an invoice."""
        return self.oms_payment_ids.filtered(
            lambda p: (
                p.state not in ("draft", "canceled")
                and not p.reconciled_invoice_ids
                and not p.invoice_ids
            )
        )

    def _oms_get_paid_amount(self):
        """Also count what the channel reported paid before the order was invoiced
        (extends the review's payment check)."""
        advances = (
            self.sudo()._oms_get_advance_payments()
        )  # accounting data the review needs
        return super()._oms_get_paid_amount() + sum(advances.mapped("amount"))

    def _oms_get_open_invoices(self):
        return self.invoice_ids.filtered(
            lambda m: (
                m.state == "posted"
                and m.move_type == "out_invoice"
                and m.payment_state in ("not_paid", "partial")
            )
        )

    def _oms_register_external_payment(self, journal, amount, date=None, ref=None):
        """Register a payment that a channel (or a carrier, for cash on delivery)
        reports for this order, and reconcile it with the order's invoices.

        A prepaid order is invoiced first when its policy allows; a payment that
        arrives before there is any invoice is kept on the order and reconciled
        when the invoice is posted.

        :param journal: ``account.journal`` (bank or cash) receiving the money
        :param float amount: amount received, in the journal's currency
        :param date: payment date (default: today)
        :param str ref: the channel's payment reference (memo)
        :return: the posted payment
        :rtype: account.payment
        """
        self.ensure_one()
        if float_is_zero(amount, precision_rounding=self.currency_id.rounding):
            raise UserError(self.env._("The payment amount must not be zero."))
        if self.state == "sale" and not self._oms_get_open_invoices():
            self.filtered(
                lambda o: o.oms_invoice_policy == "order"
            )._oms_invoice_and_post()
        payment = self.env["account.payment"].create(
            self._prepare_oms_payment_vals(journal, amount, date=date, ref=ref)
        )
        payment.action_post()
        self.oms_payment_ids = [Command.link(payment.id)]
        self._oms_reconcile_payments()
        self.message_post(
            body=self.env._(
                "Payment of %(amount)s registered on %(journal)s (reference %(ref)s).",
                amount=amount,
                journal=journal.display_name,
                ref=ref or "-",
            )
        )
        return payment

    def _prepare_oms_payment_vals(self, journal, amount, date=None, ref=None):
        """Hook: values of the payment of ``_oms_register_external_payment``."""
        self.ensure_one()
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.partner_invoice_id.commercial_partner_id.id,
            "amount": amount,
            "currency_id": (journal.currency_id or journal.company_id.currency_id).id,
            "journal_id": journal.id,
            "date": date or fields.Date.context_today(self),
            "memo": ref or self.name,
            "company_id": self.company_id.id,
        }

    def _oms_reconcile_payments(self):
        """Reconcile the payments reported on the orders with their open invoices."""
        for order in self:
            invoices = order._oms_get_open_invoices()
            payments = order.oms_payment_ids.filtered(
                lambda p: (
                    p.state in ("in_process", "paid")
                    and not p.is_reconciled
                    and not p.invoice_ids
                )
            )
            if not invoices or not payments:
                continue
            for payment in payments:
                if payment.move_id:
                    lines = (payment.move_id.line_ids + invoices.line_ids).filtered(
                        lambda ln: (
                            ln.account_type == "asset_receivable" and not ln.reconciled
                        )
                    )
                    lines.reconcile()
                else:
                    payment.invoice_ids = [Command.link(inv.id) for inv in invoices]

    # Returns (退换货) requested from a delivered order.
    oms_return_ids = fields.One2many("oms.return", "order_id", string="Returns")
    oms_return_count = fields.Integer(
        string="Return Count", compute="_compute_oms_return_count"
    )

    @api.depends("oms_return_ids")
    def _compute_oms_return_count(self):
        for order in self:
            order.oms_return_count = len(order.oms_return_ids)

    def _prepare_oms_return_line_vals(self):
        """Hook: proposed return lines: every delivered move of the order."""
        self.ensure_one()
        reason = self.env["oms.return.reason"].search(
            [("company_id", "in", [self.company_id.id, False])], limit=1
        )
        vals_list = []
        for move in self.order_line.move_ids.filtered(
            lambda m: (
                m.state == "done"
                and m.picking_code == "outgoing"
                and not m.origin_returned_move_id
            )
        ):
            vals_list.append(
                {
                    "product_id": move.product_id.id,
                    "quantity": move.quantity,
                    "sale_line_id": move.sale_line_id.id,
                    "move_id": move.id,
                    "reason_id": reason.id,
                }
            )
        return vals_list

    def action_oms_create_return(self):
        """Button: open a new return request for this delivered order."""
        self.ensure_one()
        if not self.order_line.move_ids.filtered(
            lambda m: m.state == "done" and m.picking_code == "outgoing"
        ):
            raise UserError(self.env._("Nothing has been delivered on this order yet."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return"),
            "res_model": "oms.return",
            "view_mode": "form",
            "context": {"default_order_id": self.id},
        }

    def action_oms_view_returns(self):
        self.ensure_one()
        return self.oms_return_ids._get_records_action(name=self.env._("Returns"))


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.depends("order_id.oms_invoice_policy")
    def _compute_qty_to_invoice(self):
        """The order's OMS invoice policy overrides the product's: on order invoices
        the ordered quantity, on delivery and periodic the delivered goods."""
        res = super()._compute_qty_to_invoice()
        for line in self:
            policy = line.order_id.oms_invoice_policy
            if line.state != "sale" or line.display_type or policy in (False, "manual"):
                continue
            if policy == "order":
                line.qty_to_invoice = line.product_uom_qty - line.qty_invoiced
            elif line.product_id.type == "consu":
                line.qty_to_invoice = line.qty_delivered - line.qty_invoiced
        return res
