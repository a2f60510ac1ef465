"""The intake queue: staging exactly once, claiming, locks and retry schedule."""

import hashlib
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

from ..adapters import ChannelError, NotAnOrder
from ..adapters.base import ChannelHTTPError, loads, version_label
from ..intake.errors import TRANSIENT, classify_error
from ..intake.importer import OrderImporter
from ..intake.mapper import MappingError, MissingTaxError, UnknownSkuError

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

BATCH_SIZE = 50
RETRY_BASE_MINUTES = 5
#: orders read per order of a batch: a worker leaves the orders whose stock
#: another worker is promising and looks further down the queue
CLAIM_WINDOW = 4
#: seconds after which a worker that found every processable order taken by
#: another transaction claims again (a trigger of its cron)
CLAIM_AGAIN_SECONDS = 5
# first half of the two-int advisory lock of a customer the import may create
# (product ids, the first half of the promise locks, are positive)
CUSTOMER_LOCK_CLASS = -1


def _lock_number(name):
    """A stable int4 for ``name`` (second half of a customer's lock key)."""
    return int.from_bytes(
        hashlib.sha256(name.encode()).digest()[:4], "big", signed=True
    )


#: what the claims of this process read of the payloads (their SKUs and
#: customer), by (database, channel id, digest of the payload): a claim reads a
#: window of several batches, so each payload would otherwise be parsed by
#: several claims. Bounded: the oldest entries are forgotten first.
_PAYLOAD_SKUS = {}
PAYLOAD_SKUS_SIZE = 10000


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
    def _claim_batch(self, limit=BATCH_SIZE):
        """The cron's batch: the oldest processable orders whose stock no other
        worker is promising right now, with the promise locks of that stock.

        The queue of a channel is partitioned by stock, not by channel: every
        order has the keys of the stock it will promise (its storable products
        in the warehouses its channel ships from, ``_get_partition_keys``), the
        keys of ``oms.stock.promise``. A worker reads a window of the oldest
        processable orders, leaves those whose keys another transaction holds,
        takes at most half of the window's keys (so that a second worker finds
        orders too; orders whose keys it took already come along) and only
        *tries* their locks: nothing waits, so two workers never deadlock, and
        their batches never promise the same stock. The review takes the same
        locks again later (re-entrant) in the one global order.

        Two workers on one channel thus import side by side, each on its own
        stock; an order's staged row is claimed by one worker at a time
        (``FOR UPDATE SKIP LOCKED``), and its update or cancellation is the same
        row, applied once it is imported: nothing overtakes its creation.

        :return: the claimed records, oldest first
        """
        self.env.flush_all()
        where = self._claim_domain_sql()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM oms_channel_order WHERE %s ORDER BY id LIMIT %s",
                where,
                limit * CLAIM_WINDOW,
            )
        )
        candidates = self.browse([row[0] for row in self.env.cr.fetchall()])
        if not candidates:
            return candidates
        keys = candidates._get_partition_keys()
        busy = self._get_busy_keys()
        chosen = self._choose_batch(candidates, keys, busy, limit)
        failed = self._try_lock_keys(set().union(*(keys[r.id] for r in chosen)))
        chosen = chosen.filtered(lambda r: not keys[r.id] & failed)
        if not chosen:
            return chosen
        return self._claim(
            limit, where=SQL("%s AND id IN %s", where, tuple(chosen.ids))
        )

    @api.model
    def _choose_batch(self, candidates, keys, busy, limit):
        """Hook: the candidates of a batch, oldest first: none whose keys are
        ``busy``; new stock keys up to half of the window's stock keys (always
        the oldest free order), then only orders whose stock keys are taken
        already. Customer keys only keep out the orders another worker's
        customer is in: they do not count in that half.

        :param candidates: records, oldest first
        :param dict keys: {record id: frozenset of (product id, warehouse id)}
        :param set busy: keys held by other transactions
        :rtype: recordset
        """
        stock = {
            record_id: frozenset(key for key in needed if key[0] != CUSTOMER_LOCK_CLASS)
            for record_id, needed in keys.items()
        }
        budget = max(len(set().union(*stock.values())) // 2, 1)
        mine, chosen = set(), []
        for record in candidates:
            if keys[record.id] & busy:
                continue
            needed = stock[record.id]
            if chosen and not needed <= mine and len(mine | needed) > budget:
                continue
            chosen.append(record.id)
            mine |= needed
            if len(chosen) >= limit:
                break
        return self.browse(chosen)

    def _get_partition_keys(self):
        """Hook: the promise lock keys each staged order will take: its storable
        products (channel binding by SKU, else internal reference) in every
        warehouse its channel may ship from. A hint for the partition: a key it
        misses is still locked by the review, which then waits for it.

        An order whose customer the import may create (a channel customer not
        bound yet, or none: found by e-mail or phone) also has the keys of that
        customer (``_get_customer_keys``), so that two workers never create the
        same customer twice: the second one claims the next order of that
        customer after the first one committed it, and finds it.

        :return: {record id: frozenset of (product id, warehouse id)}
        :rtype: dict
        """
        result = {}
        for channel in self.channel_id:
            records = self.filtered(lambda r, c=channel: r.channel_id == c)
            warehouses = (
                channel._get_source_warehouses() or channel._get_stock_warehouse()
            )
            adapter = channel._get_adapter()
            skus, customers = {}, {}
            for record in records:
                skus[record.id] = set()
                for payload in (record.payload, record.update_payload):
                    if payload:
                        payload_skus, customer = self._get_payload_skus(
                            channel, adapter, payload
                        )
                        skus[record.id] |= payload_skus
                        if customer:
                            customers.setdefault(record.id, customer)
            products = self._get_products_by_sku(channel, set().union(*skus.values()))
            customer_keys = self._get_customer_keys(channel, customers)
            for record in records:
                result[record.id] = frozenset(
                    (products[sku], warehouse_id)
                    for sku in skus[record.id]
                    if sku in products
                    for warehouse_id in warehouses.ids
                ) | customer_keys.get(record.id, frozenset())
        return result

    @api.model
    def _get_customer_keys(self, channel, customers):
        """The lock keys of the customers the import of these orders may create:
        the channel's customer id when it is not bound yet, and the e-mail and
        phone the mapping looks the customer up by (``find_partner``); none for
        a bound customer.

        :param channel: ``oms.channel`` record
        :param dict customers: {record id: (customer id, e-mail, phone)}
        :return: {record id: frozenset of (``CUSTOMER_LOCK_CLASS``, int)}
        :rtype: dict
        """
        refs = {customer[0] for customer in customers.values()} - {None, ""}
        bound = set(
            self.env["oms.channel.customer"]
            ._to_internal(channel, list(refs))
            .mapped("external_id")
        )
        result = {}
        for record_id, (ref, email, phone) in customers.items():
            if ref and ref in bound:
                continue
            names = [
                ref and f"ref:{channel.id}:{ref}",
                email and f"email:{email.strip().lower()}",
                phone and f"phone:{phone.strip()}",
            ]
            result[record_id] = frozenset(
                (CUSTOMER_LOCK_CLASS, _lock_number(name)) for name in names if name
            )
        return result

    @api.model
    def _get_payload_skus(self, channel, adapter, payload):
        """The SKUs of the lines of a staged payload of ``channel`` and its
        customer (id, e-mail, phone), parsed once per process
        (``_PAYLOAD_SKUS``): the next claims reading the same payload reuse
        them. A payload that cannot be parsed has none (its import says why).

        :return: (frozenset of SKUs, (customer id, e-mail, phone) or None)
        :rtype: tuple
        """
        key = (
            self.env.cr.dbname,
            channel.id,
            hashlib.sha256(payload.encode()).digest(),
        )
        facts = _PAYLOAD_SKUS.get(key)
        if facts is None:
            try:
                normalized = adapter.normalize(adapter.orders_of(loads(payload))[0])
            except Exception:  # no keys: the import says why
                facts = (frozenset(), None)
            else:
                facts = (
                    frozenset(line.sku for line in normalized.lines) - {None, ""},
                    (normalized.customer_ref, normalized.email, normalized.phone),
                )
            if len(_PAYLOAD_SKUS) >= PAYLOAD_SKUS_SIZE:
                _PAYLOAD_SKUS.pop(next(iter(_PAYLOAD_SKUS), None), None)
            _PAYLOAD_SKUS[key] = facts
        return facts

    @api.model
    def _get_products_by_sku(self, channel, skus):
        """The storable products of these SKUs of ``channel``, as the mapping
        finds them (binding, then internal reference), read in two queries.

        :return: {sku: product id}
        :rtype: dict
        """
        if not skus:
            return {}
        bindings = self.env["oms.channel.product"]._to_internal(channel, list(skus))
        found = {
            binding.external_sku: binding.product_id
            for binding in bindings
            if binding.product_id
        }
        rest = [sku for sku in skus if sku not in found]
        if rest:
            products = self.env["product.product"].search(
                [
                    ("default_code", "in", rest),
                    ("company_id", "in", (False, channel.company_id.id)),
                ]
            )
            for product in products:
                found.setdefault(product.default_code, product)
        return {
            sku: product.id for sku, product in found.items() if product.is_storable
        }

    @api.model
    def _get_busy_keys(self):
        """The promise lock keys (product id, warehouse id) that other
        transactions of this database hold now.

        :rtype: set
        """
        # pg_locks shows the two halves as unsigned (oid): back to int4
        self.env.cr.execute(
            SQL(
                """SELECT classid::bigint - CASE WHEN classid::bigint > 2147483647
                                                 THEN 4294967296 ELSE 0 END,
                          objid::bigint - CASE WHEN objid::bigint > 2147483647
                                               THEN 4294967296 ELSE 0 END
                     FROM pg_locks
                    WHERE locktype = 'advisory' AND objsubid = 2 AND granted
                      AND pid <> pg_backend_pid()
                      AND database = (SELECT oid FROM pg_database
                                       WHERE datname = current_database())"""
            )
        )
        return set(self.env.cr.fetchall())

    @api.model
    def _try_lock_keys(self, keys):
        """Try the promise locks of ``keys`` (until the transaction ends),
        without waiting.

        :param keys: iterable of (product id, warehouse id)
        :return: the keys another transaction holds
        :rtype: set
        """
        keys = sorted(keys)
        if not keys:
            return set()
        self.env.cr.execute(
            SQL(
                """SELECT key.product_id, key.warehouse_id
                     FROM unnest(%s::int[], %s::int[])
                          AS key(product_id, warehouse_id)
                    WHERE NOT pg_try_advisory_xact_lock(key.product_id,
                                                        key.warehouse_id)""",
                [key[0] for key in keys],
                [key[1] for key in keys],
            )
        )
        return set(self.env.cr.fetchall())

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
        """Process a batch of claimed staged orders and tell Odoo's cron runner
        what remains (``ir.cron._notify_progress``).

        A batch done with orders remaining keeps the job running: Odoo runs it
        again at once in a new transaction, up to 10 batches per job; and the
        other copies of the cron are triggered (``_trigger_other_workers``), as
        this batch's commit frees the stock they may have found taken.

        A worker that claims nothing while processable orders remain (all of
        them taken by another transaction: their stock keys or their rows, see
        ``_claim_batch``) cannot keep its job running: Odoo ends a job that did
        nothing (``done`` 0) whatever remains, which is what stops a job from
        spinning. Nor can it wait and claim again here: its transaction keeps
        its first snapshot (REPEATABLE READ), which would refuse the rows the
        other worker commits meanwhile. So it reports what waits and asks to
        run again in ``CLAIM_AGAIN_SECONDS`` (``_trigger_processing_later``: a
        future trigger, which Odoo keeps when it ends the job, as it removes
        only the past ones); the other worker's next commit brings that run
        forward. Orders nobody can process now (failed for good, to retry
        later, ignored, imported) are not processable: a worker that finds
        only those asks for nothing and reports 0, so they keep no loop alive.

        :param int limit: orders per batch
        :return: the records processed
        """
        try:
            with self.env.cr.savepoint(flush=False):
                records = self._claim_batch(limit)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # a row changed since this transaction began: claim it in a new one
            self._trigger_processing()
            return self.browse()
        Cron = self.env["ir.cron"]
        if not records:
            waiting = self._count_processable()
            if waiting:
                self._trigger_processing_later()
            Cron._notify_progress(done=0, remaining=waiting)
            return records
        records._process()
        remaining = self.search_count([("state", "=", "received")])
        if remaining:
            self._trigger_other_workers()
        Cron._notify_progress(done=len(records), remaining=remaining)
        return records

    @api.model
    def _count_processable(self):
        """The staged orders a worker could claim now, were they free
        (``_claim_domain_sql``).

        :rtype: int
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM oms_channel_order WHERE %s",
                self._claim_domain_sql(),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _get_own_processing_cron(self):
        """The processing cron whose job runs this code (``cron_id`` of the
        context, set by Odoo's cron runner); else every processing cron.

        :rtype: ir.cron
        """
        crons = self._get_processing_crons()
        own = crons.filtered(lambda c: c.id == self.env.context.get("cron_id"))
        return own or crons

    @api.model
    def _trigger_processing_later(self):
        """Run this worker's cron again in ``CLAIM_AGAIN_SECONDS``, unless a
        trigger already brings it back by then (a future one: Odoo removes
        the past ones when the job ends)."""
        now = fields.Datetime.now()
        at = now + timedelta(seconds=CLAIM_AGAIN_SECONDS)
        Trigger = self.env["ir.cron.trigger"].sudo()
        for cron in self._get_own_processing_cron():
            pending = [
                ("cron_id", "=", cron.id),
                ("call_at", ">", now),
                ("call_at", "<=", at),
            ]
            # sudo: only schedules the cron, like `_trigger_processing`
            if not Trigger.search_count(pending, limit=1):
                cron.sudo()._trigger(at=at)

    @api.model
    def _trigger_other_workers(self):
        """Run the other processing crons (copies of this worker's) as soon as
        possible: this worker's commit frees the stock they may have found
        taken. A trigger due now wakes the cron workers when the transaction
        commits (Odoo's ``NOTIFY``); one in the future waits for their next
        poll, up to a minute: so a worker waiting to claim again
        (``_trigger_processing_later``) claims right after this batch, and a
        job Odoo left partially done (10 batches) goes on at once. Reads
        nothing: a trigger another worker committed during this batch is not
        in this transaction's snapshot."""
        own = self.env.context.get("cron_id")
        for cron in self._get_processing_crons():
            if cron.id != own:
                # sudo: only schedules the cron (see `_trigger_processing`)
                cron.sudo()._trigger()

    def _process(self):
        """Hook: import the claimed records (cancel the imported ones the channel
        cancelled), with :class:`OrderImporter`: every path — cron, webhook,
        `action_process`, file import — goes through it."""
        OrderImporter(self).run()

    @api.model
    def _trigger_processing(self):
        """Run the processing crons as soon as possible (in a new transaction)."""
        for cron in self._get_processing_crons():
            # sudo: only schedules the cron (users who process orders cannot write it)
            cron.sudo()._trigger()

    @api.model
    def _get_processing_crons(self):
        """Hook: the active crons that process the queue: the one the addon
        installs and its copies. Odoo runs one cron job in one worker at a
        time; each copy is one more worker on the queue (the claims partition
        the orders by stock, `_claim_batch`).

        :rtype: ir.cron
        """
        cron = self.env.ref(
            "oms_channels.ir_cron_oms_channel_order_process", raise_if_not_found=False
        )
        if not cron:
            return self.env["ir.cron"]
        # sudo: crons are technical records that the users who process orders
        # cannot read; they are only looked up here
        cron = cron.sudo()
        return cron.search(
            [("model_id", "=", cron.model_id.id), ("code", "=", cron.code)]
        )

    # -- retry schedule -------------------------------------------------------------
    def _get_error_stored(self, exc):
        """What failed in ``exc``, stored to be read in each reader's language
        (``oms_core.tools.reader_text``): the mapping's own text, the
        platform's answer in words, or the exception's message.

        :param exc: the exception an import of this record raised
        :return: a stored text
        :rtype: str
        """
        self.ensure_one()
        if isinstance(exc, MappingError):
            return exc.stored
        if isinstance(exc, ChannelHTTPError):
            return self.channel_id._oms_channel_error_stored(exc)
        if isinstance(exc, (UserError, ChannelError)):
            message = exc.args[0] if exc.args else str(exc)
        else:
            _logger.warning("channel order %s failed", self.id, exc_info=exc)
            return reader_text.store(
                _lt("Unexpected error: %(error)s"), error=repr(exc)
            )
        if isinstance(exc, ChannelError) and not isinstance(exc, UserError):
            return reader_text.store(
                _lt("The channel's payload cannot be used: %(error)s"), error=message
            )
        return message

    def _mark_failed(self, exc):
        """Keep the error on the record and schedule its retry: 5, 10, 20...
        minutes, up to the channel's ``process_limit``, for a transient error
        only (``intake.errors``); a permanent one (unknown SKU, invalid data)
        waits for a person."""
        self.ensure_one()
        message = self._get_error_stored(exc)
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
                and "\n".join(exc.skus)
                or False,
                "missing_product_refs": isinstance(exc, UnknownSkuError)
                and "\n".join(exc.product_refs)
                or False,
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
