from odoo import fields, models


class OmsExceptionApproval(models.Model):
    """One approval of an order exception: who approved which level, when, why,
    and for whom when acting as a delegate.

    Written only by ``oms.exception.action_override`` once it checked the user
    (approver group, four eyes, another person at each level), in superuser
    mode: nobody creates, changes or deletes an approval (access rights); it
    goes only with its exception.
    """

    _name = "oms.exception.approval"
    _description = "Order Exception Approval"
    _order = "exception_id, level, id"
    _rec_name = "exception_id"

    exception_id = fields.Many2one(
        "oms.exception", required=True, ondelete="cascade", index=True
    )
    order_id = fields.Many2one(related="exception_id.order_id", store=True)
    company_id = fields.Many2one(related="exception_id.company_id", store=True)
    level = fields.Integer(required=True)
    tier_id = fields.Many2one(
        "oms.review.rule.tier", string="Approval Level", ondelete="set null"
    )
    user_id = fields.Many2one("res.users", string="Approved By", required=True)
    on_behalf_id = fields.Many2one(
        "res.users",
        string="On Behalf Of",
        help="The absent approver the delegate acted for.",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    note = fields.Text()
    is_superseded = fields.Boolean(
        string="Superseded",
        help="The failing facts changed after this approval: the levels started again.",
    )
