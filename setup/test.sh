#!/usr/bin/env bash
# make test: provision, install the three addons into a fresh test database (failing on any
# ERROR or traceback in the install log), then run every test of the addons and of tests/
# with pytest-odoo. Meanwhile the addons are also installed with their demo data into
# oms_test_demo, which must log no error either, and Odoo's own sale_stock tests run there
# with every OMS rule switched off (setup/run_odoo_tests.sh), after the demo's story is
# checked there (tests/test_demo_story.py: its trends). Extra arguments go to pytest
# (e.g. setup/test.sh addons/oms_core -k review); OMS_SKIP_ODOO_TESTS=1 skips Odoo's tests,
# OMS_SKIP_DEMO_CHECK=1 skips the demo install and Odoo's tests.
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
"$OMS_ROOT/setup/browser.sh"
load_state
DB="${OMS_TEST_DB:-oms_test}"
DEMO_DB="${DB}_demo"

"$OMS_ROOT/setup/db.sh" drop "$DB"
"$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log" --without-demo=all

# In the background: the demo install, then Odoo's own tests on that database. Its exit
# status says which failed: 1 the install, 2 Odoo's tests, 3 the demo's story.
demo_pid=""
if [[ -z "${OMS_SKIP_DEMO_CHECK:-}" ]]; then
    "$OMS_ROOT/setup/db.sh" drop "$DEMO_DB"
    (
        "$OMS_ROOT/setup/install.sh" "$DEMO_DB" "$OMS_LOCAL/log/install-$DEMO_DB.log" \
            >"$OMS_LOCAL/log/demo-check.out" 2>&1 || exit 1
        "$OMS_VENV/bin/pytest" --odoo-config="$OMS_LOCAL/odoo.conf" \
            --odoo-database="$DEMO_DB" --odoo-log-level=warn \
            "$OMS_ROOT/tests/test_demo_story.py" >"$OMS_LOCAL/log/demo-story.out" 2>&1 || exit 3
        [[ -n "${OMS_SKIP_ODOO_TESTS:-}" ]] && exit 0
        "$OMS_ROOT/setup/run_odoo_tests.sh" "$DEMO_DB" /sale_stock \
            >"$OMS_LOCAL/log/odoo-tests.out" 2>&1 || exit 2
    ) &
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

demo_status=0
[[ -n "$demo_pid" ]] && { wait "$demo_pid" || demo_status=$?; }
if [[ "$demo_status" == 1 ]]; then
    cat "$OMS_LOCAL/log/demo-check.out" >&2
    say "installing the addons WITH DEMO DATA failed: see $OMS_LOCAL/log/install-$DEMO_DB.log"
    status=1
elif [[ "$demo_status" == 3 ]]; then
    cat "$OMS_LOCAL/log/demo-story.out" >&2
    say "the demo's story does not hold (tests/test_demo_story.py on $DEMO_DB)"
    status=1
elif [[ "$demo_status" != 0 ]]; then
    cat "$OMS_LOCAL/log/odoo-tests.out" >&2
    say "Odoo's own sale_stock tests failed with the OMS addons installed"
    status=1
elif [[ -n "$demo_pid" && -z "${OMS_SKIP_ODOO_TESTS:-}" ]]; then
    say "Odoo's own sale_stock tests passed with the OMS addons installed"
fi
exit "$status"
