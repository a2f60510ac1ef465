"""The fixture tree of the OMS tests, composed down the dependencies.

:class:`OmsCommon` holds what every OMS test needs (users of each role, a customer,
a warehouse with stock) and the factories of orders, stock moves and rules;
:class:`OmsAccountingCommon` adds a company with a chart of accounts,
:class:`OmsTourCase` the browser, :class:`OmsTiersCommon` a rule approved in two
levels. oms_channels' ``tests/common.py`` builds on
:class:`OmsCommon`, oms_reports' on that; committed cursors and thread races are
in ``concurrency.py``.

Screenshots of the tours: a tour step made by ``omsScreenshot(name)``
(``static/tests/tours/oms_tour_utils.js``) logs ``oms-screenshot:<name>`` and waits
until the test answers. When the environment variable ``OMS_SCREENSHOTS`` names a
directory, the answer comes after Chrome has captured the page (DevTools
``Page.captureScreenshot``) into ``<dir>/<name>.png`` (palette PNG, optimised);
otherwise at once. ``make screenshots`` sets it to ``docs/images``.
"""

import base64
import io
import json
import logging
import os
from unittest.mock import patch

from PIL import Image

from odoo import Command
from odoo.modules.module import get_manifest, get_modules
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import ChromeBrowser
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

_logger = logging.getLogger(__name__)

SHOT_PREFIX = "oms-screenshot:"
OMS_ADDONS = ("oms_core", "oms_channels", "oms_reports")
# Odoo's own modules whose zh_CN terms the zh_CN journeys show (menus, fields).
ZH_CN_ODOO_MODULES = ("base", "web", "sale", "stock", "account", "mail")


def screenshot_dir():
    """Directory the tours save screenshots to, or None (not asked for)."""
    return os.environ.get("OMS_SCREENSHOTS") or None


def save_png(data, path):
    """Save base64 PNG ``data`` at ``path`` as a small optimised palette PNG."""
    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)


class _DropPreconnectTimeouts(logging.Filter):
    """Chrome opens spare connections that Odoo's test server closes after 5 s
    idle (odoo/service/server.py, RequestHandler.setup); http.server logs that
    as an error, which is no failure of the journey."""

    def filter(self, record):
        return "] Request timed out: " not in record.getMessage()


