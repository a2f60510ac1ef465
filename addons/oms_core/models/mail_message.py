from markupsafe import escape

from odoo import fields, models

from ..tools import reader_text


class MailMessage(models.Model):
    """A chatter line the OMS posts reads in its reader's language.

    The OMS posts its lines (``oms.exception._post_on_order``) with their
    stored text (``tools/reader_text.py``) next to the body. The body keeps
    the line in the poster's language (e-mails, search); the chatter shows
    the stored text rendered in the language of whoever reads it.
    """

    _inherit = "mail.message"

    oms_body_source = fields.Text(
        string="OMS Body Source",
        readonly=True,
        copy=False,
        help="The line as the OMS stored it: its English source and figures.",
    )

    def _read_format(self, fnames, load="_classic_read"):
        """Hook of ``read`` and of the chatter (``_to_store``): the body of an
        OMS line rendered in the reader's language."""
        result = super()._read_format(fnames, load=load)
        if "body" not in fnames:
            return result
        lang = self.env.lang or "en_US"
        sources = {
            message.id: message.oms_body_source
            for message in self
            if message.oms_body_source
        }
        for values in result:
            source = sources.get(values["id"])
            if source:
                values["body"] = escape(reader_text.render(source, lang, self.env))
        return result
