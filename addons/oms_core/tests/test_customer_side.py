"""The customer kept informed: notices sent once per event, the satisfaction
survey after the delivery, unhappy customers called back, the order's timeline."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError

from .common import OmsCommon


class TestCustomerSide(OmsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason = cls.env.ref("oms_core.oms_cancel_reason_stock")
        cls.company.oms_rating_delay_hours = 24

    def _mails(self, record, subject_part):
        return record.message_ids.filtered(lambda m: subject_part in (m.subject or ""))

    def _confirmed_order(self, qty=1.0, **values):
        order = self._create_order(qty=qty, **values)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        return order

    def _delivered_order(self, days_ago=2):
        order = self._confirmed_order()
        picking = order.picking_ids
        picking.carrier_tracking_ref = "SF1234567890"
        self._ship(picking)
        picking._oms_set_delivered(fields.Datetime.now() - timedelta(days=days_ago))
        self.assertTrue(order.oms_delivered_date)
        return order

    # ------------------------------------------------------------ notices

    def test_cancellation_notice_tells_the_reason_once(self):
        """The customer learns that the order is cancelled and why, once."""
        order = self._confirmed_order()
        order._oms_cancel(self.reason)
        mails = self._mails(order, "is cancelled")
        self.assertEqual(len(mails), 1)
        self.assertIn(self.reason.name, mails.body)
        self.assertIn(self.customer, mails.partner_ids)
        self.assertEqual(order.oms_notice_ids.mapped("event"), ["cancel"])
        # the event again (a second worker, a retried call) sends nothing
        again = order._oms_send_notice(
            "cancel", "oms_core.mail_template_oms_notice_cancel"
        )
        self.assertFalse(again)
        self.assertEqual(len(self._mails(order, "is cancelled")), 1)

    def test_backorder_notice_gives_the_new_date(self):
        """Part of the order ships: the customer learns when the rest follows."""
        order = self._confirmed_order(qty=6.0)
        picking = order.picking_ids
        self._ship(picking, {self.product: 4.0})
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        mails = self._mails(backorder, "the rest follows")
        self.assertEqual(len(mails), 1)
        self.assertIn(self.product.name, mails.body)
        notice = order.oms_notice_ids
        self.assertEqual((notice.event, notice.topic), ("backorder", str(backorder.id)))

    def test_order_waiting_on_the_customer_is_notified_once(self):
        """An order held for an incomplete address tells the customer what to
        do, once, however often it is reviewed again."""
        self._create_rule("address")
        homeless = self._create_customer(
            "Homeless Buyer", country_id=self.country.id, email="homeless@example.com"
        )
        order = self._create_order(customer=homeless)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        mails = self._mails(order, "we need something from you")
        self.assertEqual(len(mails), 1)
        self.assertIn("delivery address is incomplete", mails.body)
        order.action_oms_review()
        self.assertEqual(len(self._mails(order, "we need something from you")), 1)
        actions = order._oms_portal_customer_actions()
        self.assertEqual([a["key"] for a in actions], ["address"])

    def test_no_notice_without_an_email_address(self):
        """A customer without e-mail gets no notice and nothing is logged, so
        the notice still goes out once the address is known."""
        silent = self._create_customer(
            "Silent Buyer",
            street="Rue 1",
            city="Brussels",
            zip="1000",
            country_id=self.country.id,
        )
        order = self._confirmed_order(customer=silent)
        order._oms_cancel(self.reason)
        self.assertFalse(order.oms_notice_ids)
        self.assertFalse(self._mails(order, "is cancelled"))

    # ------------------------------------------------------------ satisfaction

    def test_survey_sent_once_after_the_delivery(self):
        """Orders delivered more than the delay ago get one survey; orders not
        delivered, or delivered just now, get none yet."""
        delivered = self._delivered_order(days_ago=2)
        just_delivered = self._delivered_order(days_ago=0)
        not_delivered = self._confirmed_order()
        self.env["sale.order"]._cron_oms_request_ratings()
        survey = self._mails(delivered, "How was your order")
        self.assertEqual(len(survey), 1)
        self.assertIn("/oms/nps/", survey.body)
        self.assertIn("/rate/", survey.body)
        self.assertTrue(delivered.oms_rating_requested)
        self.assertFalse(just_delivered.oms_rating_requested)
        self.assertFalse(not_delivered.oms_rating_requested)
        self.env["sale.order"]._cron_oms_request_ratings()
        self.assertEqual(len(self._mails(delivered, "How was your order")), 1)
        self.assertTrue(delivered._oms_portal_rating_token())

    def test_unhappy_customer_gets_a_call(self):
        """One star: customer service (the team leader) gets an activity; five
        stars: nobody is bothered."""
        leader = self._create_user("oms_service_lead", "sales_team.group_sale_manager")
        happy, unhappy = self._delivered_order(), self._delivered_order()
        (happy | unhappy).team_id.user_id = leader
        (happy | unhappy)._oms_request_rating()
        happy.rating_apply(5, token=happy._oms_portal_rating_token())
        unhappy.rating_apply(1, token=unhappy._oms_portal_rating_token())
        self.assertFalse(happy.activity_ids)
        activity = unhappy.activity_ids
        self.assertEqual(activity.user_id, leader)
        self.assertIn("1/5", activity.summary)
        self.assertEqual(unhappy.rating_ids.rating, 1.0)

    def test_nps_answer_recorded_and_detractor_called(self):
        order = self._delivered_order()
        order._oms_request_rating()
        rating = order.rating_ids
        order._oms_apply_nps(rating, 9)
        self.assertEqual((rating.oms_nps_score, rating.oms_nps_answered), (9, True))
        self.assertFalse(order.activity_ids)
        order._oms_apply_nps(rating, 3)
        self.assertIn("3/10", order.activity_ids.summary)
        with self.assertRaises(ValidationError):
            rating.oms_nps_score = 11

    # ------------------------------------------------------------ timeline

    def test_timeline_tells_where_the_order_is(self):
        """Received, reviewed, promised, shipped with carrier and tracking,
        delivered: each step with its date once it happened."""
        order = self._confirmed_order(
            commitment_date=fields.Datetime.now() + timedelta(days=3)
        )
        steps = {s["key"]: s for s in order._oms_portal_timeline()}
        self.assertTrue(steps["received"]["done"])
        self.assertTrue(steps["reviewed"]["done"])
        self.assertEqual(steps["promised"]["date"], order.commitment_date)
        self.assertEqual(steps["promised"]["label"], "Delivery by")
        order.commitment_date = False
        promised = order._oms_portal_timeline()[2]
        self.assertEqual(promised["date"], order.oms_promised_date)
        self.assertEqual(promised["label"], "Ships by")
        self.assertFalse(steps["shipped"]["done"])
        self.assertFalse(steps["delivered"]["done"])
        picking = order.picking_ids
        picking.carrier_tracking_ref = "SF1234567890"
        self._ship(picking)
        picking._oms_set_delivered()
        shipped = [s for s in order._oms_portal_timeline() if s["key"] == "shipped"]
        self.assertEqual(len(shipped), 1)
        self.assertTrue(shipped[0]["done"])
        self.assertEqual(shipped[0]["tracking_ref"], "SF1234567890")
        delivered = order._oms_portal_timeline()[-1]
        self.assertEqual((delivered["key"], delivered["done"]), ("delivered", True))

    def test_timeline_reads_in_the_customers_language(self):
        """A Chinese customer reads every step of the timeline in Chinese,
        the shipment and the delivery too."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "oms_core")]
        )._update_translations("zh_CN")
        order = self._confirmed_order()
        self._ship(order.picking_ids)
        order.picking_ids._oms_set_delivered()
        labels = {
            step["key"]: step["label"]
            for step in order.with_context(lang="zh_CN")._oms_portal_timeline()
        }
        self.assertEqual(labels["received"], "已收到订单")
        self.assertEqual(labels["shipped"], "已发货")
        self.assertEqual(labels["delivered"], "已签收")

    def test_nobody_forges_the_notice_log(self):
        """The log is written by the notices only: a salesperson cannot mark a
        notice sent (so that the real one would never go out)."""
        order = self._confirmed_order()
        with self.assertRaises(AccessError):
            self.env["oms.order.notice"].with_user(self.salesman).create(
                {"order_id": order.id, "event": "cancel"}
            )
        order._oms_cancel(self.reason)
        notice = order.oms_notice_ids
        with self.assertRaises(AccessError):
            notice.with_user(self.reviewer).unlink()