class OmsChromeBrowser(ChromeBrowser):
    """Odoo's test browser, answering the tours' screenshot requests."""

    def __init__(self, test_case, *args, **kwargs):
        super().__init__(test_case, *args, **kwargs)
        # the page itself gets the size (the window's includes its frame)
        width, height = (int(v) for v in test_case.browser_size.split(","))
        self._websocket_request(
            "Emulation.setDeviceMetricsOverride",
            params={
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )

    def _handle_console(self, **params):
        args = params.get("args") or []
        message = args and args[0].get("value")
        if (
            params.get("type") == "log"
            and isinstance(message, str)
            and message.startswith(SHOT_PREFIX)
        ):
            self._oms_screenshot(message[len(SHOT_PREFIX) :])
        return super()._handle_console(**params)

    def _oms_answer(self, name):
        self._websocket_send(
            "Runtime.evaluate",
            params={"expression": f"window.omsScreenshotTaken = {json.dumps(name)};"},
        )

    def _oms_screenshot(self, name):
        directory = screenshot_dir()
        if not directory:
            self._oms_answer(name)
            return

        def save(future):
            try:
                os.makedirs(directory, exist_ok=True)
                path = os.path.join(directory, f"{name}.png")
                save_png(future.result(timeout=0)["data"], path)
                _logger.info("screenshot saved: %s", path)
            finally:
                self._oms_answer(name)

        future = self._websocket_send(
            "Page.captureScreenshot", params={"format": "png"}, with_future=True
        )
        future.add_done_callback(save)


class OmsCommon(TransactionCase):
    """Users of each OMS role, a customer, a warehouse with stock, factories."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        # rules of the database (demo) must not interfere with the tests
        cls.env["oms.review.rule"].search([]).active = False
        cls.env["oms.priority.rule"].search([]).active = False
        cls.company.write(
            {
                "oms_auto_confirm": True,
                "oms_priority_high_score": 50,
                "oms_priority_urgent_score": 100,
            }
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.salesman = cls._create_user(
            "oms_salesman", "sales_team.group_sale_salesman"
        )
        cls.oms_user = cls._create_user(
            "oms_user", "base.group_user,oms_core.group_oms_user"
        )
        cls.reviewer = cls._create_user(
            "oms_reviewer",
            "sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer",
        )
        cls.manager = cls._create_user("oms_manager", "oms_core.group_oms_manager")
        cls.internal = cls._create_user("oms_internal", "base.group_user")
        cls.country = cls.env.ref("base.be")
        cls.customer = cls._create_customer(
            "OMS Customer",
            street="Rue du Test 1",
            city="Brussels",
            zip="1000",
            country_id=cls.country.id,
            email="customer@example.com",
        )
        cls.product = cls._create_storable("OMS Widget", 100.0, qty=10)
        cls.product_alt = cls._create_storable("OMS Widget Plus", 100.0, qty=10)
        cls.service = cls.env["product.product"].create(
            {"name": "OMS Service", "type": "service", "list_price": 50.0}
        )

    # ------------------------------------------------------------------
    # Factories
    # ------------------------------------------------------------------
    @classmethod
    def _create_user(cls, login, groups, name=None, **values):
        """A user of ``groups`` (comma-separated xmlids); ``values`` as
        ``new_test_user`` takes them (lang, tz, email...)."""
        if name:
            values["name"] = name
        return new_test_user(cls.env, login=login, groups=groups, **values)

    @classmethod
    def _create_customer(cls, name, **values):
        """A customer; the address and contact come from ``values``."""
        return cls.env["res.partner"].create(dict({"name": name}, **values))

    @classmethod
    def _create_storable(cls, name, price, qty=0.0, **values):
        """A storable product of list price ``price``, ``qty`` units in stock."""
        product = cls.env["product.product"].create(
            dict(
                {
                    "name": name,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": price,
                },
                **values,
            )
        )
        if qty:
            cls._set_stock(product, qty)
        return product

    @classmethod
    def _set_stock(cls, product, qty, location=None):
        """Add ``qty`` units of ``product`` at ``location`` (the warehouse's stock)."""
        cls.env["stock.quant"]._update_available_quantity(
            product, location or cls.warehouse.lot_stock_id, qty
        )

    @classmethod
    def _create_order(
        cls, lines=None, product=None, qty=1.0, customer=None, user=None, **values
    ):
        """A draft order of ``lines`` [(product, qty)] (default: one line of
        ``qty`` ``product``, itself ``cls.product`` by default) for ``customer``
        (``cls.customer``), created by ``user`` (returned as that user)."""
        lines = lines or [(product or cls.product, qty)]
        Order = cls.env["sale.order"]
        if user:
            Order = Order.with_user(user)
        return Order.create(
            dict(
                {
                    "partner_id": (customer or cls.customer).id,
                    "warehouse_id": cls.warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": line_product.id, "product_uom_qty": line_qty}
                        )
                        for line_product, line_qty in lines
                    ],
                },
                **values,
            )
        )

    @classmethod
    def _create_rule(cls, check_type, severity="block", **values):
        """A review rule of ``check_type``."""
        return cls.env["oms.review.rule"].create(
            dict(
                {
                    "name": f"Test {check_type}",
                    "check_type": check_type,
                    "severity": severity,
                },
                **values,
            )
        )

    @classmethod
    def _receive(cls, product, qty):
        """Validate a receipt of ``qty`` units into the warehouse."""
        supplier = cls.env.ref("stock.stock_location_suppliers")
        receipt = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.in_type_id.id,
                "location_id": supplier.id,
                "location_dest_id": cls.warehouse.lot_stock_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": supplier.id,
                            "location_dest_id": cls.warehouse.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = qty
        receipt.move_ids.picked = True
        receipt._action_done()
        return receipt

    @classmethod
    def _ship(cls, picking, quantities=None, backorder=True):
        """Validate a transfer as a user does (``button_validate``) with the given
        quantities per product (default: all), keeping a backorder or not."""
        quantities = quantities or {}
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, move.product_uom_qty)
        picking.move_ids.picked = True
        result = picking.button_validate()
        if (
            isinstance(result, dict)
            and result.get("res_model") == "stock.backorder.confirmation"
        ):
            wizard = (
                cls.env["stock.backorder.confirmation"]
                .with_context(**result["context"])
                .create({})
            )
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        return picking

    @classmethod
    def _set_history(cls, records, column, value):
        """Write a column as history would have: raw SQL, no business logic."""
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE id IN %s",
                SQL.identifier(records._table),
                SQL.identifier(column),
                value,
                tuple(records.ids),
            )
        )
        records.invalidate_recordset()


