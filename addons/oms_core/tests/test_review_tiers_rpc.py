from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import OmsTiersCommon, OmsTourCase


@tagged("post_install", "-at_install", "oms")
class TestReviewTiersRpc(OmsTourCase, OmsTiersCommon):
    """The approval levels tried as an RPC client does: a logged-in user
    calling ``/web/dataset/call_kw`` with the context and values it chooses."""

    def _at_level_2(self):
        """An order of 2,000 whose first level a reviewer approved."""
        exception = self._held(20)
        self._approve(exception, self.reviewer)
        self.assertEqual(exception.tier_id, self.level_2)
        return exception

    def test_rpc_override_of_director_level_refused(self):
        """A reviewer overrides the director's level over RPC with a crafted
        context: refused, the order stays held."""
        exception = self._at_level_2()
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                self.reviewer_2.login,
                "oms.exception",
                "action_override",
                [exception.ids, "forged"],
                {
                    "oms_on_behalf_id": self.director.id,
                    "oms_skip_review": True,
                    "uid": self.director.id,
                },
            )
        self.assertRecordValues(
            exception, [{"state": "open", "tier_id": self.level_2.id}]
        )
        self.assertEqual(exception.order_id.state, "draft")

    def test_rpc_write_of_level_and_approval_refused(self):
        """A reviewer writes the level, forges an approval, names himself the
        director's delegate over RPC: all refused."""
        exception = self._at_level_2()
        reviewer = self.reviewer_2.login
        for model, method, args in (
            ("oms.exception", "write", [exception.ids, {"tier_id": False}]),
            (
                "oms.exception.approval",
                "create",
                [
                    {
                        "exception_id": exception.id,
                        "level": 2,
                        "user_id": self.director.id,
                    }
                ],
            ),
            (
                "res.users",
                "write",
                [
                    self.director.ids,
                    {
                        "oms_delegate_id": self.reviewer_2.id,
                        "oms_delegate_until": fields.Date.to_string(
                            fields.Date.today() + timedelta(days=1)
                        ),
                    },
                ],
            ),
        ):
            with self.subTest(model=model, method=method):
                with self.assertRaises(JsonRpcException):
                    self.call_kw(reviewer, model, method, args)
        self.assertFalse(self.director.oms_delegate_id)
        self.assertEqual(len(exception.approval_ids), 1)
        with self.assertRaises(JsonRpcException):
            self.call_kw(
                reviewer, "oms.exception", "action_override", [exception.ids, "x"]
            )
        self.assertEqual(exception.state, "open")

    def test_rpc_delegation_set_by_the_director_lets_delegate_approve(self):
        """The director names his delegate in his preferences (RPC): the
        delegate approves the level for him."""
        exception = self._at_level_2()
        until = fields.Date.to_string(fields.Date.today() + timedelta(days=3))
        self.call_kw(
            self.director.login,
            "res.users",
            "write",
            [
                self.director.ids,
                {"oms_delegate_id": self.reviewer_2.id, "oms_delegate_until": until},
            ],
        )
        self.call_kw(
            self.reviewer_2.login,
            "oms.exception",
            "action_override",
            [exception.ids, "director away"],
        )
        self.assertEqual(exception.state, "overridden")
        self.assertEqual(
            exception.approval_ids[-1].on_behalf_id, self.director.with_env(self.env)
        )
        self.assertEqual(exception.order_id.state, "sale")
