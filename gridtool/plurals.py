"""English counts with the right number: ``1 exception grid``, ``3 exception grids``.

Chinese needs no plural (``例外网格 1 个``); English messages built from a count go through
:func:`count_en` (core messages) or the ``{n:~word}`` field of the app's strings
(:func:`gridtool.ui.i18n.tr`), so that no message reads ``1 exception grids``.
"""

from __future__ import annotations

import numbers
import re

#: Plurals that are not the word + ``s`` (the words gridtool counts).
_IRREGULAR = {"person": "people", "polygon part": "polygon parts", "is": "are", "was": "were",
              "has": "have", "this": "these"}


def plural_en(n, word: str, plural: str | None = None) -> str:
    """``word`` for one, its plural otherwise (``plural`` if given; ``-y`` → ``-ies``, ``-s/-x/-ch``
    → ``-es``, else ``+s``)."""
    if n == 1:
        return word
    if plural:
        return plural
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    head, _, last = word.rpartition(" ")  # "exception grid" → "exception grids"
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def count_en(n, word: str, plural: str | None = None, spec: str = ",") -> str:
    """``1 exception grid``, ``1,204 households``: ``n`` (formatted with ``spec``) and the word."""
    if isinstance(n, numbers.Real):  # the number as written decides: 0.6 shown as "1" is "1 household"
        shown = format(n, spec)
        return f"{shown} {plural_en(1 if shown == '1' else 2, word, plural)}"
    shown = str(n)  # a count already written out ("1,204") or unknown ("?")
    return f"{shown} {plural_en(1 if shown == '1' else 2, word, plural)}"


def recount_en(text: str, n, word: str, plural: str | None = None) -> str:
    """``text`` opening with a count of ``word`` (``3 incidents …``) with ``n`` in its place, the word
    following it (``1 incident …``); a text opening otherwise is returned as it is. Only the count
    and its noun change: a message with a verb agreeing with them is written again instead."""
    many = plural or plural_en(2, word)
    pattern = rf"^\d[\d,]*\s+(?:{re.escape(many)}|{re.escape(word)})\b"
    return re.sub(pattern, lambda _: count_en(n, word, plural), text, count=1)


__all__ = ["count_en", "plural_en", "recount_en"]
