from odoo import api, fields, models
from odoo.exceptions import AccessError

# line fields whose change after approval sends the order back to review
OMS_REVIEWED_LINE_FIELDS = {
    "product_id",
    "product_uom_qty",
    "product_uom",
    "price_unit",
    "discount",
}


class SaleOrderLine(models.Model):
    """Available to promise, invoiced quantity under the OMS invoice policy,
    procurement values, and the re-review of lines changed after approval."""

    _inherit = "sale.order.line"

    oms_atp_qty = fields.Float(
        string="Available to Promise",
        compute="_compute_oms_atp_qty",
        digits="Product Unit of Measure",
        help="On hand − reserved − promised to confirmed orders, in the order's "
        "warehouse, in the product's unit of measure.",
    )

    oms_source_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Ships From",
        readonly=True,
        copy=False,
        help="Warehouse the review's sourcing chose for this line; its delivery "
        "leaves from there.",
    )

    @api.depends("oms_source_warehouse_id")
    def _compute_warehouse_id(self):
        """The warehouse sourcing chose wins over sale_stock's (order, route):
        the line's procurement (``_prepare_procurement_values``) then pulls
        from it, one delivery per warehouse."""
        res = super()._compute_warehouse_id()
        for line in self.filtered("oms_source_warehouse_id"):
            line.warehouse_id = line.oms_source_warehouse_id
        return res

    @api.depends("product_id", "order_id.warehouse_id")
    def _compute_oms_atp_qty(self):
        self.oms_atp_qty = 0.0
        lines = self.filtered(
            lambda line: line.product_id.is_storable and line.order_id.warehouse_id
        )
        for warehouse, wh_lines in lines.grouped(
            lambda line: line.order_id.warehouse_id
        ).items():
            atp = wh_lines.product_id._oms_get_atp(warehouse)
            for line in wh_lines:
                line.oms_atp_qty = atp[line.product_id.id]

    @api.depends("order_id.oms_invoice_policy")
    def _compute_qty_to_invoice(self):
        """The order's OMS invoice policy overrides the product's: on order invoices
        the ordered quantity, on delivery and periodic the delivered goods."""
        res = super()._compute_qty_to_invoice()
        for line in self:
            policy = line.order_id.oms_invoice_policy
            if line.state != "sale" or line.display_type or policy in (False, "manual"):
                continue
            if policy == "order":
                line.qty_to_invoice = line.product_uom_qty - line.qty_invoiced
            elif line.product_id.type == "consu":
                line.qty_to_invoice = line.qty_delivered - line.qty_invoiced
        return res

    @api.model_create_multi
    def create(self, vals_list):
        self._oms_check_source_write(vals_list)
        lines = super().create(vals_list)
        lines.order_id._oms_changed_after_approval()
        return lines

    def write(self, vals):
        self._oms_check_source_write([vals])
        res = super().write(vals)
        if OMS_REVIEWED_LINE_FIELDS & set(vals):
            self.order_id._oms_changed_after_approval()
        return res

    def unlink(self):
        orders = self.order_id
        res = super().unlink()
        orders.exists()._oms_changed_after_approval()
        return res

    def _oms_check_source_write(self, vals_list):
        """The review's sourcing (``sale.order._oms_apply_sourcing``, in
        superuser mode) alone sets where a line ships from."""
        if self.env.su or not any("oms_source_warehouse_id" in v for v in vals_list):
            return
        raise AccessError(
            self.env._(
                "%(field)s of an order line is chosen by the review and cannot be "
                "changed directly.",
                field=self._fields["oms_source_warehouse_id"]._description_string(
                    self.env
                ),
            )
        )

    def _oms_get_pricelist_price(self):
        """Unit price the pricelist gives this line, in the order's currency."""
        self.ensure_one()
        if self.pricelist_item_id:
            return self._get_pricelist_price()
        product = self.product_id
        price = product.uom_id._compute_price(product.lst_price, self.product_uom)
        return product.currency_id._convert(
            price,
            self.order_id.currency_id,
            self.order_id.company_id,
            fields.Date.context_today(self),
        )

    def _prepare_procurement_values(self, group_id=False):
        """Add the order priority and the route of the order type."""
        values = super()._prepare_procurement_values(group_id)
        order = self.order_id
        values["priority"] = "1" if order.oms_priority in ("1", "2") else "0"
        route = order._oms_get_order_type().route_id
        if route and not self.route_id:
            values["route_ids"] = route
        return values
