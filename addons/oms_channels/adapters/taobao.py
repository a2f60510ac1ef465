"""Taobao/Tmall adapter (开放平台 TOP): trades pulled with ``taobao.trades.sold.get``
(``taobao.trade.fullinfo.get`` payloads are read as well), md5-signed calls."""

from decimal import Decimal

from .base import (
    ChannelError,
    NormalizedAddress,
    NotAnOrder,
    text,
    to_decimal,
)
from .cn_base import CnMarketplaceAdapter, cst_format, cst_text, top_sign, yuan

#: trade statuses of TOP (``Trade.status``)
AWAITING_PAYMENT = {
    "TRADE_NO_CREATE_PAY",
    "WAIT_BUYER_PAY",
    "PAY_PENDING",
    "WAIT_PRE_AUTH_CONFIRM",
}
CLOSED = {"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"}
#: the trade fields asked for by the pull (``fields`` is required by TOP)
TRADE_FIELDS = (
    "tid,status,type,created,pay_time,modified,total_fee,discount_fee,adjust_fee,"
    "post_fee,payment,buyer_open_uid,buyer_message,receiver_name,receiver_state,"
    "receiver_city,receiver_district,receiver_town,receiver_address,receiver_zip,"
    "receiver_mobile,receiver_phone,oaid,orders"
)


def _listed(value, key):
    """A TOP list: ``{"order": [...]}`` (plain JSON) or ``[...]`` (simplify)."""
    if isinstance(value, dict):
        value = value.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ChannelError(f"invalid {key} list: {value!r}")
    return value


class TaobaoAdapter(CnMarketplaceAdapter):
    platform = "Taobao"
    gateway = "https://gw.api.taobao.com/router/rest"
    page_size = 100
    #: TOP ``error_response.code``: 7 App Call Limited; 26/27 session missing or
    #: invalid (general TOP codes, not part of the fixtures' published material)
    rate_limit_codes = frozenset({"7"})
    token_error_codes = frozenset({"26", "27"})

    # -- call -------------------------------------------------------------------
    def sign_request(self, method, params):
        app_key, secret = self._credentials()
        wire = {
            "method": method,
            "app_key": app_key,
            "session": self._token(),
            "timestamp": cst_format(self._now()),
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            **{key: str(value) for key, value in params.items()},
        }
        wire["sign"] = top_sign(wire, secret)
        return self._gateway(), {"data": wire}

    def parse_answer(self, method, body):
        if not isinstance(body, dict):
            raise ChannelError(f"Taobao {method}: unexpected answer")
        error = body.get("error_response")
        if isinstance(error, dict):
            message = " / ".join(
                filter(None, [text(error.get("msg")), text(error.get("sub_msg"))])
            )
            self._raise_error(method, text(error.get("code")), message)
        key = method.split(".", 1)[-1].replace(".", "_") + "_response"
        answer = body.get(key)
        if not isinstance(answer, dict):
            raise ChannelError(f"Taobao {method}: no {key} in the answer")
        return answer

    def list_orders(self, start, end, page):
        answer = self.call(
            "taobao.trades.sold.get",
            {
                "fields": TRADE_FIELDS,
                "start_created": cst_format(start),
                "end_created": cst_format(end),
                "page_no": page,
                "page_size": self.page_size,
                "use_has_next": "true",
            },
        )
        return self.extract_orders({"trades_sold_get_response": answer}, empty=True), (
            answer.get("has_next") is True
        )

    # -- payloads ---------------------------------------------------------------
    def extract_orders(self, data, empty=False):
        if not isinstance(data, dict):
            raise NotAnOrder("not a Taobao trade")
        if isinstance(data.get("trade_fullinfo_get_response"), dict):
            trade = data["trade_fullinfo_get_response"].get("trade")
            return [trade] if isinstance(trade, dict) else []
        if isinstance(data.get("trades_sold_get_response"), dict):
            answer = data["trades_sold_get_response"]
            if empty and not answer.get("trades"):
                return []
            return _listed(answer.get("trades"), "trade")
        if "tid" in data or "tid_str" in data:
            return [data]
        raise NotAnOrder("not a Taobao trade")

    def external_ref(self, order):
        ref = text(order.get("tid_str")) or text(order.get("tid"))
        if not ref or not ref.isdigit():
            raise NotAnOrder("Taobao trade without tid")
        return ref

    def is_awaiting_payment(self, order):
        return text(order.get("status")) in AWAITING_PAYMENT

    def is_cancel_event(self, headers, order):
        return text(order.get("status")) in CLOSED

    def normalize(self, order):
        ref = self.external_ref(order)
        items = self._order_items(_listed(order.get("orders"), "order"), "orders")
        lines, line_discounts = [], Decimal(0)
        for item in items:
            quantity = to_decimal(item.get("num"), "quantity")
            # Order.total_fee = price × num + adjust_fee − discount_fee
            line_discounts += yuan(item.get("discount_fee"), "discount") - yuan(
                item.get("adjust_fee"), "adjustment"
            )
            lines.append(
                self._line(
                    text(item.get("outer_sku_id")) or text(item.get("outer_iid")),
                    [text(item.get("title")), text(item.get("sku_properties_name"))],
                    quantity,
                    yuan(item.get("price"), "price"),
                    text(item.get("sku_id")) or text(item.get("num_iid")),
                )
            )
        # Trade.discount_fee: the order-level promotions (shared out to the
        # orders as part_mjz_discount); every TOP discount here is the seller's
        seller_discount = line_discounts + yuan(order.get("discount_fee"), "discount")
        post_fee = yuan(order.get("post_fee"), "post fee")
        payment = yuan(order.get("payment"), "payment")
        status = text(order.get("status"))
        shipping = NormalizedAddress(
            name=text(order.get("receiver_name")),
            street=text(order.get("receiver_address")),
            street2=" ".join(
                filter(
                    None,
                    [
                        text(order.get("receiver_district")),
                        text(order.get("receiver_town")),
                    ],
                )
            ),
            city=text(order.get("receiver_city")),
            zip=text(order.get("receiver_zip")),
            state_name=text(order.get("receiver_state")),
            country_code="CN",
            phone=text(order.get("receiver_mobile"))
            or text(order.get("receiver_phone")),
        )
        paid = status not in AWAITING_PAYMENT and bool(text(order.get("pay_time")))
        return self._order(
            ref,
            lines,
            shipping,
            post_fee=post_fee,
            seller_discount=seller_discount,
            buyer_paid=payment,
            paid=paid,
            customer_ref=text(order.get("buyer_open_uid")),
            note=text(order.get("buyer_message")),
            date_order=cst_text(order.get("created")),
            is_cancelled=status in CLOSED,
        )
