"""Error types raised on bad input, each with a Chinese and an English message and a fix.

Modelled on ``osmnx._errors``: one specific class per kind of mistake, so that the command line
and the desktop app can catch them precisely, and a message that says *where* (file, layer,
feature, field) and *what to do* rather than only what went wrong.
"""

from __future__ import annotations

import numbers
import re
from typing import Any


_WHERE_ZH = {"file": "文件", "layer": "图层", "feature": "要素", "field": "字段", "features": "要素"}


#: A row of a workbook read sheet by sheet: ``石桥村 (2)!12`` (:func:`gridtool.io.excel_sheets.row_id`).
_SHEET_ROW = re.compile(r"^(.+)!(\d+)$")


def feature_id_zh(fid) -> str:
    """A feature id in Chinese: ``row 5`` (spreadsheet row) → ``第5行``, ``石桥村!5`` (a row of a
    merged workbook) → ``工作表“石桥村”第5行``; others as they are."""
    text = str(fid)
    if text.startswith("row ") and text[4:].isdigit():
        return f"第{text[4:]}行"
    m = _SHEET_ROW.match(text)
    if m:
        return f"工作表“{m.group(1)}”第{m.group(2)}行"
    if text.startswith("handle "):  # an AutoCAD entity handle (DXF), found with the LIST command
        return f"句柄 {text[7:]}"
    return text


def _sheet_and_row(fid) -> tuple[str | None, str | None]:
    """``row 5`` → ``(None, "5")``, ``石桥村!5`` → ``("石桥村", "5")``, anything else → ``(None, None)``."""
    text = str(fid)
    if text.startswith("row ") and text[4:].isdigit():
        return None, text[4:]
    m = _SHEET_ROW.match(text)
    return (m.group(1), m.group(2)) if m else (None, None)


def rows_span(first, last, lang: str = "zh") -> str:
    """A run of table rows from ``first`` to ``last`` as a sentence says it.

    ``row 302``…``row 601`` → ``第 302–601 行`` / ``rows 302–601``; ``石桥村 (2)!2``…``石桥村 (2)!13``
    → ``工作表“石桥村 (2)”第 2–13 行`` / ``sheet '石桥村 (2)' rows 2–13``; a run over two sheets
    names both; other ids (``FID 3``) are joined as they are.
    """
    (sa, ra), (sb, rb) = _sheet_and_row(first), _sheet_and_row(last)
    zh = lang == "zh"
    if ra is None or rb is None:
        a, b = str(first), str(last)
        return a if a == b else (f"{a} 至 {b}" if zh else f"{a} – {b}")
    if sa == sb:
        rows = ra if ra == rb else f"{ra}–{rb}"
        if zh:
            return (f"工作表“{sa}”" if sa else "") + f"第 {rows} 行"
        return (f"sheet {sa!r} " if sa else "") + ("row " if ra == rb else "rows ") + rows
    if zh:
        return f"工作表“{sa}”第 {ra} 行至工作表“{sb}”第 {rb} 行"
    return f"sheet {sa!r} row {ra} to sheet {sb!r} row {rb}"


def _runs(ids: list) -> list[tuple[Any, Any]]:
    """Consecutive rows of one sheet (``row 5``, ``row 6`` …) or consecutive whole numbers (FIDs) as
    ``(first, last)`` runs, in the order given; anything else a run of itself."""
    runs: list[list] = []
    prev = None
    for f in ids:
        sheet, row = _sheet_and_row(f)
        key = (sheet, int(row)) if row is not None else (
            ("#", int(f)) if isinstance(f, numbers.Integral) and not isinstance(f, bool) else None)
        if key is not None and prev is not None and key[0] == prev[0] and key[1] == prev[1] + 1:
            runs[-1][1] = f
        else:
            runs.append([f, f])
        prev = key
    return [(a, b) for a, b in runs]


def features_text(ids, lang: str = "en", limit: int = 20) -> str:
    """Some features as a sentence names them, never a Python list: ``第 5–9 行、第 12 行、FID 3`` /
    ``rows 5–9, row 12, FID 3`` (consecutive rows as one run); past ``limit`` runs ``……等 32 个`` /
    ``… and 12 more`` (features)."""
    ids = list(ids)
    zh = lang == "zh"
    runs = _runs(ids)
    shown, n = [], 0
    for a, b in runs[:limit]:
        if a is b or a == b:
            shown.append(feature_id_zh(a) if zh else str(a))
        elif _sheet_and_row(a)[1] is not None:
            shown.append(rows_span(a, b, lang))
        else:
            shown.append(f"{a}–{b}")
        n += 1 if a is b or a == b else (int(_sheet_and_row(b)[1] or b) - int(_sheet_and_row(a)[1] or a) + 1)
    more = len(ids) - n
    if zh:
        return "、".join(shown) + (f"……等 {len(ids):,} 个" if more > 0 else "")
    return ", ".join(shown) + (f" … and {more:,} more" if more > 0 else "")


def where_text(lang: str = "en", **parts) -> str:
    """``file=…, layer=…`` in English, ``文件：…，图层：…`` in Chinese; empty parts left out; a list of
    features as :func:`features_text` says it (``features 3, 5, 8``, ``要素：3、5、8``)."""
    items = [(k, v) for k, v in parts.items() if v is not None and v != "" and v != []]
    if lang == "zh":
        return "，".join(f"{_WHERE_ZH.get(k, k)}：" + (features_text(v, "zh") if isinstance(v, (list, tuple)) else
                                                      feature_id_zh(v) if k == "feature" else str(v)) for k, v in items)
    return ", ".join(f"{'features' if k == 'feature' else k} {features_text(v)}" if isinstance(v, (list, tuple))
                     else f"{k}={v}" for k, v in items)


