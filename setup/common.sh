#!/usr/bin/env bash
# Shared settings and helpers for the setup scripts. Sourced, never run.
# shellcheck disable=SC2034
set -euo pipefail

OMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OMS_LOCAL="$OMS_ROOT/.local"
OMS_VENV="$OMS_ROOT/.venv"
OMS_PY="$OMS_VENV/bin/python"
OMS_ADDONS="oms_core,oms_channels,oms_reports"
mkdir -p "$OMS_LOCAL/log"

# setup/local.env (gitignored) may set ODOO_SRC, OMS_PG_PORT, OMS_HTTP_PORT, PG* ...
# Variables already set in the environment win over the file.
if [[ -f "$OMS_ROOT/setup/local.env" ]]; then
    while IFS='=' read -r key value; do
        [[ -z "$key" || "$key" == \#* ]] && continue
        key="${key// /}"
        [[ -n "${!key:-}" ]] || export "$key=$value"
    done < "$OMS_ROOT/setup/local.env"
fi

OMS_HTTP_PORT="${OMS_HTTP_PORT:-8069}"

say() { printf '\033[1m[oms]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[oms] error:\033[0m %s\n' "$*" >&2; exit 1; }

# A free TCP port on the loopback interface.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The directory of PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup).
pg_bindir() {
    local dir
    if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
        pg_config --bindir; return
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return; }
    done
    dir="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"
    [[ -x "$dir/pg_ctl" ]] && echo "$dir"
}

# Values written by the provisioning steps (.local/env) for the later ones.
load_state() {
    [[ -f "$OMS_LOCAL/env" ]] || die "not provisioned yet: run 'make run' or 'make test'"
    # shellcheck disable=SC1091
    source "$OMS_LOCAL/env"
}
