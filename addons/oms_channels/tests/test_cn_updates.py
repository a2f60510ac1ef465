"""Trades of the Chinese marketplaces that change after their import, pulled
again from the fake platform (real HTTP, signature checked): applied to the
sales order and reviewed again before shipment, an exception after."""

import hashlib
import json
from datetime import datetime
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..adapters.cn_base import CnMarketplaceAdapter, jd_sign, pdd_sign, top_sign
from .common import FakePlatform
from .test_cn_marketplaces import cn_data
from .test_cn_push import MUTED, CnPushCommon, _verify_douyin, _verify_form

#: connector → (fixture, key path of the raw order in it)
RAW = {
    "taobao": (
        "taobao_trade_fullinfo_get.json",
        ("trade_fullinfo_get_response", "trade"),
    ),
    "pinduoduo": (
        "pdd_order_information_get.json",
        ("order_info_get_response", "order_info"),
    ),
    "jd": (
        "jd_pop_order_get.json",
        ("jingdong_pop_order_get_responce", "orderDetailInfo", "orderInfo"),
    ),
    "douyin": ("douyin_order_detail.json", ("data", "shop_order_detail")),
}
VERIFY = {
    "taobao": _verify_form(
        top_sign, "TAOBAO-secret", {"error_response": {"code": 25, "msg": "sign"}}
    ),
    "pinduoduo": _verify_form(
        pdd_sign,
        "PINDUODUO-secret",
        {"error_response": {"error_code": 10000, "error_msg": "sign"}},
    ),
    "jd": _verify_form(
        jd_sign, "JD-secret", {"error_response": {"code": "1", "zh_desc": "sign"}}
    ),
    "douyin": _verify_douyin,
}


def raw_order(connector):
    """The platform's order of the connector's fixture (a fresh copy)."""
    name, path = RAW[connector]
    data = cn_data(name)
    for key in path:
        data = data[key]
    return data


def order_list(connector, orders):
    """The answer of the platform's order list API holding ``orders`` (Taobao
    and Pinduoduo: their lists of the orders modified in a window)."""
    if connector == "taobao":
        return {
            "trades_sold_increment_get_response": {
                "total_results": len(orders),
                "trades": {"trade": orders},
            }
        }
    if connector == "pinduoduo":
        return {
            "order_sn_increment_get_response": {
                "order_sn_list": orders,
                "total_count": len(orders),
                "has_next": False,
            }
        }
    if connector == "jd":
        return {
            "jingdong_pop_order_search_responce": {
                "code": "0",
                "searchorderinfo_result": {
                    "apiResult": {"success": True},
                    "orderTotal": len(orders),
                    "orderInfoList": orders,
                },
            }
        }
    return {
        "code": 10000,
        "msg": "success",
        "data": {
            "page": 0,
            "size": 100,
            "total": len(orders),
            "shop_order_list": orders,
        },
    }


def move_to(connector, raw, street, minutes):
    """``raw`` after its buyer changed the delivery address ``minutes`` after
    the fixture's last change (masked street, new ciphertext)."""
    if connector == "taobao":
        raw.update(receiver_address=street, modified=f"2026-11-11 20:{minutes:02d}:00")
    elif connector == "pinduoduo":
        raw.update(
            receiver_address_mask=street,
            receiver_address="~AgAAAEZBS0UtRklYVFVSRS1QREQtTkVX~FAKEIDX00009~1~~",
            updated_at=f"2026-11-11 20:{minutes:02d}:00",
        )
    elif connector == "jd":
        raw["consigneeInfo"]["fullAddress"] = street
        raw["modified"] = f"2026-11-11 20:{minutes:02d}:00"
    else:
        raw["mask_post_addr"]["detail"] = street
        raw["post_addr"]["encrypt_detail"] = "##AgAAAEZBS0UtTkVX*RkFLRS1ORVc=#1##"
        raw["update_time"] = 1794399391 + minutes * 60
    return raw


