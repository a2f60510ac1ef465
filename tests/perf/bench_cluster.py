"""``make bench-cluster``: the two-server deployment of ``make cluster`` under load.

A load generator sends N signed Shopify ``orders/create`` webhooks (50 in flight)
to the servers, for orders that share a few products whose stock covers only part
of the demand, while a manager refreshes the KPI dashboard. It runs twice: with
server 1 alone (server 2 stopped), then round-robin to both servers. It reports
the webhook latency (p50/p99), the orders per second end to end (first request
sent → last staged order processed) and the scaling 2 servers / 1, and fails
loudly unless every run is exactly-once (N staged, N sales orders, distinct
references), never oversells, and the dashboard was answered by the replica.

Requests go only to 127.0.0.1, at most ``MAX_ORDERS`` per run, and each run stops
after ``--timeout`` seconds.
"""

import argparse
import concurrent.futures
import copy
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

from odoo import Command
from odoo.tools import config

from .bench_lib import environment, start_odoo

ROOT = Path(__file__).resolve().parents[2]
#: the published Shopify order the tests of oms_channels use
FIXTURE = ROOT / "addons/oms_channels/tests/data/order_rest_single_legacy.json"
MAX_ORDERS = 20000
SECRET = "bench-cluster-secret"
#: stock of each product, as a share of what the run's orders ask for
STOCK_SHARE = 0.9
#: deliveries of one webhook before the run fails (a platform tries again too;
#: on a loaded machine the one HTTP worker of a server may drop a connection)
ATTEMPTS = 10
#: what Odoo's cron runner logs after each batch of a processing cron
#: (``ir.cron._run_job``; the cluster's servers log it, setup/cluster.sh)
PROCESSED_LOG = re.compile(
    r"Job 'OMS: process staged channel orders[^']*' \(\d+\) processed (\d+) records"
)


def shopify_template():
    """The published Shopify order, paid, without taxes, discounts or shipping."""
    order = json.loads(FIXTURE.read_text())["order"]
    order.update(
        tax_lines=[],
        shipping_lines=[],
        discount_codes=[],
        total_discounts="0.00",
        taxes_included=False,
        financial_status="paid",
        cancelled_at=None,
        fulfillments=[],
    )
    return order


def shopify_orders(template, tag, count, skus, seed):
    """``count`` Shopify orders of 1–3 lines over ``skus`` (deterministic)."""
    import random

    rng = random.Random(seed)
    item_template = template["line_items"][0]
    orders = []
    for index in range(count):
        order = copy.deepcopy(template)
        items, total = [], 0
        for sku, price in rng.sample(skus, rng.randint(1, min(3, len(skus)))):
            quantity = rng.randint(1, 3)
            item = dict(
                item_template,
                id=index * 10 + len(items),
                sku=sku,
                title=sku,
                name=sku,
                price=f"{price:.2f}",
                quantity=quantity,
                tax_lines=[],
                total_discount="0.00",
                discount_allocations=[],
                taxable=False,
            )
            items.append(item)
            total += price * quantity
        number = f"{tag}-{index:06d}"
        # 50 customers, each with its own phone: the mapping finds a customer
        # not bound yet by e-mail, then phone (the fixture's phone for all
        # would make every order one customer's)
        phone = f"555-600-{index % 50:04d}"
        customer = dict(
            template.get("customer") or {},
            id=f"{tag}-C{index % 50}",
            email=f"cluster{index % 50}@example.com",
            first_name="Cluster",
            last_name=f"Customer {index % 50}",
            phone=phone,
        )
        order.update(
            billing_address=dict(order["billing_address"], phone=phone),
            shipping_address=dict(order["shipping_address"], phone=phone),
        )
        order.update(
            id=f"{tag}{index:06d}",
            name=f"#{number}",
            order_number=number,
            email=customer["email"],
            customer=customer,
            line_items=items,
            total_price=f"{total:.2f}",
            subtotal_price=f"{total:.2f}",
            total_line_items_price=f"{total:.2f}",
            total_tax="0.00",
        )
        orders.append(order)
    return orders


