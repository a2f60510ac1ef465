"""The OMS addons stay correct behind a transaction-pooling PgBouncer.

In transaction pooling, each transaction may run on another server connection:
whatever outlives a transaction on a session is lost or, worse, leaks to another
client. So the addons' SQL uses transaction-level advisory locks only
(``pg_advisory_xact_lock`` / ``pg_try_advisory_xact_lock``, released at commit
or rollback), row locks (``FOR UPDATE SKIP LOCKED``), and no ``LISTEN``,
``PREPARE``, ``SET SESSION`` or ``WITH HOLD`` cursor. This test reads every
source file of the addons for those; the README of oms_channels says how the
concurrency tests were run through PgBouncer.
"""

import re
from pathlib import Path

from odoo.tests import TransactionCase, tagged

ADDONS_DIR = Path(__file__).resolve().parents[1] / "addons"
OMS_ADDONS = ("oms_core", "oms_channels", "oms_reports")
#: what a transaction-pooling PgBouncer does not keep between two transactions
#: (SQL keywords in capitals, as the addons write them: "listen to" in a
#: docstring is no statement)
SESSION_STATE = re.compile(
    r"""(?i:\bpg_(?:try_)?advisory_lock(?:_shared)?\s*\()
      | (?i:\bpg_advisory_unlock(?:_shared|_all)?\s*\()
      | \b(?:UN)?LISTEN\s+[\w"*]
      | \bPREPARE\s+\w+\s*(?:\(|AS\b)
      | \bSET\s+SESSION\b
      | \bWITH\s+HOLD\b""",
    re.VERBOSE,
)
SOURCES = ("*.py", "*.sql", "*.xml")


def session_state_uses(text):
    """The statements of ``text`` that keep state on the database session.

    :return: [(line number, line)]
    """
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), 1)
        if SESSION_STATE.search(line)
    ]


@tagged("post_install", "-at_install", "oms")
class TestTransactionPooling(TransactionCase):
    def test_scanner_finds_session_level_statements(self):
        """The scan flags session locks, LISTEN and prepared statements, and
        lets transaction-level locks pass."""
        flagged = (
            'cr.execute("SELECT pg_advisory_lock(%s)", [key])',
            "SELECT pg_try_advisory_lock(1, 2)",
            "SELECT pg_advisory_unlock_all()",
            "LISTEN oms_channel",
            "PREPARE claim AS SELECT 1",
            "SET SESSION statement_timeout = 0",
            "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        )
        for line in flagged:
            with self.subTest(line=line):
                self.assertTrue(session_state_uses(line))
        passing = (
            "SELECT pg_advisory_xact_lock(%s, %s)",
            "SELECT pg_try_advisory_xact_lock(%s)",
            "SELECT id FROM oms_channel_order FOR UPDATE SKIP LOCKED",
            "# the listener of the webhook",
            "they listen to the platform; prepare the values as the mapping",
        )
        for line in passing:
            with self.subTest(line=line):
                self.assertFalse(session_state_uses(line))

    def test_addons_keep_no_state_on_the_database_session(self):
        """No OMS source takes a session-level lock, listens, prepares a
        statement or sets a session parameter."""
        found = []
        for addon in OMS_ADDONS:
            for pattern in SOURCES:
                for path in sorted((ADDONS_DIR / addon).rglob(pattern)):
                    for number, line in session_state_uses(path.read_text()):
                        found.append(f"{path.relative_to(ADDONS_DIR)}:{number}: {line}")
        self.assertFalse(found, "session state breaks transaction pooling")

    def test_addons_use_transaction_level_advisory_locks(self):
        """The advisory locks the addons take are the transaction-level ones."""
        used = set()
        for path in ADDONS_DIR.glob("oms_*/**/*.py"):
            used |= set(re.findall(r"pg_\w*advisory\w*", path.read_text()))
        self.assertTrue(used)
        self.assertLessEqual(
            used, {"pg_advisory_xact_lock", "pg_try_advisory_xact_lock"}, used
        )
