from datetime import time, timedelta
from zoneinfo import ZoneInfo

from odoo import Command, fields, models
from odoo.tools import float_compare, ormcache

from .promise_engine import PromiseContext, WorkingCalendar, to_local

OMS_INTERWAREHOUSE_POLICY = [
    ("none", "No"),
    ("propose", "Propose a transfer"),
    ("transfer", "Create the transfer"),
]


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    # Required in the form only: no NOT NULL on a core table, so that modules
    # loaded before this one (and their tests) keep creating warehouses.
    oms_interwarehouse_policy = fields.Selection(
        OMS_INTERWAREHOUSE_POLICY,
        string="Inter-warehouse Replenishment",
        default="none",
        help="When an approved order lacks stock here and another warehouse of the "
        "company has it: propose (activity on the order) or create an "
        "inter-warehouse transfer.",
    )
    oms_promise_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Shipping Calendar",
        help="Working days and hours of the warehouse (empty: the company's): a "
        "promised ship date falls on a working day, at the end of its work. "
        "Public holidays (春节) are the calendar's leaves without resource.",
    )
    oms_promise_lead_days = fields.Integer(
        string="Picking and Packing Lead Time",
        default=1,
        help="Working days between the goods being in the warehouse and "
        "their shipment.",
    )

    def _oms_get_promise_context(self):
        """The warehouse now, for the promise engine (calendar, lead time).

        :rtype: PromiseContext
        """
        self.ensure_one()
        now = fields.Datetime.now()
        return PromiseContext(
            calendar=self._oms_get_working_calendar(now),
            lead_days=self.oms_promise_lead_days,
            now=now,
        )

    def _oms_get_working_calendar(self, since):
        """The shipping calendar of the warehouse, for the promise engine.

        The warehouse's calendar, else the company's; without any, every day
        is worked until midnight (UTC).

        :param datetime since: leaves ending before it are left out
        :rtype: WorkingCalendar
        """
        self.ensure_one()
        tz_name, day_end, leaves = self._oms_get_calendar_data()
        if tz_name is None:
            return WorkingCalendar(day_end={}, holidays=set(), tz=None)
        tz = ZoneInfo(tz_name)
        holidays = set()
        for date_from, date_to in leaves:
            if date_to < since:
                continue
            start = to_local(date_from, tz)
            stop = to_local(date_to, tz)
            day = start.date()
            while day <= stop.date():
                # a leave ending at midnight does not take the day after
                if day < stop.date() or stop.time() != time():
                    holidays.add(day)
                day += timedelta(days=1)
        return WorkingCalendar(day_end=dict(day_end), holidays=holidays, tz=tz)

    @ormcache("self.id")
    def _oms_get_calendar_data(self):
        """What the shipping calendar of the warehouse is made of, kept in
        the registry's cache (the promise is computed while an order is
        typed): every change of a calendar, its hours, the public holidays,
        the warehouse's or the company's calendar clears it.

        :return: (time zone name, or None without a calendar,
            ((weekday, end of the working day), ...),
            ((start, end) of each public holiday, naive UTC, ...))
        :rtype: tuple
        """
        # the calendar is configuration, read for whoever promises
        warehouse = self.sudo()
        calendar = (
            warehouse.oms_promise_calendar_id
            or warehouse.company_id.resource_calendar_id
        )
        if not calendar:
            return None, (), ()
        # the end of each working weekday, in one query
        day_end = tuple(
            sorted(
                (int(weekday), hour_to)
                for weekday, hour_to in self.env["resource.calendar.attendance"]
                .sudo()
                ._read_group(
                    [
                        ("calendar_id", "=", calendar.id),
                        ("display_type", "=", False),
                        ("day_period", "!=", "lunch"),
                    ],
                    ["dayofweek"],
                    ["hour_to:max"],
                )
            )
        )
        # public holidays: leaves without resource, of this calendar or of all
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search_fetch(
                [
                    ("resource_id", "=", False),
                    ("calendar_id", "in", [False, calendar.id]),
                ],
                ["date_from", "date_to"],
            )
        )
        return (
            calendar.tz or "UTC",
            day_end,
            tuple((leave.date_from, leave.date_to) for leave in leaves),
        )

    def write(self, vals):
        """A new shipping calendar (or company) changes the promise's
        calendar (``_oms_get_calendar_data``)."""
        if {"oms_promise_calendar_id", "company_id"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def _oms_get_quarantine_location(self):
        """The warehouse's quarantine location for returned goods to inspect,
        created under the warehouse on first use."""
        self.ensure_one()
        Location = self.env["stock.location"]
        location = Location.search(
            [
                ("location_id", "=", self.view_location_id.id),
                ("oms_is_quarantine", "=", True),
            ],
            limit=1,
        )
        if not location:
            location = Location.create(
                {
                    "name": self.env._("Quarantine"),
                    "location_id": self.view_location_id.id,
                    "usage": "internal",
                    "company_id": self.company_id.id,
                    "oms_is_quarantine": True,
                }
            )
        return location

    def _oms_find_source_warehouse(self, product, quantity):
        """Another warehouse of the company with ``quantity`` of ``product`` free.

        :return: a stock.warehouse (empty if none)
        """
        self.ensure_one()
        others = self.search(
            [("company_id", "=", self.company_id.id), ("id", "!=", self.id)]
        )
        for warehouse in others:
            free = product.with_context(warehouse_id=warehouse.id).free_qty
            if (
                float_compare(
                    free, quantity, precision_rounding=product.uom_id.rounding
                )
                >= 0
            ):
                return warehouse
        return self.browse()

    def _oms_create_interwarehouse_transfer(self, source, product, quantity, origin):
        """Move ``quantity`` of ``product`` from ``source``'s stock to here."""
        self.ensure_one()
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": source.int_type_id.id,
                "location_id": source.lot_stock_id.id,
                "location_dest_id": self.lot_stock_id.id,
                "origin": origin,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.display_name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": source.lot_stock_id.id,
                            "location_dest_id": self.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking
