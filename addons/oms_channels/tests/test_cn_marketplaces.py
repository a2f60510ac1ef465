"""Taobao/Tmall, JD, Pinduoduo and Douyin Shop connectors against the payloads
and signing examples of ``tests/data/cn`` (see its SOURCES.md)."""

import json
from datetime import datetime
from decimal import Decimal
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..adapters import DouyinAdapter, JdAdapter, PinduoduoAdapter, TaobaoAdapter
from ..adapters.base import ChannelAdapter
from ..adapters.cn_base import (
    CnMarketplaceAdapter,
    compact_json,
    douyin_sign,
    jd_sign,
    pdd_sign,
    top_sign,
)
from .common import (
    FakePlatform,
    OmsChannelsCommon,
    json_paths,
    read_data,
    set_json_path,
)
from .test_broken_payloads import JSON_VALUES

VAT = {"vat_rates": [Decimal(13)]}
#: fixture → (adapter, goods, seller discount, platform discount, postage,
#: buyer paid); the sales order total is goods − seller discount + postage =
#: buyer paid + platform discount
FIXTURES = {
    "taobao_trade_fullinfo_get.json": (TaobaoAdapter, "345", "30", "0", "8", "323"),
    "taobao_trades_sold_get.json": (TaobaoAdapter, "345", "30", "0", "8", "323"),
    "pdd_order_information_get.json": (PinduoduoAdapter, "257", "10", "5", "6", "248"),
    "pdd_order_list_get.json": (PinduoduoAdapter, "257", "10", "5", "6", "248"),
    "jd_pop_order_get.json": (JdAdapter, "315", "15", "0", "10", "310"),
    "jd_pop_order_search.json": (JdAdapter, "315", "15", "0", "10", "310"),
    "douyin_order_detail.json": (DouyinAdapter, "285", "10", "0", "8", "283"),
}


def cn_data(name):
    return json.loads(read_data(f"cn/{name}"))


