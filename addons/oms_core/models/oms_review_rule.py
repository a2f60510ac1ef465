from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, float_compare, float_round, formatLang
from odoo.tools.translate import LazyTranslate

from ..tools import reader_text
from .review_batch import OmsWhatIfBatch
from .sale_order import OMS_LINE_FACTS

_lt = LazyTranslate(__name__)

OMS_CHECK_TYPES = [
    ("credit_limit", "Credit Limit"),
    ("stock", "Stock Available to Promise"),
    ("address", "Delivery Address"),
    ("price_floor", "Price Floor"),
    ("discount_limit", "Discount Limit"),
    ("amount_threshold", "Amount Threshold"),
    ("duplicate", "Duplicate Order"),
    ("payment", "Prepayment"),
    ("new_customer", "New Customer"),
    ("domain", "Condition (domain)"),
]
OMS_SEVERITIES = [("block", "Block"), ("warn", "Warning")]

# The reviewed facts of an order (keys of ``sale.order._oms_get_reviewed_facts``
# and the four facts of its lines) that each check reads: a change of one of
# them after approval re-runs the rules reading it, the others keep their result.
OMS_AMOUNT_FACTS = OMS_LINE_FACTS | {"pricelist", "fiscal_position"}
OMS_CHECK_FACTS = {
    "credit_limit": OMS_AMOUNT_FACTS | {"partner"},
    "stock": {"line_product", "line_qty", "warehouse", "order_type"},
    "address": {"partner", "shipping"},
    "price_floor": {"line_product", "line_price", "pricelist"},
    "discount_limit": {"line_product", "line_discount"},
    "amount_threshold": OMS_AMOUNT_FACTS,
    "duplicate": OMS_AMOUNT_FACTS | {"partner"},
    "payment": OMS_AMOUNT_FACTS | {"payment_term", "order_type"},
    "new_customer": OMS_AMOUNT_FACTS | {"partner"},
    "domain": set(),  # the facts of the fields of its domain
}
# order fields that stand for several facts in a domain
OMS_FIELD_FACTS = {
    "order_line": OMS_LINE_FACTS,
    "amount_untaxed": OMS_AMOUNT_FACTS,
    "amount_tax": OMS_AMOUNT_FACTS,
    "amount_total": OMS_AMOUNT_FACTS,
}


