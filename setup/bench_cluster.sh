#!/usr/bin/env bash
# make bench-cluster: start `make cluster` if needed, then tests/perf/bench_cluster.py:
# N signed Shopify webhooks (BENCH_CLUSTER_ORDERS, default 2000; 50 in flight; only to
# 127.0.0.1) with server 1 alone, then round-robin to both servers, while a manager
# refreshes the KPI dashboard. The figures go to tests/perf/results/cluster.json.
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/cluster.sh" start
read -r -a ports <<<"${OMS_CLUSTER_HTTP_PORTS:-8169 8170}"
cd "$OMS_ROOT"
"$OMS_PY" -m tests.perf.bench_cluster --config "$OMS_LOCAL/cluster/odoo.conf" \
    --db "${OMS_CLUSTER_DB:-oms_cluster}" --orders "${BENCH_CLUSTER_ORDERS:-2000}" \
    --servers "http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}"
