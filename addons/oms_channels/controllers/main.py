import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


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
        """Store a platform's order delivery (``oms.channel._oms_receive_webhook``):
        200 stored, 401 bad signature, 404 unknown token, 400 not an order and
        413 too large (both kept as failed when signed)."""
        # sudo: public endpoint; the secret token in the URL identifies the channel
        # and the platform's signature authenticates the body.
        channel = (
            request.env["oms.channel"]
            .sudo()
            .search([("webhook_token", "=", token)], limit=1)
        )
        if not token or not channel or not channel._adapter_can("can_receive_webhooks"):
            return self._answer(404, "unknown channel")
        body = request.httprequest.get_data()
        status, message, ids = channel._oms_receive_webhook(
            request.httprequest.headers, body, form=request.httprequest.form
        )
        if status in (401, 413):
            _logger.warning(
                "webhook of channel %s: %s (%s bytes)", channel.id, message, len(body)
            )
        answer = channel._get_adapter().webhook_answer(status, message)
        if answer is not None:
            return request.make_json_response(answer, status=status)
        return self._answer(status, message, ids)

    def _answer(self, status, message, ids=()):
        return request.make_json_response(
            {"status": message, "ids": list(ids)}, status=status
        )
