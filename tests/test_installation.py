"""Cross-addon checks of the installed OMS (run by `make test` on the test database)."""

import ast
from pathlib import Path

from odoo.tests import TransactionCase, tagged

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
