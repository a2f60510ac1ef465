import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import OmsChannelsCommon, json_paths, read_data, set_json_path

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.floats(allow_nan=True, allow_infinity=True)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _replace(data, path, value):
    data = json.loads(json.dumps(data))
    set_json_path(data, path, value)
    return data


@tagged("post_install", "-at_install", "oms")
class TestBrokenPayloads(OmsChannelsCommon):
    def _check(self, staged):
        with mute_logger("odoo.addons.oms_channels.models.oms_channel_order_queue"):
            self.env["oms.channel.order"]._cron_process(limit=500)
            staged.action_process()  # already processed: claims nothing
        self.assertIn(staged.state, ("failed", "imported", "duplicate"))
        if staged.state == "failed":
            self.assertTrue(staged.error)
            self.assertFalse(staged.sale_order_id)
            self.assertFalse(
                self.env["sale.order"].search(
                    [
                        ("oms_channel_id", "=", staged.channel_id.id),
                        ("oms_external_ref", "=", staged.external_ref),
                    ]
                )
            )
        return staged

    @SETTINGS
    @given(body=JSON_VALUES.map(json.dumps) | st.text(max_size=60))
    def test_arbitrary_bodies_fail_cleanly(self, body):
        """Any JSON or text that is not an order ends `failed` with an error."""
        for channel in (self.shopify, self.woo, self.rest):
            staged = self._check(self._stage_as_webhook(channel, body))
            self.assertEqual(staged.state, "failed", body)

    @SETTINGS
    @given(data=st.data())
    def test_mutated_orders_never_crash_the_cron(self, data):
        """A real order with any one field replaced by junk: imported or failed."""
        channel, fixture = data.draw(
            st.sampled_from(
                [
                    (self.shopify, "order_rest_single_legacy.json"),
                    (self.shopify, "orders_create_webhook.sample.json"),
                    (self.woo, "order_v3_retrieve.json"),
                ]
            )
        )
        document = json.loads(read_data(fixture))
        path = data.draw(st.sampled_from(list(json_paths(document))))
        broken = _replace(document, path, data.draw(JSON_VALUES))
        self._check(self._stage_as_webhook(channel, json.dumps(broken)))
