"""A text stored once reads in each reader's language, its figures unchanged."""

import json

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import LazyTranslate

from odoo.addons.oms_core.tools import reader_text

_lt = LazyTranslate("oms_core")


@tagged("post_install", "-at_install", "oms")
class TestReaderText(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "oms_core")]
        )._update_translations("zh_CN")

    def test_stored_text_reads_in_each_language(self):
        """Stored by an English user, the text reads in English and in Chinese
        with the same figures."""
        stored = reader_text.store(
            _lt("%(order)s: still on hold (%(reasons)s)"),
            order="S00042",
            reasons="1,200.00 $",
        )
        self.assertIsInstance(json.loads(stored), dict)
        self.assertTrue(reader_text.is_stored(stored))
        self.assertEqual(
            reader_text.render(stored, "en_US"), "S00042: still on hold (1,200.00 $)"
        )
        self.assertEqual(
            reader_text.render(stored, "zh_CN"), "S00042：仍被暂挂（1,200.00 $）"
        )

    def test_plain_msgid_uses_the_calling_module(self):
        """A plain msgid is looked up in the translations of the module that
        stored it."""
        stored = reader_text.store("%(order)s: confirmed", order="S00042")
        self.assertEqual(json.loads(stored)["module"], "oms_core")
        self.assertEqual(reader_text.render(stored, "zh_CN"), "S00042：已确认")

    def test_stored_and_selection_arguments_render_too(self):
        """A stored text, a lazy text and a selection value given as
        arguments read in the reader's language as well."""
        stored = reader_text.store(
            _lt("%(order)s: still on hold (%(reasons)s)"),
            order=reader_text.selection("oms.exception", "severity", "block"),
            reasons=reader_text.store(_lt("%(order)s: confirmed"), order="S1"),
        )
        self.assertEqual(
            reader_text.render(stored, "zh_CN", self.env),
            "拦截：仍被暂挂（S1：已确认）",
        )
        self.assertEqual(
            reader_text.render(stored, "en_US", self.env),
            "Block: still on hold (S1: confirmed)",
        )
        lazy = reader_text.store(_lt("%(order)s: confirmed"), order=_lt("Overridden"))
        self.assertEqual(reader_text.render(lazy, "zh_CN"), "已强制放行：已确认")

    def test_record_argument_reads_its_current_name(self):
        """A record argument reads as its display name, and as the name it had
        once it is deleted."""
        partner = self.env["res.partner"].create({"name": "Acme"})
        stored = reader_text.store(
            "%(order)s: confirmed", order=reader_text.record(partner)
        )
        partner.name = "Acme Ltd"
        self.assertEqual(
            reader_text.render(stored, "en_US", self.env), "Acme Ltd: confirmed"
        )
        partner.unlink()
        self.assertEqual(
            reader_text.render(stored, "en_US", self.env), "Acme: confirmed"
        )

    def test_anything_else_reads_as_it_is(self):
        """Plain text, an untranslated source or a translation that does not
        format falls back gracefully, never raises."""
        self.assertEqual(
            reader_text.render("Plain old message", "zh_CN"), "Plain old message"
        )
        self.assertEqual(reader_text.render(False, "zh_CN"), "")
        self.assertFalse(reader_text.is_stored('{"not": "ours"}'))
        untranslated = reader_text.store("No such msgid %(n)s", n=3)
        self.assertEqual(reader_text.render(untranslated, "zh_CN"), "No such msgid 3")
        missing_arg = reader_text.store("%(order)s: confirmed")
        self.assertEqual(reader_text.render(missing_arg, "zh_CN"), "%(order)s：已确认")
        wrong_arg = reader_text.store("%(order)s: confirmed", other=1)
        self.assertEqual(reader_text.render(wrong_arg, "zh_CN"), "%(order)s: confirmed")

    def test_joined_arguments_render_each_item(self):
        """A list of texts given as one argument reads item by item, joined."""
        stored = reader_text.store(
            _lt("%(order)s: still on hold (%(reasons)s)"),
            order="S1",
            reasons=reader_text.join(
                ", ",
                [
                    _lt("Overridden"),
                    reader_text.store("%(order)s: confirmed", order="S2"),
                ],
            ),
        )
        self.assertEqual(
            reader_text.render(stored, "zh_CN"),
            "S1：仍被暂挂（已强制放行, S2：已确认）",
        )
