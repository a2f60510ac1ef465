"""Texts stored as their English source and arguments, rendered in the
reader's language (plain Python, no ORM state).

A text the OMS writes for people to read later (an exception's message, an
activity's title, a channel error) is read by whoever opens it, not by
whoever triggered it. So it is stored untranslated: its English source (the
msgid of the module's code translations, as ``_()`` / ``_lt()`` mark them),
the module whose ``i18n/<lang>.po`` translates it, and its arguments (the
figures, as computed when the text was made). Each reader gets it rendered
in his own language, the way Odoo renders ``env._()`` / ``_lt()``
(``odoo.tools.translate.get_translation``)::

    from odoo.tools.translate import LazyTranslate
    from odoo.addons.oms_core.tools import reader_text

    _lt = LazyTranslate(__name__)

    stored = reader_text.store(
        _lt("Credit limit exceeded by %(amount)s"), amount="1,200.00 $"
    )  # a JSON string, kept in a Char/Text/Json field
    reader_text.render(stored, "zh_CN")  # "超出信用额度 1,200.00 $"

Arguments are JSON values (others are stored as ``str()``), other stored
texts or lazy texts (rendered in the same language), :func:`selection`
values (rendered as their label), :func:`record` references (rendered as
the record's display name), :func:`field` references (rendered as a
translatable field of a record, e.g. a rule's message) and :func:`join`
lists. Rendering never fails: a text without a translation reads in
English, a value that is not a stored text (a message written before texts
were stored) reads as it is, a translation that does not format falls back
to the source.
"""

import json
import logging

from odoo.tools.translate import LazyGettext, code_translations, get_translated_module

_logger = logging.getLogger(__name__)

#: the key that tells a stored text from any other JSON or plain text
MARKER = "oms_text"


def store(source, /, **args):
    """A text to render later in its reader's language.

    :param source: the English source: an ``_lt()`` lazy text (which knows its
        module) or a ``str`` msgid of the calling module's code translations
        (mark it with ``_lt()`` elsewhere so that it is exported)
    :param args: the ``%(name)s`` arguments of the source
    :return: the stored text, a JSON string
    :rtype: str
    """
    if isinstance(source, LazyGettext):
        module = source._module
    else:
        module = get_translated_module(2)
    return json.dumps(_as_dict(source, module, args), ensure_ascii=False, default=str)


def selection(model, field, value):
    """An argument rendered as the label of ``value`` in the selection
    ``field`` of ``model``, in the reader's language (needs ``env`` when
    rendered; the raw value otherwise).

    :rtype: dict
    """
    return {"selection": [model, field, value]}


def record(records):
    """An argument rendered as the display name of ``records`` (one record)
    in the reader's language (needs ``env`` when rendered; the name it had
    when stored otherwise, also when the record is gone).

    :rtype: dict
    """
    return {"record": [records._name, records.id, records.display_name or ""]}


def field(records, fname):
    """An argument rendered as the value of the field ``fname`` of
    ``records`` (one record) in the reader's language: a translatable field
    (``translate=True``) reads as its translation (needs ``env`` when rendered;
    its English value when stored otherwise, also when the record is gone).

    :rtype: dict
    """
    english = records.with_context(lang="en_US")[fname]
    return {"field": [records._name, records.id, fname, english or ""]}


def join(separator, items):
    """An argument rendered as ``items`` (stored texts, lazy texts or plain
    values, each rendered in the reader's language) joined by ``separator``.

    :rtype: dict
    """
    return {"join": [separator, [_as_arg(item) for item in items]]}


def is_stored(value):
    """Whether ``value`` is a text made by :func:`store`.

    :rtype: bool
    """
    return _load(value) is not None


def render(stored, lang, env=None):
    """``stored`` rendered in ``lang``.

    :param stored: a text made by :func:`store`; any other value is returned
        as it is (``False``/``None`` as ``""``)
    :param str lang: the reader's language code, e.g. ``"zh_CN"``
    :param env: an Odoo environment, to render :func:`selection` and
        :func:`record` arguments; without it they read as stored
    :rtype: str
    """
    data = _load(stored)
    if data is None:
        return stored or ""
    return _render(data, lang or "en_US", env)


def _as_dict(source, module, args):
    if isinstance(source, LazyGettext):
        args = args or (source._args if isinstance(source._args, dict) else {})
        source = source._source
    return {
        MARKER: str(source),
        "module": module,
        "args": {name: _as_arg(value) for name, value in args.items()},
    }


def _as_arg(value):
    if isinstance(value, LazyGettext):
        return _as_dict(value, value._module, {})
    loaded = _load(value)
    if loaded is not None:
        return loaded
    if isinstance(value, (dict, str, int, float, bool)) or value is None:
        return value
    return str(value)


def _load(value):
    if isinstance(value, dict):
        return value if MARKER in value else None
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) and MARKER in data else None


def _render(data, lang, env):
    source = data[MARKER]
    args = {
        name: _render_arg(value, lang, env)
        for name, value in (data.get("args") or {}).items()
    }
    translation = source
    if lang != "en_US":
        # a module without a .po file of lang has no translations: the source
        translation = code_translations.get_python_translations(
            data.get("module") or "base", lang
        ).get(source, source)
    if not args:
        return translation
    for text in (translation, source):
        try:
            return text % args
        except (TypeError, ValueError, KeyError):
            _logger.warning("Text %r does not format with %r", text, args)
    return source


def _render_arg(value, lang, env):
    if isinstance(value, dict):
        if MARKER in value:
            return _render(value, lang, env)
        if "selection" in value:
            return _render_selection(value["selection"], lang, env)
        if "record" in value:
            return _render_record(value["record"], lang, env)
        if "field" in value:
            return _render_field(value["field"], lang, env)
        if "join" in value:
            separator, items = value["join"]
            return separator.join(str(_render_arg(i, lang, env)) for i in items)
    return value


def _render_selection(ref, lang, env):
    model, field_name, value = ref
    if env is None or model not in env:
        return value
    env = env(context=dict(env.context, lang=lang))
    field = env[model]._fields.get(field_name)
    if field is None:
        return value
    return dict(field._description_selection(env)).get(value, value)


def _render_record(ref, lang, env):
    model, res_id, name = ref
    if env is None or model not in env:
        return name
    found = env[model].with_context(lang=lang).browse(res_id).exists()
    return found.display_name if found else name


def _render_field(ref, lang, env):
    model, res_id, fname, value = ref
    if env is None or model not in env or fname not in env[model]._fields:
        return value
    # sudo: the text was made for its readers; it shows what it showed then
    found = env[model].sudo().with_context(lang=lang).browse(res_id).exists()
    return (found[fname] or value) if found else value
