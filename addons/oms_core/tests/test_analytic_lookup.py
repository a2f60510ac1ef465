from odoo.tests import tagged

from .common import OmsCommon


@tagged("post_install", "-at_install", "oms")
class TestAnalyticLookup(OmsCommon):
    """Order lines skip the analytic model lookup while no model exists, and get
    the distribution of a model as soon as one is created."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Model = cls.env["account.analytic.distribution.model"]
        cls.Model.search([]).unlink()
        plan = cls.env["account.analytic.plan"].create({"name": "OMS Plan"})
        cls.account = cls.env["account.analytic.account"].create(
            {"name": "OMS Web Shop", "plan_id": plan.id}
        )

    def _lookup_vals(self):
        return {
            "product_id": self.product.id,
            "partner_id": self.customer.id,
            "company_id": self.company.id,
        }

    def test_no_model_no_query(self):
        """Without an analytic model, order lines look none up (no query)."""
        self.Model._get_applicable_models(self._lookup_vals())  # fills the cache
        with self.assertQueryCount(0):
            self.assertFalse(self.Model._get_applicable_models(self._lookup_vals()))
        self.assertFalse(self._create_order().order_line.analytic_distribution)

    def test_new_model_applies_at_once(self):
        """A new analytic model applies to the next order line at once."""
        self.Model._get_applicable_models(self._lookup_vals())  # cached: no model
        distribution = {str(self.account.id): 100}
        model = self.Model.create(
            {"partner_id": self.customer.id, "analytic_distribution": distribution}
        )
        self.assertEqual(
            self._create_order().order_line.analytic_distribution, distribution
        )
        model.unlink()
        self.assertFalse(self._create_order().order_line.analytic_distribution)