class OmsReviewRule(models.Model):
    """A check run on every order by the review (`sale.order.action_oms_review`).

    The check is a named method ``_review_<check_type>(order, batch)`` (dispatch
    by the selection, like delivery carriers): it returns False when the order
    passes, or the translated message of the failure, numbers included. ``batch``
    is the ``OmsReviewBatch`` of the review call (``models/review_batch.py``).
    Conditions are Odoo domains, never Python.
    """

    _name = "oms.review.rule"
    _inherit = ["oms.order.domain.mixin", "mail.thread"]
    _description = "Order Review Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    # switching a rule off is a manager's decision (access rights), traced in
    # the rule's chatter
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to apply the rule in every company.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        help="Currency of the amount thresholds.",
    )
    check_type = fields.Selection(OMS_CHECK_TYPES, required=True, default="domain")
    severity = fields.Selection(
        OMS_SEVERITIES,
        required=True,
        default="block",
        tracking=True,
        help="Block: the order is held until the exception is resolved or overridden. "
        "Warning: the order goes on, the exception is only reported.",
    )
    domain = fields.Char(
        help="Orders matching this domain fail a 'Condition' rule; for the other "
        "checks it restricts the orders the rule applies to.",
    )
    order_type_ids = fields.Many2many(
        "oms.order.type",
        string="Order Types",
        help="Order types the rule applies to; empty means all.",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        help="Sales teams the rule applies to; empty means all.",
    )
    approver_group_id = fields.Many2one(
        "res.groups",
        required=True,
        default=lambda self: self.env.ref(
            "oms_core.group_oms_reviewer", raise_if_not_found=False
        ),
        help="Only members of this group may override the exceptions of this rule.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        help="Owner of the exceptions; empty: a member of the approver group "
        "(the least busy), else the order's salesperson.",
    )
    deadline_hours = fields.Float(
        string="Deadline (hours)",
        default=24.0,
        help="Time given to the owner to resolve an exception of this rule.",
    )
    amount_limit = fields.Monetary(
        string="Amount",
        currency_field="currency_id",
        help="Amount threshold: orders above it need approval. "
        "New customer: first orders above it are checked.",
    )
    percent_limit = fields.Float(
        string="Percentage",
        help="Price floor: maximum percentage below the pricelist price. "
        "Discount limit: maximum discount.",
    )
    hours_window = fields.Integer(
        string="Window (hours)",
        default=24,
        help="Duplicate: orders of the same customer within this many hours.",
    )
    payment_term_ids = fields.Many2many(
        "account.payment.term",
        string="Prepaid Payment Terms",
        help="Payment: orders with these payment terms must be paid before "
        "confirmation (presales need their deposit in any case).",
    )
    message = fields.Char(
        translate=True,
        help="Condition: message of the exception; the rule's name if empty.",
    )
    exception_ids = fields.One2many("oms.exception", "rule_id", string="Exceptions")
    tier_ids = fields.One2many(
        "oms.review.rule.tier",
        "rule_id",
        string="Approval Levels",
        copy=True,
        help="Levels approved in sequence, each by another person; empty: one "
        "level, by the approver group within the deadline above.",
    )

    @api.depends("company_id")
    def _compute_currency_id(self):
        for rule in self:
            rule.currency_id = (rule.company_id or self.env.company).currency_id

    @api.constrains("percent_limit", "deadline_hours", "hours_window")
    def _check_positive_values(self):
        for rule in self:
            if min(rule.percent_limit, rule.deadline_hours, rule.hours_window) < 0:
                raise ValidationError(
                    self.env._("Thresholds and deadlines cannot be negative.")
                )

    # ------------------------------------------------------------------
    # Applicability and dispatch
    # ------------------------------------------------------------------
    def _applies_to(self, order):
        """Whether the rule applies to ``order`` (types, teams, company, domain).

        For a 'Condition' rule the domain is the failing condition, not a filter.
        """
        self.ensure_one()
        if self.company_id and self.company_id != order.company_id:
            return False
        if (
            self.order_type_ids
            and order.oms_order_type not in self.order_type_ids.mapped("code")
        ):
            return False
        if self.team_ids and order.team_id not in self.team_ids:
            return False
        if self.check_type != "domain" and self._get_domain():
            # managers' conditions are evaluated whoever triggers the review
            return bool(order.sudo().filtered_domain(self._get_domain()))
        return True

    def _oms_get_tiers(self, order):
        """The approval levels ``order`` needs for this rule, in sequence
        (empty: one level, the rule's own approver group).

        :rtype: oms.review.rule.tier
        """
        self.ensure_one()
        return self.tier_ids.filtered(lambda t: t._applies_to(order))

    def _evaluate(self, order, batch):
        """Run the rule's check on ``order``.

        :param order: sale.order record
        :param OmsReviewBatch batch: the review call (stock read for the batch,
            orders approved earlier in it)
        :return: the failure message, or False when the order passes
        :rtype: str | bool
        """
        self.ensure_one()
        return getattr(self, f"_review_{self.check_type}")(order, batch)

    def _get_facts(self):
        """Hook: the reviewed facts of an order the rule reads (see
        ``OMS_CHECK_FACTS``): those of its check type, those of the fields of
        its domain (the condition of a 'Condition' rule, the filter of the
        others), and the order type when the rule is limited to some types.

        :return: set of fact keys (``sale.order._oms_get_reviewed_facts`` and
            ``OMS_LINE_FACTS``)
        :rtype: set
        """
        self.ensure_one()
        facts = set(OMS_CHECK_FACTS.get(self.check_type, ()))
        facts |= self._get_domain_facts(self._get_domain())
        if self.order_type_ids:
            facts.add("order_type")
        return facts

    @api.model
    def _get_domain_facts(self, domain):
        """The reviewed facts read by a domain on orders: the facts of the
        first field of the path of each of its conditions.

        :param list domain: a domain on ``sale.order``
        :rtype: set
        """
        by_field = {
            fname: {key}
            for key, fname in self.env["sale.order"]._oms_get_reviewed_facts().items()
        }
        by_field.update(OMS_FIELD_FACTS)
        facts = set()
        for leaf in domain:
            if isinstance(leaf, (list, tuple)) and leaf and isinstance(leaf[0], str):
                facts |= by_field.get(leaf[0].split(".")[0], set())
        return facts

    @api.model
    def _checks_stock(self, companies):
        """Whether an active stock rule may apply to orders of ``companies``."""
        # rules are configuration read for whoever triggers the review
        return bool(
            self.sudo().search_count(
                [
                    ("check_type", "=", "stock"),
                    ("company_id", "in", [False, *companies.ids]),
                ],
                limit=1,
            )
        )

    def _oms_promised_orders(self, batch):
        """Orders approved earlier in the same review batch, not confirmed yet:
        the checks count them as confirmed (see `sale.order._oms_run_review`)."""
        return self.env["sale.order"].browse(batch.promised_orders.ids)

    def _fmt(self, order, amount):
        return formatLang(self.env, amount, currency_obj=order.currency_id)

    # ------------------------------------------------------------------
    # The checks: False when the order passes, else the message
    # ------------------------------------------------------------------
    def _review_credit_limit(self, order, batch):
        """Receivables + uninvoiced confirmed orders + this order vs credit limit."""
        company = order.company_id
        # credit fields are for accountants; the review reads them for everybody
        partner = (
            order.partner_id.commercial_partner_id.sudo()
            .with_company(company)
            .with_context(allowed_company_ids=[company.id])
        )
        limit = partner.credit_limit if company.account_use_credit_limit else 0.0
        if not limit:
            return False
        current = 0.0
        if order.state in ("draft", "sent"):
            current = order.currency_id._convert(
                order.amount_total, company.currency_id, company, fields.Date.today()
            )
        for other in self._oms_promised_orders(batch):
            if other.partner_id.commercial_partner_id == partner:
                # confirmed with this batch: uninvoiced sales of the customer
                current += other.currency_id._convert(
                    other.amount_total,
                    company.currency_id,
                    company,
                    fields.Date.today(),
                )
        exposure = batch.credit_exposure(partner) + current
        if (
            float_compare(
                exposure, limit, precision_rounding=company.currency_id.rounding
            )
            <= 0
        ):
            return False
        return reader_text.store(
            _lt("Credit limit exceeded: limit %(limit)s, exposure %(exposure)s"),
            limit=formatLang(self.env, limit, currency_obj=company.currency_id),
            exposure=formatLang(self.env, exposure, currency_obj=company.currency_id),
        )

    def _review_stock(self, order, batch):
        """Available to promise covers every storable line: in the order's
        warehouse, or, when the order may ship from several warehouses, in one
        of them or (split shipments accepted) in a combination of them (the
        sourcing plan of ``OmsReviewBatch.source_plan``)."""
        if (
            order.oms_backorder_accepted
            or order._oms_get_order_type().allow_without_stock
        ):
            return False
        warehouse = order.warehouse_id
        needs = batch.stock_needs(order)
        if not needs or not warehouse:
            return False
        plan = batch.source_plan(order)
        if plan is not None:
            return not plan.covered and order._oms_get_sourcing_failure(batch)
        by_warehouse = order._oms_split_stock_needs(needs)
        if len(by_warehouse) > 1:
            # a split order: every warehouse locked at once, in the global order
            self.env["oms.stock.promise"].sudo()._lock_pairs(
                (product_id, warehouse.id)
                for warehouse, source_needs in by_warehouse.items()
                for product_id in source_needs
            )
        messages = [
            self._review_stock_in(order, batch, source, source_needs)
            for source, source_needs in by_warehouse.items()
        ]
        messages = [message for message in messages if message]
        if len(messages) > 1:
            # no words of its own: nothing to translate
            return reader_text.store(
                "%(lines)s", lines=reader_text.join("; ", messages)
            )
        return messages[0] if messages else False

    def _review_stock_in(self, order, batch, warehouse, needs):
        """The stock check of the products of ``needs`` that ship from
        ``warehouse``: False, or the message of what is missing there."""
        products = self.env["product.product"].browse(list(needs))
        atp = batch.promisable(warehouse, products, order)
        missing = []
        for product in products.sorted("id"):
            rounding = product.uom_id.rounding
            if (
                float_compare(
                    needs[product.id], atp[product.id], precision_rounding=rounding
                )
                > 0
            ):
                missing.append(
                    reader_text.store(
                        _lt("%(product)s: ordered %(qty)s, available %(atp)s"),
                        product=product.display_name,
                        qty=float_round(needs[product.id], precision_rounding=rounding),
                        atp=float_round(atp[product.id], precision_rounding=rounding),
                    )
                )
        if not missing:
            return False
        return reader_text.store(
            _lt("Not enough stock in %(warehouse)s: %(lines)s"),
            warehouse=warehouse.name,
            lines=reader_text.join("; ", missing),
        )

    def _review_address(self, order, batch):
        """Delivery address complete and the customer reachable."""
        address = order.partner_shipping_id
        missing = []
        if not address.street:
            missing.append(_lt("street"))
        if not address.city:
            missing.append(_lt("city"))
        if not address.country_id:
            missing.append(_lt("country"))
        elif (
            address.country_id.zip_required
            and not address.zip
            and order._oms_address_needs_zip()
        ):
            missing.append(_lt("ZIP"))
        contact = order.partner_id
        if not (address.phone or address.email or contact.phone or contact.email):
            missing.append(_lt("phone or e-mail"))
        if not missing:
            return False
        return reader_text.store(
            _lt("Delivery address incomplete: missing %(fields)s"),
            fields=reader_text.join(", ", missing),
        )

    def _review_price_floor(self, order, batch):
        """No unit price more than X % below the pricelist price."""
        failures = []
        for line in batch.product_lines(order):
            list_price = line._oms_get_pricelist_price()
            if not list_price or list_price <= 0:
                continue
            # the unit price only: discounts are the discount limit's business
            net = line.price_unit
            below = (list_price - net) / list_price * 100.0
            if float_compare(below, self.percent_limit, precision_digits=2) > 0:
                failures.append(
                    reader_text.store(
                        _lt("%(product)s %(price)s is %(below)s%% below %(list)s"),
                        product=line.product_id.display_name,
                        price=self._fmt(order, net),
                        below=float_round(below, precision_digits=1),
                        list=self._fmt(order, list_price),
                    )
                )
        if not failures:
            return False
        return reader_text.store(
            _lt("Price below the floor (limit %(limit)s%%): %(lines)s"),
            limit=self.percent_limit,
            lines=reader_text.join("; ", failures),
        )

    def _review_discount_limit(self, order, batch):
        """No line discount above X %."""
        failures = [
            reader_text.store(
                _lt("%(product)s %(discount)s%%"),
                product=line.product_id.display_name,
                discount=line.discount,
            )
            for line in batch.product_lines(order)
            if float_compare(line.discount, self.percent_limit, precision_digits=2) > 0
        ]
        if not failures:
            return False
        return reader_text.store(
            _lt("Discount above the limit of %(limit)s%%: %(lines)s"),
            limit=self.percent_limit,
            lines=reader_text.join("; ", failures),
        )

    def _oms_total_exceeds(self, order, amount):
        """True when the order total is above ``amount`` (order currency)."""
        return (
            float_compare(
                order.amount_total,
                amount,
                precision_rounding=order.currency_id.rounding,
            )
            > 0
        )

    def _review_amount_threshold(self, order, batch):
        """Order total above the threshold needs approval."""
        threshold = self._oms_amount_in(order)
        if not self._oms_total_exceeds(order, threshold):
            return False
        return reader_text.store(
            _lt("Order total %(amount)s exceeds the approval threshold %(threshold)s"),
            amount=self._fmt(order, order.amount_total),
            threshold=self._fmt(order, threshold),
        )

    def _review_duplicate(self, order, batch):
        """Same external reference, or same customer, lines and amount recently."""
        duplicates = self._oms_get_duplicates(order, batch)
        if not duplicates:
            return False
        return reader_text.store(
            _lt("Possible duplicate of %(orders)s"),
            orders=", ".join(duplicates.mapped("name")),
        )

    def _oms_get_duplicates(self, order, batch=None):
        """The orders that ``order`` may duplicate (the duplicate check's, also
        shown next to its exception).

        :param batch: the review's batch, which reads the candidates of all its
            orders with one search (``None``: searched for this order alone)
        :rtype: sale.order (superuser mode)
        """
        if batch is not None:
            duplicates = batch.duplicates(order, self.hours_window)
        else:
            # the review must see every order, also those of other salespeople
            Order = self.env["sale.order"].sudo()
            domain = order._oms_get_duplicate_domain(hours=self.hours_window)
            duplicates = Order.search(domain, limit=50)
        if not order.client_order_ref:
            signature = order._oms_get_lines_signature()
            duplicates = duplicates.filtered(
                lambda o: o._oms_get_lines_signature() == signature
            )
        return duplicates

    def _review_payment(self, order, batch):
        """Orders needing prepayment are not confirmed before payment."""
        required = order._oms_get_required_prepayment(self.payment_term_ids)
        if not required:
            return False
        paid = order._oms_get_paid_amount()
        if (
            float_compare(paid, required, precision_rounding=order.currency_id.rounding)
            >= 0
        ):
            return False
        return reader_text.store(
            _lt("Prepayment required: %(required)s, paid %(paid)s"),
            required=self._fmt(order, required),
            paid=self._fmt(order, paid),
        )

    def _review_new_customer(self, order, batch):
        """First order of a customer above the amount."""
        threshold = self._oms_amount_in(order)
        if not self._oms_total_exceeds(order, threshold):
            return False
        # the orders of every salesperson count, read for the whole batch
        if batch.has_earlier_order(order):
            return False
        return reader_text.store(
            _lt("First order of a new customer: %(amount)s above %(threshold)s"),
            amount=self._fmt(order, order.amount_total),
            threshold=self._fmt(order, threshold),
        )

    def _review_domain(self, order, batch):
        """The order matches the rule's condition."""
        # managers' conditions are evaluated whoever triggers the review
        if not order.sudo().filtered_domain(self._get_domain()):
            return False
        # the manager's words, read in each reader's language (no words of
        # its own: nothing to translate)
        return reader_text.store(
            "%(message)s",
            message=reader_text.field(self, "message" if self.message else "name"),
        )

    def _oms_amount_in(self, order):
        """The rule's amount in the order's currency."""
        return self.currency_id._convert(
            self.amount_limit, order.currency_id, order.company_id, fields.Date.today()
        )

    # ------------------------------------------------------------------
    # What if: the rule replayed over recent orders, nothing written
    # ------------------------------------------------------------------
    def action_what_if(self, days=30):
        """What the rule (new, changed, active or not) would have done, with
        the other active rules, to the orders of the last ``days`` days.

        Replays the checks of the review (``_evaluate``, or their set form
        ``_what_if_<check_type>``) inside a savepoint rolled back afterwards,
        with an ``OmsWhatIfBatch`` that takes no promise lock: nothing is
        written to the orders, their exceptions or their chatter.

        :param int days: how far back (order date)
        :return: dict with ``orders`` (replayed), ``would_hold`` (orders this
            rule holds), ``held_order_ids``, ``newly_held_order_ids`` (held by
            no other rule), ``released_order_ids`` (this rule held them, it
            would not any more), ``would_warn`` (warning rule: orders
            flagged), ``touchless_rate_before`` / ``touchless_rate_after``
            (share of the orders no blocking rule holds, without and with
            this rule)
        :rtype: dict
        """
        self.ensure_one()
        if not self.env.user.has_group("oms_core.group_oms_manager"):
            raise AccessError(
                self.env._("Only OMS managers can run a what-if on a review rule.")
            )
        with self.env.cr.savepoint() as savepoint:
            try:
                return self._what_if(int(days))
            finally:
                savepoint.rollback()

    def action_open_what_if(self):
        """Open the what-if of the rule (wizard)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("What If"),
            "res_model": "oms.review.rule.what.if",
            "view_mode": "form",
            "target": "new",
            "context": {"default_rule_id": self.id},
        }

    def _get_what_if_domain(self, days):
        """Hook: the orders a what-if replays (last ``days`` days, not
        cancelled, in the companies of the user)."""
        since = fields.Datetime.now() - timedelta(days=days)
        return [
            ("date_order", ">=", since),
            ("state", "!=", "cancel"),
            ("company_id", "in", self.env.companies.ids),
        ]

    def _what_if(self, days):
        """The replay behind ``action_what_if`` (see there)."""
        # the rules and their conditions are evaluated over every order of
        # the window, whoever asks (as the review does)
        rule = self.sudo()
        window = rule._get_what_if_domain(days)
        total = self.env["sale.order"].sudo().search_count(window)
        others = rule.search([("id", "!=", rule.id)])
        failing = {r: r._what_if_failing(window) for r in others | rule}
        held_before = set()
        for other in others.filtered(lambda r: r.severity == "block"):
            held_before |= failing[other]
        mine = failing[rule] if rule.severity == "block" else set()
        held_after = held_before | mine
        # the orders this rule holds now, or held until a reviewer overrode it
        recorded = (
            self.env["oms.exception"]
            .sudo()
            .search(
                [
                    ("rule_id", "=", rule.id),
                    ("order_id", "any", window),
                    "|",
                    ("state", "=", "open"),
                    ("resolution", "=", "override"),
                ]
            )
            .order_id
        )

        def rate(held):
            return (total - len(held)) / total if total else 0.0

        return {
            "rule_id": rule.id,
            "days": days,
            "orders": total,
            "would_hold": len(mine),
            "held_order_ids": sorted(mine),
            "newly_held_order_ids": sorted(mine - held_before),
            "released_order_ids": sorted(set(recorded.ids) - failing[rule]),
            "would_warn": len(failing[rule]) if rule.severity == "warn" else 0,
            "touchless_rate_before": rate(held_before),
            "touchless_rate_after": rate(held_after),
        }

    def _what_if_failing(self, window):
        """Ids of the orders of ``window`` the rule applies to and fails on.

        A check with a set form ``_what_if_<check_type>(window)`` (a domain of
        the failing orders, read in one query) uses it; the others run the
        review's own check order by order.

        :param list window: domain of the replayed orders
        :rtype: set
        """
        self.ensure_one()
        Order = self.env["sale.order"].sudo()
        applicable = window + self._get_what_if_applicability_domain()
        set_form = getattr(self, f"_what_if_{self.check_type}", None)
        if set_form:
            return set(Order.search(applicable + set_form(window)).ids)
        narrow = getattr(self, f"_what_if_candidates_{self.check_type}", None)
        if narrow:
            applicable = applicable + narrow(window)
        # a check evaluated over rows read for all the orders at once, or the
        # review's own check order by order
        evaluate = getattr(
            self, f"_what_if_evaluate_{self.check_type}", self._what_if_evaluate
        )
        return evaluate(Order.search(applicable))

    def _what_if_evaluate(self, orders):
        """The review's own check run order by order over ``orders`` (in the
        order the review serves them), without promise locks.

        :param orders: sale.order recordset the rule applies to
        :return: ids of the orders failing the check
        :rtype: set
        """
        self.ensure_one()
        batch = OmsWhatIfBatch(orders)
        return {
            order.id
            for order in orders.sorted(
                lambda o: (-int(o.oms_priority or 0), o.date_order, o.id)
            )
            if self._evaluate(order, batch)
        }

    def _get_what_if_applicability_domain(self):
        """``_applies_to`` as a domain."""
        domain = []
        if self.company_id:
            domain.append(("company_id", "=", self.company_id.id))
        if self.order_type_ids:
            domain.append(("oms_order_type", "in", self.order_type_ids.mapped("code")))
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        if self.check_type != "domain":
            domain += self._get_domain()
        return domain

    def _what_if_domain(self, window):
        """Set form of ``_review_domain``."""
        return self._get_domain()

    def _what_if_amount_threshold(self, window):
        """Set form of ``_review_amount_threshold``: per order currency."""
        domain = []
        currencies = self.env["sale.order"].sudo()._read_group(window, ["currency_id"])
        for (currency,) in currencies:
            company = self.company_id or self.env.company
            limit = self.currency_id._convert(
                self.amount_limit, currency, company, fields.Date.today()
            )
            domain = [
                *(["|"] if domain else []),
                *domain,
                "&",
                ("currency_id", "=", currency.id),
                ("amount_total", ">", limit + currency.rounding / 2),
            ]
        return domain or [("id", "=", 0)]

    def _what_if_discount_limit(self, window):
        """Set form of ``_review_discount_limit``."""
        return [
            (
                "order_line",
                "any",
                [
                    ("display_type", "=", False),
                    ("product_id", "!=", False),
                    ("is_downpayment", "=", False),
                    ("discount", ">", self.percent_limit + 0.005),
                ],
            )
        ]

    def _what_if_address(self, window):
        """Set form of ``_review_address``."""
        return [
            "|",
            "|",
            "|",
            "|",
            ("partner_shipping_id.street", "=", False),
            ("partner_shipping_id.city", "=", False),
            ("partner_shipping_id.country_id", "=", False),
            "&",
            ("partner_shipping_id.country_id.zip_required", "=", True),
            ("partner_shipping_id.zip", "=", False),
            "&",
            "&",
            "&",
            ("partner_shipping_id.phone", "=", False),
            ("partner_shipping_id.email", "=", False),
            ("partner_id.phone", "=", False),
            ("partner_id.email", "=", False),
        ]

    # Checks read per order, on the orders that may fail only: a
    # ``_what_if_candidates_<check_type>(window)`` domain keeps the orders the
    # check can fail on (a necessary condition, read in one query); the others
    # pass whatever their details, so they are not evaluated one by one.
    def _what_if_new_customer(self, window):
        """Set form of ``_review_new_customer``: above the amount, and no
        other confirmed order of the same customer (the replay promises
        nothing, so only confirmed orders count)."""
        Order = self.env["sale.order"].sudo()
        confirmed = defaultdict(int)
        for partner, count in Order._read_group(
            [("state", "=", "sale")], ["partner_id"], ["__count"]
        ):
            confirmed[partner.commercial_partner_id.id] += count
        with_any = [pid for pid, count in confirmed.items() if count]
        with_one = [pid for pid, count in confirmed.items() if count == 1]
        return [
            *self._what_if_amount_threshold(window),
            "|",
            ("partner_id.commercial_partner_id", "not in", with_any),
            "&",
            ("state", "=", "sale"),
            ("partner_id.commercial_partner_id", "in", with_one),
        ]

    def _what_if_candidates_credit_limit(self, window):
        """The orders of companies checking credit limits, of customers
        with a credit limit there."""
        Order = self.env["sale.order"].sudo()
        domain = []
        for (company,) in Order._read_group(window, ["company_id"]):
            if not company.account_use_credit_limit:
                continue
            # credit fields are for accountants; the review reads them for everybody
            limited = (
                self.env["res.partner"]
                .sudo()
                .with_company(company)
                .search([("credit_limit", "!=", 0)])
            )
            domain = [
                *(["|"] if domain else []),
                *domain,
                "&",
                ("company_id", "=", company.id),
                ("partner_id.commercial_partner_id", "in", limited.ids),
            ]
        return domain or [("id", "=", 0)]

    def _what_if_candidates_payment(self, window):
        """The orders with a prepaid payment term of the rule, and presales."""
        return [
            "|",
            ("payment_term_id", "in", self.payment_term_ids.ids),
            ("oms_order_type", "=", "presale"),
        ]

    def _what_if_candidates_stock(self, window):
        """The orders that need stock: not accepting a backorder, of a type
        that needs stock, with a storable product still to ship."""
        allowed = (
            self.env["oms.order.type"]
            .sudo()
            .search([("allow_without_stock", "=", True)])
        )
        return [
            ("oms_backorder_accepted", "=", False),
            ("oms_order_type", "not in", allowed.mapped("code")),
            ("warehouse_id", "!=", False),
            (
                "order_line",
                "any",
                [
                    ("display_type", "=", False),
                    ("is_downpayment", "=", False),
                    ("product_id.is_storable", "=", True),
                ],
            ),
        ]

    def _what_if_candidates_duplicate(self, window):
        """The orders with an earlier order of the company (not cancelled)
        with the same external reference, or, without one, of the same
        customer and total within the rule's hours (one query; the lines
        are compared order by order afterwards)."""
        Order = self.env["sale.order"].sudo()
        Order.flush_model(
            [
                "client_order_ref",
                "company_id",
                "state",
                "partner_id",
                "amount_total",
                "create_date",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        window_query = Order._search(window)
        # grouped reads (first order per reference, latest earlier order per
        # customer and total), not a correlated search per order: their cost
        # stays linear whatever the planner knows of the orders
        self.env.cr.execute(
            SQL(
                """
            WITH by_ref AS (
                SELECT o.id, o.client_order_ref, o.company_id
                  FROM sale_order o
                 WHERE o.id IN %(window)s
                   AND COALESCE(o.client_order_ref, '') != ''
            ), first_by_ref AS (
                SELECT e.client_order_ref, e.company_id, MIN(e.id) AS first_id
                  FROM sale_order e
                 WHERE e.state != 'cancel'
                   AND e.client_order_ref IN (SELECT client_order_ref FROM by_ref)
                 GROUP BY e.client_order_ref, e.company_id
            ), by_total AS (
                SELECT o.id, p.commercial_partner_id, o.amount_total,
                       o.company_id, o.create_date
                  FROM sale_order o
                  JOIN res_partner p ON p.id = o.partner_id
                 WHERE o.id IN %(window)s
                   AND COALESCE(o.client_order_ref, '') = ''
            ), latest_before AS (
                SELECT e.id,
                       MAX(e.create_date) OVER (
                           PARTITION BY ep.commercial_partner_id, e.amount_total,
                                        e.company_id
                           ORDER BY e.id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                       ) AS create_date
                  FROM sale_order e
                  JOIN res_partner ep ON ep.id = e.partner_id
                 WHERE e.state != 'cancel'
                   AND (ep.commercial_partner_id, e.amount_total, e.company_id) IN (
                       SELECT commercial_partner_id, amount_total, company_id
                         FROM by_total)
            )
            SELECT r.id
              FROM by_ref r
              JOIN first_by_ref f ON f.client_order_ref = r.client_order_ref
                                 AND f.company_id = r.company_id
             WHERE f.first_id < r.id
             UNION
            SELECT t.id
              FROM by_total t
              JOIN latest_before l ON l.id = t.id
             WHERE l.create_date >= t.create_date - %(hours)s * INTERVAL '1 hour'
            """,
                window=window_query.subselect(),
                hours=self.hours_window,
            )
        )
        return [("id", "in", [row[0] for row in self.env.cr.fetchall()])]

    # Checks evaluated over rows: ``_what_if_evaluate_<check_type>(orders)``
    # reads what the review's check reads, for all the orders in a few
    # queries, and decides each order in plain Python exactly as the check
    # does (``TestWhatIfFastPath`` compares them).
    def _what_if_evaluate_price_floor(self, orders):
        """Set form of ``_review_price_floor``: the product lines of the
        orders read in one query, the pricelist price computed once per set
        of the values it depends on (by the line's own
        ``_oms_get_pricelist_price``, for one line of each set): the product,
        units, currency and company; for the orders of a pricelist that has
        rules, also the pricelist, quantity, attributes and order date (the
        rule that applies depends on them).

        :return: ids of the orders failing the check
        :rtype: set
        """
        self.ensure_one()
        if not orders:
            return set()
        Line = self.env["sale.order.line"].sudo()
        Line.flush_model(
            [
                "order_id",
                "product_id",
                "product_uom",
                "product_uom_qty",
                "price_unit",
                "display_type",
                "is_downpayment",
            ]
        )
        self.env["sale.order"].flush_model(
            ["currency_id", "company_id", "date_order", "pricelist_id"]
        )
        self.env.cr.execute(
            SQL(
                """
            SELECT l.id, l.order_id, l.product_id, l.product_uom, l.price_unit,
                   o.currency_id, o.company_id, o.pricelist_id, l.product_uom_qty,
                   o.date_order
              FROM sale_order_line l
              JOIN sale_order o ON o.id = l.order_id
             WHERE l.order_id = ANY(%(orders)s)
               AND l.display_type IS NULL
               AND l.product_id IS NOT NULL
               AND l.is_downpayment IS NOT TRUE
            """,
                orders=orders.ids,
            )
        )
        rows = self.env.cr.fetchall()
        # pricelists with rules, archived ones included (as the rules are found)
        ruled = {
            pricelist.id
            for (pricelist,) in self.env["product.pricelist.item"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("pricelist_id", "in", list({row[7] for row in rows if row[7]}))],
                ["pricelist_id"],
            )
        }
        # lines priced by a pricelist rule: the price also depends on the
        # attribute values without variant
        priced = Line.browse([row[0] for row in rows if row[7] in ruled])
        attributes = {
            line.id: tuple(sorted(line.product_no_variant_attribute_value_ids.ids))
            for line in priced
        }
        prices = {}  # values the price depends on -> pricelist price
        failing = set()
        for line_id, order_id, product_id, uom_id, price, *rest in rows:
            currency_id, company_id, pricelist_id, qty, date_order = rest
            if order_id in failing:
                continue
            key = (product_id, uom_id, currency_id, company_id)
            if pricelist_id in ruled:
                key += (pricelist_id, attributes[line_id], qty, date_order)
            if key not in prices:
                prices[key] = Line.browse(line_id)._oms_get_pricelist_price()
            list_price = prices[key]
            if not list_price or list_price <= 0:
                continue
            below = (list_price - float(price or 0.0)) / list_price * 100.0
            if float_compare(below, self.percent_limit, precision_digits=2) > 0:
                failing.add(order_id)
        return failing

    def _what_if_evaluate_stock(self, orders):
        """Set form of ``_review_stock`` over the orders needing stock
        (``_what_if_candidates_stock``), replaying what the review would
        decide for each of them on its own, as ``_what_if_evaluate`` does (the
        replay promises nothing: no order counts the ones replayed before it).

        A quotation is compared with the ATP of its warehouse; a confirmed
        order with the ATP without its own demand, and needs what its
        deliveries have not reserved yet. The lines, the reservations of the
        orders and the demand and reservations of every confirmed order per
        warehouse and product are read in four queries, the free quantity in
        one per warehouse. Quotations that may ship from several warehouses
        (sourcing) run the review's own check.

        :return: ids of the orders failing the check
        :rtype: set
        """
        self.ensure_one()
        batch = OmsWhatIfBatch(orders)
        # the state and warehouse of each order, without reading whole orders
        orders.flush_model(["state", "warehouse_id"])
        self.env.cr.execute(
            SQL(
                "SELECT id, state, warehouse_id FROM sale_order WHERE id = ANY(%s)",
                orders.ids,
            )
        )
        rows = self.env.cr.fetchall()
        quoting = orders.browse([row[0] for row in rows if row[1] in ("draft", "sent")])

        def may_source(order):
            # as ``OmsReviewBatch._make_plan``
            ranked = order._oms_rank_source_warehouses()
            return bool(ranked) and ranked != order.warehouse_id

        sourced = quoting.filtered(may_source)
        failing = {order.id for order in sourced if self._evaluate(order, batch)}
        rows = [row for row in rows if row[0] not in sourced._ids]
        if not rows:
            return failing
        confirmed = {row[0] for row in rows if row[1] not in ("draft", "sent")}
        needs, sources = self._what_if_stock_needs(
            [row[0] for row in rows], {row[0] for row in rows if row[1] == "sale"}
        )
        warehouse_of = {row[0]: row[2] for row in rows}

        def source(order_id, product_id):
            return sources[order_id].get(product_id) or warehouse_of[order_id]

        by_warehouse = defaultdict(set)  # warehouse id -> product ids
        for order_id, order_needs in needs.items():
            for product_id in order_needs:
                by_warehouse[source(order_id, product_id)].add(product_id)
        Product = self.env["product.product"].sudo()
        Warehouse = self.env["stock.warehouse"].sudo()
        # the ATP of the quotations, as the review reads it
        batch.load_atp_pairs(
            {
                Warehouse.browse(warehouse_id): Product.browse(sorted(product_ids))
                for warehouse_id, product_ids in by_warehouse.items()
            }
        )
        parts = self._what_if_stock_demand(by_warehouse) if confirmed else {}
        free = {}
        for warehouse_id, product_ids in by_warehouse.items():
            if confirmed:
                products = Product.browse(sorted(product_ids))
                for product_id, qty in products._oms_get_free_qty(
                    Warehouse.browse(warehouse_id)
                ).items():
                    free[warehouse_id, product_id] = qty
        products = Product.browse(
            sorted({p for ids in by_warehouse.values() for p in ids})
        )
        rounding = {product.id: product.uom_id.rounding for product in products}
        for order_id, order_needs in needs.items():
            for product_id, qty in sorted(order_needs.items()):
                warehouse_id = source(order_id, product_id)
                key = (warehouse_id, product_id)
                if order_id in confirmed:
                    demand, reserved, own = parts.get(key, (0.0, 0.0, {}))
                    own_demand, own_reserved = own.get(order_id, (0.0, 0.0))
                    atp = free[key]
                    if demand or own_demand:
                        atp -= demand - own_demand
                    if reserved or own_reserved:
                        atp += reserved - own_reserved
                    atp = float_round(atp, precision_rounding=rounding[product_id])
                else:
                    atp = batch.atp[key]
                if float_compare(qty, atp, precision_rounding=rounding[product_id]) > 0:
                    failing.add(order_id)
                    break
        return failing

    def _what_if_stock_needs(self, order_ids, sold_ids):
        """``sale.order._oms_get_stock_needs`` and the warehouse each product
        ships from (``_oms_split_stock_needs``) of orders, read at once.

        :param list order_ids: the orders
        :param set sold_ids: those of them confirmed (their deliveries'
            reservations are not needed any more)

        :return: ({order id: {product id: qty}},
            {order id: {product id: source warehouse id}})
        :rtype: tuple
        """
        Line = self.env["sale.order.line"].sudo()
        Line.flush_model(
            [
                "order_id",
                "sequence",
                "product_id",
                "product_uom",
                "product_uom_qty",
                "qty_delivered",
                "oms_source_warehouse_id",
                "display_type",
                "is_downpayment",
            ]
        )
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["is_storable", "uom_id"])
        self.env.cr.execute(
            SQL(
                """
            SELECT l.order_id, l.product_id, l.product_uom, t.uom_id, t.is_storable,
                   l.product_uom_qty, l.qty_delivered, l.oms_source_warehouse_id
              FROM sale_order_line l
              JOIN product_product p ON p.id = l.product_id
              JOIN product_template t ON t.id = p.product_tmpl_id
             WHERE l.order_id = ANY(%(orders)s)
               AND l.display_type IS NULL
               AND l.is_downpayment IS NOT TRUE
          ORDER BY l.order_id, l.sequence, l.id
            """,
                orders=order_ids,
            )
        )
        Uom = self.env["uom.uom"].sudo()
        converted = {}
        needs = defaultdict(dict)
        sources = defaultdict(dict)
        for row in self.env.cr.fetchall():
            order_id, product_id, uom_id, product_uom_id, storable, *rest = row
            ordered, delivered, source_id = rest
            if source_id:
                sources[order_id][product_id] = source_id
            if not storable:
                continue
            qty = float(ordered or 0.0) - float(delivered or 0.0)
            key = (uom_id, product_uom_id, qty)
            if key not in converted:
                converted[key] = Uom.browse(uom_id)._compute_quantity(
                    qty, Uom.browse(product_uom_id)
                )
            order_needs = needs[order_id]
            order_needs[product_id] = order_needs.get(product_id, 0.0) + converted[key]
        confirmed = sorted(sold_ids)
        if confirmed:
            self.env["stock.move.line"].flush_model(
                ["move_id", "product_id", "quantity_product_uom", "location_dest_id"]
            )
            self.env["stock.move"].flush_model(["sale_line_id", "state"])
            self.env.cr.execute(
                SQL(
                    """
                SELECT l.order_id, ml.product_id, SUM(ml.quantity_product_uom)
                  FROM stock_move_line ml
                  JOIN stock_move m ON m.id = ml.move_id
                  JOIN sale_order_line l ON l.id = m.sale_line_id
                  JOIN stock_location d ON d.id = ml.location_dest_id
                 WHERE l.order_id = ANY(%(orders)s)
                   AND m.state NOT IN ('done', 'cancel')
                   AND d.usage = 'customer'
              GROUP BY l.order_id, ml.product_id
                """,
                    orders=confirmed,
                )
            )
            for order_id, product_id, qty in self.env.cr.fetchall():
                if product_id in needs.get(order_id, ()):
                    needs[order_id][product_id] -= qty or 0.0
        return (
            {
                order_id: {pid: qty for pid, qty in order_needs.items() if qty > 0}
                for order_id, order_needs in needs.items()
            },
            sources,
        )

    def _what_if_stock_demand(self, by_warehouse):
        """The open demand of the confirmed orders and what their deliveries
        reserved (the parts of ``product.product._oms_get_atp``), per
        warehouse and product, in total and per order.

        :param dict by_warehouse: {warehouse id: product ids}
        :return: {(warehouse id, product id): (demand, reserved,
            {order id: (demand, reserved)})}
        :rtype: dict
        """
        self.env["stock.move"].flush_model(
            [
                "product_id",
                "location_id",
                "location_dest_id",
                "sale_line_id",
                "state",
                "product_qty",
            ]
        )
        self.env["stock.move.line"].flush_model(
            ["move_id", "product_id", "quantity_product_uom"]
        )
        self.env["stock.location"].flush_model(["warehouse_id", "usage"])
        product_ids = sorted({p for ids in by_warehouse.values() for p in ids})
        moves = SQL(
            """
            SELECT m.id, m.product_id, m.product_qty, s.warehouse_id, l.order_id
              FROM stock_move m
              JOIN stock_location s ON s.id = m.location_id
              JOIN stock_location d ON d.id = m.location_dest_id
              JOIN sale_order_line l ON l.id = m.sale_line_id
             WHERE m.product_id = ANY(%(products)s)
               AND s.warehouse_id = ANY(%(warehouses)s)
               AND m.state NOT IN ('draft', 'done', 'cancel')
               AND d.usage = 'customer'
            """,
            products=product_ids,
            warehouses=list(by_warehouse),
        )
        parts = {}

        def add(warehouse_id, product_id, order_id, qty, index):
            total = parts.setdefault((warehouse_id, product_id), [0.0, 0.0, {}])
            total[index] += qty
            own = total[2].setdefault(order_id, [0.0, 0.0])
            own[index] += qty

        self.env.cr.execute(
            SQL(
                """
            WITH moves AS (%(moves)s)
            SELECT warehouse_id, product_id, order_id, SUM(product_qty)
              FROM moves GROUP BY warehouse_id, product_id, order_id
            """,
                moves=moves,
            )
        )
        for warehouse_id, product_id, order_id, qty in self.env.cr.fetchall():
            add(warehouse_id, product_id, order_id, qty or 0.0, 0)
        self.env.cr.execute(
            SQL(
                """
            WITH moves AS (%(moves)s)
            SELECT moves.warehouse_id, ml.product_id, moves.order_id,
                   SUM(ml.quantity_product_uom)
              FROM stock_move_line ml
              JOIN moves ON moves.id = ml.move_id
          GROUP BY moves.warehouse_id, ml.product_id, moves.order_id
            """,
                moves=moves,
            )
        )
        for warehouse_id, product_id, order_id, qty in self.env.cr.fetchall():
            add(warehouse_id, product_id, order_id, qty or 0.0, 1)
        return parts
