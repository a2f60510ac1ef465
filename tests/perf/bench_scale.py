"""One busy channel on several cron workers, and the memory of a cron worker.

``scale``: the same orders on one channel (products shared by every order),
processed by one worker, then by two at once (fresh channels, same orders),
each run ending with the exactly-once and no-oversell checks; then a run on
products with little stock, where two workers must hold the orders the stock
does not cover and promise no unit twice.

``memory``: a backlog of staged orders (2,000 then 10,000 by default) imported
by one worker running the cron exactly as Odoo's cron runner does (one cursor,
committed between batches); its peak resident memory must stay under Odoo's
default ``limit_memory_soft`` and not grow with the backlog.

Every check raises ``AssertionError``: the benchmark fails loudly.
"""

import os

from odoo.tools import config

from .bench_lib import environment, order_specs
from .bench_oms import (
    check_exactly_once,
    ensure_channel,
    run_workers,
    stage_orders,
)

#: Odoo's default ``limit_memory_soft`` (odoo/tools/config.py), in KiB
ODOO_DEFAULT_MEMORY_SOFT_KIB = 2048 * 1024


def check_no_oversell(registry, product_ids, stock=None):
    """No unit promised twice: for every product, the confirmed orders (every
    channel) ask for no more than the stock on hand, and no quant reserves more
    than it holds.

    :param stock: {product id: units on hand before the run}, when known
    :return: {"products": n, "promised": units, "on_hand": units}
    """
    with environment(registry) as env:
        cr = env.cr
        cr.execute(
            """SELECT sol.product_id, sum(sol.product_uom_qty)
                 FROM sale_order_line sol
                 JOIN sale_order so ON so.id = sol.order_id
                WHERE so.state = 'sale' AND sol.product_id = ANY(%s)
             GROUP BY sol.product_id""",
            [list(product_ids)],
        )
        promised = dict(cr.fetchall())
        cr.execute(
            """SELECT q.product_id, sum(q.quantity), sum(q.reserved_quantity),
                      bool_or(q.reserved_quantity > q.quantity)
                 FROM stock_quant q
                 JOIN stock_location l ON l.id = q.location_id
                WHERE l.usage = 'internal' AND q.product_id = ANY(%s)
             GROUP BY q.product_id""",
            [list(product_ids)],
        )
        quants = {row[0]: row[1:] for row in cr.fetchall()}
    errors = []
    for product_id in product_ids:
        on_hand, reserved, over = quants.get(product_id, (0, 0, False))
        limit = stock[product_id] if stock else on_hand
        if promised.get(product_id, 0) > limit or reserved > on_hand or over:
            errors.append(
                f"product {product_id}: promised {promised.get(product_id, 0)}, "
                f"reserved {reserved}, on hand {on_hand}, stock {limit}"
            )
    if errors:
        raise AssertionError("oversell: " + "; ".join(errors))
    return {
        "products": len(product_ids),
        "promised": float(sum(promised.values())),
        "on_hand": float(sum(quants[p][0] for p in quants)),
    }


def intake(registry, args, master, code, specs, workers, options=()):
    """Stage ``specs`` on a new channel ``code``, process them with ``workers``,
    check exactly-once and no oversell.

    :return: the run's figures
    """
    channel_id = ensure_channel(registry, code, master)
    stage_seconds = stage_orders(registry, channel_id, specs, code)
    seconds, stats = run_workers(args.config, args.db, workers, options=options)
    check = check_exactly_once(registry, channel_id, len(specs))
    product_ids = sorted({pid for spec in specs for pid, _qty in spec["lines"]})
    oversell = check_no_oversell(registry, product_ids, master.get("stock"))
    return {
        "orders": len(specs),
        "workers": workers,
        "stage_seconds": stage_seconds,
        "seconds": seconds,
        "per_s": len(specs) / seconds,
        "worker_stats": stats,
        "retries": sum(w["retries"] for w in stats),
        "check": check,
        "no_oversell": oversell,
    }


