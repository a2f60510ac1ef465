#!/usr/bin/env bash
# The tests of concurrent workers through a transaction-pooling PgBouncer (not part of
# make test). Starts pgbouncer (pool_mode = transaction, a small pool) in front of the
# project's PostgreSQL on 127.0.0.1, runs the tests against the test database that
# make test installed, through it, then stops it and prints its pool statistics.
# Needs the pgbouncer binary (Debian: apt-get install pgbouncer). Extra arguments go
# to pytest (default: the concurrency tests). PGBOUNCER_PORT picks the port.
source "$(dirname "$0")/common.sh"
load_state
command -v pgbouncer >/dev/null || die "pgbouncer is not installed (apt-get install pgbouncer)"
DB="${OMS_TEST_DB:-oms_test}"
PORT="${PGBOUNCER_PORT:-$(free_port)}"
dir="$OMS_LOCAL/pgbouncer"
mkdir -p "$dir"
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$OMS_DB_HOST port=$OMS_DB_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
admin_users = $OMS_DB_USER
pool_mode = transaction
default_pool_size = 8
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
printf '"%s" ""\n' "$OMS_DB_USER" >"$dir/users.txt"
sed -e "s|^db_host *=.*|db_host = 127.0.0.1|" -e "s|^db_port *=.*|db_port = $PORT|" \
    "$OMS_LOCAL/odoo.conf" >"$dir/odoo.conf"
user=()
[[ $EUID == 0 ]] && user=(-u postgres) && chown -R postgres "$dir"
pgbouncer -d "${user[@]}" "$dir/pgbouncer.ini"
stop() { [[ -f "$dir/pgbouncer.pid" ]] && kill "$(cat "$dir/pgbouncer.pid")" || true; }
trap stop EXIT
sleep 1
say "PgBouncer (transaction pooling) on 127.0.0.1:$PORT in front of $OMS_DB_HOST:$OMS_DB_PORT"
args=(addons/oms_channels/tests/test_concurrency.py tests/hardening/test_concurrent_workers.py
    addons/oms_core/tests/test_promise_race.py addons/oms_core/tests/test_sourcing_race.py)
[[ $# -gt 0 ]] && args=("$@")
cd "$OMS_ROOT"
status=0
"$OMS_VENV/bin/pytest" --odoo-config="$dir/odoo.conf" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=warn "${args[@]}" || status=$?
psql -h 127.0.0.1 -p "$PORT" -U "$OMS_DB_USER" pgbouncer -c "SHOW STATS" | grep -E "database|$DB" || true
exit "$status"
