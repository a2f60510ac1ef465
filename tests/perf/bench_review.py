"""The review alone: milliseconds per order with 20 active rules (the 10 demo rules
and 10 more), one order at a time and in one batch. Rolled back afterwards."""

from odoo import Command

from .bench_lib import Timer
from .bench_oms import DEMO_RULES, rule_vals

EXTRA_RULES = [
    {"name": "Price floor 50%", "check_type": "price_floor", "percent_limit": 50},
    {"name": "Discount above 40%", "check_type": "discount_limit", "percent_limit": 40},
    {"name": "Very large order", "check_type": "amount_threshold", "amount_limit": 1e6},
    {"name": "Duplicate within a week", "check_type": "duplicate", "hours_window": 168},
    {
        "name": "Address of foreign orders",
        "check_type": "address",
        "domain": "[('partner_shipping_id.country_id.code', '!=', 'CN')]",
    },
    {
        "name": "Blocked customers",
        "check_type": "domain",
        "domain": "[('partner_id.comment', 'ilike', 'blocked')]",
    },
    {
        "name": "Fraud note",
        "check_type": "domain",
        "domain": "[('note', 'ilike', 'fraud')]",
    },
    {
        "name": "Huge quantity",
        "check_type": "domain",
        "domain": "[('order_line.product_uom_qty', '>', 1000)]",
    },
    {
        "name": "Second credit check",
        "check_type": "credit_limit",
        "severity": "warn",
    },
    {
        "name": "Bulk stock",
        "check_type": "stock",
        "order_types": ["bulk"],
    },
]


def _create_orders(env, specs):
    return env["sale.order"].create(
        [
            {
                "partner_id": spec["partner_id"],
                "client_order_ref": f"REVIEW-{spec['ref']}",
                "order_line": [
                    Command.create({"product_id": pid, "product_uom_qty": qty})
                    for pid, qty in spec["lines"]
                ],
            }
            for spec in specs
        ]
    )


def run_review(registry, specs):
    """Review ``specs`` one by one, then the same number again as one batch."""
    half = len(specs) // 2
    with registry.cursor() as cr:
        from odoo import SUPERUSER_ID, api

        env = api.Environment(cr, SUPERUSER_ID, {})
        Rule = env["oms.review.rule"]
        Rule.search([]).active = False
        Rule.create([rule_vals(env, spec) for spec in DEMO_RULES + EXTRA_RULES])
        rules = Rule.search_count([])
        single = _create_orders(env, specs[:half])
        batch = _create_orders(env, specs[half:])
        env.flush_all()
        env.invalidate_all()
        with Timer() as t_single:
            for order in single:
                order._oms_run_review()
            env.flush_all()
        env.invalidate_all()
        with Timer() as t_batch:
            batch._oms_run_review()
            env.flush_all()
        exceptions = env["oms.exception"].search_count(
            [("order_id", "in", (single | batch).ids)]
        )
        cr.rollback()
    return {
        "rules": rules,
        "orders": len(specs),
        "exceptions": exceptions,
        "ms_per_order_single": t_single.seconds * 1000 / max(half, 1),
        "ms_per_order_batch": t_batch.seconds * 1000 / max(len(specs) - half, 1),
        "cpu_ms_per_order_single": t_single.cpu_seconds * 1000 / max(half, 1),
        "cpu_ms_per_order_batch": t_batch.cpu_seconds
        * 1000
        / max(len(specs) - half, 1),
    }
