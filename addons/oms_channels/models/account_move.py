from decimal import Decimal

from odoo import Command, api, fields, models

from ..adapters.base import PushDocument


class AccountMove(models.Model):
    """Refunds of channel orders, both ways.

    A credit note of a channel order recorded in Odoo is sent to the channel as
    a refund once it is paid (the outbox). A refund made on the platform comes
    the other way (:meth:`_oms_create_platform_refund`): it becomes a posted
    credit note that remembers the platform's refund id, so that it is never
    recorded twice nor sent back.
    """

    _inherit = "account.move"

    oms_channel_refund_ref = fields.Char(
        "Platform Refund",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The platform's id of the refund this credit note records (a refund "
        "made on the platform).",
    )
    oms_outbox_ids = fields.One2many(
        "oms.channel.outbox",
        "invoice_id",
        string="Sent to the Channel",
        groups="oms_core.group_oms_user",
    )

    # -- Odoo refund → platform ---------------------------------------------------
    def _invoice_paid_hook(self):
        """Send the paid credit notes of channel orders to their channel."""
        res = super()._invoice_paid_hook()
        self._oms_enqueue_refunds()
        return res

    def _oms_get_channel_order(self):
        """The channel order a credit note credits (one order), or nothing."""
        self.ensure_one()
        orders = self.invoice_line_ids.sale_line_ids.order_id
        return orders if len(orders) == 1 and orders.oms_external_ref else orders[:0]

    def _oms_enqueue_refunds(self):
        Outbox = self.env["oms.channel.outbox"]
        # sudo: queueing is a consequence of the payment; the accountant may not
        # read the channel or the outbox
        for move in self.sudo().filtered(
            lambda m: (
                m.move_type == "out_refund"
                and not m.oms_channel_refund_ref
                and not m.oms_outbox_ids
            )
        ):
            order = move._oms_get_channel_order()
            if not order or not order.oms_channel_id._oms_takes_push("refund"):
                continue
            Outbox._enqueue(
                order, move._oms_prepare_refund_document(order), invoice=move
            )

    def _oms_prepare_refund_document(self, order):
        """Hook: the refund sent to the channel: the credited lines (quantity
        and amount, taxes included) and the total; the goods go back to the
        platform's stock when a received return restocked them.

        :param order: the channel's ``sale.order``
        :rtype: :class:`~odoo.addons.oms_channels.adapters.base.PushDocument`
        """
        self.ensure_one()
        quantities, amounts = {}, {}
        for line in self.invoice_line_ids.filtered("sale_line_ids"):
            sale_line = line.sale_line_ids[:1]
            if sale_line.is_delivery:
                continue
            quantities[sale_line] = quantities.get(sale_line, 0.0) + line.quantity
            amounts[sale_line] = amounts.get(sale_line, 0.0) + line.price_total
        lines = order.oms_channel_id._oms_push_lines(quantities)
        for line, sale_line in zip(lines, quantities, strict=True):
            line.amount = Decimal(str(amounts[sale_line]))
        returns = (
            self.env["oms.return"].sudo().search([("credit_note_id", "=", self.id)])
        )
        return PushDocument(
            kind="refund",
            key="",
            external_ref=order.oms_external_ref,
            reference=self.name,
            lines=lines,
            reason=self.ref or returns[:1].name or self.name,
            restock=any(ret.disposition == "restock" for ret in returns),
            amount=Decimal(str(self.amount_total)),
            currency=self.currency_id.name,
        )

    # -- platform refund → Odoo ---------------------------------------------------
    @api.model
    def _oms_create_platform_refund(self, order, refund):
        """Hook: record a refund made on the platform as a posted credit note of
        ``order`` for the refunded lines.

        :param order: the channel's ``sale.order``
        :param refund: :class:`~odoo.addons.oms_channels.adapters.base.PlatformRefund`
        :return: the credit note (empty when no line of the order was refunded)
        """
        quantities = order.oms_channel_id._oms_refund_quantities(order, refund)
        line_vals = [
            Command.create(line._prepare_invoice_line(quantity=quantity))
            for line, quantity in quantities.items()
            if quantity > 0
        ]
        if not line_vals:
            return self.browse()
        vals = order._prepare_invoice()
        vals.update(
            {
                "move_type": "out_refund",
                "invoice_line_ids": line_vals,
                "ref": refund.note or refund.ref,
                "oms_channel_refund_ref": refund.ref,
            }
        )
        credit_note = self.create(vals)
        credit_note.action_post()
        return credit_note
