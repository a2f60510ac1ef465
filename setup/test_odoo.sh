#!/usr/bin/env bash
# make test-odoo: the deeper check of `make test`'s Odoo suite. Provision, install the three
# addons with their demo data into a fresh database (oms_test_odoo), switch every OMS rule
# off and run Odoo's own tests of sale, sale_stock, stock and delivery there (about 15
# minutes). The at_install tests of sale and stock are left out: they run while the database
# loads, before sale_stock, and fail on any database where sale_stock is installed (Odoo's
# own NOT NULL columns such as product_template.sale_line_warn), with or without the OMS.
# Other tests: setup/test_odoo.sh TAGS (odoo-bin --test-tags, e.g. /stock:TestPacking).
source "$(dirname "$0")/common.sh"
"$OMS_ROOT/setup/provision.sh"
"$OMS_ROOT/setup/browser.sh"
load_state
DB="${OMS_TEST_DB:-oms_test}_odoo"
"$OMS_ROOT/setup/db.sh" drop "$DB"
"$OMS_ROOT/setup/run_odoo_tests.sh" "$DB" \
    "${1:-/sale,/sale_stock,/stock,/delivery,-at_install/sale,-at_install/stock}"
