import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, formatLang

from .sale_order import OMS_MARK_APPROVING

OMS_ORDER_CHANGE_STATES = [
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("applied", "Applied"),
]
# the line fields in the order of a line of the snapshot
# (``sale.order._oms_take_snapshot``)
OMS_SNAPSHOT_LINE_FIELDS = (
    "product_id",
    "product_uom_qty",
    "product_uom",
    "price_unit",
    "discount",
)
# What was asked and what was decided: written when the request is made and by
# its actions (in superuser mode, once they checked the user), never by a
# plain write (see ``write``).
OMS_ORDER_CHANGE_GUARDED_FIELDS = {
    "order_id",
    "state",
    "user_id",
    "vals",
    "diff",
    "impact",
    "amount_before",
    "amount_after",
    "reviewer_id",
    "review_date",
}


class OmsOrderChange(models.Model):
    """A change of the reviewed facts of a confirmed order, asked by a user who
    may not change them directly (``sale.order._oms_may_change_approved``).

    The order's write holds the reviewed values back and makes this request
    instead (``_oms_request``): what would change (``diff``), its impact
    (amount, credit, stock, promised date) and the values themselves. A
    reviewer approves it (four eyes: neither the requester nor the order's
    creator or salesperson), which applies the values through the order's own
    write, re-reviewed like any change; or rejects it with a reason. The
    applied and rejected requests stay on the order, with the chatter: every
    version of the order, who asked, who decided, when.
    """

    _name = "oms.order.change"
    _description = "Order Change Request"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer")
    salesperson_id = fields.Many2one(related="order_id.user_id", string="Salesperson")
    currency_id = fields.Many2one(related="order_id.currency_id")
    state = fields.Selection(
        OMS_ORDER_CHANGE_STATES,
        required=True,
        default="to_approve",
        index=True,
        tracking=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    vals = fields.Json(
        string="Requested Values",
        readonly=True,
        help="The values of the order's write that were held back.",
    )
    diff = fields.Text(string="Changes", readonly=True)
    impact = fields.Text(readonly=True)
    amount_before = fields.Monetary(readonly=True)
    amount_after = fields.Monetary(readonly=True)
    reviewer_id = fields.Many2one("res.users", string="Decided By", readonly=True)
    review_date = fields.Datetime(string="Decided On", readonly=True)
    note = fields.Text(help="The reviewer's reason, required to reject.")

    @api.depends("order_id.name")
    def _compute_display_name(self):
        for change in self:
            change.display_name = self.env._(
                "%(order)s: change %(id)s", order=change.order_id.name, id=change.id
            )

    @api.model_create_multi
    def create(self, vals_list):
        """Requests are made by the order's write only (``_oms_request``)."""
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "A change request is made by editing the confirmed order; "
                    "it cannot be created directly."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        """Guard what was asked and decided: ``OMS_ORDER_CHANGE_GUARDED_FIELDS``
        change only through the actions (superuser mode, after their checks); a
        plain write of them, RPC included, is refused to everyone."""
        guarded = OMS_ORDER_CHANGE_GUARDED_FIELDS & set(vals)
        if guarded and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of a change request change only through its "
                    "Approve and Reject buttons.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in sorted(guarded)
                    ),
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Request
    # ------------------------------------------------------------------
    @api.model
    def _oms_request(self, orders, vals):
        """Make a change request of ``vals`` on each of ``orders``, for the
        current user, with its diff and impact, noted in the order's chatter.

        :param orders: confirmed sale.order records
        :param dict vals: the held-back values of the order's write (reviewed
            facts and ``order_line`` commands), as ``write`` takes them
        :return: the requests
        """
        # values as JSON keeps them (dates as strings, commands as lists)
        vals = json.loads(json.dumps(vals, default=str))
        requests = self.browse()
        for order in orders:
            preview = order._oms_take_snapshot()
            proposed = self._oms_apply_to_snapshot(order, preview, vals)
            entries = order._oms_compare_snapshots(preview, proposed)
            amount_after = order.amount_total + self._oms_get_amount_delta(
                order, preview, proposed
            )
            values = {
                "order_id": order.id,
                "user_id": self.env.uid,
                "vals": vals,
                "diff": "\n".join(text for _f, text, _s in entries.values()),
                "amount_before": order.amount_total,
                "amount_after": amount_after,
            }
            values["impact"] = "\n".join(
                self._oms_get_impact(order, preview, proposed, amount_after)
            )
            # sudo: a request is the record of a write the user made (see create)
            request = self.sudo().create(values)
            order.message_post(
                body=self.env._(
                    "Change requested by %(user)s, waiting for a reviewer: %(changes)s",
                    user=self.env.user.name,
                    changes=request.diff or "-",
                )
            )
            requests |= request
        return requests

    @api.model
    def _oms_apply_to_snapshot(self, order, snapshot, vals):
        """The snapshot the order would have once ``vals`` written (plain
        Python: nothing is written).

        :rtype: dict
        """
        by_field = {
            fname: key for key, fname in order._oms_get_reviewed_facts().items()
        }
        facts = dict(snapshot["facts"])
        for fname, value in vals.items():
            if fname in by_field:
                facts[by_field[fname]] = value
        lines = {key: list(line) for key, line in snapshot["lines"].items()}
        for index, command in enumerate(vals.get("order_line") or []):
            operation = command[0]
            if operation == 0:
                lines[f"new{index}"] = self._oms_new_line(order, command[2])
            elif operation == 1 and str(command[1]) in lines:
                line, values = lines[str(command[1])], command[2]
                for position, fname in enumerate(OMS_SNAPSHOT_LINE_FIELDS):
                    if fname in values:
                        line[position] = values[fname]
        return {"facts": facts, "lines": lines}

    @api.model
    def _oms_new_line(self, order, values):
        """A line to be added, as a snapshot keeps it: price from the values,
        else the pricelist's."""
        product = self.env["product.product"].browse(values.get("product_id"))
        qty = values.get("product_uom_qty", 1.0)
        price = values.get("price_unit")
        if price is None:
            price = (
                order.pricelist_id._get_product_price(product, qty)
                if order.pricelist_id
                else product.lst_price
            )
        return [
            product.id,
            qty,
            values.get("product_uom") or product.uom_id.id,
            price,
            values.get("discount", 0.0),
        ]

    @api.model
    def _oms_get_amount_delta(self, order, before, after):
        """How much the order total would change from ``before`` to ``after``:
        the lines' totals with their taxes (new lines: the product's taxes
        under the order's fiscal position).

        :rtype: float
        """
        Line = self.env["sale.order.line"]
        Product = self.env["product.product"]

        def total(key, line):
            product_id, qty, _uom, price, discount = line
            product = Product.browse(product_id)
            existing = Line.browse(int(key)) if key.isdigit() else Line
            taxes = (
                existing.tax_id
                if existing
                else (
                    order.fiscal_position_id.map_tax(
                        product.taxes_id._filter_taxes_by_company(order.company_id)
                    )
                )
            )
            unit = (price or 0.0) * (1 - (discount or 0.0) / 100.0)
            return taxes.compute_all(
                unit, order.currency_id, qty or 0.0, product, order.partner_shipping_id
            )["total_included"]

        old = sum(total(key, line) for key, line in before["lines"].items())
        new = sum(total(key, line) for key, line in after["lines"].items())
        return order.currency_id.round(new - old)

    @api.model
    def _oms_get_impact(self, order, before, after, amount_after):
        """Hook: what the change would do, one line per effect: amount, credit
        use, stock of the added quantities, and the promised date
        (``_oms_get_promised_date_impact``).

        :return: list of texts
        """
        impact = [
            self.env._(
                "Amount: %(before)s → %(after)s",
                before=formatLang(
                    self.env, order.amount_total, currency_obj=order.currency_id
                ),
                after=formatLang(
                    self.env, amount_after, currency_obj=order.currency_id
                ),
            )
        ]
        impact += self._oms_get_credit_impact(order, amount_after)
        impact += self._oms_get_stock_impact(order, before, after)
        promised = self._oms_get_promised_date_impact(order, before, after)
        if promised:
            impact.append(promised)
        return impact

    @api.model
    def _oms_get_credit_impact(self, order, amount_after):
        """The customer's credit use after the change, against the limit."""
        company = order.company_id
        # credit fields are for accountants; the request reads them for its
        # reviewer, whoever asks
        partner = (
            order.partner_id.commercial_partner_id.sudo()
            .with_company(company)
            .with_context(allowed_company_ids=[company.id])
        )
        limit = partner.credit_limit if company.account_use_credit_limit else 0.0
        if not limit:
            return []
        delta = order.currency_id._convert(
            amount_after - order.amount_total, company.currency_id, company
        )
        exposure = partner.credit + partner.credit_to_invoice
        return [
            self.env._(
                "Credit use: %(before)s → %(after)s of %(limit)s",
                before=formatLang(self.env, exposure, currency_obj=company.currency_id),
                after=formatLang(
                    self.env, exposure + delta, currency_obj=company.currency_id
                ),
                limit=formatLang(self.env, limit, currency_obj=company.currency_id),
            )
        ]

    @api.model
    def _oms_get_stock_impact(self, order, before, after):
        """Availability of the quantities the change adds, per storable
        product, in the order's warehouse."""
        warehouse = order.warehouse_id
        added = {}
        for lines, sign in ((after["lines"], 1), (before["lines"], -1)):
            for product_id, qty, *_rest in lines.values():
                added[product_id] = added.get(product_id, 0.0) + sign * (qty or 0.0)
        products = (
            self.env["product.product"]
            .browse([pid for pid, qty in added.items() if pid and qty > 0])
            .filtered("is_storable")
        )
        if not products or not warehouse:
            return []
        atp = products._oms_get_atp(warehouse)
        texts = []
        for product in products.sorted("id"):
            available = atp[product.id]
            enough = (
                float_compare(
                    added[product.id],
                    available,
                    precision_rounding=product.uom_id.rounding,
                )
                <= 0
            )
            texts.append(
                self.env._(
                    "%(product)s: %(qty)s more, %(available)s available to "
                    "promise (%(verdict)s)",
                    product=product.display_name,
                    qty=added[product.id],
                    available=available,
                    verdict=self.env._("enough")
                    if enough
                    else self.env._("not enough"),
                )
            )
        return texts

    @api.model
    def _oms_get_promised_date_impact(self, order, before, after):
        """Hook: the promised date the order would get after the change, as a
        text for the reviewer, or False (default: none; an addon promising
        dates overrides it).

        :param order: the sale.order
        :param dict before: the order's snapshot (``_oms_take_snapshot``)
        :param dict after: the snapshot once the change applied
        :rtype: str | bool
        """
        return False

    # ------------------------------------------------------------------
    # Decision
    # ------------------------------------------------------------------
    def _check_can_decide(self):
        """Whether the user may decide these requests: an order reviewer who
        is neither the requester nor the order's creator or salesperson (four
        eyes), on requests waiting for approval.

        :raise AccessError: not an order reviewer
        :raise UserError: own request or order, or request decided already
        """
        if not self.env.user.has_group("oms_core.group_oms_reviewer"):
            raise AccessError(
                self.env._("Only order reviewers can decide change requests.")
            )
        if self.filtered(lambda c: c.state != "to_approve"):
            raise UserError(self.env._("This change request is decided already."))
        if self.filtered(lambda c: c.user_id == self.env.user):
            raise UserError(
                self.env._("You cannot decide a change you requested yourself.")
            )
        self.order_id._oms_check_four_eyes()

    def _write_decision(self, vals):
        """Write the decision once the action checked the user
        (``_check_can_decide``): superuser mode, as ``write`` refuses it to
        everyone else. ``vals`` never comes from the client."""
        return self.sudo().write(vals)

    def action_approve(self):
        """Approve the requests and apply them to their orders
        (``_action_apply``): re-reviewed like any change.

        :raise AccessError: not an order reviewer
        :raise UserError: own request or order, decided already, or the order
            cannot take the change any more
        """
        self._check_can_decide()
        for change in self:
            change._write_decision(
                {
                    "state": "approved",
                    "reviewer_id": self.env.uid,
                    "review_date": fields.Datetime.now(),
                }
            )
            change._action_apply()
        return True

    def _action_apply(self):
        """Hook: write the approved values on the order, as the reviewer,
        through the order's own write (the re-review runs, and as the reviewer
        approved the change, a clean review takes the approval snapshot again).
        """
        self.ensure_one()
        order = self.order_id
        allowed = set(order._oms_get_reviewed_facts().values()) | {"order_line"}
        if set(self.vals or {}) - allowed or order.state != "sale":
            raise UserError(
                self.env._(
                    "Order %(order)s cannot take this change any more.",
                    order=order.name,
                )
            )
        with order._oms_mark(OMS_MARK_APPROVING):
            order.write(self.vals)
        self._write_decision({"state": "applied"})
        order.message_post(
            body=self.env._(
                "Change requested by %(user)s approved by %(reviewer)s and "
                "applied: %(changes)s",
                user=self.user_id.name,
                reviewer=self.env.user.name,
                changes=self.diff or "-",
            )
        )

    def action_reject(self, note=None):
        """Reject the requests with a reason (``note``, else the one typed in
        the request's Note): their orders stay as they are.

        :param str note: the reason, required
        :raise AccessError: not an order reviewer
        :raise UserError: no reason, own request or order, or decided already
        """
        self._check_can_decide()
        for change in self:
            reason = (note or change.note or "").strip()
            if not reason:
                raise UserError(
                    self.env._("A reason is required to reject a change request.")
                )
            change._write_decision(
                {
                    "state": "rejected",
                    "reviewer_id": self.env.uid,
                    "review_date": fields.Datetime.now(),
                }
            )
            change.note = reason
            change.order_id.message_post(
                body=self.env._(
                    "Change requested by %(user)s rejected by %(reviewer)s: %(note)s",
                    user=change.user_id.name,
                    reviewer=self.env.user.name,
                    note=reason,
                )
            )
        return True

    def action_open_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "view_mode": "form",
            "res_id": self.order_id.id,
        }
