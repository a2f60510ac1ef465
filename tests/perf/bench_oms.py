"""The OMS path: the same orders as staged REST-JSON channel orders, processed by the
channel cron (mapping, review with the demo rules, confirmation with pickings).

The cron runs in worker processes (``python -m tests.perf.bench_worker``), each with
its own registry, like Odoo's cron workers; 1 worker gives the intake figure, 2
workers the scaling figure. Every run ends with the exactly-once check.
"""

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from odoo import Command

from .bench_lib import Timer, environment

ROOT = Path(__file__).resolve().parents[2]

# the rules of addons/oms_core/demo/oms_core_demo.xml (the bench DB has no demo)
DEMO_RULES = [
    {
        "name": "Credit limit",
        "sequence": 10,
        "check_type": "credit_limit",
        "severity": "block",
        "deadline_hours": 8,
    },
    {
        "name": "Stock available to promise",
        "sequence": 20,
        "check_type": "stock",
        "severity": "block",
        "deadline_hours": 24,
        "order_types": ["standard", "bulk"],
    },
    {
        "name": "Complete delivery address",
        "sequence": 30,
        "check_type": "address",
        "severity": "block",
        "deadline_hours": 4,
    },
    {
        "name": "Price floor 20%",
        "sequence": 40,
        "check_type": "price_floor",
        "severity": "warn",
        "percent_limit": 20,
    },
    {
        "name": "Discount above 15%",
        "sequence": 50,
        "check_type": "discount_limit",
        "severity": "block",
        "percent_limit": 15,
        "manager": True,
    },
    {
        "name": "Large order needs a manager",
        "sequence": 60,
        "check_type": "amount_threshold",
        "severity": "block",
        "amount_limit": 20000,
        "manager": True,
    },
    {
        "name": "Duplicate order",
        "sequence": 70,
        "check_type": "duplicate",
        "severity": "block",
        "hours_window": 24,
    },
    {
        "name": "Prepayment before confirmation",
        "sequence": 80,
        "check_type": "payment",
        "severity": "block",
        "prepaid_term": True,
    },
    {
        "name": "New customer above 3,000",
        "sequence": 90,
        "check_type": "new_customer",
        "severity": "warn",
        "amount_limit": 3000,
        "domain": "[('partner_id.oms_tier', '=', 'normal')]",
    },
    {
        "name": "Test orders",
        "sequence": 100,
        "check_type": "domain",
        "severity": "block",
        "domain": "[('client_order_ref', '=ilike', 'TEST%')]",
        "message": "Customer reference says TEST: check it is a real order",
    },
]


def rule_vals(env, spec):
    """``oms.review.rule`` values of one DEMO_RULES entry."""
    spec = dict(spec)
    vals = {
        key: spec.pop(key)
        for key in list(spec)
        if key not in ("order_types", "manager", "prepaid_term")
    }
    if spec.get("order_types"):
        types = env["oms.order.type"].search([("code", "in", spec["order_types"])])
        vals["order_type_ids"] = [Command.set(types.ids)]
    if spec.get("manager"):
        vals["approver_group_id"] = env.ref("oms_core.group_oms_manager").id
    if spec.get("prepaid_term"):
        term = env["account.payment.term"].search(
            [("name", "=", "Bench prepaid")], limit=1
        ) or env["account.payment.term"].create({"name": "Bench prepaid"})
        vals["payment_term_ids"] = [Command.set(term.ids)]
    return vals


def ensure_review_rules(registry):
    """The demo review rules, created once (the bench DB is installed without
    demo; the rules the addons install as data do not count).

    :return: the number of active rules
    """
    with environment(registry) as env:
        Rule = env["oms.review.rule"]
        names = [spec["name"] for spec in DEMO_RULES]
        if not Rule.search_count([("name", "in", names)]):
            Rule.create([rule_vals(env, spec) for spec in DEMO_RULES])
        return Rule.search_count([])


def sale_tax(env):
    """The company's default sales tax (what the native path gets from products)."""
    return env.company.account_sale_tax_id


def ensure_channel(registry, code, master):
    """A REST-JSON channel confirming clean orders automatically."""
    with environment(registry) as env:
        channel = env["oms.channel"].search([("code", "=", code)], limit=1)
        if not channel:
            channel = env["oms.channel"].create(
                {
                    "name": f"Bench {code}",
                    "code": code,
                    "connector": "rest_json",
                    "kind": "api",
                    "auto_confirm": True,
                    "warehouse_id": master["warehouse_id"],
                }
            )
        return channel.id


