#!/usr/bin/env bash
# Database helpers for the other scripts: setup/db.sh exists|drop|installed|rules-off NAME
source "$(dirname "$0")/common.sh"
load_state
export PGPASSWORD="$OMS_DB_PASSWORD" PGOPTIONS="-c client_min_messages=warning"
sql() { psql -h "$OMS_DB_HOST" -p "$OMS_DB_PORT" -U "$OMS_DB_USER" -Atq "$@"; }
name="$2"
case "$1" in
    exists) [[ "$(sql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" == 1 ]] ;;
    drop)
        sql -d postgres -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
        rm -rf "$OMS_LOCAL/data/filestore/$name" ;;
    installed)  # all three OMS addons installed in NAME
        [[ "$(sql -d "$name" -c "SELECT count(*) FROM ir_module_module
              WHERE name IN ('oms_core', 'oms_channels', 'oms_reports') AND state = 'installed'" 2>/dev/null)" == 3 ]] ;;
    rules-off)  # deactivate every OMS review and priority rule in NAME (Odoo's own tests)
        sql -d "$name" -c "UPDATE oms_review_rule SET active = false;
                           UPDATE oms_priority_rule SET active = false" ;;
    *) die "usage: setup/db.sh exists|drop|installed|rules-off NAME" ;;
esac
