from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import OmsChannelsCommon


@tagged("post_install", "-at_install", "oms")
class TestSecurity(OmsChannelsCommon):
    def test_credentials_readable_by_managers_only(self):
        """API key/secret, access token and webhook token: OMS managers only."""
        user = new_test_user(
            self.env,
            login="oms_ch_user",
            groups="base.group_user,oms_core.group_oms_user",
        )
        manager = new_test_user(
            self.env, login="oms_ch_manager", groups="oms_core.group_oms_manager"
        )
        channel = self.shopify.with_user(user)
        self.assertEqual(channel.name, "Shopify shop")
        for field in (
            "api_key",
            "api_secret",
            "api_token",
            "api_token_expiry",
            "api_refresh_token",
            "webhook_token",
            "webhook_url",
        ):
            with self.assertRaises(AccessError):
                channel.read([field])
        self.assertEqual(self.shopify.with_user(manager).api_key, "SHOPIFY-key")
        with self.assertRaises(AccessError):
            channel.write({"auto_confirm": True})

    def test_channels_of_other_companies_are_hidden(self):
        """Multi-company rule on channels and staged orders."""
        other = self.env["res.company"].create({"name": "Other OMS company"})
        user = new_test_user(
            self.env,
            login="oms_ch_other",
            company_id=other.id,
            company_ids=[other.id],
            groups="base.group_user,oms_core.group_oms_manager",
        )
        Channel = self.env["oms.channel"].with_user(user)
        self.assertFalse(Channel.search([("id", "=", self.shopify.id)]))
        self.assertFalse(
            self.env["oms.channel.order"]
            .with_user(user)
            .search([("channel_id", "=", self.shopify.id)])
        )