class CnPullCommon(CnPushCommon):
    """Pulls of the four marketplaces from the fake platform, the last hour
    before a fixed moment (two windows of 30 minutes for Taobao and
    Pinduoduo, one for JD and Douyin)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patcher = patch.object(
            CnMarketplaceAdapter, "_now", lambda self: datetime(2026, 11, 12, 1, 30)
        )
        patcher.start()
        cls.addClassCleanup(patcher.stop)

    def _pull_answers(self, connector, *answers, path=None):
        """Pull the channel's orders; the fake platform answers ``answers``
        (each a ``(status, headers, body)``) and checks each signature."""
        channel = self.cn_channels[connector]
        channel.last_sync_date = datetime(2026, 11, 12, 0, 40)
        path = path or ("/order/searchList" if connector == "douyin" else "/")
        with FakePlatform(verify=VERIFY[connector]) as platform:
            platform.add("POST", path, *answers)
            channel.api_url = platform.url
            with mute_logger(*MUTED):
                staged = channel.action_sync_orders()
        return staged, platform

    def _pull(self, connector, *orders):
        """The pull brings ``orders`` (raw) again."""
        staged, _platform = self._pull_answers(
            connector, (200, {}, order_list(connector, list(orders)))
        )
        return staged


@tagged("post_install", "-at_install", "oms")
class TestCnOrderUpdates(CnPullCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("oms_channels.oms_review_rule_channel_update").active = True

    def test_address_changed_by_the_buyer_is_applied_and_reviewed(self):
        """Each platform: the buyer changes the address before shipment; the
        pulled trade changes the delivery address and the order is reviewed
        again (sent back to review, approved again)."""
        for connector in RAW:
            with self.subTest(connector=connector):
                order = self._confirmed_order(connector)
                staged = order.oms_channel_order_ids
                old_address = order.partner_shipping_id
                self._pull(
                    connector, move_to(connector, raw_order(connector), "新*路**号", 30)
                )
                self.assertTrue(staged.is_update_pending)
                staged.action_process()
                self.assertFalse(staged.is_update_pending)
                self.assertEqual(order.partner_shipping_id.street, "新*路**号")
                self.assertNotEqual(order.partner_shipping_id, old_address)
                log = order.oms_channel_update_ids
                self.assertRecordValues(log, [{"state": "applied", "source": "pull"}])
                self.assertIn("新*路**号", log.changes)
                self.assertIn(
                    "Changed after approval",
                    " ".join(order.message_ids.mapped("body")),
                    "the changed address is reviewed again",
                )
                self.assertEqual(order.state, "sale")

    def test_older_copy_pulled_late_is_ignored(self):
        """Taobao: a copy older than the one applied changes nothing."""
        order = self._confirmed_order("taobao")
        staged = order.oms_channel_order_ids
        self._pull("taobao", move_to("taobao", raw_order("taobao"), "新*路**号", 40))
        staged.action_process()
        self._pull("taobao", move_to("taobao", raw_order("taobao"), "旧*路**号", 30))
        self.assertFalse(staged.is_update_pending)
        self.assertEqual(order.partner_shipping_id.street, "新*路**号")

    def test_seller_remark_is_an_update_of_the_note(self):
        """Pinduoduo: the seller adds a remark (备注) after import: the order's
        note shows the buyer's message, then the remark."""
        order = self._confirmed_order("pinduoduo")
        raw = dict(
            raw_order("pinduoduo"), remark="顺丰加急", updated_at="2026-11-11 20:40:00"
        )
        self._pull("pinduoduo", raw)
        order.oms_channel_order_ids.action_process()
        self.assertIn("顺丰加急", order.note)
        self.assertIn("茶叶和茶杯请分开包装", order.note)
        self.assertIn("Note: ", order.oms_channel_update_ids.changes)

    def test_change_after_shipment_raises_the_channel_update_exception(self):
        """Each platform: the buyer changes the address after the order shipped;
        the order is not changed, a blocking exception shows the change."""
        for connector in RAW:
            with self.subTest(connector=connector):
                order = self._confirmed_order(connector)
                self._deliver(order)
                address = order.partner_shipping_id
                self._pull(
                    connector, move_to(connector, raw_order(connector), "新*路**号", 30)
                )
                order.oms_channel_order_ids.action_process()
                self.assertEqual(order.partner_shipping_id, address)
                exception = order.oms_exception_ids.filtered(
                    lambda e: e.code == "channel_update" and e.state == "open"
                )
                self.assertEqual(exception.severity, "block")
                self.assertIn("新*路**号", exception.message)
                self.assertEqual(order.oms_channel_update_ids.state, "held")


