from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestSecurityGroups(OmsCommon):
    def test_groups_are_nested_user_reviewer_manager(self):
        """A manager is a reviewer and a user; a reviewer is a user but no manager."""
        self.assertTrue(self.manager.has_group("oms_core.group_oms_reviewer"))
        self.assertTrue(self.manager.has_group("oms_core.group_oms_user"))
        self.assertTrue(self.reviewer.has_group("oms_core.group_oms_user"))
        self.assertFalse(self.reviewer.has_group("oms_core.group_oms_manager"))

    def test_sales_groups_align_with_oms_groups(self):
        """Salespeople are OMS users; OMS managers are sales administrators."""
        self.assertTrue(self.salesman.has_group("oms_core.group_oms_user"))
        self.assertTrue(self.manager.has_group("sales_team.group_sale_manager"))
        self.assertFalse(self.internal.has_group("oms_core.group_oms_user"))

    def test_menu_visible_to_oms_users_only(self):
        """The app shows for salespeople, not others; configuration for managers."""
        root = self.env.ref("oms_core.oms_core_menu_root")
        config = self.env.ref("oms_core.oms_core_menu_config")
        Menu = self.env["ir.ui.menu"]

        def visible(user, menu):
            return bool(Menu.with_user(user).search([("id", "=", menu.id)]))

        self.assertTrue(visible(self.salesman, root))
        self.assertFalse(visible(self.internal, root))
        self.assertFalse(visible(self.salesman, config))
        self.assertTrue(visible(self.manager, config))

    def test_hold_queue_for_reviewers(self):
        """The hold queue menu shows for reviewers, not for salespeople."""
        menu = self.env.ref("oms_core.oms_core_menu_hold_queue")
        Menu = self.env["ir.ui.menu"]
        self.assertTrue(Menu.with_user(self.reviewer).search([("id", "=", menu.id)]))
        self.assertFalse(Menu.with_user(self.salesman).search([("id", "=", menu.id)]))

    def test_reviewers_see_all_orders(self):
        """Reviewers work the queue of every salesperson: they see all orders."""
        self.assertTrue(
            self.reviewer.has_group("sales_team.group_sale_salesman_all_leads")
        )
        self.assertFalse(
            self.salesman.has_group("sales_team.group_sale_salesman_all_leads")
        )