def payloads(env, specs, prefix):
    """REST-JSON documents (our normalized format) of the order specs."""
    partners = {
        p.id: p for p in env["res.partner"].browse({s["partner_id"] for s in specs})
    }
    products = {
        p.id: p
        for p in env["product.product"].browse(
            {pid for s in specs for pid, _qty in s["lines"]}
        )
    }
    tax = sale_tax(env)
    rate = Decimal(str(tax.amount)) if tax else Decimal(0)
    result = []
    for spec in specs:
        partner = partners[spec["partner_id"]]
        lines, untaxed = [], Decimal(0)
        for pid, qty in spec["lines"]:
            product = products[pid]
            price = Decimal(str(product.list_price)).quantize(Decimal("0.01"))
            untaxed += price * qty
            lines.append(
                {
                    "sku": product.default_code,
                    "name": product.name,
                    "quantity": qty,
                    "price": str(price),
                    "tax_rate": str(rate) if rate else "",
                }
            )
        total = untaxed + (untaxed * rate / 100).quantize(Decimal("0.01"))
        address = {
            "name": partner.name,
            "street": partner.street,
            "city": partner.city,
            "zip": partner.zip,
            "country": partner.country_id.code,
            "phone": partner.phone,
        }
        ref = f"{prefix}-{spec['ref']}"
        result.append(
            (
                ref,
                json.dumps(
                    {
                        "id": ref,
                        "name": ref,
                        "customer": {
                            "id": partner.ref,
                            "name": partner.name,
                            "email": partner.email,
                            "phone": partner.phone,
                        },
                        "billing": address,
                        "shipping": address,
                        "lines": lines,
                        "taxes_included": False,
                        "total": str(total),
                        "paid": False,
                    }
                ),
            )
        )
    return result


def stage_orders(registry, channel_id, specs, prefix):
    """Stage the orders as the webhook controller does (``_stage``), committed."""
    with environment(registry) as env:
        channel = env["oms.channel"].browse(channel_id)
        Staged = env["oms.channel.order"]
        docs = payloads(env, specs, prefix)
        with Timer() as timer:
            for _ref, payload in docs:
                Staged._stage(channel, payload, source="webhook")
    return timer.seconds


def run_workers(config, db, workers, batch_size=None, profile=None, options=()):
    """Run the channel cron in ``workers`` OS processes until no work is left.

    The clock starts once every worker has loaded its registry.

    :param options: more options of every worker (``--cron-cursor``)

    :return: (seconds, [per-worker stats])
    """
    cmd = [sys.executable, "-m", "tests.perf.bench_worker"]
    cmd += ["--config", config, "--db", db]
    if batch_size:
        cmd += ["--batch-size", str(batch_size)]
    cmd += list(options)
    procs = []
    for index in range(workers):
        extra = ["--profile", f"{profile}.w{index + 1}"] if profile else []
        procs.append(
            subprocess.Popen(
                [*cmd, "--name", f"w{index + 1}", *extra],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"bench worker did not start: {line!r}")
    start = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    stats = []
    for proc in procs:
        out, _err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"bench worker failed ({proc.returncode}): {out}")
        stats.append(json.loads(out.strip().splitlines()[-1]))
    return time.perf_counter() - start, stats


def check_exactly_once(registry, channel_id, count):
    """N staged orders → N sale orders, none twice, each confirmed with a picking."""
    with environment(registry) as env:
        cr = env.cr
        cr.execute(
            """SELECT count(*), count(DISTINCT oms_external_ref),
                      count(*) FILTER (WHERE state = 'sale')
                 FROM sale_order WHERE oms_channel_id = %s""",
            [channel_id],
        )
        orders, distinct, confirmed = cr.fetchone()
        cr.execute(
            """SELECT count(*) FILTER (WHERE state = 'imported'),
                      count(DISTINCT sale_order_id), count(*)
                 FROM oms_channel_order WHERE channel_id = %s""",
            [channel_id],
        )
        imported, linked, staged = cr.fetchone()
        cr.execute(
            """SELECT count(DISTINCT sp.sale_id) FROM stock_picking sp
                 JOIN sale_order so ON so.id = sp.sale_id
                WHERE so.oms_channel_id = %s""",
            [channel_id],
        )
        with_picking = cr.fetchone()[0]
    result = {
        "staged": staged,
        "sale_orders": orders,
        "distinct_refs": distinct,
        "confirmed": confirmed,
        "with_picking": with_picking,
        "imported": imported,
        "linked": linked,
    }
    if not (staged == orders == distinct == imported == linked == count):
        raise AssertionError(f"exactly-once violated: {result} for {count} orders")
    result["exactly_once"] = True
    return result


