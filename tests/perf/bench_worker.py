"""One cron worker process of the intake benchmark.

Loads its own registry, prints ``ready``, waits for a line on stdin, then runs
``oms.channel.order._cron_process`` in a new transaction per batch (as Odoo's cron
runner re-triggers it) until nothing is left to claim. A transaction PostgreSQL
aborts (serialization failure, deadlock) is rolled back and run again, as the cron
would on its next run. Prints one JSON line of statistics at the end.
"""

import argparse
import json
import logging
import sys
import time

from psycopg2 import errorcodes
from psycopg2.errors import OperationalError

from .bench_lib import environment, start_odoo

RETRYABLE = {
    errorcodes.SERIALIZATION_FAILURE,
    errorcodes.DEADLOCK_DETECTED,
    errorcodes.LOCK_NOT_AVAILABLE,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", default="w")
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    args = parser.parse_args(argv)
    registry = start_odoo(args.config, args.db)
    # concurrent workers make PostgreSQL refuse statements that are then retried
    # (serialization failures, a mapping created by the other worker); Odoo's
    # cursor logs each as "bad query": expected here, the statistics count them
    logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
    print("ready", flush=True)
    sys.stdin.readline()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start, cpu = time.perf_counter(), time.process_time()
    batches = processed = retries = queries = 0
    while True:
        try:
            with environment(registry) as env:
                Staged = env["oms.channel.order"]
                kwargs = {"limit": args.batch_size} if args.batch_size else {}
                records = Staged._cron_process(**kwargs)
                count = len(records)
                env.flush_all()
                queries += env.cr.sql_log_count
        except OperationalError as exc:
            if exc.pgcode not in RETRYABLE:
                raise
            retries += 1
            continue
        if not count:
            break
        batches += 1
        processed += count
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    print(
        json.dumps(
            {
                "worker": args.name,
                "batches": batches,
                "processed": processed,
                "retries": retries,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "queries": queries,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
