from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import float_compare
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

_lt = LazyTranslate(__name__)

OMS_ALERT_KPIS = [
    ("on_time_rate", "On-time Delivery Rate"),
    ("touchless_rate", "Touchless Rate"),
    ("perfect_order_rate", "Perfect Order Rate"),
    ("fill_rate", "Fill Rate"),
    ("cancellation_rate", "Cancellation Rate"),
    ("exception_rate", "Exception Rate"),
    ("backorder_rate", "Back-order Rate"),
    ("return_rate", "Return Rate"),
    ("cycle_time_avg_h", "Average Cycle Time (h)"),
    ("hold_age_h", "Oldest Order on Hold (h)"),
    ("low_stock_count", "Products Short for Open Orders"),
]
OMS_ALERT_OPERATORS = [("below", "Below"), ("above", "Above")]


class OmsKpiAlert(models.Model):
    """A threshold on a KPI, checked by a scheduled action.

    When the KPI crosses the threshold the members of the group get an
    activity and an e-mail, once; the alert re-arms when the KPI is back.
    """

    _name = "oms.kpi.alert"
    _description = "KPI Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kpi = fields.Selection(OMS_ALERT_KPIS, string="KPI", required=True)
    operator = fields.Selection(
        OMS_ALERT_OPERATORS, required=True, default="below", string="Alert When"
    )
    threshold = fields.Float(
        required=True,
        digits=(16, 4),
        help="Rates as fractions (0.95 = 95 %), durations in hours, counts as numbers.",
    )
    period_days = fields.Integer(
        "Rolling Period (days)",
        default=7,
        help="Rates are computed over the orders received in the last N days.",
    )
    channel_ids = fields.Many2many(
        "oms.channel",
        string="Channels",
        check_company=True,
        help="Empty: all channels.",
    )
    group_id = fields.Many2one(
        "res.groups",
        string="Notify Group",
        required=True,
        default=lambda self: self.env.ref(
            "oms_core.group_oms_manager", raise_if_not_found=False
        ),
    )
    is_breached = fields.Boolean("In Breach", readonly=True, copy=False, tracking=True)
    last_value = fields.Float(readonly=True, copy=False, digits=(16, 4))
    last_check_date = fields.Datetime("Last Checked", readonly=True, copy=False)
    breach_date = fields.Datetime("In Breach Since", readonly=True, copy=False)

    _sql_constraints = [
        (
            "period_positive",
            "CHECK(period_days > 0)",
            "The period must be at least one day.",
        ),
    ]

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------
    def _get_value(self):
        """Hook: the current value of the alert's KPI.

        :rtype: float
        """
        self.ensure_one()
        method = getattr(self, f"_get_value_{self.kpi}", None)
        if method:
            return method()
        today = fields.Date.context_today(self)
        kpis = self.env["oms.kpi"]._compute_kpis(
            today - timedelta(days=self.period_days - 1),
            today,
            self.channel_ids.ids or None,
            self.company_id.ids,
        )
        return kpis[self.kpi]

    def _get_value_hold_age_h(self):
        """Hours since the oldest order still waiting for review was received."""
        Report = self.env["oms.order.report"]
        domain = [
            ("stage", "in", ("to_review", "on_hold")),
            ("company_id", "=", self.company_id.id),
        ]
        if self.channel_ids:
            domain.append(("channel_id", "in", self.channel_ids.ids))
        oldest = Report.search(domain, order="date_ordered asc", limit=1)
        if not oldest:
            return 0.0
        return (fields.Datetime.now() - oldest.date_ordered).total_seconds() / 3600.0

    def _get_value_low_stock_count(self):
        """Number of products whose open orders exceed the stock on hand."""
        return float(
            len(self.env["oms.replenishment.suggest"]._get_low_stock(self.company_id))
        )

    def _is_breach(self, value):
        self.ensure_one()
        comparison = float_compare(value, self.threshold, precision_digits=4)
        return comparison < 0 if self.operator == "below" else comparison > 0

    # ------------------------------------------------------------------
    # Check
    # ------------------------------------------------------------------
    def action_check(self):
        """Check these alerts now; notify each new breach once.

        :return: the alerts that newly went into breach
        """
        breached = self.browse()
        now = fields.Datetime.now()
        for alert in self:
            value = alert._get_value()
            is_breach = alert._is_breach(value)
            values = {"last_value": value, "last_check_date": now}
            if is_breach and not alert.is_breached:
                values.update(is_breached=True, breach_date=now)
                breached |= alert
            elif not is_breach and alert.is_breached:
                values.update(is_breached=False, breach_date=False)
                alert._post_for_readers(
                    reader_text.store(
                        _lt("Back to normal: %(kpi)s is %(value)s."),
                        kpi=reader_text.selection(alert._name, "kpi", alert.kpi),
                        value=alert._format_value(value),
                    )
                )
            alert.write(values)
        breached._notify_breach()
        return breached

    def _get_kpi_label(self):
        return dict(self._fields["kpi"]._description_selection(self.env))[self.kpi]

    def _format_value(self, value):
        if self.kpi.endswith("_rate"):
            return f"{value * 100:.1f} %"
        return f"{value:.2f}"

    def _notify_breach(self):
        """An activity for each member of the group, in the member's language
        (whoever runs the check: the cron's user, a manager), and one e-mail
        to all; the alert's chatter line reads in each reader's language."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        for alert in self:
            users = alert.group_id.users.filtered(
                lambda u, company=alert.company_id: (
                    u.active and not u.share and company in u.company_ids
                )
            ) - self.env.ref("base.user_root")
            name = reader_text.field(alert, "name")
            message = reader_text.store(
                _lt(
                    "%(alert)s: %(kpi)s is %(value)s,"
                    " threshold %(operator)s %(threshold)s."
                ),
                alert=name,
                kpi=reader_text.selection(alert._name, "kpi", alert.kpi),
                value=alert._format_value(alert.last_value),
                operator=reader_text.selection(alert._name, "operator", alert.operator),
                threshold=alert._format_value(alert.threshold),
            )
            summary = reader_text.store(_lt("KPI alert: %(alert)s"), alert=name)
            for user in users:
                lang = user.lang or self.env.lang
                alert.activity_schedule(
                    activity_type_id=todo.id,
                    summary=reader_text.render(summary, lang, self.env),
                    note=reader_text.render(message, lang, self.env),
                    user_id=user.id,
                )
            alert._post_for_readers(
                message,
                subject=reader_text.render(summary, self.env.lang, self.env),
                partner_ids=users.partner_id.ids,
                message_type="notification",
                subtype_xmlid="mail.mt_comment",
            )

    def _post_for_readers(self, stored, **values):
        """Post ``stored`` (a stored text) on the alert's chatter: it reads in
        each reader's language (``mail.message.oms_body_source``), its body
        (e-mails, search) in the poster's.

        :param values: more ``message_post`` arguments
        :rtype: mail.message
        """
        self.ensure_one()
        message = self.message_post(
            body=reader_text.render(stored, self.env.lang, self.env), **values
        )
        # sudo: the OMS writes the line's stored text once, right after posting
        message.sudo().oms_body_source = stored
        return message

    @api.model
    def _cron_check_alerts(self):
        """Scheduled action: check every active alert, company by company."""
        for company in self.env["res.company"].search([]):
            alerts = self.with_company(company).search(
                [("company_id", "=", company.id)]
            )
            alerts.with_context(allowed_company_ids=company.ids).action_check()
