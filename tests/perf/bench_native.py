"""Odoo's own path, as an integrator does it over the API: for each order one
transaction that creates the sales order and confirms it (``action_confirm``)."""

import time

from odoo import Command

from .bench_lib import Timer, environment


def run_native_intake(registry, specs):
    """Create and confirm each order in its own transaction; return the timings."""
    cpu, queries = time.process_time(), 0
    with Timer() as timer:
        for spec in specs:
            with environment(registry) as env:
                order = env["sale.order"].create(
                    {
                        "partner_id": spec["partner_id"],
                        "client_order_ref": spec["ref"],
                        "order_line": [
                            Command.create({"product_id": pid, "product_uom_qty": qty})
                            for pid, qty in spec["lines"]
                        ],
                    }
                )
                order.action_confirm()
                env.flush_all()
                queries += env.cr.sql_log_count
    return {
        "orders": len(specs),
        "seconds": timer.seconds,
        "per_s": len(specs) / timer.seconds,
        "cpu_seconds": time.process_time() - cpu,
        "queries": queries,
    }
