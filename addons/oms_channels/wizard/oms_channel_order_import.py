import base64
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..adapters import ChannelError
from ..adapters.file_import import parse_file
from ..models.oms_channel_order_queue import BATCH_SIZE


class OmsChannelOrderImport(models.TransientModel):
    """Upload a CSV/XLSX file of orders into a channel's staging table."""

    _name = "oms.channel.order.import"
    _description = "Import Channel Orders from a File"

    channel_id = fields.Many2one(
        "oms.channel", required=True, domain="[('connector', 'in', ('file', 'manual'))]"
    )
    file = fields.Binary(required=True)
    filename = fields.Char()
    file_format = fields.Char(readonly=True)
    state = fields.Selection(
        [("upload", "Upload"), ("preview", "Preview"), ("done", "Done")],
        default="upload",
    )
    order_count = fields.Integer("Orders in the File", readonly=True)
    new_count = fields.Integer("New Orders", readonly=True)
    known_count = fields.Integer("Already Imported", readonly=True)
    error_count = fields.Integer("Rows with Errors", readonly=True)
    preview = fields.Text(readonly=True)
    row_errors = fields.Text(readonly=True)
    staged_ids = fields.Many2many("oms.channel.order", readonly=True)

    def _parse(self):
        self.ensure_one()
        try:
            return parse_file(self.filename or "", base64.b64decode(self.file or b""))
        except ChannelError as exc:
            raise UserError(
                self.env._("The file cannot be read: %(error)s", error=str(exc))
            ) from exc

    def _known_refs(self, refs):
        staged = self.env["oms.channel.order"].search(
            [("channel_id", "=", self.channel_id.id), ("external_ref", "in", refs)]
        )
        return set(staged.mapped("external_ref"))

    def action_preview(self):
        """Parse the file and show what an import would do (nothing is stored)."""
        fmt, orders, errors = self._parse()
        known = self._known_refs([ref for _row, ref, _payload in orders])
        lines = [
            self.env._(
                "Row %(row)s: order %(ref)s, %(count)s line(s)%(known)s",
                row=row,
                ref=ref,
                count=len(payload["rows"]),
                known=self.env._(" (already imported, skipped)")
                if ref in known
                else "",
            )
            for row, ref, payload in orders
        ]
        self.write(
            {
                "state": "preview",
                "file_format": fmt,
                "order_count": len(orders),
                "new_count": len([o for o in orders if o[1] not in known]),
                "known_count": len(known),
                "error_count": len(errors),
                "preview": "\n".join(lines),
                "row_errors": "\n".join(
                    self.env._("Row %(row)s: %(error)s", row=row, error=error)
                    for row, error in errors
                ),
            }
        )
        return self._reopen()

    def action_import(self):
        """Stage every order of the file; orders already staged are skipped."""
        _fmt, orders, _errors = self._parse()
        Staged = self.env["oms.channel.order"]
        staged = Staged.browse()
        known = self._known_refs([ref for _row, ref, _payload in orders])
        for _row, ref, payload in orders:
            if ref in known:
                continue
            staged |= Staged._stage(
                self.channel_id, json.dumps(payload), order=payload, source="file"
            )
        self.write({"state": "done", "staged_ids": [fields.Command.set(staged.ids)]})
        if len(staged) <= BATCH_SIZE:
            staged.action_process()
        else:
            # large files: the cron imports them batch by batch (progress on the cron)
            Staged._trigger_processing()
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def action_download_template(self):
        return {
            "type": "ir.actions.act_url",
            "url": "/oms_channels/static/description/oms_order_template.csv",
            "target": "download",
        }
