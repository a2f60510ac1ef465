import logging
import re
import secrets

from odoo import api, fields, models

from ..tracking import TrackingError, kuaidi100

_logger = logging.getLogger(__name__)

OMS_TRACKING_PROVIDER = [
    ("none", "None"),
    ("kuaidi100", "kuaidi100"),
]
#: status and answer of a push whose signature is wrong
PUSH_BAD_SIGN = (401, {"result": False, "returnCode": "401", "message": "bad sign"})
#: status and answer of a signed push that is not a kuaidi100 push
PUSH_NOT_TRACKING = (
    400,
    {"result": False, "returnCode": "400", "message": "not a push"},
)


class DeliveryCarrier(models.Model):
    """Tracking provider of a carrier: who tells us where its parcels are.

    Providers plug in like Odoo's shipping providers: a value of
    ``oms_tracking_provider`` and methods named after it
    (``_oms_<provider>_subscribe``), dispatched by :meth:`_oms_tracking_subscribe`.
    The provider posts its status changes to ``/oms/tracking/<provider>/<token>``.
    """

    _inherit = "delivery.carrier"

    oms_tracking_provider = fields.Selection(
        OMS_TRACKING_PROVIDER,
        string="Tracking Provider",
        default="none",
        help="Service that follows the carrier's parcels once a delivery is "
        "validated and reports in transit, out for delivery, delivered or a "
        "problem.",
    )
    oms_tracking_api_url = fields.Char(
        "Tracking API URL",
        help="Leave empty to use the provider's own address.",
    )
    oms_tracking_token = fields.Char(
        "Tracking Callback Token",
        compute="_compute_oms_tracking_token",
        store=True,
        readonly=True,
        copy=False,
        groups="oms_core.group_oms_manager",
    )
    oms_tracking_callback_url = fields.Char(
        "Tracking Callback URL",
        compute="_compute_oms_tracking_callback_url",
        groups="oms_core.group_oms_manager",
        help="Where the provider posts the status changes of the parcels.",
    )
    oms_kuaidi100_key = fields.Char(
        "kuaidi100 Key",
        copy=False,
        groups="oms_core.group_oms_manager",
        help="Authorisation key (授权key) of the kuaidi100 enterprise account.",
    )
    oms_kuaidi100_salt = fields.Char(
        "kuaidi100 Salt",
        compute="_compute_oms_kuaidi100_salt",
        store=True,
        readonly=True,
        copy=False,
        groups="oms_core.group_oms_manager",
        help="Secret sent with each subscription; kuaidi100 signs its pushes with it.",
    )
    oms_logistics_code_ids = fields.One2many(
        "oms.logistics.code",
        "carrier_id",
        string="Marketplace Codes",
        groups="oms_core.group_oms_user",
        help="The code of this carrier on each marketplace, sent with the ship "
        "confirmation of its deliveries.",
    )
    oms_kuaidi100_company = fields.Char(
        "kuaidi100 Company Code",
        help="kuaidi100's code of this carrier, in lower case (yuantong, zhongtong, "
        "shunfeng, ems...).",
    )

    _sql_constraints = [
        (
            "oms_tracking_token_uniq",
            "unique(oms_tracking_token)",
            "Tracking callback tokens must be unique.",
        ),
    ]

    @api.depends("oms_tracking_provider")
    def _compute_oms_tracking_token(self):
        """A secret token once the carrier has a provider (never changed after)."""
        for carrier in self:
            if (
                carrier.oms_tracking_provider not in (False, "none")
                and not carrier.oms_tracking_token
            ):
                carrier.oms_tracking_token = secrets.token_urlsafe(24)
            else:
                carrier.oms_tracking_token = carrier.oms_tracking_token

    @api.depends("oms_tracking_provider")
    def _compute_oms_kuaidi100_salt(self):
        """32 random characters once the carrier uses kuaidi100."""
        for carrier in self:
            if carrier.oms_tracking_provider == "kuaidi100" and not (
                carrier.oms_kuaidi100_salt
            ):
                carrier.oms_kuaidi100_salt = secrets.token_hex(16)
            else:
                carrier.oms_kuaidi100_salt = carrier.oms_kuaidi100_salt

    @api.depends("oms_tracking_provider", "oms_tracking_token")
    def _compute_oms_tracking_callback_url(self):
        base = self.get_base_url()
        for carrier in self:
            carrier.oms_tracking_callback_url = (
                carrier.oms_tracking_provider not in (False, "none")
                and carrier.oms_tracking_token
                and (
                    f"{base}/oms/tracking/{carrier.oms_tracking_provider}/"
                    f"{carrier.oms_tracking_token}"
                )
            )

    # -- subscription -----------------------------------------------------------
    def _oms_tracking_subscribe(self, picking):
        """Hook: ask the carrier's tracking provider to follow the parcel of a
        validated delivery; dispatched to ``_oms_<provider>_subscribe(picking)``.

        :param picking: the done delivery (stock.picking) with its tracking number
        :raise TrackingError: the provider refused or could not be reached
            (the picking keeps the message and the cron retries)
        """
        self.ensure_one()
        method = getattr(self, f"_oms_{self.oms_tracking_provider}_subscribe", None)
        if not method:
            raise TrackingError(
                self.env._(
                    "The carrier %(carrier)s has no tracking provider.",
                    carrier=self.display_name,
                )
            )
        method(picking)

    def _oms_kuaidi100_subscribe(self, picking):
        """Subscribe the tracking number of ``picking`` at kuaidi100."""
        self.ensure_one()
        # sudo: the key and the salt are manager-only; validation and the cron
        # run as warehouse users. They are sent to kuaidi100 only, never logged.
        carrier = self.sudo()
        if not (carrier.oms_kuaidi100_key and carrier.oms_kuaidi100_company):
            raise TrackingError(
                self.env._(
                    "The carrier %(carrier)s needs its kuaidi100 key and company code.",
                    carrier=self.display_name,
                )
            )
        origin = (
            picking.picking_type_id.warehouse_id.partner_id
            or picking.company_id.partner_id
        )
        form = kuaidi100.subscribe_form(
            carrier.oms_kuaidi100_company,
            picking.carrier_tracking_ref,
            carrier.oms_kuaidi100_key,
            carrier.oms_tracking_callback_url,
            carrier.oms_kuaidi100_salt,
            ship_from=self._oms_tracking_place(origin),
            ship_to=self._oms_tracking_place(picking.partner_id),
            phone=self._oms_tracking_phone(picking.partner_id),
        )
        kuaidi100.subscribe(form, url=carrier.oms_tracking_api_url or None)

    @api.model
    def _oms_tracking_place(self, partner):
        """Province and city of ``partner`` as one text (``浙江省杭州市西湖区``),
        which helps the provider decide when the parcel is delivered."""
        return "".join(filter(None, [partner.state_id.name, partner.city]))

    @api.model
    def _oms_tracking_phone(self, partner):
        """The last 4 digits of the receiver's phone (SF Express asks for them);
        the full number is never sent."""
        return re.sub(r"\D", "", partner.phone or partner.mobile or "")[-4:]

    # -- pushes -------------------------------------------------------------------
    def _oms_kuaidi100_receive_push(self, param, signature):
        """Apply a kuaidi100 push to the deliveries of its tracking number.

        The caller found the carrier by its secret callback token.

        :param str param: the ``param`` form value exactly as received
        :param str signature: the ``sign`` form value
        :return: (HTTP status, JSON answer): 200 and :data:`kuaidi100.PUSH_ACK`
            when accepted (also for a number no delivery has, so kuaidi100 stops
            retrying it), 401 on a wrong signature, 400 for a signed body that is
            not a push
        :rtype: tuple
        """
        self.ensure_one()
        if not kuaidi100.verify(param, signature, self.sudo().oms_kuaidi100_salt):
            return PUSH_BAD_SIGN
        try:
            push = kuaidi100.parse_push(param)
        except ValueError as exc:
            _logger.warning("kuaidi100 push to carrier %s unusable: %s", self.id, exc)
            return PUSH_NOT_TRACKING
        pickings = self.env["stock.picking"].search(
            [
                ("carrier_id", "=", self.id),
                ("carrier_tracking_ref", "=", push.number),
                ("state", "=", "done"),
            ]
        )
        if not pickings:
            _logger.info(
                "kuaidi100 push for carrier %s: no delivery has that number", self.id
            )
        for picking in pickings:
            picking = picking.with_company(picking.company_id)
            event = push.last_event
            if event:
                picking._oms_apply_tracking_event(push.status, event.date, event.text)
            if push.poll_status == "abort":
                picking._oms_tracking_subscription_failed(
                    self.env._(
                        "kuaidi100 stopped following the parcel: %(message)s",
                        message=push.message,
                    )
                )
        return 200, kuaidi100.PUSH_ACK