def limited_stock_master(registry, master, tag, products=20, units=None, orders=0):
    """``products`` new products with ``units`` each (enough for about half of
    the orders of the limited-stock run).

    :return: ``master`` with these products and their stock
    """
    # orders of 2 lines of 1 to 5 units: 6 units per order on average
    units = units or max(orders * 3 // products, 2)
    with environment(registry) as env:
        Product = env["product.product"]
        created = Product.create(
            [
                {
                    "name": f"Bench limited {tag} {i}",
                    "default_code": f"BENCH-L{tag}-{i:03d}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 20,
                }
                for i in range(products)
            ]
        )
        warehouse = env["stock.warehouse"].browse(master["warehouse_id"])
        for product in created:
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, units
            )
    return dict(
        master,
        product_ids=created.ids,
        stock=dict.fromkeys(created.ids, units),
    )


def run_scale(registry, args, master, specs, tag, report):
    """One channel, 1 worker then 2 workers, same orders; then 2 workers on
    products with little stock."""
    results = {}
    runs = {}
    for workers in (1, 2):
        run = runs[workers] = intake(
            registry, args, master, f"P{workers}-{tag}", specs, workers
        )
        results[f"one_channel_{workers}_workers"] = run
        report(
            f"intake, one channel, products shared, {workers} worker"
            f"{'s' if workers > 1 else ''}",
            f"{run['per_s']:.2f} orders/s, exactly-once OK, no oversell "
            f"({run['orders']} orders, {run['retries']} retried batches)",
        )
    ratio = results["scaling_one_channel"] = runs[2]["per_s"] / runs[1]["per_s"]
    report(
        "scaling 2 workers / 1 worker, one channel (target ≥ 1.7)",
        f"{ratio:.2f}× (load {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs)",
    )
    count = max(200, args.orders // 4)
    limited = limited_stock_master(registry, master, tag, orders=count)
    limited_specs = order_specs(limited, count, lines=2, seed=31)
    run = results["one_channel_limited_stock"] = intake(
        registry, args, limited, f"L-{tag}", limited_specs, 2
    )
    check = run["check"]
    if not 0 < check["confirmed"] < check["sale_orders"]:
        raise AssertionError(
            f"limited stock: nothing held or nothing confirmed {check}"
        )
    report(
        "intake, one channel, 2 workers, little stock (20 products)",
        f"{run['per_s']:.2f} orders/s, exactly-once OK, no oversell: "
        f"{check['confirmed']} confirmed, "
        f"{check['sale_orders'] - check['confirmed']} held for stock",
    )
    return results


def run_memory(registry, args, master, tag, report):
    """Peak resident memory of one cron worker importing each backlog."""
    backlogs = [
        int(n)
        for n in (os.environ.get("BENCH_MEMORY_BACKLOGS") or "2000 10000").split()
    ]
    soft = config.get("limit_memory_soft") or ODOO_DEFAULT_MEMORY_SOFT_KIB * 1024
    results = {"limit_memory_soft_kib": soft // 1024, "backlogs": {}}
    peaks = {}
    for backlog in backlogs:
        specs = order_specs(master, backlog, seed=41)
        run = intake(
            registry,
            args,
            master,
            f"M{backlog}-{tag}",
            specs,
            1,
            options=("--cron-cursor",),
        )
        stats = run["worker_stats"][0]
        peaks[backlog] = stats["rss_peak_kib"]
        results["backlogs"][backlog] = {
            "orders_per_s": run["per_s"],
            "rss_loaded_kib": stats["rss_loaded_kib"],
            "rss_peak_kib": stats["rss_peak_kib"],
            "rss_by_orders_kib": stats["rss_by_orders_kib"],
        }
        if stats["rss_peak_kib"] * 1024 >= soft:
            raise AssertionError(
                f"cron worker peak RSS {stats['rss_peak_kib']} KiB over "
                f"limit_memory_soft ({soft // 1024} KiB)"
            )
        report(
            f"cron worker memory, backlog of {backlog} staged orders",
            f"peak {stats['rss_peak_kib'] / 1024:.0f} MiB (registry loaded: "
            f"{stats['rss_loaded_kib'] / 1024:.0f} MiB; limit_memory_soft "
            f"{soft / 2**20:.0f} MiB)",
        )
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        results["growth_kib"] = peaks[large] - peaks[small]
        report(
            f"cron worker peak memory, {large} against {small} orders",
            f"{(peaks[large] - peaks[small]) / 1024:+.0f} MiB",
        )
    return results
