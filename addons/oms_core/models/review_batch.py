"""State of one review call (plain Python, not a model): created by
``sale.order._oms_run_review`` and passed to every check of ``oms.review.rule``."""

from collections import defaultdict

from ..tools import plan_sourcing


class OmsReviewBatch:
    """What one `_oms_run_review` call remembers between its orders.

    The orders approved earlier in the call, not confirmed yet, are
    ``promised_orders``: the checks count them as confirmed (their stock,
    credit and first order), so a batch decides exactly as one order at a time
    would.

    Nothing is reserved before the orders of a batch are confirmed, so the
    quantity available to promise read from the database does not change during
    the batch: it is read once per (warehouse, product), under the promise lock,
    and the demand of the orders approved earlier in the batch is kept as a
    running total instead of being recomputed for every later order.
    """

    def __init__(self, orders):
        """:param orders: the sale.order recordset under review"""
        self.promised_orders = orders.browse()
        self.atp = {}  # (warehouse id, product id) -> ATP read from the database
        self.promised = defaultdict(float)  # (warehouse id, product id) -> qty
        self.needs = {}  # order id -> sale.order._oms_get_stock_needs()
        self.plans = {}  # order id -> SourcingPlan, None: no sourcing (one warehouse)

    def stock_needs(self, order):
        if order.id not in self.needs:
            self.needs[order.id] = order._oms_get_stock_needs()
        return self.needs[order.id]

    def lock(self, warehouses, products):
        """Hook: take the promise lock of the products in the warehouses before
        reading their ATP (one global order: no deadlock across warehouses)."""
        products._oms_lock_atp(warehouses)

    def load_atp(self, warehouse, products):
        """Lock and read the ATP of the products not read yet in this batch."""
        self.load_atp_pairs({warehouse: products})

    def load_atp_pairs(self, products_by_warehouse):
        """Lock and read the ATP of the (warehouse, product) pairs not read yet
        in this batch, every lock taken at once in the one global order of
        ``oms.stock.promise._lock_pairs`` (no deadlock across warehouses).

        :param dict products_by_warehouse: {stock.warehouse: product.product}
        """
        missing = {}
        for warehouse, products in products_by_warehouse.items():
            todo = products.filtered(
                lambda p, w=warehouse: (w.id, p.id) not in self.atp
            )
            if todo:
                missing[warehouse] = todo
        if not missing:
            return
        warehouses = next(iter(missing)).browse(sorted(w.id for w in missing))
        products = warehouses.env["product.product"].concat(*missing.values())
        self.lock(warehouses, products.browse(sorted(set(products.ids))))
        for wh in sorted(missing, key=lambda w: w.id):
            for product_id, qty in missing[wh]._oms_get_atp(wh).items():
                self.atp[wh.id, product_id] = qty

    def source_plan(self, order):
        """The sourcing plan of a quotation that may ship from several
        warehouses (``sale.order._oms_get_source_warehouses``), read under the
        promise locks of every candidate warehouse and net of what earlier
        orders of the batch were promised.

        :return: the ``SourcingPlan``, or None when the order has one warehouse
            (or is confirmed already: its deliveries say where it ships from)
        """
        if order.id not in self.plans:
            self.plans[order.id] = self._make_plan(order)
        return self.plans[order.id]

    def _make_plan(self, order):
        if order.state not in ("draft", "sent"):
            return None
        ranked = order._oms_rank_source_warehouses()
        if not ranked or ranked == order.warehouse_id:
            return None
        needs = self.stock_needs(order)
        products = order.env["product.product"].browse(sorted(needs))
        self.load_atp_pairs(dict.fromkeys(ranked, products))
        atp = {
            (wh.id, pid): self.atp[wh.id, pid] - self.promised[wh.id, pid]
            for wh in ranked
            for pid in needs
        }
        return plan_sourcing(
            needs, atp, ranked.ids, order._oms_accepts_split_shipment()
        )

    def promisable(self, warehouse, products, order):
        """{product id: ATP − what earlier orders of the batch were promised}

        A quotation has no stock of its own: the ATP read once for the batch
        serves it. A confirmed order being reviewed again gets its own read,
        without its own demand (``exclude_order``)."""
        if order.state in ("draft", "sent"):
            self.load_atp(warehouse, products)
            atp = {
                product.id: self.atp[warehouse.id, product.id] for product in products
            }
        else:
            self.lock(warehouse, products)
            atp = products._oms_get_atp(warehouse, exclude_order=order)
        return {
            product_id: qty - self.promised[warehouse.id, product_id]
            for product_id, qty in atp.items()
        }

    def promise(self, order):
        """The order is approved: its demand is promised to it."""
        self.promised_orders |= order
        plan = self.plans.get(order.id)
        if plan and plan.covered:
            needs = self.stock_needs(order)
            for product_id, warehouse_id in plan.assignment.items():
                self.promised[warehouse_id, product_id] += needs[product_id]
        elif order.warehouse_id:
            for product_id, qty in self.stock_needs(order).items():
                self.promised[order.warehouse_id.id, product_id] += qty

    def prefetch(self, orders):
        """Lock and read at once, in one sorted order per warehouse, the ATP of
        every product the quotations of the batch need (no deadlock between two
        workers reviewing overlapping batches)."""
        by_warehouse = defaultdict(set)
        for order in orders:
            if order.state in ("draft", "sent") and order.warehouse_id:
                needs = self.stock_needs(order)
                # every warehouse the order may ship from (sourcing)
                for warehouse in (
                    order.warehouse_id | order._oms_rank_source_warehouses()
                ):
                    by_warehouse[warehouse].update(needs)
        Product = orders.env["product.product"]
        self.load_atp_pairs(
            {
                warehouse: Product.browse(sorted(product_ids))
                for warehouse, product_ids in by_warehouse.items()
            }
        )


class OmsWhatIfBatch(OmsReviewBatch):
    """A review replayed to see what a rule would do
    (``oms.review.rule.action_what_if``): it promises nothing, so it reads the
    ATP without the promise lock (which writes its version row)."""

    def lock(self, warehouses, products):
        return None
