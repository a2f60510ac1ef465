"""Taobao/Tmall adapter (开放平台 TOP): trades pulled by modification time with
``taobao.trades.sold.increment.get`` (``taobao.trade.fullinfo.get`` and
``taobao.trades.sold.get`` payloads are read as well), md5-signed calls."""

import json
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
    REFUND_DONE,
    REFUND_NONE,
    REFUND_REQUESTED,
    CnMarketplaceAdapter,
    PlatformRefusal,
    cst_format,
    cst_text,
    top_sign,
    yuan,
)

#: trade statuses of TOP (``Trade.status``)
AWAITING_PAYMENT = {
    "TRADE_NO_CREATE_PAY",
    "WAIT_BUYER_PAY",
    "PAY_PENDING",
    "WAIT_PRE_AUTH_CONFIRM",
}
CLOSED = {"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"}
#: ``Order.refund_status`` of an open refund request (退款申请中); ``SUCCESS``
#: refunded; ``SELLER_REFUSE_BUYER``, ``CLOSED`` and ``NO_REFUND`` none
REFUND_OPEN = {
    "WAIT_SELLER_AGREE",
    "WAIT_BUYER_RETURN_GOODS",
    "WAIT_SELLER_CONFIRM_GOODS",
}
#: the trade fields asked for by the pull (``fields`` is required by TOP)
TRADE_FIELDS = (
    "tid,status,type,created,pay_time,modified,total_fee,discount_fee,adjust_fee,"
    "post_fee,payment,buyer_open_uid,buyer_message,receiver_name,receiver_state,"
    "receiver_city,receiver_district,receiver_town,receiver_address,receiver_zip,"
    "receiver_mobile,receiver_phone,oaid,seller_memo,orders"
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
    #: ``taobao.trades.sold.increment.get``: windows of at most a day, 30
    #: minutes recommended; 40 to 50 trades per page recommended (≤ 100)
    window = timedelta(minutes=30)
    page_size = 50
    reverse_pages = True
    #: ``taobao.logistics.offline.send`` splits a trade (``is_split``/``sub_tid``)
    can_ship_partially = True
    #: ``taobao.skus.quantity.update``: at most 20 SKUs of one item per call
    skus_per_call = 20
    #: TOP ``error_response.code``: 7 App Call Limited; 26/27 session missing or
    #: invalid (general TOP codes, not part of the fixtures' published material)
    rate_limit_codes = frozenset({"7"})
    token_error_codes = frozenset({"26", "27"})

    # -- call -------------------------------------------------------------------
    def sign_request(self, method, params, with_token=True):
        app_key, secret = self._credentials()
        wire = {
            "method": method,
            "app_key": app_key,
            "session": self._token() if with_token else None,
            "timestamp": cst_format(self._now()),
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            **{key: str(value) for key, value in params.items()},
        }
        wire = {key: value for key, value in wire.items() if value is not None}
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

    def list_changed(self, start, end, page):
        """``taobao.trades.sold.increment.get``: the trades modified in the
        window (``start_modified``/``end_modified``, at most a day apart; 30
        minutes recommended), read from the last page back as documented."""
        answer = self.call(
            "taobao.trades.sold.increment.get",
            {
                "fields": TRADE_FIELDS,
                "start_modified": cst_format(start),
                "end_modified": cst_format(end),
                "page_no": page,
                "page_size": self.page_size,
            },
        )
        trades = _listed(answer.get("trades"), "trade") if answer.get("trades") else []
        return trades, int(to_decimal(answer.get("total_results"), "total_results"))

    # -- payloads ---------------------------------------------------------------
    def extract_orders(self, data, empty=False):
        if not isinstance(data, dict):
            raise NotAnOrder("not a Taobao trade")
        if isinstance(data.get("trade_fullinfo_get_response"), dict):
            trade = data["trade_fullinfo_get_response"].get("trade")
            return [trade] if isinstance(trade, dict) else []
        for key in (
            "trades_sold_get_response",
            "trades_sold_increment_get_response",
        ):
            answer = data.get(key)
            if isinstance(answer, dict):
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

    def modified_time(self, order):
        # Trade.modified: 交易修改时间 (CST)
        return cst_text(order.get("modified"))

    def is_cancel_event(self, headers, order):
        return text(order.get("status")) in CLOSED

    def refund_state(self, order):
        statuses = [
            text(item.get("refund_status"))
            for item in _listed(order.get("orders"), "order")
            if isinstance(item, dict)
        ]
        if any(status in REFUND_OPEN for status in statuses):
            return REFUND_REQUESTED
        if statuses and all(status == "SUCCESS" for status in statuses):
            return REFUND_DONE
        return REFUND_NONE

    def _refund_items(self, order):
        return [
            item
            for item in _listed(order.get("orders"), "order")
            if isinstance(item, dict)
            and text(item.get("refund_status")) in REFUND_OPEN | {"SUCCESS"}
        ]

    def lines_refund_state(self, order):
        statuses = {
            text(item.get("refund_status")) for item in self._refund_items(order)
        }
        if statuses & REFUND_OPEN:
            return REFUND_REQUESTED
        return REFUND_DONE if statuses else REFUND_NONE

    def refund_line_refs(self, order):
        return {
            text(item.get("oid_str")) or text(item.get("oid"))
            for item in self._refund_items(order)
        }

    def refund_status_text(self, order):
        return ", ".join(
            sorted(
                {text(item.get("refund_status")) for item in self._refund_items(order)}
            )
        )

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
                    text(item.get("oid_str")) or text(item.get("oid")),
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
            note=self._remarks(order.get("buyer_message"), order.get("seller_memo")),
            date_order=cst_text(order.get("created")),
            is_cancelled=status in CLOSED,
        )

    # -- push -------------------------------------------------------------------
    def _ship(self, external_ref, company_code, tracking_ref, line_refs):
        """``taobao.logistics.offline.send`` (自己联系物流): the sub-orders of
        a partial shipment in ``sub_tid`` with ``is_split=1``."""
        params = {"tid": external_ref, "out_sid": tracking_ref}
        params["company_code"] = company_code
        if line_refs:
            params["is_split"] = 1
            params["sub_tid"] = ",".join(ref for ref, _quantity in line_refs)
        answer = self.call("taobao.logistics.offline.send", params)
        shipping = answer.get("shipping")
        self._check_success(
            "taobao.logistics.offline.send",
            shipping if isinstance(shipping, dict) else {},
        )

    def _stock_chunks(self, sku_quantities):
        """One chunk per item (``num_iid``) of at most :attr:`skus_per_call`
        SKUs: ``taobao.skus.quantity.update`` updates the SKUs of one item."""
        by_item = {}
        for ref, quantity in sku_quantities.items():
            item, sku = str(ref).partition(":")[::2]
            by_item.setdefault((item, bool(sku)), {})[ref] = quantity
        for (_item, has_sku), quantities in by_item.items():
            refs = list(quantities)
            size = self.skus_per_call if has_sku else 1
            for start in range(0, len(refs), size):
                yield {ref: quantities[ref] for ref in refs[start : start + size]}

    def _push_stock_chunk(self, chunk):
        """The SKUs of one item in one ``taobao.skus.quantity.update`` (full
        update, ``type=1``); an item without SKUs with
        ``taobao.item.quantity.update``. Stock references are ``num_iid:sku_id``
        (or ``num_iid``)."""
        try:
            pairs = [
                (*self._split_ref(ref, "stock reference"), max(int(qty), 0))
                for ref, qty in chunk.items()
            ]
            item = pairs[0][0]
            if len(pairs) == 1 and not pairs[0][1]:
                self.call(
                    "taobao.item.quantity.update",
                    {"num_iid": item, "quantity": pairs[0][2], "type": 1},
                )
            else:
                self.call(
                    "taobao.skus.quantity.update",
                    {
                        "num_iid": item,
                        "skuid_quantities": ";".join(
                            f"{sku}:{quantity}" for _item, sku, quantity in pairs
                        ),
                        "type": 1,
                    },
                )
        except PlatformRefusal as exc:
            return dict.fromkeys(chunk, str(exc))
        return {}

    def _refresh_token(self, refresh_token):
        """``taobao.top.auth.token.refresh``: the new token is a JSON text in
        ``token_result`` (only apps sold on the service market can refresh)."""
        answer = self.call(
            "taobao.top.auth.token.refresh",
            {"refresh_token": refresh_token},
            with_token=False,
        )
        result = answer.get("token_result")
        if isinstance(result, str):
            try:
                result = json.loads(result)
            except ValueError as exc:
                raise ChannelError(
                    "Taobao token refresh: invalid token_result"
                ) from exc
        return result if isinstance(result, dict) else {}
