#!/usr/bin/env bash
# Run odoo-bin of the provisioned Odoo with the project's configuration: setup/odoo.sh ARGS...
# OMS_ODOO_CONF=file uses another configuration (the cluster's, see setup/cluster.sh).
source "$(dirname "$0")/common.sh"
load_state
exec "$OMS_PY" "$ODOO_SRC/odoo-bin" -c "${OMS_ODOO_CONF:-$OMS_LOCAL/odoo.conf}" "$@"
