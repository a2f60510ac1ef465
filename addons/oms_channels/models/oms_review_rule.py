from odoo import fields, models


class OmsReviewRule(models.Model):
    """Two checks of channel orders, run by the review like oms_core's:

    - ``channel_update``: the channel changed an order that has shipped; the
      order is not changed, the exception shows the changes;
    - ``channel_payment``: the order is paid on the channel but the payment is
      not recorded (an accounting setting of the channel is missing); the
      exception closes itself once the setting is fixed and the payment
      recorded (``oms.channel._oms_record_missing_payments``).

    Both read fields of the order only (no query per order in a batch).
    """

    _inherit = "oms.review.rule"

    check_type = fields.Selection(
        selection_add=[
            ("channel_update", "Channel Update After Shipment"),
            ("channel_payment", "Channel Payment Not Recorded"),
        ],
        ondelete={"channel_update": "cascade", "channel_payment": "cascade"},
    )

    def _review_channel_update(self, order, batch):
        if not order.oms_channel_update_diff:
            return False
        return self.env._(
            "The channel changed this order after it shipped; the order was not "
            "changed. Changes: %(changes)s",
            changes=order.oms_channel_update_diff.replace("\n", "; "),
        )

    def _review_channel_payment(self, order, batch):
        if not order.oms_channel_payment_due:
            return False
        return self.env._(
            "Paid %(amount)s on the channel, not recorded: %(reason)s",
            amount=format(order.oms_channel_payment_due, ".2f"),
            reason=order.oms_channel_payment_error or "-",
        )
