from odoo import fields, models


class OmsWarehouseRegion(models.Model):
    """Which warehouses serve a state or province first.

    The review's sourcing prefers, among the warehouses that can ship a whole
    order, the ones listed here for the state of the delivery address, by
    sequence (``sale.order._oms_rank_source_warehouses``); then the order's
    own warehouse, then the others by their sequence.
    """

    _name = "oms.warehouse.region"
    _description = "Warehouse Region"
    _order = "state_id, sequence, id"
    _check_company_auto = True

    state_id = fields.Many2one(
        "res.country.state",
        string="State / Province",
        required=True,
        ondelete="cascade",
        index=True,
    )
    # no company check: the region's company is the warehouse's, and the
    # check would offer only warehouses without a company on a new row
    warehouse_id = fields.Many2one("stock.warehouse", required=True, ondelete="cascade")
    company_id = fields.Many2one(
        related="warehouse_id.company_id", store=True, index=True
    )
    sequence = fields.Integer(default=10)

    _sql_constraints = [
        (
            "state_warehouse_uniq",
            "unique(state_id, warehouse_id)",
            "A warehouse is listed once per state or province.",
        ),
    ]
