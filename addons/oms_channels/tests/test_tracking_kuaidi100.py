import json
from datetime import datetime
from urllib.parse import parse_qs

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..tracking import kuaidi100
from .common import FakePlatform, OmsChannelsCommon, read_data

#: the fake account of the fixtures (see data/kuaidi100/SOURCES.md)
KEY = "FAKEKUAIDI100KEY0001"
SALT = "FAKEsalt0123456789abcdef01234567"
NUMBER = "YT9000000000001"


def fixture(name):
    return json.loads(read_data(f"kuaidi100/{name}"))


def push_param(state, events):
    """The fixture's push ``param`` with another state and newest scans
    ``events`` [(time, context, status)] on top, compact as kuaidi100 sends it."""
    param = json.loads(fixture("kuaidi100_poll_push_callback.form.json")["param"])
    result = param["lastResult"]
    result["state"] = state
    result["data"] = [
        {"context": context, "time": time, "ftime": time, "status": status}
        for time, context, status in events
    ] + result["data"]
    return json.dumps(param, ensure_ascii=False, separators=(",", ":"))


@tagged("post_install", "-at_install", "oms")
class TestKuaidi100Protocol(OmsChannelsCommon):
    """The published worked examples, byte for byte, without Odoo records."""

    def test_push_signature_of_the_fixture(self):
        """MD5(param + salt), upper case, is the fixture's sign; one byte off fails."""
        form = fixture("kuaidi100_poll_push_callback.form.json")
        self.assertEqual(
            kuaidi100.sign(form["param"], SALT), "A4FCCECF5737BCBACA5B12CD8E1EDD33"
        )
        self.assertTrue(kuaidi100.verify(form["param"], form["sign"], SALT))
        self.assertFalse(kuaidi100.verify(form["param"] + " ", form["sign"], SALT))
        self.assertFalse(kuaidi100.verify(form["param"], form["sign"], "other-salt"))
        self.assertFalse(kuaidi100.verify(form["param"], "", SALT))

    def test_subscription_form_of_the_fixture(self):
        """The fixture's subscription values give its form body exactly."""
        form = kuaidi100.subscribe_form(
            "yuantong",
            NUMBER,
            KEY,
            "https://oms.example.invalid/kd100/callback?orderId=4000000000000000001",
            SALT,
            ship_from="广东省深圳市南山区",
            ship_to="浙江省杭州市西湖区",
            phone="0000",
        )
        self.assertEqual(form, fixture("kuaidi100_poll_subscribe_request.form.json"))

    def test_push_parsing_maps_states(self):
        """The fixture's push is in transit, newest scan first, in UTC."""
        push = kuaidi100.parse_push(
            fixture("kuaidi100_poll_push_callback.form.json")["param"]
        )
        self.assertEqual(
            (push.poll_status, push.company, push.number, push.status),
            ("polling", "yuantong", NUMBER, "in_transit"),
        )
        self.assertEqual(push.last_event.date, datetime(2026, 11, 12, 22, 12, 40))
        self.assertIn("杭州转运中心", push.last_event.text)
        expected = {
            "0": "in_transit",
            "1": "in_transit",
            "2": "exception",
            "3": "delivered",
            "4": "exception",
            "5": "out_for_delivery",
            "6": "exception",
            "7": "in_transit",
            "99": None,
        }
        for state, status in expected.items():
            with self.subTest(state=state):
                self.assertEqual(
                    kuaidi100.parse_push(push_param(state, [])).status, status
                )
        # the captured real push (resultv2 fields null) parses too
        sample = kuaidi100.parse_push(
            read_data("kuaidi100/kuaidi100_poll_push_param.sample.json")
        )
        self.assertEqual(
            (sample.number, sample.status), ("YT6074326614455", "in_transit")
        )
        for broken in ("[]", "{}", '{"lastResult": {"nu": ""}}', "not json"):
            with self.subTest(broken=broken), self.assertRaises(ValueError):
                kuaidi100.parse_push(broken)