class OmsApprovedOrderCommon(OmsCommon):
    """OmsCommon with an order its salesperson entered and the review
    confirmed (``self.order``, 2 units), and a second reviewer: the start of
    the changes after approval (the subclasses add the rules)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reviewer_2 = cls._create_user(
            "oms_reviewer_2",
            "sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer",
        )

    def setUp(self):
        super().setUp()
        self.order = self._create_order(qty=2, user=self.salesman).with_env(self.env)
        self.order.action_oms_review()
        self.assertEqual(self.order.state, "sale")


class OmsAccountingCommon(OmsCommon, AccountTestInvoicingCommon):
    """OmsCommon in a company with a chart of accounts: goods sold on order
    (no stock yet), bank and cash journals."""

    @classmethod
    def get_default_groups(cls):
        groups = super().get_default_groups()
        return (
            groups
            | cls.env.ref("stock.group_stock_manager")
            | cls.env.ref("sales_team.group_sale_manager")
            | cls.env.ref("oms_core.group_oms_manager")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.goods = cls._create_invoiced_goods("OMS Widget", 100.0)
        cls.goods_b = cls._create_invoiced_goods("OMS Gadget", 50.0)
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.cash_journal = cls.company_data["default_journal_cash"]

    @classmethod
    def _create_invoiced_goods(cls, name, price):
        """Goods invoiced on order, without taxes, on the default revenue account."""
        return cls._create_storable(
            name,
            price,
            invoice_policy="order",
            taxes_id=[Command.clear()],
            property_account_income_id=cls.company_data["default_account_revenue"].id,
        )


class OmsBrowserCase(HttpCase):
    """Tours in the test browser, screenshots on demand, the zh_CN terms: the
    base of the tour tests, and of the demo's screenshots (which read the demo
    database as it is, without the fixture's data)."""

    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Every addon's manifest read once here, so that the test server's
        # threads find them cached: Python 3.11.7 may fail to parse in two
        # threads at once ("SystemError: AST constructor recursion depth
        # mismatch"), which the first requests of a tour would otherwise do.
        for module in get_modules():
            get_manifest(module)

    @classmethod
    def _activate_zh_cn(cls):
        """Activate zh_CN and load the Chinese terms the journeys show."""
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "in", OMS_ADDONS + ZH_CN_ODOO_MODULES)]
        )._update_translations("zh_CN")

    def call_kw(self, login, model, method, args, context=None):
        """Call ``model.method(*args)`` over JSON-RPC as ``login``, as an RPC
        client does (``/web/dataset/call_kw``, the context it chooses)."""
        self.authenticate(login, login)
        result = self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": {"context": dict({"lang": "en_US"}, **(context or {}))},
            },
        )
        self.env.invalidate_all()
        return result

    def start_oms_tour(self, url_path, tour_name, login, timeout=120):
        """Run ``tour_name`` as ``login`` in the test browser (screenshots on
        demand, see the module docstring)."""
        werkzeug_logger = logging.getLogger("werkzeug")
        preconnect_filter = _DropPreconnectTimeouts()
        werkzeug_logger.addFilter(preconnect_filter)
        try:
            with patch("odoo.tests.common.ChromeBrowser", OmsChromeBrowser):
                self.start_tour(url_path, tour_name, login=login, timeout=timeout)
        finally:
            werkzeug_logger.removeFilter(preconnect_filter)


