"""Cross-addon checks of the installed OMS (run by `make test` on the test database)."""

import ast
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

ADDONS_DIR = Path(__file__).resolve().parents[1] / "addons"
OMS_ADDONS = ("oms_core", "oms_channels", "oms_reports")


@tagged("post_install", "-at_install", "oms")
class TestInstallation(TransactionCase):
    def test_all_oms_addons_installed(self):
        """The three OMS addons are installed, at the manifest's version."""
        modules = self.env["ir.module.module"].search([("name", "in", OMS_ADDONS)])
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), 3)
        for module in modules:
            manifest = ast.literal_eval(
                (ADDONS_DIR / module.name / "__manifest__.py").read_text()
            )
            self.assertEqual(manifest["version"], "18.0.1.0.0")
            self.assertEqual(module.latest_version, "18.0.1.0.0")

    def test_dependencies_flow_one_way(self):
        """oms_core depends on neither oms_channels nor oms_reports."""
        core = self.env["ir.module.module"].search([("name", "=", "oms_core")])
        upstream = core.upstream_dependencies(exclude_states=("uninstallable",))
        self.assertFalse(set(upstream.mapped("name")) & {"oms_channels", "oms_reports"})
        self.assertIn("sale_stock", upstream.mapped("name"))

    def test_columns_added_to_odoo_tables_accept_null(self):
        """A warehouse or an order inserted by a module loaded before ours (Odoo's
        own tests, at install) needs no OMS value: no NOT NULL on our columns."""
        columns = [
            (model._table, name)
            for model in self.env.registry.values()
            if model._auto and model._original_module not in OMS_ADDONS
            for name, field in model._fields.items()
            if field.store
            and field.column_type
            and field._module in OMS_ADDONS
            and name.startswith("oms_")
        ]
        self.assertIn(("stock_warehouse", "oms_interwarehouse_policy"), columns)
        self.env.cr.execute(
            SQL(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE is_nullable = 'NO' AND (table_name, column_name) IN %s",
                tuple(columns),
            )
        )
        self.assertEqual(self.env.cr.fetchall(), [])
