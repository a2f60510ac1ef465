import json
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class OmsTrackingController(http.Controller):
    @http.route(
        "/oms/tracking/kuaidi100/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def oms_tracking_kuaidi100(self, token, **kwargs):
        """A kuaidi100 push (form fields ``param`` and ``sign``) for the carrier of
        ``token`` (``delivery.carrier._oms_kuaidi100_receive_push``): 200 with
        kuaidi100's success answer, 401 bad sign, 404 unknown token."""
        # sudo: public endpoint; the secret token in the URL identifies the
        # carrier and the push's signature authenticates the body. Archived
        # carriers still receive the news of the parcels they carry.
        carrier = (
            request.env["delivery.carrier"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("oms_tracking_token", "=", token),
                    ("oms_tracking_provider", "=", "kuaidi100"),
                ],
                limit=1,
            )
        )
        if not token or not carrier:
            return self._answer(
                404, {"result": False, "returnCode": "404", "message": "unknown"}
            )
        form = request.httprequest.form
        status, answer = carrier._oms_kuaidi100_receive_push(
            form.get("param", ""), form.get("sign", "")
        )
        if status != 200:
            _logger.warning("kuaidi100 push to carrier %s: %s", carrier.id, status)
        return self._answer(status, answer)

    def _answer(self, status, answer):
        """The JSON ``answer`` as kuaidi100 shows it: compact, UTF-8 text."""
        body = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        return request.make_response(
            body.encode(),
            headers=[("Content-Type", "application/json; charset=utf-8")],
            status=status,
        )
