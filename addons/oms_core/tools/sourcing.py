"""Which warehouse ships which product of an order (plain Python, no ORM).

Given what the order needs, what each candidate warehouse can promise and the
warehouses in order of preference:

1. the first warehouse that can ship everything is chosen;
2. otherwise, when the customer accepts split shipments, the products are
   assigned greedily: the warehouse that can ship the most of the products
   still unassigned (the preferred one on a tie) takes them, and so on, so
   the order is split into as few deliveries as this finds;
3. otherwise there is no plan: the stock check holds the order.

A product goes whole to one warehouse (the order's lines are not split).
"""

from dataclasses import dataclass, field

#: quantities closer than this count as equal (ATP is rounded to the UoM already)
EPSILON = 1e-6


@dataclass
class SourcingPlan:
    """The outcome for one order.

    :param assignment: {product id: warehouse id}, None when nothing covers it
    :param split: True when the products ship from more than one warehouse
    """

    assignment: dict = field(default=None)
    split: bool = False

    @property
    def covered(self):
        return self.assignment is not None

    def warehouses(self):
        """The warehouse ids of the plan, in order of first appearance."""
        return list(dict.fromkeys((self.assignment or {}).values()))


def _coverable(needs, atp, warehouse_id, product_ids):
    return [
        pid
        for pid in product_ids
        if needs[pid] - atp.get((warehouse_id, pid), 0.0) <= EPSILON
    ]


def plan_sourcing(needs, atp, ranked, allow_split):
    """The sourcing plan of one order.

    :param dict needs: {product id: quantity to ship}
    :param dict atp: {(warehouse id, product id): quantity it can promise}
    :param list ranked: candidate warehouse ids, preferred first
    :param bool allow_split: the customer accepts one delivery per warehouse
    :rtype: SourcingPlan
    """
    products = sorted(needs)
    for warehouse_id in ranked:
        if len(_coverable(needs, atp, warehouse_id, products)) == len(products):
            return SourcingPlan({pid: warehouse_id for pid in products})
    if not allow_split:
        return SourcingPlan()
    assignment, left = {}, products
    while left:
        best, best_products = None, []
        for warehouse_id in ranked:
            coverable = _coverable(needs, atp, warehouse_id, left)
            if len(coverable) > len(best_products):
                best, best_products = warehouse_id, coverable
        if not best_products:
            return SourcingPlan()
        for pid in best_products:
            assignment[pid] = best
        left = [pid for pid in left if pid not in assignment]
    return SourcingPlan(assignment, split=len(set(assignment.values())) > 1)
