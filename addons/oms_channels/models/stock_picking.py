import logging

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

from ..adapters.base import PushDocument
from ..tracking import TrackingError

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

OMS_TRACKING_STATUS = [
    ("in_transit", "In Transit"),
    ("out_for_delivery", "Out for Delivery"),
    ("delivered", "Delivered"),
    ("exception", "Exception"),
]
OMS_TRACKING_SUBSCRIPTION_STATE = [
    ("pending", "To Subscribe"),
    ("done", "Subscribed"),
    ("failed", "Failed"),
]


class StockPicking(models.Model):
    """Customer deliveries seen from the channel and the carrier.

    A validated delivery of a channel order is queued for the sync back to its
    channel (carrier, tracking number, shipped lines). When its carrier has a
    tracking provider and it has a tracking number, it also waits for its
    subscription (a stored compute, so a number entered after the validation
    counts too); a cron, triggered at the validation, subscribes it. Failures
    stay on the picking and are retried; they never reach the warehouse user's
    validation. The provider's pushes then set the tracking status
    (:meth:`_oms_apply_tracking_event`).
    """

    _inherit = "stock.picking"

    oms_channel_id = fields.Many2one(
        related="sale_id.oms_channel_id", store=True, string="Channel", index=True
    )
    oms_outbox_ids = fields.One2many(
        "oms.channel.outbox",
        "picking_id",
        string="Sent to the Channel",
        groups="oms_core.group_oms_user",
    )
    # compute_sudo: shown to warehouse users, who do not read the outbox
    oms_channel_sync_state = fields.Selection(
        [("pending", "To Send"), ("done", "Sent"), ("failed", "Failed")],
        string="Channel Sync",
        compute="_compute_oms_channel_sync",
        compute_sudo=True,
        help="Whether the shipment (lines, carrier, tracking) was sent back to the "
        "channel (its document in the channel outbox).",
    )
    oms_channel_sync_error = fields.Text(
        "Channel Sync Error", compute="_compute_oms_channel_sync", compute_sudo=True
    )

    # indexed: each push of the provider finds its deliveries by this number
    carrier_tracking_ref = fields.Char(index="btree_not_null")
    oms_tracking_status = fields.Selection(
        OMS_TRACKING_STATUS,
        string="Carrier Status",
        copy=False,
        readonly=True,
        tracking=True,
        index="btree_not_null",
        help="Where the parcel is, as last reported by the carrier's tracking "
        "provider.",
    )
    oms_tracking_date = fields.Datetime(
        "Last Carrier Scan",
        copy=False,
        readonly=True,
        help="Time of the newest scan applied; older or repeated reports are ignored.",
    )
    oms_tracking_event = fields.Char("Last Carrier Event", copy=False, readonly=True)
    oms_tracking_subscription_state = fields.Selection(
        OMS_TRACKING_SUBSCRIPTION_STATE,
        string="Tracking Subscription",
        compute="_compute_oms_tracking_subscription_state",
        store=True,
        readonly=False,
        copy=False,
        index="btree_not_null",
        help="Whether the carrier's tracking provider follows the parcel.",
    )
    oms_tracking_subscription_error = fields.Text(
        "Tracking Subscription Error", copy=False, readonly=True
    )
    oms_tracking_subscribed_ref = fields.Char(
        "Subscribed Tracking Number",
        copy=False,
        readonly=True,
        help="The tracking number the provider accepted to follow.",
    )

    def _action_done(self):
        """Queue the sync back to the channel and the carrier's tracking."""
        res = super()._action_done()
        self._oms_mark_channel_sync()
        self._oms_trigger_tracking_subscription()
        return res

    @api.depends("oms_outbox_ids.state", "oms_outbox_ids.last_error")
    def _compute_oms_channel_sync(self):
        states = {"pending": "pending", "sent": "done", "failed": "failed"}
        for picking in self:
            outbox = picking.oms_outbox_ids.filtered(lambda r: r.kind == "fulfilment")
            picking.oms_channel_sync_state = states.get(outbox[:1].state, False)
            picking.oms_channel_sync_error = outbox[:1].last_error or False

    def _oms_mark_channel_sync(self):
        """Queue the shipment of each validated customer delivery of a channel
        order in the channel outbox: one document per delivery (a backorder
        makes its own when it ships)."""
        # sudo: queueing is a consequence of the validation; the warehouse user
        # may not read the order, its channel or the outbox
        pickings = (
            self.sudo()
            ._oms_filter_customer_deliveries()
            .filtered(
                lambda p: (
                    p.state == "done"
                    and p.sale_id.oms_external_ref
                    and p.sale_id.oms_channel_id._oms_takes_push("fulfilment")
                    and not p.oms_outbox_ids
                )
            )
        )
        Outbox = self.env["oms.channel.outbox"]
        for picking in pickings:
            order = picking.sale_id
            Outbox._enqueue(
                order, picking._oms_prepare_fulfilment_document(), picking=picking
            )

    def _oms_prepare_fulfilment_document(self):
        """Hook: the shipment sent to the channel: what left the warehouse in
        this delivery (its done move lines, per order line, in the order line's
        unit), the carrier and the tracking number.

        :rtype: :class:`~odoo.addons.oms_channels.adapters.base.PushDocument`
        """
        self.ensure_one()
        order = self.sale_id
        quantities = {}
        for move_line in self.move_line_ids.filtered("quantity"):
            move = move_line.move_id
            line = move.sale_line_id
            if not line:
                continue
            quantity = move_line.product_uom_id._compute_quantity(
                move_line.quantity, line.product_uom
            )
            quantities[line] = quantities.get(line, 0.0) + quantity
        still_to_ship = order._oms_get_customer_deliveries().filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        return PushDocument(
            kind="fulfilment",
            key="",
            external_ref=order.oms_external_ref,
            reference=self.name,
            lines=order.oms_channel_id._oms_push_lines(quantities),
            carrier=self.carrier_id.name or "",
            tracking_ref=self.carrier_tracking_ref or "",
            tracking_url=self.carrier_tracking_url or "",
            is_complete=not still_to_ship,
        )

    def _oms_push_fulfilment(self):
        """Send the shipments of the pickings to their channel now."""
        self.sudo().oms_outbox_ids.action_retry()

    @api.model
    def _cron_push_fulfilments(self, limit=100):
        """Former cron entry point, kept for databases whose cron still calls
        it: the outbox sends everything."""
        return self.env["oms.channel.outbox"]._cron_send(limit=limit)

    def action_oms_push_fulfilment(self):
        self.oms_outbox_ids.action_retry()
        return True

    # -- carrier tracking ----------------------------------------------------------
    @api.depends("state", "carrier_id", "carrier_tracking_ref")
    def _compute_oms_tracking_subscription_state(self):
        """Waiting for the subscription once tracked, unless the provider already
        follows this very number (rewriting the same values subscribes nothing
        twice)."""
        for picking in self:
            if not picking._oms_needs_tracking():
                picking.oms_tracking_subscription_state = False
            elif (
                picking.oms_tracking_subscription_state == "done"
                and picking.oms_tracking_subscribed_ref == picking.carrier_tracking_ref
            ):
                picking.oms_tracking_subscription_state = "done"
            else:
                picking.oms_tracking_subscription_state = "pending"

    def _oms_needs_tracking(self):
        """Whether the picking is a done customer delivery with a tracking number
        of a carrier that has a tracking provider."""
        self.ensure_one()
        return bool(
            self.state == "done"
            and self.carrier_tracking_ref
            and self.carrier_id.oms_tracking_provider not in (False, "none")
            and self._oms_is_customer_delivery()
        )

    def _oms_trigger_tracking_subscription(self):
        """Subscribe the tracking of the validated deliveries soon after (the
        cron makes the call: the validation never waits for the provider)."""
        if any(p.oms_tracking_subscription_state == "pending" for p in self):
            cron = self.env.ref(
                "oms_channels.ir_cron_oms_tracking_subscribe", raise_if_not_found=False
            )
            if cron:
                cron._trigger()

    # -- subscription -----------------------------------------------------------
    def _oms_tracking_subscribe(self):
        """Subscribe each picking at its carrier's tracking provider; a failure is
        kept on the picking (state and message), never raised."""
        for picking in self:
            if not picking._oms_needs_tracking():
                picking.oms_tracking_subscription_state = False
                continue
            if "," in picking.carrier_tracking_ref:
                picking._oms_tracking_subscription_failed(
                    self.env._(
                        "Only one tracking number per delivery can be followed: "
                        "split the delivery into one package per number."
                    )
                )
                continue
            try:
                picking.carrier_id._oms_tracking_subscribe(picking)
            except TrackingError as exc:
                picking._oms_tracking_subscription_failed(str(exc))
                continue
            picking.write(
                {
                    "oms_tracking_subscription_state": "done",
                    "oms_tracking_subscription_error": False,
                    "oms_tracking_subscribed_ref": picking.carrier_tracking_ref,
                }
            )

    def _oms_tracking_subscription_failed(self, error):
        """Keep ``error`` on the pickings; the chatter tells it once per failure."""
        for picking in self:
            if picking.oms_tracking_subscription_state != "failed":
                picking.message_post(
                    body=self.env._(
                        "The carrier's tracking could not be subscribed: %(error)s",
                        error=error,
                    )
                )
            picking.write(
                {
                    "oms_tracking_subscription_state": "failed",
                    "oms_tracking_subscription_error": error,
                }
            )

    @api.model
    def _cron_oms_tracking_subscribe(self, limit=100):
        """Subscribe the deliveries waiting for it and retry the failed ones,
        each claimed once when several workers run (``SKIP LOCKED``)."""
        self.flush_model(["oms_tracking_subscription_state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM stock_picking "
                "WHERE oms_tracking_subscription_state IN ('pending', 'failed') "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                limit,
            )
        )
        pickings = self.browse([row[0] for row in rows])
        pickings._oms_tracking_subscribe()
        return pickings

    def action_oms_tracking_subscribe(self):
        """Button: subscribe (again) the carrier's tracking of the deliveries."""
        self._oms_tracking_subscribe()
        return True

    # -- status reports ------------------------------------------------------------
    def _oms_apply_tracking_event(self, status, date, text):
        """Hook for tracking providers: the carrier scanned the parcel.

        Idempotent: a scan not newer than the last one applied is ignored, so
        repeated and out-of-order reports change nothing. ``delivered`` sets the
        delivered date (``_oms_set_delivered``, which also feeds the order's
        on-time KPI); each new ``exception`` scan opens an exception on the order
        (or updates the open one).

        :param str status: a value of ``oms_tracking_status``, or False when the
            provider's status is unknown (the scan is recorded, the status kept)
        :param datetime date: time of the scan (UTC)
        :param str text: the carrier's description of the scan
        """
        for picking in self:
            if picking.oms_tracking_date and date <= picking.oms_tracking_date:
                continue
            values = {"oms_tracking_date": date, "oms_tracking_event": text}
            if status:
                values["oms_tracking_status"] = status
            picking.write(values)
            if status == "delivered":
                picking._oms_set_delivered(date)
            elif status == "exception":
                picking._oms_open_tracking_exception(text)

    def _oms_open_tracking_exception(self, text):
        """Hook: open an exception on the order of a delivery the carrier reports
        a problem with (one open exception per order, updated by later ones)."""
        self.ensure_one()
        if not self.sale_id:
            return
        self.sale_id._oms_add_exception(
            "tracking_exception",
            reader_text.store(
                _lt(
                    "The carrier reports a problem with delivery %(picking)s "
                    "(tracking number %(number)s): %(event)s"
                ),
                picking=self.name,
                number=self.carrier_tracking_ref,
                event=text,
            ),
        )