def run_oms_intake(
    registry, config, db, master, channels, workers=1, profile=None, already=0
):
    """Stage the orders of each channel and process them all with ``workers``.

    :param channels: [(channel code, order specs)], one channel per entry
    :param already: orders imported on each of these channels before (earlier
        rounds), for the exactly-once check
    """
    staged, stage_seconds = [], 0.0
    for code, specs in channels:
        channel_id = ensure_channel(registry, code, master)
        stage_seconds += stage_orders(registry, channel_id, specs, code)
        staged.append((channel_id, len(specs)))
    seconds, stats = run_workers(config, db, workers, profile=profile)
    checks = [
        check_exactly_once(registry, cid, already + count) for cid, count in staged
    ]
    orders = sum(count for _cid, count in staged)
    result = {
        "orders": orders,
        "channels": len(staged),
        "workers": workers,
        "stage_seconds": stage_seconds,
        "seconds": seconds,
        "per_s": orders / seconds,
        "worker_stats": stats,
        "checks": checks,
    }
    for key in ("sale_orders", "distinct_refs", "confirmed", "with_picking"):
        result[key] = sum(check[key] for check in checks)
    result["exactly_once"] = all(check["exactly_once"] for check in checks)
    return result


def post_webhooks(url, token, secret, docs, in_flight=4):
    """POST each signed REST-JSON document to the channel's webhook, like the
    platform does (``X-OMS-Signature``: base64 HMAC-SHA256 of the raw body),
    ``in_flight`` at a time on keep-alive connections.

    :return: seconds taken; raises when a request is not answered 200
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from odoo.addons.oms_channels.adapters.base import hmac_b64

    local = threading.local()

    def post(payload):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body = payload.encode()
        answer = session.post(
            f"{url}/oms/webhook/{token}",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-OMS-Signature": hmac_b64(secret, body),
            },
            timeout=60,
        )
        if answer.status_code != 200:
            raise RuntimeError(
                f"webhook answered {answer.status_code}: {answer.text[:200]}"
            )

    with Timer() as timer, ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(post, [payload for _ref, payload in docs]))
    return timer.seconds


def run_e2e_intake(registry, config, db, master, code, specs, port):
    """End to end: the orders sent as signed webhooks to a running Odoo server
    (its real HTTP endpoint stages them), then imported by one worker; the
    clock counts both (not the server's start nor the worker's registry load).
    Ends with the exactly-once check.
    """
    from .bench_lib import odoo_server

    channel_id = ensure_channel(registry, code, master)
    with environment(registry) as env:
        channel = env["oms.channel"].browse(channel_id)
        if not channel.api_secret:
            channel.api_secret = f"bench-secret-{code}"
        token, secret = channel.webhook_token, channel.api_secret
        docs = payloads(env, specs, code)
    with odoo_server(config, db, port) as url:
        http_seconds = post_webhooks(url, token, secret, docs)
    with environment(registry) as env:
        received = env["oms.channel.order"].search_count(
            [("channel_id", "=", channel_id), ("state", "=", "received")]
        )
    if received != len(specs):
        raise AssertionError(f"{received} orders staged over HTTP, {len(specs)} sent")
    import_seconds, stats = run_workers(config, db, 1)
    check = check_exactly_once(registry, channel_id, len(specs))
    seconds = http_seconds + import_seconds
    return {
        "orders": len(specs),
        "http_seconds": http_seconds,
        "import_seconds": import_seconds,
        "seconds": seconds,
        "per_s": len(specs) / seconds,
        "http_per_s": len(specs) / http_seconds,
        "worker_stats": stats,
        "checks": [check],
        "exactly_once": check["exactly_once"],
    }