class GridtoolError(Exception):
    """Base class of every error gridtool raises on bad input or a bad project file.

    Parameters
    ----------
    zh, en
        The message in Chinese and in English.
    fix_zh, fix_en
        What the user can do about it, in both languages.
    file, layer, feature, field
        Where the problem is; any that are known.
    """

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        fix_zh: str | None = None,
        fix_en: str | None = None,
        file: str | None = None,
        layer: str | None = None,
        feature: Any = None,
        field: str | None = None,
    ) -> None:
        self.zh = zh
        self.en = en
        self.fix_zh = fix_zh
        self.fix_en = fix_en
        self.file = None if file is None else str(file)
        self.layer = layer
        self.feature = feature
        self.field = field
        super().__init__(self.format())

    def where(self, lang: str = "en") -> str:
        """Where the problem is: ``文件：a.shp，图层：村界`` (``lang="zh"``) or ``file=a.shp, layer=…``."""
        return where_text(lang, file=self.file, layer=self.layer, feature=self.feature, field=self.field)

    def format(self, lang: str | None = None) -> str:
        """The message in ``"zh"``, ``"en"`` or (default) both languages."""
        lines = []
        if lang in (None, "zh"):
            where = self.where("zh")
            lines.append(self.zh + (f"（{where}）" if where else ""))
            if self.fix_zh:
                lines.append("解决办法：" + self.fix_zh)
        if lang in (None, "en"):
            where = self.where("en")
            lines.append(self.en + (f" ({where})" if where else ""))
            if self.fix_en:
                lines.append("Fix: " + self.fix_en)
        return "\n".join(lines)


class InputFileError(GridtoolError):
    """An input file is missing, unreadable or not a format gridtool reads."""


class UnsupportedFormatError(InputFileError):
    """The file's extension or content is not one of the formats gridtool reads."""


class LayerNotFoundError(InputFileError):
    """A named layer is not in the file (``PATH:LAYER`` with a wrong LAYER)."""


class EncodingError(InputFileError):
    """Text in the file cannot be decoded with the detected or given encoding."""


class MissingColumnError(GridtoolError):
    """A column that the role needs (or that the user named) is not in the layer."""


class CRSError(GridtoolError):
    """The coordinate system is missing, unknown, or does not fit the coordinates."""


class GeometryTypeError(GridtoolError):
    """The layer's geometries do not fit its role (e.g. lines given as villages)."""


class EmptyLayerError(GridtoolError):
    """A layer has no features (after dropping empty geometries)."""


class ProjectError(GridtoolError):
    """A project file cannot be opened or saved."""


class NotAProjectError(ProjectError):
    """A GeoPackage of data (layers to import), not a gridtool project."""


class ProjectVersionError(ProjectError):
    """The project was written by a newer gridtool than this one."""


class FileInUseError(InputFileError):
    """A file is held open for writing by another program (QGIS, ArcGIS, another gridtool)."""


class OverwriteInputError(GridtoolError):
    """An output path is one of the input files; gridtool never overwrites its inputs."""


class CancelledError(GridtoolError):
    """The user cancelled a long job (the ``cancelled`` callable returned True)."""

    def __init__(self) -> None:
        super().__init__("已取消", "cancelled")


class OptionError(GridtoolError, ValueError):
    """An option (a command-line flag, a field of a dialog, an API argument) has a value gridtool
    cannot use; the message names the option and gives a value that works.

    Also a :class:`ValueError`, as these checks raised before, so callers catching that keep working.
    """


class UnknownRoleError(OptionError):
    """A layer role gridtool does not know, or one that a reader (an OSM extract) does not give."""


class HouseholdBoundsError(OptionError):
    """Household bounds no grid can meet: a minimum below 1, or above the maximum."""


class ClockTimeError(OptionError):
    """A time of day that is not ``HH:MM``."""


def check_at_least(value, minimum, *, name: str, zh: str, flag: str | None = None, example=None) -> None:
    """Refuse ``value < minimum`` with an :class:`OptionError` naming the option (``name``, its
    Chinese ``zh`` and its command-line ``flag``) and an example that works."""
    if value is not None and value >= minimum:
        return
    _refuse(value, f"至少为 {minimum}", f"must be at least {minimum}", name=name, zh=zh, flag=flag,
            example=minimum if example is None else example)


def check_positive(value, *, name: str, zh: str, flag: str | None = None, example=None) -> None:
    """Refuse a ``value`` that is not a number above 0 (NaN, 0, negative) with an :class:`OptionError`."""
    try:
        ok = value is not None and float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        _refuse(value, "必须大于 0", "must be above 0", name=name, zh=zh, flag=flag, example=example)


def _refuse(value, rule_zh: str, rule_en: str, *, name: str, zh: str, flag: str | None, example) -> None:
    label_zh = f"{zh}（{flag}）" if flag else zh
    label_en = f"{name} ({flag})" if flag else name
    use = f"{flag} {example}" if flag else f"{name}={example}"
    raise OptionError(f"{label_zh}{rule_zh}，现为 {value}", f"{label_en} {rule_en}, got {value!r}",
                      fix_zh=f"例如 {use}。" if example is not None else None,
                      fix_en=f"e.g. {use}." if example is not None else None, field=name)
