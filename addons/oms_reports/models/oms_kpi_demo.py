import random
from contextlib import contextmanager
from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.tools import SQL

# The demo's sales channels by code (oms_channels demo), with their share of
# the orders, the salesperson (oms_core demo users) who handles them, the
# customers they serve (see OMS_DEMO_CUSTOMERS), how many days the shop
# promises to ship in, how many units a line holds, and how the shop numbers
# its orders.
OMS_DEMO_CHANNELS = {
    "TMALL": (16, "chen", "buyer", 2, (1, 3), "TB{:019d}", 4000000000000100000),
    "JD": (11, "chen", "buyer", 2, (1, 3), "JD{:012d}", 290000001000),
    "PDD": (10, "chen", "buyer", 2, (1, 4), "{:06d}-{:015d}", 0),
    "DOUYIN": (10, "chen", "buyer", 2, (1, 2), "DY{:019d}", 6900000000000100000),
    "SHOPIFY": (12, "emily", "web", 3, (1, 3), "#{:d}", 2001),
    "WOO": (8, "emily", "web", 3, (1, 3), "WC-{:d}", 900),
    "EMAIL": (5, "emily", "b2b", 5, (6, 24), "PO-{:05d}", 31000),
    "STORE": (10, "wang", "walk_in", 1, (1, 2), "POS-{:05d}", 10000),
    "PHONE": (8, "wang", "b2b", 4, (2, 10), "TEL-{:05d}", 20000),
    "REPS": (6, "liu", "b2b", 5, (10, 40), "REP-{:05d}", 50000),
    "FILE": (4, "liu", "b2b", 7, (20, 60), "CSV-{:05d}", 70000),
}
# customers in the form their language expects: Chinese for the marketplaces
# and the shop counter, English for the international web shop
OMS_DEMO_CUSTOMERS = {
    "buyer": [
        ("张伟", "杭州", "西湖区文三路 88 号", "310012", "normal"),
        ("李娜", "南京", "鼓楼区宁海路 122 号", "210024", "normal"),
        ("王芳", "上海", "长宁区愚园路 618 号", "200050", "key"),
        ("刘洋", "成都", "锦江区春熙路 19 号", "610021", "normal"),
        ("陈思远", "深圳", "南山区科技园南路 7 号", "518057", "normal"),
        ("杨敏", "北京", "朝阳区三里屯路 11 号", "100027", "normal"),
        ("赵静", "厦门", "思明区莲前西路 233 号", "361009", "normal"),
        ("黄磊", "广州", "天河区体育西路 56 号", "510620", "normal"),
        ("周婷", "苏州", "姑苏区观前街 45 号", "215005", "normal"),
        ("吴昊", "武汉", "武昌区中南路 99 号", "430071", "normal"),
    ],
    "web": [
        ("Emma Wilson", "San Francisco", "450 Market Street", "94105", "normal"),
        ("James Miller", "London", "12 Baker Street", "NW1 6XE", "normal"),
        ("Olivia Brown", "Singapore", "8 Marina View", "018960", "key"),
        ("Noah Davis", "Sydney", "100 George Street", "2000", "normal"),
        ("Sophia Taylor", "Vancouver", "1055 West Georgia Street", "V6E 3P3", "normal"),
        ("Lucas Martin", "Hong Kong", "88 Queensway, Admiralty", "999077", "normal"),
    ],
    "b2b": [
        ("上海华联商贸有限公司", "上海", "黄浦区南京东路 800 号", "200001", "vip"),
        ("北京京茶汇贸易有限公司", "北京", "西城区马连道路 6 号", "100055", "key"),
        ("广州天河百货有限公司", "广州", "天河区天河路 208 号", "510620", "key"),
        ("成都锦江茶庄", "成都", "锦江区红星路 35 号", "610016", "normal"),
        ("杭州西湖茶叶有限公司", "杭州", "西湖区龙井路 1 号", "310013", "vip"),
    ],
    "walk_in": [
        ("门店散客 孙先生", "上海", "静安区南京西路 1266 号", "200040", "normal"),
        ("门店散客 马女士", "上海", "徐汇区淮海中路 999 号", "200031", "normal"),
        ("门店会员 林晓", "上海", "浦东新区世纪大道 100 号", "200120", "key"),
    ],
}
OMS_DEMO_COUNTRIES = {
    "San Francisco": "base.us",
    "London": "base.uk",
    "Singapore": "base.sg",
    "Sydney": "base.au",
    "Vancouver": "base.ca",
    "Hong Kong": "base.hk",
}
# the shop's range: English name, Chinese name, internal reference, price
OMS_DEMO_PRODUCTS = [
    ("West Lake Longjing Green Tea 250 g", "西湖龙井绿茶 250克", "TEA-LJ-250", 168.0),
    ("Yunnan Pu'er Tea Cake 357 g", "云南普洱茶饼 357克", "TEA-PE-357", 128.0),
    ("Anxi Tieguanyin Oolong 125 g", "安溪铁观音乌龙茶 125克", "TEA-TGY-125", 98.0),
    ("Jingdezhen Tea Cups (set of 4)", "景德镇青花茶杯（4只装）", "CUP-JDZ-4", 89.0),
    ("Yixing Clay Teapot", "宜兴紫砂壶", "POT-YX-01", 399.0),
    ("Bamboo Tea Tray", "竹制茶盘", "TRAY-BB-01", 159.0),
]
# the Chinese names of the products of the other demo files
OMS_DEMO_NAMES_ZH = {
    "oms_core.oms_demo_product_phone": "演示手机",
    "oms_core.oms_demo_product_charger": "演示充电器",
    "oms_core.oms_demo_product_case": "演示手机壳",
    "oms_core.oms_demo_product_laptop": "演示笔记本电脑",
    "oms_core.demo_product_tea": "乌龙茶礼盒",
    "oms_core.demo_product_cup": "白瓷茶杯",
    "oms_core.demo_product_shipping": "快递运费",
    "oms_channels.demo_product_tea": "龙井绿茶 250克",
    "oms_channels.demo_product_cup": "青瓷茶杯",
}
# why a review held an order back then: check type (the exception's type),
# severity, message, the reviewer's note and weight
OMS_DEMO_EXCEPTIONS = [
    (
        "stock",
        "block",
        "Not enough stock to promise for the whole quantity",
        "Stock arrives tomorrow from the supplier: keep the promise.",
        4,
    ),
    (
        "address",
        "block",
        "Delivery address incomplete: the postal code is missing",
        "Customer confirmed the address by phone.",
        3,
    ),
    (
        "credit_limit",
        "block",
        "Credit limit exceeded: the open orders and invoices pass the limit",
        "Payment of last month's invoice is on its way.",
        2,
    ),
    (
        "payment",
        "block",
        "Prepayment not received before confirmation",
        "Bank transfer received this morning.",
        2,
    ),
    (
        "price_floor",
        "warn",
        "Price below the floor: more than 20% under the list price",
        "Promotion agreed with the channel manager.",
        1,
    ),
    (
        "discount_limit",
        "block",
        "Discount above 15% needs a manager",
        "Key account discount, approved by the sales manager.",
        1,
    ),
    (
        "duplicate",
        "block",
        "Possible duplicate: same customer and products within 24 hours",
        "Customer confirmed a second order for another shop.",
        1,
    ),
    (
        "new_customer",
        "warn",
        "First order of a new customer above 3,000",
        "Company checked in the business register.",
        1,
    ),
]
# cancellation reasons (oms_core data) and their weight
OMS_DEMO_CANCEL_REASONS = [
    ("oms_core.oms_cancel_reason_customer", 4),
    ("oms_core.oms_cancel_reason_stock", 2),
    ("oms_core.oms_cancel_reason_payment", 2),
    ("oms_core.oms_cancel_reason_fraud", 1),
    ("oms_core.oms_cancel_reason_duplicate", 1),
]
# return reasons (oms_core data) and their weight
OMS_DEMO_RETURN_REASONS = [
    ("oms_core.oms_return_reason_damaged", 3),
    ("oms_core.oms_return_reason_defective", 2),
    ("oms_core.oms_return_reason_wrong_item", 2),
    ("oms_core.oms_return_reason_wrong_quantity", 1),
    ("oms_core.oms_return_reason_changed_mind", 2),
]
OMS_DEMO_FEEDBACK = {
    5: "Fast delivery, the tea is excellent.",
    4: "Good tea, the parcel took a little long.",
    3: "OK, but the box was dented.",
    2: "Delivered late and nobody told me.",
    1: "Wrong item and a week late.",
}


