"""Share the stock available to promise of one product between channels
(plain Python, no ORM: values in, values out).

Each channel with an allocation rule for the product wants::

    min(ATP × share %, maximum quantity, ATP − floor kept for the others)

When the channels want more than there is, the rules are served by priority
(``sequence``, then the order given): each takes what it wants of what the
channels before it left. The quantities are then rounded down to whole units,
and the units that rounding left over (never more than the fractions add up
to) go one each to the channels with a fraction, again by priority. So the
total offered is never more than ATP, never negative, a channel never gets
more than its maximum nor dips into the floor it keeps for the others, and
more stock never lowers the total offered (a lower-priority channel may get
less when more stock lets the channels before it take their share: priority
comes first).
"""

import math
from dataclasses import dataclass

#: quantities closer than this to a whole number are that number (float noise)
EPSILON = 1e-9


@dataclass(frozen=True)
class AllocationRule:
    """What one channel may be offered of one product.

    :param key: the channel (any hashable: an id in Odoo)
    :param share_percent: share of the ATP, 0–100
    :param max_qty: most units offered, 0 for no maximum
    :param floor_qty: units of the ATP this channel leaves to the others
    :param sequence: priority when the stock is short (lower first)
    """

    key: object
    share_percent: float = 100.0
    max_qty: float = 0.0
    floor_qty: float = 0.0
    sequence: int = 10


def _whole(qty):
    """Whole units in ``qty``, rounded down (float noise ignored)."""
    return max(math.floor(qty + EPSILON), 0)


def _wanted(rule, atp):
    """Units ``rule`` wants of ``atp`` whole units (a real number ≥ 0)."""
    want = atp * min(max(rule.share_percent, 0.0), 100.0) / 100.0
    if rule.max_qty > 0:
        want = min(want, _whole(rule.max_qty))
    # the floor is kept whole: a fraction of a unit kept back keeps the unit
    want = min(want, atp - math.ceil(max(rule.floor_qty, 0.0) - EPSILON))
    return max(want, 0.0)


def allocate(atp, rules):
    """Units of one product offered to each channel.

    :param float atp: quantity available to promise (rounded down, < 0 is 0)
    :param rules: the :class:`AllocationRule` of each channel (one per key)
    :return: {key: whole units offered}
    :rtype: dict
    """
    stock = _whole(atp)
    ordered = sorted(enumerate(rules), key=lambda item: (item[1].sequence, item[0]))
    left = float(stock)
    exact = {}
    for _index, rule in ordered:
        take = min(_wanted(rule, stock), left)
        exact[rule.key] = take
        left -= take
    offered = {key: _whole(qty) for key, qty in exact.items()}
    # rounding leftovers: whole units of the fractions, one each by priority
    leftover = _whole(sum(exact.values())) - sum(offered.values())
    for _index, rule in ordered:
        if leftover <= 0:
            break
        if exact[rule.key] - offered[rule.key] > EPSILON:
            offered[rule.key] += 1
            leftover -= 1
    return offered
