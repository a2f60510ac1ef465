from odoo import fields, models


class StockReturnPicking(models.TransientModel):
    _inherit = "stock.return.picking"

    oms_location_dest_id = fields.Many2one(
        "stock.location",
        string="OMS Return Destination",
        help="Where the return receipt of an OMS return sends the goods "
        "(quarantine, scrap); empty: the return operation's default.",
    )

    def _prepare_picking_default_values(self):
        """Receive an OMS return where its disposition sends the goods."""
        vals = super()._prepare_picking_default_values()
        if self.oms_location_dest_id:
            vals["location_dest_id"] = self.oms_location_dest_id.id
        return vals