class OmsKpiDemo(models.AbstractModel):
    """Demo history for the dashboards (called by demo/oms_reports_demo.xml only).

    One story over the last 90 days: a tea house selling on its web shops, the
    Chinese marketplaces, in its store, by phone, e-mail, field sales and CSV
    files. Volume grows and the team gets better (fewer holds, fewer late
    shipments, fewer cancellations), so the KPI dashboard shows trends: the
    last 30 days hold or beat the 30 before, today's hold queue of the other
    demo files included (tests/test_demo_story.py checks it on the demo
    database). Every step is taken by the person who would take it
    (salesperson, reviewer, warehouse) and dated when it happened.
    Deterministic (fixed seed).
    """

    _name = "oms.kpi.demo"
    _description = "KPI Demo History"

    @api.model
    def _demo_build_history(self, count=130, days=90):
        """Create ``count`` orders spread over the last ``days`` days, each
        with its history: review (clean, or held and released by a reviewer),
        shipment (on time, late, in two parts), delivery, invoice and payment,
        return, customer rating; a few cancelled with their reason, the last
        ones still waiting in the hold queue or the warehouse. Dates are
        written in SQL as history would have."""
        rng = random.Random(42)
        admin = self.env.ref("base.user_admin")
        # nothing of the story is authored by OdooBot: the admin sets it up;
        # no field tracking (messages are dated by step), no text messages, and
        # the customers' e-mails wait in the queue instead of being sent now
        self = (
            self.with_user(admin)
            .sudo()
            .with_context(
                mail_notrack=True, skip_sms=True, mail_notify_force_send=False
            )
        )
        ctx = self._demo_context()
        if not ctx["channels"]:
            return
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        weights = [OMS_DEMO_CHANNELS[c.code][0] for c in ctx["channels"]]
        counters = {}
        # volume grows as channels join: later days get more orders
        for index in range(count):
            progress = (index + 1) / count
            age = days * (1 - progress**0.6)
            created = (now - timedelta(days=age, hours=rng.randint(1, 9))).replace(
                microsecond=0
            )
            channel = rng.choices(ctx["channels"], weights)[0]
            counters[channel.code] = counters.get(channel.code, 0) + 1
            self._demo_story(ctx, rng, channel, counters[channel.code], created, now)
        self._demo_assign_salespeople(ctx)
        self._demo_date_before_oms(rng, now, days)
        for xmlid, zh_name in OMS_DEMO_NAMES_ZH.items():
            product = self.env.ref(xmlid, False)
            if product:
                self._demo_translate(product.product_tmpl_id, "name", zh_name)
        self._demo_create_allocations(ctx)
        orders = self.env["sale.order"].search([])
        self.env["oms.order.fact.queue"]._enqueue(orders)
        # stored as the cron would have: the dashboard reads them at once
        self.env["oms.order.fact"]._refresh()

    @api.model
    def _demo_context(self):
        """What the story needs: channels, their salespeople, customers,
        products, carriers, reasons."""
        company = self.env.company
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        channels = self.env["oms.channel"].search(
            [
                ("company_id", "in", (company.id, False)),
                ("code", "in", list(OMS_DEMO_CHANNELS)),
            ],
            order="id",
        )
        reps = {
            key: self.env.ref(f"oms_core.oms_demo_user_sales_{key}", False)
            or self.env.ref("base.user_admin")
            for key in ("chen", "emily", "wang", "liu")
        }
        return {
            "warehouse": warehouse,
            "channels": list(channels),
            "reps": reps,
            "reviewer": self.env.ref("oms_core.oms_demo_user_reviewer", False)
            or self.env.ref("base.user_admin"),
            "warehouse_user": self.env.ref("oms_core.oms_demo_user_warehouse", False)
            or self.env.ref("base.user_admin"),
            "customers": self._demo_create_customers(),
            "products": self._demo_create_products(warehouse),
            "carriers": self._demo_create_carriers(),
            "cancel_reasons": self._demo_weighted_refs(OMS_DEMO_CANCEL_REASONS),
            "return_reasons": self._demo_weighted_refs(OMS_DEMO_RETURN_REASONS),
            "tallies": {},
        }

    @api.model
    def _demo_weighted_refs(self, refs):
        records = [(self.env.ref(xmlid, False), weight) for xmlid, weight in refs]
        return [(record, weight) for record, weight in records if record]

    @api.model
    def _demo_create_customers(self):
        china = self.env.ref("base.cn")
        customers = {}
        for group, rows in OMS_DEMO_CUSTOMERS.items():
            vals_list = []
            for index, (name, city, street, zip_code, tier) in enumerate(rows):
                country = self.env.ref(OMS_DEMO_COUNTRIES.get(city, "base.cn"), False)
                slug = f"{group}{index}"
                vals_list.append(
                    {
                        "name": name,
                        "is_company": group == "b2b",
                        "street": street,
                        "city": city,
                        "zip": zip_code,
                        "country_id": (country or china).id,
                        "email": f"{slug}@example.com",
                        "phone": f"+86 138 0000 {index:04d}",
                        "oms_tier": tier,
                    }
                )
            customers[group] = self.env["res.partner"].create(vals_list)
        return customers

    @api.model
    def _demo_create_products(self, warehouse):
        products = self.env["product.product"].create(
            [
                {
                    "name": name,
                    "default_code": code,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": price,
                }
                for name, _zh, code, price in OMS_DEMO_PRODUCTS
            ]
        )
        for product, (_name, zh_name, _code, _price) in zip(
            products, OMS_DEMO_PRODUCTS, strict=True
        ):
            self._demo_translate(product.product_tmpl_id, "name", zh_name)
            self.env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 5000
            )
        return products

    @api.model
    def _demo_create_carriers(self):
        carriers = (
            self.env.ref("oms_core.demo_carrier_express", False)
            or self.env["delivery.carrier"].browse()
        )
        product = self.env["product.product"].create(
            {"name": "Standard Shipping", "type": "service", "list_price": 8.0}
        )
        carriers |= self.env["delivery.carrier"].create(
            [
                {
                    "name": name,
                    "delivery_type": "fixed",
                    "fixed_price": 8.0,
                    "product_id": product.id,
                    "tracking_url": url,
                }
                for name, url in (
                    (
                        "ZTO Express",
                        "https://www.zto.com/express/expressCheck.html?txtBill="
                        "<shipmenttrackingnumber>",
                    ),
                    (
                        "JD Logistics",
                        "https://www.jdl.com/orderSearch/?waybillCodes="
                        "<shipmenttrackingnumber>",
                    ),
                )
            ]
        )
        for carrier, zh_name in zip(
            carriers[-2:], ("中通快递", "京东物流"), strict=True
        ):
            self._demo_translate(carrier, "name", zh_name)
        return carriers

    @api.model
    def _demo_translate(self, records, fname, zh_value):
        """Give ``records`` the Chinese ``zh_value`` of the translated field
        ``fname``, kept for when 简体中文 is installed (Odoo's translation API
        drops the languages that are not installed yet)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = %s || jsonb_build_object('zh_CN', %s::text)"
                " WHERE id IN %s",
                SQL.identifier(records._table),
                SQL.identifier(fname),
                SQL.identifier(fname),
                zh_value,
                tuple(records.ids),
            )
        )
        records.invalidate_recordset([fname])

    # ------------------------------------------------------------------ story
    @api.model
    def _demo_story(self, ctx, rng, channel, number, created, now):
        """One order of ``channel`` received at ``created``, and what happened
        to it until ``now``."""
        _share, rep_key, group, promise_days, qty_range, ref_format, start = (
            OMS_DEMO_CHANNELS[channel.code]
        )
        rep = ctx["reps"][rep_key]
        age_h = (now - created).total_seconds() / 3600
        # 0 on the first day of the story, 1 today: the team gets better
        learned = max(0.0, 1 - age_h / (90 * 24))
        if channel.code == "PDD":
            ref = ref_format.format(int(created.strftime("%y%m%d")), 10**14 + number)
        else:
            ref = ref_format.format(start + number)
        lines = rng.sample(ctx["products"].ids, rng.choice((1, 1, 2, 2, 3)))
        with self._demo_at(created):
            order = (
                self.env["sale.order"]
                .with_user(rep)
                .sudo()
                .create(
                    {
                        "partner_id": rng.choice(ctx["customers"][group].ids),
                        "user_id": rep.id,
                        "team_id": channel.team_id.id,
                        "oms_channel_id": channel.id,
                        "client_order_ref": ref,
                        "warehouse_id": ctx["warehouse"].id,
                        # the delivery date: shipped within the shop's
                        # promise, then two days on the road
                        "commitment_date": created + timedelta(days=promise_days + 2),
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": product_id,
                                    "product_uom_qty": rng.randint(*qty_range),
                                }
                            )
                            for product_id in lines
                        ],
                    }
                )
            )
        self._demo_set(order, create_date=created, date_order=created)
        if self._demo_chance(ctx, rng, "cancel", 0.09 - 0.05 * learned):
            self._demo_cancel(ctx, rng, order, created + timedelta(hours=3))
            return
        # the review rules were tuned in the first weeks: fewer holds since
        held = self._demo_chance(ctx, rng, "held", 0.62 - 0.56 * learned)
        if held and age_h < 60:
            # still in the hold queue: the reviewers work on it now
            self._demo_hold(ctx, rng, order, created + timedelta(minutes=5))
            return
        reviewed = created + timedelta(minutes=rng.choice((2, 3, 5)))
        if held:
            reviewed = self._demo_release(ctx, rng, order, created)
        with self._demo_at(reviewed):
            order.with_user(rep).sudo()._oms_confirm_reviewed()
        self._demo_set(
            order,
            date_order=reviewed,
            oms_reviewed_date=reviewed,
            oms_auto_approved=not held,
            oms_touch_count=int(held),
        )
        self._demo_fulfil(ctx, rng, order, reviewed, promise_days, learned, now)

    @api.model
    def _demo_chance(self, ctx, rng, event, rate):
        """Whether this order meets ``event`` (cancelled, held, shipped
        late), at ``rate`` on its day: a running tally with some noise, so
        that every month of the story meets the event about as often as its
        rate says (a dice roll per order swings more, over the fifty orders of
        a month, than the team's progress)."""
        tally = ctx["tallies"].get(event, rng.random()) + rate * rng.uniform(0.6, 1.4)
        ctx["tallies"][event] = tally % 1
        return tally >= 1

    @api.model
    def _demo_cancel(self, ctx, rng, order, when):
        reasons, weights = zip(*ctx["cancel_reasons"], strict=True)
        reason = rng.choices(reasons, weights)[0]
        with self._demo_at(when):
            order.with_user(order.user_id).sudo()._oms_cancel(reason)

    @api.model
    def _demo_pick_exception(self, rng):
        return rng.choices(
            OMS_DEMO_EXCEPTIONS, [row[-1] for row in OMS_DEMO_EXCEPTIONS]
        )[0]

    @api.model
    def _demo_hold(self, ctx, rng, order, when):
        code, severity, message, _note, _weight = self._demo_pick_exception(rng)
        with self._demo_at(when):
            order._oms_add_exception(code, message, "block")

    @api.model
    def _demo_release(self, ctx, rng, order, created):
        """The review held the order back then and a reviewer released it:
        returns when."""
        code, severity, message, note, _weight = self._demo_pick_exception(rng)
        with self._demo_at(created + timedelta(minutes=3)):
            exception = order._oms_add_exception(code, message, severity)
        released = created + timedelta(hours=rng.choice((1, 2, 4, 6, 20)))
        reviewer = ctx["reviewer"]
        with self._demo_at(released):
            # the reviewer's decision back then, recorded as the Override
            # action records it (the re-review is the confirmation below)
            exception.with_user(reviewer).sudo()._close(
                "override", note, state="overridden"
            )
        self._demo_set(exception, resolved_date=released)
        return released

    @api.model
    def _demo_fulfil(self, ctx, rng, order, reviewed, promise_days, learned, now):
        """Ship, deliver, invoice, return and rate ``order`` as it happened."""
        late = self._demo_chance(ctx, rng, "late", 0.30 - 0.26 * learned)
        hours = (
            promise_days
            * 24
            * (rng.uniform(1.1, 2.2) if late else rng.uniform(0.2, 0.8))
        )
        shipped = reviewed + timedelta(hours=hours)
        if shipped > now - timedelta(hours=2):
            return  # still in the warehouse
        backorder = rng.random() < 0.09
        carrier = rng.choice(ctx["carriers"].ids) if ctx["carriers"] else False
        picking = self._demo_ship(ctx, order, shipped, backorder, carrier, rng)
        rest = shipped + timedelta(days=rng.randint(2, 5))
        if backorder and rest < now:
            self._demo_ship(ctx, order, rest, False, carrier, rng)
        elif backorder:
            return  # the back-order waits for stock
        delivered = (rest if backorder else shipped) + timedelta(
            hours=rng.randint(18, 60)
        )
        if delivered > now:
            return
        self._demo_set(order, oms_delivered_date=delivered)
        self._demo_set(order.picking_ids, oms_delivered_date=delivered)
        # better packing and picking: fewer returns
        if self._demo_chance(ctx, rng, "return", 0.10 - 0.06 * learned):
            self._demo_return(ctx, rng, order, picking, delivered + timedelta(days=2))
        elif rng.random() < 0.8 and order.partner_id.is_company:
            self._demo_invoice(order, shipped, now, rng)
        if rng.random() < 0.6:
            self._demo_rate(rng, order, delivered + timedelta(days=1), late, learned)

    @api.model
    def _demo_ship(self, ctx, order, when, partial, carrier, rng):
        picking = order._oms_get_customer_deliveries().filtered(
            lambda p: p.state not in ("done", "cancel")
        )[:1]
        if not picking:
            return picking
        with self._demo_at(when):
            picking = picking.with_user(ctx["warehouse_user"]).sudo()
            picking.write(
                {
                    "carrier_id": carrier,
                    "carrier_tracking_ref": f"75{rng.randint(10**10, 10**11 - 1)}",
                }
            )
            for position, move in enumerate(picking.move_ids):
                move.quantity = move.product_uom_qty - (
                    1 if partial and position == 0 else 0
                )
                move.picked = True
            picking._action_done()
        self._demo_set(picking, date_done=when)
        self._demo_set(
            picking.move_ids.filtered(lambda m: m.state == "done"), date=when
        )
        return picking

    @api.model
    def _demo_invoice(self, order, shipped, now, rng):
        with self._demo_at(shipped):
            invoice = order._create_invoices()
            invoice.invoice_date = shipped.date()
            invoice.action_post()
        paid = shipped + timedelta(days=rng.randint(3, 20))
        if paid < now:
            with self._demo_at(paid):
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                ).create({"payment_date": paid.date()})._create_payments()

    @api.model
    def _demo_return(self, ctx, rng, order, picking, when):
        """The customer sends one unit back, for a reason (some of them a
        wrong item or quantity: the order accuracy)."""
        reasons, weights = zip(*ctx["return_reasons"], strict=True)
        reason = rng.choices(reasons, weights)[0]
        line = order.order_line.filtered(lambda sol: sol.qty_delivered)[:1]
        move = picking.move_ids.filtered(lambda m: m.sale_line_id == line)[:1]
        if not (line and move):
            return
        with self._demo_at(when):
            ret = self.env["oms.return"].create(
                {
                    "order_id": order.id,
                    "disposition": "restock",
                    "resolution": "refund",
                    "line_ids": [
                        Command.create(
                            {
                                "product_id": line.product_id.id,
                                "quantity": 1,
                                "reason_id": reason.id,
                                "sale_line_id": line.id,
                                "move_id": move.id,
                            }
                        )
                    ],
                }
            )
            ret.action_confirm()
            ret.action_receive()
        self._demo_set(ret.picking_id.move_ids, date=when)
        self._demo_set(ret.picking_id, date_done=when)

    @api.model
    def _demo_rate(self, rng, order, when, late, learned):
        """The customer answers the satisfaction survey: stars, a comment and
        the 0-10 recommendation."""
        stars = rng.choices((5, 4, 3, 2, 1), (5 + 4 * learned, 4, 2, 1, 0.5))[0]
        if late:
            stars = max(1, stars - 2)
        with self._demo_at(when):
            token = order._rating_get_access_token()
            order.sudo().oms_rating_requested = True
            rating = order.rating_apply(
                stars, token=token, feedback=OMS_DEMO_FEEDBACK[stars]
            )
            order._oms_apply_nps(
                rating, min(10, max(0, stars * 2 + rng.randint(-1, 0)))
            )
        self._demo_set(rating, write_date=when, create_date=when)

    @api.model
    def _demo_assign_salespeople(self, ctx):
        """Orders of the other demo files left without a person (created by
        the installer, that is OdooBot) get the salesperson of their channel,
        and so do the messages OdooBot wrote on them."""
        orders = self.env["sale.order"].search(
            [("user_id", "in", (False, SUPERUSER_ID))]
        )
        for order in orders:
            code = order.oms_channel_id.code
            rep = ctx["reps"][
                OMS_DEMO_CHANNELS.get(code, OMS_DEMO_CHANNELS["PHONE"])[1]
            ]
            order.user_id = rep
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE mail_message message SET author_id = salesperson.partner_id
                     FROM sale_order so
                     JOIN res_users salesperson ON salesperson.id = so.user_id
                    WHERE message.model = 'sale.order' AND message.res_id = so.id
                      AND message.author_id = %s""",
                self.env.ref("base.partner_root").id,
            )
        )

    @api.model
    def _demo_create_allocations(self, ctx):
        """The marketplaces share the teas: Tmall first, JD capped, Douyin
        keeping some for the others (the allocation table)."""
        if "oms.channel.allocation" not in self.env:
            return
        channels = {channel.code: channel for channel in ctx["channels"]}
        rows = (
            ("TMALL", 40.0, 0.0, 0.0, 10),
            ("JD", 30.0, 300.0, 0.0, 20),
            ("DOUYIN", 20.0, 0.0, 100.0, 30),
        )
        self.env["oms.channel.allocation"].create(
            [
                {
                    "channel_id": channels[code].id,
                    "product_id": product.id,
                    "share_percent": share,
                    "max_qty": max_qty,
                    "floor_qty": floor_qty,
                    "sequence": sequence,
                }
                for product in ctx["products"][:2]
                for code, share, max_qty, floor_qty, sequence in rows
                if code in channels
            ]
        )

    @api.model
    def _demo_date_before_oms(self, rng, now, days):
        """Odoo's own demo orders (sale, sale_stock) were confirmed by hand,
        before the OMS: they are dated in the story's first weeks, in their
        order, received when they were dated, so that today's figures are
        those of the team with the OMS."""
        data = self.env["ir.model.data"].search(
            [("model", "=", "sale.order"), ("module", "not like", "oms_%")]
        )
        orders = self.env["sale.order"].browse(data.mapped("res_id")).exists()
        orders = orders.filtered(lambda o: not o.oms_channel_id).sorted("id")
        for position, order in enumerate(orders):
            dated = now - timedelta(
                days=days - 1 - 25 * position / max(len(orders), 1),
                hours=rng.randint(1, 9),
            )
            self._demo_set(order, create_date=dated, date_order=dated)
            self.env.cr.execute(
                SQL(
                    "UPDATE mail_message SET date = %s"
                    " WHERE model = 'sale.order' AND res_id = %s",
                    dated,
                    order.id,
                )
            )

    # ------------------------------------------------------------------ history
    @contextmanager
    def _demo_at(self, when):
        """Date the messages written inside the block at ``when``."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        last = self.env.cr.fetchone()[0]
        yield
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE mail_message SET date = %s WHERE id > %s",
                when,
                last,
            )
        )

    @api.model
    def _demo_set(self, records, **values):
        if not records:
            return
        self.env.flush_all()
        for column, value in values.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE id IN %s",
                    SQL.identifier(records._table),
                    SQL.identifier(column),
                    value or None,
                    tuple(records.ids),
                )
            )
        records.invalidate_recordset()
