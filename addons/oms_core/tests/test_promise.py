from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from odoo.addons.oms_core.models.promise_engine import (
    Demand,
    Supply,
    WorkingCalendar,
    availability,
    order_date,
)

from .common import OmsCommon

# Wednesday 3 February 2027, 10:00 in Shanghai; 春节 closes the warehouse from
# Saturday 6 to Friday 12 February
WEDNESDAY_10H = "2027-02-03 02:00:00"
WEDNESDAY_19H = "2027-02-03 11:00:00"


class PromiseCommon(OmsCommon):
    """A Shanghai warehouse working Monday to Friday until 18:00, closed for
    春节, shipping one working day after the goods are there."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai warehouse",
                "tz": "Asia/Shanghai",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"{day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        }
                    )
                    for day in range(5)
                    for period, hour_from, hour_to in (
                        ("morning", 9, 12),
                        ("lunch", 12, 13),
                        ("afternoon", 13, 18),
                    )
                ],
            }
        )
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "春节",
                "calendar_id": cls.calendar.id,
                # Shanghai midnight to midnight, in UTC
                "date_from": "2027-02-05 16:00:00",
                "date_to": "2027-02-12 16:00:00",
            }
        )
        cls.warehouse.write(
            {"oms_promise_calendar_id": cls.calendar.id, "oms_promise_lead_days": 1}
        )
        cls.goods = cls._create_storable("Lantern", 20.0, qty=5)

    @classmethod
    def _plan_receipt(cls, product, qty, scheduled):
        """A confirmed receipt of ``qty`` units expected at ``scheduled`` (UTC)."""
        supplier = cls.env.ref("stock.stock_location_suppliers")
        receipt = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.in_type_id.id,
                "location_id": supplier.id,
                "location_dest_id": cls.warehouse.lot_stock_id.id,
                "scheduled_date": scheduled,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": supplier.id,
                            "location_dest_id": cls.warehouse.lot_stock_id.id,
                            "date": scheduled,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        return receipt


@tagged("post_install", "-at_install", "oms")
class TestPromiseEngine(OmsCommon):
    """The engine alone: plain values in, dates out."""

    def test_supply_covers_cumulated_need_on_first_arrival_enough(self):
        """5 on hand, 10 on the 4th, 10 on the 17th: 12 units are there on the 17th."""
        supply = Supply(
            on_hand=5, incoming=[(date(2027, 2, 17), 10), (date(2027, 2, 4), 10)]
        )
        today = date(2027, 2, 3)
        self.assertEqual(supply.available_on(5, today), today)
        self.assertEqual(supply.available_on(15, today), date(2027, 2, 4))
        self.assertEqual(supply.available_on(16, today), date(2027, 2, 17))
        self.assertIsNone(supply.available_on(26, today))

    def test_demand_served_by_rank(self):
        """The urgent order is served first, whatever the list order."""
        supply = {1: Supply(on_hand=0, incoming=[(date(2027, 2, 4), 6)])}
        result = availability(
            supply,
            [Demand("normal", 1, 6, (0, 1)), Demand("urgent", 1, 6, (-2, 2))],
            date(2027, 2, 3),
        )
        self.assertEqual(result, {("urgent", 1): date(2027, 2, 4), ("normal", 1): None})

    def test_working_days_skip_weekend_and_holidays(self):
        """Friday's goods, 1 day lead, 春节 all next week: they ship Monday 15."""
        calendar = WorkingCalendar(
            day_end={day: 18.0 for day in range(5)},
            holidays={date(2027, 2, day) for day in range(8, 13)},
            tz=None,
        )
        now = datetime(2027, 2, 3, 10)
        self.assertEqual(calendar.ship_day(date(2027, 2, 5), 1, now), date(2027, 2, 15))
        self.assertEqual(calendar.ship_day(date(2027, 2, 3), 0, now), date(2027, 2, 3))
        # today's work has ended: tomorrow
        late = datetime(2027, 2, 3, 18, 30)
        self.assertEqual(calendar.ship_day(date(2027, 2, 3), 0, late), date(2027, 2, 4))

    def test_order_date_latest_or_first_available(self):
        """Ship complete: the latest line; ship what is available: the first."""
        early, late = datetime(2027, 2, 4, 10), datetime(2027, 2, 15, 10)
        self.assertEqual(order_date([early, late], False), late)
        self.assertEqual(order_date([early, late], True), early)
        self.assertIsNone(order_date([early, None], False))
        self.assertEqual(order_date([early, None], True), early)


