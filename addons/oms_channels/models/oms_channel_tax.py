from odoo import fields, models
from odoo.tools import float_is_zero


class OmsChannelTax(models.Model):
    """A platform's tax (its title and rate) mapped to a tax of the company,
    for the channel's orders: used before the company's taxes are searched by
    rate (``OrderMapper.get_taxes``)."""

    _name = "oms.channel.tax"
    _description = "Channel Tax Mapping"
    _order = "channel_id, name, rate"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "oms.channel", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    name = fields.Char(
        "Platform Tax Title",
        help="The platform's name of the tax (Shopify tax title, WooCommerce "
        "label, REST-JSON tax_title); empty: any tax of this rate.",
    )
    rate = fields.Float("Platform Rate (%)", digits=(16, 4), required=True)
    tax_id = fields.Many2one(
        "account.tax",
        required=True,
        check_company=True,
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
    )

    _sql_constraints = [
        (
            "channel_title_rate_uniq",
            "unique(channel_id, name, rate)",
            "A platform tax is mapped once per channel.",
        ),
    ]

    def _match(self, rate, title, included):
        """The tax of these mappings for a platform's ``rate`` and ``title``:
        a mapping of that title first, then one without title.

        :rtype: account.tax
        """
        same_rate = self.filtered(
            lambda m: float_is_zero(m.rate - float(rate), precision_digits=2)
        )
        titled = same_rate.filtered(lambda m: m.name and m.name == title)
        return (titled or same_rate.filtered(lambda m: not m.name))[:1].tax_id