@tagged("post_install", "-at_install", "oms")
class TestCnSignatures(TransactionCase):
    def test_top_published_and_computed_examples(self):
        """TOP md5/hmac/hmac-sha256 reproduce the published and computed examples."""
        params = {
            "method": "taobao.item.seller.get",
            "app_key": "12345678",
            "session": "test",
            "timestamp": "2016-01-01 12:00:00",
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            "fields": "num_iid,title,nick,price,num",
            "num_iid": "11223344",
        }
        self.assertEqual(
            top_sign(params, "helloworld"), "66987CB115214E59E6EC978214934FB8"
        )
        second = {
            "app_key": "test",
            "fields": "nick",
            "format": "xml",
            "method": "taobao.user.seller.get",
            "session": "test",
            "sign_method": "md5",
            "timestamp": "2013-05-06 13:52:03",
            "v": "2.0",
        }
        self.assertEqual(top_sign(second, "test"), "72CB4D809B375A54502C09360D879C64")
        ship = cn_data("taobao_logistics_offline_send.json")["request"]["params"]
        secret = "fake_app_secret_0001"
        self.assertEqual(top_sign(ship, secret), ship["sign"])
        self.assertEqual(ship["sign"], "550C4E4D7F9016C308992A0FFAFCCB2D")
        self.assertEqual(
            top_sign(dict(ship, sign_method="hmac"), secret, "hmac"),
            "0B9D77C7D7B320C086AF55B5475F43C6",
        )
        self.assertEqual(
            top_sign(dict(ship, sign_method="hmac-sha256"), secret, "hmac-sha256"),
            "0B5A236D20BC8B819B3D01E94F877356788C8D4BD319CCAEFEBE4299449E0C09",
        )

    def test_pdd_published_and_computed_examples(self):
        """Pinduoduo md5 reproduces the published and computed examples."""
        published = {
            "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
            "client_id": "1",
            "data_type": "XML",
            "type": "pdd.order.number.list.get",
            "timestamp": "1480411125",
            "order_status": "1",
            "page": "1",
            "page_size": "10",
        }
        self.assertEqual(
            pdd_sign(published, "testSecret"), "E4DE3ED21002510DED352819E7AE6775"
        )
        computed = {
            "access_token": "fake-access-token-0001",
            "client_id": "fakeclientid0000000000000000001",
            "data_type": "JSON",
            "order_sn": "261111-100000000000001",
            "timestamp": "1794447000",
            "type": "pdd.order.information.get",
        }
        self.assertEqual(
            pdd_sign(computed, "fake_client_secret_0001"),
            "C6E377585B7DC6DC40D3C742616DF249",
        )

    def test_jd_published_and_computed_examples(self):
        """JD md5 over 360buy_param_json reproduces both examples byte for byte."""
        param_json = compact_json(
            {
                "end_date": None,
                "optional_fields": None,
                "order_state": "WAIT_SELLER_STOCK_OUT",
                "page": "1",
                "page_size": "200",
                "start_date": None,
            }
        )
        self.assertEqual(
            param_json,
            '{"end_date":null,"optional_fields":null,"order_state":'
            '"WAIT_SELLER_STOCK_OUT","page":"1","page_size":"200","start_date":null}',
        )
        published = {
            "360buy_param_json": param_json,
            "access_token": "yourtoken",
            "app_key": "yourappkey",
            "method": "jingdong.pop.order.search",
            "timestamp": "2021-05-07 09:20:39.683+0800",
            "v": "2.0",
        }
        self.assertEqual(
            jd_sign(published, "yourappSecret"), "D70825340F4084360B9362B60DFD7930"
        )
        computed = {
            "360buy_param_json": compact_json(
                {
                    "order_id": "290000000001",
                    "optional_fields": "orderId,orderState,orderTotalPrice,"
                    "orderSellerPrice,orderPayment,freightPrice,sellerDiscount,"
                    "consigneeInfo,itemInfoList,couponDetailList",
                },
                sort_keys=False,
            ),
            "access_token": "fake-jd-token-0001",
            "app_key": "FAKEAPPKEY0001",
            "method": "jingdong.pop.order.get",
            "timestamp": "2026-11-12 09:30:00.000+0800",
            "v": "2.0",
        }
        self.assertEqual(
            jd_sign(computed, "fake_jd_secret_0001"), "2FF0059A3472901708501C1ED09AB1B2"
        )

    def test_douyin_computed_example(self):
        """Douyin HMAC-SHA256 (and the md5 variant) over the sorted param_json."""
        args = (
            "7000000000000000001",
            "fake-doudian-app-secret-0001",
            "order.orderDetail",
            compact_json({"shop_order_id": "6900000000000000001"}),
            "1794447000",
        )
        self.assertEqual(args[3], '{"shop_order_id":"6900000000000000001"}')
        self.assertEqual(
            douyin_sign(*args),
            "66da4f441429042333b5e497ae9a37a2dd77d5e10dc60e88628fae9ffb824870",
        )
        self.assertEqual(
            douyin_sign(*args, sign_method="md5"), "6fb7da3b2e8d1446701acc58cb3ca6de"
        )


