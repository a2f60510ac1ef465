from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


class OmsCommon(TransactionCase):
    """Shared fixtures of the oms_core tests: users of each OMS group, a
    customer, a warehouse with stock, and factories for orders and rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.salesman = new_test_user(
            cls.env, login="oms_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.oms_user = new_test_user(
            cls.env, login="oms_user", groups="base.group_user,oms_core.group_oms_user"
        )
        cls.reviewer = new_test_user(
            cls.env,
            login="oms_reviewer",
            groups="sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer",
        )
        cls.manager = new_test_user(
            cls.env, login="oms_manager", groups="oms_core.group_oms_manager"
        )
        cls.internal = new_test_user(
            cls.env, login="oms_internal", groups="base.group_user"
        )
        # rules of the database (demo) must not interfere with the tests
        cls.env["oms.review.rule"].search([]).active = False
        cls.env["oms.priority.rule"].search([]).active = False
        cls.company.write(
            {
                "oms_auto_confirm": True,
                "oms_priority_high_score": 50,
                "oms_priority_urgent_score": 100,
            }
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.country = cls.env.ref("base.be")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "OMS Customer",
                "street": "Rue du Test 1",
                "city": "Brussels",
                "zip": "1000",
                "country_id": cls.country.id,
                "email": "customer@example.com",
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "OMS Widget",
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
            }
        )
        cls.product_alt = cls.env["product.product"].create(
            {
                "name": "OMS Widget Plus",
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
            }
        )
        cls.service = cls.env["product.product"].create(
            {"name": "OMS Service", "type": "service", "list_price": 50.0}
        )
        cls._set_stock(cls.product, 10)
        cls._set_stock(cls.product_alt, 10)

    @classmethod
    def _set_stock(cls, product, qty, warehouse=None):
        warehouse = warehouse or cls.warehouse
        cls.env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, qty
        )

    @classmethod
    def _create_order(cls, qty=1.0, product=None, user=None, **values):
        product = product or cls.product
        vals = {
            "partner_id": cls.customer.id,
            "warehouse_id": cls.warehouse.id,
            "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": qty})
            ],
        }
        vals.update(values)
        Order = cls.env["sale.order"]
        if user:
            Order = Order.with_user(user)
        return Order.create(vals)

    @classmethod
    def _create_rule(cls, check_type, severity="block", **values):
        vals = {
            "name": f"Test {check_type}",
            "check_type": check_type,
            "severity": severity,
        }
        vals.update(values)
        return cls.env["oms.review.rule"].create(vals)

    @classmethod
    def _receive(cls, product, qty):
        """Validate a receipt of ``qty`` units into the warehouse."""
        supplier = cls.env.ref("stock.stock_location_suppliers")
        receipt = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.in_type_id.id,
                "location_id": supplier.id,
                "location_dest_id": cls.warehouse.lot_stock_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": supplier.id,
                            "location_dest_id": cls.warehouse.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = qty
        receipt.move_ids.picked = True
        receipt._action_done()
        return receipt
