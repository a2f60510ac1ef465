import hashlib
import json
import logging
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..adapters import ChannelError, NotAnOrder
from ..adapters.base import loads
from .oms_channel_mapping import OmsMappingCache

_logger = logging.getLogger(__name__)

OMS_CHANNEL_ORDER_STATE = [
    ("received", "Received"),
    ("imported", "Imported"),
    ("duplicate", "Duplicate"),
    ("failed", "Failed"),
    ("ignored", "Ignored"),
]
BATCH_SIZE = 50
#: errors of a transaction that met a concurrent one: retried in a new transaction
CONCURRENCY_ERRORS = (
    *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    psycopg2.errors.UniqueViolation,
)
RETRY_BASE_MINUTES = 5
#: high 32 bits of the advisory lock of a channel's intake (one-key locks do not
#: share their key space with oms_core's two-key stock promise locks)
OMS_INTAKE_LOCK = 0x4F4D5343  # "OMSC"
#: intake creates and confirms orders like Odoo's own import: no field tracking
#: and no "created" log (the origin note and the confirmation note say it all),
#: and the technical user who runs the cron or webhook follows nothing;
#: followers (customer, salesperson) are subscribed as usual
OMS_INTAKE_MAIL_CONTEXT = {
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
}


class OmsChannelOrder(models.Model):
    _name = "oms.channel.order"
    _description = "Staged Channel Order"
    _inherit = ["mail.thread"]
    _order = "received_date desc, id desc"
    _rec_name = "external_ref"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "oms.channel",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True
    )
    external_ref = fields.Char("External Reference", required=True, readonly=True)
    payload = fields.Text(
        readonly=True, help="The order exactly as the channel sent it."
    )
    state = fields.Selection(
        OMS_CHANNEL_ORDER_STATE,
        required=True,
        default="received",
        index=True,
        readonly=True,
        tracking=True,
    )
    error = fields.Text(readonly=True)
    attempts = fields.Integer(readonly=True)
    next_retry_date = fields.Datetime(readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    received_date = fields.Datetime(
        default=fields.Datetime.now, readonly=True, required=True
    )
    processed_date = fields.Datetime(readonly=True)
    source = fields.Selection(
        [
            ("webhook", "Webhook"),
            ("pull", "Scheduled pull"),
            ("file", "File"),
            ("manual", "Manual"),
        ],
        default="manual",
        readonly=True,
    )
    is_cancel_requested = fields.Boolean(
        "Cancellation Requested",
        readonly=True,
        help="The channel cancelled the order; the cron applies the cancellation.",
    )
    is_cancel_done = fields.Boolean(readonly=True)

    _sql_constraints = [
        (
            "channel_ref_uniq",
            "unique(channel_id, external_ref)",
            "An order of a channel is staged only once.",
        ),
    ]

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
        record = self._insert_once(channel, ref, payload, source, "received", False)
        if record:
            record.is_cancel_requested = cancel
            return record
        record = self.search(
            [("channel_id", "=", channel.id), ("external_ref", "=", ref)]
        )
        record._update_from_channel(payload, cancel)
        return record

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

    def _update_from_channel(self, payload, cancel):
        """A newer version of an already staged order arrived."""
        payload = (payload or "").replace("\x00", "\ufffd")
        for record in self:
            if cancel and not record.is_cancel_requested:
                record.is_cancel_requested = True
            if record.state in ("received", "failed") and payload != record.payload:
                record.write({"payload": payload, "state": "received", "error": False})

    # -- processing ---------------------------------------------------------------
    def _claim_domain_sql(self):
        return SQL(
            """(state = 'received'
                OR (state = 'failed' AND next_retry_date <= NOW() AT TIME ZONE 'UTC')
                OR (state = 'imported' AND is_cancel_requested
                    AND NOT is_cancel_done))"""
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
                "AND is_cancel_requested AND NOT is_cancel_done))",
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

    def action_process(self):
        """Process these staged orders now, through the cron's code path."""
        claimed = self._claim(limit=max(len(self), 1))
        if len(claimed) < len(
            self.filtered(lambda r: r.state in ("received", "failed"))
        ):
            raise UserError(_("Some of these orders are being processed right now."))
        claimed._process()
        return True

    def action_retry(self):
        """Retry failed orders now (after the mapping was fixed)."""
        failed = self.filtered(lambda r: r.state == "failed")
        if not failed:
            raise UserError(_("Only failed orders can be retried."))
        return failed.action_process()

    def action_ignore(self):
        if self.filtered(lambda r: r.state == "imported"):
            raise UserError(
                _("An imported order cannot be ignored; cancel the sales order.")
            )
        self.write({"state": "ignored", "next_retry_date": False})
        return True

    def action_reset(self):
        """Put ignored orders back into the queue."""
        self.filtered(lambda r: r.state == "ignored").write(
            {"state": "received", "attempts": 0, "error": False}
        )
        return True

    def _process(self):
        """Import the claimed orders as one batch, else one by one.

        The batch (`_import_orders`) runs in one savepoint. If anything in it
        fails, all of it is rolled back and every record is processed again in
        its own savepoint, so one bad order never blocks the others.
        A concurrency error (serialization failure, deadlock, lock timeout, or a
        mapping row just created by another worker) is no fault of the order:
        PostgreSQL asks for a new transaction, so the record stays queued and the
        cron runs again at once; only a conflict repeated ``process_limit`` times
        marks it failed. A whole batch that meets one waits for the next run
        as it is. Cancellations of imported orders run one by one.
        """
        imports = self.filtered(lambda r: r.state != "imported")
        if len(imports) > 1:
            try:
                with self.env.cr.savepoint():
                    imports._import_orders()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
                # another worker committed stock promises of the same products
                # since this transaction began: one by one would meet the same
                # stale snapshot, so the batch waits for the next run (not an
                # attempt of the orders: the other worker made progress)
                _logger.info(
                    "batch of %s channel orders met a concurrent update (%s): "
                    "left for the next run",
                    len(imports),
                    exc.pgcode,
                )
                self._trigger_processing()
                self -= imports
            except Exception as exc:  # noqa: BLE001 - redone one by one below
                _logger.info(
                    "batch of %s channel orders failed (%s), one by one now",
                    len(imports),
                    exc,
                )
            else:
                self -= imports
        conflicts = self.browse()
        for record in self:
            try:
                with self.env.cr.savepoint():
                    if record.state == "imported":
                        record._apply_cancellation()
                    else:
                        record._import_order()
            except CONCURRENCY_ERRORS as exc:
                if record.attempts + 1 >= record.channel_id.process_limit:
                    record._mark_failed(exc)
                else:
                    record.attempts += 1
                    conflicts |= record
            except Exception as exc:  # noqa: BLE001 - every failure is kept on the row
                record._mark_failed(exc)
        if conflicts:
            _logger.info(
                "channel orders %s met a concurrent update: left for the next run",
                conflicts.ids,
            )
            self._trigger_processing()

    @api.model
    def _trigger_processing(self):
        """Run the processing cron as soon as possible (in a new transaction)."""
        cron = self.env.ref(
            "oms_channels.ir_cron_oms_channel_order_process", raise_if_not_found=False
        )
        if cron:
            # sudo: only schedules the cron (users who process orders cannot write it)
            cron.sudo()._trigger()

    def _mark_failed(self, exc):
        self.ensure_one()
        if isinstance(exc, (UserError, ChannelError)):
            message = exc.args[0] if exc.args else str(exc)
        else:
            _logger.warning("channel order %s failed", self.id, exc_info=exc)
            message = _("Unexpected error: %(error)s", error=repr(exc))
        if isinstance(exc, ChannelError) and not isinstance(exc, UserError):
            message = _(
                "The channel's payload cannot be used: %(error)s", error=message
            )
        attempts = self.attempts + 1
        retry = attempts < self.channel_id.process_limit and not isinstance(
            exc, NotAnOrder
        )
        self.write(
            {
                "state": "failed",
                "error": message,
                "attempts": attempts,
                "processed_date": fields.Datetime.now(),
                "next_retry_date": retry
                and fields.Datetime.now()
                + timedelta(minutes=RETRY_BASE_MINUTES * 2 ** (attempts - 1)),
            }
        )

    def _parsed(self):
        self.ensure_one()
        adapter = self.channel_id._get_adapter()
        if not self.payload:
            raise NotAnOrder("empty payload")
        return adapter.normalize(adapter.orders_of(loads(self.payload))[0])

    def _import_order(self):
        """Build the draft sale order, then review it (hook for other connectors)."""
        self.ensure_one()
        normalized = self._parsed()
        if normalized.external_ref != self.external_ref:
            raise ChannelError("the payload's reference differs from the staged one")
        existing = self.env["sale.order"].search(
            [
                ("oms_channel_id", "=", self.channel_id.id),
                ("oms_external_ref", "=", self.external_ref),
            ],
            limit=1,
        )
        now = fields.Datetime.now()
        if existing:
            self.write(
                {
                    "state": "duplicate",
                    "sale_order_id": existing.id,
                    "processed_date": now,
                    "error": False,
                    "next_retry_date": False,
                }
            )
            return existing
        channel = self.channel_id.with_context(**OMS_INTAKE_MAIL_CONTEXT)
        order = channel._create_sale_order(normalized)
        self.with_context(mail_notrack=True).write(
            {
                "state": "imported",
                "sale_order_id": order.id,
                "processed_date": now,
                "error": False,
                "next_retry_date": False,
            }
        )
        order.message_post_with_source(
            "mail.message_origin_link",
            render_values={"self": order, "origin": self},
            subtype_xmlid="mail.mt_note",
        )
        if normalized.is_cancelled or self.is_cancel_requested:
            self._apply_cancellation()
        else:
            channel._after_import(order, normalized)
            order._oms_log_auto_confirmation()
        return order

    def _import_orders(self):
        """Batch of `_import_order`: the same records and orders, created,
        reviewed and confirmed together (one ``create``, one
        `sale.order.action_oms_review`).

        A record whose payload or mapping cannot be used is marked failed in its
        own savepoint, like the single path would (a mapping created at the same
        time by another worker only defers the record to the next run). Any
        other error is raised and `_process` falls back to one record at a time.
        Instead of the `oms.channel._after_import` hook, each order goes through
        `oms.channel._register_channel_payment`, then all are reviewed at once.
        """
        SaleOrder = self.env["sale.order"]
        existing = {
            (order.oms_channel_id.id, order.oms_external_ref): order
            for order in SaleOrder.search(
                [
                    ("oms_channel_id", "in", self.channel_id.ids),
                    ("oms_external_ref", "in", self.mapped("external_ref")),
                ]
            )
        }
        now = fields.Datetime.now()
        done = {"processed_date": now, "error": False, "next_retry_date": False}
        parsed, channels, bindings = self._parse_batch()
        self._lock_batch_stock(bindings)
        to_create = []
        for record in self:
            existing_order = existing.get((record.channel_id.id, record.external_ref))
            try:
                with self.env.cr.savepoint():
                    normalized = parsed[record]
                    if isinstance(normalized, Exception):
                        raise normalized
                    if normalized.external_ref != record.external_ref:
                        raise ChannelError(
                            "the payload's reference differs from the staged one"
                        )
                    if not existing_order:
                        vals = channels[record.channel_id]._prepare_sale_order_vals(
                            normalized
                        )
            except Exception as exc:
                if (
                    isinstance(exc, CONCURRENCY_ERRORS)
                    and record.attempts + 1 < record.channel_id.process_limit
                ):
                    # another worker mapped the same new customer or SKU, or
                    # updated a row this snapshot read: left for the next run,
                    # whose snapshot sees that change
                    _logger.info("channel order %s deferred: %s", record.id, exc)
                    record.attempts += 1
                    self._trigger_processing()
                    continue
                record._mark_failed(exc)
                continue
            if existing_order:
                record.write(
                    dict(done, state="duplicate", sale_order_id=existing_order.id)
                )
                continue
            to_create.append((record, normalized, vals))
        if not to_create:
            return SaleOrder
        imported = []
        for channel in self.channel_id:
            items = [item for item in to_create if item[0].channel_id == channel]
            if not items:
                continue
            orders = (
                SaleOrder.with_context(**OMS_INTAKE_MAIL_CONTEXT)
                .with_company(channel.company_id)
                .create([vals for _record, _normalized, vals in items])
            )
            for (record, normalized, _vals), order in zip(items, orders, strict=True):
                channel._check_total(order, normalized)
                imported.append((record, normalized, order))
        QWeb = self.env["ir.qweb"]
        bodies = {}
        for record, _normalized, order in imported:
            # the sales order link says it: no tracking message per staged order
            record.with_context(mail_notrack=True).write(
                dict(done, state="imported", sale_order_id=order.id)
            )
            bodies[order.id] = QWeb._render(
                "mail.message_origin_link",
                {"self": order, "origin": record},
                minimal_qcontext=True,
            )
        # the single path's origin note, logged for all the orders at once
        orders = SaleOrder.concat(*(order for _record, _normalized, order in imported))
        orders._message_log_batch(bodies=bodies)
        to_review = SaleOrder
        for record, normalized, order in imported:
            if normalized.is_cancelled or record.is_cancel_requested:
                record._apply_cancellation()
            else:
                record.channel_id._register_channel_payment(order, normalized)
                to_review |= order
        to_review.with_context(**OMS_INTAKE_MAIL_CONTEXT).action_oms_review()
        to_review._oms_log_auto_confirmation()
        return orders

    def _parse_batch(self):
        """Parse the payloads of the batch and read the product bindings they
        need at once.

        :return: ({record: NormalizedOrder or the parsing error},
                  {channel: the channel with the batch's mapping cache},
                  {channel: the bindings of the batch's SKUs})
        """
        parsed = {}
        for record in self:
            try:
                parsed[record] = record._parsed()
            except Exception as exc:  # noqa: BLE001 - raised again in its savepoint
                parsed[record] = exc
        cache = OmsMappingCache()
        channels, bindings = {}, {}
        for channel in self.channel_id:
            channels[channel] = channel.with_context(oms_mapping_cache=cache)
            bindings[channel] = channels[channel]._oms_prefetch_bindings(
                [
                    normalized
                    for record, normalized in parsed.items()
                    if record.channel_id == channel
                    and not isinstance(normalized, Exception)
                ]
            )
        return parsed, channels, bindings

    def _lock_batch_stock(self, bindings):
        """Take the stock promise locks of the batch's known products before its
        orders are built (oms_core's review takes them anyway): a worker whose
        batch needs the products of another worker's batch waits here, before
        it has built anything, not after.

        :param bindings: {channel: the bindings of the batch's SKUs}
        """
        Rule = self.env["oms.review.rule"]
        for channel in sorted(bindings, key=lambda c: c.warehouse_id.id):
            warehouse = channel.warehouse_id
            if not warehouse or not Rule._checks_stock(channel.company_id):
                continue
            products = bindings[channel].product_id.filtered("is_storable")
            products._oms_lock_atp(warehouse)

    def _apply_cancellation(self):
        """The channel cancelled the order: cancel it, or flag it once shipped."""
        self.ensure_one()
        order = self.sale_order_id
        reason = self.env.ref("oms_channels.oms_cancel_reason_channel")
        try:
            with self.env.cr.savepoint():
                order._oms_cancel(reason)
        except UserError as exc:
            order._oms_add_exception(
                "channel_cancelled_after_shipment",
                _(
                    "The channel cancelled this order but it has already shipped: "
                    "%(error)s",
                    error=exc.args[0],
                ),
                severity="block",
            )
        self.write({"is_cancel_requested": True, "is_cancel_done": True})

    @api.model
    def _payload_text(self, data):
        return data if isinstance(data, str) else json.dumps(data)
