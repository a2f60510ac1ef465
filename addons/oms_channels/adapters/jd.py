"""JD adapter (京东 JOS, ``routerjson`` gateway): orders pulled with
``jingdong.pop.order.search`` (``jingdong.pop.order.get`` payloads are read as
well), md5-signed calls with the business parameters in ``360buy_param_json``."""

from datetime import timedelta
from decimal import Decimal

from .base import (
    ChannelError,
    NormalizedAddress,
    NotAnOrder,
    text,
    to_decimal,
)
from .cn_base import (
    REFUND_NONE,
    REFUND_REQUESTED,
    CnMarketplaceAdapter,
    PlatformRefusal,
    compact_json,
    cst_format,
    cst_text,
    jd_sign,
    yuan,
)

#: ``orderState`` values of a cancelled order
CANCELLED = {"TRADE_CANCELED"}
#: states asked for by the pull (every state of the published enum)
PULL_STATES = (
    "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,WAIT_SELLER_DELIVERY,PAUSE,"
    "FINISHED_L,TRADE_CANCELED,LOCKED,POP_ORDER_PAUSE"
)
#: ``optional_fields`` (mandatory): the fields the adapter reads
OPTIONAL_FIELDS = (
    "orderId,orderState,orderTotalPrice,orderSellerPrice,orderPayment,freightPrice,"
    "sellerDiscount,balanceUsed,payType,orderRemark,venderRemark,orderStartTime,"
    "paymentConfirmTime,modified,open_id_buyer,consigneeInfo,itemInfoList,"
    "couponDetailList"
)


