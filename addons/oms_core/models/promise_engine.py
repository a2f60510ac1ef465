"""The promised ship date, in plain Python (no ORM state): filled by
``sale.order._oms_promise_*`` from the stock and the warehouse calendar, and
tested on its own.

Available to promise over time, per product and warehouse: what is there now
(on hand, less what other operations reserved) and what arrives (receipts and
transfers, by their scheduled dates) form a cumulative supply; the open demand
of the confirmed orders is served from it in the order the warehouse serves
them (priority, then order date, see ``stock.move._oms_sorted_for_reservation``).
A demand is available on the first day the cumulative supply covers every
demand served before it plus its own. The warehouse then needs its picking and
packing lead time, in working days of its calendar (public holidays such as
春节 are leaves of the calendar), and ships at the end of the working day.
"""

import bisect
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

# tolerance of the quantity comparisons (units of measure are rounded finer)
EPSILON = 1e-6
# how far ahead a working day is looked for before giving up (a calendar
# without any working day)
MAX_SEARCH_DAYS = 3660


@dataclass
class Supply:
    """What a warehouse has of one product: now, then by arrival day.

    :param float on_hand: available now for the sales demand (on hand less
        what other operations reserved)
    :param list incoming: [(date, qty)] arrivals, in any order
    """

    on_hand: float = 0.0
    incoming: list = field(default_factory=list)

    def __post_init__(self):
        self._days = []
        self._cumulated = []
        total = self.on_hand
        by_day = {}
        for day, qty in self.incoming:
            by_day[day] = by_day.get(day, 0.0) + qty
        for day in sorted(by_day):
            total += by_day[day]
            self._days.append(day)
            self._cumulated.append(total)

    def available_on(self, cumulated_need, today):
        """First day the supply covers ``cumulated_need`` units (never before
        ``today``: a late receipt arrives at the earliest today).

        :return: a date, or None when the known supply never covers it
        """
        if cumulated_need <= self.on_hand + EPSILON:
            return today
        index = bisect.bisect_left(self._cumulated, cumulated_need - EPSILON)
        if index == len(self._cumulated):
            return None
        return max(self._days[index], today)


@dataclass
class WorkingCalendar:
    """Working days of a warehouse and the hour its shipments leave.

    :param dict day_end: {weekday (0 = Monday): end of work, hours as float}
        for the working weekdays; empty = every day until midnight
    :param set holidays: dates without work (public holidays, 春节)
    :param tzinfo tz: the calendar's time zone (day_end is local time)
    """

    day_end: dict
    holidays: set
    tz: object

    def is_working_day(self, day):
        if day in self.holidays:
            return False
        return not self.day_end or day.weekday() in self.day_end

    def end_of_day(self, day):
        """The moment the shipments of ``day`` leave, local (naive) time."""
        hours = self.day_end.get(day.weekday(), 24.0) if self.day_end else 24.0
        if hours >= 24.0:
            return datetime.combine(day, time(23, 59, 59))
        return datetime.combine(day, time()) + timedelta(hours=hours)

    def next_working_day(self, day):
        """``day`` itself when worked, else the next working day."""
        for _step in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("the calendar has no working day")

    def ship_day(self, available, lead_days, now_local):
        """The day the goods available on ``available`` leave the warehouse.

        The work starts on the first working day from ``available`` (the next
        one when today's work has ended already) and takes ``lead_days``
        working days more.

        :param date available: when the goods are in the warehouse
        :param int lead_days: picking and packing lead time, in working days
        :param datetime now_local: the current local time (naive)
        :rtype: date
        """
        day = self.next_working_day(max(available, now_local.date()))
        if day == now_local.date() and now_local >= self.end_of_day(day):
            day = self.next_working_day(day + timedelta(days=1))
        for _step in range(max(lead_days, 0)):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def ship_datetime(self, available, lead_days, now_local):
        """:func:`ship_day` at the end of its work, as a naive UTC datetime."""
        local = self.end_of_day(self.ship_day(available, lead_days, now_local))
        return to_utc(local, self.tz)


def to_local(value, tz):
    """Naive UTC datetime -> naive local time in ``tz``."""
    if tz is None:
        return value
    return value.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)


def to_utc(local, tz):
    """Naive local time in ``tz`` -> naive UTC (as Odoo stores datetimes)."""
    if tz is None:
        return local
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass
class PromiseContext:
    """A warehouse at a moment: its calendar, lead time and today.

    :param WorkingCalendar calendar: the warehouse's working days
    :param int lead_days: picking and packing lead time, in working days
    :param datetime now: the current time, naive UTC
    """

    calendar: WorkingCalendar
    lead_days: int
    now: datetime

    def __post_init__(self):
        self.now_local = to_local(self.now, self.calendar.tz)
        self.today = self.now_local.date()

    @property
    def tz_name(self):
        return getattr(self.calendar.tz, "key", None) or "UTC"

    def ship_datetime(self, available):
        """When goods available on ``available`` (a date) ship, naive UTC;
        False when they cannot be promised (``available`` is None)."""
        if available is None:
            return False
        return self.calendar.ship_datetime(available, self.lead_days, self.now_local)


@dataclass
class Demand:
    """One order's need of one product, to serve from a warehouse.

    :param key: whatever identifies it for the caller (e.g. an order id)
    :param product_id: the product
    :param float qty: units still to ship
    :param tuple rank: serving order (lower first)
    """

    key: object
    product_id: int
    qty: float
    rank: tuple = ()


def availability(supplies, demands, today):
    """The day each demand is available, served in ``rank`` order.

    :param dict supplies: {product_id: Supply}
    :param list demands: [Demand]; the ones of one key and product add up
    :param date today: the first possible day
    :return: {(key, product_id): date or None}
    """
    served = {}
    result = {}
    for demand in sorted(demands, key=lambda d: d.rank):
        need = served.get(demand.product_id, 0.0) + demand.qty
        served[demand.product_id] = need
        supply = supplies.get(demand.product_id) or Supply()
        result[demand.key, demand.product_id] = supply.available_on(need, today)
    return result


def order_date(line_dates, ship_what_is_available):
    """The order's promised date from its lines' (None: cannot be promised).

    The latest line, or the earliest for orders that ship what is available
    (picking policy ``direct``).
    """
    if not line_dates:
        return None
    if ship_what_is_available:
        known = [d for d in line_dates if d]
        return min(known) if known else None
    if any(d is None for d in line_dates):
        return None
    return max(line_dates)


def as_date(value):
    """A date from a date or datetime."""
    return value.date() if isinstance(value, datetime) else value
