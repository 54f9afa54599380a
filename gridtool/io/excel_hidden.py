"""What a clerk hid in an Excel roster, and sheets of a workbook left unread.

A clerk hides rows meant as deleted, or filters the roster (自动筛选) to show one village; hides a
column (户数, 身份证号) to print the rest; keeps one sheet per village (一村一表). Hidden is not
deleted, so every row is still imported, but the counts then differ from what the planner sees in
Excel: each of these is said once, naming the file, the sheet, the rows or columns and the fix.

Rows and columns are found in the sheet's XML (``<row hidden="1">``, ``<col hidden="1">``,
``<autoFilter>``), scanned in chunks: openpyxl's read-only mode does not keep them, and its full
mode holds the whole workbook in memory.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html import unescape  # numeric references too (&#28857; → 点), as an XML parser reads them
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from ..columns import find_column, sensitive_columns
from ..plurals import count_en, plural_en
from ..problems import Problem

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)/?>")
_FILTER = re.compile(rb"<(?:\w+:)?autoFilter\b([^>]*?)(/?)>")
_FILTER_COLUMN = re.compile(rb"<(?:\w+:)?filterColumn\b")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
# A formula cell and its cached result: Excel and WPS store the result they computed (<v>); files
# written by other programs (Java POI behind most government systems, openpyxl) may store none.
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)"
                           rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>(.*?)</(?:\w+:)?v>)?\s*(?:<(?:\w+:)?is>.*?</(?:\w+:)?is>)?"
                           rb"\s*</(?:\w+:)?c>", re.DOTALL)
_FULL_CALC = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](?:1|true)[\"']")
_CHUNK = 4 << 20
#: Key columns a hidden column may hold, as the loader reads them.
_KEYS = {"hh": ("户数", "households"), "lon": ("经度", "longitude"), "lat": ("纬度", "latitude"),
         "lonlat": ("经纬度", "coordinates"), "village": ("村", "village"), "name": ("名称", "name")}
_PERSONAL = {"name": ("姓名", "names"), "id_number": ("身份证号", "ID numbers"), "phone": ("电话", "phone numbers")}


@dataclass
class SheetView:
    """Rows and columns hidden on one sheet (1-based, as Excel numbers them) and its AutoFilter."""

    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)
    filter_ref: str | None = None
    filter_active: bool = False  # a filter condition is set (not only the drop-down buttons)
    #: Formula cells by column number: [cells, without a result, results 0, first cell, its formula].
    formula_columns: dict[int, list] = field(default_factory=dict)
    formulas: int = 0              # formula cells on the sheet
    recalc_on_open: bool = False   # the workbook asks to be recomputed when opened (its results may be stale)


def _attr(attrs: bytes, name: str) -> str | None:
    # XML allows 'single' quotes and spaces around '=' (some writers other than Excel use them).
    m = re.search(rb"(?<![\w:])" + name.encode() + rb"""\s*=\s*(["'])(.*?)\1""", attrs)
    return m.group(2).decode("utf-8", "replace") if m else None


def _true(value: str | None) -> bool:
    return value in ("1", "true")


def _sheet_member(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding ``sheet``'s XML, through workbook.xml and its relationships."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rid = next((s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None)
    if rid is None:
        return None
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iter(f"{_PKG}Relationship") if r.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def sheet_view(path: str | Path, sheet: str, *, kind: str | None = None, book=None) -> SheetView | None:
    """Hidden rows, hidden columns and the AutoFilter of ``sheet`` in an ``.xlsx``, or the hidden
    rows and columns in a legacy ``.xls`` (``kind="ole2"``, :func:`gridtool.io.sniff.sniff`;
    ``book``: the file already opened by xlrd with ``formatting_info``, not opened again);
    None when the file cannot be read so."""
    if kind == "ole2":
        return _xls_view(path, sheet, book)
    try:
        with zipfile.ZipFile(path) as zf:
            member = _sheet_member(zf, sheet)
            if member is None or member not in zf.namelist():
                return None
            view = SheetView()
            with zf.open(member) as fh:
                _scan(fh, view)
            if view.formulas:
                view.recalc_on_open = bool(_FULL_CALC.search(zf.read("xl/workbook.xml")))
            return view
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return None


def hidden_sheets(path: str | Path, *, kind: str | None = None, book=None) -> list[str]:
    """Sheets Excel does not show (sheet state ``hidden`` or ``veryHidden``; an .xls for
    ``kind="ole2"``, from ``book`` when xlrd already opened it), in workbook order; [] when the
    file cannot be read so.

    A clerk hides last year's roster or a working copy rather than delete it: a planner who
    counts the sheets in Excel never sees them, so neither the default sheet nor ``PATH:*``
    reads them unasked."""
    try:
        if kind == "ole2":
            if book is not None:
                return _xls_hidden(book)
            import xlrd
            with xlrd.open_workbook(str(path), on_demand=True) as book:
                return _xls_hidden(book)
        with zipfile.ZipFile(path) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        return [s.get("name") for s in book.iter(f"{_MAIN}sheet") if s.get("state") in ("hidden", "veryHidden")]
    except Exception:  # noqa: BLE001 - cannot tell: every sheet counts as shown, as before
        return []


def sheet_names(path: str | Path) -> list[str] | None:
    """The sheets of an ``.xlsx`` in workbook order, from ``xl/workbook.xml`` alone (openpyxl
    reads every shared string first: seconds for a large roster); None when it cannot be read so."""
    try:
        with zipfile.ZipFile(path) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return None
    names = [s.get("name") for s in book.iter(f"{_MAIN}sheet")]
    return names if names and all(names) else None


def hidden_sheets_problem(path: str | Path, sheets: dict[str, int]) -> Problem | None:
    """A warning naming the hidden sheets holding rows (``sheets``: name → data rows) that were
    not read."""
    sheets = {n: r for n, r in sheets.items() if r}
    if not sheets:
        return None
    path = Path(path)
    zh = "、".join(f"“{n}”（{r:,} 行）" for n, r in sheets.items())
    en = ", ".join(f"{n!r} ({count_en(r, 'row')})" for n, r in sheets.items())
    first = next(iter(sheets))
    return Problem(
        "warning", "excel_hidden_sheets",
        f"{path.name} 中有 {len(sheets)} 个隐藏的工作表没有读取：{zh}",
        f"{count_en(len(sheets), 'hidden sheet')} of {path.name} {plural_en(len(sheets), 'was')} not read: {en}",
        fix_zh=f"隐藏的工作表常是旧名单或草稿；若其中也是要导入的住户，在 Excel 中右键工作表标签→“取消隐藏”后"
               f"再导入，或单独指定：{path.name}:{first}。",
        fix_en=f"hidden sheets are often last year's roster or a draft; if they hold households to import, unhide "
               f"them in Excel (right-click a sheet tab → Unhide) and import again, or name one: "
               f"{path.name}:{first}.", file=str(path))


def _xls_hidden(book) -> list[str]:
    # BOUNDSHEET visibility (0 shown, 1 hidden, 2 very hidden): known without loading a sheet.
    seen = getattr(book, "_sheet_visibility", [])
    return [n for n, v in zip(book.sheet_names(), seen) if v]


def _xls_view(path: str | Path, sheet: str, book=None) -> SheetView | None:
    """An .xls sheet's hidden rows and columns (a filter hides rows the same way). xlrd keeps them
    only with ``formatting_info`` (``book``, when given, was opened so); its AutoFilter is not
    read, the rows it hides are."""
    try:
        if book is None:
            import xlrd
            with xlrd.open_workbook(str(path), formatting_info=True, on_demand=True) as opened:
                return _xls_view(path, sheet, opened)
        sh = book.sheet_by_name(sheet)
        rows = sorted(r + 1 for r, info in sh.rowinfo_map.items() if info.hidden)
        cols = sorted(c + 1 for c, info in sh.colinfo_map.items() if info.hidden)
    except Exception:  # noqa: BLE001 - no view: the table itself was read, the warning is left out
        return None
    return SheetView(hidden_rows=rows, hidden_columns=cols)


def _scan(fh, view: SheetView) -> None:
    """Read the sheet XML in chunks; a tag cut by a chunk's end is kept for the next chunk."""
    rest, tail, row, in_data, done_data = b"", b"", 0, False, False
    while True:
        chunk = fh.read(_CHUNK)
        buf = rest + chunk
        cut = buf.rfind(b"<") if chunk else len(buf)
        if cut < 0 or buf.find(b">", cut) >= 0:
            cut = len(buf)  # the last tag is whole
        part, rest = buf[:cut], buf[cut:]
        if not done_data:
            if not in_data:
                for m in _COL.finditer(part.split(b"<sheetData", 1)[0]):
                    if _true(_attr(m.group(1), "hidden")):
                        lo, hi = int(_attr(m.group(1), "min") or 0), int(_attr(m.group(1), "max") or 0)
                        view.hidden_columns += range(lo, min(hi, lo + 16384) + 1)
                in_data = b"<sheetData" in part
            for m in _ROW.finditer(part):
                r = _attr(m.group(1), "r")
                row = int(r) if r and r.isdigit() else row + 1  # a writer may leave r out: rows follow
                if _true(_attr(m.group(1), "hidden")):
                    view.hidden_rows.append(row)
            if b"<f" in part or b":f" in part:
                _formulas(part, view)
            end = _SHEET_DATA_END.search(part)
            done_data = end is not None
            part = part[end.end():] if end else b""
        tail += part  # what follows the rows (AutoFilter, print settings) is short
        if not chunk:
            break
    m = _FILTER.search(tail)
    if m:
        view.filter_ref = _attr(m.group(1), "ref")
        view.filter_active = not m.group(2) and bool(_FILTER_COLUMN.search(tail, m.end()))


_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _formulas(part: bytes, view: SheetView) -> None:
    """Count the formula cells of a chunk of rows by column: all, stored without a result, stored
    as 0 (xlsxwriter's placeholder). A cell cut by the chunk's end is not matched (no ``</c>``): at
    worst one cell in 4 MB goes uncounted."""
    for m in _FORMULA_CELL.finditer(part):
        view.formulas += 1
        ref = _REF.fullmatch(_attr(m.group(1), "r") or "")
        if not ref:
            continue
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ord(ch) - 64
        stats = view.formula_columns.setdefault(col, [0, 0, 0, ref.group(0),
                                                      unescape((m.group(2) or b"").decode("utf-8", "replace"))])
        stats[0] += 1
        value = m.group(3)
        if value is None or (not value.strip() and _attr(m.group(1), "t") != "str"):
            stats[1] += 1  # (an empty text result of =IF(…,"",…) is a result)
        elif value.strip() == b"0":
            stats[2] += 1


def _ranges(numbers: list[int], *, limit: int = 8) -> tuple[str, str]:
    """``[6, 7, 8, 12]`` → ``("6–8、12", "6–8, 12")``; after ``limit`` ranges ``等``/``…``."""
    spans: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    shown = [f"{a}" if a == b else f"{a}–{b}" for a, b in spans[:limit]]
    more = len(spans) > limit
    return "、".join(shown) + (" 等" if more else ""), ", ".join(shown) + (" …" if more else "")


def _letter(col: int) -> str:
    out = ""
    while col:
        col, r = divmod(col - 1, 26)
        out = chr(65 + r) + out
    return out


def hidden_problems(path: str | Path, sheet: str, df: pd.DataFrame, view: SheetView | None) -> list[Problem]:
    """Warnings for the hidden data rows (``df`` is indexed by Excel row number) and for hidden
    columns that hold data, naming those the loader reads or that hold personal data."""
    if view is None:
        return []
    path = Path(path)
    out: list[Problem] = []
    where = dict(file=str(path), layer=sheet)
    rows = sorted(set(view.hidden_rows) & {int(i) for i in df.index})
    if rows:
        zh_r, en_r = _ranges(rows)
        flt_zh = flt_en = ""
        if view.filter_active:
            flt_zh = f"（工作表启用了自动筛选 {view.filter_ref or ''}，筛选掉的行也是隐藏行）"
            flt_en = f" (an AutoFilter {view.filter_ref or ''} is active; rows it filters out are hidden rows)"
        out.append(Problem(
            "warning", "excel_hidden_rows",
            f"{path.name} 工作表“{sheet}”中有 {len(rows):,} 行数据被隐藏{flt_zh}：第 {zh_r} 行；"
            f"隐藏不等于删除，这些行已全部导入并计入户数",
            f"{path.name}, sheet {sheet!r}: {count_en(len(rows), 'data row')} {plural_en(len(rows), 'is')} hidden{flt_en}: rows {en_r}; "
            "hidden is not deleted, so they were all imported and counted",
            fix_zh="若这些行不应计入：在 Excel 中清除筛选、取消隐藏，删除这些行后保存再导入；若应计入，无需处理。",
            fix_en="if they should not count: in Excel clear the filter, unhide the rows, delete them, save and "
                   "import again; if they should count, nothing to do.", **where))
    elif view.filter_active:
        out.append(Problem(
            "warning", "excel_filter",
            f"{path.name} 工作表“{sheet}”启用了自动筛选（{view.filter_ref or ''}）；所有行都已导入，不只是筛选显示的行",
            f"{path.name}, sheet {sheet!r} has an active AutoFilter ({view.filter_ref or ''}); every row was "
            "imported, not only those the filter shows",
            fix_zh="若只应导入筛选出的行，把它们复制到新工作表后导入该工作表。",
            fix_en="if only the filtered rows should count, copy them to a new sheet and import that.", **where))
    out += _uncalculated_problems(path, sheet, df, view, where)
    cols = [c for c in sorted(set(view.hidden_columns)) if c <= len(df.columns)]
    names = [df.columns[c - 1] for c in cols if df.iloc[:, c - 1].notna().any()]
    if names:
        letters = {df.columns[c - 1]: _letter(c) for c in cols}
        role_of = {col: _KEYS[k] for k in _KEYS for col in [find_column(df.columns, k)] if col in names}
        personal = {c: _PERSONAL.get(k, (k, k)) for c, k in
                    sensitive_columns(df[names], personal_role=True).items()}

        def label(c, zh: bool) -> str:
            notes = []
            if c in role_of:
                notes.append(f"用作{role_of[c][0]}" if zh else f"read as {role_of[c][1]}")
            if c in personal:
                notes.append(f"个人信息：{personal[c][0]}" if zh else f"personal data: {personal[c][1]}")
            if zh:
                return f"{c}（{'，'.join([letters[c] + ' 列', *notes])}）"
            return f"{c} ({', '.join(['column ' + letters[c], *notes])})"
        used = bool(role_of or personal)
        out.append(Problem(
            "warning", "excel_hidden_columns",
            f"{path.name} 工作表“{sheet}”中有 {len(names)} 列被隐藏，但仍会读取：" + "、".join(label(c, True) for c in names)
            + ("；其中有 gridtool 用到的列或个人信息" if used else ""),
            f"{path.name}, sheet {sheet!r}: {count_en(len(names), 'hidden column')} {plural_en(len(names), 'is')} still read: "
            + "; ".join(label(c, False) for c in names)
            + ("; some are used by gridtool or hold personal data" if used else ""),
            fix_zh="在 Excel 中取消隐藏这些列并检查内容；不应使用的列请删除，或用 --field 指定应使用的列。",
            fix_en="unhide these columns in Excel and check them; delete those that should not be used, or "
                   "choose the right columns with --field.", **where))
    return out


def _uncalculated_problems(path: Path, sheet: str, df: pd.DataFrame, view: SheetView, where: dict) -> list[Problem]:
    """A warning for columns whose formulas were saved without results: the table reads them as
    empty (or 0), so a 户数 column of formulas counts nothing. Excel and WPS save results; systems
    that export with formulas (Java POI, openpyxl) save none, xlsxwriter saves 0 and asks Excel to
    recompute on opening (``fullCalcOnLoad``)."""
    cols = []
    for col, (n, blank, zeros, first, formula) in sorted(view.formula_columns.items()):
        if col > len(df.columns):
            continue
        if blank or (view.recalc_on_open and zeros == n):
            cols.append((col, blank or zeros, first, formula))
    if not cols:
        return []
    zh = "、".join(f"{_letter(c)} 列“{df.columns[c - 1]}”{k:,} 个（如 {first}：={f}）" for c, k, first, f in cols)
    en = "; ".join(f"column {_letter(c)} {df.columns[c - 1]!r}: {k:,} (e.g. {first}: ={f})" for c, k, first, f in cols)
    return [Problem(
        "warning", "excel_uncalculated",
        f"{path.name} 工作表“{sheet}”中的公式没有计算结果，读到的是空值或 0：{zh}。"
        "文件多由业务系统或程序导出，保存时没有经过 Excel/WPS 计算",
        f"{path.name}, sheet {sheet!r}: formulas saved without their results read as empty or 0: {en}. Such files "
        "are exported by systems or scripts and were never computed by Excel/WPS",
        fix_zh="在 Excel 或 WPS 中打开此文件，保存一次（保存时会算出公式结果）后再导入；或把这些列复制后"
               "“选择性粘贴→数值”。",
        fix_en="open the file in Excel or WPS and save it once (saving computes the formulas), then import again; or "
               "copy these columns and paste them as values.",
        field=",".join(str(df.columns[c - 1]) for c, *_ in cols), **where)]


def other_sheets_problem(path: str | Path, chosen: str, header: list[str],
                         others: dict[str, tuple[list[str], int]], *, option: str = "--households") -> Problem | None:
    """A warning when sheets other than ``chosen`` hold rows under (mostly) the same header, as
    in a workbook with one sheet per village (一村一表): only ``chosen`` was read. ``option``: the
    command-line option the fix names (the layer's role, ``--table`` of ``gridtool join``).

    ``others`` maps a sheet's name to its header and number of data rows."""
    mine = {h for h in header if h and not h.startswith("col")}
    same = {n: rows for n, (cols, rows) in others.items()
            if rows and mine and len(mine & set(cols)) >= 0.5 * len(mine)}
    if not same:
        return None
    path = Path(path)
    listed_zh = "、".join(f"“{n}”（{r:,} 行）" for n, r in list(same.items())[:10]) + (" 等" if len(same) > 10 else "")
    listed_en = ", ".join(f"{n!r} ({count_en(r, 'row')})" for n, r in list(same.items())[:10]) + (" …" if len(same) > 10 else "")
    first = next(iter(same))
    return Problem(
        "warning", "excel_other_sheets",
        f"{path.name} 有 {len(same) + 1} 个表头相同的工作表，只读取了“{chosen}”；未读取的工作表：{listed_zh}，"
        f"其中的 {sum(same.values()):,} 行没有导入",
        f"{path.name} has {count_en(len(same) + 1, 'sheet')} with the same header; only {chosen!r} was read; sheets not "
        f"read: {listed_en}, {count_en(sum(same.values()), 'row')} not imported",
        fix_zh=f"若每个工作表是一个村（一村一表），用 {option} {path.name}:* 合并读取所有工作表"
               f"（向导中在“图层”里选“合并所有工作表”）；或指定要读取的工作表：{option} {path.name}:{first}。",
        fix_en=f"if each sheet is one village, read them all as one layer: {option} {path.name}:* (in the "
               f"wizard, pick 'all sheets' under Layer); or choose the sheet: {option} {path.name}:{first}.",
        file=str(path), layer=chosen)


__all__ = ["SheetView", "hidden_problems", "hidden_sheets", "hidden_sheets_problem",
           "other_sheets_problem", "sheet_names", "sheet_view"]
