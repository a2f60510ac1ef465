"""Benchmark of oms.kpi.get_kpis over generated orders (not part of `make test`).

Usage, from the repository root once `make test` (or `make run`) has installed the
addons:

    .venv/bin/python tests/perf/bench_kpi.py [--db oms_test] [--orders 10000 100000]

or from Python (e.g. ``tests/perf/run_bench.py``)::

    from tests.perf.bench_kpi import run
    results = run(registry, sizes=(10000, 100000), runs=5)

For each size it inserts that many orders (spread over 2025) in one transaction with
plain SQL (lines, a delivery with done moves for 80 %, an invoice for 60 % of them,
exceptions on 20 %, cancellations on 5 %), ANALYZEs, then:

- times one get_kpis over the whole year before any refresh: the orders inserted by
  SQL have no stored facts yet, so every order is computed live (the worst case);
- stores the facts with ``oms.order.fact._refresh()``, as the cron does (timed);
- calls get_kpis over the whole year (every order) and over June a few times, and
  prints the best and median wall time;
- queues 1 % of the orders (as if they had changed since the last refresh: computed
  live) and times the whole year again.

Everything is rolled back: the database is left untouched.
The target is under one second at 100,000 orders.

At scale (``run_scale``, ``--scale 1000000``, or ``BENCH_KPI_SCALE=1000000`` through
``run_bench``): that many orders of 2025 and their stored facts are inserted by SQL
(``generate_series``: the order rows, their facts and exceptions, not their lines
and moves), the roll-up per day is rebuilt and the tables vacuumed (committed, as
autovacuum would have done; deleted again at the end), then get_kpis over the year
(target < 1 s) and the KPI dashboard's data over 30 days (target < 2 s) are timed.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _odoo_registry(db):
    """The Odoo registry of ``db``, configured from .local/odoo.conf."""
    import odoo
    from odoo.tools import config

    config.parse_config(["-c", os.path.join(ROOT, ".local", "odoo.conf"), "-d", db])
    return odoo.modules.registry.Registry(db)


def generate(env, count, tag):
    """Insert ``count`` orders with their history (SQL, in the current transaction)."""
    cr = env.cr
    company = env.company
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    out_type = warehouse.out_type_id
    customer_loc = env.ref("stock.stock_location_customers")
    stock_loc = warehouse.lot_stock_id
    uom = env.ref("uom.product_uom_unit")
    partner = env["res.partner"].create({"name": f"Bench customer {tag}"})
    products = env["product.product"].create(
        [
            {"name": f"Bench {tag} {i}", "type": "consu", "is_storable": True}
            for i in range(20)
        ]
    )
    channels = env["oms.channel"].create(
        [
            {
                "name": f"Bench {tag} {i}",
                "code": f"BENCH{tag}{i}",
                "company_id": company.id,
            }
            for i in range(4)
        ]
    )
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    account = env["account.account"].search([("account_type", "=", "income")], limit=1)
    env.flush_all()
    params = {
        "account": account.id,
        "n": count,
        "company": company.id,
        "partner": partner.id,
        "tag": tag,
        "products": products.ids,
        "channels": channels.ids,
        "uom": uom.id,
        "stock": stock_loc.id,
        "customer": customer_loc.id,
        "out_type": out_type.id,
        "journal": journal.id,
        "currency": company.currency_id.id,
    }
    cr.execute(
        """
        CREATE TEMP TABLE bench_order ON COMMIT DROP AS
        SELECT g AS n,
               TIMESTAMP '2025-01-01' + (g %% 365) * INTERVAL '1 day'
                   + (g %% 24) * INTERVAL '1 hour' AS created,
               (%(channels)s::int[])[1 + g %% 4] AS channel_id,
               CASE WHEN g %% 20 = 0 THEN 'cancel' ELSE 'sale' END AS state,
               g %% 10 < 8 AND g %% 20 <> 0 AS shipped,
               g %% 10 < 6 AND g %% 20 <> 0 AS invoiced,
               g %% 5 = 0 AS has_exception,
               (%(products)s::int[])[1 + g %% 20] AS product_id
          FROM generate_series(1, %(n)s) g;

        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id,
                                partner_shipping_id, date_order, create_date, state,
                                picking_policy, oms_channel_id, amount_untaxed,
                                amount_total, currency_id, currency_rate,
                                oms_auto_approved,
                                oms_touch_count, oms_reviewed_date, commitment_date,
                                client_order_ref, oms_order_type, oms_priority)
        SELECT 'BENCH' || %(tag)s || '-' || n, %(company)s, %(partner)s, %(partner)s,
               %(partner)s, created + INTERVAL '1 hour', created, state, 'direct',
               channel_id, 100 * (1 + n %% 3), 100 * (1 + n %% 3), %(currency)s, 1.0,
               n %% 3 <> 0, (n %% 7 = 0)::int, created + INTERVAL '30 minutes',
               created + INTERVAL '3 days', 'BENCH' || %(tag)s || '-' || n, 'standard',
               CASE WHEN n %% 10 = 0 THEN '1' ELSE '0' END
          FROM bench_order;

        CREATE TEMP TABLE bench_so ON COMMIT DROP AS
        SELECT so.id AS order_id, bo.*
          FROM sale_order so
          JOIN bench_order bo
            ON so.client_order_ref = 'BENCH' || %(tag)s || '-' || bo.n;

        INSERT INTO sale_order_line (order_id, name, product_id, product_uom_qty,
                                     product_uom, price_unit, customer_lead, company_id,
                                     currency_id, state)
        SELECT order_id, 'bench', product_id, 1 + n %% 3, %(uom)s, 100, 0, %(company)s,
               %(currency)s, state
          FROM bench_so;

        INSERT INTO stock_picking (name, location_id, location_dest_id, picking_type_id,
                                   move_type, state, date_done, company_id, origin)
        SELECT 'BENCH' || %(tag)s || '/OUT/' || n, %(stock)s, %(customer)s,
               %(out_type)s, 'direct', 'done',
               created + (24 + n %% 96) * INTERVAL '1 hour', %(company)s,
               'BENCH' || %(tag)s || '-' || n
          FROM bench_so WHERE shipped;

        INSERT INTO stock_move (name, company_id, product_id, product_uom, location_id,
                                location_dest_id, procure_method, product_uom_qty,
                                quantity,
                                date, state, sale_line_id, picking_id)
        SELECT 'bench', %(company)s, sol.product_id, %(uom)s, %(stock)s, %(customer)s,
               'make_to_stock', sol.product_uom_qty,
               CASE WHEN bs.n %% 10 = 1 THEN sol.product_uom_qty - 1
                    ELSE sol.product_uom_qty END,
               sp.date_done, 'done', sol.id, sp.id
          FROM bench_so bs
          JOIN sale_order_line sol ON sol.order_id = bs.order_id
          JOIN stock_picking sp ON sp.origin = 'BENCH' || %(tag)s || '-' || bs.n
         WHERE bs.shipped;

        INSERT INTO oms_exception (order_id, company_id, code, severity, state,
                                   message_source)
        SELECT order_id, %(company)s,
               (ARRAY['stock', 'credit_limit', 'address', 'duplicate'])[1 + n %% 4],
               'block',
               CASE WHEN n %% 2 = 0 THEN 'overridden' ELSE 'resolved' END, 'bench'
          FROM bench_so WHERE has_exception;

        INSERT INTO account_move (journal_id, currency_id, state, move_type, auto_post,
                                  date,
                                  invoice_date, amount_total_in_currency_signed,
                                  payment_state, company_id, ref)
        SELECT %(journal)s, %(currency)s, 'posted', 'out_invoice', 'no',
               (created + INTERVAL '2 days')::date, (created + INTERVAL '2 days')::date,
               100 * (1 + n %% 3), 'not_paid', %(company)s,
               'BENCH' || %(tag)s || '-' || n
          FROM bench_so WHERE invoiced;

        CREATE TEMP TABLE bench_aml ON COMMIT DROP AS
        WITH ins AS (
            INSERT INTO account_move_line (move_id, currency_id, display_type,
                                           company_id, account_id)
            SELECT am.id, %(currency)s, 'product', %(company)s, %(account)s
              FROM account_move am
             WHERE am.ref LIKE 'BENCH' || %(tag)s || '-%%'
            RETURNING id, move_id
        ) SELECT * FROM ins;

        INSERT INTO sale_order_line_invoice_rel (invoice_line_id, order_line_id)
        SELECT aml.id, sol.id
          FROM bench_aml aml
          JOIN account_move am ON am.id = aml.move_id
          JOIN bench_so bs ON am.ref = 'BENCH' || %(tag)s || '-' || bs.n
          JOIN sale_order_line sol ON sol.order_id = bs.order_id;
        """,
        params,
    )
    cr.execute("DROP TABLE bench_order, bench_so, bench_aml")
    cr.execute(
        "ANALYZE sale_order, sale_order_line, stock_move, stock_picking, "
        "oms_exception, account_move, account_move_line, sale_order_line_invoice_rel"
    )
    return channels


def bench(env, runs=5, date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)):
    times = []
    for _i in range(runs):
        start = time.perf_counter()
        kpis = env["oms.kpi"].get_kpis(date_from, date_to)
        times.append(time.perf_counter() - start)
    return kpis, times


def _timing(kpis, times):
    return {
        "orders": kpis["orders"],
        "best_s": round(min(times), 4),
        "median_s": round(statistics.median(times), 4),
    }


def run(registry, sizes=(10000, 100000), runs=5, out=print):
    """Run the benchmark on ``registry`` (an Odoo registry with the OMS addons)
    in one transaction that is rolled back.

    :param sizes: cumulative order counts to generate and measure
    :param runs: get_kpis calls per measure (best and median are kept)
    :param out: where the progress lines go (``None``: silent)
    :return: ``{"target_s": 1.0, "sizes": [{"orders", "generate_s",
        "cold_year_s", "refresh_s", "refreshed", "year", "month",
        "year_with_queue", "queued"}]}``, each of ``year``, ``month`` and
        ``year_with_queue`` being ``{"orders", "best_s", "median_s"}``
    """
    import odoo

    from odoo.addons.oms_reports.models.oms_kpi import OMS_KPI_KEYS

    out = out or (lambda *args: None)
    results = {"target_s": 1.0, "runs": runs, "sizes": []}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            total = 0
            for index, count in enumerate(sizes):
                row = {"orders": count}
                start = time.perf_counter()
                generate(env, count - total, f"{index}")
                total = count
                row["generate_s"] = round(time.perf_counter() - start, 2)
                out(f"generated up to {count} orders in {row['generate_s']:.1f} s")

                _kpis, cold = bench(env, 1)
                row["cold_year_s"] = round(cold[0], 4)
                out(f"get_kpis over the year, no stored facts: {cold[0]:.3f} s")

                start = time.perf_counter()
                row["refreshed"] = env["oms.order.fact"]._refresh()
                cr.execute("ANALYZE oms_order_fact")
                row["refresh_s"] = round(time.perf_counter() - start, 2)
                out(
                    f"refreshed the facts of {row['refreshed']} orders "
                    f"in {row['refresh_s']:.1f} s"
                )

                kpis, times = bench(env, runs)
                row["year"] = _timing(kpis, times)
                out(
                    f"get_kpis over {kpis['orders']} orders (+ previous period): "
                    f"best {min(times):.3f} s, median {statistics.median(times):.3f} s"
                )
                month, month_times = bench(
                    env, runs, date(2025, 6, 1), date(2025, 6, 30)
                )
                row["month"] = _timing(month, month_times)
                out(
                    f"get_kpis over one month ({month['orders']} of {count} orders): "
                    f"best {min(month_times):.3f} s, "
                    f"median {statistics.median(month_times):.3f} s"
                )
                out(
                    "  on_time {on_time_rate:.3f} fill {fill_rate:.3f} perfect "
                    "{perfect_order_rate:.3f} touchless {touchless_rate:.3f} cycle p90 "
                    "{cycle_time_p90_h:.1f} h".format(**kpis)
                )

                cr.execute(
                    "SELECT id FROM sale_order WHERE client_order_ref LIKE %s"
                    " AND id %% 100 = 0",
                    ["BENCH%"],
                )
                queued = env["sale.order"].browse([r[0] for r in cr.fetchall()])
                env["oms.order.fact.queue"]._enqueue(queued)
                row["queued"] = len(queued)
                queued_kpis, queued_times = bench(env, runs)
                row["year_with_queue"] = _timing(queued_kpis, queued_times)
                out(
                    f"get_kpis over the year with {len(queued)} orders queued: "
                    f"best {min(queued_times):.3f} s, "
                    f"median {statistics.median(queued_times):.3f} s"
                )
                changed = [
                    key
                    for key in OMS_KPI_KEYS
                    if abs(queued_kpis[key] - kpis[key]) > 1e-6 * max(1, abs(kpis[key]))
                ]
                assert not changed, f"queued orders changed the KPIs: {changed}"
                env["oms.order.fact"]._refresh()
                results["sizes"].append(row)
        finally:
            cr.rollback()
    return results


SCALE_TAG = "BENCHF"


def generate_facts(env, count):
    """Insert ``count`` orders of 2025 and their stored facts (and the exceptions
    of one in five) with ``generate_series``, then rebuild the roll-up per day.
    The facts follow the proportions of ``generate``: 5 % cancelled, 80 % shipped
    (2 % of those still open), 60 % invoiced, 20 % with an exception."""
    cr = env.cr
    company = env.company
    partner = env["res.partner"].create({"name": "Bench scale customer"})
    channels = env["oms.channel"].create(
        [
            {"name": f"Bench scale {i}", "code": f"BENCHF{i}", "company_id": company.id}
            for i in range(4)
        ]
    )
    env.flush_all()
    params = {
        "n": count,
        "tag": SCALE_TAG,
        "company": company.id,
        "partner": partner.id,
        "currency": company.currency_id.id,
        "channels": channels.ids,
        "user": env.user.id,
    }
    cr.execute(
        """
        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id,
                                partner_shipping_id, date_order, create_date, state,
                                picking_policy, oms_channel_id, user_id, currency_id,
                                amount_untaxed, amount_total, client_order_ref)
        SELECT %(tag)s || g, %(company)s, %(partner)s, %(partner)s, %(partner)s,
               created + INTERVAL '1 hour', created,
               CASE WHEN g %% 20 = 0 THEN 'cancel' ELSE 'sale' END, 'direct',
               (%(channels)s::int[])[1 + g %% 4],
               CASE WHEN g %% 3 = 0 THEN %(user)s END, %(currency)s,
               100 * (1 + g %% 3), 100 * (1 + g %% 3), %(tag)s || g
          FROM (SELECT g, TIMESTAMP '2025-01-01' + (g %% 365) * INTERVAL '1 day'
                          + (g * 37 %% 1440) * INTERVAL '1 minute' AS created
                  FROM generate_series(1, %(n)s) g) s
        """,
        params,
    )
    # fresh statistics: the foreign key checks of the facts look the orders up
    cr.execute("ANALYZE sale_order")
    cr.execute(
        """
        WITH base AS (
            SELECT so.id AS order_id, so.company_id, so.oms_channel_id AS channel_id,
                   so.user_id, so.state, so.create_date AS ordered,
                   so.amount_untaxed AS amount,
                   SUBSTRING(so.client_order_ref FROM 7)::int AS g
              FROM sale_order so
             WHERE so.client_order_ref LIKE %(tag)s || '%%'
        ), flags AS (
            SELECT base.*, state = 'sale' AS sale,
                   state = 'sale' AND g %% 10 < 8 AS shipped,
                   state = 'sale' AND g %% 10 < 8 AND g %% 50 <> 1 AS completed,
                   state = 'sale' AND g %% 10 < 6 AS invoiced,
                   ordered + (24 + g::bigint * 7919 %% 96) * INTERVAL '1 hour'
                       AS shipped_on,
                   ordered + INTERVAL '3 days' AS promised
              FROM base
        )
        INSERT INTO oms_order_fact (
            order_id, company_id, channel_id, user_id, state, is_auto_approved,
            touch_count, amount_untaxed, amount_total, date_ordered, date_reviewed,
            date_confirmed, date_promised, date_ship_promised, date_first_shipment,
            date_fully_shipped, date_completed, delivery_count, qty_ordered,
            qty_first_shipment, qty_delivered, qty_returned, line_count,
            line_filled_count, date_invoiced, date_paid, date_last_payment,
            amount_invoiced, is_invoice_right, confirmed_count, cancelled_count,
            shipped_count, completed_count, on_time_count, perfect_count,
            touchless_count, touched_count, exception_order_count, backorder_count,
            returned_count, review_time_h, order_to_ship_h, cycle_time_h,
            exception_count)
        SELECT order_id, company_id, channel_id, user_id, state, g %% 3 <> 0,
               (g %% 7 = 0)::int, amount, amount, ordered,
               ordered + INTERVAL '30 minutes',
               CASE WHEN sale THEN ordered + INTERVAL '1 hour' END, promised,
               CASE WHEN g %% 2 = 0 THEN promised END,
               CASE WHEN shipped THEN shipped_on END,
               CASE WHEN completed THEN shipped_on END,
               CASE WHEN completed THEN shipped_on END,
               shipped::int, 1, shipped::int, shipped::int, 0, 1,
               (shipped AND g %% 10 <> 1)::int,
               CASE WHEN invoiced THEN ordered::date + 2 END,
               CASE WHEN invoiced AND g %% 3 = 0 THEN ordered::date + 2 + g %% 30 END,
               CASE WHEN invoiced AND g %% 3 = 0 THEN ordered::date + 2 + g %% 30 END,
               CASE WHEN invoiced THEN amount ELSE 0 END, invoiced,
               sale::int, (NOT sale)::int, shipped::int, completed::int,
               (completed AND shipped_on <= promised)::int,
               (completed AND shipped_on <= promised AND g %% 10 <> 1
                AND g %% 7 <> 0 AND invoiced)::int,
               (sale AND g %% 3 <> 0 AND g %% 7 <> 0)::int, (g %% 7 = 0)::int,
               (g %% 5 = 0)::int, (shipped AND g %% 10 = 1)::int, 0, 0.5,
               CASE WHEN shipped THEN (24 + g::bigint * 7919 %% 96)::float END,
               CASE WHEN completed THEN (24 + g::bigint * 7919 %% 96)::float END,
               (g %% 5 = 0)::int
          FROM flags
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO oms_exception (order_id, company_id, code, severity, state,
                                   message_source)
        SELECT order_id, company_id,
               (ARRAY['stock', 'credit_limit', 'address', 'duplicate'])[
                   1 + order_id %% 4],
               'block', 'overridden', 'bench'
          FROM oms_order_fact WHERE exception_order_count = 1 AND order_id IN (
               SELECT id FROM sale_order WHERE client_order_ref LIKE %(tag)s || '%%')
        """,
        params,
    )
    _store_exception_counts(cr)
    env["oms.order.fact.daily"]._rebuild()


def _store_exception_counts(cr):
    """Store the exception counts per code in the facts of the generated
    orders, as the facts' refresh does."""
    cr.execute(
        """
        UPDATE oms_order_fact fact
           SET exception_credit_limit_count = exc.credit_limit,
               exception_stock_count = exc.stock,
               exception_address_count = exc.address,
               exception_duplicate_count = exc.duplicate,
               exception_overridden_count = exc.total,
               exception_open_count = 0, exception_price_count = 0,
               exception_amount_count = 0, exception_payment_count = 0,
               exception_customer_count = 0, exception_other_count = 0
          FROM (SELECT order_id, COUNT(*) AS total,
                       COUNT(*) FILTER (WHERE code = 'credit_limit') AS credit_limit,
                       COUNT(*) FILTER (WHERE code = 'stock') AS stock,
                       COUNT(*) FILTER (WHERE code = 'address') AS address,
                       COUNT(*) FILTER (WHERE code = 'duplicate') AS duplicate
                  FROM oms_exception WHERE message_source = 'bench'
                 GROUP BY order_id) exc
         WHERE exc.order_id = fact.order_id
        """
    )


