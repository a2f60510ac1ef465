"""State of one review call (plain Python, not a model): created by
``sale.order._oms_run_review`` and passed to every check of ``oms.review.rule``."""

from collections import defaultdict

from odoo.osv import expression

from ..tools import plan_sourcing

#: orders whose duplicates or earlier orders one query reads at once
PREFETCH_SIZE = 100


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
        self.orders = orders
        self.order_ids = orders.ids
        self.positions = {}  # kind of prefetch -> position in order_ids
        self.promised_orders = orders.browse()
        self.atp = {}  # (warehouse id, product id) -> ATP read from the database
        self.promised = defaultdict(float)  # (warehouse id, product id) -> qty
        self.needs = {}  # order id -> sale.order._oms_get_stock_needs()
        self.plans = {}  # order id -> SourcingPlan, None: no sourcing (one warehouse)
        # (hours, order id) -> the orders the duplicate search finds
        self.duplicate_candidates = {}
        self.duplicates_read = defaultdict(set)  # hours -> ids of the orders read
        # repr of a duplicate domain -> the orders it finds (the search's order)
        self.duplicates_by_domain = {}
        # order id -> the ids of up to two confirmed orders of its customer
        self.confirmed_orders = {}
        self.credit = {}  # (company id, commercial partner id) -> exposure
        self.lines_read = set()  # ids of the orders whose lines were read

    def _prefetch_chunk(self, order, done, kind):
        """``order`` and the next orders of the batch not in ``done`` (at
        most ``PREFETCH_SIZE`` in all): the orders one set-based read of
        ``kind`` serves. Each kind walks the batch once, however large.

        :param set done: ids of the orders already read for ``kind``
        :param str kind: what is read (one position in the batch per kind)
        """
        ids = self.order_ids
        position = self.positions.get(kind, 0)
        chunk = [order.id]
        while position < len(ids) and len(chunk) < PREFETCH_SIZE:
            if ids[position] not in done and ids[position] != order.id:
                chunk.append(ids[position])
            position += 1
        self.positions[kind] = position
        return order.browse(chunk)

    def duplicates(self, order, hours):
        """The orders ``order._oms_get_duplicate_domain(hours)`` finds (at most
        50, in the search's order), read for the orders of the batch with one
        search of all their domains: the duplicate check searches no more
        per order. The batch creates and cancels no order while it runs.

        :rtype: sale.order (sudo)
        """
        key = (hours, order.id)
        if key not in self.duplicate_candidates:
            done = self.duplicates_read[hours]
            # the review must see every order, also those of other salespeople
            chunk = self._prefetch_chunk(order, done, f"duplicates {hours}").sudo()
            domains = {o.id: o._oms_get_duplicate_domain(hours=hours) for o in chunk}
            # two duplicate rules that differ by their window only search the
            # same domain for an order with a reference: searched once
            by_domain = self.duplicates_by_domain
            todo = {
                repr(domain): domain
                for domain in domains.values()
                if repr(domain) not in by_domain
            }
            if todo:
                found = chunk.search(expression.OR(list(todo.values())))
                for text, domain in todo.items():
                    by_domain[text] = found.filtered_domain(domain)[:50]
            for other in chunk:
                self.duplicate_candidates[hours, other.id] = by_domain[
                    repr(domains[other.id])
                ]
            done.update(chunk.ids)
        return self.duplicate_candidates[key]

    def has_earlier_order(self, order):
        """Whether the customer (commercial partner) of ``order`` has another
        confirmed order, or another order approved earlier in the batch: the
        new-customer check. The confirmed orders are read for the customers of
        the batch at once (the batch confirms nothing while it runs).

        :rtype: bool
        """
        if order.id not in self.confirmed_orders:
            chunk = self._prefetch_chunk(
                order, self.confirmed_orders, "confirmed"
            ).sudo()
            customers = chunk.partner_id.commercial_partner_id
            # the orders of every salesperson count
            by_customer = defaultdict(list)
            for partner, count, first, last in chunk._read_group(
                [
                    ("partner_id.commercial_partner_id", "in", customers.ids),
                    ("state", "=", "sale"),
                ],
                ["partner_id"],
                ["__count", "id:min", "id:max"],
            ):
                ids = by_customer[partner.commercial_partner_id.id]
                ids.extend([first] if count == 1 else [first, last])
            for other in chunk:
                self.confirmed_orders[other.id] = set(
                    by_customer[other.partner_id.commercial_partner_id.id]
                )
        customer = order.partner_id.commercial_partner_id
        return bool(self.confirmed_orders[order.id] - {order.id}) or any(
            other.id != order.id and other.partner_id.commercial_partner_id == customer
            for other in self.promised_orders
        )

    def product_lines(self, order):
        """``order._oms_get_product_lines()``, their products and the
        products' sale prices read for the orders of the batch at once (the
        price checks read them line by line).

        :rtype: sale.order.line
        """
        if order.id not in self.lines_read:
            self._read_lines(self._prefetch_chunk(order, self.lines_read, "lines"))
        return order._oms_get_product_lines()

    def _read_lines(self, orders):
        """Read the lines of ``orders``, their products and the products'
        sale prices in a few queries, not order by order."""
        self.lines_read.update(orders.ids)
        lines = orders.order_line
        lines.mapped("product_uom")
        products = lines.product_id
        for fname in ("is_storable", "uom_id", "currency_id", "lst_price"):
            products.mapped(fname)

    def credit_exposure(self, partner):
        """Receivables and uninvoiced sales (``credit`` + ``credit_to_invoice``)
        of ``partner``, a commercial partner in the environment of its company:
        read at once for the customers of the batch in that company (the
        batch posts and confirms nothing while it runs).

        :rtype: float
        """
        company = partner.env.company
        if (company.id, partner.id) not in self.credit:
            customers = partner | (
                self.orders.filtered(lambda o: o.company_id == company)
                .partner_id.commercial_partner_id.with_env(partner.env)
                .filtered(lambda p: (company.id, p.id) not in self.credit)
            )
            for customer in customers:
                self.credit[company.id, customer.id] = (
                    customer.credit + customer.credit_to_invoice
                )
        return self.credit[company.id, partner.id]

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
        self._read_lines(orders)
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
