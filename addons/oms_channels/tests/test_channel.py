from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import OmsChannelsCommon


@tagged("post_install", "-at_install", "oms")
class TestChannel(OmsChannelsCommon):
    def test_create_channel_in_form(self):
        """A manager configures a channel in the form; it gets its webhook URL."""
        form = Form(self.env["oms.channel"])
        form.name = "Tmall flagship"
        form.code = "TMALL"
        form.kind = "marketplace"
        form.connector = "rest_json"
        form.team_id = self.team
        form.field_map = '{"id": "tid"}'
        channel = form.save()
        self.assertTrue(
            channel.webhook_url.endswith(f"/oms/webhook/{channel.webhook_token}")
        )
        old = channel.webhook_token
        channel.action_regenerate_webhook_token()
        self.assertNotEqual(channel.webhook_token, old)

    def test_field_map_and_code_are_checked(self):
        """Invalid field mappings are refused."""
        with self.assertRaises(ValidationError):
            self.rest.field_map = "not json"
        with self.assertRaises(ValidationError):
            self.rest.field_map = '{"id": 5}'

    def test_manual_channels_cannot_pull_or_push(self):
        """Pull and stock push are refused on channels without such connector."""
        store = self._create_channel("Store", "STORE-T", "manual", kind="store")
        with self.assertRaises(UserError):
            store.action_sync_orders()
        with self.assertRaises(UserError):
            store.action_push_stock()
