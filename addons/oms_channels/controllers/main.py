import json
import logging

from odoo import http
from odoo.http import request

from ..adapters import ChannelError, NotAnOrder
from ..adapters.base import loads
from ..models.oms_channel import OMS_PULL_CONNECTORS

_logger = logging.getLogger(__name__)

#: largest webhook body processed (bytes); a platform's order is far smaller
WEBHOOK_MAX_BYTES = 2 * 1024 * 1024


class OmsWebhookController(http.Controller):
    @http.route(
        "/oms/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def oms_webhook(self, token, **kwargs):
        """Store a platform's order delivery: 200 stored, 401 bad signature,
        404 unknown token, 400 not an order and 413 larger than
        ``WEBHOOK_MAX_BYTES`` (both kept as failed when signed)."""
        # sudo: public endpoint; the secret token in the URL identifies the channel
        # and the platform's signature authenticates the body below.
        channel = (
            request.env["oms.channel"]
            .sudo()
            .search(
                [
                    ("webhook_token", "=", token),
                    ("connector", "in", OMS_PULL_CONNECTORS),
                ],
                limit=1,
            )
        )
        if not token or not channel:
            return self._answer(404, "unknown channel")
        body = request.httprequest.get_data()
        headers = request.httprequest.headers
        # Bodies are verified byte for byte: platforms post JSON. A form-encoded body
        # is parsed by Odoo before we see it; the only one expected is WooCommerce's
        # unsigned test delivery ("webhook_id=<id>") sent when a webhook is saved.
        if channel.connector == "woocommerce" and (
            body.startswith(b"webhook_id=") or "webhook_id" in request.httprequest.form
        ):
            return self._answer(200, "pong")
        adapter = channel._get_adapter()
        if not adapter.verify_signature(body, headers):
            _logger.warning("webhook of channel %s: bad signature", channel.id)
            return self._answer(401, "bad signature")
        text = body.decode("utf-8", errors="replace")
        # sudo: the public user stores the authenticated body (signature checked above)
        Staged = (
            request.env["oms.channel.order"].sudo().with_company(channel.company_id)
        )
        if len(body) > WEBHOOK_MAX_BYTES:
            _logger.warning(
                "webhook of channel %s: body of %s bytes refused", channel.id, len(body)
            )
            Staged._stage_invalid(
                channel,
                text,
                request.env._(
                    "The delivery is %(size).1f MB, more than the %(limit)s MB a "
                    "webhook accepts: it is not processed. Import the order from a "
                    "file or let the scheduled pull fetch it.",
                    size=len(body) / 1024 / 1024,
                    limit=WEBHOOK_MAX_BYTES // 1024 // 1024,
                ),
            )
            return self._answer(413, "body too large")
        try:
            with request.env.cr.savepoint():
                orders = adapter.orders_of(loads(body))
                staged = Staged.browse()
                for order in orders:
                    staged |= Staged._stage(
                        channel,
                        text if len(orders) == 1 else json.dumps(order),
                        order=order,
                        source="webhook",
                        cancel=adapter.is_cancel_event(headers, order),
                    )
        except (NotAnOrder, ChannelError) as exc:
            Staged._stage_invalid(
                channel,
                text,
                request.env._(
                    "The channel's payload cannot be used: %(error)s", error=str(exc)
                ),
            )
            return self._answer(400, "not an order")
        cron = request.env.ref(
            "oms_channels.ir_cron_oms_channel_order_process", raise_if_not_found=False
        )
        if cron:
            # sudo: only to schedule the processing cron at once (no data access)
            cron.sudo()._trigger()
        return self._answer(200, "stored", staged.ids)

    def _answer(self, status, message, ids=()):
        return request.make_json_response(
            {"status": message, "ids": list(ids)}, status=status
        )
