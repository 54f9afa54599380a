"""Where in the app a problem's fix is made, when the fix names a command-line option.

The loader's and checker's fixes are shared with the command line, so they say
``--field villages.name=CJQYMC``, ``--crs-in households=gcj02`` or ``--encoding roads=gbk``; a
planner in the app has no command line. The problems lists add, after such a fix, the place in the
new-project wizard that makes the same choice (the option stays named: it is what a colleague with
the command line would type)."""

from __future__ import annotations

import re

from .i18n import pick

# (option, Chinese place, English place); an option seen in the fix adds its place once.
_PLACES = (
    (re.compile(r"--field\s+(households\.)?hh="), "“户数列”框", "the “Household count” box"),
    (re.compile(r"--field\b(?!\s+(households\.)?hh=)"), "该图层一行的“字段…”按钮", "the layer's “Columns…” button"),
    (re.compile(r"--crs-in\b"), "该图层一行的“坐标系”", "the layer's “Coordinate system”"),
    (re.compile(r"--encoding\b"), "该图层一行的“编码”", "the layer's “Encoding”"),
)


def app_fix(fix_zh: str, fix_en: str) -> str:
    """The fix in the app's language, followed by where the app makes it, if it names an option."""
    fix = pick(fix_zh, fix_en)
    seen = f"{fix_zh} {fix_en}"
    zh = [p_zh for rx, p_zh, _ in _PLACES if rx.search(seen)]
    if not zh:
        return fix
    en = [p_en for rx, _, p_en in _PLACES if rx.search(seen)]
    return fix + pick("\n（本程序中：“新建项目”向导第一页，" + "、".join(zh) + "）",
                      "\n(In the app: the New project wizard's first page, " + ", ".join(en) + ".)")


__all__ = ["app_fix"]
