"""The demo's story (oms.kpi.demo): orders over the channels, handled and
written by people, dated as they happened, each exception with its type."""

from odoo import SUPERUSER_ID
from odoo.tests import tagged

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

from .common import OmsReportsCommon


@tagged("post_install", "-at_install", "oms")
class TestDemoHistory(OmsReportsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.chen = cls._create_user(
            "demo_chen", "sales_team.group_sale_salesman", name="陈静"
        )
        cls.emily = cls._create_user(
            "demo_emily", "sales_team.group_sale_salesman", name="Emily Carter"
        )
        cls.env["ir.model.data"].create(
            [
                {
                    "module": "oms_core",
                    "name": f"oms_demo_user_sales_{key}",
                    "model": "res.users",
                    "res_id": user.id,
                }
                for key, user in (("chen", cls.chen), ("emily", cls.emily))
            ]
        )
        # the fixture's Shopify and WooCommerce shops, and a marketplace
        cls.tmall = cls._create_channel("Tmall", "TMALL", "manual", kind="marketplace")
        Order = cls.env["sale.order"]
        before = Order.search([]).ids
        # as at the demo install: with the chatter and its messages
        loud = dict.fromkeys(DISABLED_MAIL_CONTEXT, False)
        cls.env["oms.kpi.demo"].with_context(**loud)._demo_build_history(
            count=24, days=90
        )
        cls.orders = Order.search([("id", "not in", before)])

    def test_orders_belong_to_the_salespeople_of_their_channel(self):
        """Marketplace orders are 陈静's, web shop orders Emily's, none OdooBot's,
        and so are the messages they wrote."""
        self.assertEqual(len(self.orders), 24)
        self.assertEqual(
            self.orders.oms_channel_id, self.tmall | self.shopify | self.woo
        )
        for order in self.orders:
            expected = self.chen if order.oms_channel_id == self.tmall else self.emily
            self.assertEqual(order.user_id, expected, order.client_order_ref)
        root = self.env.ref("base.partner_root")
        messages = self.env["mail.message"].search(
            [("model", "=", "sale.order"), ("res_id", "in", self.orders.ids)]
        )
        self.assertTrue(messages)
        self.assertNotIn(root, messages.author_id)
        self.assertNotIn(SUPERUSER_ID, self.orders.create_uid.ids)

    def test_history_is_dated_as_it_happened(self):
        """Orders spread over 90 days, each promised after it was placed, its
        messages dated from its reception on."""
        created = self.orders.mapped("create_date")
        self.assertGreater((max(created) - min(created)).days, 60)
        for order in self.orders:
            self.assertGreater(order.commitment_date, order.create_date)
            first = self.env["mail.message"].search(
                [("model", "=", "sale.order"), ("res_id", "=", order.id)],
                order="date, id",
                limit=1,
            )
            self.assertEqual(first.date, order.create_date, order.client_order_ref)

    def test_every_exception_has_its_type_and_cancellation_its_reason(self):
        """The held orders name the check that held them; cancelled orders
        say why; released ones say who released them."""
        exceptions = self.orders.oms_exception_ids
        self.assertTrue(exceptions)
        self.assertTrue(all(exceptions.mapped("check_type")))
        released = exceptions.filtered(lambda e: e.state == "overridden")
        self.assertTrue(all(released.mapped("resolved_uid")))
        self.assertNotIn(SUPERUSER_ID, released.resolved_uid.ids)
        cancelled = self.orders.filtered(lambda o: o.state == "cancel")
        self.assertTrue(all(cancelled.mapped("oms_cancel_reason_id")))

    def test_dashboard_counts_the_story(self):
        """The KPIs of the 90 days count every order of the story."""
        dates = self.orders.mapped("create_date")
        kpis = self.env["oms.kpi"].get_kpis(
            min(dates).date(),
            max(dates).date(),
            channel_ids=(self.tmall | self.shopify | self.woo).ids,
        )
        self.assertEqual(kpis["orders"], 24)
