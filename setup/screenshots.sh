#!/usr/bin/env bash
# make screenshots: run the browser tours (addons/*/tests/test_tour_*.py) against a fresh database (addons
# installed without demo data; every tour creates its own data) and save the PNG
# screenshots they take into docs/images/ (OMS_SCREENSHOTS, see
# addons/oms_core/tests/common.py).
# make screenshots-demo (setup/screenshots.sh --demo): install the addons WITH their demo
# data instead and take the screens of the demo's story, in 简体中文 and English
# (addons/oms_reports/tests/test_demo_screenshots.py): the README's and the user guide's.
# Chinese screens need a CJK font: as root, Debian's fonts-noto-cjk is installed when
# missing. Extra arguments go to pytest (e.g. setup/screenshots.sh -k manager).
source "$(dirname "$0")/common.sh"
demo=""
if [[ "${1:-}" == "--demo" ]]; then
    demo=1
    shift
fi
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
DB="${OMS_SCREENSHOT_DB:-${OMS_TEST_DB:+${OMS_TEST_DB}_shots${demo:+_demo}}}"
DB="${DB:-oms_screenshots${demo:+_demo}}"
OUT="${OMS_SCREENSHOTS:-$OMS_ROOT/docs/images}"
CONF="$OMS_LOCAL/odoo-screenshots.conf"
PORT="${OMS_SCREENSHOT_PORT:-$(free_port)}"
sed -e "s/^http_port *=.*/http_port = $PORT/" "$OMS_LOCAL/odoo.conf" >"$CONF"
grep -q '^http_port' "$CONF" || echo "http_port = $PORT" >>"$CONF"
"$OMS_ROOT/setup/db.sh" drop "$DB"
if [[ -n "$demo" ]]; then
    "$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log"
    tours=(addons/oms_reports/tests/test_demo_screenshots.py)
else
    "$OMS_ROOT/setup/install.sh" "$DB" "$OMS_LOCAL/log/install-$DB.log" --without-demo=all
    tours=(addons/*/tests/test_tour_*.py)
fi
mkdir -p "$OUT"
say "running the tours (database $DB), screenshots into $OUT"
cd "$OMS_ROOT"
OMS_SCREENSHOTS="$OUT" "$OMS_VENV/bin/pytest" \
    --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    --odoo-log-level=warn "${tours[@]}" "$@"
"$OMS_ROOT/setup/db.sh" drop "$DB"
ls -l "$OUT"/*.png
