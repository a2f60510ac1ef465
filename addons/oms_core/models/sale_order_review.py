import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..review_batch import OmsReviewBatch

_logger = logging.getLogger(__name__)

# fields of the order whose change after approval sends it back to review
OMS_REVIEWED_ORDER_FIELDS = {
    "partner_id",
    "partner_shipping_id",
    "pricelist_id",
    "payment_term_id",
    "warehouse_id",
    "oms_order_type",
}


# One file per concern: fulfilment and money policies are in sale_order_fulfilment.
class SaleOrder(models.Model):
    """The review engine on the order: rules → exceptions → approval."""

    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Public actions
    # ------------------------------------------------------------------
    def action_oms_review(self):
        """Review the orders; confirm the clean ones when the policy allows.

        Runs every applicable active `oms.review.rule`, creates/updates one
        exception per failing rule, clears the ones that no longer apply.
        Quotations without blocking exception are confirmed (Odoo's
        `action_confirm`, once for all of them) when `_oms_can_auto_confirm()`
        allows it, and flagged `oms_auto_approved` when nobody touched them.
        Each order is reviewed as if the orders approved before it in the same
        call were confirmed already (see `_oms_run_review`). Safe to call
        repeatedly.

        :return: True
        """
        to_confirm = self._oms_run_review(auto_confirm=True)
        if to_confirm:
            to_confirm._oms_subscribe_customers()
            to_confirm.with_context(oms_skip_review=True).action_confirm()
            touched = to_confirm.filtered("oms_touch_count")
            (to_confirm - touched).oms_auto_approved = True
            touched.oms_auto_approved = False
        return True

    def _oms_subscribe_customers(self):
        """Make each customer follow its orders, for all the orders at once.

        `action_confirm` subscribes the customer of each order with queries of
        its own, and skips the orders whose customer follows already.
        """
        self.check_access("write")
        Followers = self.env["mail.followers"]
        partners = self.partner_id.filtered("active")
        if not partners:
            return
        subscriptions = Followers._get_subscription_data(
            [(self._name, self.ids)], partners.ids
        )
        following = {
            (res_id, partner_id) for _id, res_id, partner_id, _s in subscriptions
        }
        customer_ids = partners.filtered("partner_share").ids
        values = []
        for partner, orders in self.grouped("partner_id").items():
            order_ids = [o.id for o in orders if (o.id, partner.id) not in following]
            if partner not in partners or not order_ids:
                continue
            new, _update = Followers._add_default_followers(
                self._name,
                order_ids,
                partner.ids,
                customer_ids=customer_ids,
                check_existing=False,
            )
            values += [
                dict(vals, res_id=res_id)
                for res_id, vals_list in new.items()
                for vals in vals_list
            ]
        # sudo: as message_subscribe, once the user may write the orders
        Followers.sudo().with_context(default_partner_id=False).create(values)
        self.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def action_confirm(self):
        """Review before confirming (see readme).

        Orders with an open blocking exception are not confirmed: they stay on
        hold with their exceptions, and the user gets a warning notification
        (the method then returns that client action instead of True). With no
        active rule, confirmation is exactly Odoo's. Context key
        ``oms_skip_review``: confirm without reviewing (used by the review).
        """
        if self.env.context.get("oms_skip_review"):
            return super().action_confirm()
        self.filtered(lambda o: o.state in ("draft", "sent"))._oms_run_review()
        blocked = self.filtered("oms_has_blocking_exception")
        result = True
        if self - blocked:
            result = super(SaleOrder, self - blocked).action_confirm()
        if blocked:
            return blocked._oms_notify_blocked()
        return result

    def _oms_notify_blocked(self):
        messages = "\n".join(
            f"{order.name}: {'; '.join(order._oms_get_blocking().mapped('message'))}"
            for order in self
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Order on hold"),
                "message": self.env._(
                    "Not confirmed, blocking exceptions must be resolved "
                    "first:\n%(messages)s",
                    messages=messages,
                ),
                "type": "warning",
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_oms_open_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_core.oms_exception_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def action_oms_open_cancel(self):
        """Open the cancel wizard (a reason is required)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Order"),
            "res_model": "oms.order.cancel",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _oms_can_auto_confirm(self):
        """Hook: whether a clean review may confirm the order by itself.

        Default: the company setting *Auto-confirm Reviewed Orders*.
        `oms_channels` overrides it with the channel's auto_confirm.

        :rtype: bool
        """
        self.ensure_one()
        return self.company_id.oms_auto_confirm

    def _oms_add_exception(self, code, message, severity="warn"):
        """Hook: raise an exception without rule (e.g. from a channel import).

        Creates, or updates when one is open with the same code, an open
        exception owned like the rule ones (reviewers, else the salesperson).
        Never cleared by a re-review: a reviewer resolves it.

        :param str code: short code, e.g. ``channel_total_mismatch``
        :param str message: translated message for the reviewer
        :param str severity: ``warn`` or ``block``
        :return: the oms.exception
        """
        self.ensure_one()
        # the review is a system action; only reviewers act on exceptions
        Exception = self.env["oms.exception"].sudo()
        existing = self.sudo().oms_exception_ids.filtered(
            lambda e: not e.rule_id and e.code == code and e.state == "open"
        )[:1]
        if existing:
            existing.write({"message": message, "severity": severity})
            return existing
        exception = Exception.create(
            {
                "order_id": self.id,
                "code": code,
                "message": message,
                "severity": severity,
                "user_id": Exception._get_owner(self, self.env["oms.review.rule"]).id,
                "deadline": Exception._get_deadline(self, False),
            }
        )
        exception._schedule_owner_activity()
        return exception

    def _oms_cancel(self, reason):
        """Hook: cancel the orders for ``reason`` and release their reservations.

        :param reason: oms.cancel.reason record
        :raise UserError: once something has been shipped
        """
        if not reason:
            raise UserError(self.env._("A cancellation reason is required."))
        for order in self:
            shipped = order.picking_ids.filtered(
                lambda p: p.state == "done" and p.picking_type_code == "outgoing"
            )
            if shipped or any(line.qty_delivered for line in order.order_line):
                raise UserError(
                    self.env._(
                        "Order %(order)s cannot be cancelled: goods have "
                        "already been shipped.",
                        order=order.name,
                    )
                )
        self.filtered("locked").action_unlock()
        self.write({"oms_cancel_reason_id": reason.id})
        self.with_context(disable_cancel_warning=True).action_cancel()
        now = fields.Datetime.now()
        # closing the exceptions is a consequence of the cancellation
        exceptions = self.sudo().oms_exception_ids.filtered(lambda e: e.state == "open")
        exceptions.write(
            {
                "state": "resolved",
                "resolution": "cancel",
                "resolved_uid": self.env.uid,
                "resolved_date": now,
            }
        )
        exceptions._close_owner_activities()
        for order in self:
            order._oms_touch()
            order.message_post(
                body=self.env._("Cancelled: %(reason)s", reason=reason.name)
            )
        return True

    def _oms_get_duplicate_domain(self, hours=24):
        """Hook: domain of the orders that would duplicate this one.

        Earlier orders with the same external reference (`client_order_ref`)
        in the company, else of the same customer and total within ``hours``
        (lines compared afterwards). The later order is the duplicate.
        `oms_channels` may narrow it to the channel.

        :param int hours: the window of the rule
        :rtype: list
        """
        self.ensure_one()
        domain = [
            ("id", "<", self.id) if isinstance(self.id, int) else ("id", "!=", False),
            ("company_id", "=", self.company_id.id),
            ("state", "!=", "cancel"),
        ]
        if self.client_order_ref:
            return domain + [("client_order_ref", "=", self.client_order_ref)]
        since = (self.create_date or fields.Datetime.now()) - timedelta(hours=hours)
        return domain + [
            (
                "partner_id.commercial_partner_id",
                "=",
                self.partner_id.commercial_partner_id.id,
            ),
            ("amount_total", "=", self.amount_total),
            ("create_date", ">=", since),
        ]

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _oms_get_review_rules(self):
        """Active rules that may apply to the order's company (hook, called once
        per company of a reviewed batch)."""
        self.ensure_one()
        # rules are configuration read for whoever triggers the review
        return (
            self.env["oms.review.rule"]
            .sudo()
            .search([("company_id", "in", [False, self.company_id.id])])
        )

    def _oms_run_review(self, auto_confirm=False):
        """Evaluate the rules and synchronise the exceptions of the orders.

        Orders are reviewed by priority, then date. With ``auto_confirm`` the
        orders that pass and may confirm by themselves are returned, to be
        confirmed together, and every later order of the batch is reviewed as
        if they were confirmed already: the rules get their ids in the context
        key ``oms_promised_order_ids`` (their stock, credit and first order count),
        so a batch decides exactly as one order at a time would.

        :return: the orders to confirm (always empty without ``auto_confirm``)
        """
        promised = self.browse()
        batch = OmsReviewBatch()
        if (
            auto_confirm
            and len(self) > 1
            and self.env["oms.review.rule"]._checks_stock(self.company_id)
        ):
            batch.prefetch(self)
        rules_by_company = {}
        for order in self.sorted(
            lambda o: (-int(o.oms_priority or 0), o.date_order or o.create_date, o.id)
        ):
            if order.state == "cancel":
                continue
            if order.company_id not in rules_by_company:
                rules_by_company[order.company_id] = order._oms_get_review_rules()
            rules = rules_by_company[order.company_id].with_context(
                oms_review_batch=batch, oms_promised_order_ids=tuple(promised.ids)
            )
            results = [
                (rule, rule._evaluate(order))
                for rule in rules
                if rule._applies_to(order)
            ]
            order._oms_sync_exceptions(results)
            blocked = bool(order._oms_get_blocking())
            values = {
                "oms_reviewed_date": fields.Datetime.now(),
                "oms_review_pending": False,
            }
            if not blocked and not order.oms_approval_snapshot:
                values["oms_approval_snapshot"] = order._oms_take_snapshot()
            order.write(values)
            if (
                auto_confirm
                and not blocked
                and order.state in ("draft", "sent")
                and order._oms_can_auto_confirm()
            ):
                promised |= order
                batch.promise(order)
        return promised

    def _oms_get_blocking(self):
        return self.oms_exception_ids.filtered(
            lambda e: e.state == "open" and e.severity == "block"
        )

    def _oms_sync_exceptions(self, results):
        """Create, update and clear the rule exceptions of the order.

        An override sticks as long as the rule fails with the same message: a
        re-review re-checks only facts that changed.

        :param list results: [(rule, message or False)] of the applicable rules
        """
        self.ensure_one()
        # the review is a system action; only reviewers act on exceptions
        Exception = self.env["oms.exception"].sudo()
        existing = self.sudo().oms_exception_ids.filtered("rule_id")
        failing = self.env["oms.review.rule"]
        created = Exception
        for rule, message in results:
            if not message:
                continue
            failing |= rule
            mine = existing.filtered(lambda e, r=rule: e.rule_id == r)
            current = mine.filtered(lambda e: e.state == "open")[:1]
            if current:
                if (current.message, current.severity) != (message, rule.severity):
                    current.write({"message": message, "severity": rule.severity})
                continue
            overridden = set(
                mine.filtered(lambda e: e.state == "overridden").mapped("message")
            )
            if overridden and (
                message in overridden or overridden & self._oms_rule_messages(rule)
            ):
                continue
            created |= Exception.create(
                {
                    "order_id": self.id,
                    "rule_id": rule.id,
                    "code": rule.check_type,
                    "message": message,
                    "severity": rule.severity,
                    "user_id": Exception._get_owner(self, rule).id,
                    "deadline": Exception._get_deadline(self, rule),
                }
            )
        cleared = existing.filtered(
            lambda e: e.state == "open" and e.rule_id not in failing
        )
        cleared._oms_resolve_by_system()
        created._schedule_owner_activity()
        if created:
            self.message_post(
                body=self.env._(
                    "Review found: %(messages)s",
                    messages="; ".join(created.mapped("message")),
                )
            )

    def _oms_rule_messages(self, rule):
        """The message of a failing rule in every installed language: an
        override sticks whoever re-reviews the order, in whatever language.

        :return: set of messages
        """
        self.ensure_one()
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        return {rule.with_context(lang=lang)._evaluate(self) for lang in langs}

    def _oms_touch(self):
        """Count a manual intervention on the orders."""
        for order in self:
            order.sudo().oms_touch_count += (
                1  # counter readonly for users, written for them
            )

    # ------------------------------------------------------------------
    # Figures used by the checks
    # ------------------------------------------------------------------
    def _oms_get_stock_needs(self):
        """Units still to promise per storable product, in the product UoM.

        :return: {product_id: qty}
        """
        self.ensure_one()
        needs = {}
        for line in self._oms_get_product_lines():
            product = line.product_id
            if not product.is_storable:
                continue
            qty = line.product_uom._compute_quantity(
                line.product_uom_qty - line.qty_delivered, product.uom_id
            )
            needs[product.id] = needs.get(product.id, 0.0) + qty
        if self.state == "sale":
            # already reserved for this order: out of the free quantity already
            reserved = (
                self.env["stock.move.line"]
                .sudo()
                ._read_group(
                    [
                        ("move_id.sale_line_id.order_id", "=", self.id),
                        ("move_id.state", "not in", ("done", "cancel")),
                        ("location_dest_id.usage", "=", "customer"),
                    ],
                    ["product_id"],
                    ["quantity_product_uom:sum"],
                )
            )
            for product, qty in reserved:
                if product.id in needs:
                    needs[product.id] -= qty
        return {pid: qty for pid, qty in needs.items() if qty > 0}

    def _oms_get_required_prepayment(self, payment_terms):
        """Amount to be paid before confirmation: all of it with a prepaid
        payment term, the company's deposit share for presales. (Odoo's portal
        "online payment" option is left to the portal.)

        :param payment_terms: account.payment.term requiring full prepayment
        :rtype: float
        """
        self.ensure_one()
        percent = 0.0
        if self.payment_term_id and self.payment_term_id in payment_terms:
            percent = 1.0
        if self.oms_order_type == "presale":
            percent = max(percent, self.company_id.oms_presale_deposit_percent / 100.0)
        return self.currency_id.round(self.amount_total * percent)

    def _oms_get_paid_amount(self):
        """Paid so far: online transactions and payments on posted invoices."""
        self.ensure_one()
        order = self.sudo()  # payments are accounting data the review needs
        invoices = order.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )
        paid = sum(invoices.mapped("amount_total")) - sum(
            invoices.mapped("amount_residual")
        )
        return order.amount_paid + paid

    # ------------------------------------------------------------------
    # Changes after approval and stock arrival
    # ------------------------------------------------------------------
    def _oms_changed_after_approval(self):
        """Send approved orders whose key facts changed back to review.

        Approved: confirmed, or a quotation the review approved without
        confirming it. The review runs again (it confirms nothing by itself).
        """
        if self.env.context.get("oms_skip_rereview"):
            return
        orders = self.filtered(
            lambda o: (
                o.state in ("draft", "sent", "sale")
                and o.oms_reviewed_date
                and o.oms_approval_snapshot
            )
        )
        for order in orders:
            changes = order._oms_diff_snapshot()
            if not changes:
                continue
            order._oms_touch()
            order.oms_review_pending = True
            order.message_post(
                body=self.env._(
                    "Changed after approval, sent back to review: %(changes)s",
                    changes=changes,
                )
            )
        orders.filtered("oms_review_pending")._oms_run_review()

    def write(self, vals):
        res = super().write(vals)
        if OMS_REVIEWED_ORDER_FIELDS & set(vals):
            self._oms_changed_after_approval()
        return res

    @api.model
    def _oms_get_waiting_domain(self):
        return [
            ("state", "in", ("draft", "sent")),
            (
                "oms_exception_ids",
                "any",
                [("code", "=", "stock"), ("state", "=", "open")],
            ),
        ]

    def _oms_release_waiting(self, products=None):
        """Re-review orders waiting for stock (of ``products``), priority first."""
        domain = self._oms_get_waiting_domain()
        if products:
            domain.append(("order_line.product_id", "in", products.ids))
        # stock arrival is not done by the order's salesperson: review as system
        orders = self.sudo().search(domain, order="oms_priority desc, date_order, id")
        orders._oms_review_safely()
        return orders

    def _oms_review_safely(self):
        """Review each order on its own savepoint: an order that cannot be
        confirmed must not fail the receipt or the cron that released it."""
        for order in self:
            try:
                with self.env.cr.savepoint():
                    order.action_oms_review()
            except UserError as error:
                _logger.warning("OMS review of %s failed: %s", order.name, error)

    @api.model
    def _cron_oms_review(self):
        """Release orders waiting for stock and review pending ones."""
        self._oms_release_waiting()
        pending = self.search(
            [("oms_review_pending", "=", True), ("state", "!=", "cancel")]
        )
        pending._oms_review_safely()
        return True
