"""State of one review call (plain Python, not a model): created by
``sale.order._oms_run_review`` and passed to every check of ``oms.review.rule``."""

from collections import defaultdict


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

    def stock_needs(self, order):
        if order.id not in self.needs:
            self.needs[order.id] = order._oms_get_stock_needs()
        return self.needs[order.id]

    def lock(self, warehouse, products):
        """Hook: take the promise lock of the products before reading their ATP."""
        products._oms_lock_atp(warehouse)

    def load_atp(self, warehouse, products):
        """Lock and read the ATP of the products not read yet in this batch."""
        missing = products.filtered(lambda p: (warehouse.id, p.id) not in self.atp)
        if missing:
            self.lock(warehouse, missing)
            for product_id, qty in missing._oms_get_atp(warehouse).items():
                self.atp[warehouse.id, product_id] = qty

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
        if order.warehouse_id:
            for product_id, qty in self.stock_needs(order).items():
                self.promised[order.warehouse_id.id, product_id] += qty

    def prefetch(self, orders):
        """Lock and read at once, in one sorted order per warehouse, the ATP of
        every product the quotations of the batch need (no deadlock between two
        workers reviewing overlapping batches)."""
        by_warehouse = defaultdict(set)
        for order in orders:
            if order.state in ("draft", "sent") and order.warehouse_id:
                by_warehouse[order.warehouse_id].update(self.stock_needs(order))
        for warehouse in sorted(by_warehouse, key=lambda w: w.id):
            products = orders.env["product.product"].browse(
                sorted(by_warehouse[warehouse])
            )
            self.load_atp(warehouse, products)


class OmsWhatIfBatch(OmsReviewBatch):
    """A review replayed to see what a rule would do
    (``oms.review.rule.action_what_if``): it promises nothing, so it reads the
    ATP without the promise lock (which writes its version row)."""

    def lock(self, warehouse, products):
        return None
