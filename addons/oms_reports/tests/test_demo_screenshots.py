"""The demo's story seen in the browser by its people, in 简体中文 and in
English: the screens of the README and the user guide
(``setup/screenshots.sh --demo`` saves them into docs/images/). They read the
demo database as the demo left it; on a database without demo data they are
skipped."""

from unittest import SkipTest

from odoo.tests import new_test_user, tagged

from odoo.addons.oms_core.tests.common import OmsBrowserCase

# the languages of the screenshots, and the suffix of their tours and files
OMS_DEMO_SCREEN_LANGS = (("zh_CN", ""), ("en_US", "-en"))
OMS_DEMO_SCREEN_MODULES = (
    "portal",
    "rating",
    "sale_management",
    "sale_pdf_quote_builder",
    "stock_delivery",
)


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestDemoScreenshots(OmsBrowserCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reports = cls.env["ir.module.module"].search([("name", "=", "oms_reports")])
        if not reports.demo:
            raise SkipTest("the demo's screens are on databases with demo data only")
        cls._activate_zh_cn()
        # the other Odoo modules whose terms these screens show
        cls.env["ir.module.module"].search(
            [("name", "in", OMS_DEMO_SCREEN_MODULES), ("state", "=", "installed")]
        )._update_translations("zh_CN")
        cls.admin = cls.env.ref("base.user_admin")
        cls.reviewer = cls.env.ref("oms_core.oms_demo_user_reviewer")
        cls.chen = cls.env.ref("oms_core.oms_demo_user_sales_chen")
        Order = cls.env["sale.order"]
        # 陈静's most urgent marketplace order still in the warehouse
        cls.order = Order.search(
            [
                ("user_id", "=", cls.chen.id),
                ("state", "=", "sale"),
                ("commitment_date", "!=", False),
                ("oms_delivered_date", "=", False),
            ],
            order="oms_priority desc, date_order desc",
            limit=1,
        )
        cls.channel = cls.env.ref("oms_channels.demo_channel_shopify")
        # a marketplace customer who follows a delivered order in the portal
        cls.delivered = Order.search(
            [
                ("user_id", "=", cls.chen.id),
                ("oms_delivered_date", "!=", False),
                ("picking_ids.carrier_tracking_ref", "!=", False),
            ],
            order="oms_delivered_date desc",
            limit=1,
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="oms_demo_portal",
            groups="base.group_portal",
            partner_id=cls.delivered.partner_id.id,
            name=cls.delivered.partner_id.name,
        )

    def _screens(self, url_path, tour_name, user):
        """Run ``tour_name`` as ``user`` in each language of the screenshots."""
        for lang, suffix in OMS_DEMO_SCREEN_LANGS:
            with self.subTest(lang=lang):
                user.lang = lang
                self.start_oms_tour(url_path, f"{tour_name}{suffix}", login=user.login)

    def test_manager_reads_the_kpi_dashboard(self):
        self._screens("/odoo", "oms_demo_kpi_dashboard", self.admin)

    def test_reviewer_opens_the_hold_queue(self):
        self._screens("/odoo", "oms_demo_hold_queue", self.reviewer)

    def test_salesperson_reads_why_the_order_has_its_priority(self):
        self.assertTrue(self.order, "the demo has an order of 陈静 in the warehouse")
        self._screens(
            f"/odoo/action-sale.action_orders/{self.order.id}",
            "oms_demo_order_priority",
            self.chen,
        )

    def test_manager_reads_a_channel_and_its_staged_orders(self):
        self._screens(
            f"/odoo/action-oms_channels.oms_channel_action/{self.channel.id}",
            "oms_demo_channel",
            self.admin,
        )

    def test_manager_reads_the_allocation_table(self):
        self._screens("/odoo", "oms_demo_allocation_table", self.admin)

    def test_customer_follows_the_order_in_the_portal(self):
        self.assertTrue(self.delivered, "the demo has a delivered marketplace order")
        self._screens(
            f"/my/orders/{self.delivered.id}",
            "oms_demo_portal_timeline",
            self.portal_user,
        )