def douyin_push(*messages):
    """A Douyin message push body: the messages ``(tag, data)``."""
    return json.dumps(
        [
            {"tag": tag, "msg_id": f"7{index:018d}", "data": json.dumps(data)}
            for index, (tag, data) in enumerate(messages)
        ]
    ).encode()


@tagged("post_install", "-at_install", "oms")
class TestCnDouyinPush(CnPullCommon):
    """Douyin's message push on the channel's webhook: signed with
    ``event-sign``; each message about an order makes the order be read again
    from the platform (order.orderDetail) and staged like a pulled one."""

    def _receive(self, body, sign=None, detail=None):
        channel = self.cn_channels["douyin"]
        sign = sign or hashlib.md5(b"DOUYIN-key" + body + b"DOUYIN-secret").hexdigest()
        with FakePlatform(verify=_verify_douyin) as platform:
            if detail is not None:
                platform.add(
                    "POST",
                    "/order/orderDetail",
                    (
                        200,
                        {},
                        {
                            "code": 10000,
                            "msg": "success",
                            "data": {"shop_order_detail": detail},
                        },
                    ),
                )
            channel.api_url = platform.url
            with mute_logger(*MUTED):
                status, _message, ids = channel._oms_receive_webhook(
                    {"event-sign": sign}, body
                )
        return status, self.env["oms.channel.order"].browse(ids), platform

    def test_signed_address_change_message_updates_the_order(self):
        """买家收货信息变更 (tag 105), signed: the order is read again and its new
        address applied; the answer is the one the platform expects."""
        order = self._confirmed_order("douyin")
        body = douyin_push(
            ("105", {"p_id": 6900000000000000001, "order_status": 2, "order_type": 0})
        )
        moved = move_to("douyin", raw_order("douyin"), "新*路**号", 30)
        status, staged, platform = self._receive(body, detail=moved)
        self.assertEqual(status, 200)
        self.assertEqual(staged, order.oms_channel_order_ids)
        request = json.loads(platform.requests[0][3])
        self.assertEqual(request, {"shop_order_id": "6900000000000000001"})
        self.assertEqual(
            self.cn_channels["douyin"]._get_adapter().webhook_answer(status, "stored"),
            {"code": 0, "msg": "success"},
        )
        staged.action_process()
        self.assertEqual(order.partner_shipping_id.street, "新*路**号")
        self.assertEqual(order.oms_channel_update_ids.source, "webhook")

    def test_wrongly_signed_push_is_refused(self):
        """A push signed with another secret: 401, the platform is not called
        and nothing is staged or changed."""
        order = self._confirmed_order("douyin")
        body = douyin_push(("105", {"p_id": 6900000000000000001}))
        wrong = hashlib.md5(b"DOUYIN-key" + body + b"other-secret").hexdigest()
        moved = move_to("douyin", raw_order("douyin"), "新*路**号", 30)
        status, staged, platform = self._receive(body, sign=wrong, detail=moved)
        self.assertEqual(status, 401)
        self.assertFalse(staged)
        self.assertFalse(platform.requests)
        self.assertFalse(order.oms_channel_order_ids.is_update_pending)
        self.assertFalse(
            self.env["oms.channel.order"].search(
                [
                    ("channel_id", "=", self.cn_channels["douyin"].id),
                    ("state", "=", "failed"),
                ]
            )
        )

    def test_refund_message_intercepts_the_delivery(self):
        """买家发起售后申请 (tag 200) before shipment: the order read again shows
        the refund request; the order is held and cannot ship."""
        order = self._confirmed_order("douyin")
        asked = raw_order("douyin")
        asked["sku_order_list"][0]["after_sale_info"]["refund_status"] = 1
        asked["update_time"] += 60
        body = douyin_push(
            ("200", {"p_id": 6900000000000000001, "aftersale_id": 1, "s_id": 1})
        )
        status, _staged, _platform = self._receive(body, detail=asked)
        self.assertEqual(status, 200)
        hold = order.oms_exception_ids.filtered(
            lambda e: e.code == "channel_refund_requested"
        )
        self.assertRecordValues(hold, [{"state": "open", "severity": "block"}])

    def test_message_about_no_order_is_acknowledged(self):
        """A message about no order (a product change) is answered 200 and
        neither stored nor read from the platform."""
        body = douyin_push(("400", {"product_id": 3600000000000000001}))
        status, staged, platform = self._receive(body, sign="not-checked")
        self.assertEqual(status, 200)
        self.assertFalse(staged)
        self.assertFalse(platform.requests)


