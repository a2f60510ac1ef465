#!/usr/bin/env bash
# Run Odoo's own tests of some modules on a database where the three OMS addons are installed
# with their demo data and every OMS review and priority rule is switched off: where no OMS
# rule applies, the addons must not change how Odoo behaves.
# Usage: setup/run_odoo_tests.sh DBNAME TAGS (odoo-bin --test-tags, e.g. /sale_stock)
# Installs the addons into DBNAME first when they are not installed there yet. Fails when an
# Odoo test fails or errors, or when none ran; the full log is .local/log/odoo-tests-DBNAME.log.
source "$(dirname "$0")/common.sh"
db="$1"; tags="$2"
log="$OMS_LOCAL/log/odoo-tests-$db.log"
if ! "$OMS_ROOT/setup/db.sh" installed "$db"; then
    "$OMS_ROOT/setup/install.sh" "$db" "$OMS_LOCAL/log/install-$db.log"
fi
"$OMS_ROOT/setup/db.sh" rules-off "$db"
say "running Odoo's own tests $tags on database $db (log: $log)"
: >"$log"
status=0
"$OMS_ROOT/setup/odoo.sh" -d "$db" --test-tags "$tags" --stop-after-init \
    --http-port="$(free_port)" --logfile="$log" --log-level=info || status=$?
# the failing tests, then the summary
grep -E ' (ERROR|CRITICAL) .*(FAIL|ERROR):|odoo\.tests\.result: .* tests' "$log" >&2 || true
if [[ "$status" != 0 ]] || ! grep -qE 'odoo\.tests\.result: 0 failed, 0 error\(s\) of [1-9]' "$log"; then
    die "Odoo's own tests $tags failed on $db (full log: $log)"
fi