@tagged("post_install", "-at_install", "oms")
class TestPromiseDate(PromiseCommon):
    """Exact promised dates on a known calendar, stock and receipts."""

    def test_on_hand_ships_next_working_day_at_end_of_work(self):
        """2 of 5 on hand, Wednesday 10:00: ships Thursday 18:00 Shanghai."""
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(product=self.goods, qty=2)
            line = order.order_line
            self.assertEqual(line.oms_promised_date, datetime(2027, 2, 4, 10))
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 4, 10))

    def test_after_work_the_day_is_over(self):
        """Wednesday 19:00 Shanghai: work starts Thursday, ships Friday."""
        with freeze_time(WEDNESDAY_19H):
            order = self._create_order(product=self.goods, qty=2)
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 5, 10))

    def test_receipt_before_holidays_ships_after_them(self):
        """8 wanted, 5 on hand, 10 arriving Friday: ships Monday after 春节."""
        self._plan_receipt(self.goods, 10, "2027-02-05 01:00:00")
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(product=self.goods, qty=8)
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 15, 10))

    def test_order_date_follows_shipping_policy(self):
        """One line now, one after 春节: complete = 15th, what is available = 4th."""
        self._plan_receipt(self.product, 10, "2027-02-05 01:00:00")
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(
                lines=[(self.goods, 2), (self.product, 15)], picking_policy="one"
            )
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 15, 10))
            order.picking_policy = "direct"
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 4, 10))

    def test_no_supply_no_promise(self):
        """More than stock and receipts together: no date is promised."""
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(product=self.goods, qty=6)
            self.assertFalse(order.oms_promised_date)

    def test_salesperson_sees_date_while_typing(self):
        """In the form, before saving: the date follows the quantity typed."""
        self._plan_receipt(self.goods, 10, "2027-02-05 01:00:00")
        with freeze_time(WEDNESDAY_10H):
            form = Form(self.env["sale.order"].with_user(self.salesman))
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.goods
                line.product_uom_qty = 2
                self.assertEqual(line.oms_promised_date, datetime(2027, 2, 4, 10))
                line.product_uom_qty = 8
                self.assertEqual(line.oms_promised_date, datetime(2027, 2, 15, 10))
            self.assertEqual(form.oms_promised_date, datetime(2027, 2, 15, 10))

    def test_quotation_document_shows_the_date(self):
        """The quotation PDF (attached to the quotation and confirmation
        e-mails) shows the promised ship date."""
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(product=self.goods, qty=2)
            html = self.env["ir.actions.report"]._render_qweb_html(
                "sale.action_report_saleorder", order.ids
            )[0]
        self.assertIn(b"Promised Ship Date", html)
        self.assertIn(b"02/04/2027", html)

    def test_quotation_and_confirmation_emails_carry_the_date(self):
        """The quotation e-mail, then the confirmation e-mail, reach the
        customer with the order document showing the promised ship date."""
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(product=self.goods, qty=2)
            order.message_post_with_source(
                order._find_mail_template(), subtype_xmlid="mail.mt_comment"
            )
            order.action_confirm()
            order._send_order_confirmation_mail()
        emails = order.message_ids.filtered("attachment_ids").sorted("id")
        self.assertEqual(len(emails), 2, "the quotation, then the confirmation")
        for email in emails:
            self.assertIn(self.customer, email.partner_ids)
            document = email.attachment_ids.raw
            self.assertIn(b"Promised Ship Date", document)
            self.assertIn(b"02/04/2027", document)

    def test_confirmed_orders_come_first(self):
        """5 on hand promised to a confirmed order: the next quotation waits
        for the receipt."""
        self._plan_receipt(self.goods, 10, "2027-02-16 01:00:00")
        with freeze_time(WEDNESDAY_10H):
            first = self._create_order(product=self.goods, qty=5)
            first.action_confirm()
            second = self._create_order(product=self.goods, qty=1)
            self.assertEqual(first.oms_promised_date, datetime(2027, 2, 4, 10))
            self.assertEqual(second.oms_promised_date, datetime(2027, 2, 17, 10))

    def test_calendar_changes_reach_the_next_promise(self):
        """The calendar is kept between promises, yet a public holiday added
        on Thursday, then Thursday afternoons off, move the next quotation's
        date: Friday, then Thursday 12:00 Shanghai."""
        with freeze_time(WEDNESDAY_10H):
            first = self._create_order(product=self.goods, qty=1)
            self.assertEqual(first.oms_promised_date, datetime(2027, 2, 4, 10))
            closed = self.env["resource.calendar.leaves"].create(
                {
                    "name": "Closed on Thursday",
                    "calendar_id": self.calendar.id,
                    "date_from": "2027-02-03 16:00:00",
                    "date_to": "2027-02-04 16:00:00",
                }
            )
            second = self._create_order(product=self.goods, qty=1)
            self.assertEqual(second.oms_promised_date, datetime(2027, 2, 5, 10))
            closed.unlink()
            self.calendar.attendance_ids.filtered(
                lambda a: a.dayofweek == "3" and a.day_period == "afternoon"
            ).unlink()
            third = self._create_order(product=self.goods, qty=1)
            self.assertEqual(third.oms_promised_date, datetime(2027, 2, 4, 4))

    def test_warehouse_without_calendar_works_every_day(self):
        """No calendar anywhere: every day is worked until midnight UTC."""
        self.warehouse.oms_promise_calendar_id = False
        self.warehouse.company_id.resource_calendar_id = False
        with freeze_time("2027-02-06 02:00:00"):  # a Saturday
            order = self._create_order(product=self.goods, qty=1)
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 7, 23, 59, 59))


