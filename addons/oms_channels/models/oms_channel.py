import json
import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

from ..adapters import (
    ChannelError,
    DouyinAdapter,
    FileAdapter,
    JdAdapter,
    NotAnOrder,
    PinduoduoAdapter,
    RestJsonAdapter,
    ShopifyAdapter,
    TaobaoAdapter,
    WooCommerceAdapter,
)
from ..adapters.base import ChannelHTTPError, PushLine, loads
from ..adapters.cn_base import REFUND_DONE, REFUND_NONE, REFUND_REQUESTED, TokenError
from ..intake.mapper import OrderMapper

_logger = logging.getLogger(__name__)
_lt = LazyTranslate("oms_channels")

OMS_CHANNEL_KIND = [
    ("web_shop", "Web shop"),
    ("marketplace", "Marketplace"),
    ("store", "Store"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("sales_rep", "Sales representative"),
    ("api", "API"),
]
OMS_CHANNEL_CONNECTOR = [
    ("manual", "Manual entry"),
    ("shopify", "Shopify"),
    ("woocommerce", "WooCommerce"),
    ("rest_json", "REST-JSON"),
    ("file", "File upload"),
    ("taobao", "Taobao / Tmall"),
    ("jd", "JD"),
    ("pinduoduo", "Pinduoduo"),
    ("douyin", "Douyin Shop"),
]
OMS_CHANNEL_SYNC_STATE = [
    ("ok", "Succeeded"),
    ("failed", "Failed"),
]
#: Chinese marketplaces (default gateway, time-window pull, access token)
OMS_CN_CONNECTORS = ("taobao", "jd", "pinduoduo", "douyin")
#: why a call to the platform got no answer (``ChannelHTTPError.reason``)
OMS_NETWORK_FAILURE_TEXT = {
    "timeout": _lt("it did not answer in time"),
    "refused": _lt(
        "the connection was refused (check the API URL and that the shop is up)"
    ),
    "dns": _lt("the host name is unknown (check the API URL)"),
    "tls": _lt("the secure connection (TLS) failed"),
    "network": _lt("network error"),
}
#: what an HTTP status of the platform means for the person reading it
OMS_HTTP_STATUS_HINT = {
    401: _lt("The API key or access token was refused."),
    403: _lt("The credentials may not do this."),
    404: _lt("Nothing is at this address: check the API URL."),
    429: _lt("Too many calls: it is tried again later."),
}
#: most staged orders a "Process Now" of a channel imports while the user waits
OMS_PROCESS_NOW_LIMIT = 200
#: largest webhook body processed (bytes); a platform's order is far smaller
WEBHOOK_MAX_BYTES = 2 * 1024 * 1024


class OmsChannel(models.Model):
    _name = "oms.channel"
    _description = "Sales Channel"
    _inherit = ["mail.thread", "mail.alias.mixin.optional"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        OMS_CHANNEL_KIND, required=True, default="web_shop", tracking=True
    )
    connector = fields.Selection(
        OMS_CHANNEL_CONNECTOR, required=True, default="manual", tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        tracking=True,
        help="Odoo's sales channel dimension: orders of this channel belong to this "
        "team, so the sales reports group by channel.",
    )
    warehouse_id = fields.Many2one("stock.warehouse", check_company=True)
    source_warehouse_ids = fields.Many2many(
        "stock.warehouse",
        "oms_channel_source_warehouse_rel",
        "channel_id",
        "warehouse_id",
        string="Ship From Warehouses",
        check_company=True,
        help="Only these of the company's Ship From Warehouses may ship the "
        "channel's orders (besides the order's own). Empty: all of them.",
    )
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    fiscal_position_id = fields.Many2one("account.fiscal.position", check_company=True)
    payment_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        compute="_compute_payment_journal_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Journal of the payments the platform has already collected; the "
        "company's bank journal is proposed. Without it, paid orders are "
        "imported all the same and their payment waits here for the accountant.",
    )
    tax_mapping_ids = fields.One2many(
        "oms.channel.tax",
        "channel_id",
        help="The platform's taxes (title and rate) and the company's taxes "
        "they stand for.",
    )
    carrier_id = fields.Many2one(
        "delivery.carrier",
        string="Shipping Method",
        check_company=False,
        help="Delivery method used for the shipping lines of the channel's orders.",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", check_company=True)
    auto_confirm = fields.Boolean(
        help="Confirm the channel's orders automatically when the review finds nothing."
    )
    stock_buffer = fields.Float(
        digits="Product Unit of Measure",
        help="Quantity kept back from the stock published to the channel.",
    )
    api_url = fields.Char("API URL")
    api_key = fields.Char("API Key", groups="oms_core.group_oms_manager", copy=False)
    api_secret = fields.Char(
        "API Secret",
        groups="oms_core.group_oms_manager",
        copy=False,
        help="Shared secret of the webhook signatures (Shopify app client secret, "
        "WooCommerce webhook secret, REST-JSON signing key).",
    )
    api_token = fields.Char(
        "Access Token",
        groups="oms_core.group_oms_manager",
        copy=False,
        help="The shop's access token granted to the app (Taobao session, JD, "
        "Pinduoduo and Douyin access_token).",
    )
    api_token_expiry = fields.Datetime(
        "Access Token Expires",
        groups="oms_core.group_oms_manager",
        copy=False,
        help="When the access token expires: the pull stops with an error from "
        "then on, until a new token is pasted.",
    )
    api_refresh_token = fields.Char(
        "Refresh Token",
        groups="oms_core.group_oms_manager",
        copy=False,
        help="The refresh token given with the access token, kept for renewing it.",
    )
    vat_rate = fields.Float(
        "VAT Included (%)",
        default=13.0,
        help="Chinese marketplaces: the VAT rate included in the platform's prices "
        "(13% by default, 0 for none). A sales tax of that rate, price included, "
        "must exist in the company.",
    )
    sync_error = fields.Text(
        copy=False,
        readonly=True,
        help="Why the last order pull stopped (the platform's message); cleared by "
        "the next pull that reads every window.",
    )
    sync_error_display = fields.Text(
        "Sync Error (to read)",
        compute="_compute_sync_error_display",
        help="Why the last order pull stopped, in your language.",
    )
    api_secret_previous = fields.Char(
        "Previous API Secret",
        groups="oms_core.group_oms_manager",
        copy=False,
        help="Still accepted for signatures while the platform rotates the secret.",
    )
    location_ref = fields.Char(
        "Platform Location", help="Shopify location id whose inventory levels we set."
    )
    field_map = fields.Text(
        "Field Mapping",
        help='REST-JSON only: JSON object {"our key": "their.dotted.path"}.',
    )
    webhook_token = fields.Char(
        groups="oms_core.group_oms_manager",
        copy=False,
        readonly=True,
        default=lambda self: secrets.token_urlsafe(24),
    )
    webhook_url = fields.Char(
        compute="_compute_webhook_url",
        groups="oms_core.group_oms_manager",
        string="Webhook URL",
    )
    last_sync_date = fields.Datetime("Orders Synced Until", copy=False)
    last_sync_state = fields.Selection(
        OMS_CHANNEL_SYNC_STATE,
        "Last Pull",
        copy=False,
        readonly=True,
        help="How the last order pull ended; its error is kept in Sync Error.",
    )
    last_sync_attempt_date = fields.Datetime("Last Pull On", copy=False, readonly=True)
    stock_push_error = fields.Text(
        copy=False,
        readonly=True,
        help="Why the last stock push did not publish every changed SKU; the SKUs "
        "not published are sent again by the next push.",
    )
    process_limit = fields.Integer(
        default=5, help="Automatic retries of a failed order."
    )
    has_order_pull = fields.Boolean(
        "Pulls Orders",
        compute="_compute_connector_capabilities",
        help="The connector's adapter can pull orders from the platform.",
    )
    has_stock_push = fields.Boolean(
        "Publishes Stock",
        compute="_compute_connector_capabilities",
        help="The connector's adapter can publish stock levels to the platform.",
    )
    fulfilment_partial_status = fields.Char(
        "Partly Shipped Status",
        help="WooCommerce: the order status set when a delivery leaves part of "
        "the order to ship (a status the shop knows, e.g. a custom "
        "'partially-shipped'); empty: the status stays. The order becomes "
        "'completed' once everything shipped.",
    )
    cancel_restock = fields.Boolean(
        "Restock on Cancellation",
        default=True,
        help="Shopify: a cancellation sent from Odoo puts the items back into the "
        "shop's stock.",
    )
    refund_on_platform = fields.Boolean(
        "Refund Through the Platform",
        default=True,
        help="A refund sent from Odoo also pays the money back through the "
        "platform's payment (Shopify transactions, WooCommerce gateway refund). "
        "Off: the refund is only recorded on the platform.",
    )
    push_fulfilment_path = fields.Char(
        "Shipment Push Path",
        help="REST-JSON: where the shipments are posted (path on the API URL's "
        "host, or a full URL); empty: no shipment is sent.",
    )
    push_cancel_path = fields.Char(
        "Cancellation Push Path",
        help="REST-JSON: where the cancellations are posted; empty: none sent.",
    )
    push_refund_path = fields.Char(
        "Refund Push Path",
        help="REST-JSON: where the refunds are posted; empty: none sent.",
    )
    push_stock_path = fields.Char(
        "Stock Push Path",
        help="REST-JSON: where the stock levels are posted; empty: none sent.",
    )
    staged_order_ids = fields.One2many("oms.channel.order", "channel_id")
    failed_count = fields.Integer(compute="_compute_counts")
    unmatched_sku_count = fields.Integer(
        "Unmatched SKUs", compute="_compute_unmatched_sku_count"
    )
    order_count = fields.Integer(compute="_compute_counts")
    product_binding_ids = fields.One2many("oms.channel.product", "channel_id")
    # the notices the customers of the channel's orders get (oms_core)
    notify_hold_customer = fields.Boolean(
        "Order Waiting on the Customer",
        default=True,
        help="Tell the customer when the order waits for his address or payment.",
    )
    notify_backorder = fields.Boolean(
        "Back-order with its Date",
        default=True,
        help="Tell the customer when part of the order ships later, and when.",
    )
    notify_promise_at_risk = fields.Boolean(
        "Later than Promised",
        default=True,
        help="Tell the customer when the order will ship later than promised, and "
        "the new date.",
    )
    notify_cancel = fields.Boolean(
        "Cancellation",
        default=True,
        help="Tell the customer that the order is cancelled, and why.",
    )
    notify_shipment = fields.Boolean(
        "Shipment with Tracking",
        default=True,
        help="Send the customer the carrier and tracking link of each shipment.",
    )
    notify_rating = fields.Boolean(
        "Satisfaction Survey",
        default=True,
        help="Ask the customer to rate the delivery and whether he would "
        "recommend you.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The channel code must be unique.",
        ),
        (
            "webhook_token_uniq",
            "unique(webhook_token)",
            "Webhook tokens must be unique.",
        ),
        (
            "stock_buffer_positive",
            "CHECK(stock_buffer >= 0)",
            "The buffer cannot be negative.",
        ),
    ]

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base = self.get_base_url()
        for channel in self:
            channel.webhook_url = (
                channel.webhook_token and f"{base}/oms/webhook/{channel.webhook_token}"
            )

    @api.depends("company_id")
    def _compute_payment_journal_id(self):
        """Propose the company's first bank journal (a channel works once its
        platform keys are pasted)."""
        for channel in self:
            journal = channel.payment_journal_id
            if journal and journal.company_id == channel.company_id:
                continue
            # sudo: only proposes a journal id; OMS managers may not read
            # accounting configuration
            channel.payment_journal_id = (
                self.env["account.journal"]
                .sudo()
                .search(
                    [
                        ("type", "=", "bank"),
                        ("company_id", "=", channel.company_id.id),
                    ],
                    limit=1,
                )
            )

    @api.depends("connector")
    def _compute_connector_capabilities(self):
        for channel in self:
            channel.has_order_pull = channel._adapter_can("can_pull")
            channel.has_stock_push = channel._adapter_can("can_push_stock")

    def _compute_counts(self):
        Order = self.env["sale.order"]
        # OMS users without sales rights still open channels (no order count)
        orders = (
            dict(
                Order._read_group(
                    [("oms_channel_id", "in", self.ids)],
                    ["oms_channel_id"],
                    ["__count"],
                )
            )
            if Order.has_access("read")
            else {}
        )
        failed = dict(
            self.env["oms.channel.order"]._read_group(
                [("channel_id", "in", self.ids), ("state", "=", "failed")],
                ["channel_id"],
                ["__count"],
            )
        )
        for channel in self:
            channel.order_count = orders.get(channel, 0)
            channel.failed_count = failed.get(channel, 0)

    @api.depends("sync_error")
    @api.depends_context("lang")
    def _compute_sync_error_display(self):
        for channel in self:
            channel.sync_error_display = reader_text.render(
                channel.sync_error, self.env.lang, self.env
            )

    def _compute_unmatched_sku_count(self):
        counts = dict(
            self.env["oms.channel.sku.unmatched"]._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]
            )
        )
        for channel in self:
            channel.unmatched_sku_count = counts.get(channel, 0)

    @api.constrains("field_map")
    def _check_field_map(self):
        for channel in self.filtered("field_map"):
            try:
                value = json.loads(channel.field_map)
            except ValueError as exc:
                raise ValidationError(
                    self.env._("The field mapping must be valid JSON.")
                ) from exc
            if not isinstance(value, dict) or not all(
                isinstance(v, str) for v in value.values()
            ):
                raise ValidationError(
                    self.env._(
                        'The field mapping must be a JSON object of "key": '
                        '"path" pairs.'
                    )
                )

    # -- mail alias (e-mail channels) -------------------------------------------
    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get("sale.order").id
        if self.id:
            values["alias_defaults"] = repr({"oms_channel_id": self.id})
            values["alias_parent_model_id"] = (
                self.env["ir.model"]._get("oms.channel").id
            )
            values["alias_parent_thread_id"] = self.id
        return values

    # -- actions ----------------------------------------------------------------
    def action_regenerate_webhook_token(self):
        for channel in self:
            channel.webhook_token = secrets.token_urlsafe(24)

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [("oms_channel_id", "=", self.id)]
        action["context"] = {"default_oms_channel_id": self.id}
        return action

    def action_view_failed(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_channels.oms_channel_order_action"
        )
        action["domain"] = [("channel_id", "=", self.id), ("state", "=", "failed")]
        return action

    def action_view_unmatched_skus(self):
        """The platform SKUs of this channel that failed orders wait on."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oms_channels.oms_channel_sku_unmatched_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    def action_process_queue(self):
        """Button: process the channel's waiting orders now (those received and
        the failed ones a retry may cure), through the one import path; the
        notification tells the outcome."""
        self.ensure_one()
        Staged = self.env["oms.channel.order"]
        staged = Staged.search(
            [
                ("channel_id", "=", self.id),
                "|",
                ("state", "=", "received"),
                "&",
                ("state", "=", "failed"),
                ("error_kind", "!=", "permanent"),
            ],
            order="id",
            limit=OMS_PROCESS_NOW_LIMIT + 1,
        )
        if not staged:
            return self._oms_notification(
                self.env._("Nothing waits in the queue of %(name)s.", name=self.name),
                "info",
            )
        if len(staged) > OMS_PROCESS_NOW_LIMIT:
            # the rest goes to the cron, in its batches
            staged = staged[:OMS_PROCESS_NOW_LIMIT]
            Staged._trigger_processing()
        return staged.action_process()

    def action_test_connection(self):
        """Button: one cheap authenticated call to the platform (its adapter's
        ``test_connection``), told as a notification; nothing is stored."""
        self.ensure_one()
        adapter = self._get_adapter()
        # one attempt: the person waits for the answer
        adapter.max_retries = 0
        try:
            shop = adapter.test_connection()
        except ChannelError as exc:
            return self._oms_notification(
                self.env._(
                    "The connection of %(name)s failed: %(error)s",
                    name=self.name,
                    error=self._oms_channel_error_text(exc),
                ),
                "danger",
                title=self.env._("Connection failed"),
            )
        if shop:
            message = self.env._(
                "%(name)s is connected to the shop %(shop)s.",
                name=self.name,
                shop=shop,
            )
        elif self._adapter_can("can_pull") or self.api_url:
            message = self.env._(
                "%(name)s is connected: the platform accepted the credentials.",
                name=self.name,
            )
        else:
            message = self.env._(
                "%(name)s has no platform to call: its orders are entered, "
                "imported or posted to it.",
                name=self.name,
            )
        return self._oms_notification(
            message, "success", title=self.env._("Connection works")
        )

    @api.model
    def _oms_notification(self, message, kind, title=None, links=None, reload=False):
        """The client action that shows ``message`` as a notification
        (``kind``: success, info, warning, danger; a danger one stays until
        closed), then reloads the view when ``reload``. ``links``: [{label,
        url}], each in place of a ``%s`` of the message."""
        params = {
            "title": title or "",
            "message": message,
            "type": kind,
            "sticky": kind == "danger",
            "links": links or [],
        }
        if reload:
            params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def _oms_channel_error_text(self, exc):
        """What failed in a call to the platform, in words, in the language of
        the user (:meth:`_oms_channel_error_stored` rendered).

        :rtype: str
        """
        return reader_text.render(
            self._oms_channel_error_stored(exc), self.env.lang, self.env
        )

    def _oms_channel_error_stored(self, exc):
        """What failed in a call to the platform, in words: the host, the HTTP
        status and the platform's own message, or why no answer came; stored
        to be read in each reader's language (``oms_core.tools.reader_text``).

        :param exc: a :class:`ChannelError`
        :return: a stored text (the platform's message as it is for an error
            that is not a :class:`ChannelHTTPError`)
        :rtype: str
        """
        if not isinstance(exc, ChannelHTTPError):
            return str(exc.args[0] if exc.args else exc)
        host = exc.host or self.display_name
        if exc.status is None:
            return reader_text.store(
                _lt("The platform at %(host)s could not be reached: %(reason)s."),
                host=host,
                reason=OMS_NETWORK_FAILURE_TEXT.get(exc.reason)
                or OMS_NETWORK_FAILURE_TEXT["network"],
            )
        if exc.status in OMS_HTTP_STATUS_HINT:
            hint = OMS_HTTP_STATUS_HINT[exc.status]
        elif exc.status >= 500:
            hint = _lt("The platform has a problem: it is tried again later.")
        else:
            hint = _lt("The platform refused the call.")
        values = {
            "host": host,
            "status": exc.status,
            "reason": f" ({exc.reason})" if exc.reason else "",
            "hint": hint,
        }
        if exc.detail:
            return reader_text.store(
                _lt(
                    "The platform at %(host)s answered HTTP %(status)s%(reason)s. "
                    "%(hint)s The platform says: %(detail)s"
                ),
                detail=exc.detail,
                **values,
            )
        return reader_text.store(
            _lt(
                "The platform at %(host)s answered HTTP %(status)s%(reason)s. %(hint)s"
            ),
            **values,
        )

    # -- adapter and mapper ---------------------------------------------------
    def _get_adapter_class(self):
        """Hook: the adapter class of the channel's connector, or None.

        A connector addon adds its value to ``connector`` (``selection_add``) and
        overrides this method, returning its class for its value and
        ``super()._get_adapter_class()`` otherwise. What a connector can do
        (pull, webhooks, stock, shipments) is read from the class attributes of
        its adapter (``can_pull``, ``can_receive_webhooks``, ``can_push_stock``,
        ``can_push_fulfilment``).

        :return: a :class:`~odoo.addons.oms_channels.adapters.ChannelAdapter`
            subclass, or None when the connector has no adapter
        """
        self.ensure_one()
        match self.connector:
            case "shopify":
                return ShopifyAdapter
            case "woocommerce":
                return WooCommerceAdapter
            case "rest_json":
                return RestJsonAdapter
            case "file" | "manual":
                return FileAdapter
            case "taobao":
                return TaobaoAdapter
            case "jd":
                return JdAdapter
            case "pinduoduo":
                return PinduoduoAdapter
            case "douyin":
                return DouyinAdapter
        return None

    def _adapter_can(self, capability):
        """True when the adapter of the channel's connector has ``capability``
        (``"can_pull"``, ``"can_push_stock"``...)."""
        self.ensure_one()
        return bool(getattr(self._get_adapter_class(), capability, False))

    def _get_adapter(self):
        """Hook: the adapter instance of the channel's connector.

        :return: a :class:`~odoo.addons.oms_channels.adapters.ChannelAdapter`
        """
        self.ensure_one()
        # sudo: the credentials are manager-only fields; the adapter needs them for
        # webhooks and crons run by less privileged users; they are never logged.
        channel = self.sudo()
        adapter_class = self._get_adapter_class()
        if not adapter_class:
            raise UserError(
                self.env._(
                    "The connector %(name)s has no adapter.", name=self.connector
                )
            )
        return adapter_class(
            {
                "api_url": channel.api_url,
                "api_key": channel.api_key,
                "api_secret": channel.api_secret,
                "api_secret_previous": channel.api_secret_previous,
                "api_token": channel.api_token,
                "api_refresh_token": channel.api_refresh_token,
                "vat_rates": [Decimal(str(channel.vat_rate))]
                if channel.vat_rate
                else [],
                "location_ref": channel.location_ref,
                "field_map": json.loads(channel.field_map) if channel.field_map else {},
                "partial_status": channel.fulfilment_partial_status or "",
                "cancel_restock": channel.cancel_restock,
                "refund_on_platform": channel.refund_on_platform,
                "push_paths": {
                    "fulfilment": channel.push_fulfilment_path or "",
                    "cancel": channel.push_cancel_path or "",
                    "refund": channel.push_refund_path or "",
                    "stock": channel.push_stock_path or "",
                },
            }
        )

    def _oms_takes_push(self, kind):
        """Whether the channel's platform takes ``kind`` documents
        (``fulfilment``, ``cancel``, ``refund``, ``stock``): its adapter can, and
        the channel is configured for it (REST-JSON: a push path)."""
        self.ensure_one()
        if not self._adapter_can(f"can_push_{kind}"):
            return False
        return self._get_adapter().takes_push(kind)

    def _oms_push_lines(self, quantities):
        """The :class:`PushLine` of each order line of ``quantities``, with the
        platform's SKU and the ids of its order line and product (read from the
        order's payload as received: the platform's line matching our line's
        SKU or product, in order).

        :param quantities: {sale.order.line: quantity} of one order
        :rtype: list
        """
        self.ensure_one()
        if not quantities:
            return []
        order = next(iter(quantities)).order_id
        refs = self._oms_get_line_refs(order)
        lines = []
        for line, quantity in quantities.items():
            binding, ref = refs.get(line, (None, {}))
            lines.append(
                PushLine(
                    sku=(binding and binding.external_sku)
                    or line.product_id.default_code
                    or "",
                    quantity=Decimal(str(quantity)),
                    name=line.name or "",
                    line_ref=str(ref.get("ref") or ""),
                    product_ref=str(
                        ref.get("product_ref")
                        or (binding and binding.external_product_ref)
                        or ""
                    ),
                )
            )
        return lines

    def _oms_receive_platform_refund(self, refund):
        """Hook: a refund made on the platform (webhook or pull): a posted
        credit note of the order for the refunded lines, once per platform
        refund; the order then follows it (``_oms_after_platform_refund``).
        The refunds sent from Odoo (they carry an outbox key) and the refunds
        of orders not imported are ignored.

        :param refund: :class:`~odoo.addons.oms_channels.adapters.base.PlatformRefund`
        :return: the credit note, or an empty recordset
        """
        self.ensure_one()
        Move = self.env["account.move"]
        order = self.env["sale.order"].search(
            [
                ("oms_channel_id", "=", self.id),
                ("oms_external_ref", "=", refund.order_ref),
            ],
            limit=1,
        )
        if not order:
            return Move
        if refund.key and self.env["oms.channel.outbox"].search_count(
            [("idempotency_id", "=", refund.key)]
        ):
            return Move
        # two deliveries of one refund at once: the second waits, then finds it
        self.env.execute_query(
            SQL("SELECT id FROM sale_order WHERE id = %s FOR UPDATE", order.id)
        )
        if Move.search_count(
            [
                ("oms_channel_refund_ref", "=", refund.ref),
                ("move_type", "=", "out_refund"),
                ("company_id", "=", order.company_id.id),
            ]
        ):
            return Move
        credit_note = Move.with_company(order.company_id)._oms_create_platform_refund(
            order, refund
        )
        order._oms_after_platform_refund(refund, credit_note)
        return credit_note

    def _oms_refund_quantities(self, order, refund):
        """{sale.order.line: quantity} of the refunded lines of ``order``,
        matched by the platform's line id, else by SKU."""
        self.ensure_one()
        by_ref = {
            str(raw.get("ref")): line
            for line, (_binding, raw) in self._oms_get_line_refs(order).items()
            if raw.get("ref")
        }
        product_lines = order.order_line.filtered(
            lambda ln: not ln.display_type and not ln.is_delivery and ln.product_id
        )
        quantities = {}
        for item in refund.lines:
            line = (
                by_ref.get(item.line_ref)
                or product_lines.filtered(
                    lambda ln, sku=item.sku: sku and ln.product_id.default_code == sku
                )[:1]
            )
            if line:
                quantities[line] = quantities.get(line, 0.0) + float(item.quantity)
        return quantities

    def _oms_get_line_refs(self, order):
        """{sale.order.line: (binding, platform line dict)} of ``order``: each
        product line matched with the first platform line of the same SKU or
        product not matched yet (see ``ChannelAdapter.line_refs``)."""
        self.ensure_one()
        adapter = self._get_adapter()
        raw_lines = []
        # sudo: the payload as received, read for the ids it holds
        staged = order.sudo().oms_channel_order_ids[:1]
        if staged.payload:
            try:
                raw_orders = adapter.orders_of(loads(staged.payload))
            except ChannelError:
                raw_orders = []
            if raw_orders:
                raw_lines = list(adapter.line_refs(raw_orders[0]))
        product_lines = order.order_line.filtered(
            lambda ln: not ln.display_type and not ln.is_delivery and ln.product_id
        )
        bindings = self.env["oms.channel.product"]._to_external(
            self, product_lines.product_id
        )
        result, used = {}, set()
        for line in product_lines.sorted(lambda ln: (ln.sequence, ln.id)):
            binding = bindings.filtered(
                lambda b, ln=line: b.product_id == ln.product_id
            )
            skus = set(binding.mapped("external_sku")) | {line.product_id.default_code}
            products = set(binding.mapped("external_product_ref")) - {False, ""}
            for index, raw in enumerate(raw_lines):
                if index in used:
                    continue
                if (raw.get("sku") and raw["sku"] in skus) or (
                    raw.get("product_ref") and str(raw["product_ref"]) in products
                ):
                    used.add(index)
                    result[line] = (binding[:1], raw)
                    break
            else:
                result[line] = (binding[:1], {})
        return result

    def _get_order_mapper(self):
        """Hook: the mapper of the channel's orders, one per import batch (it
        caches the batch's look-ups). A connector addon returns its subclass of
        :class:`~odoo.addons.oms_channels.intake.mapper.OrderMapper`.

        :rtype: OrderMapper
        """
        self.ensure_one()
        return OrderMapper(self)

    # -- webhook --------------------------------------------------------------
    def _oms_receive_webhook(self, headers, raw_body, form=None):
        """Store the orders of a platform's webhook delivery to this channel.

        The caller found the channel by its secret webhook token (the HTTP
        controller answers 404 itself when no channel has that token).

        :param headers: the request headers (mapping)
        :param bytes raw_body: the body exactly as received (signed byte for byte)
        :param form: the fields of a form-encoded body, parsed before the body
            was read (only a platform's test delivery is a form)
        :return: (HTTP status, message, ids of the staged records): 200 stored
            (or a test delivery), 401 bad signature (nothing stored), 400 not an
            order and 413 larger than ``WEBHOOK_MAX_BYTES`` (both stored as
            failed, the signature being valid)
        :rtype: tuple
        """
        self.ensure_one()
        adapter = self._get_adapter()
        if adapter.is_ping(raw_body, form):
            return 200, "pong", []
        if not adapter.verify_signature(raw_body, headers):
            return 401, "bad signature", []
        text = raw_body.decode("utf-8", errors="replace")
        Staged = self.env["oms.channel.order"].with_company(self.company_id)
        if len(raw_body) > WEBHOOK_MAX_BYTES:
            Staged._stage_invalid(
                self,
                text,
                reader_text.store(
                    _lt(
                        "The delivery is %(size).1f MB, more than the %(limit)s MB a "
                        "webhook accepts: it is not processed. Import the order from "
                        "a file or let the scheduled pull fetch it."
                    ),
                    size=len(raw_body) / 1024 / 1024,
                    limit=WEBHOOK_MAX_BYTES // 1024 // 1024,
                ),
            )
            return 413, "body too large", []
        try:
            with self.env.cr.savepoint():
                data = loads(raw_body)
                refund = adapter.refund_of(headers, data)
                if refund:
                    self._oms_receive_platform_refund(refund)
                    return 200, "refund recorded", []
                orders = adapter.orders_of(data)
                # the body is kept as received when it is the order itself
                # (not a list of orders, nor an event the adapter resolved)
                whole = len(orders) == 1 and (
                    orders[0] is data
                    or (
                        isinstance(data, dict)
                        and any(value is orders[0] for value in data.values())
                    )
                )
                staged = Staged.browse()
                for order in orders:
                    record = Staged._stage(
                        self,
                        text if whole else json.dumps(order, default=str),
                        order=order,
                        source="webhook",
                        cancel=adapter.is_cancel_event(headers, order),
                    )
                    if self.connector in OMS_CN_CONNECTORS:
                        self._oms_apply_refund_state(record, adapter, order)
                    staged |= record
        except (NotAnOrder, ChannelError) as exc:
            Staged._stage_invalid(
                self,
                text,
                reader_text.store(
                    _lt("The channel's payload cannot be used: %(error)s"),
                    error=str(exc),
                ),
            )
            return 400, "not an order", []
        Staged._trigger_processing()
        return 200, "stored", staged.ids

    # -- pull -----------------------------------------------------------------
    def _check_can_pull(self):
        for channel in self:
            if not channel._adapter_can("can_pull"):
                raise UserError(
                    self.env._(
                        "The channel %(name)s cannot pull orders.",
                        name=channel.display_name,
                    )
                )

    def action_sync_orders(self):
        """Pull the orders changed since the channel's cursor into the staging
        table; a pull that failed raises its error in words.

        :return: the staged orders
        """
        self._check_can_pull()
        staged = self.env["oms.channel.order"]
        for channel in self:
            staged |= channel._sync_orders()
            if channel.last_sync_state == "failed" and not hasattr(
                channel._get_adapter(), "windows"
            ):
                raise UserError(channel.sync_error_display)
        return staged

    def action_pull_orders(self):
        """Button "Pull Orders": pull now; the notification tells how many
        orders came, or what failed (kept on the channel as its last pull)."""
        self.ensure_one()
        self._check_can_pull()
        staged = self._sync_orders()
        if self.last_sync_state == "failed":
            return self._oms_notification(
                self.sync_error_display,
                "danger",
                title=self.env._("Pull failed"),
                reload=True,
            )
        return self._oms_notification(
            self.env._(
                "%(count)s orders received from %(name)s.",
                count=len(staged),
                name=self.name,
            ),
            "success",
            title=self.env._("Orders pulled"),
            reload=True,
        )

    def _sync_orders(self):
        """Pull the orders changed since the cursor; the outcome is kept on the
        channel (``last_sync_state``, ``last_sync_attempt_date``,
        ``sync_error``) instead of raised.

        :return: the staged orders
        """
        self.ensure_one()
        start = fields.Datetime.now()
        since = self.last_sync_date and self.last_sync_date.isoformat() + "Z"
        adapter = self._get_adapter()
        staged = self.env["oms.channel.order"]
        if hasattr(adapter, "windows"):
            staged = self._sync_order_windows(adapter, since)
            self._oms_record_pull(start, self.sync_error)
            return staged
        try:
            # a pull that fails stages nothing: the cursor stays, the next
            # pull gets every page again
            with self.env.cr.savepoint():
                for order in adapter.fetch_orders(since):
                    staged |= staged._stage(self, json.dumps(order), order=order)
                    for refund in adapter.fetch_refunds(order):
                        self._oms_receive_platform_refund(refund)
        except ChannelError as exc:
            error = reader_text.store(
                _lt("Pulling the orders of %(name)s failed: %(error)s"),
                name=reader_text.record(self),
                error=self._oms_channel_error_stored(exc),
            )
            _logger.warning("%s", reader_text.render(error, "en_US"))
            self._oms_record_pull(start, error)
            return self.env["oms.channel.order"]
        self.last_sync_date = start
        self._oms_record_pull(start, False)
        return staged

    def _oms_record_pull(self, date, error):
        """Keep how the pull started at ``date`` ended (``error``: its text)."""
        self.write(
            {
                "last_sync_state": "failed" if error else "ok",
                "last_sync_attempt_date": date,
                "sync_error": error or False,
            }
        )

    def _sync_order_windows(self, adapter, since):
        """Pull window by window (platforms that list orders by time window):
        the cursor moves to the end of each window once all its pages are
        staged. A failure keeps what was staged and the cursor of the last
        window read, and puts the channel in error with the platform's message
        (``sync_error``) instead of raising, so the next pull resumes there.

        :return: the staged orders
        """
        staged = self.env["oms.channel.order"]
        Staged = staged.with_company(self.company_id)
        # sudo: the token expiry is a manager-only field read by the cron's user
        expiry = self.sudo().api_token_expiry
        try:
            if self._oms_token_expires_soon():
                adapter = self._oms_refresh_token()
                expiry = self.sudo().api_token_expiry
            if expiry and expiry <= fields.Datetime.now():
                raise TokenError(
                    self.env._("The access token expired on %(date)s.", date=expiry)
                )
            for _start, end, orders in adapter.windows(since):
                for order in orders:
                    record = Staged._stage(self, json.dumps(order), order=order)
                    self._oms_apply_refund_state(record, adapter, order)
                    staged |= record
                self.last_sync_date = end
        except ChannelError as exc:
            error = reader_text.store(
                _lt("Pulling the orders of %(name)s stopped: %(error)s"),
                name=reader_text.record(self),
                error=self._oms_channel_error_stored(exc),
            )
            _logger.warning("%s", reader_text.render(error, "en_US"))
            self.sync_error = error
            return staged
        if self.sync_error:
            self.sync_error = False
        return staged

    @api.model
    def _cron_sync_orders(self):
        # the marketplaces have a default gateway: no API URL needed
        channels = self.search(
            ["|", ("api_url", "!=", False), ("connector", "in", OMS_CN_CONNECTORS)]
        )
        for channel in channels.filtered(lambda c: c._adapter_can("can_pull")):
            try:
                with self.env.cr.savepoint():
                    channel._sync_orders()
            except UserError as exc:
                _logger.warning("%s", exc)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # a concurrent webhook updated the same order: the cursor is kept,
                # so the next run pulls these orders again
                _logger.info("pull of channel %s met a concurrent update", channel.id)

    # -- import hooks (called by the importer for every staged order) ----------
    def _create_sale_orders(self, vals_list, normalized_orders):
        """Hook: create the draft sales orders of the channel's normalized
        orders, in one ``create`` (a batch of one for a single order).

        :param vals_list: their values (``OrderMapper.prepare_sale_order_vals``)
        :param normalized_orders: the ``NormalizedOrder`` of each, same order
        :return: the new ``sale.order`` records, in the same order
        :rtype: recordset
        """
        self.ensure_one()
        return self.env["sale.order"].with_company(self.company_id).create(vals_list)

    def _after_import(self, orders, normalized_orders):
        """Hook: after the orders are created (cancelled ones excepted): the
        payment of prepaid orders, then one OMS review (which may confirm).

        :param orders: the new ``sale.order`` records
        :param normalized_orders: the ``NormalizedOrder`` of each, same order
        """
        self.ensure_one()
        for order, normalized in zip(orders, normalized_orders, strict=True):
            self._register_channel_payment(order, normalized)
        if self.connector in OMS_CN_CONNECTORS:
            adapter = self._get_adapter()
            for staged in orders.oms_channel_order_ids.filtered("payload"):
                raw = adapter.orders_of(loads(staged.payload))[0]
                self._oms_apply_refund_state(staged, adapter, raw)
        orders.action_oms_review()

    def _register_channel_payment(self, order, normalized):
        """Hook: record the payment the platform collected for a prepaid order.

        A missing accounting setting never blocks the intake: without a
        payment journal, or when the journal cannot take the payment, the
        order is imported and the amount waits on it
        (``oms_channel_payment_due``); its review opens a ``channel_payment``
        exception for the accountant, closed once the setting is fixed
        (``_oms_record_missing_payments``).
        """
        self.ensure_one()
        if normalized.is_paid and normalized.paid_amount > 0:
            self._oms_record_channel_payment(order, float(normalized.paid_amount))

    def _oms_record_channel_payment(self, order, amount):
        """Record ``amount`` paid on the channel for ``order``, else keep it
        due on the order with the reason.

        :return: True when the payment is recorded
        :rtype: bool
        """
        self.ensure_one()
        error = False
        if not self.payment_journal_id:
            error = self.env._(
                "the channel %(name)s has no payment journal.", name=self.display_name
            )
        else:
            try:
                with self.env.cr.savepoint():
                    order._oms_register_external_payment(
                        self.payment_journal_id,
                        amount,
                        date=order.date_order.date(),
                        ref=order.client_order_ref,
                    )
            except (UserError, ValidationError) as exc:
                error = exc.args[0] if exc.args else str(exc)
        # sudo: the intake's own record on the order (see sale.order.write)
        order.sudo().write(
            {
                "oms_channel_payment_due": amount if error else 0.0,
                "oms_channel_payment_error": error,
            }
        )
        return not error

    def _oms_record_missing_payments(self):
        """Record the payments waiting on the channels' orders (after their
        accounting setting was fixed) and review those orders again, which
        closes their ``channel_payment`` exceptions.

        :return: the orders whose payment is now recorded
        """
        # sudo: the platform collected the money already; recording it follows
        # the channel's setting, whoever fixed it (not always an accountant)
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("oms_channel_id", "in", self.ids),
                    ("oms_channel_payment_due", ">", 0),
                    ("state", "!=", "cancel"),
                ]
            )
        )
        recorded = orders.browse()
        for order in orders:
            channel = order.oms_channel_id.sudo()
            if channel._oms_record_channel_payment(
                order, order.oms_channel_payment_due
            ):
                recorded |= order
        recorded._oms_review_safely()
        return recorded

    def action_record_missing_payments(self):
        """Button: record the payments waiting on the channel's orders."""
        self._oms_record_missing_payments()
        return True

    def write(self, vals):
        """A payment journal set on a channel records the payments waiting on
        its orders (propagation to linked documents)."""
        result = super().write(vals)
        if vals.get("payment_journal_id"):
            self._oms_record_missing_payments()
        return result

    # -- stock push -----------------------------------------------------------
    def action_push_stock(self):
        """Publish the quantity offered to the channel (ATP − buffer, or its
        allocation: ``_get_offered_qty``) of its SKUs, only the changed ones.

        What the platform accepted stays recorded when a part fails: the failure
        is shown as a notification, not raised (raising would roll the record of
        the published SKUs back).
        """
        for channel in self:
            if not channel._oms_takes_push("stock"):
                raise UserError(
                    self.env._(
                        "The channel %(name)s does not take stock updates.",
                        name=channel.display_name,
                    )
                )
        errors = [error for error in (c._push_stock() for c in self) if error]
        if not errors:
            return True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Stock push incomplete"),
                "message": "\n".join(errors),
                "type": "danger",
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _get_stock_to_push(self):
        """Hook: {binding: quantity to publish} of the changed SKUs of the channel."""
        self.ensure_one()
        bindings = self.product_binding_ids.filtered("external_stock_ref")
        offered = self._get_offered_qty(bindings.product_id)
        result = {}
        for binding in bindings:
            qty = offered[binding.product_id.id]
            if binding.last_pushed_qty != qty or not binding.last_push_date:
                result[binding] = qty
        return result

    def _push_stock(self):
        """Send the changed SKUs; each chunk the platform accepts is recorded as
        published at once, so a failure later in the push loses none of it and
        the next push sends only what is still missing.

        :return: the translated error of an incomplete push, or False
        """
        self.ensure_one()
        to_push = self._get_stock_to_push()
        error = False
        if to_push:
            quantities, record_pushed = self._stock_push_recorder(to_push)
            try:
                self._get_adapter().push_stock(quantities, on_pushed=record_pushed)
            except ChannelError as exc:
                error = self.env._(
                    "The stock push of %(name)s is incomplete: %(error)s",
                    name=self.display_name,
                    error=str(exc),
                )
                _logger.warning("%s", error)
        # nothing left to push also ends an earlier incomplete push
        if self.stock_push_error != error:
            self.stock_push_error = error
        return error

    def _get_stock_warehouse(self):
        """The warehouse whose stock the channel publishes: its own, else the
        company's first."""
        self.ensure_one()
        return self.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )

    def _get_source_warehouses(self):
        """The warehouses the channel's orders may ship from: its own, and the
        company's *Ship From Warehouses* (only the channel's, when it lists some).

        :rtype: stock.warehouse
        """
        self.ensure_one()
        sources = self.company_id.oms_source_warehouse_ids
        if self.source_warehouse_ids:
            sources &= self.source_warehouse_ids
        return self.warehouse_id | sources

    def _get_offered_qty(self, products):
        """Hook: the whole units of each product offered to the channel, which
        the stock push of every connector publishes: ATP − buffer, or the
        channel's part of the ATP when an ``oms.channel.allocation`` shares the
        product between the channels (see ``oms.channel.allocation._get_offers``).

        :param products: product.product recordset
        :return: {product id: units offered}
        :rtype: dict
        """
        self.ensure_one()
        warehouse = self._get_stock_warehouse()
        atp = products._oms_get_atp(warehouse)
        offers = self.env["oms.channel.allocation"]._get_offers(
            warehouse, products, atp, self.company_id
        )
        return {
            product.id: offers.get(
                (self.id, product.id),
                max(int(atp.get(product.id, 0.0) - self.stock_buffer), 0),
            )
            for product in products
        }

    def _stock_push_recorder(self, to_push):
        """({platform ref: qty}, on_pushed) for the adapter's ``push_stock``:
        on_pushed(refs) records those refs' bindings as published."""
        quantities, bindings = {}, {}
        for binding, qty in to_push.items():
            # two SKUs bound to one platform item: one update, both recorded
            quantities[binding.external_stock_ref] = qty
            bindings.setdefault(binding.external_stock_ref, []).append(binding.id)
        now = fields.Datetime.now()

        def record_pushed(refs):
            by_qty = {}
            for ref in refs:
                by_qty.setdefault(quantities[ref], []).extend(bindings[ref])
            # one write per published quantity, not per SKU (10k SKUs: a few writes)
            for qty, ids in by_qty.items():
                self.env["oms.channel.product"].browse(ids).write(
                    {"last_pushed_qty": qty, "last_push_date": now}
                )

        return quantities, record_pushed

    @api.model
    def _cron_push_stock(self):
        channels = self.search(
            ["|", ("api_url", "!=", False), ("connector", "in", OMS_CN_CONNECTORS)]
        )
        for channel in channels.filtered(lambda c: c._oms_takes_push("stock")):
            # an incomplete push is not raised but kept in stock_push_error
            try:
                with self.env.cr.savepoint():
                    channel._push_stock()
            except UserError as exc:
                _logger.warning("%s", exc)

    # -- access token (Chinese marketplaces) ------------------------------------
    #: a token is renewed when it expires within this many hours
    OMS_TOKEN_REFRESH_MARGIN_HOURS = 24

    def _oms_token_expires_soon(self):
        """Whether the access token expires within the refresh margin and a
        refresh token is there to renew it."""
        self.ensure_one()
        # sudo: the token fields are manager-only; the cron's user reads them
        channel = self.sudo()
        return bool(
            channel.api_refresh_token
            and channel.api_token_expiry
            and channel.api_token_expiry
            <= fields.Datetime.now()
            + timedelta(hours=self.OMS_TOKEN_REFRESH_MARGIN_HOURS)
        )

    def _oms_refresh_token(self):
        """Renew the access token through the platform with the refresh token.

        :return: the adapter with the new token
        :raise TokenError: the platform refused (the caller keeps the error)
        """
        self.ensure_one()
        values = self._get_adapter().refresh_access_token()
        vals = {
            "api_token": values["access_token"],
            "api_refresh_token": values["refresh_token"],
        }
        if values["expires_in"]:
            vals["api_token_expiry"] = fields.Datetime.now() + timedelta(
                seconds=values["expires_in"]
            )
        # sudo: the token fields are manager-only; the cron renews them
        self.sudo().write(vals)
        self.message_post(body=self.env._("The access token was renewed."))
        return self._get_adapter()

    def action_refresh_token(self):
        """Button: renew the access token now (managers only: it replaces the
        channel's credentials); a refusal is shown with the platform's message."""
        if not self.env.user.has_group("oms_core.group_oms_manager"):
            raise AccessError(
                self.env._("Only OMS managers can renew a channel's access token.")
            )
        for channel in self:
            try:
                channel._oms_refresh_token()
            except ChannelError as exc:
                raise UserError(channel._oms_token_error(exc)) from exc
        return True

    def _oms_token_error(self, exc):
        """The translated channel error of a failed token refresh."""
        return self.env._(
            "The access token of %(name)s could not be renewed: %(error)s",
            name=self.display_name,
            error=str(exc),
        )

    @api.model
    def _cron_refresh_tokens(self):
        """Renew the access tokens that expire soon (marketplaces); a refusal
        puts the channel in error with the platform's message."""
        channels = self.search([("connector", "in", OMS_CN_CONNECTORS)])
        for channel in channels.filtered(lambda c: c._oms_token_expires_soon()):
            try:
                with self.env.cr.savepoint():
                    channel._oms_refresh_token()
            except ChannelError as exc:
                channel.sync_error = channel._oms_token_error(exc)
                _logger.warning("%s", channel.sync_error)

    # -- ship confirmation -------------------------------------------------------
    def _oms_send_outbox(self, record, adapter):
        """Hook: send one document of the outbox (``oms.channel.outbox``).

        Default: the adapter's ``send`` with the document. The Chinese
        marketplaces confirm a shipment with the carrier's logistics company
        code of the platform and, for a partial delivery, its sub-orders
        (:meth:`_oms_cn_send_fulfilment`).

        :param record: the outbox record
        :param adapter: the channel's adapter, set up by the outbox
        :return: the platform's id of what it created ("" when none)
        :raise ChannelError: the platform refused or could not be reached
        :raise UserError: the document cannot be sent as it is (translated)
        """
        self.ensure_one()
        if (
            record.kind == "fulfilment"
            and self.connector in OMS_CN_CONNECTORS
            and record.picking_id
        ):
            self._oms_cn_send_fulfilment(record.picking_id)
            return ""
        return adapter.send(record._get_document())

    def _oms_platform_name(self):
        self.ensure_one()
        return dict(self._fields["connector"]._description_selection(self.env)).get(
            self.connector, self.connector
        )

    def _oms_logistics_code(self, picking):
        """The platform's logistics company code of the delivery's carrier.

        :raise UserError: no carrier or no code for this platform; the channel's
            chatter tells it once per delivery and error
        """
        self.ensure_one()
        carrier = picking.carrier_id
        # sudo: the code table is readable by OMS users only; the warehouse
        # user who validates (or the cron) sends the confirmation
        codes = carrier.sudo().oms_logistics_code_ids
        code = codes.filtered(lambda c: c.connector == self.connector)[:1].code
        if code:
            return code
        if not carrier:
            error = self.env._(
                "The delivery %(picking)s has no carrier: %(platform)s needs the "
                "logistics company to confirm the shipment. Set the carrier and "
                "send the delivery again.",
                picking=picking.name,
                platform=self._oms_platform_name(),
            )
        else:
            error = self.env._(
                "The carrier %(carrier)s has no %(platform)s logistics company "
                "code: add it on the carrier (Marketplace Codes tab) and send "
                "the delivery %(picking)s again.",
                carrier=carrier.display_name,
                platform=self._oms_platform_name(),
                picking=picking.name,
            )
        if picking.oms_channel_sync_error != error:
            self.message_post(body=error)
        raise UserError(error)

    def _oms_cn_send_fulfilment(self, picking):
        """Ship confirmation on a Chinese marketplace.

        A delivery with every goods line of the order is the whole order. A
        partial one is sent with its sub-orders where the platform splits orders
        (Taobao, Douyin); elsewhere (JD, Pinduoduo) it waits, and the order's
        last delivery confirms the whole order with its tracking number.
        """
        self.ensure_one()
        order = picking.sale_id
        code = self._oms_logistics_code(picking)
        tracking = picking.carrier_tracking_ref
        if not tracking:
            raise UserError(
                self.env._(
                    "The delivery %(picking)s has no tracking number.",
                    picking=picking.name,
                )
            )
        adapter = self._get_adapter()
        goods = order.order_line.filtered(
            lambda line: line.product_id.type == "consu" and not line.display_type
        )
        shipped = {}
        for move in picking.move_ids.filtered("sale_line_id"):
            shipped[move.sale_line_id] = shipped.get(move.sale_line_id, 0.0) + (
                move.quantity
            )
        if not shipped:
            raise UserError(
                self.env._(
                    "The delivery %(picking)s holds no line of the order.",
                    picking=picking.name,
                )
            )
        if all(shipped.get(line, 0.0) >= line.product_uom_qty for line in goods):
            adapter.ship(order.oms_external_ref, code, tracking)
            return True
        if adapter.can_ship_partially:
            adapter.ship(
                order.oms_external_ref,
                code,
                tracking,
                self._oms_platform_line_refs(order, shipped),
            )
            return True
        if any(line.qty_delivered < line.product_uom_qty for line in goods):
            picking.message_post(
                body=self.env._(
                    "%(platform)s confirms whole orders only: this partial "
                    "delivery is confirmed with the order's last delivery.",
                    platform=self._oms_platform_name(),
                )
            )
            return False
        adapter.ship(order.oms_external_ref, code, tracking)
        return True

    def _oms_platform_line_refs(self, order, shipped):
        """[(sub-order id, quantity)] of the shipped sales lines, read from the
        order's staged payload (the platform's lines by SKU).

        :param shipped: {sale.order.line: quantity shipped}
        :raise UserError: a shipped line has no sub-order on the platform
        """
        staged = order.oms_channel_order_ids.filtered("payload")[:1]
        adapter = self._get_adapter()
        lines = adapter.normalize(adapter.orders_of(loads(staged.payload))[0]).lines
        bindings = {
            binding.external_sku: binding.product_id
            for binding in self.env["oms.channel.product"]._to_internal(
                self, [line.sku for line in lines]
            )
        }
        refs = {}
        for line in lines:
            product = bindings.get(line.sku) or self.env["product.product"].search(
                [("default_code", "=", line.sku)], limit=1
            )
            if line.external_line_ref:
                refs.setdefault(product, []).append(line.external_line_ref)
        result = []
        for sale_line, quantity in shipped.items():
            platform_refs = refs.get(sale_line.product_id)
            if not platform_refs:
                raise UserError(
                    self.env._(
                        "%(product)s of the delivery is not a line of the order "
                        "on %(platform)s: it cannot be confirmed as shipped.",
                        product=sale_line.product_id.display_name,
                        platform=self._oms_platform_name(),
                    )
                )
            result.append((platform_refs[0], quantity))
        return result

    # -- refunds (Chinese marketplaces) ------------------------------------------
    #: code of the exception that holds an order while its buyer asks a refund
    OMS_REFUND_EXCEPTION = "channel_refund_requested"

    def _oms_apply_refund_state(self, staged, adapter, raw_order):
        """Hook: follow the platform's refund of an imported order (拦截发货).

        A refund requested before shipment holds the order with a blocking
        exception (its delivery cannot be validated); refused or closed, the
        hold ends; refunded, the order's posted invoices are credited and the
        order is cancelled. Once shipped, the request is left to the returns.

        :param staged: the ``oms.channel.order`` of the order
        :param adapter: the channel's adapter
        :param dict raw_order: the platform's order as just received
        """
        self.ensure_one()
        order = staged.sale_order_id
        if not order or order.state == "cancel":
            return
        state = adapter.refund_state(raw_order)
        shipped = order._oms_get_customer_deliveries(include_returns=True).filtered(
            lambda p: p.state == "done"
        )
        hold = order.oms_exception_ids.filtered(
            lambda e: e.code == self.OMS_REFUND_EXCEPTION and e.state == "open"
        )
        if shipped:
            self._oms_apply_refund_after_shipment(
                order, adapter.lines_refund_state(raw_order), adapter, raw_order
            )
            return
        if state == REFUND_REQUESTED:
            order._oms_add_exception(
                self.OMS_REFUND_EXCEPTION,
                reader_text.store(
                    _lt(
                        "The buyer asked %(platform)s for a refund: do not ship the "
                        "order until the refund is refused (the hold then ends) or "
                        "agreed (the order is cancelled)."
                    ),
                    platform=reader_text.selection(
                        self._name, "connector", self.connector
                    ),
                ),
                severity="block",
            )
        elif state == REFUND_DONE:
            try:
                with self.env.cr.savepoint():
                    self._oms_refund_order(order)
            except UserError as exc:
                order._oms_add_exception(
                    self.OMS_REFUND_EXCEPTION,
                    reader_text.store(
                        _lt(
                            "The buyer was refunded on %(platform)s but the order "
                            "could not be cancelled: %(error)s"
                        ),
                        platform=reader_text.selection(
                            self._name, "connector", self.connector
                        ),
                        error=exc.args[0],
                    ),
                    severity="block",
                )
                return
            hold._oms_resolve_by_system()
        elif hold:
            hold._oms_resolve_by_system()
            order._oms_sync_hold_reservation()
            order.message_post(
                body=self.env._(
                    "The refund request was refused or closed on %(platform)s: "
                    "the order can ship.",
                    platform=self._oms_platform_name(),
                )
            )

    def _oms_apply_refund_after_shipment(self, order, state, adapter, raw_order):
        """Hook: the platform's refund of an order that has shipped.

        A refund request opens a draft return (``oms.return``) of the shipped
        lines it is about, with the reason *Refund asked on the marketplace*
        and the platform's refund status in its note; the warehouse confirms it
        when the goods come back. Refunded, the return gets its credit note at
        once (the buyer has his money back). Refused or closed, a draft
        return without credit note is cancelled. Safe to call repeatedly.

        :param order: the shipped ``sale.order``
        :param str state: ``adapter.lines_refund_state(raw_order)``
        """
        self.ensure_one()
        reason = self.env.ref("oms_channels.oms_return_reason_platform_refund")
        ret = self.env["oms.return"].search(
            [
                ("order_id", "=", order.id),
                ("line_ids.reason_id", "=", reason.id),
                ("state", "!=", "cancel"),
            ],
            limit=1,
        )
        if state == REFUND_NONE:
            if ret.state == "draft" and not ret.credit_note_id:
                ret.action_cancel()
                order.message_post(
                    body=self.env._(
                        "The refund request was refused or closed on %(platform)s: "
                        "its return %(name)s is cancelled.",
                        platform=self._oms_platform_name(),
                        name=ret.name,
                    )
                )
            return
        if not ret:
            ret = self._oms_open_platform_return(order, reason, adapter, raw_order)
        if state == REFUND_DONE and ret and not ret.credit_note_id:
            # sudo: the platform refunded the buyer; the credit note records
            # that decision whoever pulled the order
            credit_note = ret.sudo()._oms_create_credit_note()
            if not credit_note:
                # nothing invoiced yet: nothing to credit
                return
            ret.credit_note_id = credit_note
            order.message_post(
                body=self.env._(
                    "The buyer was refunded on %(platform)s: credit note %(credit)s "
                    "of return %(name)s.",
                    platform=self._oms_platform_name(),
                    credit=credit_note.name,
                    name=ret.name,
                )
            )

    def _oms_open_platform_return(self, order, reason, adapter, raw_order):
        """The draft return of the shipped lines a platform refund is about
        (``adapter.refund_line_refs``; every shipped line when the platform
        refunds whole orders)."""
        refs = adapter.refund_line_refs(raw_order)
        skus = {
            line.sku
            for line in adapter.normalize(raw_order).lines
            if not refs or line.external_line_ref in refs
        }
        products = self.env["oms.channel.product"]._to_internal(self, list(skus))
        products = products.product_id | self.env["product.product"].search(
            [("default_code", "in", list(skus))]
        )
        lines = [
            Command.create(dict(vals, reason_id=reason.id))
            for vals in order._prepare_oms_return_line_vals()
            if self.env["product.product"].browse(vals["product_id"]) in products
        ]
        if not lines:
            return self.env["oms.return"]
        ret = self.env["oms.return"].create(
            {
                "order_id": order.id,
                "line_ids": lines,
                "note": self.env._(
                    "Refund asked on %(platform)s (refund status: %(status)s).",
                    platform=self._oms_platform_name(),
                    status=adapter.refund_status_text(raw_order) or "-",
                ),
            }
        )
        order.message_post(
            body=self.env._(
                "The buyer asked %(platform)s for a refund after shipment: return "
                "%(name)s waits for the goods.",
                platform=self._oms_platform_name(),
                name=ret.name,
            )
        )
        return ret

    def _oms_refund_order(self, order):
        """The platform refunded an order not shipped: credit its posted
        invoices and cancel it."""
        self.ensure_one()
        # sudo: the platform refunded the buyer; the credit note follows that
        # decision whoever pulled the order (a manager without accounting rights)
        invoices = order.sudo().invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        if invoices:
            credit_notes = invoices._reverse_moves(
                [
                    {
                        "ref": self.env._(
                            "Refunded on %(platform)s",
                            platform=self._oms_platform_name(),
                        ),
                        "invoice_date": fields.Date.context_today(self),
                    }
                    for _invoice in invoices
                ]
            )
            credit_notes.action_post()
        order._oms_cancel(self.env.ref("oms_channels.oms_cancel_reason_channel"))
        order.message_post(
            body=self.env._(
                "The buyer was refunded on %(platform)s: the order is cancelled.",
                platform=self._oms_platform_name(),
            )
        )
