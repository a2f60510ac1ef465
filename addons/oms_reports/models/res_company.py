from odoo import fields, models


class ResCompany(models.Model):
    """The handling costs behind the ``cost_per_order`` KPI (company currency):
    one cost per step every order goes through, and one per manual touch."""

    _inherit = "res.company"

    oms_cost_per_order = fields.Monetary(
        string="Cost per Order Received",
        currency_field="currency_id",
        help="Intake and automatic review of one order (every order received).",
    )
    oms_cost_per_exception = fields.Monetary(
        string="Cost per Exception",
        currency_field="currency_id",
        help="Handling one review exception raised on an order.",
    )
    oms_cost_per_shipment = fields.Monetary(
        string="Cost per Shipment",
        currency_field="currency_id",
        help="Picking, packing and shipping one delivery of an order.",
    )
    oms_cost_per_return = fields.Monetary(
        string="Cost per Returned Order",
        currency_field="currency_id",
        help="Receiving and handling the returned goods of one order.",
    )
    oms_cost_per_touch = fields.Monetary(
        string="Cost per Manual Touch",
        currency_field="currency_id",
        help="One manual intervention on an order: a review override, an "
        "edit after approval, an exception resolved by hand.",
    )
