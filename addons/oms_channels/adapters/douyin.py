"""Douyin Shop adapter (抖店开放平台): orders pulled with ``order.searchList`` by
update time (``order.orderDetail`` payloads are read as well), HMAC-SHA256
signed calls; amounts in fen. Pushed messages (消息推送) on the webhook are
read as "this order changed": the order is read again with
``order.orderDetail``."""

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlencode

from .base import (
    ChannelError,
    NormalizedAddress,
    NotAnOrder,
    loads,
    text,
    to_decimal,
)
from .cn_base import (
    REFUND_DONE,
    REFUND_NONE,
    REFUND_REQUESTED,
    CnMarketplaceAdapter,
    PlatformRefusal,
    compact_json,
    douyin_sign,
    epoch_text,
    fen,
    unix_text,
)

#: ``order_status``: 1 待确认/待支付, 103 部分支付 (not paid yet); 4 已取消
AWAITING_PAYMENT = {"1", "103"}
CANCELLED = {"4"}
SUCCESS = 10000


def _region(address, key):
    value = address.get(key) if isinstance(address, dict) else None
    return text(value.get("name")) if isinstance(value, dict) else ""


class DouyinAdapter(CnMarketplaceAdapter):
    platform = "Douyin"
    gateway = "https://openapi-fxg.jinritemai.com"
    #: ``order.logisticsAddMultiPack`` ships chosen sub-orders per parcel
    can_ship_partially = True
    first_page = 0  # ``page`` is 0-based
    page_size = 100
    window = timedelta(days=1)
    #: ``code`` of an answer (general Douyin codes, not part of the fixtures'
    #: published material; ``sub_code`` is matched as well)
    rate_limit_codes = frozenset({"isv.business-failed:limit"})
    token_error_codes = frozenset(
        {"isv.access-token-expired", "isv.access-token-no-exist"}
    )
    #: message push (消息推送) to the channel's webhook URL: a JSON array of
    #: ``{tag, msg_id, data}`` (``data`` a JSON text), header ``event-sign``.
    #: Only non-official code documents it (see the readme)
    can_receive_webhooks = True
    signature_header = "event-sign"

    # -- message push -----------------------------------------------------------
    def verify_signature(self, body, headers):
        """``event-sign`` = lower-case hex MD5(app_key + raw body + app_secret)."""
        signature = text(headers.get(self.signature_header))
        key, secret = self.config.get("api_key"), self.config.get("api_secret")
        if not (signature and key and secret):
            return False
        if isinstance(body, str):
            body = body.encode()
        expected = hashlib.md5(key.encode() + body + secret.encode()).hexdigest()
        return hmac.compare_digest(expected, signature.lower())

    def message_order_refs(self, messages):
        """The shop order ids (``p_id`` of each message's ``data``) a pushed
        array of messages is about, each once; messages about no order
        (products, shops) give none.

        :raise NotAnOrder: the body is not an array of messages
        """
        if not isinstance(messages, list) or not messages:
            raise NotAnOrder("not a Douyin message push")
        refs = []
        for message in messages:
            if not isinstance(message, dict) or "tag" not in message:
                raise NotAnOrder("not a Douyin message")
            data = message.get("data")
            if isinstance(data, str):
                data = loads(data)
            ref = text(data.get("p_id")) if isinstance(data, dict) else ""
            if ref and ref not in refs:
                refs.append(ref)
        return refs

    def is_ping(self, body, form):
        """A push of messages about no order is answered and not stored."""
        try:
            return not self.message_order_refs(loads(body))
        except ChannelError:
            return False

    def webhook_answer(self, status, message):
        """The push is acknowledged with ``{"code": 0, "msg": "success"}``,
        anything else makes the platform send it again."""
        if status == 200:
            return {"code": 0, "msg": "success"}
        return {"code": 1, "msg": message}

    # -- call -------------------------------------------------------------------
    def sign_request(self, method, params, with_token=True):
        app_key, secret = self._credentials()
        param_json = compact_json(params)
        timestamp = unix_text(self._now())
        query = {
            "app_key": app_key,
            "method": method,
            "timestamp": timestamp,
            "v": "2",
            "sign": douyin_sign(app_key, secret, method, param_json, timestamp),
            "sign_method": "hmac-sha256",
        }
        if with_token:
            query["access_token"] = self._token()
        url = f"{self._gateway()}/{method.replace('.', '/')}?{urlencode(query)}"
        return url, {
            "data": param_json.encode(),
            "headers": {"Content-Type": "application/json"},
        }

    def parse_answer(self, method, body):
        if not isinstance(body, dict):
            raise ChannelError(f"Douyin {method}: unexpected answer")
        if body.get("code") != SUCCESS:
            sub_code = text(body.get("sub_code"))
            message = " / ".join(
                filter(None, [text(body.get("msg")), text(body.get("sub_msg"))])
            )
            code = (
                sub_code
                if sub_code in (self.rate_limit_codes | self.token_error_codes)
                else text(body.get("code"))
            )
            self._raise_error(method, code, message)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def list_orders(self, start, end, page):
        data = self.call(
            "order.searchList",
            {
                "update_time_start": int(unix_text(start)),
                "update_time_end": int(unix_text(end)),
                "page": page,
                "size": self.page_size,
            },
        )
        orders = data.get("shop_order_list") or []
        if not isinstance(orders, list):
            raise ChannelError("Douyin order.searchList: invalid shop_order_list")
        total = int(to_decimal(data.get("total"), "total"))
        return orders, self._has_next(page, total)

    # -- payloads ---------------------------------------------------------------
    def extract_orders(self, data):
        if isinstance(data, list):
            # a message push: each order it is about, as the platform has it now
            return [self.order_detail(ref) for ref in self.message_order_refs(data)]
        if not isinstance(data, dict):
            raise NotAnOrder("not a Douyin order")
        inner = data.get("data") if "code" in data else data
        if isinstance(inner, dict):
            if isinstance(inner.get("shop_order_detail"), dict):
                return [inner["shop_order_detail"]]
            if isinstance(inner.get("shop_order_list"), list):
                return inner["shop_order_list"]
        if "sku_order_list" in data:
            return [data]
        raise NotAnOrder("not a Douyin order")

    def order_detail(self, ref):
        """The shop order ``ref`` read with ``order.orderDetail``."""
        detail = self.call("order.orderDetail", {"shop_order_id": ref}).get(
            "shop_order_detail"
        )
        if not isinstance(detail, dict):
            raise ChannelError(f"Douyin order.orderDetail: no order {ref}")
        return detail

    def external_ref(self, order):
        ref = text(order.get("order_id"))
        if not ref:
            raise NotAnOrder("Douyin order without order_id")
        return ref

    def is_awaiting_payment(self, order):
        return text(order.get("order_status")) in AWAITING_PAYMENT

    def is_cancel_event(self, headers, order):
        return text(order.get("order_status")) in CANCELLED

    def modified_time(self, order):
        # update_time: unix seconds of the order's last change
        return epoch_text(order.get("update_time"))

    def refund_state(self, order):
        # after_sale_info.refund_status of each sub-order: 1 待退款, 3 退款成功,
        # 4 退款失败, 0 none
        items = order.get("sku_order_list")
        statuses = [
            text(item["after_sale_info"].get("refund_status"))
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get("after_sale_info"), dict)
        ]
        if "1" in statuses:
            return REFUND_REQUESTED
        if statuses and all(status == "3" for status in statuses):
            return REFUND_DONE
        return REFUND_NONE

    def _refund_items(self, order):
        items = order.get("sku_order_list")
        return [
            item
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
            and isinstance(item.get("after_sale_info"), dict)
            and text(item["after_sale_info"].get("refund_status")) in ("1", "3")
        ]

    def lines_refund_state(self, order):
        statuses = {
            text(item["after_sale_info"].get("refund_status"))
            for item in self._refund_items(order)
        }
        if "1" in statuses:
            return REFUND_REQUESTED
        return REFUND_DONE if statuses else REFUND_NONE

    def refund_line_refs(self, order):
        return {text(item.get("order_id")) for item in self._refund_items(order)}

    def refund_status_text(self, order):
        return ", ".join(
            f"{text(item.get('order_id'))}: refund_status "
            f"{text(item['after_sale_info'].get('refund_status'))}"
            for item in self._refund_items(order)
        )

    def normalize(self, order):
        ref = self.external_ref(order)
        items = self._order_items(order.get("sku_order_list"), "sku_order_list")
        lines = []
        for item in items:
            spec = item.get("spec") if isinstance(item.get("spec"), list) else []
            lines.append(
                self._line(
                    # prefer the merchant code, fall back to the SKU's outer id
                    text(item.get("code")) or text(item.get("out_sku_id")),
                    [text(item.get("product_name"))]
                    + [text(s.get("value")) for s in spec if isinstance(s, dict)],
                    to_decimal(item.get("item_num"), "quantity"),
                    fen(item.get("origin_amount"), "price"),
                    text(item.get("sku_id")),
                    text(item.get("order_id")),
                )
            )
        # order_amount = Σ sum_amount + post_amount − promotion_amount, where
        # promotion_amount = shop + platform + talent (达人) shares; the buyer
        # pays order_amount − promotion_pay_amount
        seller_discount = fen(order.get("promotion_shop_amount"), "shop promotion")
        platform_discount = (
            fen(order.get("promotion_platform_amount"), "platform promotion")
            + fen(order.get("promotion_talent_amount"), "talent promotion")
            + fen(order.get("promotion_pay_amount"), "payment promotion")
        )
        post_amount = fen(order.get("post_amount"), "post amount")
        pay_amount = fen(order.get("pay_amount"), "pay amount")
        status = text(order.get("order_status"))
        paid = status not in AWAITING_PAYMENT and bool(
            to_decimal(order.get("pay_time"), "pay time")
        )
        mask_addr = order.get("mask_post_addr")
        mask_addr = mask_addr if isinstance(mask_addr, dict) else {}
        shipping = NormalizedAddress(
            name=text(order.get("mask_post_receiver")),
            street=text(mask_addr.get("detail")),
            street2=" ".join(
                filter(None, [_region(mask_addr, "town"), _region(mask_addr, "street")])
            ),
            city=_region(mask_addr, "city"),
            state_name=_region(mask_addr, "province"),
            country_code="CN",
            phone=text(order.get("mask_post_tel")),
        )
        return self._order(
            ref,
            lines,
            shipping,
            post_fee=post_amount,
            seller_discount=seller_discount,
            platform_discount=platform_discount,
            buyer_paid=pay_amount,
            paid=paid,
            customer_ref=text(order.get("doudian_open_id")),
            note=self._remarks(order.get("buyer_words"), order.get("seller_words")),
            date_order=epoch_text(order.get("create_time")),
            is_cancelled=status in CANCELLED,
        )

    # -- push -------------------------------------------------------------------
    def _ship(self, external_ref, company_code, tracking_ref, line_refs):
        """``order.logisticsAdd`` for the whole order; a partial shipment is
        one parcel of ``order.logisticsAddMultiPack`` with its sub-orders and
        quantities (``request_id`` makes a repeated call harmless)."""
        if not line_refs:
            self.call(
                "order.logisticsAdd",
                {
                    "order_id": external_ref,
                    "company_code": company_code,
                    "logistics_code": tracking_ref,
                },
            )
            return
        self.call(
            "order.logisticsAddMultiPack",
            {
                "order_id": external_ref,
                "request_id": f"{external_ref}-{tracking_ref}",
                "pack_list": [
                    {
                        "shipped_order_info": [
                            {"shipped_order_id": ref, "shipped_num": int(quantity)}
                            for ref, quantity in line_refs
                        ],
                        "logistics_code": tracking_ref,
                        "company_code": company_code,
                    }
                ],
            },
        )

    def _set_stock(self, ref, quantity):
        """``sku.syncStock`` (full update) of the stock reference
        ``product_id:sku_id``."""
        product_id, sku_id = self._split_ref(ref, "stock reference")
        if not (product_id.isdigit() and sku_id.isdigit()):
            raise PlatformRefusal(
                f"Douyin: stock reference {ref!r} is not product_id:sku_id"
            )
        self.call(
            "sku.syncStock",
            {
                "product_id": int(product_id),
                "sku_id": int(sku_id),
                "stock_num": quantity,
                "incremental": False,
            },
        )

    def _refresh_token(self, refresh_token):
        """``token.refresh`` (official SDK ``RefreshAccessToken``), signed
        without an access token."""
        return self.call(
            "token.refresh",
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            with_token=False,
        )
