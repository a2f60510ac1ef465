#!/usr/bin/env bash
# Run odoo-bin of the provisioned Odoo with the project's configuration: setup/odoo.sh ARGS...
source "$(dirname "$0")/common.sh"
load_state
exec "$OMS_PY" "$ODOO_SRC/odoo-bin" -c "$OMS_LOCAL/odoo.conf" "$@"
