"""Interface language: every visible string of the app, in Chinese (default) and English.

``tr("menu.file")`` gives the text in the current language; ``tr("status.moved", n=3)`` fills
``{n}``. Widgets re-read their texts in ``retranslate()`` when :func:`set_language` is called.
Core messages (problems, errors) carry both languages already; :func:`pick` chooses one.
"""

from __future__ import annotations

import string
from typing import Callable

import numpy as np

from ..plurals import count_en
from .strings import STRINGS

LANGUAGES = {"zh": "中文", "en": "English"}
_state = {"lang": "zh"}
_listeners: list[Callable[[str], None]] = []


def language() -> str:
    return _state["lang"]


def set_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    if lang != _state["lang"]:
        _state["lang"] = lang
        for f in list(_listeners):
            f(lang)


def on_language_change(f: Callable[[str], None]) -> None:
    _listeners.append(f)


def remove_listener(f: Callable[[str], None]) -> None:
    if f in _listeners:
        _listeners.remove(f)


class _Counts(string.Formatter):
    """``str.format`` plus a count field for English: ``{n:~grid}`` → ``1 grid`` / ``3 grids``,
    ``{n:,~household}`` → ``1,204 households``, ``{n:~person~people}`` for an irregular plural."""

    def format_field(self, value, format_spec):
        if "~" in format_spec:
            spec, _, words = format_spec.partition("~")
            word, _, plural = words.partition("~")
            return count_en(value, word, plural or None, spec)
        return super().format_field(value, format_spec)


_counts = _Counts()


def tr(key: str, **kw) -> str:
    """The text of ``key`` in the current language (the key itself if missing, so a gap shows)."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[0] if _state["lang"] == "zh" else pair[1]
    return _counts.format(text, **kw) if kw else text


def pick(zh: str, en: str) -> str:
    """One of a bilingual pair (core messages) in the current language."""
    return zh if _state["lang"] == "zh" else en


def role_name(role: str) -> str:
    return tr(f"role.{role}")


def field_name(column: str, role: str | None = None) -> str:
    """A layer column's header in the current language (``field.<role>.<column>`` first, then
    ``field.<column>``); a column gridtool does not know keeps its own name."""
    for key in ((f"field.{role}.{column}",) if role else ()) + (f"field.{column}",):
        if key in STRINGS:
            return tr(key)
    return column


def one_side(text: str) -> str:
    """A core message written ``中文 / English`` (progress steps, undo texts) in the current language."""
    zh, sep, en = text.partition(" / ")
    return pick(zh, en) if sep and en else text


#: Columns whose coded values are shown translated (``value.<column>.<value>``).
CODED_COLUMNS = ("status", "note", "kind")


def value_text(column: str, value) -> str | None:
    """A coded value (``status`` ok/exception, ``note`` pocket …, booleans) in the current language,
    or None when the value is not one gridtool writes."""
    if isinstance(value, (bool, np.bool_)):
        return tr("value.true" if value else "value.false")
    if column in CODED_COLUMNS and isinstance(value, str):
        key = f"value.{column}.{value}"
        if key in STRINGS:
            return tr(key)
        if column == "note" and value.strip() and _state["lang"] == "zh":
            # The partition's and the edits' other notes (locked, merged, "pocket; edited", a locked
            # grid's households out of bounds) in the words the ledger and GIS files use, not in English.
            from ..maps.plan_words import note_zh
            return note_zh(value, short=True)
    return None
