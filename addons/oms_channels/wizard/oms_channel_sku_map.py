from odoo import api, fields, models
from odoo.exceptions import UserError


class OmsChannelSkuMap(models.TransientModel):
    """Bind a platform SKU that failed orders wait on to a product of ours
    (``oms.channel.product``), then process those orders again. A line that
    carries no SKU is bound by the platform's product id of the line
    (``external_product_ref``): the mapper finds it by that id."""

    _name = "oms.channel.sku.map"
    _description = "Map a Channel SKU to a Product"

    channel_id = fields.Many2one("oms.channel", required=True, readonly=True)
    company_id = fields.Many2one(related="channel_id.company_id")
    external_sku = fields.Char("Channel SKU")
    external_product_ref = fields.Char(
        "Channel Product ID",
        help="The platform's product id of a line without SKU: the line is "
        "bound to the product by this id.",
    )
    staged_order_id = fields.Many2one(
        "oms.channel.order", readonly=True, ondelete="cascade"
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        domain="[('sale_ok', '=', True), ('company_id', 'in', [company_id, False])]",
    )
    waiting_count = fields.Integer(
        "Orders Waiting", compute="_compute_waiting_order_ids"
    )
    waiting_order_ids = fields.Many2many(
        "oms.channel.order", compute="_compute_waiting_order_ids"
    )

    @api.depends("channel_id", "external_sku", "external_product_ref")
    def _compute_waiting_order_ids(self):
        for wizard in self:
            wizard.waiting_order_ids = wizard._get_waiting_orders()
            wizard.waiting_count = len(wizard.waiting_order_ids)

    def _get_waiting_orders(self):
        """The failed orders of the channel whose unknown SKUs (or product ids
        of lines without SKU) include this one."""
        self.ensure_one()
        key, fname = self._get_key()
        if not self.channel_id or not key:
            return self.env["oms.channel.order"]
        orders = self.env["oms.channel.order"].search(
            [
                ("channel_id", "=", self.channel_id.id),
                ("state", "=", "failed"),
                (fname, "ilike", key),
            ]
        )
        return orders.filtered(lambda o: key in o[fname].split("\n"))

    def _get_key(self):
        """The identifier the wizard binds and the staged order field listing
        the unknown ones: the SKU, else the platform's product id.

        :return: (identifier or "", field name)
        :rtype: tuple
        """
        sku = (self.external_sku or "").strip()
        if sku or not (self.external_product_ref or "").strip():
            return sku, "missing_skus"
        return self.external_product_ref.strip(), "missing_product_refs"

    def _prepare_binding_vals(self):
        """Hook: values of the SKU binding the wizard creates (for a line
        without SKU, its SKU is the platform's product id, which it is found by)."""
        self.ensure_one()
        key, _fname = self._get_key()
        return {
            "channel_id": self.channel_id.id,
            "external_sku": key,
            "external_product_ref": (self.external_product_ref or "").strip() or False,
            "product_id": self.product_id.id,
        }

    def action_apply(self):
        """Bind the SKU, then process the orders waiting on it; the
        notification tells the outcome."""
        self.ensure_one()
        Binding = self.env["oms.channel.product"]
        sku, fname = self._get_key()
        if not sku:
            raise UserError(
                self.env._("Give the channel's SKU or the platform's product id.")
            )
        existing = Binding._to_internal(self.channel_id, [sku])
        if fname == "missing_product_refs":
            existing |= Binding._to_internal(
                self.channel_id, [sku], key="external_product_ref"
            )
        existing = existing[:1]
        if existing:
            raise UserError(
                self.env._(
                    "The SKU %(sku)s is already mapped to %(product)s.",
                    sku=sku,
                    product=existing.product_id.display_name,
                )
            )
        Binding.create(self._prepare_binding_vals())
        waiting = self._get_waiting_orders()
        if not waiting:
            return self._close_with(
                self.channel_id._oms_notification(
                    self.env._(
                        "The SKU %(sku)s is mapped to %(product)s.",
                        sku=sku,
                        product=self.product_id.display_name,
                    ),
                    "success",
                )
            )
        for order in waiting:
            order.message_post(
                body=self.env._(
                    "SKU %(sku)s mapped to %(product)s; processed again.",
                    sku=sku,
                    product=self.product_id.display_name,
                )
            )
        # sudo: the orders are imported as the intake (webhook, cron) imports
        # them; the user only mapped their SKU
        return self._close_with(waiting.sudo().action_process())

    @staticmethod
    def _close_with(notification):
        """``notification``, closing the wizard (its form below reloads)."""
        notification["params"]["next"] = {"type": "ir.actions.act_window_close"}
        return notification
