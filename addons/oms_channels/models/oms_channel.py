import json
import logging
import secrets
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

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
from ..adapters.base import loads
from ..adapters.cn_base import TokenError
from ..intake.mapper import OrderMapper

_logger = logging.getLogger(__name__)

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
#: Chinese marketplaces (default gateway, time-window pull, access token)
OMS_CN_CONNECTORS = ("taobao", "jd", "pinduoduo", "douyin")
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
        help="Journal of the payments the platform has already collected.",
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
    staged_order_ids = fields.One2many("oms.channel.order", "channel_id")
    failed_count = fields.Integer(compute="_compute_counts")
    order_count = fields.Integer(compute="_compute_counts")
    product_binding_ids = fields.One2many("oms.channel.product", "channel_id")

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
                "vat_rates": [Decimal(str(channel.vat_rate))]
                if channel.vat_rate
                else [],
                "location_ref": channel.location_ref,
                "field_map": json.loads(channel.field_map) if channel.field_map else {},
            }
        )

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
                self.env._(
                    "The delivery is %(size).1f MB, more than the %(limit)s MB a "
                    "webhook accepts: it is not processed. Import the order from a "
                    "file or let the scheduled pull fetch it.",
                    size=len(raw_body) / 1024 / 1024,
                    limit=WEBHOOK_MAX_BYTES // 1024 // 1024,
                ),
            )
            return 413, "body too large", []
        try:
            with self.env.cr.savepoint():
                orders = adapter.orders_of(loads(raw_body))
                staged = Staged.browse()
                for order in orders:
                    staged |= Staged._stage(
                        self,
                        text if len(orders) == 1 else json.dumps(order),
                        order=order,
                        source="webhook",
                        cancel=adapter.is_cancel_event(headers, order),
                    )
        except (NotAnOrder, ChannelError) as exc:
            Staged._stage_invalid(
                self,
                text,
                self.env._(
                    "The channel's payload cannot be used: %(error)s", error=str(exc)
                ),
            )
            return 400, "not an order", []
        Staged._trigger_processing()
        return 200, "stored", staged.ids

    # -- pull -----------------------------------------------------------------
    def action_sync_orders(self):
        """Pull the orders changed since the channel's cursor into the staging table."""
        staged = self.env["oms.channel.order"]
        for channel in self:
            if not channel._adapter_can("can_pull"):
                raise UserError(
                    self.env._(
                        "The channel %(name)s cannot pull orders.",
                        name=channel.display_name,
                    )
                )
            staged |= channel._sync_orders()
        return staged

    def _sync_orders(self):
        self.ensure_one()
        start = fields.Datetime.now()
        since = self.last_sync_date and self.last_sync_date.isoformat() + "Z"
        adapter = self._get_adapter()
        staged = self.env["oms.channel.order"]
        if hasattr(adapter, "windows"):
            return self._sync_order_windows(adapter, since)
        try:
            for order in adapter.fetch_orders(since):
                staged |= staged._stage(self, json.dumps(order), order=order)
        except ChannelError as exc:
            raise UserError(
                self.env._(
                    "Pulling the orders of %(name)s failed: %(error)s",
                    name=self.display_name,
                    error=str(exc),
                )
            ) from exc
        self.last_sync_date = start
        return staged

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
            if expiry and expiry <= fields.Datetime.now():
                raise TokenError(
                    self.env._("The access token expired on %(date)s.", date=expiry)
                )
            for _start, end, orders in adapter.windows(since):
                for order in orders:
                    staged |= Staged._stage(self, json.dumps(order), order=order)
                self.last_sync_date = end
        except ChannelError as exc:
            error = self.env._(
                "Pulling the orders of %(name)s stopped: %(error)s",
                name=self.display_name,
                error=str(exc),
            )
            _logger.warning("%s", error)
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
        orders.action_oms_review()

    def _register_channel_payment(self, order, normalized):
        """Hook: record the payment the platform collected for a prepaid order."""
        self.ensure_one()
        if normalized.is_paid and normalized.paid_amount > 0:
            if not self.payment_journal_id:
                raise UserError(
                    self.env._(
                        "The order is paid on the channel but the channel %(name)s "
                        "has no "
                        "payment journal.",
                        name=self.display_name,
                    )
                )
            order._oms_register_external_payment(
                self.payment_journal_id,
                float(normalized.paid_amount),
                date=order.date_order.date(),
                ref=normalized.name,
            )

    # -- stock push -----------------------------------------------------------
    def action_push_stock(self):
        """Publish the quantity offered to the channel (ATP − buffer, or its
        allocation: ``_get_offered_qty``) of its SKUs, only the changed ones.

        What the platform accepted stays recorded when a part fails: the failure
        is shown as a notification, not raised (raising would roll the record of
        the published SKUs back).
        """
        for channel in self:
            if not channel._adapter_can("can_push_stock"):
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
        channels = self.search([("api_url", "!=", False)])
        for channel in channels.filtered(lambda c: c._adapter_can("can_push_stock")):
            # an incomplete push is not raised but kept in stock_push_error
            try:
                with self.env.cr.savepoint():
                    channel._push_stock()
            except UserError as exc:
                _logger.warning("%s", exc)
