from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install", "oms")
class TestMenus(TransactionCase):
    def test_reporting_visible_to_managers_only(self):
        """Order Management > Reporting shows for OMS managers, not for salespeople."""
        manager = new_test_user(
            self.env, login="rep_manager", groups="oms_core.group_oms_manager"
        )
        salesman = new_test_user(
            self.env, login="rep_salesman", groups="sales_team.group_sale_salesman"
        )
        reporting = self.env.ref("oms_reports.oms_reports_menu_reporting")
        Menu = self.env["ir.ui.menu"]
        self.assertTrue(Menu.with_user(manager).search([("id", "=", reporting.id)]))
        self.assertFalse(Menu.with_user(salesman).search([("id", "=", reporting.id)]))

    def test_kpi_dashboard_menu_opens_our_dashboard(self):
        """Reporting > KPI Dashboard opens the OMS dashboard, not Odoo's Sales one."""
        menu = self.env.ref("oms_reports.oms_reports_menu_dashboard")
        self.assertEqual(
            menu.action, self.env.ref("oms_reports.oms_kpi_dashboard_action")
        )
        self.assertEqual(menu.action.tag, "oms_reports.kpi_dashboard")