class Kuaidi100Common(OmsChannelsCommon):
    """A carrier followed by kuaidi100 with the fixtures' account, a warehouse in
    Shenzhen and a customer in Hangzhou."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.yto = cls.env["delivery.carrier"].create(
            {
                "name": "圆通速递",
                "product_id": cls.carrier.product_id.id,
                "oms_tracking_provider": "kuaidi100",
                "oms_kuaidi100_company": "yuantong",
                "oms_kuaidi100_key": KEY,
            }
        )
        cls.yto.oms_kuaidi100_salt = SALT
        china = cls.env.ref("base.cn")
        cls.warehouse.partner_id = cls._create_customer(
            "深圳仓",
            country_id=china.id,
            state_id=cls.env.ref("base.state_cn_GD").id,
            city="深圳市南山区",
        )
        cls.buyer = cls._create_customer(
            "张*",
            country_id=china.id,
            state_id=cls.env.ref("base.state_cn_ZJ").id,
            city="杭州市西湖区",
            street="文三路 *** 号",
            phone="138****0000",
        )
        cls.stock_user = cls._create_user(
            "oms_stock_user", "stock.group_stock_user,oms_core.group_oms_user"
        )

    def _shipped(self, number=NUMBER, carrier=None):
        """A delivery to the buyer validated with ``carrier`` and ``number``."""
        order = self._create_order(customer=self.buyer)
        order.action_confirm()
        picking = order.picking_ids
        picking.write(
            {"carrier_id": (carrier or self.yto).id, "carrier_tracking_ref": number}
        )
        self._ship(picking)
        self.assertEqual(picking.state, "done")
        return picking


@tagged("post_install", "-at_install", "oms")
class TestKuaidi100Subscription(Kuaidi100Common):
    def test_carrier_gets_a_token_and_a_salt_with_the_provider(self):
        """Choosing kuaidi100 gives the carrier a callback URL with a secret token
        and a 32-character salt; carriers without provider get neither."""
        carrier = self.env["delivery.carrier"].create(
            {"name": "中通快递", "product_id": self.carrier.product_id.id}
        )
        self.assertFalse(
            carrier.oms_tracking_token or carrier.oms_tracking_callback_url
        )
        carrier.oms_tracking_provider = "kuaidi100"
        self.assertEqual(len(carrier.oms_kuaidi100_salt), 32)
        self.assertNotEqual(carrier.oms_kuaidi100_salt, SALT)
        self.assertEqual(
            carrier.oms_tracking_callback_url,
            f"{carrier.get_base_url()}/oms/tracking/kuaidi100/"
            f"{carrier.oms_tracking_token}",
        )
        self.assertNotEqual(carrier.oms_tracking_token, self.yto.oms_tracking_token)

    def test_validated_delivery_is_subscribed_as_documented(self):
        """Validating a delivery queues its subscription (cron triggered); the
        cron posts the documented form to kuaidi100 and records the success."""
        triggers = self.env["ir.cron.trigger"].search_count([])
        picking = self._shipped()
        self.assertEqual(picking.oms_tracking_subscription_state, "pending")
        cron = self.env.ref("oms_channels.ir_cron_oms_tracking_subscribe")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([]), triggers + 1)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        with FakePlatform() as platform:
            platform.add(
                "POST",
                "/poll",
                (200, {}, fixture("kuaidi100_poll_subscribe_response.json")),
            )
            self.yto.oms_tracking_api_url = f"{platform.url}/poll"
            self.env["stock.picking"]._cron_oms_tracking_subscribe()
        self.assertRecordValues(
            picking,
            [
                {
                    "oms_tracking_subscription_state": "done",
                    "oms_tracking_subscription_error": False,
                }
            ],
        )
        ((method, path, headers, body),) = platform.requests
        self.assertEqual((method, path), ("POST", "/poll"))
        self.assertEqual(headers["Content-Type"], "application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        expected = json.loads(
            fixture("kuaidi100_poll_subscribe_request.form.json")["param"]
        )
        expected["parameters"]["callbackurl"] = self.yto.oms_tracking_callback_url
        self.assertEqual(
            form,
            {
                "schema": "json",
                "param": json.dumps(
                    expected, ensure_ascii=False, separators=(",", ":")
                ),
            },
        )

    def test_refusal_is_kept_on_the_delivery_and_retried(self):
        """kuaidi100 refuses: the validation is not disturbed, the delivery keeps
        the message, and the next cron run subscribes it."""
        picking = self._shipped()
        with FakePlatform() as platform:
            platform.add(
                "POST",
                "/poll",
                (
                    200,
                    {},
                    {"result": False, "returnCode": "500", "message": "服务器错误"},
                ),
                (200, {}, fixture("kuaidi100_poll_subscribe_response.json")),
            )
            self.yto.oms_tracking_api_url = f"{platform.url}/poll"
            self.env["stock.picking"]._cron_oms_tracking_subscribe()
            self.assertEqual(picking.oms_tracking_subscription_state, "failed")
            self.assertIn("服务器错误", picking.oms_tracking_subscription_error)
            self.assertIn("服务器错误", picking.message_ids[0].body)
            self.env["stock.picking"]._cron_oms_tracking_subscribe()
        self.assertEqual(picking.oms_tracking_subscription_state, "done")
        self.assertEqual(len(platform.requests), 2)

    def test_unreachable_kuaidi100_never_blocks_the_warehouse(self):
        """A warehouse user validates while kuaidi100 is down: done, the failure
        is on the delivery; a warehouse user may retry (secrets stay hidden)."""
        with FakePlatform() as platform:
            url = f"{platform.url}/poll"
        # the server is closed: connection refused
        self.yto.oms_tracking_api_url = url
        order = self._create_order(customer=self.buyer)
        order.action_confirm()
        picking = order.picking_ids.with_user(self.stock_user)
        picking.write({"carrier_id": self.yto.id, "carrier_tracking_ref": NUMBER})
        self._ship(picking)
        self.assertEqual(picking.state, "done")
        picking.action_oms_tracking_subscribe()
        self.assertEqual(picking.oms_tracking_subscription_state, "failed")
        self.assertIn("cannot be reached", picking.oms_tracking_subscription_error)

    def test_missing_account_and_untracked_carriers(self):
        """No key: failed with a message and no call; a carrier without provider
        or a delivery without number is never subscribed."""
        self.yto.oms_kuaidi100_key = False
        picking = self._shipped()
        picking.action_oms_tracking_subscribe()
        self.assertEqual(picking.oms_tracking_subscription_state, "failed")
        self.assertIn("kuaidi100 key", picking.oms_tracking_subscription_error)
        self.assertFalse(
            self._shipped(carrier=self.carrier).oms_tracking_subscription_state
        )
        self.assertFalse(self._shipped(number=False).oms_tracking_subscription_state)

    def test_number_entered_after_validation_is_subscribed(self):
        """A tracking number typed in after the validation is queued as well;
        once subscribed, writing the same number again subscribes nothing twice,
        a corrected number is subscribed anew."""
        picking = self._shipped(number=False)
        picking.carrier_tracking_ref = NUMBER
        self.assertEqual(picking.oms_tracking_subscription_state, "pending")
        with FakePlatform() as platform:
            platform.add(
                "POST",
                "/poll",
                (200, {}, fixture("kuaidi100_poll_subscribe_response.json")),
            )
            self.yto.oms_tracking_api_url = f"{platform.url}/poll"
            self.env["stock.picking"]._cron_oms_tracking_subscribe()
        self.assertEqual(
            (
                picking.oms_tracking_subscription_state,
                picking.oms_tracking_subscribed_ref,
            ),
            ("done", NUMBER),
        )
        picking.write({"carrier_id": self.yto.id, "carrier_tracking_ref": NUMBER})
        self.assertEqual(picking.oms_tracking_subscription_state, "done")
        picking.carrier_tracking_ref = "YT9000000000002"
        self.assertEqual(picking.oms_tracking_subscription_state, "pending")


@tagged("post_install", "-at_install", "oms")
class TestKuaidi100Callback(HttpCase, Kuaidi100Common):
    def _push(self, param, sign=None, token=None):
        token = token or self.yto.oms_tracking_token
        return self.url_open(
            f"/oms/tracking/kuaidi100/{token}",
            data={
                "param": param,
                "sign": kuaidi100.sign(param, SALT) if sign is None else sign,
            },
        )

    def _assert_acked(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), fixture("kuaidi100_poll_push_ack.json"))
        self.assertEqual(
            response.content,
            '{"result":true,"returnCode":"200","message":"成功"}'.encode(),
        )

    def test_fixture_push_sets_in_transit(self):
        """The fixture's push body, signed as in the fixture: acknowledged as
        documented, the delivery is in transit with the newest scan."""
        picking = self._shipped()
        form = fixture("kuaidi100_poll_push_callback.form.json")
        self._assert_acked(self._push(form["param"], form["sign"]))
        self.assertRecordValues(
            picking,
            [
                {
                    "oms_tracking_status": "in_transit",
                    "oms_tracking_date": datetime(2026, 11, 12, 22, 12, 40),
                    "oms_delivered_date": False,
                }
            ],
        )
        self.assertIn("杭州转运中心", picking.oms_tracking_event)

    def test_out_for_delivery_then_delivered_sets_the_delivered_date(self):
        """派件 then 签收: out for delivery, then delivered at the scan time, which
        becomes the order's delivered date (on-time KPI)."""
        picking = self._shipped()
        order = picking.sale_id
        order.commitment_date = datetime(2026, 11, 20)
        self._assert_acked(
            self._push(
                push_param(
                    "5", [("2026-11-14 08:00:00", "【杭州市西湖区】派件中", "派件")]
                )
            )
        )
        self.assertEqual(picking.oms_tracking_status, "out_for_delivery")
        self.assertFalse(order.oms_delivered_date)
        self._assert_acked(
            self._push(
                push_param(
                    "3",
                    [
                        ("2026-11-14 10:20:00", "已签收，签收人：本人", "签收"),
                        ("2026-11-14 08:00:00", "【杭州市西湖区】派件中", "派件"),
                    ],
                )
            )
        )
        delivered = datetime(2026, 11, 14, 2, 20)
        self.assertRecordValues(
            picking,
            [{"oms_tracking_status": "delivered", "oms_delivered_date": delivered}],
        )
        self.assertRecordValues(
            order,
            [
                {
                    "oms_delivered_date": delivered,
                    "oms_delivered_on_time": True,
                    "oms_stage": "delivered",
                }
            ],
        )

    def test_exception_opens_one_order_exception(self):
        """疑难: the delivery is in exception and the order gets one open
        exception; the same push again opens no second one."""
        picking = self._shipped()
        param = push_param(
            "2", [("2026-11-14 09:00:00", "收件人电话无人接听，派件异常", "疑难")]
        )
        self._assert_acked(self._push(param))
        self._assert_acked(self._push(param))
        self.assertEqual(picking.oms_tracking_status, "exception")
        exceptions = picking.sale_id.oms_exception_ids.filtered(
            lambda e: e.code == "tracking_exception"
        )
        self.assertEqual(len(exceptions), 1)
        self.assertEqual(exceptions.state, "open")
        self.assertIn(NUMBER, exceptions.message)
        self.assertIn("派件异常", exceptions.message)
        # a reviewer deals with it; a newer problem scan opens a new one
        exceptions.with_user(self.reviewer).action_override("客户已联系")
        self._assert_acked(
            self._push(
                push_param("6", [("2026-11-15 09:00:00", "拒收，退回寄件人", "退回")])
            )
        )
        reopened = picking.sale_id.oms_exception_ids.filtered(
            lambda e: e.code == "tracking_exception" and e.state == "open"
        )
        self.assertEqual(len(reopened), 1)
        self.assertIn("退回寄件人", reopened.message)

    def test_repeated_and_late_pushes_change_nothing(self):
        """A push older than the one applied (or the same again) is acknowledged
        and ignored: the delivered parcel stays delivered at its date."""
        picking = self._shipped()
        delivered = push_param("3", [("2026-11-14 10:20:00", "已签收", "签收")])
        self._assert_acked(self._push(delivered))
        messages = len(picking.message_ids)
        in_transit = fixture("kuaidi100_poll_push_callback.form.json")
        self._assert_acked(self._push(in_transit["param"], in_transit["sign"]))
        self._assert_acked(self._push(delivered))
        self.assertRecordValues(
            picking,
            [
                {
                    "oms_tracking_status": "delivered",
                    "oms_tracking_date": datetime(2026, 11, 14, 2, 20),
                    "oms_delivered_date": datetime(2026, 11, 14, 2, 20),
                }
            ],
        )
        self.assertEqual(len(picking.message_ids), messages)

    def test_bad_sign_is_refused_and_unknown_token_is_404(self):
        """A wrong or missing sign: 401, nothing applied; an unknown token or a
        carrier without kuaidi100: 404."""
        picking = self._shipped()
        form = fixture("kuaidi100_poll_push_callback.form.json")
        with mute_logger("odoo.addons.oms_channels.controllers.tracking"):
            wrong = self._push(form["param"], "0" * 32)
            missing = self._push(form["param"], "")
            self.yto.oms_kuaidi100_salt = "another-salt-of-thirty-two-chars"
            other_salt = self._push(form["param"], form["sign"])
        self.assertEqual(
            (wrong.status_code, missing.status_code, other_salt.status_code),
            (401, 401, 401),
        )
        self.assertFalse(wrong.json()["result"])
        self.assertFalse(picking.oms_tracking_status)
        self.assertEqual(
            self._push(form["param"], token="no-such-token").status_code, 404
        )
        token = self.yto.oms_tracking_token
        self.yto.oms_tracking_provider = "none"
        self.assertEqual(self._push(form["param"], token=token).status_code, 404)

    def test_unknown_number_is_acknowledged(self):
        """A signed push for a number no delivery has: acknowledged (kuaidi100
        stops retrying), nothing changed; a signed non-push is 400."""
        picking = self._shipped(number="YT0000000000000")
        form = fixture("kuaidi100_poll_push_callback.form.json")
        self._assert_acked(self._push(form["param"], form["sign"]))
        self.assertFalse(picking.oms_tracking_status)
        with mute_logger(
            "odoo.addons.oms_channels.controllers.tracking",
            "odoo.addons.oms_channels.models.delivery_carrier",
        ):
            self.assertEqual(self._push('{"status":"polling"}').status_code, 400)

    def test_abort_push_resubscribes(self):
        """kuaidi100 gives up on a number (abort): the subscription is failed with
        its message, so the cron subscribes it again."""
        picking = self._shipped()
        picking.oms_tracking_subscription_state = "done"
        param = json.loads(push_param("0", []))
        param.update(status="abort", message="3天查无结果")
        param = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
        self._assert_acked(self._push(param))
        self.assertEqual(picking.oms_tracking_subscription_state, "failed")
        self.assertIn("3天查无结果", picking.oms_tracking_subscription_error)
