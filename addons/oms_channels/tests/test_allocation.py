import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..allocation import AllocationRule, allocate
from .common import FakePlatform, OmsChannelsCommon


#: quantities as Odoo stores them (Product Unit of Measure: 2 decimals)
def quantities(low, high):
    return st.integers(low * 100, high * 100).map(lambda cents: cents / 100)


RULES = st.lists(
    st.builds(
        AllocationRule,
        key=st.none(),
        share_percent=quantities(0, 100),
        max_qty=st.one_of(st.just(0.0), st.integers(1, 60).map(float)),
        floor_qty=st.one_of(st.just(0.0), quantities(0, 40)),
        sequence=st.integers(0, 5),
    ),
    min_size=1,
    max_size=5,
).map(
    # one rule per channel: the keys are the positions
    lambda rules: [
        AllocationRule(i, r.share_percent, r.max_qty, r.floor_qty, r.sequence)
        for i, r in enumerate(rules)
    ]
)
STOCK = st.one_of(st.integers(-5, 200).map(float), quantities(-5, 200))


@tagged("post_install", "-at_install", "oms")
class TestAllocationEngine(TransactionCase):
    """The allocation engine on its own: values in, values out."""

    def test_known_case_exact_values(self):
        """10 units, three channels: shares, a maximum, a floor and rounding."""
        rules = [
            # Tmall first: 50% but at most 4
            AllocationRule("tmall", share_percent=50, max_qty=4, sequence=1),
            # JD: 35% of 10 = 3.5, keeps 6 for the others
            AllocationRule("jd", share_percent=35, floor_qty=6, sequence=2),
            # web shop: 25% of 10 = 2.5
            AllocationRule("web", share_percent=25, sequence=3),
        ]
        # the two halves make one unit left over: JD's by priority
        self.assertEqual(allocate(10, rules), {"tmall": 4, "jd": 4, "web": 2})
        # half a unit alone is no whole unit
        self.assertEqual(allocate(10, rules[::2]), {"tmall": 4, "web": 2})
        # JD keeping 7 for the others gets 3 at most
        rules[1] = AllocationRule("jd", share_percent=35, floor_qty=7, sequence=2)
        self.assertEqual(allocate(10, rules), {"tmall": 4, "jd": 3, "web": 2})

    def test_short_stock_goes_by_priority(self):
        """3 units wanted 100% by two channels: the first by priority gets them."""
        rules = [
            AllocationRule("b", share_percent=100, sequence=2),
            AllocationRule("a", share_percent=100, sequence=1),
        ]
        self.assertEqual(allocate(3, rules), {"a": 3, "b": 0})
        self.assertEqual(allocate(2.7, rules), {"a": 2, "b": 0}, "whole units")
        self.assertEqual(allocate(-4, rules), {"a": 0, "b": 0})

    def test_rounding_leftovers_go_by_priority(self):
        """7 units in three thirds: 2 each, the unit left goes to the first."""
        rules = [
            AllocationRule(key, share_percent=100 / 3, sequence=seq)
            for seq, key in ((3, "c"), (1, "a"), (2, "b"))
        ]
        self.assertEqual(allocate(7, rules), {"a": 3, "b": 2, "c": 2})
        self.assertEqual(allocate(8, rules), {"a": 3, "b": 3, "c": 2})

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(rules=RULES, atp=STOCK, more=st.integers(0, 50))
    def test_allocation_properties(self, rules, atp, more):
        """Any shares, maxima, floors, priorities and stock: never more than ATP
        in total, never negative, maxima and floors kept, more stock never less."""
        offered = allocate(atp, rules)
        whole = max(int(atp // 1), 0)
        self.assertEqual(set(offered), {r.key for r in rules})
        self.assertLessEqual(sum(offered.values()), whole)
        for rule in rules:
            qty = offered[rule.key]
            self.assertIsInstance(qty, int)
            self.assertGreaterEqual(qty, 0)
            if rule.max_qty:
                self.assertLessEqual(qty, rule.max_qty)
            # the floor stays for the other channels whenever there is enough
            self.assertLessEqual(qty, max(whole - rule.floor_qty, 0))
            # a channel never gets more than its share, rounded up
            self.assertLessEqual(qty, -(-whole * rule.share_percent // 100) + 1e-9)
        # more stock never lowers the total offered
        richer = allocate(atp + more, rules)
        self.assertGreaterEqual(sum(richer.values()), sum(offered.values()))


@tagged("post_install", "-at_install", "oms")
class TestChannelAllocation(OmsChannelsCommon):
    """Scarce stock shared between the Shopify and WooCommerce shops."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scarce = cls._create_sku_product("SCARCE", qty=0)
        cls._set_stock(cls.scarce, 10)
        Binding = cls.env["oms.channel.product"]
        cls.woo_binding = Binding.create(
            {
                "channel_id": cls.woo.id,
                "external_sku": "SCARCE",
                "product_id": cls.scarce.id,
                "external_stock_ref": "21",
            }
        )
        cls.shopify_binding = Binding.create(
            {
                "channel_id": cls.shopify.id,
                "external_sku": "SCARCE",
                "product_id": cls.scarce.id,
                "external_stock_ref": "9100",
            }
        )
        Allocation = cls.env["oms.channel.allocation"]
        # the shop of the brand first, with at most 6; the marketplace keeps 3
        # for the others and takes 50%
        cls.shopify_allocation = Allocation.create(
            {
                "channel_id": cls.shopify.id,
                "product_id": cls.scarce.id,
                "share_percent": 70,
                "max_qty": 6,
                "sequence": 1,
            }
        )
        cls.woo_allocation = Allocation.create(
            {
                "channel_id": cls.woo.id,
                "categ_id": cls.scarce.categ_id.id,
                "share_percent": 50,
                "floor_qty": 3,
                "sequence": 2,
            }
        )

    def test_offers_follow_the_allocation(self):
        """10 units: Shopify 6 (its maximum), Woo the 4 left (≤ 50%, 3 kept)."""
        self.assertEqual(
            self.shopify._get_offered_qty(self.scarce), {self.scarce.id: 6}
        )
        self.assertEqual(self.woo._get_offered_qty(self.scarce), {self.scarce.id: 4})
        # without an allocation a channel keeps the flat rule: ATP − buffer
        self.woo.stock_buffer = 1
        self.woo_allocation.unlink()
        self.assertEqual(self.woo._get_offered_qty(self.scarce), {self.scarce.id: 9})

    def test_product_rule_wins_over_category(self):
        """A product allocation of the channel replaces its category allocation."""
        self.env["oms.channel.allocation"].create(
            {
                "channel_id": self.woo.id,
                "product_id": self.scarce.id,
                "share_percent": 10,
                "sequence": 0,
            }
        )
        # Woo first now, 10% = 1; Shopify 70% = 7, capped at 6
        self.assertEqual(self.woo._get_offered_qty(self.scarce), {self.scarce.id: 1})
        self.assertEqual(
            self.shopify._get_offered_qty(self.scarce), {self.scarce.id: 6}
        )

    def test_stock_push_publishes_the_allocated_quantity(self):
        """The WooCommerce push sends the allocated 4 units, not ATP − buffer."""
        with FakePlatform() as platform:
            platform.add("POST", "/wp-json/wc/v3/products/batch", (200, {}, {}))
            self.woo.api_url = platform.url
            self.woo.action_push_stock()
            self.assertEqual(
                [json.loads(r[3]) for r in platform.requests],
                [{"update": [{"id": 21, "manage_stock": True, "stock_quantity": 4}]}],
            )
        self.assertEqual(self.woo_binding.last_pushed_qty, 4)

    def test_allocation_table_shows_atp_and_offers(self):
        """The table: per SKU the ATP and what each channel is offered."""
        action = (
            self.env["oms.channel.allocation.table"]
            .with_user(self.manager)
            .action_open_table()
        )
        rows = self.env["oms.channel.allocation.table"].search(action["domain"])
        rows = rows.filtered(lambda r: r.product_id == self.scarce)
        self.assertRecordValues(
            rows.sorted(lambda r: r.channel_id.id),
            [
                {
                    "channel_id": channel.id,
                    "atp_qty": 10.0,
                    "offered_qty": offered,
                    "allocation_id": allocation.id,
                }
                for channel, offered, allocation in sorted(
                    [
                        (self.shopify, 6, self.shopify_allocation),
                        (self.woo, 4, self.woo_allocation),
                        # no allocation: the flat rule, ATP − buffer
                        (self.rest, 10, self.env["oms.channel.allocation"]),
                    ],
                    key=lambda item: item[0].id,
                )
            ],
        )

    def test_allocation_is_manager_configuration(self):
        """Users read the allocations; only managers change them or see the table."""
        allocation = self.woo_allocation.with_user(self.oms_user)
        self.assertEqual(allocation.share_percent, 50)
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            allocation.write({"share_percent": 100})
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.env["oms.channel.allocation"].with_user(self.reviewer).create(
                {"channel_id": self.woo.id, "product_id": self.scarce.id}
            )
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.env["oms.channel.allocation.table"].with_user(
                self.reviewer
            ).action_open_table()
