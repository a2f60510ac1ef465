from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class OmsFulfilCommon(AccountTestInvoicingCommon):
    """Company with a chart of accounts and a warehouse, goods in stock, a customer."""

    @classmethod
    def get_default_groups(cls):
        groups = super().get_default_groups()
        return (
            groups
            | cls.env.ref("stock.group_stock_manager")
            | cls.env.ref("sales_team.group_sale_manager")
            | cls.env.ref("oms_core.group_oms_manager")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "OMS Customer", "email": "customer@example.com"}
        )
        cls.goods = cls._create_oms_product("OMS Widget", 100.0)
        cls.goods_b = cls._create_oms_product("OMS Gadget", 50.0)
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.cash_journal = cls.company_data["default_journal_cash"]

    @classmethod
    def _create_oms_product(cls, name, price):
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "consu",
                "is_storable": True,
                "list_price": price,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
                "property_account_income_id": cls.company_data[
                    "default_account_revenue"
                ].id,
            }
        )

    @classmethod
    def _put_in_stock(cls, product, quantity, location=None):
        cls.env["stock.quant"]._update_available_quantity(
            product, location or cls.stock_location, quantity
        )

    @classmethod
    def _create_order(cls, lines=None, **values):
        lines = lines or [(cls.goods, 5)]
        return cls.env["sale.order"].create(
            dict(
                {
                    "partner_id": cls.customer.id,
                    "warehouse_id": cls.warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "product_uom_qty": qty}
                        )
                        for product, qty in lines
                    ],
                },
                **values,
            )
        )

    def _ship(self, picking, quantities=None, backorder=True):
        """Validate a delivery with the given quantities per product (default: all)."""
        quantities = quantities or {}
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, move.product_uom_qty)
        picking.move_ids.picked = True
        result = picking.button_validate()
        if (
            isinstance(result, dict)
            and result.get("res_model") == "stock.backorder.confirmation"
        ):
            wizard = (
                self.env["stock.backorder.confirmation"]
                .with_context(**result["context"])
                .create({})
            )
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        return picking
