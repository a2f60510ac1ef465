"""The customer's journey in the portal: the order's timeline with its
shipment, the satisfaction survey answered from the order page."""

from odoo.tests import tagged

from .common import OmsTourCase


@tagged("post_install", "-at_install", "oms", "oms_tour")
class TestTourCustomerPortal(OmsTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_zh_cn()
        cls.buyer = cls._create_tour_customer("王芳", lang="zh_CN")
        cls.portal_user = cls._create_user(
            "tour_portal_wang",
            "base.group_portal",
            partner_id=cls.buyer.id,
            lang="zh_CN",
        )
        product = cls._create_tour_product("Porcelain Tea Set", 80.0)
        cls.order = cls._create_order([(product, 1)], customer=cls.buyer)
        cls.order.action_confirm()
        picking = cls.order.picking_ids
        picking.carrier_tracking_ref = "SF1234567890"
        cls._ship(picking)
        picking._oms_set_delivered()
        cls.order._oms_request_rating()

    def test_customer_follows_and_rates_the_delivery(self):
        self.assertEqual(self.order.oms_stage, "delivered")
        self.start_oms_tour(
            f"/my/orders/{self.order.id}",
            "oms_customer_portal_tour",
            login="tour_portal_wang",
        )
        rating = self.order.rating_ids
        feedback = "送货很快，包装完好"
        self.assertRecordValues(
            rating, [{"rating": 5.0, "consumed": True, "feedback": feedback}]
        )

    def test_nps_link_records_the_score(self):
        """The 0-10 links of the survey record the answer; a wrong score or
        token is refused and records nothing."""
        token = self.order._oms_portal_rating_token()
        response = self.url_open(f"/oms/nps/{token}/9")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.order.rating_ids.oms_nps_score, 9)
        self.assertEqual(self.url_open(f"/oms/nps/{token}/11").status_code, 404)
        self.assertEqual(self.url_open("/oms/nps/not-a-token/2").status_code, 404)
        self.order.rating_ids.invalidate_recordset()
        self.assertEqual(self.order.rating_ids.oms_nps_score, 9)

    def test_order_page_shows_the_timeline(self):
        self.authenticate("tour_portal_wang", "tour_portal_wang")
        page = self.url_open(f"/my/orders/{self.order.id}").text
        self.assertIn('id="oms_timeline"', page)
        self.assertIn("SF1234567890", page)
        self.assertIn(f"/oms/nps/{self.order._oms_portal_rating_token()}/10", page)