@tagged("post_install", "-at_install", "oms")
class TestCnPayloads(TransactionCase):
    def test_every_fixture_adds_up(self):
        """Each fixture: goods − seller discount + postage = paid + platform share."""
        for name, (adapter_class, *figures) in FIXTURES.items():
            with self.subTest(fixture=name):
                goods, seller, platform, postage, paid = map(Decimal, figures)
                adapter = adapter_class(VAT)
                normalized = adapter.normalize(adapter.orders_of(cn_data(name))[0])
                self.assertEqual(
                    sum(line.price_unit * line.quantity for line in normalized.lines),
                    goods,
                )
                self.assertEqual(normalized.order_discount, seller)
                self.assertEqual(normalized.platform_discount, platform)
                self.assertEqual(
                    sum(amount for _t, amount, _r in normalized.shipping_lines),
                    postage,
                )
                self.assertEqual(normalized.paid_amount, paid)
                self.assertTrue(normalized.is_paid)
                self.assertEqual(normalized.total, paid + platform)
                self.assertEqual(normalized.total, goods - seller + postage)
                self.assertEqual(
                    [line.sku for line in normalized.lines],
                    ["TEA-PUER-357G", "CUP-JDZ-4PC"],
                    "the shared merchant SKUs (Douyin: code, else out_sku_id)",
                )
                self.assertTrue(normalized.taxes_included)
                self.assertEqual(normalized.currency, "CNY")
                self.assertEqual(normalized.lines[0].tax_rates, [Decimal(13)])

    def test_receiver_is_the_masked_form(self):
        """The address and phone are the platform's masked forms, never a cipher."""
        expected = {
            "taobao_trade_fullinfo_get.json": ("张**", "138********"),
            "pdd_order_information_get.json": ("张*", "138****0000"),
            "jd_pop_order_get.json": ("张*", "138****0000"),
            "douyin_order_detail.json": ("张*", "1*********0"),
        }
        for name, (receiver, phone) in expected.items():
            with self.subTest(fixture=name):
                adapter = FIXTURES[name][0](VAT)
                normalized = adapter.normalize(adapter.orders_of(cn_data(name))[0])
                self.assertEqual(normalized.shipping.name, receiver)
                self.assertEqual(normalized.shipping.phone, phone)
                self.assertFalse(normalized.phone, "a mask never identifies a buyer")
                for value in (normalized.shipping.street, normalized.shipping.name):
                    self.assertNotIn("~", value)
                    self.assertNotIn("##", value)

    def test_status_mapping(self):
        """Unpaid trades wait, closed/cancelled ones cancel, per platform."""
        trade = cn_data("taobao_trade_fullinfo_get.json")[
            "trade_fullinfo_get_response"
        ]["trade"]
        taobao = TaobaoAdapter(VAT)
        self.assertFalse(taobao.is_awaiting_payment(trade))
        self.assertTrue(
            taobao.is_awaiting_payment(dict(trade, status="WAIT_BUYER_PAY"))
        )
        self.assertTrue(taobao.is_cancel_event({}, dict(trade, status="TRADE_CLOSED")))
        pdd = cn_data("pdd_order_information_get.json")["order_info_get_response"][
            "order_info"
        ]
        self.assertTrue(
            PinduoduoAdapter(VAT).is_awaiting_payment(dict(pdd, confirm_status=0))
        )
        jd = cn_data("jd_pop_order_get.json")["jingdong_pop_order_get_responce"][
            "orderDetailInfo"
        ]["orderInfo"]
        self.assertTrue(
            JdAdapter(VAT).normalize(dict(jd, orderState="TRADE_CANCELED")).is_cancelled
        )
        douyin = cn_data("douyin_order_detail.json")["data"]["shop_order_detail"]
        self.assertTrue(
            DouyinAdapter(VAT).is_awaiting_payment(dict(douyin, order_status=1))
        )
        self.assertTrue(
            DouyinAdapter(VAT).is_cancel_event({}, dict(douyin, order_status=4))
        )


