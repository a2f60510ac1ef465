from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OmsReturnLine(models.Model):
    _name = "oms.return.line"
    _description = "Return Line"
    _check_company_auto = True

    return_id = fields.Many2one(
        "oms.return", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True)
    product_id = fields.Many2one("product.product", required=True, check_company=True)
    quantity = fields.Float(
        digits="Product Unit of Measure", default=1.0, required=True
    )
    reason_id = fields.Many2one("oms.return.reason", required=True, check_company=True)
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Order Line",
        check_company=True,
        index="btree_not_null",
    )
    move_id = fields.Many2one(
        "stock.move",
        string="Delivered Move",
        check_company=True,
        index="btree_not_null",
    )

    _sql_constraints = [
        (
            "quantity_positive",
            "CHECK(quantity > 0)",
            "The returned quantity must be positive.",
        ),
    ]

    @api.constrains("quantity", "sale_line_id")
    def _check_quantity_delivered(self):
        for line in self.filtered("sale_line_id"):
            if line.quantity > line.sale_line_id.qty_delivered:
                raise ValidationError(
                    self.env._(
                        "You cannot return more %(product)s than was delivered "
                        "(%(qty)s).",
                        product=line.product_id.display_name,
                        qty=line.sale_line_id.qty_delivered,
                    )
                )
