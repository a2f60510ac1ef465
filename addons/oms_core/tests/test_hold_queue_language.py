from lxml import etree

from odoo.tests import tagged

from odoo.addons.mail.tools.discuss import Store

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestHoldQueueLanguage(OmsCommon):
    """Held by an English salesperson, the hold queue reads in each reviewer's
    language, the figures as the review computed them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "oms_core")]
        )._update_translations("zh_CN")
        cls.salesman.lang = "en_US"
        cls.reviewer.lang = "en_US"
        cls.reviewer_zh = cls._create_user(
            "oms_reviewer_zh",
            "sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer",
            name="Wang Fang",
            lang="zh_CN",
        )
        cls.company.account_use_credit_limit = True
        cls.customer.with_company(cls.company).sudo().credit_limit = 500.0
        cls._create_rule("credit_limit", user_id=cls.reviewer_zh.id)
        cls._create_rule("stock", user_id=cls.reviewer_zh.id)
        cls._create_rule("price_floor", percent_limit=10.0, user_id=cls.reviewer.id)
        # an English salesperson's order fails the three checks
        cls.order = cls._create_order(qty=11, user=cls.salesman)
        cls.order.order_line.price_unit = 80.0
        cls.order.action_oms_review()
        cls.exceptions = cls.env["oms.exception"].search(
            [("order_id", "=", cls.order.id)], order="code"
        )

    def _read_queue(self, user):
        """The hold queue's list as ``user``'s web client reads it (its fields,
        in his language)."""
        Exception = (
            self.env["oms.exception"]
            .with_user(user)
            .with_context(lang=user.lang, search_default_filter_open=1)
        )
        arch = Exception.get_views(
            [(self.env.ref("oms_core.oms_exception_view_list").id, "list")]
        )["views"]["list"]["arch"]
        spec = {name: {} for name in etree.fromstring(arch).xpath("/list/field/@name")}
        self.assertIn("message", spec)
        spec["check_type"] = {}
        result = Exception.web_search_read(
            [("state", "=", "open"), ("order_id", "=", self.order.id)],
            spec,
            order="check_type",
        )
        return {row["check_type"]: row["message"] for row in result["records"]}

    def test_chinese_reviewer_reads_chinese_messages(self):
        """The messages an English salesperson's order raised read in Chinese
        for a Chinese reviewer, figures unchanged."""
        self.assertEqual(
            self.exceptions.mapped("code"), ["credit_limit", "price_floor", "stock"]
        )
        messages = self._read_queue(self.reviewer_zh)
        self.assertEqual(
            messages["credit_limit"],
            "信用额度超出：额度 $\xa0500.00，占用 $\xa01,012.00",
        )
        self.assertIn("库存不足", messages["stock"])
        self.assertIn("OMS Widget", messages["stock"])
        self.assertIn("11", messages["stock"])
        self.assertIn("价格低于底价（上限 10.0%）", messages["price_floor"])
        self.assertIn("$\xa080.00", messages["price_floor"])
        for message in messages.values():
            self.assertNotIn("Credit limit", message)
            self.assertNotIn("Not enough", message)
            self.assertNotIn("below", message)

    def test_english_reviewer_reads_english_messages(self):
        """The same exceptions read in English for an English reviewer."""
        messages = self._read_queue(self.reviewer)
        self.assertEqual(
            messages["credit_limit"],
            "Credit limit exceeded: limit $\xa0500.00, exposure $\xa01,012.00",
        )
        self.assertIn("Not enough stock in", messages["stock"])
        self.assertIn("Price below the floor (limit 10.0%)", messages["price_floor"])

    def test_activities_read_in_their_owner_language(self):
        """Each owner's to-do reads in his language, whoever raised it."""
        by_code = {e.code: e.activity_id for e in self.exceptions}
        self.assertTrue(
            by_code["credit_limit"].summary.startswith("订单异常：信用额度超出")
        )
        self.assertIn("库存不足", by_code["stock"].note)
        self.assertTrue(
            by_code["price_floor"].summary.startswith(
                "Order exception: Price below the floor"
            )
        )

    def test_search_finds_the_stored_figures(self):
        """A search on the message finds it by its figures and English words."""
        Exception = self.env["oms.exception"].with_user(self.reviewer_zh)
        found = Exception.search(
            [("order_id", "=", self.order.id), ("message", "ilike", "500.00")]
        )
        self.assertEqual(found.mapped("code"), ["credit_limit"])

    def test_condition_rule_message_reads_in_the_reader_language(self):
        """A manager's condition rule has its message in both languages: the
        exception an English salesperson's order raised reads in Chinese for
        the Chinese reviewer and in English for the English one."""
        rule = self._create_rule(
            "domain",
            domain="[('amount_untaxed', '>', 500)]",
            message="Large order: check the margin",
        )
        rule.with_context(lang="zh_CN").message = "大额订单：请核对毛利"
        order = self._create_order(qty=10, user=self.salesman)
        order.with_user(self.salesman).with_context(lang="en_US").action_oms_review()
        exception = order.oms_exception_ids.filtered(lambda e: e.rule_id == rule)
        self.assertEqual(
            exception.with_user(self.reviewer_zh).with_context(lang="zh_CN").message,
            "大额订单：请核对毛利",
        )
        self.assertEqual(
            exception.with_user(self.reviewer).with_context(lang="en_US").message,
            "Large order: check the margin",
        )

    def _read_chatter(self, user):
        """The order's chatter lines as ``user``'s web client gets them."""
        messages = (
            self.env["mail.message"]
            .with_user(user)
            .with_context(lang=user.lang)
            .search([("model", "=", "sale.order"), ("res_id", "=", self.order.id)])
        )
        store = Store()
        messages._to_store(store)
        return [str(m["body"]) for m in store.get_result()["mail.message"]]

    def test_chatter_lines_read_in_the_reader_language(self):
        """The review's chatter line reads in Chinese for the Chinese reviewer
        and in English for the English one."""
        chinese = [b for b in self._read_chatter(self.reviewer_zh) if "审核发现" in b]
        self.assertEqual(len(chinese), 1)
        self.assertIn("信用额度超出", chinese[0])
        self.assertIn("库存不足", chinese[0])
        english = [b for b in self._read_chatter(self.reviewer) if "Review found" in b]
        self.assertEqual(len(english), 1)
        self.assertIn("Credit limit exceeded", english[0])
