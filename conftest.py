"""pytest configuration shared by every test of the project (run through pytest-odoo).

A test during which Odoo logs an ERROR (or CRITICAL) fails, even when its assertions
pass: Odoo's own runner treats such logs as failures, and so do we. Tests that expect an
error log silence it with ``odoo.tools.mute_logger``, which stops the record before it
gets here.
"""

import logging

import pytest

from odoo.tools import config

# pytest-odoo imports Odoo's test framework before it switches Odoo to test mode, which
# makes Odoo log "Importing test framework ... when not running in test mode" as an
# ERROR. Import it here first, in test mode, as Odoo's own runner does.
config["test_enable"] = True
import odoo.tests  # noqa: E402,F401

config["test_enable"] = False


class _ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_logged_errors():
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    if handler.records:
        messages = "\n".join(
            f"{r.name}: {r.getMessage()}" for r in handler.records[:10]
        )
        pytest.fail(
            f"Odoo logged {len(handler.records)} error(s) during the test:\n{messages}"
        )
