"""Odoo's own paths, as an integrator does it over the API: for each order one
transaction that creates the sales order and confirms it (``action_confirm``);
and Odoo's best path, batches of orders created and confirmed together."""

import time

from odoo import Command

from .bench_lib import Timer, environment
from .bench_parts import PartClock


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


def run_native_batched_intake(registry, specs, batch_size=100):
    """Odoo's best path: per transaction ``batch_size`` orders created by one
    ``create`` and confirmed by one ``action_confirm``, in the quiet context the
    OMS intake uses (no tracking, no creation log, no auto-subscription)."""
    # imported once Odoo's addons path is set up (start_odoo)
    from odoo.addons.oms_channels.intake.importer import OMS_INTAKE_MAIL_CONTEXT

    cpu, queries = time.process_time(), 0
    clock = PartClock()
    with Timer() as timer:
        for start in range(0, len(specs), batch_size):
            with environment(registry) as env:
                vals_list = [
                    {
                        "partner_id": spec["partner_id"],
                        "client_order_ref": spec["ref"],
                        "order_line": [
                            Command.create({"product_id": pid, "product_uom_qty": qty})
                            for pid, qty in spec["lines"]
                        ],
                    }
                    for spec in specs[start : start + batch_size]
                ]
                # the same parts as the OMS worker's (bench_parts): each ends
                # with a flush of what it wrote
                clock.enter("create")
                orders = (
                    env["sale.order"]
                    .with_context(**OMS_INTAKE_MAIL_CONTEXT)
                    .create(vals_list)
                )
                env.flush_all()
                clock.leave()
                clock.enter("confirm")
                orders.action_confirm()
                env.flush_all()
                clock.leave()
                queries += env.cr.sql_log_count
    return {
        "orders": len(specs),
        "batch_size": batch_size,
        "seconds": timer.seconds,
        "per_s": len(specs) / timer.seconds,
        "cpu_seconds": time.process_time() - cpu,
        "queries": queries,
        "parts": clock.as_dict(),
    }
