"""The importer: claimed staged orders into draft sales orders, reviewed."""

import logging

import psycopg2
from markupsafe import Markup

from odoo import fields
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

from ..adapters import ChannelError, NotAnOrder
from ..adapters.base import loads, version_label

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

#: errors of a transaction that met a concurrent one: retried in a new transaction
CONCURRENCY_ERRORS = (
    *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    psycopg2.errors.UniqueViolation,
)
#: intake creates and confirms orders like Odoo's own import: no field tracking
#: and no "created" log (the origin note and the confirmation note say it all),
#: and the technical user who runs the cron or webhook follows nothing;
#: followers (customer, salesperson) are subscribed as usual
OMS_INTAKE_MAIL_CONTEXT = {
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
}


class OrderImporter:
    """Import claimed ``oms.channel.order`` records.

    :meth:`import_batch` is the one import path: a batch of one is the
    single-order case. :meth:`run` imports the records as one batch in one
    savepoint; if anything in it fails, all of it is rolled back and every
    record goes through :meth:`import_one`, in its own savepoint, so one bad
    order never blocks the others.

    :param records: the claimed ``oms.channel.order`` records
    """

    def __init__(self, records):
        self.records = records
        self.env = records.env

    def run(self):
        """Import the records as one batch, else one by one; cancel the imported
        orders the channel cancelled, one by one.

        A concurrency error (serialization failure, deadlock, lock timeout, or a
        mapping row just created by another worker) is no fault of the order:
        PostgreSQL asks for a new transaction, so the record stays queued and the
        cron runs again at once; only a conflict repeated ``process_limit`` times
        marks it failed. A whole batch that meets one waits for the next run
        as it is.
        """
        records = self.records
        imports = records.filtered(lambda r: r.state != "imported")
        if len(imports) > 1:
            try:
                with self.env.cr.savepoint():
                    self.import_batch(imports)
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
                records._trigger_processing()
                records -= imports
            except Exception as exc:  # redone one by one below
                _logger.info(
                    "batch of %s channel orders failed (%s), one by one now",
                    len(imports),
                    exc,
                )
            else:
                records -= imports
        conflicts = records.browse()
        for record in records:
            if self.import_one(record):
                conflicts |= record
        if conflicts:
            _logger.info(
                "channel orders %s met a concurrent update: left for the next run",
                conflicts.ids,
            )
            records._trigger_processing()

    def import_one(self, record):
        """Import (or cancel) one record in its own savepoint; a failure is kept
        on the record.

        :return: True when a concurrent update left the record for the next run
        :rtype: bool
        """
        try:
            with self.env.cr.savepoint():
                if record.state != "imported":
                    self.import_batch(record)
                elif record.is_cancel_requested and not record.is_cancel_done:
                    self.apply_cancellation(record)
                    if record.is_update_pending:
                        self.skip_update(
                            record, self.env._("The channel cancelled the order.")
                        )
                else:
                    self.apply_update(record)
        except CONCURRENCY_ERRORS as exc:
            if record.attempts + 1 >= record.channel_id.process_limit:
                self.mark_failed(record, exc)
                return False
            record.attempts += 1
            return True
        except Exception as exc:  # every failure is kept on the row
            self.mark_failed(record, exc)
        return False

    def mark_failed(self, record, exc):
        """Keep a failure on the record: an imported order stays imported, the
        update that failed is logged on its sales order."""
        if record.state != "imported":
            record._mark_failed(exc)
            return
        stored = record._get_error_stored(exc)
        self.skip_update(
            record, reader_text.render(stored, self.env.lang, self.env), state="failed"
        )
        record.error = stored

    def import_batch(self, records):
        """Build, create, review and confirm the orders of ``records`` together:
        one ``create`` per channel (`oms.channel._create_sale_orders`), then
        `oms.channel._after_import` (payment, one review, which may confirm).

        A record whose payload or mapping cannot be used is marked failed in its
        own savepoint (a mapping created at the same time by another worker only
        defers the record to the next run). Any other error is raised: `run`
        then imports the records one by one.

        :param records: ``oms.channel.order`` records to import (not imported yet)
        :return: the new sales orders
        """
        SaleOrder = self.env["sale.order"]
        done = {
            "processed_date": fields.Datetime.now(),
            "error": False,
            "error_kind": False,
            "missing_skus": False,
            "missing_product_refs": False,
            "next_retry_date": False,
        }
        parsed = self.parse(records)
        mappers = self.get_mappers(records, parsed)
        to_create = self.prepare_orders(records, parsed, mappers, done)
        if not to_create:
            return SaleOrder
        imported = self.create_orders(to_create, mappers)
        self.log_origin(imported, done)
        reviewed = SaleOrder
        for channel in mappers:
            to_review = []
            for record, normalized, order in imported:
                if record.channel_id != channel:
                    continue
                if normalized.is_cancelled or record.is_cancel_requested:
                    self.apply_cancellation(record)
                else:
                    to_review.append((normalized, order))
            if to_review:
                orders = SaleOrder.concat(*(order for _normalized, order in to_review))
                channel.with_context(**OMS_INTAKE_MAIL_CONTEXT)._after_import(
                    orders.with_context(**OMS_INTAKE_MAIL_CONTEXT),
                    [normalized for normalized, _order in to_review],
                )
                reviewed |= orders
        reviewed._oms_log_auto_confirmation()
        return SaleOrder.concat(*(order for *_item, order in imported))

    def get_mappers(self, records, parsed):
        """One mapper per channel of the batch, with the batch's bindings read
        (`OrderMapper.prefetch`); the stock promise locks of their products are
        taken (`lock_stock`).

        :return: {channel: ``OrderMapper``}
        """
        mappers, bindings = {}, {}
        for channel in records.channel_id:
            mappers[channel] = mapper = channel._get_order_mapper()
            bindings[channel] = mapper.prefetch(
                [
                    normalized
                    for record, normalized in parsed.items()
                    if record.channel_id == channel
                    and not isinstance(normalized, Exception)
                ]
            )
        self.lock_stock(bindings)
        return mappers

    def prepare_orders(self, records, parsed, mappers, done):
        """The values of the orders to create; records already imported under
        their reference become duplicates, unusable ones are marked failed or,
        after a concurrent mapping, deferred.

        :return: [(record, normalized, vals)]
        """
        existing = {
            (order.oms_channel_id.id, order.oms_external_ref): order
            for order in self.env["sale.order"].search(
                [
                    ("oms_channel_id", "in", records.channel_id.ids),
                    ("oms_external_ref", "in", records.mapped("external_ref")),
                ]
            )
        }
        to_create = []
        for record in records:
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
                        vals = mappers[record.channel_id].prepare_sale_order_vals(
                            normalized
                        )
            except Exception as exc:  # kept on the row or deferred
                if (
                    isinstance(exc, CONCURRENCY_ERRORS)
                    and record.attempts + 1 < record.channel_id.process_limit
                ):
                    # another worker mapped the same new customer or SKU, or
                    # updated a row this snapshot read: left for the next run,
                    # whose snapshot sees that change
                    _logger.info("channel order %s deferred: %s", record.id, exc)
                    record.attempts += 1
                    records._trigger_processing()
                    continue
                record._mark_failed(exc)
                continue
            if existing_order:
                record.write(
                    dict(done, state="duplicate", sale_order_id=existing_order.id)
                )
                continue
            to_create.append((record, normalized, vals))
        return to_create

    def create_orders(self, to_create, mappers):
        """One `oms.channel._create_sale_orders` per channel, then each total
        checked against the platform's.

        :param to_create: [(record, normalized, vals)]
        :return: [(record, normalized, order)]
        """
        imported = []
        for channel, mapper in mappers.items():
            items = [item for item in to_create if item[0].channel_id == channel]
            if not items:
                continue
            orders = (
                channel.with_context(**OMS_INTAKE_MAIL_CONTEXT)
                .with_company(channel.company_id)
                ._create_sale_orders(
                    [vals for _record, _normalized, vals in items],
                    [normalized for _record, normalized, _vals in items],
                )
            )
            for (record, normalized, _vals), order in zip(items, orders, strict=True):
                mapper.check_total(order, normalized)
                imported.append((record, normalized, order))
        return imported

    def parse(self, records):
        """{record: its ``NormalizedOrder``, or the error that parsing raised}"""
        parsed, adapters = {}, {}
        for record in records:
            try:
                channel = record.channel_id
                if channel not in adapters:
                    adapters[channel] = channel._get_adapter()
                adapter = adapters[channel]
                if not record.payload:
                    raise NotAnOrder("empty payload")
                parsed[record] = adapter.normalize(
                    adapter.orders_of(loads(record.payload))[0]
                )
            except Exception as exc:  # raised again in its savepoint
                parsed[record] = exc
        return parsed

    def lock_stock(self, bindings):
        """Take the stock promise locks of the batch's known products before its
        orders are built (oms_core's review takes them anyway): a worker whose
        batch needs the products of another worker's batch waits here, before
        it has built anything, not after.

        :param bindings: {channel: the bindings of the batch's SKUs}
        """
        Rule = self.env["oms.review.rule"]
        warehouses = self.env["stock.warehouse"]
        products = self.env["product.product"]
        for channel in bindings:
            if not channel.warehouse_id or not Rule._checks_stock(channel.company_id):
                continue
            # every warehouse the review may source from, all locked at once in
            # the one global order (product, then warehouse)
            warehouses |= channel._get_source_warehouses()
            products |= bindings[channel].product_id.filtered("is_storable")
        if products:
            products.sorted("id")._oms_lock_atp(warehouses.sorted("id"))

    def log_origin(self, imported, done):
        """Mark the records imported and log, on each new order, the note that
        links it to its staged record (one batch of messages)."""
        SaleOrder = self.env["sale.order"]
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
        orders = SaleOrder.concat(*(order for *_item, order in imported))
        orders._message_log_batch(bodies=bodies)

    def skip_update(self, record, reason, state="ignored"):
        """Log the pending update of ``record`` as not applied, for ``reason``."""
        adapter = record.channel_id._get_adapter()
        try:
            version = adapter.order_version(
                adapter.orders_of(loads(record.update_payload))[0]
            )
        except ChannelError:
            version = False
        self.env["oms.channel.order.update"]._log(
            record,
            version,
            record.update_source,
            state,
            reason,
            date=record.update_date,
        )
        record.is_update_pending = False

    def apply_update(self, record):
        """Apply the channel's change of an imported order (``update_payload``)
        to its sales order, with the same mapping as the import
        (``OrderMapper.get_update_changes`` and ``prepare_update_vals``).

        Before shipment the order is written as a user would write it: a
        reviewed fact changed after approval sends it back to review (oms_core),
        a quotation is reviewed again. Once something has shipped nothing on
        the order changes: the changes wait on the order
        (``oms_channel_update_diff``) and its review opens an exception with
        them. Every update is logged on the order (``oms.channel.order.update``)
        and in its chatter.
        """
        order = record.sale_order_id
        channel = record.channel_id
        if not record.update_payload:
            record.is_update_pending = False
            return
        adapter = channel._get_adapter()
        raw = adapter.orders_of(loads(record.update_payload))[0]
        version = adapter.order_version(raw)
        normalized = adapter.normalize(raw)
        if normalized.external_ref != record.external_ref:
            raise ChannelError("the payload's reference differs from the staged one")
        Update = self.env["oms.channel.order.update"]
        log = {"date": record.update_date}
        record.write({"is_update_pending": False, "error": False})
        if normalized.is_cancelled:
            record.is_cancel_requested = True
            self.apply_cancellation(record)
            Update._log(
                record,
                version,
                record.update_source,
                "applied",
                self.env._("The channel cancelled the order."),
                **log,
            )
            return
        if order.state == "cancel":
            Update._log(
                record,
                version,
                record.update_source,
                "ignored",
                self.env._("The order is cancelled."),
                **log,
            )
            return
        mapper = channel._get_order_mapper()
        changes = mapper.get_update_changes(order, normalized)
        text = "\n".join(changes["text"])
        shipped = order._oms_get_customer_deliveries().filtered(
            lambda p: p.state == "done"
        )
        if shipped:
            self.hold_update(record, order, text, version, log)
            return
        if not text:
            Update._log(
                record,
                version,
                record.update_source,
                "ignored",
                self.env._("Nothing the order keeps has changed."),
                **log,
            )
            return
        was_draft = order.state in ("draft", "sent")
        order.with_company(channel.company_id).write(
            mapper.prepare_update_vals(order, normalized, changes)
        )
        mapper.check_total(order, normalized)
        order.message_post(
            body=Markup("<br/>").join(
                [
                    self.env._(
                        "Updated by the channel (version %(version)s):",
                        version=version_label(version) or "-",
                    ),
                    *changes["text"],
                ]
            )
        )
        Update._log(
            record, version, record.update_source, "applied", changes=text, **log
        )
        if was_draft and order.state in ("draft", "sent"):
            order.action_oms_review()

    def hold_update(self, record, order, text, version, log):
        """An update of an order that has shipped: the order is not changed;
        its review shows the changes as an exception (``channel_update``)."""
        Update = self.env["oms.channel.order.update"]
        if (order.oms_channel_update_diff or False) != (text or False):
            # sudo: the intake's own record on the order (see sale.order.write)
            order.sudo().oms_channel_update_diff = text or False
            order._oms_run_review()
        if not text:
            Update._log(
                record,
                version,
                record.update_source,
                "ignored",
                self.env._("Nothing the order keeps has changed."),
                **log,
            )
            return
        order.message_post(
            body=Markup("<br/>").join(
                [
                    self.env._(
                        "The channel changed this order after it shipped (version "
                        "%(version)s); the order is not changed:",
                        version=version_label(version) or "-",
                    ),
                    *text.split("\n"),
                ]
            )
        )
        Update._log(
            record,
            version,
            record.update_source,
            "held",
            self.env._("The order has shipped: an exception shows the changes."),
            changes=text,
            **log,
        )

    def apply_cancellation(self, record):
        """The channel cancelled the order: cancel it, or flag it once shipped."""
        order = record.sale_order_id
        reason = self.env.ref("oms_channels.oms_cancel_reason_channel")
        try:
            with self.env.cr.savepoint():
                order._oms_cancel(reason)
        except UserError as exc:
            order._oms_add_exception(
                "channel_cancelled_after_shipment",
                reader_text.store(
                    _lt(
                        "The channel cancelled this order but it has already "
                        "shipped: %(error)s"
                    ),
                    error=exc.args[0],
                ),
                severity="block",
            )
        record.write({"is_cancel_requested": True, "is_cancel_done": True})
