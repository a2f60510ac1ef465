from odoo import fields, models


class OmsReviewRuleWhatIf(models.TransientModel):
    """What a review rule would have done to the recent orders
    (``oms.review.rule.action_what_if``), shown before it is activated."""

    _name = "oms.review.rule.what.if"
    _description = "Review Rule What If"

    rule_id = fields.Many2one("oms.review.rule", required=True, ondelete="cascade")
    rule_active = fields.Boolean(related="rule_id.active", string="Rule Active")
    days = fields.Integer(string="Last Days", default=30, required=True)
    is_done = fields.Boolean(readonly=True)
    order_count = fields.Integer(string="Orders Replayed", readonly=True)
    would_hold = fields.Integer(readonly=True)
    would_warn = fields.Integer(readonly=True)
    touchless_rate_before = fields.Float(string="Touchless Before", readonly=True)
    touchless_rate_after = fields.Float(string="Touchless After", readonly=True)
    held_order_ids = fields.Many2many(
        "sale.order",
        "oms_review_rule_what_if_held_rel",
        "what_if_id",
        "order_id",
        string="Held Orders",
        readonly=True,
    )
    newly_held_order_ids = fields.Many2many(
        "sale.order",
        "oms_review_rule_what_if_new_rel",
        "what_if_id",
        "order_id",
        string="Held by this Rule Only",
        readonly=True,
    )
    released_order_ids = fields.Many2many(
        "sale.order",
        "oms_review_rule_what_if_released_rel",
        "what_if_id",
        "order_id",
        string="Released Orders",
        readonly=True,
    )

    def action_run(self):
        """Replay the rule and show the figures."""
        self.ensure_one()
        result = self.rule_id.action_what_if(days=self.days)
        self.write(
            {
                "is_done": True,
                "order_count": result["orders"],
                "would_hold": result["would_hold"],
                "would_warn": result["would_warn"],
                "touchless_rate_before": result["touchless_rate_before"],
                "touchless_rate_after": result["touchless_rate_after"],
                "held_order_ids": [fields.Command.set(result["held_order_ids"])],
                "newly_held_order_ids": [
                    fields.Command.set(result["newly_held_order_ids"])
                ],
                "released_order_ids": [
                    fields.Command.set(result["released_order_ids"])
                ],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("What If"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_activate_rule(self):
        """Activate the rule once its figures are known."""
        self.ensure_one()
        self.rule_id.active = True
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open_held(self):
        """The orders the rule would hold, as a list."""
        return self._open_orders(self.held_order_ids, self.env._("Would Hold"))

    def action_open_released(self):
        """The orders the rule would no longer hold, as a list."""
        return self._open_orders(self.released_order_ids, self.env._("Released"))

    def _open_orders(self, orders, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "sale.order",
            "view_mode": "list,form",
            "domain": [("id", "in", orders.ids)],
        }
