import json
import logging
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..adapters.base import ChannelError, ChannelHTTPError, PushDocument

_logger = logging.getLogger(__name__)

OMS_OUTBOX_KIND = [
    ("fulfilment", "Shipment"),
    ("cancel", "Cancellation"),
    ("refund", "Refund"),
]
OMS_OUTBOX_STATE = [
    ("pending", "To Send"),
    ("sent", "Sent"),
    ("failed", "Failed"),
]
#: attempts after which a document that keeps meeting 5xx/timeouts is failed
OMS_OUTBOX_MAX_ATTEMPTS = 8
#: first retry delay; doubled on each attempt, at most OMS_OUTBOX_MAX_DELAY
OMS_OUTBOX_FIRST_DELAY = timedelta(minutes=2)
OMS_OUTBOX_MAX_DELAY = timedelta(hours=6)
#: what only the sending changes (see ``write``)
OMS_OUTBOX_GUARDED_FIELDS = {
    "state",
    "attempts",
    "next_try_date",
    "last_error",
    "sent_date",
    "platform_ref",
    "payload",
    "idempotency_id",
    "kind",
    "channel_id",
    "order_id",
    "picking_id",
    "invoice_id",
}


class OmsChannelOutbox(models.Model):
    """One document sent back to a channel: a shipment, a cancellation or a refund.

    Everything Odoo tells a platform about an order goes through this outbox.
    The document is built when the event happens (what left the warehouse,
    the reason of the cancellation, the refunded lines) and kept as JSON in
    ``payload``; a cron sends it, claiming the records with ``FOR UPDATE SKIP
    LOCKED`` so that two workers never send the same one at once. A call that
    gets no answer, a 429 or a 5xx is retried later with back-off; any other
    refusal fails the document with the platform's message. Every attempt
    carries the same ``idempotency_id``, which the adapter sends to the
    platform or looks for before sending again, so a document the platform
    processed but whose answer was lost is not applied twice.

    Only the sending changes the state: users see it on the order and retry a
    failed document with *Retry*; a plain ``write`` of the state is refused.
    """

    _name = "oms.channel.outbox"
    _description = "Channel Outbox"
    _order = "id desc"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "oms.channel",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    order_id = fields.Many2one(
        "sale.order",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    kind = fields.Selection(OMS_OUTBOX_KIND, required=True, readonly=True)
    payload = fields.Text(
        readonly=True, help="The document sent, as built when the event happened."
    )
    state = fields.Selection(
        OMS_OUTBOX_STATE, default="pending", required=True, readonly=True, index=True
    )
    attempts = fields.Integer(readonly=True)
    next_try_date = fields.Datetime(
        "Next Try", default=fields.Datetime.now, readonly=True, index=True
    )
    last_error = fields.Text(readonly=True)
    sent_date = fields.Datetime("Sent", readonly=True)
    platform_ref = fields.Char(
        "Platform ID", readonly=True, help="What the platform created (its id)."
    )
    idempotency_id = fields.Char(
        "Idempotency Key",
        readonly=True,
        copy=False,
        default=lambda self: uuid.uuid4().hex,
        help="Sent with every attempt: the platform applies the document once.",
    )
    status_text = fields.Char("Status", compute="_compute_status_text")

    _sql_constraints = [
        (
            "idempotency_id_uniq",
            "unique(idempotency_id)",
            "An outbox document has its own idempotency key.",
        ),
        (
            "picking_kind_uniq",
            "unique(picking_id, kind)",
            "A delivery is sent to its channel once.",
        ),
        (
            "invoice_kind_uniq",
            "unique(invoice_id, kind)",
            "A credit note is sent to its channel once.",
        ),
    ]

    @api.depends("state", "sent_date", "last_error", "channel_id", "kind")
    def _compute_status_text(self):
        for record in self:
            platform = record.channel_id.display_name
            if record.state == "sent":
                record.status_text = self.env._(
                    "sent to %(channel)s at %(date)s",
                    channel=platform,
                    date=fields.Datetime.to_string(
                        fields.Datetime.context_timestamp(record, record.sent_date)
                    ),
                )
            elif record.state == "failed":
                record.status_text = self.env._(
                    "failed: %(error)s", error=record.last_error or ""
                )
            else:
                record.status_text = self.env._("waiting to be sent")

    @api.depends("kind", "order_id", "picking_id", "invoice_id")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for record in self:
            document = record.picking_id or record.invoice_id or record.order_id
            record.display_name = f"{kinds.get(record.kind)} {document.display_name}"

    # -- guards -------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        """Outbox documents are created by the events that send them (a
        validated delivery, a cancellation, a paid credit note), never by hand."""
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Outbox documents are created by the deliveries, cancellations "
                    "and refunds they send."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        """The state, the document and the sending record change only through
        the sending (``_send``) and *Retry*, which write in superuser mode: a
        plain write of them, RPC included, is refused to everyone."""
        guarded = OMS_OUTBOX_GUARDED_FIELDS & set(vals)
        if guarded and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s of an outbox document change only by sending it.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in sorted(guarded)
                    ),
                )
            )
        return super().write(vals)

    # -- queueing -------------------------------------------------------------------
    @api.model
    def _enqueue(self, order, document, picking=None, invoice=None):
        """Hook: queue ``document`` for the channel of ``order`` and ask the
        cron to send it soon.

        :param order: the channel's ``sale.order``
        :param document: :class:`~odoo.addons.oms_channels.adapters.base.PushDocument`
            (its ``key`` is replaced by the record's idempotency key)
        :return: the new outbox record
        """
        key = uuid.uuid4().hex
        document.key = key
        # sudo: queueing is the consequence of the user's action (validation,
        # cancellation, payment), not something the user creates
        record = self.sudo().create(
            {
                "channel_id": order.oms_channel_id.id,
                "order_id": order.id,
                "picking_id": picking.id if picking else False,
                "invoice_id": invoice.id if invoice else False,
                "kind": document.kind,
                "payload": json.dumps(document.to_json(), sort_keys=True),
                "idempotency_id": key,
            }
        )
        cron = self.env.ref(
            "oms_channels.ir_cron_oms_channel_push_fulfilments",
            raise_if_not_found=False,
        )
        if cron:
            cron.sudo()._trigger()
        return record.with_env(self.env)

    def _get_document(self):
        """The :class:`PushDocument` of the record (its key is the record's)."""
        self.ensure_one()
        document = PushDocument.from_json(json.loads(self.payload))
        document.key = self.idempotency_id
        return document

    # -- sending --------------------------------------------------------------------
    @api.model
    def _cron_send(self, limit=100):
        """Send the documents due, each claimed by one worker only (``SKIP
        LOCKED``): the oldest due first.

        :return: the records processed
        """
        self.flush_model(["state", "next_try_date"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM oms_channel_outbox "
                "WHERE state = 'pending' AND next_try_date <= %s "
                "ORDER BY next_try_date, id LIMIT %s FOR UPDATE SKIP LOCKED",
                fields.Datetime.now(),
                limit,
            )
        )
        records = self.browse([row[0] for row in rows])
        records._send()
        return records

    def _send(self):
        """Send each pending record once now; the result is recorded on it
        (sent, retried later, failed), never raised."""
        # sudo: the sending is a system action (cron, validation), its result is
        # recorded on guarded fields
        for record in self.sudo().filtered(lambda r: r.state == "pending"):
            adapter = record.channel_id._get_adapter()
            # the outbox retries with its own back-off, not inside the call
            adapter.max_retries = 0
            try:
                platform_ref = record.channel_id._oms_send_outbox(record, adapter)
            except ChannelHTTPError as exc:
                if exc.retryable:
                    record._oms_retry_later(exc)
                else:
                    record._oms_failed(exc)
            except (ChannelError, UserError) as exc:
                record._oms_failed(exc)
            else:
                record._oms_sent(platform_ref)

    def _oms_sent(self, platform_ref):
        self.ensure_one()
        now = fields.Datetime.now()
        self.write(
            {
                "state": "sent",
                "sent_date": now,
                "attempts": self.attempts + 1,
                "last_error": False,
                "platform_ref": platform_ref or False,
            }
        )
        self.order_id._message_log(
            body=self.env._(
                "%(document)s sent to %(channel)s.",
                document=self.display_name,
                channel=self.channel_id.display_name,
            )
        )

    def _oms_retry_later(self, error):
        """The platform did not answer or answered 429/5xx: try again later
        (2, 4, 8… minutes, at most 6 hours), until the last attempt."""
        self.ensure_one()
        attempts = self.attempts + 1
        if attempts >= OMS_OUTBOX_MAX_ATTEMPTS:
            self._oms_failed(error, attempts=attempts)
            return
        delay = min(OMS_OUTBOX_FIRST_DELAY * 2 ** (attempts - 1), OMS_OUTBOX_MAX_DELAY)
        self.write(
            {
                "attempts": attempts,
                "next_try_date": fields.Datetime.now() + delay,
                "last_error": _error_text(error),
            }
        )

    def _oms_failed(self, error, attempts=None):
        """The platform refused the document: failed, with its message, until
        someone retries it."""
        self.ensure_one()
        message = _error_text(error)
        _logger.info("outbox %s failed: %s", self.id, message)
        self.write(
            {
                "state": "failed",
                "attempts": attempts or self.attempts + 1,
                "last_error": message,
            }
        )
        self.order_id.message_post(
            body=self.env._(
                "Sending %(document)s to %(channel)s failed: %(error)s",
                document=self.display_name,
                channel=self.channel_id.display_name,
                error=message,
            )
        )

    def action_retry(self):
        """Button: send the failed (or waiting) documents again now, with the
        same idempotency key."""
        self.check_access("read")
        records = self.filtered(lambda r: r.state != "sent")
        # sudo: the state changes only here and in the sending
        records.sudo().write(
            {"state": "pending", "next_try_date": fields.Datetime.now()}
        )
        records._send()
        return True


def _error_text(error):
    """The message kept on the record: the call, its status and the platform's
    own words."""
    detail = getattr(error, "detail", "")
    return f"{error}: {detail}" if detail else str(error)
