from odoo import api, fields, models


class OmsChannelAllocationTable(models.TransientModel):
    """The allocation table: per SKU and warehouse, the quantity available to
    promise and what each channel sharing it is offered, as the stock push
    would publish it now (``oms.channel.allocation._get_offers``).

    Rows are built on demand by ``action_open_table`` (a snapshot, not kept).
    """

    _name = "oms.channel.allocation.table"
    _description = "Channel Allocation Table"
    _order = "product_id, warehouse_id, sequence, channel_id"

    product_id = fields.Many2one("product.product", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    channel_id = fields.Many2one("oms.channel", readonly=True)
    allocation_id = fields.Many2one("oms.channel.allocation", readonly=True)
    sequence = fields.Integer("Priority", readonly=True)
    atp_qty = fields.Float(
        "Available to Promise", digits="Product Unit of Measure", readonly=True
    )
    offered_qty = fields.Integer("Offered", readonly=True)

    @api.model
    def action_open_table(self):
        """Build the table for the products that an allocation shares in the
        current company, and open it grouped by product.

        :return: an ``ir.actions.act_window`` on the new rows
        :rtype: dict
        """
        rows = self.create(self._prepare_table_vals(self.env.company))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Allocation Table"),
            "res_model": self._name,
            "view_mode": "list",
            "domain": [("id", "in", rows.ids)],
            "context": {"group_by": ["product_id"]},
        }

    @api.model
    def _get_table_products(self, company):
        """Hook: the products shown: those an allocation of ``company`` names, and
        the products bound on the channels that share a category.

        :rtype: product.product
        """
        Allocation = self.env["oms.channel.allocation"]
        allocations = Allocation.search([("company_id", "=", company.id)])
        products = allocations.product_id
        categories = allocations.categ_id
        if categories:
            bound = allocations.filtered("categ_id").channel_id.product_binding_ids
            products |= bound.product_id.filtered_domain(
                [("categ_id", "child_of", categories.ids)]
            )
        return products

    @api.model
    def _prepare_table_vals(self, company):
        """One row per product, warehouse and channel sharing the warehouse.

        :return: list of values for ``create``
        :rtype: list
        """
        Allocation = self.env["oms.channel.allocation"]
        products = self._get_table_products(company)
        channels = self.env["oms.channel"].search([("company_id", "=", company.id)])
        vals_list = []
        for warehouse in channels.mapped(lambda c: c._get_stock_warehouse()):
            atp = products._oms_get_atp(warehouse)
            sharing = Allocation._get_channels_sharing(warehouse, company)
            rules = Allocation._get_rules(sharing, products)
            offers = Allocation._get_offers(warehouse, products, atp, company)
            for product in products:
                if product.id not in rules:
                    continue
                by_channel = {a.channel_id: a for a in rules[product.id]}
                for channel in sharing:
                    allocation = by_channel.get(channel, Allocation)
                    vals_list.append(
                        {
                            "product_id": product.id,
                            "warehouse_id": warehouse.id,
                            "channel_id": channel.id,
                            "allocation_id": allocation.id,
                            "sequence": allocation.sequence,
                            "atp_qty": atp[product.id],
                            "offered_qty": offers[channel.id, product.id],
                        }
                    )
        return vals_list
