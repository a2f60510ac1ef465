"""Where the time of an intake run goes: wall and CPU time per part, measured in
the same run as the intake rows (not under a profiler).

A part is a method wrapped by :class:`PartClock`; time spent in a part called
from inside another one counts for the inner part only, so the parts add up to
the time they cover. The OMS worker (``bench_worker``) wraps:

- ``mapping``: the importer's parse, mapper set-up (bindings, stock locks) and
  order values (``OrderImporter.parse``, ``get_mappers``, ``prepare_orders``);
- ``create``: ``sale.order.create``, the call Odoo's own paths make too;
- ``review``: ``sale.order._oms_run_review``;
- ``confirm``: Odoo's ``sale.order.action_confirm``, the method the OMS's
  ``action_confirm`` calls with ``super()`` (procurement, pickings, reservation);
- ``oms_in_odoo``: the OMS's hooks that run inside that create and
  confirmation (promised dates, reservation order, prepaid invoices, order
  facts queued): OMS code, not Odoo's;
- everything else of the run is the OMS's own rest (claims, origin notes,
  payments, followers, hold reservations, the commit of each batch).

``create`` and ``confirm`` end with a flush of what they wrote, in both the OMS
and the native paths, so that their SQL is counted in them wherever Odoo would
have flushed it later.
"""

import functools
import time
from collections import defaultdict

#: the parts, in the order of the flow
OMS_PARTS = ("mapping", "create", "review", "confirm", "oms_in_odoo")


class PartClock:
    """Exclusive wall and CPU seconds of named parts of a run."""

    def __init__(self):
        self.wall = defaultdict(float)
        self.cpu = defaultdict(float)
        self.calls = defaultdict(int)
        self._stack = []
        self._last = None

    def _charge(self):
        now = (time.perf_counter(), time.process_time())
        if self._stack:
            part = self._stack[-1]
            self.wall[part] += now[0] - self._last[0]
            self.cpu[part] += now[1] - self._last[1]
        self._last = now

    def enter(self, part):
        self._charge()
        self._stack.append(part)
        self.calls[part] += 1

    def leave(self):
        self._charge()
        self._stack.pop()

    def wrap(self, owner, name, part, flush=False):
        """Count the calls of ``owner.name`` (a method of a class) in ``part``.

        :param bool flush: flush the environment of the call's records before
            the part ends (``self.env.flush_all()``)
        """
        method = getattr(owner, name)

        @functools.wraps(method)
        def timed(this, *args, **kwargs):
            self.enter(part)
            try:
                result = method(this, *args, **kwargs)
                if flush:
                    this.env.flush_all()
                return result
            finally:
                self.leave()

        setattr(owner, name, timed)

    def as_dict(self):
        return {
            part: {
                "seconds": round(self.wall[part], 4),
                "cpu_seconds": round(self.cpu[part], 4),
                "calls": self.calls[part],
            }
            for part in self.wall
        }


def _definer(model_class, name, after=None):
    """The first class of ``model_class``'s MRO whose own ``name`` is defined,
    after the class ``after`` when given."""
    mro = model_class.__mro__
    start = mro.index(after) + 1 if after is not None else 0
    for klass in mro[start:]:
        if name in klass.__dict__:
            return klass
    raise LookupError(name)


def _is_oms(klass):
    return klass.__module__.startswith("odoo.addons.oms_")


def instrument_oms(registry, clock):
    """Wrap the parts of the OMS intake (see the module docstring) in this
    process; call once, after the registry is loaded."""
    from odoo.addons.oms_channels.intake.importer import OrderImporter

    for name in ("parse", "get_mappers", "prepare_orders"):
        clock.wrap(OrderImporter, name, "mapping")
    # the registry's own class: its methods are sale.order's only (a mixin's
    # class would also time the other models inheriting it)
    SaleOrder = registry["sale.order"]
    clock.wrap(SaleOrder, "create", "create", flush=True)
    clock.wrap(SaleOrder, "_oms_run_review", "review")
    # Odoo's action_confirm: the first definition below the OMS's overrides
    oms_confirm = _definer(SaleOrder, "action_confirm")
    odoo_confirm = _definer(SaleOrder, "action_confirm", after=oms_confirm)
    while _is_oms(odoo_confirm):
        odoo_confirm = _definer(SaleOrder, "action_confirm", after=odoo_confirm)
    clock.wrap(odoo_confirm, "action_confirm", "confirm", flush=True)
    for name in (
        "_oms_promise_confirmed",
        "_oms_reserve_stock",
        "_oms_invoice_and_post",
    ):
        clock.wrap(SaleOrder, name, "oms_in_odoo")
    # the order facts queued by every model feeding them (a mixin's method)
    clock.wrap(
        _definer(SaleOrder, "_oms_queue_facts"), "_oms_queue_facts", "oms_in_odoo"
    )


def per_order_ms(parts, orders):
    """{part: (wall ms, CPU ms) per order} of summed part figures."""
    return {
        part: (
            figures["seconds"] * 1000 / orders,
            figures["cpu_seconds"] * 1000 / orders,
        )
        for part, figures in parts.items()
    }


def sum_parts(stats):
    """The parts of several workers' statistics, summed."""
    total = defaultdict(lambda: {"seconds": 0.0, "cpu_seconds": 0.0, "calls": 0})
    for stat in stats:
        for part, figures in stat.get("parts", {}).items():
            for key in ("seconds", "cpu_seconds", "calls"):
                total[part][key] += figures[key]
    return dict(total)