class CnChannelsCommon(OmsChannelsCommon):
    """A channel per marketplace, in CNY, selling the two shared merchant SKUs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cny = cls.env.ref("base.CNY")
        cls.cny.active = True
        cls.cny_pricelist = cls.env["product.pricelist"].create(
            {"name": "CNY", "currency_id": cls.cny.id, "company_id": cls.company.id}
        )
        cls.cny_journal = cls.env["account.journal"].create(
            {
                "name": "Platform settlement",
                "type": "bank",
                "code": "CNPL",
                "currency_id": cls.cny.id,
                "company_id": cls.company.id,
            }
        )
        cls.cn_channels = {
            connector: cls._create_channel(
                connector,
                connector.upper(),
                connector,
                kind="marketplace",
                pricelist_id=cls.cny_pricelist.id,
                payment_journal_id=cls.cny_journal.id,
                api_token=f"{connector}-token",
            )
            for connector in ("taobao", "jd", "pinduoduo", "douyin")
        }
        for sku in ("TEA-PUER-357G", "CUP-JDZ-4PC"):
            cls.products[sku] = cls._create_sku_product(sku)


@tagged("post_install", "-at_install", "oms")
class TestCnImport(CnChannelsCommon):
    def test_each_platform_order_imports_with_exact_totals(self):
        """A paid order of each platform: total = paid + platform share, 13 % incl."""
        cases = {
            "taobao": ("taobao_trade_fullinfo_get.json", 323.0, 0.0),
            "pinduoduo": ("pdd_order_information_get.json", 248.0, 5.0),
            "jd": ("jd_pop_order_get.json", 310.0, 0.0),
            "douyin": ("douyin_order_detail.json", 283.0, 0.0),
        }
        for connector, (name, paid, platform) in cases.items():
            with self.subTest(connector=connector):
                staged = self._import(
                    self.cn_channels[connector], read_data(f"cn/{name}")
                )
                self.assertEqual(staged.state, "imported", staged.error)
                order = staged.sale_order_id
                self.assertEqual(order.currency_id, self.cny)
                self.assertAlmostEqual(order.amount_total, paid + platform, places=2)
                self.assertFalse(
                    order.oms_exception_ids.filtered(
                        lambda e: "channel's total" in (e.message or "")
                    )
                )
                products = order.order_line.filtered(
                    lambda line: line.product_id in self.products.values()
                )
                self.assertEqual(
                    products.product_id.mapped("default_code"),
                    ["TEA-PUER-357G", "CUP-JDZ-4PC"],
                )
                self.assertEqual(products.tax_id, self.tax_13_incl)
                self.assertAlmostEqual(
                    sum(order.oms_payment_ids.mapped("amount")), paid, places=2
                )
                note = order.order_line.filtered(
                    lambda line: line.display_type == "line_note"
                )
                self.assertEqual(bool(note), bool(platform))
                if platform:
                    self.assertIn("5.00", note.name)

    def test_awaiting_payment_is_staged_then_imported_once_paid(self):
        """A Douyin order waiting for payment is kept, not imported, until paid."""
        channel = self.cn_channels["douyin"]
        data = cn_data("douyin_order_detail.json")
        unpaid = json.loads(json.dumps(data))
        # the platform changes the order (update_time) when the buyer pays
        unpaid["data"]["shop_order_detail"].update(
            order_status=1, pay_time=0, update_time=1794399302
        )
        staged = self._stage(channel, json.dumps(unpaid))
        self.assertRecordValues(
            staged, [{"state": "ignored", "is_awaiting_payment": True}]
        )
        self.assertFalse(staged.sale_order_id)
        again = self._stage(channel, json.dumps(data))
        self.assertEqual(again, staged)
        self.assertRecordValues(
            staged, [{"state": "received", "is_awaiting_payment": False}]
        )
        staged.action_process()
        self.assertEqual(staged.state, "imported", staged.error)

    def test_closed_trade_cancels_the_order(self):
        """A Taobao trade closed after import cancels its sales order."""
        channel = self.cn_channels["taobao"]
        data = cn_data("taobao_trade_fullinfo_get.json")
        staged = self._import(channel, json.dumps(data))
        self.assertEqual(staged.state, "imported", staged.error)
        data["trade_fullinfo_get_response"]["trade"]["status"] = "TRADE_CLOSED"
        self._stage(channel, json.dumps(data))
        staged.action_process()
        self.assertEqual(staged.sale_order_id.state, "cancel")

    def test_vat_rate_is_configurable(self):
        """Without VAT on the channel the lines carry no tax."""
        channel = self.cn_channels["jd"]
        channel.vat_rate = 0
        staged = self._import(channel, read_data("cn/jd_pop_order_get.json"))
        self.assertEqual(staged.state, "imported", staged.error)
        self.assertFalse(staged.sale_order_id.order_line.tax_id)
        self.assertAlmostEqual(staged.sale_order_id.amount_total, 310.0, places=2)


def _form(body):
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


@tagged("post_install", "-at_install", "oms")
class TestCnPull(CnChannelsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for patcher in (
            patch.object(ChannelAdapter, "backoff", 0.0),
            # three windows of a day end at this moment
            patch.object(
                CnMarketplaceAdapter, "_now", lambda self: datetime(2026, 11, 12, 1, 30)
            ),
        ):
            patcher.start()
            cls.addClassCleanup(patcher.stop)

    def _pull(self, connector, path, answers, verify, since=None):
        channel = self.cn_channels[connector]
        channel.last_sync_date = since or datetime(2026, 11, 10, 1, 40)
        with FakePlatform(verify=verify) as platform:
            platform.add("POST", path, *answers)
            channel.api_url = platform.url
            with mute_logger(
                "odoo.addons.oms_channels.adapters.cn_base",
                "odoo.addons.oms_channels.models.oms_channel",
            ):
                staged = channel.action_sync_orders()
        return channel, staged, platform

    def test_taobao_pull_by_modified_time_backwards(self):
        """Taobao: trades.sold.increment.get by windows of 30 minutes, md5
        checked by the fake, the pages read from the last one back, App Call
        Limited retried."""
        trade = cn_data("taobao_trades_sold_get.json")["trades_sold_get_response"][
            "trades"
        ]["trade"][0]

        def page(trades, total):
            return {
                "trades_sold_increment_get_response": {
                    "total_results": total,
                    "trades": {"trade": trades},
                }
            }

        second = dict(trade, tid=4000000000000000009)
        limited = {"error_response": {"code": 7, "msg": "App Call Limited"}}

        def verify(method, path, headers, body):
            form = _form(body)
            if form.get("sign") != top_sign(form, "TAOBAO-secret"):
                return (
                    200,
                    {},
                    {"error_response": {"code": 25, "msg": "Invalid signature"}},
                )
            return None

        channel, staged, platform = self._pull(
            "taobao",
            "/",
            [
                (200, {}, page([trade], 51)),
                (200, {}, limited),
                (200, {}, page([second], 51)),
                (200, {}, page([], 0)),
            ],
            verify,
            since=datetime(2026, 11, 12, 0, 40),
        )
        self.assertFalse(channel.sync_error)
        self.assertEqual(
            sorted(staged.mapped("external_ref")),
            ["4000000000000000001", "4000000000000000009"],
        )
        forms = [_form(request[3]) for request in platform.requests]
        self.assertEqual(
            {f["method"] for f in forms}, {"taobao.trades.sold.increment.get"}
        )
        self.assertEqual([f["page_no"] for f in forms], ["1", "2", "2", "1"])
        self.assertEqual(forms[0]["session"], "taobao-token")
        self.assertEqual(
            [(f["start_modified"], f["end_modified"]) for f in (forms[0], forms[3])],
            [
                ("2026-11-12 08:30:00", "2026-11-12 09:00:00"),
                ("2026-11-12 09:00:00", "2026-11-12 09:30:00"),
            ],
        )
        self.assertEqual(channel.last_sync_date, datetime(2026, 11, 12, 1, 30))
        staged[0].action_process()
        self.assertEqual(staged[0].state, "imported", staged[0].error)
        self.assertAlmostEqual(staged[0].sale_order_id.amount_total, 323.0, places=2)

    def test_pdd_pull_stops_at_an_expired_token(self):
        """Pinduoduo: increment pull by update time, the pages of a window read
        from the last one back, a rate-limited call, then a revoked token puts
        the channel in error with the cursor of the last window read."""
        order = cn_data("pdd_order_list_get.json")["order_list_get_response"][
            "order_list"
        ][0]

        def page(orders, total):
            return {
                "order_sn_increment_get_response": {
                    "order_sn_list": orders,
                    "total_count": total,
                    "has_next": False,
                }
            }

        expired = {
            "error_response": {"error_code": 10019, "error_msg": "access_token已过期"}
        }

        def verify(method, path, headers, body):
            form = _form(body)
            if form.get("sign") != pdd_sign(form, "PINDUODUO-secret"):
                return (
                    200,
                    {},
                    {"error_response": {"error_code": 10000, "error_msg": "sign"}},
                )
            return None

        last = dict(order, order_sn="261111-100000000000002")
        middle = dict(order, order_sn="261111-100000000000003")
        limited = {"error_response": {"error_code": 70031, "error_msg": "调用过于频繁"}}
        channel, staged, platform = self._pull(
            "pinduoduo",
            "/",
            [
                (200, {}, page([order], 201)),
                (200, {}, limited),
                (200, {}, page([last], 201)),
                (200, {}, page([middle], 201)),
                (200, {}, expired),
            ],
            verify,
            since=datetime(2026, 11, 12, 0, 40),
        )
        self.assertEqual(
            sorted(staged.mapped("external_ref")),
            [
                "261111-100000000000001",
                "261111-100000000000002",
                "261111-100000000000003",
            ],
        )
        forms = [_form(request[3]) for request in platform.requests]
        self.assertEqual(
            {f["type"] for f in forms}, {"pdd.order.number.list.increment.get"}
        )
        self.assertEqual([f["page"] for f in forms], ["1", "3", "3", "2", "1"])
        self.assertEqual(forms[0]["start_updated_at"], "1794443400")
        self.assertEqual(forms[0]["end_updated_at"], "1794445200")
        self.assertIn("access_token已过期", channel.sync_error)
        # the first window (30 minutes from the cursor less the overlap) was read
        self.assertEqual(channel.last_sync_date, datetime(2026, 11, 12, 1, 0))
        staged[0].action_process()
        self.assertEqual(staged[0].state, "imported", staged[0].error)
        self.assertAlmostEqual(staged[0].sale_order_id.amount_total, 253.0, places=2)

    def test_jd_pull_pages_by_total(self):
        """JD: signed 360buy_param_json, pages until orderTotal, rate limit retried."""
        page = cn_data("jd_pop_order_search.json")
        result = page["jingdong_pop_order_search_responce"]["searchorderinfo_result"]
        result["orderTotal"] = 51
        page2 = json.loads(json.dumps(page))
        page2["jingdong_pop_order_search_responce"]["searchorderinfo_result"][
            "orderInfoList"
        ][0]["orderId"] = "290000000002"
        empty = {
            "jingdong_pop_order_search_responce": {
                "code": "0",
                "searchorderinfo_result": {"orderTotal": 0, "orderInfoList": []},
            }
        }
        limited = {"error_response": {"code": "6", "zh_desc": "调用次数超限"}}

        def verify(method, path, headers, body):
            form = _form(body)
            if form.get("sign") != jd_sign(form, "JD-secret"):
                return (200, {}, {"error_response": {"code": "1", "zh_desc": "sign"}})
            return None

        channel, staged, platform = self._pull(
            "jd",
            "/",
            [(200, {}, page), (200, {}, limited), (200, {}, page2), (200, {}, empty)],
            verify,
        )
        self.assertFalse(channel.sync_error)
        self.assertEqual(
            sorted(staged.mapped("external_ref")), ["290000000001", "290000000002"]
        )
        params = [
            json.loads(_form(request[3])["360buy_param_json"])
            for request in platform.requests
        ]
        self.assertEqual([p["page"] for p in params[:3]], ["1", "2", "2"])
        self.assertEqual(params[0]["start_date"], "2026-11-10 09:30:00")
        staged[0].action_process()
        self.assertEqual(staged[0].state, "imported", staged[0].error)
        self.assertAlmostEqual(staged[0].sale_order_id.amount_total, 310.0, places=2)

    def test_douyin_pull_signed_in_the_query(self):
        """Douyin: HMAC-SHA256 of param_json checked, 0-based pages by total, a
        rate-limited call retried."""
        detail = cn_data("douyin_order_detail.json")["data"]["shop_order_detail"]
        page = {
            "code": 10000,
            "msg": "success",
            "data": {"page": 0, "size": 100, "total": 1, "shop_order_list": [detail]},
        }
        empty = {
            "code": 10000,
            "msg": "success",
            "data": {"page": 0, "size": 100, "total": 0, "shop_order_list": []},
        }

        def verify(method, path, headers, body):
            query = dict(parse_qsl(urlsplit(path).query))
            expected = douyin_sign(
                query["app_key"],
                "DOUYIN-secret",
                query["method"],
                body.decode(),
                query["timestamp"],
            )
            if query.get("sign") != expected:
                return (200, {}, {"code": 40004, "msg": "sign"})
            return None

        page["data"]["total"] = 101
        second = json.loads(json.dumps(page))
        second["data"].update(page=1)
        second["data"]["shop_order_list"][0]["order_id"] = "6900000000000000009"
        limited = {
            "code": 50002,
            "msg": "业务处理失败",
            "sub_code": "isv.business-failed:limit",
            "sub_msg": "调用过于频繁",
        }
        channel, staged, platform = self._pull(
            "douyin",
            "/order/searchList",
            [(200, {}, page), (200, {}, limited), (200, {}, second), (200, {}, empty)],
            verify,
        )
        self.assertFalse(channel.sync_error)
        self.assertEqual(
            sorted(staged.mapped("external_ref")),
            ["6900000000000000001", "6900000000000000009"],
        )
        params = [json.loads(request[3]) for request in platform.requests]
        self.assertEqual([p["page"] for p in params], [0, 1, 1, 0])
        self.assertEqual(params[0]["update_time_start"], 1794274200)
        first = staged.filtered(lambda s: s.external_ref == "6900000000000000001")
        first.action_process()
        self.assertAlmostEqual(first.sale_order_id.amount_total, 283.0, places=2)

    def test_expired_token_stops_before_calling(self):
        """A token past its expiry: the channel is in error, the platform not called."""
        channel = self.cn_channels["jd"]
        channel.api_token_expiry = datetime(2020, 1, 1)
        with FakePlatform() as platform:
            channel.api_url = platform.url
            with mute_logger("odoo.addons.oms_channels.models.oms_channel"):
                staged = channel.action_sync_orders()
        self.assertFalse(staged)
        self.assertFalse(platform.requests)
        self.assertIn("expired", channel.sync_error)
        self.assertFalse(channel.last_sync_date)


@tagged("post_install", "-at_install", "oms")
class TestCnBrokenPayloads(CnChannelsCommon):
    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def test_mutated_orders_fail_cleanly(self, data):
        """A platform order with one field replaced by junk: imported or failed
        with its error, never half-imported."""
        connector, fixture = data.draw(
            st.sampled_from(
                [
                    ("taobao", "taobao_trade_fullinfo_get.json"),
                    ("taobao", "taobao_trades_sold_get.json"),
                    ("pinduoduo", "pdd_order_information_get.json"),
                    ("jd", "jd_pop_order_get.json"),
                    ("jd", "jd_pop_order_search.json"),
                    ("douyin", "douyin_order_detail.json"),
                ]
            )
        )
        channel = self.cn_channels[connector]
        document = cn_data(fixture)
        path = data.draw(st.sampled_from(list(json_paths(document))))
        set_json_path(document, path, data.draw(JSON_VALUES))
        staged = self._stage_as_webhook(channel, json.dumps(document))
        with mute_logger("odoo.addons.oms_channels.models.oms_channel_order_queue"):
            staged.action_process()
        self.assertIn(staged.state, ("failed", "imported", "ignored"))
        if staged.state != "imported":
            self.assertFalse(
                self.env["sale.order"].search(
                    [
                        ("oms_channel_id", "=", channel.id),
                        ("oms_external_ref", "=", staged.external_ref),
                    ]
                )
            )
        if staged.state == "failed":
            self.assertTrue(staged.error)
