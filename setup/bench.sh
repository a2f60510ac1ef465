#!/usr/bin/env bash
# make bench: benchmarks of tests/perf/ (not part of make test). Builds two fresh
# databases — Odoo's own sale_stock + delivery (the native path) and the three OMS
# addons — then runs tests/perf/run_bench.py: one table on stdout, the figures in
# tests/perf/results/latest.json (see docs/benchmarks.md).
# BENCH_ORDERS=N changes the order count (default 2000); BENCH_SKIP_KPI=1 skips the
# KPI benchmark (10k and 100k generated orders) for quick runs. OMS_BENCH_DB=name
# builds name and name_native instead of oms_bench and oms_bench_native;
# BENCH_ONLY="review promise" runs only those sections (see run_bench.py).
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
load_state
BENCH_DB="${OMS_BENCH_DB:-oms_bench}"
for db in "${BENCH_DB}_native" "$BENCH_DB"; do "$OMS_ROOT/setup/db.sh" drop "$db"; done
say "installing sale_stock, delivery into ${BENCH_DB}_native"
"$OMS_ROOT/setup/odoo.sh" -d "${BENCH_DB}_native" -i sale_stock,delivery --without-demo=all \
    --stop-after-init --no-http --log-level=warn --logfile="$OMS_LOCAL/log/install-${BENCH_DB}_native.log"
"$OMS_ROOT/setup/install.sh" "$BENCH_DB" "$OMS_LOCAL/log/install-$BENCH_DB.log" --without-demo=all
cd "$OMS_ROOT"
start=$SECONDS
"$OMS_PY" -m tests.perf.run_bench --config "$OMS_LOCAL/odoo.conf" \
    --native-db "${BENCH_DB}_native" --db "$BENCH_DB" --orders "${BENCH_ORDERS:-2000}" \
    ${BENCH_ONLY:+--only $BENCH_ONLY}
say "make bench: benchmarks done in $((SECONDS - start)) s (databases built before)"
