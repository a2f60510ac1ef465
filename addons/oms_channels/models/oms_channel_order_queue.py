"""The intake queue: staging exactly once, claiming, locks and retry schedule."""

import hashlib
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..adapters import ChannelError, NotAnOrder
from ..adapters.base import ChannelHTTPError, loads, version_label
from ..intake.errors import TRANSIENT, classify_error
from ..intake.importer import OrderImporter
from ..intake.mapper import MissingTaxError, UnknownSkuError

_logger = logging.getLogger(__name__)

BATCH_SIZE = 50
RETRY_BASE_MINUTES = 5
#: high 32 bits of the advisory lock of a channel's intake (one-key locks do not
#: share their key space with oms_core's two-key stock promise locks)
OMS_INTAKE_LOCK = 0x4F4D5343  # "OMSC"


class OmsChannelOrderQueue(models.AbstractModel):
    """The queue of ``oms.channel.order``: how a payload is stored exactly once,
    how workers claim what to process, and when a failed order is retried.

    Rows are written with SQL where concurrency asks for it (``INSERT ... ON
    CONFLICT DO NOTHING``, ``FOR UPDATE SKIP LOCKED``, advisory locks); the
    import itself is :class:`~odoo.addons.oms_channels.intake.importer.OrderImporter`.
    """

    _name = "oms.channel.order.queue"
    _description = "Channel Order Queue"

    # -- staging (exactly once) -------------------------------------------------
    @api.model
    def _stage(self, channel, payload, order=None, source="pull", cancel=False):
        """Store one raw order of ``channel`` exactly once.

        Concurrent deliveries of the same order (webhook twice, webhook and pull,
        several servers) are serialized by the unique index: ``ON CONFLICT DO
        NOTHING`` makes the loser find the winner's row instead of failing.

        :param payload: raw text as received
        :param order: the parsed order dict (to read the external reference)
        :return: the staged record (new or existing)
        """
        adapter = channel._get_adapter()
        if order is None:
            order = adapter.orders_of(loads(payload))[0]
        ref = adapter.external_ref(order)
        cancel = cancel or adapter.is_cancel_event({}, order)
        awaiting = adapter.is_awaiting_payment(order) and not cancel
        version = adapter.order_version(order)
        number = self._order_number_of(adapter, order, ref)
        record = self._insert_once(
            channel, ref, payload, source, "ignored" if awaiting else "received", False
        )
        if record:
            record.write(
                {
                    "is_cancel_requested": cancel,
                    "is_awaiting_payment": awaiting,
                    "channel_version": version or False,
                    "order_number": number,
                }
            )
            return record
        record = self.search(
            [("channel_id", "=", channel.id), ("external_ref", "=", ref)]
        )
        if record and record.order_number != number:
            record.order_number = number
        if not record._accept_version(version, source):
            # a cancellation holds whatever its version (the platform's
            # cancel topic may carry the order's previous one)
            if cancel and not record.is_cancel_requested:
                record.is_cancel_requested = True
            return record
        record._update_from_channel(payload, cancel, awaiting=awaiting)
        if adapter.can_update_orders:
            record._stage_update(payload, source)
        return record

    @api.model
    def _order_number_of(self, adapter, order, ref):
        """The order number the shop shows (``ChannelAdapter.order_number``),
        the reference when the payload has none."""
        try:
            number = adapter.order_number(order)
        except ChannelError:
            number = ""
        return (number or ref).replace("\x00", "\ufffd")

    def _accept_version(self, version, source):
        """Whether a payload of ``version`` is newer than the one staged; an
        older one is logged as ignored on the order (the same one again, a
        webhook retried or a pull, is not news).

        :param str version: ``ChannelAdapter.order_version`` of the payload
        :rtype: bool
        """
        if not self:
            # staged concurrently, after this transaction's snapshot
            return False
        self.ensure_one()
        current = self.channel_version or ""
        if not version or not current or version > current:
            if version:
                self.channel_version = version
            return True
        if version < current and self.sale_order_id:
            self.env["oms.channel.order.update"]._log(
                self,
                version,
                source,
                "ignored",
                self.env._(
                    "Older than the version %(current)s received before.",
                    current=version_label(current),
                ),
            )
        return False

    def _stage_update(self, payload, source):
        """Queue a change of an imported order, to be applied to its sales
        order by the importer (``OrderImporter.apply_update``). The newest one
        wins: an update not applied yet is replaced."""
        payload = (payload or "").replace("\x00", "\ufffd")
        for record in self.filtered(lambda r: r.state == "imported"):
            if payload in (record.payload, record.update_payload):
                continue
            record.write(
                {
                    "update_payload": payload,
                    "is_update_pending": True,
                    "update_source": source,
                    "update_date": fields.Datetime.now(),
                }
            )

    @api.model
    def _stage_invalid(self, channel, payload, error, source="webhook"):
        """Keep a signed body that is not an order as a ``failed`` record."""
        digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
        record = self._insert_once(
            channel, f"invalid-{digest}", payload, source, "failed", error
        )
        return record or self.search(
            [
                ("channel_id", "=", channel.id),
                ("external_ref", "=", f"invalid-{digest}"),
            ]
        )

    def _insert_once(self, channel, ref, payload, source, state, error):
        """INSERT the row unless it exists; the staged record, else an empty recordset.

        Under REPEATABLE READ a row committed by a concurrent transaction after our
        snapshot makes PostgreSQL raise a serialization failure instead of skipping:
        that row *is* the staged order, so nothing is inserted here either.
        """
        self.env.flush_all()
        # PostgreSQL text cannot hold NUL: the only character not kept verbatim
        payload = (payload or "").replace("\x00", "\ufffd")
        ref = ref.replace("\x00", "\ufffd")
        query = SQL(
            """INSERT INTO oms_channel_order
                       (channel_id, company_id, external_ref, payload, state, error,
                        source, attempts, received_date, is_cancel_requested,
                        is_cancel_done, create_uid, write_uid, create_date, write_date)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, 0, NOW() AT TIME ZONE 'UTC',
                           false, false, %s, %s, NOW() AT TIME ZONE 'UTC',
                           NOW() AT TIME ZONE 'UTC')
                   ON CONFLICT (channel_id, external_ref) DO NOTHING
                   RETURNING id""",
            channel.id,
            channel.company_id.id,
            ref,
            payload,
            state,
            error or None,
            source,
            self.env.uid,
            self.env.uid,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                row = self.env.cr.fetchone()
        except psycopg2.errors.SerializationFailure:
            _logger.info(
                "channel order %s of channel %s staged concurrently", ref, channel.id
            )
            return self.browse()
        return self.browse(row[0]) if row else self.browse()

    def _update_from_channel(self, payload, cancel, awaiting=False):
        """A newer version of an already staged order arrived.

        An order staged while waiting for payment keeps its newest payload; it
        is queued for import once the buyer has paid (or the channel closed it).
        """
        payload = (payload or "").replace("\x00", "\ufffd")
        for record in self:
            if cancel and not record.is_cancel_requested:
                record.is_cancel_requested = True
            if record.is_awaiting_payment and record.state == "ignored":
                if awaiting:
                    if payload != record.payload:
                        record.payload = payload
                    continue
                record.write(
                    {
                        "payload": payload,
                        "state": "received",
                        "error": False,
                        "is_awaiting_payment": False,
                    }
                )
                continue
            if record.state in ("received", "failed") and payload != record.payload:
                record.write({"payload": payload, "state": "received", "error": False})

    # -- claiming -------------------------------------------------------------------
    def _claim_domain_sql(self):
        return SQL(
            """(state = 'received'
                OR (state = 'failed' AND next_retry_date <= NOW() AT TIME ZONE 'UTC')
                OR (state = 'imported' AND is_cancel_requested
                    AND NOT is_cancel_done)
                OR (state = 'imported' AND is_update_pending))"""
        )

    @api.model
    def _intake_lock_sql(self, channel_id):
        """Try-lock of a channel's intake, held until the transaction ends."""
        return SQL(
            "SELECT pg_try_advisory_xact_lock(%s)", (OMS_INTAKE_LOCK << 32) + channel_id
        )

    @api.model
    def _claim_channel_batch(self, limit=BATCH_SIZE):
        """The cron's batch: processable orders of the oldest channel that no
        other worker is processing right now.

        One worker per channel at a time: two workers on the same channel would
        wait for each other's stock promises and the second one would redo its
        batch (its snapshot predates the first one's commit). Workers take
        different channels instead, and a worker that finds every channel taken
        has nothing to do. Nothing waits: the channel lock is only tried.
        """
        self.env.flush_all()
        where = self._claim_domain_sql()
        self.env.cr.execute(
            SQL(
                "SELECT channel_id FROM oms_channel_order WHERE %s "
                "GROUP BY channel_id ORDER BY min(id)",
                where,
            )
        )
        for (channel_id,) in self.env.cr.fetchall():
            self.env.cr.execute(self._intake_lock_sql(channel_id))
            if self.env.cr.fetchone()[0]:
                claimed = self._claim(
                    limit, where=SQL("%s AND channel_id = %s", where, channel_id)
                )
                if claimed:
                    return claimed
        return self.browse()

    def _claim(self, limit=BATCH_SIZE, where=None):
        """Lock processable rows; rows locked by another worker are skipped.

        Without records: the cron's batch (failed rows once their retry is due),
        or the rows of ``where``. With records: these rows, failed ones included
        (explicit user action).
        """
        self.env.flush_all()
        if self:
            where = SQL(
                "id IN %s AND (state IN ('received', 'failed') OR (state = 'imported' "
                "AND ((is_cancel_requested AND NOT is_cancel_done) "
                "OR is_update_pending)))",
                tuple(self.ids),
            )
        elif where is None:
            where = self._claim_domain_sql()
        query = SQL(
            "SELECT id FROM oms_channel_order WHERE %s ORDER BY id LIMIT %s "
            "FOR UPDATE SKIP LOCKED",
            where,
            limit,
        )
        self.env.cr.execute(query)
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    # -- processing -----------------------------------------------------------------
    @api.model
    def _cron_process(self, limit=BATCH_SIZE):
        """Process a batch of claimed staged orders; re-trigger while work remains."""
        try:
            with self.env.cr.savepoint(flush=False):
                records = self._claim_channel_batch(limit)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # a row changed since this transaction began: claim it in a new one
            self._trigger_processing()
            return self.browse()
        records._process()
        remaining = self.search_count([("state", "=", "received")]) if records else 0
        self.env["ir.cron"]._notify_progress(done=len(records), remaining=remaining)
        return records

    def _process(self):
        """Hook: import the claimed records (cancel the imported ones the channel
        cancelled), with :class:`OrderImporter`: every path — cron, webhook,
        `action_process`, file import — goes through it."""
        OrderImporter(self).run()

    @api.model
    def _trigger_processing(self):
        """Run the processing cron as soon as possible (in a new transaction)."""
        cron = self.env.ref(
            "oms_channels.ir_cron_oms_channel_order_process", raise_if_not_found=False
        )
        if cron:
            # sudo: only schedules the cron (users who process orders cannot write it)
            cron.sudo()._trigger()

    # -- retry schedule -------------------------------------------------------------
    def _mark_failed(self, exc):
        """Keep the error on the record and schedule its retry: 5, 10, 20...
        minutes, up to the channel's ``process_limit``, for a transient error
        only (``intake.errors``); a permanent one (unknown SKU, invalid data)
        waits for a person."""
        self.ensure_one()
        if isinstance(exc, ChannelHTTPError):
            message = self.channel_id._oms_channel_error_stored(exc)
        elif isinstance(exc, (UserError, ChannelError)):
            message = exc.args[0] if exc.args else str(exc)
        else:
            _logger.warning("channel order %s failed", self.id, exc_info=exc)
            message = self.env._("Unexpected error: %(error)s", error=repr(exc))
        if isinstance(exc, ChannelError) and not isinstance(
            exc, (UserError, ChannelHTTPError)
        ):
            message = self.env._(
                "The channel's payload cannot be used: %(error)s", error=message
            )
        attempts = self.attempts + 1
        kind = classify_error(exc)
        retry = (
            kind == TRANSIENT
            and attempts < self.channel_id.process_limit
            and not isinstance(exc, NotAnOrder)
        )
        missing_tax = isinstance(exc, MissingTaxError)
        self.write(
            {
                "state": "failed",
                "error": message,
                "error_kind": kind,
                "missing_skus": isinstance(exc, UnknownSkuError)
                and "\n".join(exc.skus),
                "missing_tax_rate": missing_tax and exc.rate,
                "missing_tax_included": missing_tax and exc.included,
                "missing_tax_title": missing_tax and exc.title,
                "attempts": attempts,
                "processed_date": fields.Datetime.now(),
                "next_retry_date": retry
                and fields.Datetime.now()
                + timedelta(minutes=RETRY_BASE_MINUTES * 2 ** (attempts - 1)),
            }
        )
