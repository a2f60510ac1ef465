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
        return self._what_if_evaluate(Order.search(applicable))

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
        self.env.cr.execute(
            SQL(
                """
            SELECT o.id
              FROM sale_order o
              JOIN res_partner p ON p.id = o.partner_id
             WHERE o.id IN %(window)s
               AND EXISTS (
                   SELECT 1
                     FROM sale_order e
                     JOIN res_partner ep ON ep.id = e.partner_id
                    WHERE e.id < o.id
                      AND e.company_id = o.company_id
                      AND e.state != 'cancel'
                      AND CASE WHEN COALESCE(o.client_order_ref, '') != ''
                          THEN e.client_order_ref = o.client_order_ref
                          ELSE ep.commercial_partner_id = p.commercial_partner_id
                               AND e.amount_total = o.amount_total
                               AND e.create_date >= o.create_date
                                   - %(hours)s * INTERVAL '1 hour'
                          END)
            """,
                window=window_query.subselect(),
                hours=self.hours_window,
            )
        )
        return [("id", "in", [row[0] for row in self.env.cr.fetchall()])]
