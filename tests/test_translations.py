"""Every user-facing string of the OMS addons has a zh_CN translation Odoo loads."""

from collections import Counter
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDONS_DIR = Path(__file__).resolve().parents[1] / "addons"
OMS_ADDONS = ("oms_core", "oms_channels", "oms_reports")


def _translation_files():
    """(addon, file name, parsed file) of each addon's template and zh_CN.po."""
    for addon in OMS_ADDONS:
        for name in (f"{addon}.pot", "zh_CN.po"):
            yield addon, name, polib.pofile(str(ADDONS_DIR / addon / "i18n" / name))


@tagged("post_install", "-at_install", "oms")
class TestTranslations(TransactionCase):
    def test_po_files_translate_every_template_message(self):
        """zh_CN.po of each addon translates every message of its .pot template."""
        for addon in OMS_ADDONS:
            with self.subTest(addon=addon):
                i18n = ADDONS_DIR / addon / "i18n"
                template = polib.pofile(str(i18n / f"{addon}.pot"))
                po = polib.pofile(str(i18n / "zh_CN.po"))
                translated = {
                    e.msgid for e in po.translated_entries() if not e.obsolete
                }
                missing = sorted({e.msgid for e in template} - translated)
                self.assertFalse(
                    missing, f"{addon}: untranslated in zh_CN.po: {missing[:20]}"
                )

    def test_po_files_hold_each_term_once(self):
        """A term appears once per file, with all its references: gettext tools
        refuse a file that repeats one, and two copies may translate it twice."""
        for addon, name, po in _translation_files():
            with self.subTest(addon=addon, file=name):
                counts = Counter((e.msgctxt, e.msgid) for e in po if not e.obsolete)
                repeated = sorted(key[1] for key, n in counts.items() if n > 1)
                self.assertFalse(
                    repeated, f"{addon}/{name}: repeated terms {repeated[:20]}"
                )

    def test_code_terms_are_marked_for_odoo(self):
        """Odoo loads a code term's translation only when its entry is marked
        ``odoo-python`` (or ``odoo-javascript``): without it the term reads in
        English whatever the reader's language."""
        for addon, name, po in _translation_files():
            with self.subTest(addon=addon, file=name):
                unmarked = sorted(
                    entry.msgid
                    for entry in po
                    if any(o.startswith("code:") for o, _line in entry.occurrences)
                    and not {"odoo-python", "odoo-javascript"}
                    & set((entry.comment or "").splitlines())
                )
                self.assertFalse(
                    unmarked, f"{addon}/{name}: code terms unmarked {unmarked}"
                )

    def test_po_files_translate_every_installed_term(self):
        """Every term of each installed addon (what the i18n export gives:
        field labels, selection values, views, menus, actions, models, code
        strings) has a zh_CN translation, each record's term in its own entry
        (a label translated for one field reads in English on another)."""
        for addon in OMS_ADDONS:
            with self.subTest(addon=addon):
                po = polib.pofile(str(ADDONS_DIR / addon / "i18n" / "zh_CN.po"))
                code, records = set(), set()
                for entry in po.translated_entries():
                    code.add(entry.msgid)
                    records.update(
                        (occurrence, entry.msgid)
                        for occurrence, _line in entry.occurrences
                    )
                missing = set()
                reader = TranslationModuleReader(self.env.cr, modules=[addon])
                for _module, ttype, name, res_id, source, _value, _comments in reader:
                    if ttype == "code":
                        # the tests' own strings are read by nobody
                        if "/tests/" in name:
                            continue
                        if source not in code:
                            missing.add(f"{source!r} ({name})")
                    elif (f"{ttype}:{name}:{res_id}", source) not in records:
                        missing.add(f"{source!r} ({ttype}:{name}:{res_id})")
                self.assertFalse(
                    missing,
                    f"{addon}: {len(missing)} terms without zh_CN translation, "
                    f"e.g. {sorted(missing)[:20]}",
                )

    def test_zh_cn_terms_load_into_odoo(self):
        """With zh_CN installed, the Order Management menu reads 订单管理."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "in", OMS_ADDONS)]
        )._update_translations("zh_CN")
        root = self.env.ref("oms_core.oms_core_menu_root")
        self.assertEqual(root.with_context(lang="zh_CN").name, "订单管理")
        self.assertEqual(root.with_context(lang="en_US").name, "Order Management")
