#!/usr/bin/env bash
# Make a PostgreSQL server available and write its connection to .local/env (OMS_DB_*).
#   1. The server configured by PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD) or by
#      db_host/db_port/db_user/db_password in odoo.conf, if it answers.
#   2. Otherwise a project-local cluster, created and started on its own port and socket:
#      .local/postgres/ in the checkout, or /var/tmp/oms-postgres-<hash>/ when running as root
#      and the checkout is not reachable by the unprivileged user that runs the server.
source "$(dirname "$0")/common.sh"

conf_value() {  # conf_value KEY -> value of KEY in odoo.conf ("False" counts as unset)
    local v
    v="$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$OMS_ROOT/odoo.conf" | tail -1)"
    [[ "$v" == "False" ]] && v=""
    echo "$v"
}

write_state() {  # write_state HOST PORT USER PASSWORD KIND
    cat >"$OMS_LOCAL/env" <<STATE
OMS_DB_HOST='$1'
OMS_DB_PORT='$2'
OMS_DB_USER='$3'
OMS_DB_PASSWORD='$4'
OMS_DB_KIND='$5'
STATE
}

# 1. A configured server.
host="${PGHOST:-$(conf_value db_host)}"
port="${PGPORT:-$(conf_value db_port)}"
user="${PGUSER:-$(conf_value db_user)}"
password="${PGPASSWORD:-$(conf_value db_password)}"
if [[ -n "$host$port" ]]; then
    if PGPASSWORD="$password" PGCONNECT_TIMEOUT=5 psql -h "${host:-localhost}" -p "${port:-5432}" \
            -U "${user:-$USER}" -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
        write_state "${host:-localhost}" "${port:-5432}" "${user:-$(id -un)}" "$password" configured
        exit 0
    fi
    say "the configured PostgreSQL (${host:-localhost}:${port:-5432}) does not answer: using a project-local cluster"
fi

# 2. The project-local cluster.
BIN="$(pg_bindir || true)"
if [[ -z "$BIN" ]]; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing the PostgreSQL server from the OS packages"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        BIN="$(pg_bindir || true)"
    fi
    [[ -n "$BIN" ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them
    (Debian/Ubuntu: apt-get install postgresql) or point PGHOST/PGPORT at a running server."
fi

run_as_owner() { "$@"; }
cluster="$OMS_LOCAL/postgres"
if [[ $EUID -eq 0 ]]; then
    PG_OS_USER="${OMS_PG_OS_USER:-postgres}"
    if ! id "$PG_OS_USER" >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    run_as_owner() { (cd / && runuser -u "$PG_OS_USER" -- "$@"); }
    if ! (cd / && runuser -u "$PG_OS_USER" -- test -x "$OMS_ROOT"); then
        # e.g. a checkout under /root (mode 700): the server user cannot enter it.
        cluster="/var/tmp/oms-postgres-$(echo -n "$OMS_ROOT" | sha1sum | cut -c1-10)"
    fi
fi
data="$cluster/data"
sock="$cluster/run"
# Unix socket paths are limited to 107 bytes.
(( ${#sock} < 90 )) || sock="/tmp/oms-pg-$(echo -n "$cluster" | sha1sum | cut -c1-10)"
if [[ -f "$cluster/port" ]]; then
    port="$(cat "$cluster/port")"
else
    port="${OMS_PG_PORT:-$(free_port)}"
fi

if [[ ! -f "$data/PG_VERSION" ]]; then
    say "creating the local PostgreSQL cluster in $cluster (port $port)"
    mkdir -p "$cluster"
    [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$cluster"
    chmod 700 "$cluster"
    run_as_owner "$BIN/initdb" -D "$data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$cluster/initdb.log" 2>&1 \
        || die "initdb failed, see $cluster/initdb.log"
    cat >>"$data/postgresql.conf" <<CONF
# OMS project-local cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
CONF
    echo "$port" >"$cluster/port"
fi

if ! run_as_owner "$BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    mkdir -p "$sock"
    [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$sock"
    say "starting the local PostgreSQL ($cluster, port $port)"
    run_as_owner "$BIN/pg_ctl" -D "$data" -l "$cluster/postgres.log" -w -t 60 start >/dev/null \
        || die "PostgreSQL did not start, see $cluster/postgres.log"
fi
echo "$BIN" >"$cluster/bindir"
echo "$cluster" >"$OMS_LOCAL/postgres-cluster"
write_state "$sock" "$port" odoo "" local
