"""Ship confirmation, stock push and token renewal on the Chinese marketplaces,
against the fake platform answering with the shapes of ``tests/data/cn``."""

import json
from datetime import datetime, timedelta
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..adapters.base import ChannelAdapter
from ..adapters.cn_base import douyin_sign, jd_sign, pdd_sign, top_sign
from .common import FakePlatform, read_data
from .test_cn_marketplaces import CnChannelsCommon, cn_data

MUTED = (
    "odoo.addons.oms_channels.adapters.cn_base",
    "odoo.addons.oms_channels.models.oms_channel",
)
FIXTURE = {
    "taobao": "taobao_trade_fullinfo_get.json",
    "pinduoduo": "pdd_order_information_get.json",
    "jd": "jd_pop_order_get.json",
    "douyin": "douyin_order_detail.json",
}


def _form(body):
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def _verify_form(sign, secret, refusal):
    """A fake platform check of a form-posted signed call."""

    def verify(method, path, headers, body):
        form = _form(body)
        if form.get("sign") != sign(form, secret):
            return (200, {}, refusal)
        return None

    return verify


def _verify_douyin(method, path, headers, body):
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


class CnPushCommon(CnChannelsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patcher = patch.object(ChannelAdapter, "backoff", 0.0)
        patcher.start()
        cls.addClassCleanup(patcher.stop)
        for sku in ("TEA-PUER-357G", "CUP-JDZ-4PC"):
            cls._set_stock(cls.products[sku], 50)
        cls.yto = cls.env.ref("oms_channels.delivery_carrier_yto")
        cls.tea = cls.products["TEA-PUER-357G"]

    def _confirmed_order(self, connector):
        staged = self._import(
            self.cn_channels[connector], read_data(f"cn/{FIXTURE[connector]}")
        )
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        if order.state == "draft":
            order.action_confirm()
        return order

    def _deliver(self, order, quantities=None, tracking="YT9000000000001"):
        picking = order.picking_ids.filtered(lambda p: p.state != "done")[:1]
        picking.write({"carrier_id": self.yto.id, "carrier_tracking_ref": tracking})
        self._ship(picking, quantities)
        self.assertEqual(picking.oms_channel_sync_state, "pending")
        return picking

    def _push(self, connector, path, answers, verify=None, retry=None):
        """Send the shipments waiting in the outbox (the cron), or retry the
        failed shipment of the ``retry`` delivery as a user does."""
        with FakePlatform(verify=verify) as platform:
            platform.add("POST", path, *answers)
            self.cn_channels[connector].api_url = platform.url
            with mute_logger(*MUTED):
                if retry:
                    retry.action_oms_push_fulfilment()
                else:
                    self.env["stock.picking"]._cron_push_fulfilments()
        return platform


@tagged("post_install", "-at_install", "oms")
class TestCnShipConfirmation(CnPushCommon):
    def test_taobao_whole_order_is_sent_with_its_company_code(self):
        """A Tmall order shipped in one parcel: offline.send with YTO, signed."""
        order = self._confirmed_order("taobao")
        picking = self._deliver(order)
        answer = cn_data("taobao_logistics_offline_send.json")["response"]
        platform = self._push(
            "taobao",
            "/",
            [(200, {}, answer)],
            _verify_form(top_sign, "TAOBAO-secret", {"error_response": {}}),
        )
        self.assertEqual(picking.oms_channel_sync_state, "done")
        form = _form(platform.requests[0][3])
        self.assertEqual(form["method"], "taobao.logistics.offline.send")
        self.assertEqual(form["tid"], "4000000000000000001")
        self.assertEqual(form["out_sid"], "YT9000000000001")
        self.assertEqual(form["company_code"], "YTO")
        self.assertNotIn("is_split", form)

    def test_taobao_partial_delivery_sends_only_its_sub_orders(self):
        """The tea shipped first: a split send of its sub-order only."""
        order = self._confirmed_order("taobao")
        cup = self.products["CUP-JDZ-4PC"]
        picking = self._deliver(order, {cup: 0})
        answer = cn_data("taobao_logistics_offline_send.json")["response"]
        platform = self._push("taobao", "/", [(200, {}, answer)])
        self.assertEqual(picking.oms_channel_sync_state, "done")
        form = _form(platform.requests[0][3])
        self.assertEqual(form["is_split"], "1")
        self.assertEqual(form["sub_tid"], "4000000000000000002")

    def test_refused_confirmation_is_kept_on_the_delivery(self):
        """Taobao answers is_success false: the delivery stays failed, retried."""
        order = self._confirmed_order("taobao")
        picking = self._deliver(order)
        refused = {"logistics_offline_send_response": {"shipping": {}}}
        self._push("taobao", "/", [(200, {}, refused)])
        self.assertEqual(picking.oms_channel_sync_state, "failed")
        self.assertIn("not accepted", picking.oms_channel_sync_error)

    def test_douyin_partial_delivery_is_one_parcel_of_a_multi_pack(self):
        """Douyin: the tea's sub-order and quantity in logisticsAddMultiPack."""
        order = self._confirmed_order("douyin")
        cup = self.products["CUP-JDZ-4PC"]
        picking = self._deliver(order, {cup: 0})
        ok = {"code": 10000, "msg": "success", "data": {}}
        platform = self._push(
            "douyin", "/order/logisticsAddMultiPack", [(200, {}, ok)], _verify_douyin
        )
        self.assertEqual(
            picking.oms_channel_sync_state, "done", picking.oms_channel_sync_error
        )
        param = json.loads(platform.requests[0][3])
        self.assertEqual(param["order_id"], "6900000000000000001")
        self.assertEqual(
            param["pack_list"],
            [
                {
                    "company_code": "yuantong",
                    "logistics_code": "YT9000000000001",
                    "shipped_order_info": [
                        {"shipped_num": 2, "shipped_order_id": "6900000000000000001"}
                    ],
                }
            ],
        )

    def test_missing_code_is_a_translated_error_then_sent_once_mapped(self):
        """Pinduoduo without a code for YTO: the delivery and the channel say
        so; once a manager adds the code the retry confirms the order."""
        channel = self.cn_channels["pinduoduo"]
        order = self._confirmed_order("pinduoduo")
        picking = self._deliver(order)
        platform = self._push("pinduoduo", "/", [(200, {}, {})])
        self.assertFalse(platform.requests)
        self.assertEqual(picking.oms_channel_sync_state, "failed")
        self.assertIn(
            "has no Pinduoduo logistics company code", picking.oms_channel_sync_error
        )
        self.assertIn(
            "Marketplace Codes", channel.message_ids[:1].body, "told on the channel"
        )
        self.env["oms.logistics.code"].create(
            {"carrier_id": self.yto.id, "connector": "pinduoduo", "code": "85"}
        )
        ok = {"logistics_online_send_response": {"is_success": True}}
        # refused for good: the outbox does not try again by itself
        platform = self._push("pinduoduo", "/", [(200, {}, ok)])
        self.assertFalse(platform.requests)
        platform = self._push(
            "pinduoduo",
            "/",
            [(200, {}, ok)],
            _verify_form(pdd_sign, "PINDUODUO-secret", {"error_response": {}}),
            retry=picking,
        )
        self.assertEqual(picking.oms_channel_sync_state, "done")
        form = _form(platform.requests[0][3])
        self.assertEqual(form["type"], "pdd.logistics.online.send")
        self.assertEqual(form["logistics_id"], "85")
        self.assertEqual(form["order_sn"], "261111-100000000000001")
        self.assertEqual(form["tracking_number"], "YT9000000000001")

    def test_jd_partial_delivery_waits_for_the_last_one(self):
        """JD ships whole orders: the first parcel is not sent, the last one
        confirms the order with its tracking number."""
        self.env["oms.logistics.code"].create(
            {"carrier_id": self.yto.id, "connector": "jd", "code": "463"}
        )
        order = self._confirmed_order("jd")
        cup = self.products["CUP-JDZ-4PC"]
        first = self._deliver(order, {cup: 0})
        platform = self._push("jd", "/", [(200, {}, {})])
        self.assertFalse(platform.requests)
        self.assertEqual(first.oms_channel_sync_state, "done")
        self.assertIn("whole orders only", first.message_ids[:1].body)
        last = self._deliver(order, tracking="YT9000000000002")
        ok = {"jingdong_pop_order_shipment_responce": {"code": "0"}}
        platform = self._push(
            "jd",
            "/",
            [(200, {}, ok)],
            _verify_form(jd_sign, "JD-secret", {"error_response": {"code": "x"}}),
        )
        self.assertEqual(last.oms_channel_sync_state, "done")
        param = json.loads(_form(platform.requests[0][3])["360buy_param_json"])
        self.assertEqual(
            param,
            {
                "orderId": "290000000001",
                "logiCoprId": "463",
                "logiNo": "YT9000000000002",
            },
        )


@tagged("post_install", "-at_install", "oms")
class TestCnStockPush(CnPushCommon):
    def _bind(self, connector, sku, stock_ref):
        return self.env["oms.channel.product"].create(
            {
                "channel_id": self.cn_channels[connector].id,
                "external_sku": sku,
                "product_id": self.products[sku].id,
                "external_stock_ref": stock_ref,
            }
        )

    def _push_stock(self, connector, path, answers, verify=None):
        channel = self.cn_channels[connector]
        with FakePlatform(verify=verify) as platform:
            platform.add("POST", path, *answers)
            channel.api_url = platform.url
            with mute_logger(*MUTED):
                channel.action_push_stock()
        return platform

    def test_taobao_skus_of_one_item_go_in_one_call(self):
        """Taobao: both SKUs of item 7001 in one skus.quantity.update, full."""
        tea = self._bind("taobao", "TEA-PUER-357G", "7001:5001")
        cup = self._bind("taobao", "CUP-JDZ-4PC", "7001:5002")
        self.cn_channels["taobao"].stock_buffer = 10
        ok = {"skus_quantity_update_response": {"item": {"num_iid": 7001}}}
        platform = self._push_stock("taobao", "/", [(200, {}, ok)])
        self.assertEqual(len(platform.requests), 1)
        form = _form(platform.requests[0][3])
        self.assertEqual(form["method"], "taobao.skus.quantity.update")
        self.assertEqual(form["num_iid"], "7001")
        self.assertEqual(
            sorted(form["skuid_quantities"].split(";")), ["5001:40", "5002:40"]
        )
        self.assertEqual(form["type"], "1")
        self.assertEqual((tea | cup).mapped("last_pushed_qty"), [40.0, 40.0])

    def test_pdd_refused_sku_does_not_stop_the_others(self):
        """Pinduoduo: one SKU refused, the other published; only the refused
        one is sent again by the next push."""
        tea = self._bind("pinduoduo", "TEA-PUER-357G", "600000000001:1200000000001")
        cup = self._bind("pinduoduo", "CUP-JDZ-4PC", "600000000002:1200000000002")
        refused = {"error_response": {"error_code": 99999, "error_msg": "fake refusal"}}
        ok = {"goods_quantity_update_response": {"is_success": True}}
        platform = self._push_stock(
            "pinduoduo", "/", [(200, {}, refused), (200, {}, ok)]
        )
        channel = self.cn_channels["pinduoduo"]
        forms = [_form(request[3]) for request in platform.requests]
        self.assertEqual(
            sorted((f["goods_id"], f["sku_id"], f["quantity"]) for f in forms),
            [
                ("600000000001", "1200000000001", "50"),
                ("600000000002", "1200000000002", "50"),
            ],
        )
        first = (tea | cup).filtered(
            lambda b: b.external_stock_ref.startswith(forms[0]["goods_id"])
        )
        self.assertIn("fake refusal", channel.stock_push_error)
        self.assertFalse(first.last_push_date, "refused: sent again next time")
        self.assertEqual(((tea | cup) - first).last_pushed_qty, 50.0)

    def test_jd_rate_limited_update_is_retried(self):
        """JD: a call-limited answer is retried with back-off, then published."""
        tea = self._bind("jd", "TEA-PUER-357G", "100000000001")
        limited = {"error_response": {"code": "6", "zh_desc": "调用次数超限"}}
        ok = {"jingdong_stock_write_updateSkuStock_responce": {"code": "0"}}
        platform = self._push_stock(
            "jd",
            "/",
            [(200, {}, limited), (200, {}, ok)],
            _verify_form(jd_sign, "JD-secret", {"error_response": {"code": "x"}}),
        )
        params = [
            json.loads(_form(request[3])["360buy_param_json"])
            for request in platform.requests
        ]
        self.assertEqual(params, [{"skuId": 100000000001, "stockNum": 50}] * 2)
        self.assertFalse(self.cn_channels["jd"].stock_push_error)
        self.assertEqual(tea.last_pushed_qty, 50.0)

    def test_douyin_sync_stock_full_update(self):
        """Douyin: sku.syncStock with product and SKU ids, not incremental."""
        self._bind("douyin", "TEA-PUER-357G", "3700000000000000001:1800000000000001")
        ok = {"code": 10000, "msg": "success", "data": {}}
        platform = self._push_stock(
            "douyin", "/sku/syncStock", [(200, {}, ok)], _verify_douyin
        )
        self.assertEqual(
            json.loads(platform.requests[0][3]),
            {
                "incremental": False,
                "product_id": 3700000000000000001,
                "sku_id": 1800000000000001,
                "stock_num": 50,
            },
        )
        self.assertFalse(self.cn_channels["douyin"].stock_push_error)


@tagged("post_install", "-at_install", "oms")
class TestCnTokenRefresh(CnPushCommon):
    def test_pull_renews_a_token_about_to_expire(self):
        """Pinduoduo: a token expiring within a day is renewed (signed without
        it) before the pull, which then uses the new one."""
        channel = self.cn_channels["pinduoduo"]
        channel.write(
            {
                "api_refresh_token": "old-refresh",
                "api_token_expiry": fields.Datetime.now() + timedelta(hours=2),
                "last_sync_date": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        renewed = {
            "pop_auth_token_refresh_response": {
                "access_token": "new-token",
                "refresh_token": "new-refresh",
                "expires_in": 86400,
            }
        }
        empty = {"order_list_get_response": {"order_list": [], "has_next": False}}
        with FakePlatform(
            verify=_verify_form(pdd_sign, "PINDUODUO-secret", {"error_response": {}})
        ) as platform:
            platform.add("POST", "/", (200, {}, renewed), (200, {}, empty))
            channel.api_url = platform.url
            with mute_logger(*MUTED):
                channel.action_sync_orders()
        refresh, pull = (_form(request[3]) for request in platform.requests[:2])
        self.assertEqual(refresh["type"], "pdd.pop.auth.token.refresh")
        self.assertEqual(refresh["refresh_token"], "old-refresh")
        self.assertNotIn("access_token", refresh)
        self.assertEqual(pull["access_token"], "new-token")
        self.assertFalse(channel.sync_error)
        self.assertEqual(channel.api_token, "new-token")
        self.assertEqual(channel.api_refresh_token, "new-refresh")
        self.assertGreater(
            channel.api_token_expiry, fields.Datetime.now() + timedelta(hours=23)
        )

    def test_refused_refresh_puts_the_channel_in_error(self):
        """Douyin refuses the refresh token: the channel shows why, the orders
        are not pulled."""
        channel = self.cn_channels["douyin"]
        channel.write(
            {
                "api_refresh_token": "revoked",
                "api_token_expiry": fields.Datetime.now() + timedelta(hours=1),
            }
        )
        refused = {"code": 40003, "msg": "refresh_token无效"}
        with FakePlatform(verify=_verify_douyin) as platform:
            platform.add("POST", "/token/refresh", (200, {}, refused))
            channel.api_url = platform.url
            with mute_logger(*MUTED):
                self.env["oms.channel"]._cron_refresh_tokens()
        self.assertEqual(len(platform.requests), 1)
        query = dict(parse_qsl(urlsplit(platform.requests[0][1]).query))
        self.assertNotIn("access_token", query)
        self.assertIn("refresh_token无效", channel.sync_error)
        self.assertEqual(channel.api_token, "douyin-token")

    def test_taobao_refresh_reads_the_token_result_text(self):
        """Taobao: token_result is a JSON text; the cron stores the new token."""
        channel = self.cn_channels["taobao"]
        channel.write(
            {
                "api_refresh_token": "tb-refresh",
                "api_token_expiry": datetime.now() + timedelta(hours=3),
            }
        )
        result = json.dumps(
            {
                "access_token": "tb-new",
                "refresh_token": "tb-refresh-2",
                "expires_in": 3600,
            }
        )
        answer = {"top_auth_token_refresh_response": {"token_result": result}}
        with FakePlatform() as platform:
            platform.add("POST", "/", (200, {}, answer))
            channel.api_url = platform.url
            with mute_logger(*MUTED):
                self.env["oms.channel"]._cron_refresh_tokens()
        form = _form(platform.requests[0][3])
        self.assertEqual(form["method"], "taobao.top.auth.token.refresh")
        self.assertNotIn("session", form)
        self.assertEqual(channel.api_token, "tb-new")
        self.assertEqual(channel.api_refresh_token, "tb-refresh-2")


@tagged("post_install", "-at_install", "oms")
class TestCnRefundInterception(CnPushCommon):
    def _pull_version(self, connector, raw_order):
        """The pull brings ``raw_order`` again (the platform changed it)."""
        channel = self.cn_channels[connector]
        adapter = channel._get_adapter()
        record = self.env["oms.channel.order"]._stage(
            channel, json.dumps(raw_order), order=raw_order
        )
        channel._oms_apply_refund_state(record, adapter, raw_order)
        return record

    def _refund_hold(self, order):
        return order.oms_exception_ids.filtered(
            lambda e: e.code == "channel_refund_requested"
        )

    def test_refund_request_holds_then_refund_cancels_with_credit_note(self):
        """Pinduoduo: a refund asked before shipment blocks the delivery; once
        refunded, the invoice is credited and the order cancelled."""
        order = self._confirmed_order("pinduoduo")
        order._oms_invoice_and_post()
        invoice = order.invoice_ids.filtered(lambda m: m.state == "posted")
        self.assertTrue(invoice)
        raw = cn_data("pdd_order_information_get.json")["order_info_get_response"][
            "order_info"
        ]
        self._pull_version("pinduoduo", dict(raw, refund_status=3))
        hold = self._refund_hold(order)
        self.assertRecordValues(hold, [{"state": "open", "severity": "block"}])
        picking = order.picking_ids
        with self.assertRaises(UserError):
            self._ship(picking)
        self.assertNotEqual(picking.state, "done")
        self._pull_version("pinduoduo", dict(raw, refund_status=4))
        self.assertEqual(order.state, "cancel")
        credit = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit.state, "posted")
        self.assertAlmostEqual(credit.amount_total, invoice.amount_total, places=2)
        self.assertEqual(hold.state, "resolved")

    def test_refund_that_cannot_cancel_keeps_the_order_held(self):
        """Refunded but the cancellation is refused: the order stays held and
        says why, the pull goes on."""
        order = self._confirmed_order("pinduoduo")
        raw = cn_data("pdd_order_information_get.json")["order_info_get_response"][
            "order_info"
        ]
        with patch.object(
            type(order), "_oms_cancel", side_effect=UserError("locked by test")
        ):
            self._pull_version("pinduoduo", dict(raw, refund_status=4))
        hold = self._refund_hold(order)
        self.assertEqual(hold.state, "open")
        self.assertIn("could not be cancelled: locked by test", hold.message)
        self.assertNotEqual(order.state, "cancel")

    def test_refused_refund_releases_the_hold(self):
        """Douyin: the refund is refused (退款失败): the order may ship again."""
        order = self._confirmed_order("douyin")
        raw = cn_data("douyin_order_detail.json")["data"]["shop_order_detail"]
        asked = json.loads(json.dumps(raw))
        asked["sku_order_list"][0]["after_sale_info"]["refund_status"] = 1
        self._pull_version("douyin", asked)
        self.assertTrue(order.oms_has_blocking_exception)
        refused = json.loads(json.dumps(raw))
        refused["sku_order_list"][0]["after_sale_info"]["refund_status"] = 4
        self._pull_version("douyin", refused)
        self.assertEqual(self._refund_hold(order).state, "resolved")
        self.assertFalse(order.oms_has_blocking_exception)
        picking = self._deliver(order)
        self.assertEqual(picking.state, "done")

    def test_order_imported_with_an_open_refund_is_held(self):
        """Taobao: a trade pulled while its buyer asks a refund is imported on
        hold (never auto-confirmed into shipping)."""
        data = cn_data("taobao_trade_fullinfo_get.json")
        trade = data["trade_fullinfo_get_response"]["trade"]
        trade["orders"]["order"][1]["refund_status"] = "WAIT_SELLER_AGREE"
        staged = self._import(self.cn_channels["taobao"], json.dumps(data))
        self.assertEqual(staged.state, "imported", staged.error)
        self.assertEqual(self._refund_hold(staged.sale_order_id).state, "open")


@tagged("post_install", "-at_install", "oms")
class TestCnMaskedReceiver(CnChannelsCommon):
    def test_masked_address_is_not_held_as_incomplete(self):
        """The address rule takes masked receivers as given; empty ones are held."""
        self._create_rule("address", "block")
        channel = self.cn_channels["pinduoduo"]
        data = cn_data("pdd_order_information_get.json")
        staged = self._import(channel, json.dumps(data))
        self.assertEqual(staged.state, "imported", staged.error)
        order = staged.sale_order_id
        self.assertEqual(order.partner_shipping_id.phone, "138****0000")
        self.assertFalse(
            order.oms_exception_ids.filtered(
                lambda e: "address incomplete" in (e.message or "")
            ),
            "a masked address is complete on the platform",
        )
        info = data["order_info_get_response"]["order_info"]
        info.update(
            order_sn="261111-100000000000009",
            receiver_address_mask="",
            receiver_phone_mask="",
        )
        held = self._import(channel, json.dumps(data)).sale_order_id
        self.assertTrue(
            held.oms_exception_ids.filtered(
                lambda e: "address incomplete" in (e.message or "")
            ),
            "an empty receiver (risk control) is held",
        )


@tagged("post_install", "-at_install", "oms")
class TestCnPushSecurity(CnChannelsCommon):
    def test_only_managers_edit_logistics_codes(self):
        """A reviewer reads the code table but cannot add or change a code."""
        yto = self.env.ref("oms_channels.delivery_carrier_yto")
        code = self.env.ref("oms_channels.oms_logistics_code_taobao_yto")
        Code = self.env["oms.logistics.code"].with_user(self.reviewer)
        self.assertEqual(Code.browse(code.id).code, "YTO")
        with self.assertRaises(AccessError):
            Code.create({"carrier_id": yto.id, "connector": "jd", "code": "1"})
        with self.assertRaises(AccessError):
            code.with_user(self.reviewer).write({"code": "XXX"})
        manager_code = Code.with_user(self.manager).create(
            {"carrier_id": yto.id, "connector": "jd", "code": "463"}
        )
        self.assertEqual(manager_code.code, "463")

    def test_only_managers_renew_a_token(self):
        """A reviewer calling the renewal (RPC, any context) is refused and
        nothing is sent to the platform."""
        channel = self.cn_channels["pinduoduo"]
        channel.api_refresh_token = "refresh"
        with FakePlatform() as platform:
            channel.api_url = platform.url
            with self.assertRaises(AccessError):
                channel.with_user(self.reviewer).with_context(
                    oms_is_manager=True
                ).action_refresh_token()
        self.assertFalse(platform.requests)
        self.assertEqual(channel.api_token, "pinduoduo-token")
