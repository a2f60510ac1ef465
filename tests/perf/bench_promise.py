"""Promise and foresight: the promised ship date of a 20-line order among many
products and open receipts (target < 50 ms), and the what-if of a review rule
over many orders (target < 10 s at 100,000). Everything is rolled back.

Usage, from the repository root once the addons are installed (``make test``
or ``make bench`` built a database)::

    .venv/bin/python -m tests.perf.bench_promise --config .local/odoo.conf \
        --db oms_bench [--skus 10000] [--receipts 1000] [--what-if-orders 10000]

or from ``tests/perf/run_bench.py`` (sections ``promise`` and ``whatif``).
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from datetime import date, datetime

from odoo import SUPERUSER_ID, Command, api

from .bench_lib import start_odoo


def _best_median(function, runs, profile=None, setup=None):
    """Best and median time of ``runs`` calls, each after an untimed
    ``setup()``; with ``profile`` (a file path), one more call is profiled
    there (cProfile, cumulative time)."""
    if profile:
        if setup:
            setup()
        profiler = cProfile.Profile()
        profiler.runcall(function)
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    times = []
    for _run in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def _insert_products(env, count, tag):
    """``count`` storable products, half of them with stock (ORM, batches)."""
    Product = env["product.product"].with_context(tracking_disable=True)
    ids = []
    for start in range(0, count, 1000):
        ids += Product.create(
            [
                {
                    "name": f"Promise {tag} {i}",
                    "type": "consu",
                    "is_storable": True,
                }
                for i in range(start, min(start + 1000, count))
            ]
        ).ids
    return ids


def _insert_stock(env, warehouse, product_ids, receipts, rng):
    """Stock for every other product and ``receipts`` open receipt moves
    (plain SQL: the promise reads quants and moves, not pickings)."""
    supplier = env.ref("stock.stock_location_suppliers")
    uom = env.ref("uom.product_uom_unit")
    env.cr.execute(
        """
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                 reserved_quantity, in_date)
        SELECT p, %s, %s, 10, 0, now() FROM unnest(%s::int[]) p
        """,
        (warehouse.lot_stock_id.id, warehouse.company_id.id, product_ids[::2]),
    )
    rows = [
        (rng.choice(product_ids), rng.randint(1, 50), rng.randint(1, 60))
        for _i in range(receipts)
    ]
    env.cr.execute(
        """
        INSERT INTO stock_move (name, company_id, product_id, product_uom,
                                location_id, location_dest_id, location_final_id,
                                procure_method, product_uom_qty, product_qty,
                                date, state)
        SELECT 'promise bench', %s, r.product_id, %s, %s, %s, %s, 'make_to_stock',
               r.qty, r.qty, now() + r.days * INTERVAL '1 day', 'assigned'
          FROM unnest(%s::int[], %s::float[], %s::int[]) AS r(product_id, qty, days)
        """,
        (
            warehouse.company_id.id,
            uom.id,
            supplier.id,
            warehouse.lot_stock_id.id,
            warehouse.lot_stock_id.id,
            [r[0] for r in rows],
            [float(r[1]) for r in rows],
            [r[2] for r in rows],
        ),
    )
    env.cr.execute("ANALYZE stock_move, stock_quant")


def run_promise(registry, skus=10000, receipts=1000, lines=20, runs=7, profile=None):
    """The promised date of a ``lines``-line quotation, and of the confirmed
    orders of the same products, among ``skus`` products and ``receipts``
    open receipts.

    :return: dict of the figures
    """
    rng = random.Random(20)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1
        )
        product_ids = _insert_products(env, skus, datetime.now().strftime("%H%M%S"))
        _insert_stock(env, warehouse, product_ids, receipts, rng)
        partner = env["res.partner"].create({"name": "Promise bench customer"})
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "warehouse_id": warehouse.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product_id,
                            "product_uom_qty": rng.randint(1, 30),
                        }
                    )
                    for product_id in rng.sample(product_ids, lines)
                ],
            }
        )
        env.flush_all()
        # a fresh recordset: prefetching does not go through the invalidated order
        lines_rs = env["sale.order.line"].browse(order.order_line.ids)

        field = lines_rs._fields["oms_promised_date"]

        # each run starts from an empty cache, as a request does; emptying
        # the cache of the 10,000 products created above is not timed. The
        # promised dates are computed as the order form and the save compute
        # them: into the cache, written with the order (not one write each)
        def quotation():
            with env.protecting([field], lines_rs):
                lines_rs._compute_oms_promised_date()

        # the same lines set with a write (the promise called outside its compute)
        def quotation_written():
            lines_rs._oms_promise_quotation(warehouse)

        def confirmed():
            env["sale.order.line"]._oms_get_confirmed_promises(
                warehouse, lines_rs.product_id
            )

        quote_best, quote_median = _best_median(
            quotation, runs, profile and f"{profile}.quotation", env.invalidate_all
        )
        written_best, _written_median = _best_median(
            quotation_written, runs, setup=env.invalidate_all
        )
        confirm_best, confirm_median = _best_median(
            confirmed, runs, setup=env.invalidate_all
        )
        promised = order.oms_promised_date
        cr.rollback()
    return {
        "skus": skus,
        "receipts": receipts,
        "lines": lines,
        "promised": str(promised),
        "quotation_ms_best": quote_best * 1000,
        "quotation_ms_median": quote_median * 1000,
        "quotation_written_ms_best": written_best * 1000,
        "confirmed_ms_best": confirm_best * 1000,
        "confirmed_ms_median": confirm_median * 1000,
    }


def _demo_rules(env):
    """The live rules of the demo data (``oms_core/demo/oms_core_demo.xml``):
    credit limit, stock (standard and bulk orders), address, price floor
    (warning), discount, amount, duplicate, prepayment, new customer
    (warning) and the condition on test references."""
    prepaid = env["account.payment.term"].create({"name": "Bench prepayment"})
    types = env.ref("oms_core.oms_order_type_standard") | env.ref(
        "oms_core.oms_order_type_bulk"
    )
    return env["oms.review.rule"].create(
        [
            {"name": "Credit limit", "check_type": "credit_limit"},
            {
                "name": "Stock available to promise",
                "check_type": "stock",
                "order_type_ids": [Command.set(types.ids)],
            },
            {"name": "Complete delivery address", "check_type": "address"},
            {
                "name": "Price floor 20%",
                "check_type": "price_floor",
                "severity": "warn",
                "percent_limit": 20,
            },
            {
                "name": "Discount above 15%",
                "check_type": "discount_limit",
                "percent_limit": 15,
            },
            {
                "name": "Large order",
                "check_type": "amount_threshold",
                "amount_limit": 20000,
            },
            {"name": "Duplicate", "check_type": "duplicate", "hours_window": 24},
            {
                "name": "Prepayment",
                "check_type": "payment",
                "payment_term_ids": [Command.set(prepaid.ids)],
            },
            {
                "name": "New customer above 3,000",
                "check_type": "new_customer",
                "severity": "warn",
                "amount_limit": 3000,
                "domain": "[('partner_id.oms_tier', '=', 'normal')]",
            },
            {
                "name": "Test orders",
                "check_type": "domain",
                "domain": "[('client_order_ref', '=ilike', 'TEST%')]",
            },
        ]
    )


def run_what_if(registry, orders=10000, runs=3, profile=None):
    """``action_what_if`` of a new rule over ``orders`` generated orders, with
    the ten live rules of the demo data (price floor and stock included).

    :return: dict of the figures
    """
    from .bench_kpi import generate

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        Rule = env["oms.review.rule"]
        Rule.search([]).active = False
        tag = "WI" + datetime.now().strftime("%H%M%S")
        generate(env, orders, tag)
        # a complete address: the address rule holds none of them
        env["res.partner"].search([("name", "=", f"Bench customer {tag}")]).write(
            {
                "street": "1 Bench Street",
                "city": "Shanghai",
                "zip": "200000",
                "country_id": env.ref("base.cn").id,
                "email": "bench@example.com",
            }
        )
        # the generated orders are of 2025: the window reaches back to them
        days = (date.today() - date(2025, 1, 1)).days + 1
        live = sorted(_demo_rules(env).mapped("check_type"))
        rule = Rule.create(
            {
                "name": "Bench new rule",
                "check_type": "domain",
                "domain": "[('amount_total', '>', 150)]",
                "active": False,
            }
        )
        env.flush_all()
        result = {}

        def what_if():
            result.update(rule.action_what_if(days=days))

        best, median = _best_median(
            what_if, runs, profile and f"{profile}.what_if", env.invalidate_all
        )
        cr.rollback()
    return {
        "generated": orders,
        "orders": result["orders"],
        "rules": live,
        "would_hold": result["would_hold"],
        "touchless_rate_before": result["touchless_rate_before"],
        "touchless_rate_after": result["touchless_rate_after"],
        "seconds_best": best,
        "seconds_median": median,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=".local/odoo.conf")
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--skus", type=int, default=int(os.environ.get("BENCH_SKUS") or 10000)
    )
    parser.add_argument(
        "--receipts",
        type=int,
        default=int(os.environ.get("BENCH_PROMISE_RECEIPTS") or 1000),
    )
    parser.add_argument(
        "--what-if-orders",
        type=int,
        default=int(os.environ.get("BENCH_WHAT_IF_ORDERS") or 10000),
    )
    parser.add_argument(
        "--profile", help="cProfile one more run of each figure to this path prefix"
    )
    args = parser.parse_args(argv)
    registry = start_odoo(args.config, args.db)
    promise = run_promise(
        registry, skus=args.skus, receipts=args.receipts, profile=args.profile
    )
    print(
        f"promise, 20-line order, {promise['skus']} SKUs, {promise['receipts']} "
        f"open receipts (target < 50 ms): quotation "
        f"{promise['quotation_ms_best']:.1f} ms best / "
        f"{promise['quotation_ms_median']:.1f} median "
        f"({promise['quotation_written_ms_best']:.1f} ms written), confirmed "
        f"{promise['confirmed_ms_best']:.1f} ms best: "
        + ("met" if promise["quotation_ms_best"] < 50 else "NOT MET")
    )
    what_if = run_what_if(registry, orders=args.what_if_orders, profile=args.profile)
    if what_if["generated"] >= 100000:
        verdict = "met" if what_if["seconds_best"] < 10 else "NOT MET"
    else:
        verdict = "not judged below 100,000 orders"
    print(
        f"what-if of a rule with the {len(what_if['rules'])} demo rules, "
        f"{what_if['orders']} orders (target < 10 s at 100,000): "
        f"{what_if['seconds_best']:.2f} s best, "
        f"{what_if['seconds_median']:.2f} s median: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
