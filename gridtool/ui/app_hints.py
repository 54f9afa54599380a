"""Where in the app a problem's fix is made, when the fix names a command-line option.

The loader's and checker's fixes are shared with the command line, so they say
``--field villages.name=CJQYMC``, ``--crs-in households=gcj02`` or ``--encoding roads=gbk``; a
planner in the app has no command line. The problems lists add, after such a fix, the place in the
app that makes the same choice: the new-project wizard for an import, 文件 → 添加/替换图层 for a
layer of an open project (the option stays named: it is what a colleague with the command line
would type)."""

from __future__ import annotations

import re

from .i18n import pick

# (option, its pattern, Chinese place, English place); an option seen in the fix adds its place once.
_PLACES = (
    ("--field", re.compile(r"--field\s+(households\.)?hh="), "“户数列”框", "the “Household count” box"),
    ("--field", re.compile(r"--field\b(?!\s+(households\.)?hh=)"), "该图层一行的“字段…”按钮", "the layer's “Columns…” button"),
    ("--crs-in", re.compile(r"--crs-in\b"), "该图层一行的“坐标系”", "the layer's “Coordinate system”"),
    ("--encoding", re.compile(r"--encoding\b"), "该图层一行的“编码”", "the layer's “Encoding”"),
)
# The same choices in 文件 → 添加/替换图层, which reads one layer into the open project: a layer
# added there is read again there (its own 坐标系 and 编码 boxes), not in a new project's wizard.
_ADD_LAYER_PLACES = {"--crs-in": ("“坐标系”框", "the “Coordinate system” box"),
                     "--encoding": ("“编码”框", "the “Encoding” box")}


def app_fix(fix_zh: str, fix_en: str, where: str = "wizard") -> str:
    """The fix in the app's language, followed by where the app makes it, if it names an option.

    ``where``: ``"wizard"`` (the new-project wizard's first page), ``"add_layer"`` (the problems
    of 文件 → 添加/替换图层: its coordinate-system and encoding boxes; columns are chosen only in the
    wizard) or ``"project"`` (the data and grid checks of an open project: its layer is read again by
    re-adding it with 文件 → 添加/替换图层, since a new project's wizard would start over)."""
    fix = pick(fix_zh, fix_en)
    seen = f"{fix_zh} {fix_en}"
    found = [(opt, p_zh, p_en) for opt, rx, p_zh, p_en in _PLACES if rx.search(seen)]
    if not found:
        return fix
    parts_zh, parts_en = [], []
    if where in ("add_layer", "project"):
        dialog = [_ADD_LAYER_PLACES[opt] for opt, _, _ in found if opt in _ADD_LAYER_PLACES]
        found = [f for f in found if f[0] not in _ADD_LAYER_PLACES]
        if dialog and where == "add_layer":
            parts_zh.append("“文件 → 添加/替换图层”中的" + "、".join(z for z, _ in dialog) + "，选好后再按“确定”")
            parts_en.append("File → Add or replace a layer, " + ", ".join(e for _, e in dialog)
                            + "; then press OK again")
        elif dialog:
            parts_zh.append("用“文件 → 添加/替换图层”重新添加该图层，在其" + "、".join(z for z, _ in dialog)
                            + "中选好，网格和修改都保留")
            parts_en.append("add the layer again with File → Add or replace a layer and choose it in "
                            + ", ".join(e for _, e in dialog) + ", keeping the grids and edits")
    if found:
        parts_zh.append("“新建项目”向导第一页，" + "、".join(z for _, z, _ in found))
        parts_en.append("the New project wizard's first page, " + ", ".join(e for _, _, e in found))
    return fix + pick("\n（本程序中：" + "；".join(parts_zh) + "）", "\n(In the app: " + "; ".join(parts_en) + ".)")


__all__ = ["app_fix"]
