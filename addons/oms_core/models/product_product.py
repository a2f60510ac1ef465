from odoo import fields, models
from odoo.tools import float_round

from .promise_engine import Supply


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _oms_get_atp(self, warehouse, exclude_order=None):
        """Quantity available to promise of these products in ``warehouse``.

        On hand − reserved − quantity of confirmed orders not yet reserved, in
        the product's unit of measure. Reads stock as superuser: the review
        needs the figures whoever triggers it.

        :param warehouse: stock.warehouse record
        :param exclude_order: sale.order whose own demand is not deducted
        :return: {product_id: qty}
        :rtype: dict
        """
        atp = self._oms_get_free_qty(warehouse)
        domain = [
            ("product_id", "in", self.ids),
            ("location_id.warehouse_id", "=", warehouse.id),
            ("sale_line_id", "!=", False),
            ("state", "not in", ("draft", "done", "cancel")),
            ("location_dest_id.usage", "=", "customer"),
        ]
        if exclude_order:
            domain.append(("sale_line_id.order_id", "!=", exclude_order.id))
        Move = self.env["stock.move"].sudo()
        for product, demand in Move._read_group(
            domain, ["product_id"], ["product_qty:sum"]
        ):
            atp[product.id] -= demand
        reserved = (
            self.env["stock.move.line"]
            .sudo()
            ._read_group(
                [("move_id", "any", domain)],
                ["product_id"],
                ["quantity_product_uom:sum"],
            )
        )
        for product, qty in reserved:
            # reserved units are already out of free_qty
            atp[product.id] += qty
        return {
            product.id: float_round(
                atp[product.id], precision_rounding=product.uom_id.rounding
            )
            for product in self
        }

    def _oms_get_sale_demand_domain(self, warehouse):
        """Open deliveries of confirmed orders from ``warehouse`` (stock moves)."""
        return [
            ("product_id", "in", self.ids),
            ("location_id.warehouse_id", "=", warehouse.id),
            ("sale_line_id", "!=", False),
            ("state", "not in", ("draft", "done", "cancel")),
            ("location_dest_id.usage", "=", "customer"),
        ]

    def _oms_get_promise_supply(self, warehouse, tz=None):
        """Supply of the products in ``warehouse`` over time (promise engine).

        Now: free quantity plus what the confirmed orders reserved (their
        demand is served from it). Then the receipts and inter-warehouse
        transfers into the warehouse, by their scheduled dates (days in the
        time zone ``tz``, a name). Read as
        superuser, like the ATP.

        :return: {product_id: Supply}
        """
        on_hand = self._oms_get_free_qty(warehouse)
        Move = self.env["stock.move"].sudo()
        reserved = (
            self.env["stock.move.line"]
            .sudo()
            ._read_group(
                [("move_id", "any", self._oms_get_sale_demand_domain(warehouse))],
                ["product_id"],
                ["quantity_product_uom:sum"],
            )
        )
        for product, qty in reserved:
            on_hand[product.id] += qty
        incoming = {product_id: [] for product_id in self.ids}
        for product, day, qty in Move.with_context(tz=tz or "UTC")._read_group(
            [
                ("product_id", "in", self.ids),
                ("state", "not in", ("draft", "done", "cancel")),
                ("location_dest_id.warehouse_id", "=", warehouse.id),
                ("location_dest_id.usage", "=", "internal"),
                "|",
                ("location_id.warehouse_id", "=", False),
                ("location_id.warehouse_id", "!=", warehouse.id),
            ],
            ["product_id", "date:day"],
            ["product_qty:sum"],
        ):
            incoming[product.id].append((fields.Date.to_date(day), qty))
        return {
            product_id: Supply(
                on_hand=on_hand[product_id], incoming=incoming[product_id]
            )
            for product_id in self.ids
        }

    def _oms_get_promise_demand(self, warehouse):
        """Open demand of the confirmed orders for the products in ``warehouse``.

        :return: {sale.order.line: qty in the product's unit}
        """
        Move = self.env["stock.move"].sudo()
        return dict(
            Move._read_group(
                self._oms_get_sale_demand_domain(warehouse),
                ["sale_line_id"],
                ["product_qty:sum"],
            )
        )

    def _oms_get_free_qty(self, warehouse):
        """Odoo's ``free_qty`` in ``warehouse`` (on hand − reserved), read from
        the quants only: ``free_qty`` itself would also compute the incoming and
        outgoing quantities, two more queries over the moves that ATP does not need.

        :return: {product_id: qty} for every product of ``self``
        """
        products = self.sudo().with_context(warehouse_id=warehouse.id)
        domain_quant_loc = products._get_domain_locations()[0]
        free = dict.fromkeys(self.ids, 0.0)
        # same quant domain as product.product._compute_quantities_dict
        Quant = self.env["stock.quant"].sudo().with_context(active_test=False)
        for product, quantity, reserved in Quant._read_group(
            [("product_id", "in", self.ids), *domain_quant_loc],
            ["product_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        ):
            free[product.id] = quantity - reserved
        return free

    def _oms_lock_atp(self, warehouse):
        """Lock the (product, warehouse) pairs before reading or promising ATP.

        :param warehouse: stock.warehouse, one or several (sourcing): every
            pair locked at once, in the one global order of ``oms.stock.promise``
        """
        if len(warehouse) == 1:
            self.env["oms.stock.promise"].sudo()._lock(self.ids, warehouse.id)
        else:
            self.env["oms.stock.promise"].sudo()._lock_pairs(
                (product_id, warehouse_id)
                for product_id in self.ids
                for warehouse_id in warehouse.ids
            )
