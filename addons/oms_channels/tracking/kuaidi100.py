"""快递100 (kuaidi100) subscription tracking, in plain Python (no ORM).

Two calls make up the protocol (kuaidi100's official SDK demos):

- **subscribe**: a form ``POST`` of ``schema=json`` and ``param`` (a JSON object with
  ``company``, ``number``, ``from``, ``to``, the account's authorisation ``key`` and
  ``parameters`` with the ``callbackurl`` and a ``salt``) to ``SUBSCRIBE_URL``. The
  request itself carries no signature: the ``key`` in ``param`` authenticates it.
  The answer is ``{"result", "returnCode", "message"}``.
- **push**: kuaidi100 then form-posts ``param`` (JSON) and ``sign`` to the callback
  URL at every change of the parcel; ``sign = UPPER(MD5(param + salt))`` over the
  form value exactly as received. The callback answers :data:`PUSH_ACK` (otherwise
  kuaidi100 retries the push three times, about 35 minutes apart).

Times in a push are China Standard Time (UTC+8) ``YYYY-MM-DD HH:MM:SS`` strings.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import requests

from . import TrackingError

SUBSCRIBE_URL = "https://poll.kuaidi100.com/poll"
TIMEOUT = 20  # seconds
#: what the callback answers to a push it accepted (kuaidi100 retries otherwise)
PUSH_ACK = {"result": True, "returnCode": "200", "message": "成功"}
#: kuaidi100's clock: Beijing time, without daylight saving
CHINA_TZ = timezone(timedelta(hours=8))

#: ``lastResult.state`` of a push -> our tracking status (``None``: unchanged)
STATE_STATUS = {
    "0": "in_transit",  # 在途
    "1": "in_transit",  # 揽收 (picked up)
    "2": "exception",  # 疑难 (problem)
    "3": "delivered",  # 签收 (signed for)
    "4": "exception",  # 退签 (refused / signed for by the sender)
    "5": "out_for_delivery",  # 派件
    "6": "exception",  # 退回 (returned to sender)
    "7": "in_transit",  # 转投 (forwarded to another carrier)
}


class Kuaidi100Error(TrackingError):
    """kuaidi100 refused the call or could not be reached (message is user-facing)."""


def sign(param, salt):
    """``UPPER(MD5(param + salt))``: the signature of a push's ``param``.

    :param str param: the ``param`` form value exactly as sent
    :param str salt: the salt given at subscription
    :rtype: str
    """
    return hashlib.md5((param + salt).encode()).hexdigest().upper()


def verify(param, signature, salt):
    """True when ``signature`` is the push signature of ``param`` (constant time)."""
    if not (param and signature and salt):
        return False
    return hmac.compare_digest(sign(param, salt), signature.strip().upper())


def subscribe_form(
    company, number, key, callback_url, salt, ship_from="", ship_to="", phone=""
):
    """The form fields of a subscription, ``param`` serialised as kuaidi100's
    demos do (compact JSON, UTF-8 text, fields in the documented order).

    :param str company: kuaidi100 company code of the carrier, e.g. ``yuantong``
    :param str number: the tracking number
    :param str key: the account's authorisation key (授权key)
    :param str callback_url: where kuaidi100 posts the pushes
    :param str salt: 32 characters; kuaidi100 signs the pushes with it
    :param str ship_from: origin as province, city and district text (optional)
    :param str ship_to: destination, same form (optional)
    :param str phone: receiver's phone or its last 4 digits (SF Express needs it)
    :return: ``{"schema": "json", "param": "<JSON>"}``
    :rtype: dict
    """
    param = {"company": company, "number": number}
    if ship_from:
        param["from"] = ship_from
    if ship_to:
        param["to"] = ship_to
    param["key"] = key
    parameters = {
        "callbackurl": callback_url,
        "salt": salt,
        "resultv2": "1",
        "autoCom": "0",
        "interCom": "0",
    }
    if phone:
        parameters["phone"] = phone
    param["parameters"] = parameters
    return {
        "schema": "json",
        "param": json.dumps(param, ensure_ascii=False, separators=(",", ":")),
    }


def subscribe(form, url=None, session=None, timeout=TIMEOUT):
    """Post a subscription (:func:`subscribe_form`) and check kuaidi100's answer.

    :param dict form: the form fields
    :param str url: the endpoint (default :data:`SUBSCRIBE_URL`)
    :return: kuaidi100's answer ``{"result": true, "returnCode": "200", ...}``
    :rtype: dict
    :raise Kuaidi100Error: unreachable, HTTP error, or ``result`` false (with
        kuaidi100's ``returnCode`` and ``message``)
    """
    url = url or SUBSCRIBE_URL
    try:
        response = (session or requests).post(url, data=form, timeout=timeout)
    except requests.RequestException as exc:
        raise Kuaidi100Error(f"kuaidi100 cannot be reached: {exc}") from exc
    if response.status_code >= 400:
        raise Kuaidi100Error(f"kuaidi100 answered HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise Kuaidi100Error("kuaidi100 answered something that is not JSON") from exc
    if not isinstance(answer, dict):
        raise Kuaidi100Error("kuaidi100 answered something that is not JSON")
    if answer.get("result") is not True:
        raise Kuaidi100Error(
            f"kuaidi100 refused the subscription: {answer.get('returnCode', '')} "
            f"{answer.get('message', '')}".strip()
        )
    return answer


@dataclass
class TrackingEvent:
    """One scan of the parcel."""

    date: datetime  # UTC, naive (as Odoo stores datetimes)
    text: str
    status: str = ""  # kuaidi100's own status name (resultv2), e.g. 在途


@dataclass
class TrackingPush:
    """What a push says about one parcel."""

    poll_status: str  # polling / shutdown / abort / updateall
    message: str
    company: str
    number: str
    state: str  # kuaidi100 lastResult.state
    events: list = field(default_factory=list)  # newest first

    @property
    def status(self):
        """Our tracking status (:data:`STATE_STATUS`), or None when unknown."""
        return STATE_STATUS.get(self.state)

    @property
    def last_event(self):
        return self.events[0] if self.events else None


def parse_time(value):
    """UTC naive datetime of a kuaidi100 time (China time, ``%Y-%m-%d %H:%M:%S``)."""
    local = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    return local.replace(tzinfo=CHINA_TZ).astimezone(UTC).replace(tzinfo=None)


def _text(value):
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def parse_push(param):
    """:class:`TrackingPush` of a push's ``param`` JSON.

    :raise ValueError: not a kuaidi100 push (no JSON object, no ``lastResult``
        with a number, an unreadable scan time)
    """
    data = json.loads(param)
    if not isinstance(data, dict):
        raise ValueError("the push is not a JSON object")
    result = data.get("lastResult")
    if not isinstance(result, dict) or not _text(result.get("nu")):
        raise ValueError("the push has no lastResult with a tracking number")
    events = []
    for item in result.get("data") or []:
        if not isinstance(item, dict):
            raise ValueError("a scan of the push is not an object")
        when = _text(item.get("ftime")) or _text(item.get("time"))
        events.append(
            TrackingEvent(
                date=parse_time(when),
                text=_text(item.get("context")),
                status=_text(item.get("status")),
            )
        )
    events.sort(key=lambda event: event.date, reverse=True)
    return TrackingPush(
        poll_status=_text(data.get("status")),
        message=_text(data.get("message")),
        company=_text(result.get("com")),
        number=_text(result.get("nu")),
        state=_text(result.get("state")),
        events=events,
    )
