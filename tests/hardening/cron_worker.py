"""A separate Odoo worker process for the fault tests (not a test module).

``python cron_worker.py <odoo.conf> <database> <pause_after>`` loads the registry,
runs one batch of the staged-order cron and, once ``pause_after`` orders were
imported in the (uncommitted) batch, one by one or as a batch, prints
``MIDBATCH <backend pid>`` and waits for a line on stdin. The test then kills
this process or its database connection.
"""

import sys


def main(config_file, database, pause_after):
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", config_file, "-d", database, "--log-level=warn"])
    odoo.modules.module.initialize_sys_path()
    odoo.service.server.load_server_wide_modules()
    from odoo.addons.oms_channels.intake.importer import (  # noqa: PLC0415
        OrderImporter,
    )

    registry = Registry(database)
    original_batch = OrderImporter.import_batch
    imported = []

    def pause_once_enough(env, records):
        before = len(imported)
        imported.extend(records.ids)
        if before < pause_after <= len(imported):
            env.cr.execute("SELECT pg_backend_pid()")
            print("MIDBATCH", env.cr.fetchone()[0], flush=True)
            sys.stdin.readline()

    def import_batch_then_pause(importer, records):
        # the batch's orders exist, reviewed and confirmed, but nothing is committed
        # (one by one, each record is a batch of one)
        result = original_batch(importer, records)
        pause_once_enough(records.env, records)
        return result

    OrderImporter.import_batch = import_batch_then_pause
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["oms.channel.order"]._cron_process()
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
