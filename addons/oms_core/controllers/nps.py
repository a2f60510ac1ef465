from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request
from odoo.tools.misc import get_lang


class OmsNpsController(http.Controller):
    """The 0-10 recommendation question of the satisfaction survey sent after a
    delivery: one link per score in the e-mail and on the portal, carrying the
    token of the order's rating (Odoo's rating links carry the same)."""

    @http.route(
        "/oms/nps/<string:token>/<int:score>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def oms_nps_answer(self, token, score, **kwargs):
        if not 0 <= score <= 10:
            raise NotFound()
        # sudo: the token is the customer's proof, as for Odoo's rating links
        rating = (
            request.env["rating.rating"]
            .sudo()
            .search([("access_token", "=", token), ("res_model", "=", "sale.order")])
        )
        order = request.env["sale.order"].sudo().browse(rating.res_id).exists()
        if not rating or not order:
            raise NotFound()
        user = request.env.user
        if (
            not user._is_public()
            and user.partner_id.commercial_partner_id
            != rating.partner_id.commercial_partner_id
        ):
            raise Forbidden()
        order._oms_apply_nps(rating, score)
        lang = rating.partner_id.lang or get_lang(request.env).code
        return (
            request.env["ir.ui.view"]
            .with_context(lang=lang)
            ._render_template(
                "rating.rating_external_page_view",
                {"web_base_url": rating.get_base_url(), "rating": rating},
            )
        )