class OmsTourCase(OmsBrowserCase, OmsCommon):
    """Base of the tour tests: one user per role, screenshots on demand."""

    @classmethod
    def _create_tour_user(cls, login, groups, name, lang="en_US"):
        """A user of the journey, in Shanghai time, in ``lang``."""
        return cls._create_user(
            login,
            groups,
            name,
            lang=lang,
            tz="Asia/Shanghai",
            email=f"{login}@example.com",
        )

    @classmethod
    def _create_tour_customer(cls, name, **values):
        """A customer in Shanghai."""
        return cls._create_customer(
            name,
            **dict(
                {
                    "street": "浦东新区世纪大道 100 号",
                    "city": "上海",
                    "zip": "200120",
                    "country_id": cls.env.ref("base.cn").id,
                    "email": "buyer@example.com",
                    "phone": "+86 21 5555 0100",
                },
                **values,
            ),
        )

    @classmethod
    def _create_order(cls, lines=None, **values):
        """As :meth:`OmsCommon._create_order`, returned in the test's environment
        (the journeys check the orders as the administrator)."""
        return super()._create_order(lines, **values).with_env(cls.env)

    @classmethod
    def _create_tour_product(cls, name, price, qty=100.0, **values):
        """Goods invoiced on order, without taxes, ``qty`` in stock."""
        return cls._create_storable(
            name,
            price,
            qty=qty,
            **dict(
                {"invoice_policy": "order", "taxes_id": [Command.clear()]}, **values
            ),
        )


class OmsTiersCommon(OmsCommon):
    """An amount rule approved by a reviewer, and above 1,000 by a reviewer then
    a finance director (a group of its own, so that the owners are known)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reviewers = (
            "sales_team.group_sale_salesman_all_leads,oms_core.group_oms_reviewer"
        )
        cls.reviewer_2 = cls._create_user("oms_tier_reviewer_2", reviewers)
        cls.reviewer_3 = cls._create_user("oms_tier_reviewer_3", reviewers)
        cls.directors = cls.env["res.groups"].create({"name": "Finance Directors"})
        cls.director = cls._create_user("oms_tier_director", reviewers)
        cls.director_2 = cls._create_user("oms_tier_director_2", reviewers)
        cls.directors.users = cls.director | cls.director_2
        cls.reviewer_group = cls.env.ref("oms_core.group_oms_reviewer")
        cls.rule = cls._create_rule(
            "amount_threshold",
            amount_limit=100.0,
            tier_ids=[
                Command.create(
                    {
                        "name": "Reviewer approval",
                        "sequence": 1,
                        "approver_group_id": cls.reviewer_group.id,
                        "deadline_hours": 24,
                    }
                ),
                Command.create(
                    {
                        "name": "Director approval",
                        "sequence": 2,
                        "min_amount": 1000.0,
                        "approver_group_id": cls.directors.id,
                        "deadline_hours": 8,
                    }
                ),
            ],
        )
        cls.level_1, cls.level_2 = cls.rule.tier_ids

    def _held(self, qty, **values):
        """A salesperson's order of ``qty`` widgets (100 each) under review: its
        open exception."""
        order = self._create_order(qty=qty, user=self.salesman, **values)
        order.action_oms_review()
        self.assertEqual(order.oms_stage, "on_hold")
        return order.oms_exception_ids.with_env(self.env)

    def _approve(self, exception, user, note="checked"):
        exception.with_user(user).action_override(note)
        exception.invalidate_recordset()
