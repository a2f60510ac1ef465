#!/usr/bin/env bash
# make stop: stop Odoo started by `make run`, then the project-local PostgreSQL.
source "$(dirname "$0")/common.sh"
PIDFILE="$OMS_LOCAL/odoo.pid"
if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "stopping Odoo"
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 40); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$PIDFILE"
if [[ -f "$OMS_LOCAL/postgres-cluster" ]]; then
    cluster="$(cat "$OMS_LOCAL/postgres-cluster")"
    bin="$(cat "$cluster/bindir")"
    owner="$(stat -c %U "$cluster/data")"
    if [[ -f "$cluster/data/postmaster.pid" ]]; then
        say "stopping the local PostgreSQL ($cluster)"
        if [[ $EUID -eq 0 && "$owner" != root ]]; then
            (cd / && runuser -u "$owner" -- "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null)
        else
            "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null
        fi
    fi
fi
