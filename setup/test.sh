#!/usr/bin/env bash
# make test: provision, install the three addons into a fresh test database (failing on any
# ERROR or traceback in the install log), then run every test of the addons and of tests/
# with pytest-odoo. Extra arguments go to pytest (e.g. setup/test.sh -k review).
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
"$OMS_ROOT/setup/browser.sh"
load_state
DB="${OMS_TEST_DB:-oms_test}"

"$OMS_ROOT/setup/db.sh" drop "$DB"
"$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log" --without-demo=all

say "running the tests (pytest-odoo, database $DB)"
cd "$OMS_ROOT"
args=(addons tests)
[[ $# -gt 0 ]] && args=("$@")
exec "$OMS_VENV/bin/pytest" \
    --odoo-config="$OMS_LOCAL/odoo.conf" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=warn "${args[@]}"
