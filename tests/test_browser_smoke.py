"""The browser-test chain works: Odoo's HTTP server, headless Chromium, a login."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "oms")
class TestBrowserSmoke(HttpCase):
    def test_order_management_app_in_the_browser(self):
        """An OMS manager logs in and the web client lists the Order Management app."""
        self.browser_js(
            "/odoo",
            """
            (async () => {
                const response = await fetch('/web/webclient/load_menus/smoke');
                const names = Object.values(await response.json()).map((m) => m.name);
                if (names.includes('Order Management')) {
                    console.log('test successful');
                } else {
                    console.error('No Order Management app: ' + names.join(', '));
                }
            })();
            """,
            ready="odoo.isReady",
            login="admin",
        )
