#!/usr/bin/env bash
# make screenshots: run the browser tours (addons/*/tests/test_tour_*.py) against a fresh database (addons
# installed without demo data; every tour creates its own data) and save the PNG
# screenshots they take into docs/images/ (OMS_SCREENSHOTS, see
# addons/oms_core/tests/common.py).
# Chinese screens need a CJK font: as root, Debian's fonts-noto-cjk is installed when
# missing. Extra arguments go to pytest (e.g. setup/screenshots.sh -k manager).
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
"$OMS_ROOT/setup/browser.sh"
load_state
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing a Chinese font for the screenshots (fonts-noto-cjk)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            fonts-noto-cjk >/dev/null
    else
        say "warning: no Chinese font (fc-list :lang=zh): install fonts-noto-cjk"
    fi
fi
# its own database (next to this checkout's test database when setup/local.env names one)
# and its own HTTP port, so that it runs beside `make run` and `make test`
DB="${OMS_SCREENSHOT_DB:-${OMS_TEST_DB:+${OMS_TEST_DB}_shots}}"
DB="${DB:-oms_screenshots}"
OUT="${OMS_SCREENSHOTS:-$OMS_ROOT/docs/images}"
CONF="$OMS_LOCAL/odoo-screenshots.conf"
sed -e "s/^http_port *=.*/http_port = $(free_port)/" "$OMS_LOCAL/odoo.conf" >"$CONF"
grep -q '^http_port' "$CONF" || echo "http_port = $(free_port)" >>"$CONF"
"$OMS_ROOT/setup/db.sh" drop "$DB"
"$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log" --without-demo=all
mkdir -p "$OUT"
say "running the tours (database $DB), screenshots into $OUT"
cd "$OMS_ROOT"
OMS_SCREENSHOTS="$OUT" "$OMS_VENV/bin/pytest" \
    --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=warn addons/*/tests/test_tour_*.py "$@"
"$OMS_ROOT/setup/db.sh" drop "$DB"
ls -l "$OUT"/*.png
