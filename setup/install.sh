#!/usr/bin/env bash
# Install the OMS addons into a database and fail on any ERROR or traceback in the log.
# Usage: setup/install.sh DBNAME LOGFILE [extra odoo-bin options, e.g. --without-demo=all]
source "$(dirname "$0")/common.sh"
db="$1"; log="$2"; shift 2
say "installing $OMS_ADDONS into database $db (log: $log)"
: >"$log"
if ! "$OMS_ROOT/setup/odoo.sh" -d "$db" -i "$OMS_ADDONS" --stop-after-init --no-http \
        --http-port="$(free_port)" --logfile="$log" --log-level=info "$@"; then
    tail -n 40 "$log" >&2
    die "installing the addons into $db failed (full log: $log)"
fi
if grep -nE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |Traceback \(most recent call last\)' "$log" >&2; then
    die "installing the addons into $db logged errors (full log: $log)"
fi
