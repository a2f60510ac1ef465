"""Pinduoduo adapter (拼多多开放平台): orders pulled by update time with
``pdd.order.number.list.increment.get`` (``pdd.order.information.get`` and
``pdd.order.list.get`` payloads are read as well), md5-signed calls."""

from datetime import timedelta

from .base import (
    ChannelError,
    NormalizedAddress,
    NotAnOrder,
    text,
    to_decimal,
)
from .cn_base import (
    REFUND_DONE,
    REFUND_NONE,
    REFUND_REQUESTED,
    CnMarketplaceAdapter,
    PlatformRefusal,
    cst_text,
    pdd_sign,
    unix_text,
    yuan,
)


class PinduoduoAdapter(CnMarketplaceAdapter):
    platform = "Pinduoduo"
    gateway = "https://gw-api.pinduoduo.com/api/router"
    #: ``start_updated_at``/``end_updated_at`` at most 30 minutes apart
    window = timedelta(minutes=30)
    page_size = 100
    reverse_pages = True
    #: ``error_response.error_code`` (general PDD codes, not part of the
    #: fixtures' published material)
    rate_limit_codes = frozenset({"70031"})
    token_error_codes = frozenset({"10019"})

    # -- call -------------------------------------------------------------------
    def sign_request(self, method, params, with_token=True):
        client_id, secret = self._credentials()
        wire = {
            "type": method,
            "client_id": client_id,
            "access_token": self._token() if with_token else None,
            "timestamp": unix_text(self._now()),
            "data_type": "JSON",
            **{key: str(value) for key, value in params.items()},
        }
        wire = {key: value for key, value in wire.items() if value is not None}
        wire["sign"] = pdd_sign(wire, secret)
        return self._gateway(), {"data": wire}

    def parse_answer(self, method, body):
        if not isinstance(body, dict):
            raise ChannelError(f"Pinduoduo {method}: unexpected answer")
        error = body.get("error_response")
        if isinstance(error, dict):
            message = " / ".join(
                filter(None, [text(error.get("error_msg")), text(error.get("sub_msg"))])
            )
            self._raise_error(method, text(error.get("error_code")), message)
        answers = [value for key, value in body.items() if key.endswith("_response")]
        if len(answers) != 1 or not isinstance(answers[0], dict):
            raise ChannelError(f"Pinduoduo {method}: no answer")
        return answers[0]

    def list_changed(self, start, end, page):
        """``pdd.order.number.list.increment.get``: the orders updated in the
        window (``start_updated_at``/``end_updated_at``, at most 30 minutes
        apart), every status, read from the last page back as documented."""
        answer = self.call(
            "pdd.order.number.list.increment.get",
            {
                "start_updated_at": unix_text(start),
                "end_updated_at": unix_text(end),
                "is_lucky_flag": 0,
                "order_status": 5,
                "refund_status": 5,
                "page": page,
                "page_size": self.page_size,
            },
        )
        orders = answer.get("order_sn_list") or []
        if not isinstance(orders, list):
            raise ChannelError(
                "Pinduoduo pdd.order.number.list.increment.get: invalid order_sn_list"
            )
        return orders, int(to_decimal(answer.get("total_count"), "total_count"))

    # -- payloads ---------------------------------------------------------------
    def extract_orders(self, data):
        if not isinstance(data, dict):
            raise NotAnOrder("not a Pinduoduo order")
        if isinstance(data.get("order_info_get_response"), dict):
            order = data["order_info_get_response"].get("order_info")
            return [order] if isinstance(order, dict) else []
        for key, list_key in (
            ("order_list_get_response", "order_list"),
            ("order_sn_increment_get_response", "order_sn_list"),
        ):
            if isinstance(data.get(key), dict):
                orders = data[key].get(list_key)
                return orders if isinstance(orders, list) else []
        if "order_sn" in data:
            return [data]
        raise NotAnOrder("not a Pinduoduo order")

    def external_ref(self, order):
        ref = text(order.get("order_sn"))
        if not ref:
            raise NotAnOrder("Pinduoduo order without order_sn")
        return ref

    def is_awaiting_payment(self, order):
        # confirm_status 1 = 已成交 (paid); the list API returns paid orders only
        return str(order.get("confirm_status")) != "1"

    def modified_time(self, order):
        # updated_at: 订单的更新时间 (CST)
        return cst_text(order.get("updated_at"))

    def refund_state(self, order):
        # refund_status 1 无售后或售后关闭, 2 售后处理中, 3 退款中, 4 退款成功
        status = text(order.get("refund_status"))
        if status in ("2", "3"):
            return REFUND_REQUESTED
        if status == "4":
            return REFUND_DONE
        return REFUND_NONE

    def refund_status_text(self, order):
        # the order's refund_status and after_sales_status codes (售后状态)
        return (
            f"refund_status {text(order.get('refund_status'))}, "
            f"after_sales_status {text(order.get('after_sales_status'))}"
        )

    def normalize(self, order):
        ref = self.external_ref(order)
        items = self._order_items(order.get("item_list"), "item_list")
        lines = []
        for item in items:
            lines.append(
                self._line(
                    text(item.get("outer_id")) or text(item.get("outer_goods_id")),
                    [text(item.get("goods_name")), text(item.get("goods_spec"))],
                    to_decimal(item.get("goods_count"), "quantity"),
                    yuan(item.get("goods_price"), "price"),
                    text(item.get("sku_id")),
                )
            )
        # 商品金额 = 售价 × 数量 − 改价折扣; 折扣金额 = 平台优惠 + 商家优惠 + 团长免单;
        # 支付金额 = 商品金额 − 折扣金额 + 邮费
        seller_discount = (
            yuan(order.get("order_change_amount"), "price change")
            + yuan(order.get("seller_discount"), "seller discount")
            + yuan(order.get("capital_free_discount"), "group leader discount")
        )
        platform_discount = yuan(order.get("platform_discount"), "platform discount")
        postage = yuan(order.get("postage"), "postage")
        pay_amount = yuan(order.get("pay_amount"), "pay amount")
        paid = not self.is_awaiting_payment(order)
        shipping = NormalizedAddress(
            name=text(order.get("receiver_name_mask")),
            street=text(order.get("receiver_address_mask")),
            street2=text(order.get("town")),
            city=text(order.get("city")),
            state_name=text(order.get("province")),
            country_code="CN",
            phone=text(order.get("receiver_phone_mask")),
        )
        return self._order(
            ref,
            lines,
            shipping,
            post_fee=postage,
            seller_discount=seller_discount,
            platform_discount=platform_discount,
            buyer_paid=pay_amount,
            paid=paid,
            note=self._remarks(order.get("buyer_memo"), order.get("remark")),
            date_order=cst_text(order.get("created_time")),
        )

    # -- push -------------------------------------------------------------------
    def _ship(self, external_ref, company_code, tracking_ref, line_refs):
        """``pdd.logistics.online.send``: ``logistics_id`` is the company's id
        in ``pdd.logistics.companies.get``; the whole order ships at once."""
        answer = self.call(
            "pdd.logistics.online.send",
            {
                "order_sn": external_ref,
                "logistics_id": company_code,
                "tracking_number": tracking_ref,
            },
        )
        self._check_success("pdd.logistics.online.send", answer)

    def _set_stock(self, ref, quantity):
        """``pdd.goods.quantity.update`` (full update, ``update_type=1``) of the
        stock reference ``goods_id:sku_id``."""
        goods_id, sku_id = self._split_ref(ref, "stock reference")
        if not sku_id:
            raise PlatformRefusal(f"Pinduoduo: stock reference {ref!r} has no sku_id")
        answer = self.call(
            "pdd.goods.quantity.update",
            {
                "goods_id": goods_id,
                "sku_id": sku_id,
                "quantity": quantity,
                "update_type": 1,
            },
        )
        self._check_success("pdd.goods.quantity.update", answer)

    def _refresh_token(self, refresh_token):
        """``pdd.pop.auth.token.refresh`` (signed without an access token)."""
        return self.call(
            "pdd.pop.auth.token.refresh",
            {"refresh_token": refresh_token},
            with_token=False,
        )
