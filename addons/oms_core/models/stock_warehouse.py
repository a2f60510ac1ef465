from odoo import Command, fields, models
from odoo.tools import float_compare

OMS_INTERWAREHOUSE_POLICY = [
    ("none", "No"),
    ("propose", "Propose a transfer"),
    ("transfer", "Create the transfer"),
]


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    # Required in the form only: no NOT NULL on a core table, so that modules
    # loaded before this one (and their tests) keep creating warehouses.
    oms_interwarehouse_policy = fields.Selection(
        OMS_INTERWAREHOUSE_POLICY,
        string="Inter-warehouse Replenishment",
        default="none",
        help="When an approved order lacks stock here and another warehouse of the "
        "company has it: propose (activity on the order) or create an "
        "inter-warehouse transfer.",
    )

    def _oms_get_quarantine_location(self):
        """The warehouse's quarantine location for returned goods to inspect,
        created under the warehouse on first use."""
        self.ensure_one()
        Location = self.env["stock.location"]
        location = Location.search(
            [
                ("location_id", "=", self.view_location_id.id),
                ("oms_is_quarantine", "=", True),
            ],
            limit=1,
        )
        if not location:
            location = Location.create(
                {
                    "name": self.env._("Quarantine"),
                    "location_id": self.view_location_id.id,
                    "usage": "internal",
                    "company_id": self.company_id.id,
                    "oms_is_quarantine": True,
                }
            )
        return location

    def _oms_find_source_warehouse(self, product, quantity):
        """Another warehouse of the company with ``quantity`` of ``product`` free.

        :return: a stock.warehouse (empty if none)
        """
        self.ensure_one()
        others = self.search(
            [("company_id", "=", self.company_id.id), ("id", "!=", self.id)]
        )
        for warehouse in others:
            free = product.with_context(warehouse_id=warehouse.id).free_qty
            if (
                float_compare(
                    free, quantity, precision_rounding=product.uom_id.rounding
                )
                >= 0
            ):
                return warehouse
        return self.browse()

    def _oms_create_interwarehouse_transfer(self, source, product, quantity, origin):
        """Move ``quantity`` of ``product`` from ``source``'s stock to here."""
        self.ensure_one()
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": source.int_type_id.id,
                "location_id": source.lot_stock_id.id,
                "location_dest_id": self.lot_stock_id.id,
                "origin": origin,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.display_name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": source.lot_stock_id.id,
                            "location_dest_id": self.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking
