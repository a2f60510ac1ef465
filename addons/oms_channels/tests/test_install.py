from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "oms")
class TestInstall(TransactionCase):
    def test_channels_menu_under_order_management(self):
        """The Channels menu hangs under Order Management, for OMS users."""
        menu = self.env.ref("oms_channels.oms_channels_menu_channels_root")
        self.assertEqual(menu.parent_id, self.env.ref("oms_core.oms_core_menu_root"))
        self.assertEqual(menu.groups_id, self.env.ref("oms_core.group_oms_user"))
