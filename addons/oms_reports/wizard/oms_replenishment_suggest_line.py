from odoo import fields, models


class OmsReplenishmentSuggestLine(models.TransientModel):
    _name = "oms.replenishment.suggest.line"
    _description = "Replenishment Suggestion"
    _order = "is_low_stock desc, product_id"

    wizard_id = fields.Many2one(
        "oms.replenishment.suggest", required=True, ondelete="cascade"
    )
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id")
    avg_daily_demand = fields.Float(
        "Average Daily Demand", digits=(16, 3), readonly=True
    )
    demand_deviation = fields.Float(digits=(16, 3), readonly=True)
    lead_days = fields.Float("Lead Time (days)", readonly=True)
    safety_stock = fields.Float(digits=(16, 3), readonly=True)
    min_qty = fields.Float("Suggested Min", digits="Product Unit of Measure")
    max_qty = fields.Float("Suggested Max", digits="Product Unit of Measure")
    orderpoint_id = fields.Many2one(
        "stock.warehouse.orderpoint", "Reordering Rule", readonly=True
    )
    current_min_qty = fields.Float(
        related="orderpoint_id.product_min_qty", string="Current Min"
    )
    current_max_qty = fields.Float(
        related="orderpoint_id.product_max_qty", string="Current Max"
    )
    is_low_stock = fields.Boolean("Short for Open Orders", readonly=True)
    open_qty = fields.Float(
        "Open Order Qty", digits="Product Unit of Measure", readonly=True
    )
    on_hand_qty = fields.Float(
        "On Hand", digits="Product Unit of Measure", readonly=True
    )
    to_apply = fields.Boolean("Apply", default=True)
