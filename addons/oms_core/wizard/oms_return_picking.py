from odoo import models


class StockReturnPicking(models.TransientModel):
    _inherit = "stock.return.picking"

    def _prepare_picking_default_values(self):
        """Receive an OMS return where its disposition sends the goods.

        Context key ``oms_return_location_dest_id``: destination location id of
        the return receipt (quarantine, scrap).
        """
        vals = super()._prepare_picking_default_values()
        location_id = self.env.context.get("oms_return_location_dest_id")
        if location_id:
            vals["location_dest_id"] = location_id
        return vals