@tagged("post_install", "-at_install", "oms")
class TestRepromise(PromiseCommon):
    """The promise follows the facts: receipts, cancellations, priorities."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scarce = cls._create_storable("Firecracker", 10.0)
        # 10 on Thursday 4th, 10 more on Wednesday 17th
        cls.early = cls._plan_receipt(cls.scarce, 10, "2027-02-04 01:00:00")
        cls.late = cls._plan_receipt(cls.scarce, 10, "2027-02-17 01:00:00")

    def _confirm(self, **values):
        order = self._create_order(product=self.scarce, qty=6, **values)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        return order

    def _at_risk(self, order):
        return order.oms_exception_ids.filtered(
            lambda e: e.code == "promise_at_risk" and e.state == "open"
        )

    def test_confirmation_promises_in_turn(self):
        """6 + 6 wanted, 10 on the 4th: the second order waits for the 17th."""
        with freeze_time(WEDNESDAY_10H):
            first, second = self._confirm(), self._confirm()
        self.assertEqual(first.oms_promised_date, datetime(2027, 2, 5, 10))
        self.assertEqual(second.oms_promised_date, datetime(2027, 2, 18, 10))
        self.assertFalse(self._at_risk(first) | self._at_risk(second))
        # the warehouse sees each delivery's promised date
        self.assertEqual(first.picking_ids.oms_promised_date, datetime(2027, 2, 5, 10))
        self.assertEqual(
            second.picking_ids.oms_promised_date, datetime(2027, 2, 18, 10)
        )

    def test_delayed_receipt_puts_promise_at_risk(self):
        """The receipt of the 4th moves to the 16th: re-promised for the 17th,
        logged, a warning owned by a reviewer, due before the old promise."""
        with freeze_time(WEDNESDAY_10H):
            first, second = self._confirm(), self._confirm()
            self.early.scheduled_date = "2027-02-16 01:00:00"
        self.assertEqual(first.oms_promised_date, datetime(2027, 2, 17, 10))
        self.assertEqual(second.oms_promised_date, datetime(2027, 2, 18, 10))
        self.assertEqual(first.picking_ids.oms_promised_date, first.oms_promised_date)
        exception = self._at_risk(first)
        self.assertEqual(exception.severity, "warn")
        # read in the reader's language, whoever re-promised
        self.env["res.lang"]._activate_lang("zh_CN")
        self.assertIn("承诺有风险", exception.with_context(lang="zh_CN").message)
        self.assertIn("Promise at risk", exception.with_context(lang="en_US").message)
        self.assertTrue(exception.user_id.has_group("oms_core.group_oms_reviewer"))
        self.assertLessEqual(exception.deadline, datetime(2027, 2, 5, 10))
        self.assertIn("re-promised", " ".join(first.message_ids.mapped("body")))
        self.assertFalse(self._at_risk(second))
        self.assertEqual(first.oms_stage, "approved", "a warning does not hold")
        # the customer is told the new date, once
        notice = first.message_ids.filtered(
            lambda m: "a new ship date" in (m.subject or "")
        )
        self.assertEqual(len(notice), 1)
        self.assertIn(self.customer, notice.partner_ids)
        self.assertEqual(first.oms_notice_ids.mapped("event"), ["promise_at_risk"])
        self.assertFalse(second.oms_notice_ids)

    def test_cancelled_order_brings_the_next_one_forward(self):
        """The first order is cancelled: the second ships on the 5th, no risk."""
        with freeze_time(WEDNESDAY_10H):
            first, second = self._confirm(), self._confirm()
            first._oms_cancel(self.env.ref("oms_core.oms_cancel_reason_customer"))
        self.assertEqual(second.oms_promised_date, datetime(2027, 2, 5, 10))
        self.assertFalse(self._at_risk(second))
        self.assertIn(
            "re-promised", " ".join(second.message_ids.mapped("body")), "logged"
        )

    def test_urgent_order_takes_the_stock(self):
        """An urgent order confirmed later takes the receipt of the 4th: the
        normal one is re-promised for the 18th and at risk."""
        with freeze_time(WEDNESDAY_10H):
            normal = self._confirm()
            urgent = self._confirm(oms_priority="2")
        self.assertEqual(urgent.oms_promised_date, datetime(2027, 2, 5, 10))
        self.assertEqual(normal.oms_promised_date, datetime(2027, 2, 18, 10))
        self.assertTrue(self._at_risk(normal))
        self.assertFalse(self._at_risk(urgent))

    def test_cron_repromises_what_no_event_told(self):
        """The receipt's date changed behind the ORM's back: the cron finds it."""
        with freeze_time(WEDNESDAY_10H):
            first = self._confirm()
            self._set_history(self.early.move_ids, "date", "2027-02-16 01:00:00")
            self.env["sale.order"]._cron_oms_repromise()
        self.assertEqual(first.oms_promised_date, datetime(2027, 2, 17, 10))
        self.assertTrue(self._at_risk(first))

    def test_salesperson_confirms_untracked_goods(self):
        """A salesperson confirms goods whose stock is not tracked: promised
        after the lead time."""
        box = self.env["product.product"].create({"name": "Gift box", "type": "consu"})
        with freeze_time(WEDNESDAY_10H):
            order = self._create_order(product=box, qty=3, user=self.salesman)
            order.action_confirm()
            self.assertEqual(order.state, "sale")
            self.assertEqual(order.oms_promised_date, datetime(2027, 2, 4, 10))

    def test_promise_is_not_written_by_hand(self):
        """A salesperson writing a later promise (RPC, any context): refused."""
        with freeze_time(WEDNESDAY_10H):
            order = self._confirm()
        order = order.with_user(self.reviewer).with_context(oms_skip_review=True)
        with self.assertRaises(AccessError):
            order.oms_promised_date = datetime(2027, 3, 1)
        with self.assertRaises(AccessError):
            order.order_line.oms_promised_date = datetime(2027, 3, 1)
        self.assertEqual(order.oms_promised_date, datetime(2027, 2, 5, 10))

    def test_kept_promise_is_left_alone(self):
        """Nothing changed: the cron writes nothing and logs nothing."""
        with freeze_time(WEDNESDAY_10H):
            first = self._confirm()
            messages = len(first.message_ids)
            self.env["sale.order"]._cron_oms_repromise()
        self.assertEqual(len(first.message_ids), messages)
        self.assertEqual(first.oms_promised_date, datetime(2027, 2, 5, 10))
