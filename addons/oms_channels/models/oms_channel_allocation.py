from odoo import api, fields, models

from ..allocation import AllocationRule, allocate


class OmsChannelAllocation(models.Model):
    """How much of a product's stock one channel is offered.

    Beyond the flat ``stock_buffer`` of a channel: per channel and product (or
    product category, the product's own rule wins, then the nearest category) a
    share of the quantity available to promise, a maximum, a floor kept for the
    other channels and a priority between the channels sharing a warehouse when
    the stock is short. The numbers are worked out by the plain-Python engine
    of ``oms_channels.allocation`` (see its docstring for the rounding), and the
    stock push publishes them (``oms.channel._get_offered_qty``).
    """

    _name = "oms.channel.allocation"
    _description = "Channel Stock Allocation"
    _order = "sequence, channel_id, id"
    _check_company_auto = True

    # no company check: the allocation's company is the channel's, and the
    # check would offer only channels without a company on a new row
    channel_id = fields.Many2one(
        "oms.channel", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    product_id = fields.Many2one(
        "product.product", ondelete="cascade", index=True, check_company=True
    )
    categ_id = fields.Many2one(
        "product.category", string="Product Category", ondelete="cascade", index=True
    )
    share_percent = fields.Float(
        "Share (%)",
        default=100.0,
        help="Share of the quantity available to promise offered to the channel.",
    )
    max_qty = fields.Float(
        "Maximum Quantity",
        digits="Product Unit of Measure",
        help="Most units offered to the channel; 0 for no maximum.",
    )
    floor_qty = fields.Float(
        "Floor Kept for Others",
        digits="Product Unit of Measure",
        help="Units of the stock never offered to this channel: they stay for the "
        "other channels.",
    )
    sequence = fields.Integer(
        "Priority",
        default=10,
        help="When the channels want more than the stock, the lower priority "
        "number is served first.",
    )

    _sql_constraints = [
        (
            "product_or_category",
            "CHECK((product_id IS NULL) != (categ_id IS NULL))",
            "An allocation is for a product or for a product category.",
        ),
        (
            "channel_product_uniq",
            "unique(channel_id, product_id)",
            "A channel has one allocation per product.",
        ),
        (
            "channel_categ_uniq",
            "unique(channel_id, categ_id)",
            "A channel has one allocation per product category.",
        ),
        (
            "share_percent_range",
            "CHECK(share_percent >= 0 AND share_percent <= 100)",
            "The share is between 0 and 100%.",
        ),
        (
            "quantities_positive",
            "CHECK(max_qty >= 0 AND floor_qty >= 0)",
            "The maximum and the floor cannot be negative.",
        ),
    ]

    @api.depends("channel_id", "product_id", "categ_id")
    def _compute_display_name(self):
        for allocation in self:
            target = allocation.product_id or allocation.categ_id
            allocation.display_name = (
                f"{allocation.channel_id.display_name} / {target.display_name}"
            )

    def _to_rule(self):
        """The engine's view of this allocation (keyed by the channel id)."""
        self.ensure_one()
        return AllocationRule(
            key=self.channel_id.id,
            share_percent=self.share_percent,
            max_qty=self.max_qty,
            floor_qty=self.floor_qty,
            sequence=self.sequence,
        )

    @api.model
    def _get_channels_sharing(self, warehouse, company):
        """Hook: the channels whose offers share the stock of ``warehouse``.

        :rtype: oms.channel
        """
        channels = self.env["oms.channel"].search([("company_id", "=", company.id)])
        return channels.filtered(lambda c: c._get_stock_warehouse() == warehouse)

    @api.model
    def _get_rules(self, channels, products):
        """The allocation of each channel for each product: its own, else the
        one of its nearest category.

        :return: {product id: oms.channel.allocation, one per channel that has one}
        :rtype: dict
        """
        categ_ids = {
            int(categ_id)
            for product in products
            for categ_id in (product.categ_id.parent_path or "").split("/")
            if categ_id
        }
        allocations = self.search(
            [
                ("channel_id", "in", channels.ids),
                "|",
                ("product_id", "in", products.ids),
                ("categ_id", "in", list(categ_ids)),
            ]
        )
        by_product, by_categ = {}, {}
        for allocation in allocations:
            if allocation.product_id:
                by_product[allocation.channel_id.id, allocation.product_id.id] = (
                    allocation
                )
            else:
                by_categ[allocation.channel_id.id, allocation.categ_id.id] = allocation
        result = {}
        for product in products:
            # nearest category first
            ancestry = [
                int(c) for c in (product.categ_id.parent_path or "").split("/") if c
            ][::-1]
            found = self.browse()
            for channel in channels:
                allocation = by_product.get((channel.id, product.id))
                for categ_id in ancestry:
                    if allocation:
                        break
                    allocation = by_categ.get((channel.id, categ_id))
                if allocation:
                    found |= allocation
            if found:
                result[product.id] = found
        return result

    @api.model
    def _get_offers(self, warehouse, products, atp, company):
        """What each channel sharing ``warehouse`` is offered of each product.

        Channels without an allocation for a product are offered ATP − their
        buffer (the flat rule); the channels with one share the ATP through the
        allocation engine.

        :param atp: {product id: quantity available to promise in ``warehouse``}
        :return: {(channel id, product id): whole units offered}
        :rtype: dict
        """
        channels = self._get_channels_sharing(warehouse, company)
        rules = self._get_rules(channels, products)
        offers = {}
        for product in products:
            for channel in channels:
                offers[channel.id, product.id] = max(
                    int(atp.get(product.id, 0.0) - channel.stock_buffer), 0
                )
            allocations = rules.get(product.id)
            if allocations:
                allocated = allocate(
                    atp.get(product.id, 0.0), [a._to_rule() for a in allocations]
                )
                for channel_id, qty in allocated.items():
                    offers[channel_id, product.id] = qty
        return offers
