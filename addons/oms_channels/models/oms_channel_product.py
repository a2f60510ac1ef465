from odoo import api, fields, models


class OmsChannelProduct(models.Model):
    """Per-channel SKU mapping: channel SKU → our product (and stock push state)."""

    _name = "oms.channel.product"
    _description = "Channel Product Mapping"
    _order = "channel_id, external_sku"
    _rec_name = "external_sku"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "oms.channel", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    external_sku = fields.Char("Channel SKU", required=True)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        check_company=True,
        index=True,
    )
    external_product_ref = fields.Char("Channel Product ID")
    external_stock_ref = fields.Char(
        "Channel Stock ID",
        help="Shopify inventory item id, or WooCommerce product id "
        "(product/variation for variations). Empty: no stock is pushed.",
    )
    last_pushed_qty = fields.Float("Last Published Quantity", readonly=True)
    last_push_date = fields.Datetime("Last Published", readonly=True)

    _sql_constraints = [
        (
            "channel_sku_uniq",
            "unique(channel_id, external_sku)",
            "A channel SKU is mapped to one product only.",
        ),
    ]

    @api.model
    def _to_internal(self, channel, external_ids, key="external_sku"):
        """The bindings of these SKUs of ``channel`` (one query); their
        ``product_id`` is our product.

        :param channel: ``oms.channel`` record
        :param external_ids: list of the platform's SKUs, or of its product ids
            with ``key="external_product_ref"``
        :rtype: ``oms.channel.product`` recordset
        """
        return self.search([("channel_id", "=", channel.id), (key, "in", external_ids)])

    @api.model
    def _to_external(self, channel, products):
        """The bindings of these products on ``channel`` (their SKUs and stock ids).

        :rtype: ``oms.channel.product`` recordset
        """
        return self.search(
            [("channel_id", "=", channel.id), ("product_id", "in", products.ids)]
        )