def setup_run(registry, orders):
    """Give each product of the run a free quantity of ``STOCK_SHARE`` of what
    the run's orders ask for (earlier runs may have left some)."""
    demand = {}
    for order in orders:
        for item in order["line_items"]:
            demand[item["sku"]] = demand.get(item["sku"], 0) + item["quantity"]
    with environment(registry) as env:
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1
        )
        stock = {}
        for sku, wanted in sorted(demand.items()):
            product = (
                env["product.product"]
                .search([("default_code", "=", sku)])
                .with_context(warehouse_id=warehouse.id)
            )
            stock[sku] = int(wanted * STOCK_SHARE)
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, stock[sku] - product.free_qty
            )
    return stock


def ensure_setup(registry, skus):
    """The Shopify channel, its products, the demo review rules and a manager."""
    from .bench_oms import ensure_review_rules

    ensure_review_rules(registry)
    with environment(registry) as env:
        Product = env["product.product"]
        for sku, price in skus:
            if not Product.search_count([("default_code", "=", sku)]):
                Product.create(
                    {
                        "name": f"Cluster {sku}",
                        "default_code": sku,
                        "type": "consu",
                        "is_storable": True,
                        "list_price": price,
                        "taxes_id": [Command.clear()],
                    }
                )
        channel = env["oms.channel"].search([("code", "=", "CLUSTER")], limit=1)
        if not channel:
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            channel = env["oms.channel"].create(
                {
                    "name": "Cluster Shopify",
                    "code": "CLUSTER",
                    "connector": "shopify",
                    "kind": "web_shop",
                    "auto_confirm": True,
                    "warehouse_id": warehouse.id,
                    "api_url": "http://127.0.0.1:9",
                    "api_key": "cluster",
                    "api_secret": SECRET,
                }
            )
        # one processing cron per server's cron thread (the queue is shared out
        # between the copies of the cron, see the readme of oms_channels)
        cron = env.ref("oms_channels.ir_cron_oms_channel_order_process")
        copies = cron.search(
            [("model_id", "=", cron.model_id.id), ("code", "=", cron.code)]
        )
        if len(copies) < 2:
            cron.copy({"name": f"{cron.name} (2)"})
        login = "cluster-manager"
        user = env["res.users"].search([("login", "=", login)])
        password = uuid.uuid4().hex
        if not user:
            user = env["res.users"].create(
                {
                    "name": "Cluster Manager",
                    "login": login,
                    "groups_id": [
                        Command.set([env.ref("oms_core.group_oms_manager").id])
                    ],
                }
            )
        user.password = password
        return channel.id, channel.webhook_token, login, password


def sign(body):
    import base64
    import hashlib
    import hmac

    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def local_only(url):
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"bench-cluster sends only to 127.0.0.1, not {url}")
    return parts


def post(url, body, headers, retries):
    """POST on a new connection, as a platform delivers a webhook; a refused or
    reset connection is tried again (the intake is exactly-once by reference).

    :return: the response, read
    """
    parts = local_only(url)
    for attempt in range(1, ATTEMPTS + 1):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        try:
            conn.request("POST", parts.path, body=body, headers=headers)
            response = conn.getresponse()
            response.body = response.read()
            return response
        except (ConnectionError, http.client.HTTPException):
            if attempt == ATTEMPTS:
                raise
            retries.append(url)
            time.sleep(min(0.1 * 2**attempt, 5))
        finally:
            conn.close()
    return None


def send_webhooks(urls, token, orders, in_flight):
    """POST every order (signed) round-robin to ``urls``.

    :return: (latencies in seconds, connection retries)
    """
    latencies = [None] * len(orders)
    statuses, retries = {}, []

    def send(index):
        body = json.dumps(orders[index]).encode()
        url = f"{urls[index % len(urls)]}/oms/webhook/{token}"
        headers = {
            "Content-Type": "application/json",
            "Connection": "close",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(body),
        }
        start = time.perf_counter()
        status = post(url, body, headers, retries).status
        latencies[index] = time.perf_counter() - start
        statuses[status] = statuses.get(status, 0) + 1

    with concurrent.futures.ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(send, range(len(orders))))
    if statuses.get(200) != len(orders):
        raise AssertionError(f"webhook answers {statuses} for {len(orders)} orders")
    return latencies, len(retries)