@tagged("post_install", "-at_install", "oms")
class TestCnRefundAfterShipment(CnPullCommon):
    """A refund the buyer asks after the order shipped, read from the pulled
    order: a return of the lines it is about, credited once refunded."""

    def _shipped_invoiced_order(self, connector):
        order = self._confirmed_order(connector)
        order._oms_invoice_and_post()
        self._deliver(order)
        return order

    def _platform_returns(self, order):
        reason = self.env.ref("oms_channels.oms_return_reason_platform_refund")
        return self.env["oms.return"].search(
            [("order_id", "=", order.id), ("line_ids.reason_id", "=", reason.id)]
        )

    def test_taobao_refund_of_one_sub_order_opens_its_return_then_credits(self):
        """Taobao: the tea's sub-order asks a refund after shipment: a draft
        return of the tea only, with the platform's status; refunded, the
        return's credit note is posted once."""
        order = self._shipped_invoiced_order("taobao")
        asked = raw_order("taobao")
        asked["orders"]["order"][0]["refund_status"] = "WAIT_SELLER_AGREE"
        asked["modified"] = "2026-11-11 20:30:00"
        self._pull("taobao", asked)
        ret = self._platform_returns(order)
        self.assertRecordValues(ret, [{"state": "draft", "credit_note_id": False}])
        self.assertEqual(ret.line_ids.product_id, self.tea)
        self.assertEqual(ret.line_ids.quantity, 2.0)
        self.assertIn("WAIT_SELLER_AGREE", ret.note)
        self.assertFalse(
            order.oms_exception_ids.filtered(
                lambda e: e.code == "channel_refund_requested"
            ),
            "a shipped order is not intercepted",
        )
        refunded = json.loads(json.dumps(asked))
        refunded["orders"]["order"][0]["refund_status"] = "SUCCESS"
        refunded["modified"] = "2026-11-12 09:00:00"
        self._pull("taobao", refunded)
        self._pull("taobao", refunded)
        self.assertEqual(self._platform_returns(order), ret)
        credit = ret.credit_note_id
        self.assertRecordValues(
            credit, [{"move_type": "out_refund", "state": "posted"}]
        )
        self.assertEqual(credit.invoice_line_ids.product_id, self.tea)
        self.assertEqual(
            order.invoice_ids.filtered(lambda m: m.move_type == "out_refund"), credit
        )

    def test_pdd_refused_refund_cancels_its_return(self):
        """Pinduoduo: a refund asked after shipment, then refused (售后关闭):
        the draft return of the whole order is cancelled."""
        order = self._shipped_invoiced_order("pinduoduo")
        asked = dict(
            raw_order("pinduoduo"), refund_status=2, updated_at="2026-11-11 20:30:00"
        )
        self._pull("pinduoduo", asked)
        ret = self._platform_returns(order)
        self.assertEqual(ret.state, "draft")
        self.assertEqual(len(ret.line_ids), 2, "Pinduoduo refunds whole orders")
        self.assertIn("refund_status 2", ret.note)
        closed = dict(asked, refund_status=1, updated_at="2026-11-11 21:00:00")
        self._pull("pinduoduo", closed)
        self.assertEqual(ret.state, "cancel")
        self.assertFalse(ret.credit_note_id)

    def test_refund_of_an_order_not_invoiced_waits_for_its_invoice(self):
        """Douyin: a shipped order not invoiced yet is refunded on the
        platform: nothing to credit, the return stays a draft and the order
        says it once, not at every pull."""
        order = self._confirmed_order("douyin")
        self._deliver(order)
        self.assertFalse(order.invoice_ids.filtered(lambda m: m.state == "posted"))
        refunded = raw_order("douyin")
        refunded["sku_order_list"][0]["after_sale_info"]["refund_status"] = 3
        refunded["update_time"] += 60
        self._pull("douyin", refunded)
        ret = self._platform_returns(order)
        messages = len(order.message_ids)
        self._pull("douyin", refunded)
        self.assertRecordValues(ret, [{"state": "draft", "credit_note_id": False}])
        self.assertEqual(ret.line_ids.product_id, self.tea)
        self.assertEqual(len(order.message_ids), messages)
