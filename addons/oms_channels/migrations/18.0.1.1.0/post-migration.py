"""The shipments still to send (or failed) on the deliveries move into the outbox.

Before the outbox, a delivery kept its own sync state (``oms_channel_sync_state``
``pending`` / ``failed``); that column stays in the table, unused. Each such
delivery gets its outbox document, sent by the outbox cron.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "stock_picking", "oms_channel_sync_state"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rows = env.execute_query(
        SQL(
            "SELECT id FROM stock_picking "
            "WHERE oms_channel_sync_state IN ('pending', 'failed')"
        )
    )
    env["stock.picking"].browse([row[0] for row in rows])._oms_mark_channel_sync()