def wait_processed(registry, channel_id, refs, deadline):
    """Wait until every staged order of ``refs`` left the queue; the time then."""
    while True:
        with environment(registry) as env:
            env.cr.execute(
                """SELECT count(*) FILTER (WHERE state NOT IN ('received')),
                          count(*)
                     FROM oms_channel_order
                    WHERE channel_id = %s AND external_ref = ANY(%s)""",
                [channel_id, refs],
            )
            done, staged = env.cr.fetchone()
        if staged == len(refs) and done == staged:
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise AssertionError(
                f"timeout: {done} of {staged} staged orders processed "
                f"({len(refs)} sent)"
            )
        time.sleep(0.2)


def check_run(registry, channel_id, refs, stock):
    """Exactly-once and no oversell for the orders of one run."""
    with environment(registry) as env:
        cr = env.cr
        cr.execute(
            """SELECT count(*), count(DISTINCT so.id),
                      count(DISTINCT so.oms_external_ref),
                      count(*) FILTER (WHERE sco.state = 'imported')
                 FROM oms_channel_order sco
                 LEFT JOIN sale_order so ON so.id = sco.sale_order_id
                WHERE sco.channel_id = %s AND sco.external_ref = ANY(%s)""",
            [channel_id, refs],
        )
        staged, sale_orders, distinct, imported = cr.fetchone()
        cr.execute(
            """SELECT count(*) FROM sale_order
                WHERE oms_channel_id = %s AND oms_external_ref = ANY(%s)""",
            [channel_id, refs],
        )
        all_orders = cr.fetchone()[0]
        cr.execute(
            """SELECT pp.default_code, sum(sol.product_uom_qty),
                      count(DISTINCT so.id)
                 FROM sale_order_line sol
                 JOIN sale_order so ON so.id = sol.order_id
                 JOIN product_product pp ON pp.id = sol.product_id
                WHERE so.oms_channel_id = %s AND so.oms_external_ref = ANY(%s)
                  AND so.state = 'sale'
                GROUP BY pp.default_code""",
            [channel_id, refs],
        )
        confirmed = {sku: float(qty) for sku, qty, _count in cr.fetchall()}
        cr.execute(
            """SELECT count(*) FROM sale_order
                WHERE oms_channel_id = %s AND oms_external_ref = ANY(%s)
                  AND state = 'sale'""",
            [channel_id, refs],
        )
        confirmed_orders = cr.fetchone()[0]
    count = len(refs)
    result = {
        "staged": staged,
        "sale_orders": sale_orders,
        "all_sale_orders": all_orders,
        "distinct_refs": distinct,
        "imported": imported,
        "confirmed_orders": confirmed_orders,
    }
    if not (staged == sale_orders == all_orders == distinct == imported == count):
        raise AssertionError(f"exactly-once violated: {result} for {count} orders")
    oversold = {
        sku: (qty, stock.get(sku, 0))
        for sku, qty in confirmed.items()
        if qty > stock.get(sku, 0)
    }
    if oversold:
        raise AssertionError(f"oversold (confirmed, stock): {oversold}")
    result["exactly_once"] = True
    result["oversell"] = 0
    return result


class Dashboard(threading.Thread):
    """A manager refreshing the KPI dashboard (30 days) until stopped."""

    def __init__(self, url, db, login, password):
        super().__init__(daemon=True)
        local_only(url)
        self.url = url
        self.db, self.login, self.password = db, login, password
        self.retries = []
        self.stop = threading.Event()
        self.latencies, self.errors = [], []

    def call(self, path, params, cookie=None):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params})
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if cookie:
            headers["Cookie"] = cookie
        response = post(self.url + path, body.encode(), headers, self.retries)
        data = json.loads(response.body)
        if data.get("error"):
            raise RuntimeError(data["error"].get("data", {}).get("message"))
        return response, data["result"]

    def run(self):
        try:
            response, _uid = self.call(
                "/web/session/authenticate",
                {"db": self.db, "login": self.login, "password": self.password},
            )
            cookie = response.getheader("Set-Cookie").split(";")[0]
            today = date.today()
            params = {
                "model": "oms.kpi",
                "method": "get_dashboard_data",
                "args": [str(today - timedelta(days=29)), str(today)],
                "kwargs": {},
            }
            while not self.stop.is_set():
                start = time.perf_counter()
                self.call(
                    "/web/dataset/call_kw/oms.kpi/get_dashboard_data", params, cookie
                )
                self.latencies.append(time.perf_counter() - start)
                self.stop.wait(1.0)
        except Exception as exc:  # reported, and fails the benchmark
            self.errors.append(repr(exc))


