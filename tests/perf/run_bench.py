"""Run the OMS benchmarks and print one table (also written as JSON).

Usage (through ``make bench``, which prepares the databases)::

    python -m tests.perf.run_bench --config .local/odoo.conf \
        --native-db oms_bench_native --db oms_bench --orders 2000

The native database has only Odoo's own sale_stock/delivery installed; the OMS database
has the three OMS addons. Both get the same customers, products, stock and orders.
"""

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from .bench_lib import ensure_master_data, order_specs, start_odoo
from .bench_native import run_native_intake

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--native-db", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args(argv)

    rows = []
    results = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "orders": args.orders,
    }

    native_registry = start_odoo(args.config, args.native_db)
    native_master = ensure_master_data(native_registry)
    native = run_native_intake(native_registry, order_specs(native_master, args.orders))
    results["native_intake"] = native
    rows.append(
        (
            "intake, Odoo's own path (create + action_confirm)",
            f"{native['per_s']:.2f} orders/s",
        )
    )

    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=2))
    width = max(len(label) for label, _ in rows)
    print(
        f"OMS benchmarks — {results['date']}, {results['cpus']} CPUs, "
        f"{args.orders} orders"
    )
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
