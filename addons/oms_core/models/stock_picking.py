from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class StockPicking(models.Model):
    """OMS fulfilment on deliveries: order priority, shipping and payment
    policies, shipment e-mail, delivered date, invoice on delivery, cash on
    delivery, picking lists."""

    _inherit = "stock.picking"

    oms_priority = fields.Selection(
        related="sale_id.oms_priority", store=True, string="Order Priority"
    )
    priority = fields.Selection(compute="_compute_priority", store=True, readonly=False)
    oms_promised_date = fields.Datetime(
        related="sale_id.oms_promised_date",
        store=True,
        string="Promised Ship Date",
        help="When the order was promised to leave the warehouse.",
    )
    oms_delivered_date = fields.Datetime(
        string="Delivered on",
        copy=False,
        tracking=True,
        help="When the goods reached the customer: set by the carrier status "
        "or by hand.",
    )
    oms_shipment_mail_sent = fields.Boolean(string="Shipment E-mail Sent", copy=False)
    oms_on_hold = fields.Boolean(
        string="Order on Hold",
        compute="_compute_oms_on_hold",
        search="_search_oms_on_hold",
        compute_sudo=True,
        help="The order of this delivery has an open blocking exception: the "
        "delivery cannot be validated until a reviewer clears it.",
    )
    oms_hold_unreserved = fields.Boolean(
        string="Reservation Released by Hold",
        readonly=True,
        copy=False,
        help="The hold of the order released the reservation of this delivery; "
        "it is reserved again when the hold ends.",
    )

    def _compute_oms_on_hold(self):
        # sudo (compute_sudo): the flag is shown to warehouse users who may not
        # read the sales order itself
        for picking in self:
            picking.oms_on_hold = (
                picking.state not in ("done", "cancel")
                and picking._oms_is_customer_delivery(include_returns=True)
                and picking.sale_id.oms_has_blocking_exception
            )

    def _search_oms_on_hold(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        # sudo: which orders are held, not what they contain
        held = (
            self.env["sale.order"]
            .sudo()
            ._search([("oms_has_blocking_exception", "=", True)])
        )
        domain = [
            ("sale_id", "in", held),
            ("picking_type_code", "=", "outgoing"),
            ("state", "not in", ("done", "cancel")),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", *(["&"] * (len(domain) - 1)), *domain]

    @api.depends("sale_id.oms_priority")
    def _compute_priority(self):
        """Starred ('1') when the order is high or urgent; others unchanged."""
        for picking in self:
            if picking.state in ("done", "cancel") or not picking.sale_id:
                picking.priority = picking.priority or "0"
                continue
            picking.priority = (
                "1" if picking.sale_id.oms_priority in ("1", "2") else "0"
            )

    def write(self, vals):
        """Propagate the delivered date to the sales order."""
        result = super().write(vals)
        if "oms_delivered_date" in vals:
            self.sale_id._oms_update_delivered_date()
        return result

    def action_oms_mark_delivered(self):
        """Button: the goods reached the customer now."""
        self._oms_set_delivered()

    # ------------------------------------------------------------------ deliveries

    def _oms_is_customer_delivery(self, include_returns=False):
        """Whether the picking sends the goods of a sales order to its customer:
        an outgoing operation of an order (dropship and internal steps are not),
        whatever its state.

        :param bool include_returns: also a picking that sends a customer return
            back to the customer (an outgoing picking with ``return_id``)
        :rtype: bool
        """
        self.ensure_one()
        return (
            self.picking_type_code == "outgoing"
            and bool(self.sale_id)
            and (include_returns or not self.return_id)
        )

    def _oms_filter_customer_deliveries(self, include_returns=False):
        """The pickings of ``self`` that are customer deliveries
        (``_oms_is_customer_delivery``).

        :rtype: stock.picking
        """
        return self.filtered(
            lambda p: p._oms_is_customer_delivery(include_returns=include_returns)
        )

    # ------------------------------------------------------------------ checks

    def _oms_check_can_ship(self):
        """Refuse to ship prepaid orders before payment, and incomplete deliveries
        of orders that wait until complete.

        The warehouse validates deliveries of orders it may not read (Odoo's
        "own documents only" salesperson rule, invoices for non-accountants):
        the order's payment policy and state are read as superuser for this
        check only, and nothing read that way leaves this method but the
        order's reference in the refusal (the delivery's source document).
        """
        for picking in self._oms_filter_customer_deliveries():
            order = picking.sale_id.sudo()
            if order.oms_payment_policy == "prepaid" and not order.oms_is_paid:
                raise UserError(
                    self.env._(
                        "Order %(order)s is prepaid and not paid yet: "
                        "it cannot be shipped.",
                        order=order.name,
                    )
                )
            if picking.move_type == "one" and not picking._oms_is_complete():
                raise UserError(
                    self.env._(
                        "Order %(order)s waits until it is complete: "
                        "ship all of %(picking)s "
                        "at once.",
                        order=order.name,
                        picking=picking.name,
                    )
                )

    def _oms_is_complete(self):
        self.ensure_one()
        return all(
            float_compare(
                move.quantity,
                move.product_uom_qty,
                precision_rounding=move.product_uom.rounding,
            )
            >= 0
            for move in self.move_ids.filtered(lambda m: m.state != "cancel")
        )

    def _oms_check_not_on_hold(self):
        """Refuse to validate the delivery of an order on hold (an open
        blocking exception, e.g. a change after approval).

        :raise UserError: a delivery of ``self`` is on hold
        """
        held = self.filtered("oms_on_hold")
        if held:
            # sudo: the name of the order, for warehouse users who may not read it
            orders = held.sudo().sale_id
            raise UserError(
                self.env._(
                    "Order %(orders)s is on hold: a blocking exception must be "
                    "cleared by a reviewer before %(pickings)s can be validated.",
                    orders=", ".join(orders.mapped("name")),
                    pickings=", ".join(held.mapped("name")),
                )
            )

    def button_validate(self):
        """Refuse the delivery of an order on hold before any wizard opens."""
        self._oms_check_not_on_hold()
        return super().button_validate()

    def _pre_action_done_hook(self):
        """Extends the validation hook with the OMS shipping and payment checks."""
        self._oms_check_can_ship()
        return super()._pre_action_done_hook()

    # ------------------------------------------------------------------ done

    def _action_done(self):
        """Refuse the deliveries of orders on hold; invoice the delivered
        quantities of orders invoiced on delivery."""
        self._oms_check_not_on_hold()
        result = super()._action_done()
        deliveries = self._oms_filter_customer_deliveries().filtered(
            lambda p: p.state == "done"
        )
        # The policy is read as superuser (the warehouse may not read the
        # order); the invoicing itself runs with the validating user's rights.
        orders = deliveries.sale_id.sudo().filtered(
            lambda o: o.oms_invoice_policy == "delivery"
        )
        orders.with_env(self.env)._oms_invoice_and_post()
        deliveries._oms_notify_backorders()
        return result

    def _oms_notify_backorders(self):
        """Tell the customer of each back-order created by these deliveries
        when the rest will ship (once per back-order)."""
        for picking in self:
            backorders = picking.backorder_ids.filtered(
                lambda b: b.state not in ("done", "cancel")
            )
            for backorder in backorders:
                # sudo: the warehouse user may not read the order
                picking.sale_id.sudo()._oms_send_notice(
                    "backorder",
                    "oms_core.mail_template_oms_notice_backorder",
                    topic=str(backorder.id),
                    source=backorder,
                )

    def _send_confirmation_email(self):
        """Also send the OMS shipment e-mail with the tracking number and link."""
        result = super()._send_confirmation_email()
        self._oms_send_shipment_mail()
        return result

    def _oms_send_shipment_mail(self):
        template = self.env.ref(
            "oms_core.mail_template_oms_shipment", raise_if_not_found=False
        )
        if not template:
            return
        pickings = self._oms_filter_customer_deliveries().filtered(
            lambda p: p.carrier_tracking_ref
            and not p.oms_shipment_mail_sent
            # sudo: the warehouse user may not read the order
            and (not p.sale_id or p.sale_id.sudo()._oms_notice_enabled("shipment"))
        )
        for picking in pickings:
            picking.message_post_with_source(
                template,
                email_layout_xmlid="mail.mail_notification_light",
                subtype_xmlid="mail.mt_comment",
            )
        pickings.oms_shipment_mail_sent = True

    # ------------------------------------------------------------------ delivered

    def _oms_set_delivered(self, date=None):
        """Hook for carrier integrations: the carrier reports the delivery.

        Sets the delivered date, propagates it to the order and registers the
        payment of cash-on-delivery orders on the carrier's COD journal.

        :param date: when it was delivered (default: now)
        """
        pickings = self.filtered(
            lambda p: p.state == "done" and not p.oms_delivered_date
        )
        pickings.oms_delivered_date = date or fields.Datetime.now()
        pickings._oms_register_cod_payment()

    def _oms_register_cod_payment(self):
        for picking in self.filtered(lambda p: p.sale_id.oms_payment_policy == "cod"):
            order = picking.sale_id
            order._oms_invoice_and_post()
            invoices = order._oms_get_open_invoices()
            amount = sum(invoices.mapped("amount_residual"))
            journal = picking.carrier_id.oms_cod_journal_id or self.env[
                "account.journal"
            ].search(
                [
                    ("type", "=", "cash"),
                    *self.env["account.journal"]._check_company_domain(
                        picking.company_id
                    ),
                ],
                limit=1,
            )
            if journal and not order.currency_id.is_zero(amount):
                order._oms_register_external_payment(
                    journal, amount, ref=picking.carrier_tracking_ref or picking.name
                )

    # ------------------------------------------------------------------ lists

    @api.model
    def action_oms_create_waves(self):
        """Group the selected deliveries that are ready to go into Odoo's batch
        transfers: one per operation type, carrier and OMS priority, the most
        urgent first, so that a picker takes one carrier's urgent parcels in
        one round. Held deliveries and deliveries already in a batch stay out.

        :return: the action opening the batches created
        """
        pickings = self.filtered(
            lambda p: p.picking_type_code == "outgoing"
            and p.state in ("confirmed", "waiting", "assigned")
            and not p.batch_id
            and not p.oms_on_hold
        )
        if not pickings:
            raise UserError(
                self.env._(
                    "Select deliveries to ship that are not on hold and not in "
                    "a batch yet."
                )
            )
        groups = defaultdict(lambda: self.browse())
        for picking in pickings:
            key = (picking.picking_type_id, picking.carrier_id, picking.oms_priority)
            groups[key] |= picking
        priority_names = dict(
            self._fields["oms_priority"]._description_selection(self.env)
        )
        Batch = self.env["stock.picking.batch"]
        batches = Batch
        for (picking_type, carrier, priority), group in sorted(
            groups.items(),
            key=lambda item: (
                -int(item[0][2] or 0),
                item[0][1].name or "",
                item[0][0].id,
            ),
        ):
            batches |= Batch.create(
                {
                    "picking_type_id": picking_type.id,
                    "company_id": picking_type.company_id.id,
                    "description": " / ".join(
                        filter(
                            None,
                            [
                                carrier.name,
                                priority_names.get(priority or "0"),
                            ],
                        )
                    ),
                    "picking_ids": [Command.set(group.ids)],
                }
            )
        for batch in batches:
            batch.action_confirm()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_picking_batch.stock_picking_batch_action"
        )
        action["domain"] = [("id", "in", batches.ids)]
        action["context"] = {}
        return action

    def _oms_sort_for_picking_list(self, pickings):
        """Order pickings for the picking round: priority first, then the first
        source location of their lines, then the scheduled date."""

        def key(picking):
            lines = picking._oms_get_picking_list_lines()
            location = lines[:1].location_id.complete_name or ""
            return (
                -int(picking.priority or 0),
                location,
                picking.scheduled_date,
                picking.id,
            )

        return self.browse([p.id for p in sorted(pickings, key=key)])

    def _oms_get_picking_list_lines(self):
        """Move lines in walking order: by source location, then product."""
        self.ensure_one()
        return self.move_line_ids.sorted(
            key=lambda ml: (
                ml.location_id.complete_name or "",
                ml.product_id.display_name,
                ml.id,
            )
        )
