#!/usr/bin/env bash
# make test: provision, install the three addons into a fresh test database (failing on any
# ERROR or traceback in the install log), then run every test of the addons and of tests/
# with pytest-odoo. Meanwhile the addons are also installed with their demo data into
# oms_test_demo, which must log no error either. Extra arguments go to pytest (e.g.
# setup/test.sh addons/oms_core -k review); OMS_SKIP_DEMO_CHECK=1 skips the demo install.
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
"$OMS_ROOT/setup/browser.sh"
load_state
DB="${OMS_TEST_DB:-oms_test}"
DEMO_DB="${DB}_demo"

"$OMS_ROOT/setup/db.sh" drop "$DB"
"$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log" --without-demo=all

demo_pid=""
if [[ -z "${OMS_SKIP_DEMO_CHECK:-}" ]]; then
    "$OMS_ROOT/setup/db.sh" drop "$DEMO_DB"
    "$OMS_ROOT/setup/install.sh" "$DEMO_DB" "$OMS_LOCAL/log/install-$DEMO_DB.log" \
        >"$OMS_LOCAL/log/demo-check.out" 2>&1 &
    demo_pid=$!
fi

say "running the tests (pytest-odoo, database $DB)"
cd "$OMS_ROOT"
args=(addons tests)
[[ $# -gt 0 ]] && args=("$@")
status=0
"$OMS_VENV/bin/pytest" \
    --odoo-config="$OMS_LOCAL/odoo.conf" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=warn "${args[@]}" || status=$?

if [[ -n "$demo_pid" ]] && ! wait "$demo_pid"; then
    cat "$OMS_LOCAL/log/demo-check.out" >&2
    say "installing the addons WITH DEMO DATA failed: see $OMS_LOCAL/log/install-$DEMO_DB.log"
    status=1
fi
exit "$status"
