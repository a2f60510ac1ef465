"""Shared set-up of the browser tours: users per role, zh_CN, screenshots.

Screenshots: a tour step made by ``omsScreenshot(name)`` (oms_core's
``oms_tour_utils.js``) logs ``oms-screenshot:<name>`` and waits until the test
answers. When the environment variable ``OMS_SCREENSHOTS`` names a directory, the
answer comes after Chrome has captured the page (DevTools
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
from odoo.tests import HttpCase, new_test_user
from odoo.tests.common import ChromeBrowser

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


class OmsTourCase(HttpCase):
    """Base of the tour tests: own data only, one user per role."""

    browser_size = "1280x800"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # the database's own rules (demo) must not interfere with the journeys
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

    # ------------------------------------------------------------------
    # Factories
    # ------------------------------------------------------------------
    @classmethod
    def _create_user(cls, login, groups, name, lang="en_US"):
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            name=name,
            lang=lang,
            tz="Asia/Shanghai",
            email=f"{login}@example.com",
        )

    @classmethod
    def _create_customer(cls, name, **values):
        return cls.env["res.partner"].create(
            dict(
                {
                    "name": name,
                    "street": "浦东新区世纪大道 100 号",
                    "city": "上海",
                    "zip": "200120",
                    "country_id": cls.env.ref("base.cn").id,
                    "email": "buyer@example.com",
                    "phone": "+86 21 5555 0100",
                },
                **values,
            )
        )

    @classmethod
    def _create_product(cls, name, price, qty=100.0, **values):
        product = cls.env["product.product"].create(
            dict(
                {
                    "name": name,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": price,
                    "invoice_policy": "order",
                    "taxes_id": [Command.clear()],
                },
                **values,
            )
        )
        if qty:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.warehouse.lot_stock_id, qty
            )
        return product

    @classmethod
    def _create_order(cls, customer, lines, user=None, **values):
        """A draft order of ``lines`` [(product, qty)], created by ``user``."""
        Order = cls.env["sale.order"]
        if user:
            Order = Order.with_user(user)
        return Order.create(
            dict(
                {
                    "partner_id": customer.id,
                    "warehouse_id": cls.warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "product_uom_qty": qty}
                        )
                        for product, qty in lines
                    ],
                },
                **values,
            )
        ).with_user(cls.env.user)

    @classmethod
    def _activate_zh_cn(cls):
        """Activate zh_CN and load the Chinese terms the journeys show."""
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "in", OMS_ADDONS + ZH_CN_ODOO_MODULES)]
        )._update_translations("zh_CN")

    # ------------------------------------------------------------------
    # Running a tour
    # ------------------------------------------------------------------
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
