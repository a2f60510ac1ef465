"""Committed cursors and thread races, for tests that need several transactions.

A race between two Odoo workers can only be reproduced with data that other
cursors see: :class:`CommittedCase` gives each test superuser environments on new
registry cursors (committed on a clean exit, rolled back otherwise; the registry is
not in test mode for a ``TransactionCase``) and runs functions in threads released
together. Every thread is joined and every cursor closed; the test removes what it
committed in a cleanup (``addCleanup``), whatever its outcome.
"""

import contextlib
import threading

from odoo import SUPERUSER_ID, api
from odoo.api import Transaction
from odoo.tests import TransactionCase

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

#: SQL failing as a transaction that met a concurrent update does
RAISE_SERIALIZATION_FAILURE = (
    "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure', "
    "MESSAGE = 'could not serialize access due to concurrent update'; END $$"
)


def conflicting_once(method):
    """``method`` wrapped to meet a serialization failure on its first call.

    :return: the wrapper, to patch in place of the method, and the list of the
        records of each call (one item per call)
    :rtype: tuple
    """
    calls = []

    def wrapper(records, *args, **kwargs):
        calls.append(records)
        if len(calls) == 1:
            records.env.cr.execute(RAISE_SERIALIZATION_FAILURE)
        return method(records, *args, **kwargs)

    return wrapper, calls


class CommittedCase(TransactionCase):
    """Base of the tests whose data is committed and shared by threads."""

    def setUp(self):
        super().setUp()
        # real cursors: a test cursor would serialize everything through one connection
        self.assertFalse(self.registry.in_test_mode())

    @contextlib.contextmanager
    def committed_env(self, context=None):
        """A superuser env on a new registry cursor, committed on a clean exit."""
        with self.registry.cursor() as cr:
            # the transaction gets its registry here: Registry(dbname) would wait
            # in a thread for the registry lock odoo-bin holds while testing
            cr.transaction = Transaction(self.registry)
            yield api.Environment(
                cr, SUPERUSER_ID, dict(DISABLED_MAIL_CONTEXT, **(context or {}))
            )

    def in_worker(self, function):
        """``function(env)`` wrapped to run on its own committed cursor."""

        def run():
            with self.committed_env() as env:
                return function(env)

        return run

    def run_in_threads(self, *functions, timeout=120):
        """Run each ``function()`` in its own thread, released together.

        :return: the results in order; fails the test on any exception or hang
        :rtype: list
        """
        barrier = threading.Barrier(len(functions))
        results, errors = [None] * len(functions), []
        dbname = self.env.cr.dbname

        def target(index, function):
            # as an Odoo worker thread: loggers and retries know the database
            threading.current_thread().dbname = dbname
            try:
                barrier.wait(timeout=30)
                results[index] = function()
            except Exception as exc:  # noqa: BLE001 - reported in the main thread
                errors.append(exc)

        threads = [
            threading.Thread(target=target, args=(i, f), daemon=True)
            for i, f in enumerate(functions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
        self.assertFalse([t for t in threads if t.is_alive()], "a thread hangs")
        self.assertFalse(errors, errors)
        return results

    def read_committed(self, model, domain, fields):
        """``search_read`` on a new cursor: what the other workers committed."""
        with self.committed_env() as env:
            return env[model].search_read(domain, fields)

    def count_committed(self, model, domain):
        """``search_count`` on a new cursor: what the other workers committed."""
        with self.committed_env() as env:
            return env[model].search_count(domain)

    @staticmethod
    def remove_orders(env, orders, pickings=None):
        """Remove committed ``orders`` with their deliveries, stock moves,
        exceptions and procurement groups (and ``pickings``, e.g. receipts)."""
        pickings = orders.picking_ids | (pickings or env["stock.picking"])
        groups = env["procurement.group"].search([("sale_id", "in", orders.ids)])
        moves = pickings.move_ids | orders.order_line.move_ids
        moves.move_line_ids.unlink()
        moves._action_cancel()
        moves.unlink()
        pickings.unlink()
        orders.with_context(disable_cancel_warning=True)._action_cancel()
        orders.oms_exception_ids.sudo().unlink()
        orders.unlink()
        groups.unlink()

    @staticmethod
    def remove_products(env, product_ids):
        """Remove committed products with their quants and stock promises."""
        env["stock.quant"].search([("product_id", "in", product_ids)]).unlink()
        env["oms.stock.promise"].search([("product_id", "in", product_ids)]).unlink()
        products = env["product.product"].browse(product_ids)
        templates = products.product_tmpl_id
        products.unlink()
        templates.unlink()
