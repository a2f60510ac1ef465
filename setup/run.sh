#!/usr/bin/env bash
# make run: provision, create the demo database oms_demo once, start Odoo in the background.
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
DB="${OMS_DB:-oms_demo}"
PIDFILE="$OMS_LOCAL/odoo.pid"
LOG="$OMS_LOCAL/log/odoo.log"
URL="http://localhost:$OMS_HTTP_PORT"

serving() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/web/login" 2>/dev/null)" == 200 ]]; }

if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && serving; then
    say "Odoo is already running: $URL (login admin / admin), log: $LOG"
    exit 0
fi
if ! "$OMS_ROOT/setup/db.sh" installed "$DB"; then
    "$OMS_ROOT/setup/db.sh" drop "$DB"
    "$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$OMS_HTTP_PORT") 2>/dev/null; then
    die "port $OMS_HTTP_PORT is taken by another program: stop it, or set OMS_HTTP_PORT"
fi
say "starting Odoo on $URL"
nohup "$OMS_ROOT/setup/odoo.sh" -d "$DB" --db-filter="^$DB\$" --http-port="$OMS_HTTP_PORT" \
    --logfile="$LOG" >"$OMS_LOCAL/log/odoo.out" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 120); do
    serving && break
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -n 30 "$LOG" >&2; die "Odoo stopped, see $LOG"; }
    sleep 0.5
done
serving || die "Odoo did not answer on $URL within 60 s, see $LOG"
say "Odoo is running: $URL  (login admin / admin, database $DB)"
say "logs: $LOG   stop: make stop"
