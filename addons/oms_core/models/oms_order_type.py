from odoo import api, fields, models, tools

OMS_ORDER_TYPES = [
    ("standard", "Standard"),
    ("presale", "Presale"),
    ("bulk", "Bulk (B2B)"),
    ("custom", "Custom (made to order)"),
]
OMS_INVOICE_POLICY = [
    ("manual", "Manual (Odoo default)"),
    ("order", "On order (prepaid)"),
    ("delivery", "On delivery"),
    ("periodic", "Periodic (consolidated)"),
]
OMS_PAYMENT_POLICY = [
    ("terms", "Payment terms"),
    ("prepaid", "Prepaid"),
    ("cod", "Cash on delivery"),
]


class OmsOrderType(models.Model):
    """Defaults of an order type (`sale.order.oms_order_type`).

    One record per value of the selection; the review rules use them for their
    applicability, the order for its shipping, invoice and payment policies and
    its route.
    """

    _name = "oms.order.type"
    _description = "Order Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(OMS_ORDER_TYPES, required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    picking_policy = fields.Selection(
        [("direct", "As soon as possible"), ("one", "When all products are ready")],
        string="Shipping Policy",
        help="Default shipping policy of orders of this type; "
        "empty keeps Odoo's default.",
    )
    allow_without_stock = fields.Boolean(
        string="Confirm Without Stock",
        help="Orders of this type skip the stock check (presale, made to order).",
    )
    route_id = fields.Many2one(
        "stock.route",
        help="Route used by the lines of orders of this type that have no route, "
        "e.g. Replenish on Order (MTO) for custom orders.",
    )
    invoice_policy = fields.Selection(
        OMS_INVOICE_POLICY,
        help="Default invoice policy of orders of this type; a customer's own policy "
        "wins. Empty: manual (Odoo's default).",
    )
    payment_policy = fields.Selection(
        OMS_PAYMENT_POLICY,
        help="Default payment policy of orders of this type; a customer's own policy "
        "wins. Empty: payment terms.",
    )

    _sql_constraints = [
        ("code_uniq", "unique(code)", "There is already an order type with this code."),
    ]

    @api.model
    def _get_by_code(self, code):
        """The active type of ``code`` (cached: the review asks for it per order)."""
        return self.browse(self._get_id_by_code(code))

    @tools.ormcache("code")
    def _get_id_by_code(self, code):
        return self.search([("code", "=", code)], limit=1).id

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _get_id_by_code
        return super().create(vals_list)

    def write(self, vals):
        if {"code", "active", "sequence"} & set(vals):
            self.env.registry.clear_cache()  # _get_id_by_code
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _get_id_by_code
        return super().unlink()
