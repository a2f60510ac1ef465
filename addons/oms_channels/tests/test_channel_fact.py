from unittest.mock import patch

from odoo.tests import tagged

from .common import OmsChannelsCommon


@tagged("post_install", "-at_install", "oms", "oms_channels")
class TestChannelFact(OmsChannelsCommon):
    """The channel is a reviewed fact: moving an approved order to another
    channel re-runs the rules that read the channel, not the others."""

    def test_channel_change_reruns_rules_reading_it(self):
        """A condition on the channel runs again; the stock check does not."""
        self._create_rule("stock")
        condition = self._create_rule(
            "domain",
            name="Marketplace orders",
            domain=f"[('oms_channel_id', '=', {self.woo.id})]",
        )
        self.shopify.auto_confirm = True
        order = self._create_order(qty=2, oms_channel_id=self.shopify.id)
        order.action_oms_review()
        self.assertEqual(order.state, "sale")
        Rule = type(self.env["oms.review.rule"])
        evaluate = Rule._evaluate
        ran = []

        def record(rule, order, batch):
            ran.append(rule.check_type)
            return evaluate(rule, order, batch)

        with patch.object(Rule, "_evaluate", record):
            order.write({"oms_channel_id": self.woo.id})
        self.assertEqual(ran, ["domain"])
        self.assertEqual(order.oms_exception_ids.rule_id, condition)
        self.assertEqual(order.oms_stage, "on_hold")
        self.assertIn(
            "Channel: Shopify shop → Woo shop", order.oms_changes_since_approval
        )