def _child(data, key):
    """The object ``data[key]``, {} when it is anything else."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


class JdAdapter(CnMarketplaceAdapter):
    platform = "JD"
    gateway = "https://api.jd.com/routerjson"
    #: page_size ≤ 50; the date range ≤ 1 month (a day per window here)
    page_size = 50
    window = timedelta(days=1)
    #: ``error_response.code`` (general JOS codes, not part of the fixtures'
    #: published material)
    rate_limit_codes = frozenset({"6"})
    token_error_codes = frozenset({"19"})

    # -- call -------------------------------------------------------------------
    def sign_request(self, method, params, with_token=True):
        app_key, secret = self._credentials()
        wire = {
            "method": method,
            "app_key": app_key,
            "access_token": self._token() if with_token else None,
            "timestamp": cst_format(self._now(), "%Y-%m-%d %H:%M:%S.000+0800"),
            "v": "2.0",
            "360buy_param_json": compact_json(params, sort_keys=False),
        }
        wire = {key: value for key, value in wire.items() if value is not None}
        wire["sign"] = jd_sign(wire, secret)
        return self._gateway(), {"data": wire}

    def parse_answer(self, method, body):
        if not isinstance(body, dict):
            raise ChannelError(f"JD {method}: unexpected answer")
        error = body.get("error_response")
        if isinstance(error, dict):
            message = text(error.get("zh_desc")) or text(error.get("en_desc"))
            self._raise_error(method, text(error.get("code")), message)
        # JD's own spelling: ``..._responce``
        answer = body.get(method.replace(".", "_") + "_responce")
        if not isinstance(answer, dict):
            raise ChannelError(f"JD {method}: no answer")
        for value in answer.values():
            result = value.get("apiResult") if isinstance(value, dict) else None
            if isinstance(result, dict) and result.get("success") is False:
                self._raise_error(
                    method,
                    text(result.get("numberCode")),
                    text(result.get("chineseErrCode"))
                    or text(result.get("englishErrCode")),
                )
        return answer

    def list_orders(self, start, end, page):
        answer = self.call(
            "jingdong.pop.order.search",
            {
                "start_date": cst_format(start),
                "end_date": cst_format(end),
                "order_state": PULL_STATES,
                "optional_fields": OPTIONAL_FIELDS,
                "page": str(page),
                "page_size": str(self.page_size),
            },
        )
        result = _child(answer, "searchorderinfo_result")
        orders = result.get("orderInfoList") or []
        if not isinstance(orders, list):
            raise ChannelError("JD jingdong.pop.order.search: invalid orderInfoList")
        total = int(to_decimal(result.get("orderTotal"), "order total"))
        return orders, self._has_next(page, total)

    # -- payloads ---------------------------------------------------------------
    def extract_orders(self, data):
        if not isinstance(data, dict):
            raise NotAnOrder("not a JD order")
        answer = data.get("jingdong_pop_order_get_responce")
        if isinstance(answer, dict):
            order = _child(answer, "orderDetailInfo").get("orderInfo")
            return [order] if isinstance(order, dict) else []
        answer = data.get("jingdong_pop_order_search_responce")
        if isinstance(answer, dict):
            orders = _child(answer, "searchorderinfo_result").get("orderInfoList")
            return orders if isinstance(orders, list) else []
        if "orderId" in data:
            return [data]
        raise NotAnOrder("not a JD order")

    def external_ref(self, order):
        ref = text(order.get("orderId"))
        if not ref:
            raise NotAnOrder("JD order without orderId")
        return ref

    def is_cancel_event(self, headers, order):
        return text(order.get("orderState")) in CANCELLED

    def modified_time(self, order):
        # modified: 订单更新时间 (CST)
        return cst_text(order.get("modified"))

    def refund_state(self, order):
        # LOCKED 已锁定: JD locks an order while the buyer's cancellation or
        # refund request waits for the seller (the order's end is its state)
        if text(order.get("orderState")) == "LOCKED":
            return REFUND_REQUESTED
        return REFUND_NONE

    def refund_status_text(self, order):
        return f"orderState {text(order.get('orderState'))}"

    def normalize(self, order):
        ref = self.external_ref(order)
        items = self._order_items(order.get("itemInfoList"), "itemInfoList")
        lines = []
        for item in items:
            lines.append(
                self._line(
                    text(item.get("outerSkuId")) or text(item.get("productNo")),
                    [text(item.get("skuName"))],
                    to_decimal(item.get("itemTotal"), "quantity"),
                    yuan(item.get("jdPrice"), "price"),
                    text(item.get("skuId")),
                )
            )
        # 订单货款 orderSellerPrice = orderTotalPrice − sellerDiscount;
        # 应付 orderPayment = 货款 − 用户优惠 − 余额 + 运费 (+ 税费 + 服务费)
        seller_price = yuan(order.get("orderSellerPrice"), "seller price")
        seller_discount = yuan(order.get("sellerDiscount"), "seller discount")
        freight = yuan(order.get("freightPrice"), "freight")
        payment = yuan(order.get("orderPayment"), "payment")
        balance = yuan(order.get("balanceUsed"), "balance")
        # what the buyer paid: the amount due plus his JD balance
        buyer_paid = payment + balance
        # 用户优惠: the discounts JD grants the buyer, settled by JD
        platform_discount = max(seller_price + freight - buyer_paid, Decimal(0))
        consignee = order.get("consigneeInfo")
        consignee = consignee if isinstance(consignee, dict) else {}
        shipping = NormalizedAddress(
            name=text(consignee.get("fullname")),
            street=text(consignee.get("fullAddress")),
            street2=" ".join(
                filter(
                    None, [text(consignee.get("county")), text(consignee.get("town"))]
                )
            ),
            city=text(consignee.get("city")),
            state_name=text(consignee.get("province")),
            country_code="CN",
            phone=text(consignee.get("mobile")) or text(consignee.get("telephone")),
        )
        # payType 1 = 货到付款 (cash on delivery): not paid to the platform
        paid = text(order.get("payType")).split("-", 1)[0] != "1" and bool(
            cst_text(order.get("paymentConfirmTime"))
        )
        return self._order(
            ref,
            lines,
            shipping,
            post_fee=freight,
            seller_discount=seller_discount,
            platform_discount=platform_discount,
            buyer_paid=buyer_paid,
            paid=paid,
            customer_ref=text(order.get("open_id_buyer")),
            note=self._remarks(order.get("orderRemark"), order.get("venderRemark")),
            date_order=cst_text(order.get("orderStartTime")),
            is_cancelled=self.is_cancel_event({}, order),
        )

    # -- push -------------------------------------------------------------------
    def _ship(self, external_ref, company_code, tracking_ref, line_refs):
        """``jingdong.pop.order.shipment`` (SOP 出库): ``logiCoprId`` is JD's
        id of the logistics company, ``logiNo`` the tracking number; JD ships
        whole orders."""
        self.call(
            "jingdong.pop.order.shipment",
            {
                "orderId": external_ref,
                "logiCoprId": company_code,
                "logiNo": tracking_ref,
            },
        )

    def _set_stock(self, ref, quantity):
        """``jingdong.stock.write.updateSkuStock`` of the JD ``skuId``."""
        sku_id = str(ref).strip()
        if not sku_id.isdigit():
            raise PlatformRefusal(f"JD: stock reference {ref!r} is not a skuId")
        self.call(
            "jingdong.stock.write.updateSkuStock",
            {"skuId": int(sku_id), "stockNum": quantity},
        )
