from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
from odoo.tests import TransactionCase, new_test_user


class OmsCommon(TransactionCase):
    """Shared fixtures of the oms_core tests: users of each OMS group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.salesman = new_test_user(
            cls.env, login="oms_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.oms_user = new_test_user(
            cls.env, login="oms_user", groups="base.group_user,oms_core.group_oms_user"
        )
        cls.reviewer = new_test_user(
            cls.env,
            login="oms_reviewer",
            groups="sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer",
        )
        cls.manager = new_test_user(
            cls.env, login="oms_manager", groups="oms_core.group_oms_manager"
        )
        cls.internal = new_test_user(cls.env, login="oms_internal", groups="base.group_user")
