"""One cron worker process of the intake benchmark.

Loads its own registry, prints ``ready``, waits for a line on stdin, then runs
``oms.channel.order._cron_process`` in a new transaction per batch (as Odoo's cron
runner re-triggers it) until nothing is left to process. A claim that finds every
order left taken by another worker (their rows, or the stock they promise) waits
50 ms and claims again. A transaction PostgreSQL aborts (serialization failure,
deadlock) is rolled back and run again, as the cron would on its next run.

``--cron-cursor`` runs every batch on one cursor committed between batches,
exactly as Odoo's cron runner does (``ir.cron._run_job``); the memory benchmark
uses it. Prints one JSON line of statistics at the end, with the process's peak
resident memory (``VmHWM``), its resident memory once the registry is loaded, and
the time of each part of the intake (``bench_parts``).
"""

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path

from psycopg2 import errorcodes
from psycopg2.errors import OperationalError

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

from .bench_lib import environment, start_odoo
from .bench_parts import PartClock, instrument_oms

RETRYABLE = {
    errorcodes.SERIALIZATION_FAILURE,
    errorcodes.DEADLOCK_DETECTED,
    errorcodes.LOCK_NOT_AVAILABLE,
}


def memory_kib():
    """{"rss": current, "hwm": peak} resident memory of this process, in KiB."""
    status = Path("/proc/self/status")
    if not status.exists():  # not Linux: the peak only
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"rss": peak, "hwm": peak}
    values = {}
    for line in status.read_text().splitlines():
        key, _sep, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key[2:].lower()] = int(value.split()[0])
    return values


def left_to_process(registry):
    """How many staged orders the cron still has work for (any worker)."""
    with environment(registry) as env:
        Staged = env["oms.channel.order"]
        env.cr.execute(
            SQL(
                "SELECT count(*) FROM oms_channel_order WHERE %s",
                Staged._claim_domain_sql(),
            )
        )
        return env.cr.fetchone()[0]


def run_batch(registry, args, cron_cr):
    """One ``_cron_process`` call, committed; (records processed, queries)."""
    kwargs = {"limit": args.batch_size} if args.batch_size else {}
    if cron_cr is None:
        with environment(registry) as env:
            count = len(env["oms.channel.order"]._cron_process(**kwargs))
            env.flush_all()
            return count, env.cr.sql_log_count
    env = api.Environment(cron_cr, SUPERUSER_ID, {})
    start = cron_cr.sql_log_count
    try:
        count = len(env["oms.channel.order"]._cron_process(**kwargs))
        cron_cr.commit()
    except Exception:
        cron_cr.rollback()
        raise
    return count, cron_cr.sql_log_count - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--name", default="w")
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    parser.add_argument(
        "--cron-cursor",
        action="store_true",
        help="one cursor committed between batches, as ir.cron._run_job",
    )
    args = parser.parse_args(argv)
    registry = start_odoo(args.config, args.db)
    clock = PartClock()
    instrument_oms(registry, clock)
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
    batches = processed = retries = queries = waits = 0
    loaded = memory_kib()
    samples = []
    cron_cr = registry.cursor() if args.cron_cursor else None
    while True:
        try:
            count, batch_queries = run_batch(registry, args, cron_cr)
        except OperationalError as exc:
            if exc.pgcode not in RETRYABLE:
                raise
            retries += 1
            continue
        queries += batch_queries
        if not count:
            if not left_to_process(registry):
                break
            # the rest is being processed by another worker: claim again soon
            waits += 1
            time.sleep(0.05)
            continue
        batches += 1
        processed += count
        samples.append((processed, memory_kib()["rss"]))
    if cron_cr is not None:
        cron_cr.close()
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
                "waits": waits,
                # where the time went (bench_parts)
                "parts": clock.as_dict(),
                "rss_loaded_kib": loaded["rss"],
                "rss_peak_kib": memory_kib()["hwm"],
                # resident memory after the batch that passed each 1,000 orders
                "rss_by_orders_kib": thin(samples),
            }
        ),
        flush=True,
    )
    return 0


def thin(samples, step=1000):
    """The first sample past each ``step`` orders, and the last one."""
    kept, mark = [], step
    for done, rss in samples:
        if done >= mark:
            kept.append((done, rss))
            mark = (done // step + 1) * step
    if samples and (not kept or kept[-1] != samples[-1]):
        kept.append(samples[-1])
    return kept


if __name__ == "__main__":
    sys.exit(main())