class ReplicaWatch(threading.Thread):
    """Samples the replica's ``pg_stat_activity`` every 10 ms: how often it was
    running a query on the KPI tables (only the dashboard reads them there)."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db = db
        self.stop = threading.Event()
        self.samples = self.kpi_samples = 0

    def run(self):
        conn = replica_connection()
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                while not self.stop.is_set():
                    cr.execute(
                        """SELECT count(*) FROM pg_stat_activity
                            WHERE datname = %s AND state = 'active'
                              AND query ILIKE '%%oms_order%%'
                              AND pid <> pg_backend_pid()""",
                        [self.db],
                    )
                    self.samples += 1
                    self.kpi_samples += bool(cr.fetchone()[0])
                    self.stop.wait(0.01)
        finally:
            conn.close()


def replica_connection():
    return psycopg2.connect(
        host=config["db_replica_host"],
        port=config["db_replica_port"],
        user=config["db_user"],
        dbname="postgres",
    )


def replica_activity(db):
    """Transactions and rows read on the replica for ``db`` so far."""
    conn = replica_connection()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT pg_is_in_recovery()")
            in_recovery = cr.fetchone()[0]
            cr.execute(
                "SELECT xact_commit + xact_rollback, tup_returned "
                "FROM pg_stat_database WHERE datname = %s",
                [db],
            )
            transactions, rows = cr.fetchone()
        return {"in_recovery": in_recovery, "transactions": transactions, "rows": rows}
    finally:
        conn.close()


class ServerLogs:
    """The orders each server's cron processed during a run, read from its log
    (``odoo-N.log`` of the cluster): the sum of its processing crons' batches
    (a batch left for the next run by a concurrent update counts again then)."""

    def __init__(self, folder, count):
        self.paths = [Path(folder) / f"odoo-{n}.log" for n in range(1, count + 1)]
        self.offsets = [self.size(path) for path in self.paths]

    @staticmethod
    def size(path):
        return path.stat().st_size if path.exists() else 0

    def processed(self):
        """Orders processed by each server since this object was made.

        :rtype: list
        """
        counts = []
        for path, offset in zip(self.paths, self.offsets, strict=True):
            text = ""
            if path.exists():
                with path.open(errors="replace") as log:
                    log.seek(offset)
                    text = log.read()
            counts.append(sum(int(n) for n in PROCESSED_LOG.findall(text)))
        return counts


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def cluster(*args):
    subprocess.run(["bash", str(ROOT / "setup" / "cluster.sh"), *args], check=True)


def run(registry, args, urls, tag, token, channel_id, skus, seed, dashboard=None):
    """One run: N signed webhooks round-robin to ``urls``, waited until processed."""
    orders = shopify_orders(shopify_template(), tag, args.orders, skus, seed)
    stock = setup_run(registry, orders)
    refs = [str(order["id"]) for order in orders]
    before = replica_activity(args.db)
    logs = ServerLogs(args.logs, 2)
    watch = ReplicaWatch(args.db)
    watch.start()
    if dashboard:
        dashboard.start()
    start = time.perf_counter()
    latencies, retries = send_webhooks(urls, token, orders, args.in_flight)
    sent = time.perf_counter()
    done = wait_processed(registry, channel_id, refs, start + args.timeout)
    if dashboard:
        dashboard.stop.set()
        dashboard.join(60)
    watch.stop.set()
    watch.join(10)
    after = replica_activity(args.db)
    # the last batch's line is written once its job's transaction commits
    time.sleep(1)
    processed = logs.processed()
    result = {
        "servers": len(urls),
        "orders": len(orders),
        "send_seconds": sent - start,
        "seconds": done - start,
        "per_s": len(orders) / (done - start),
        "latency_p50_ms": 1000 * statistics.median(latencies),
        "latency_p99_ms": 1000 * percentile(latencies, 0.99),
        "connection_retries": retries,
        "replica_transactions": after["transactions"] - before["transactions"],
        "replica_rows": after["rows"] - before["rows"],
        "replica_kpi_query_samples": watch.kpi_samples,
        "replica_samples": watch.samples,
        "checks": check_run(registry, channel_id, refs, stock),
        "processed_by_server": processed,
    }
    if len(urls) > 1 and not all(processed):
        raise AssertionError(
            f"one server processed nothing (orders processed per server: {processed})"
        )
    if dashboard:
        if dashboard.errors or not dashboard.latencies:
            raise AssertionError(f"the dashboard was not answered: {dashboard.errors}")
        result["dashboard_refreshes"] = len(dashboard.latencies)
        result["dashboard_p50_ms"] = 1000 * statistics.median(dashboard.latencies)
        if not after["in_recovery"] or not watch.kpi_samples:
            raise AssertionError(
                f"the replica ran no dashboard query ({watch.samples} samples)"
            )
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", default="oms_cluster")
    parser.add_argument("--servers", nargs=2, required=True)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--products", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", default=str(ROOT / "tests/perf/results/cluster.json"))
    parser.add_argument(
        "--logs", help="the servers' logs (default: log/ next to --config)"
    )
    args = parser.parse_args(argv)
    args.logs = args.logs or str(Path(args.config).parent / "log")
    if not 0 < args.orders <= MAX_ORDERS:
        parser.error(f"--orders must be between 1 and {MAX_ORDERS}")
    for url in args.servers:
        local_only(url)
    registry = start_odoo(args.config, args.db)
    tag = time.strftime("%m%d%H%M%S")
    skus = [(f"CLUSTER-P{i:02d}", 10.0 + 5 * i) for i in range(args.products)]
    channel_id, token, login, password = ensure_setup(registry, skus)
    results = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpus": os.cpu_count()}
    results["load_avg_1m_at_start"] = os.getloadavg()[0]

    cluster("stop-server", "2")
    # the manager refreshes the dashboard during both runs
    dashboard = Dashboard(args.servers[0], args.db, login, password)
    results["one"] = run(
        registry,
        args,
        args.servers[:1],
        f"A{tag}",
        token,
        channel_id,
        skus,
        1,
        dashboard,
    )
    cluster("start-server", "2")
    dashboard = Dashboard(args.servers[1], args.db, login, password)
    results["two"] = run(
        registry, args, args.servers, f"B{tag}", token, channel_id, skus, 2, dashboard
    )
    results["scaling"] = results["two"]["per_s"] / results["one"]["per_s"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))

    rows = [
        ("servers", "1", "2"),
        *(
            (label, f"{results['one'][key]:.1f}", f"{results['two'][key]:.1f}")
            for label, key in (
                ("orders/s end to end", "per_s"),
                ("webhook latency p50 ms", "latency_p50_ms"),
                ("webhook latency p99 ms", "latency_p99_ms"),
                ("seconds to send", "send_seconds"),
                ("connections tried again", "connection_retries"),
                ("seconds until processed", "seconds"),
            )
        ),
        (
            "confirmed orders",
            *(str(results[k]["checks"]["confirmed_orders"]) for k in ("one", "two")),
        ),
        (
            "orders processed by server 1 / 2 (cron log)",
            *(
                " / ".join(map(str, results[k]["processed_by_server"]))
                for k in ("one", "two")
            ),
        ),
        ("exactly-once, no oversell", "yes", "yes"),
        (
            "dashboard refreshes (p50 ms)",
            *(
                "{dashboard_refreshes} ({dashboard_p50_ms:.0f})".format(**results[k])
                for k in ("one", "two")
            ),
        ),
        (
            "replica: transactions / samples running a KPI query",
            *(
                f"{results[k]['replica_transactions']} / "
                f"{results[k]['replica_kpi_query_samples']}"
                for k in ("one", "two")
            ),
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for label, one, two in rows:
        print(f"{label:<{width}}  {one:>12}  {two:>12}")
    print(
        f"cluster scaling 2 servers/1: {results['scaling']:.2f} "
        f"({args.orders} orders, {os.cpu_count()} CPUs, "
        f"load {results['load_avg_1m_at_start']:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
