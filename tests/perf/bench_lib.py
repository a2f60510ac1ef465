"""Helpers shared by the benchmarks: an Odoo environment on a benchmark database,
timers, and the data every benchmark starts from (customers, products, stock)."""

import contextlib
import random
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

_CONFIG_LOADED = []


def start_odoo(config_file, db_name):
    """Load Odoo's configuration (once) and return the registry of ``db_name``."""
    if not _CONFIG_LOADED:
        odoo.tools.config.parse_config(
            ["-c", config_file, "-d", db_name, "--log-level=warn"]
        )
        _CONFIG_LOADED.append(config_file)
    return Registry(db_name)


@contextlib.contextmanager
def environment(registry, context=None):
    """A superuser environment on a new cursor, committed when the block ends."""
    with registry.cursor() as cr:
        yield api.Environment(
            cr, SUPERUSER_ID, dict(context or {}, tracking_disable=False)
        )


class Timer:
    def __init__(self):
        self.seconds = self.cpu_seconds = 0.0

    def __enter__(self):
        self._t0, self._cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t0
        #: CPU of this process (less sensitive than wall time to a loaded machine)
        self.cpu_seconds = time.process_time() - self._cpu0


def ensure_master_data(registry, customers=50, products=100, seed=42):
    """Create (once) the customers, storable products and stock the benchmarks use.

    :return: dict with ``partner_ids``, ``product_ids`` and ``warehouse_id``
    """
    with environment(registry) as env:
        Partner = env["res.partner"]
        Product = env["product.product"]
        partners = Partner.search([("ref", "=like", "BENCH-C%")], order="id")
        if not partners:
            country = env.ref("base.cn")
            partners = Partner.create(
                [
                    {
                        "name": f"Bench Customer {i}",
                        "ref": f"BENCH-C{i:04d}",
                        "email": f"bench{i}@example.com",
                        "phone": f"+86 138 0000 {i:04d}",
                        "street": f"{i} Nanjing Road",
                        "city": "Shanghai",
                        "zip": "200000",
                        "country_id": country.id,
                    }
                    for i in range(customers)
                ]
            )
        products_rs = Product.search(
            [("default_code", "=like", "BENCH-P%")], order="id"
        )
        if not products_rs:
            rng = random.Random(seed)
            products_rs = Product.create(
                [
                    {
                        "name": f"Bench Product {i}",
                        "default_code": f"BENCH-P{i:05d}",
                        "type": "consu",
                        "is_storable": True,
                        "list_price": rng.randint(10, 500),
                    }
                    for i in range(products)
                ]
            )
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            for product in products_rs:
                env["stock.quant"]._update_available_quantity(
                    product, warehouse.lot_stock_id, 1_000_000
                )
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1
        )
        return {
            "partner_ids": partners.ids,
            "product_ids": products_rs.ids,
            "warehouse_id": warehouse.id,
        }


def order_specs(master, count, lines=3, seed=7):
    """``count`` orders of ``lines`` lines each, the same for every path measured."""
    rng = random.Random(seed)
    return [
        {
            "ref": f"BENCH-{i:06d}",
            "partner_id": rng.choice(master["partner_ids"]),
            "lines": [
                (rng.choice(master["product_ids"]), rng.randint(1, 5))
                for _ in range(lines)
            ],
        }
        for i in range(count)
    ]


@contextlib.contextmanager
def odoo_server(config_file, db_name, port, timeout=180):
    """A real Odoo HTTP server on ``db_name`` (threaded, no cron thread: the
    staged orders wait for the benchmark's own workers), stopped when the
    block ends.

    :return: the server's base URL, once it answers ``/web/health``
    """
    import socket
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is in use: stop what runs there first")
    odoo_bin = Path(odoo.__file__).resolve().parents[1] / "odoo-bin"
    # fmt: off
    cmd = [
        sys.executable, str(odoo_bin), "-c", config_file, "-d", db_name,
        f"--db-filter=^{db_name}$", "--http-interface=127.0.0.1",
        f"--http-port={port}", "--workers=0", "--max-cron-threads=0",
        "--log-level=warn", "--no-database-list",
    ]
    # fmt: on
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"Odoo server exited ({proc.returncode})")
            try:
                with urllib.request.urlopen(f"{url}/web/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
