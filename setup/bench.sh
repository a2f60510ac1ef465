#!/usr/bin/env bash
# make bench: benchmarks of tests/perf/ (not part of make test). Builds two fresh
# databases — Odoo's own sale_stock + delivery (the native path) and the three OMS
# addons — then runs tests/perf/run_bench.py: one table on stdout, the figures in
# tests/perf/results/latest.json (see docs/benchmarks.md).
# BENCH_ORDERS=N changes the order count (default 2000); BENCH_SKIP_KPI=1 skips the
# KPI benchmark (10k and 100k generated orders) for quick runs.
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
load_state
for db in oms_bench_native oms_bench; do "$OMS_ROOT/setup/db.sh" drop "$db"; done
say "installing sale_stock, delivery into oms_bench_native"
"$OMS_ROOT/setup/odoo.sh" -d oms_bench_native -i sale_stock,delivery --without-demo=all \
    --stop-after-init --no-http --log-level=warn --logfile="$OMS_LOCAL/log/install-oms_bench_native.log"
"$OMS_ROOT/setup/install.sh" oms_bench "$OMS_LOCAL/log/install-oms_bench.log" --without-demo=all
cd "$OMS_ROOT"
start=$SECONDS
"$OMS_PY" -m tests.perf.run_bench --config "$OMS_LOCAL/odoo.conf" \
    --native-db oms_bench_native --db oms_bench --orders "${BENCH_ORDERS:-2000}"
say "make bench: benchmarks done in $((SECONDS - start)) s (databases built before)"
