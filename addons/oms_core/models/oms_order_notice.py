from odoo import fields, models
from odoo.tools import SQL

OMS_NOTICE_EVENTS = [
    ("hold_customer", "Waiting on the customer"),
    ("backorder", "Back-order with a new date"),
    ("promise_at_risk", "Later than promised"),
    ("cancel", "Cancellation"),
    ("shipment", "Shipment with tracking"),
    ("rating", "Satisfaction survey"),
]


class OmsOrderNotice(models.Model):
    """The log of the notices sent to customers: one row per order, event and
    key (e.g. the back-order), so that each notice goes out exactly once even
    when two workers reach the same event at the same time."""

    _name = "oms.order.notice"
    _description = "Customer Notice"
    _order = "sent_date desc, id desc"

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, readonly=True
    )
    event = fields.Selection(OMS_NOTICE_EVENTS, required=True, readonly=True)
    topic = fields.Char(
        default="",
        readonly=True,
        help="What the notice is about within the event (e.g. the back-order).",
    )
    sent_date = fields.Datetime(default=fields.Datetime.now, readonly=True)

    _sql_constraints = [
        (
            "order_event_topic_unique",
            "UNIQUE(order_id, event, topic)",
            "A notice is sent once per order and event.",
        )
    ]

    def _claim(self, order, event, topic=""):
        """Record that ``event`` is notified for ``order`` (about ``topic``
        within the event); False when it was
        already (by this or a concurrent transaction, which the unique index
        makes wait and then skip).

        :rtype: bool
        """
        self.env.cr.execute(
            SQL(
                """INSERT INTO oms_order_notice
                       (order_id, event, topic, sent_date, create_uid, create_date,
                        write_uid, write_date)
                   VALUES (%s, %s, %s, now() at time zone 'utc', %s,
                           now() at time zone 'utc', %s, now() at time zone 'utc')
                   ON CONFLICT (order_id, event, topic) DO NOTHING
                   RETURNING id""",
                order.id,
                event,
                topic or "",
                self.env.uid,
                self.env.uid,
            )
        )
        claimed = bool(self.env.cr.fetchone())
        order.invalidate_recordset(["oms_notice_ids"])
        return claimed