def _vacuum(registry, tables):
    """VACUUM ANALYZE ``tables`` (outside a transaction), as autovacuum would."""
    from odoo.tools import SQL

    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        try:
            for table in tables:
                cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
        finally:
            cr._cnx.autocommit = False


def _remove_facts(registry):
    """Delete the orders of ``generate_facts`` (their facts go with them)."""
    import odoo

    with registry.cursor() as cr:
        cr.execute(
            "DELETE FROM sale_order WHERE client_order_ref LIKE %s", [f"{SCALE_TAG}%"]
        )
        cr.execute("DELETE FROM oms_channel WHERE code LIKE %s", [f"{SCALE_TAG}%"])
        odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})[
            "oms.order.fact.daily"
        ]._rebuild()


def run_scale(registry, orders=1_000_000, runs=3, out=print, reuse=False):
    """get_kpis over a year and the KPI dashboard's data over 30 days at
    ``orders`` orders of stored facts (see the module's docstring). With
    ``reuse``, the orders of an earlier run are timed as they are (neither
    generated nor removed).

    :return: ``{"orders", "generate_s", "year", "dashboard_30d", "targets"}``, each
        timing being ``{"orders", "best_s", "median_s"}``
    """
    import odoo

    out = out or (lambda *args: None)
    result = {"orders": orders, "targets": {"year_s": 1.0, "dashboard_30d_s": 2.0}}
    start = time.perf_counter()
    if not reuse:
        with registry.cursor() as cr:
            generate_facts(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), orders)
    _vacuum(
        registry,
        ["sale_order", "oms_order_fact", "oms_order_fact_daily", "oms_exception"],
    )
    result["generate_s"] = round(time.perf_counter() - start, 1)
    out(f"generated {orders} orders' facts in {result['generate_s']:.1f} s")
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            kpis, times = bench(env, runs)
            result["year"] = _timing(kpis, times)
            out(
                f"get_kpis over a year, {kpis['orders']} orders: best "
                f"{min(times):.3f} s, median {statistics.median(times):.3f} s"
            )
            dashboard_times = []
            for _i in range(runs):
                begin = time.perf_counter()
                data = env["oms.kpi"].get_dashboard_data("2025-06-01", "2025-06-30")
                dashboard_times.append(time.perf_counter() - begin)
            result["dashboard_30d"] = _timing(data["kpis"], dashboard_times)
            out(
                f"dashboard data over 30 days, {data['kpis']['orders']} orders: best "
                f"{min(dashboard_times):.3f} s, "
                f"median {statistics.median(dashboard_times):.3f} s"
            )
            cr.rollback()
    finally:
        if not reuse:
            _remove_facts(registry)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="oms_test")
    parser.add_argument("--orders", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--scale", type=int, help="also time get_kpis at this many orders' facts"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the orders an earlier --scale run left (no generation)",
    )
    args = parser.parse_args()
    registry = _odoo_registry(args.db)
    if args.orders != [0]:
        run(registry, args.orders, args.runs)
    if args.scale:
        run_scale(registry, args.scale, reuse=args.reuse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
