"""A workbook with one sheet per village (一村一表) read as one table.

Townships send a roster as one workbook with a sheet per village (石桥村, 新华村 …), each with its own
title row, the same or nearly the same header (户主 on one, 户主姓名 on another, a 备注 column
added on a third) and a 合计 row at the bottom. ``PATH:*`` (the wizard's 合并所有工作表) reads every
sheet that shares the first sheet's household columns as one table: each row keeps its sheet and
Excel row (``石桥村!12``), columns named differently for the same thing are matched and said, and
sheets whose header does not fit are listed and left out, never merged silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..columns import column_kind
from ..plurals import count_en, plural_en
from ..problems import Problem
from .table_rows import said_totals

#: The layer name that asks for every sheet (Excel forbids ``*`` in a sheet's name).
ALL_SHEETS = "*"
#: The column that holds each merged row's sheet.
SHEET_COLUMN = "工作表"
#: Kinds of column the loader reads: a sheet without one the first sheet has is not merged.
_KEY_KINDS = ("lon", "lat", "lonlat", "wkt", "hh", "village")
#: Sheet names Excel and WPS give by default: no village's name.
_DEFAULT_NAME = re.compile(r"^(sheet|工作表|表)\s*\d*$", re.IGNORECASE)


@dataclass
class SheetTable:
    """One sheet as read: ``frame`` indexed by Excel row number, header found (None: none found)."""

    name: str
    header_row: int | None  # 1-based
    frame: pd.DataFrame


def row_id(sheet: str, row) -> str:
    """``石桥村!12``: a row of a merged workbook as Excel names a cell's sheet."""
    return f"{sheet}!{row}"


def names_villages(sheets) -> bool:
    """True when none of the sheets has a name Excel gives by default (Sheet1, 工作表2)."""
    return all(not _DEFAULT_NAME.match(str(s).strip()) for s in sheets)


def _kinds(columns) -> dict[str, str]:
    """Kind → column for the named columns whose kind is theirs alone on the sheet."""
    named = [c for c in columns if c and not re.fullmatch(r"col\d+", str(c))]
    kinds = [column_kind(c) for c in named]
    return {k: c for k, c in zip(kinds, named) if kinds.count(k) == 1}


def merge_sheets(path: str | Path, sheets: list[SheetTable]) -> tuple[pd.DataFrame, list[Problem]]:
    """One table of the sheets that share the first roster sheet's columns, and what was done.

    The first sheet with a header and rows sets the columns. Another sheet is merged when it has
    every column of it the loader reads (coordinates, 户数, 村) and at least half of its other
    columns, each matched by name or by what it stands for (户主 = 户主姓名); its matched columns
    take the first sheet's names, extra columns (备注) are kept. The rows are indexed ``sheet!row``
    and :data:`SHEET_COLUMN` holds the sheet. Returns an empty frame when no sheet has rows.
    """
    path = Path(path)
    tables = [s for s in sheets if s.header_row is not None and len(s.frame)]
    if not tables:
        return pd.DataFrame(), []
    ref = tables[0]
    ref_kinds = _kinds(ref.frame.columns)
    keys = {k: c for k, c in ref_kinds.items() if k in _KEY_KINDS}
    merged, renamed, extra, skipped = [ref], [], [], []
    for s in sheets:
        if s is ref:
            continue
        if s.header_row is None or not len(s.frame):
            skipped.append((s.name, "找不到表头或没有数据行", "no header or no rows found"))
            continue
        kinds = _kinds(s.frame.columns)
        missing = [c for k, c in keys.items() if k not in kinds]
        shared = len(set(ref_kinds) & set(kinds))
        if missing or shared < 0.5 * len(ref_kinds):
            lack = missing or [c for k, c in ref_kinds.items() if k not in kinds]
            skipped.append((s.name, "表头不同，缺少列：" + "、".join(lack[:6]),
                            "a different header, without " + ", ".join(lack[:6])))
            continue
        names = {kinds[k]: ref_kinds[k] for k in set(ref_kinds) & set(kinds) if kinds[k] != ref_kinds[k]}
        renamed += [(s.name, a, b) for a, b in names.items()]
        extra += [(s.name, c) for c in s.frame.columns
                  if c not in names and c not in ref.frame.columns and not re.fullmatch(r"col\d+", str(c))]
        merged.append(SheetTable(s.name, s.header_row, s.frame.rename(columns=names)))
    parts = []
    for s in merged:
        part = s.frame.copy()
        part.index = [row_id(s.name, r) for r in part.index]
        part[SHEET_COLUMN] = s.name
        parts.append(part)
    df = pd.concat(parts, sort=False)
    cols = [c for c in df.columns if c != SHEET_COLUMN] + [SHEET_COLUMN]  # after the data: 合计 is looked for first
    df = df[cols]
    problems = [_merged_problem(path, merged, renamed, extra)]
    if skipped:
        problems.append(_skipped_problem(path, ref.name, skipped))
    return df, problems


def _merged_problem(path: Path, merged: list[SheetTable], renamed, extra) -> Problem:
    counts = [(s.name, len(s.frame) - t, t) for s in merged for t in [said_totals(s.frame)]]
    zh = "、".join(f"“{n}”（{r:,} 行" + (f"，另有 {t} 行合计" if t else "") + "）" for n, r, t in counts)
    en = ", ".join(f"{n!r} ({count_en(r, 'row')}" + (f", and {count_en(t, 'totals row')}" if t else "") + ")"
                   for n, r, t in counts)
    more_zh, more_en = "", ""
    if renamed:
        more_zh += "；列名不同、按含义对齐：" + "、".join(f"“{n}”的 {a} 作 {b}" for n, a, b in renamed[:10])
        more_en += "; columns matched by meaning: " + ", ".join(f"{a} as {b} on {n!r}" for n, a, b in renamed[:10])
    if extra:
        more_zh += "；只在部分工作表中有的列：" + "、".join(f"{c}（“{n}”）" for n, c in extra[:10])
        more_en += "; columns on some sheets only: " + ", ".join(f"{c} ({n!r})" for n, c in extra[:10])
    total = sum(r for _, r, _ in counts)
    return Problem(
        "warning", "excel_sheets_merged",
        f"{path.name} 的 {len(merged)} 个工作表合并为一个图层，共 {total:,} 行：{zh}{more_zh}；"
        f"每行的编号写作“工作表!行号”（如 {row_id(merged[0].name, merged[0].frame.index[0])}）",
        f"{count_en(len(merged), 'sheet')} of {path.name} were read as one layer, {count_en(total, 'row')}: {en}{more_en}; each row is "
        f"named 'sheet!row' (e.g. {row_id(merged[0].name, merged[0].frame.index[0])})",
        fix_zh="核对各工作表的行数与 Excel 中一致；列对齐有误时，在 Excel 中把各表的列名改成一样后再导入。",
        fix_en="check each sheet's row count against Excel; if columns were matched wrongly, give the sheets the "
               "same headers in Excel and import again.", file=str(path))


def _skipped_problem(path: Path, ref: str, skipped) -> Problem:
    zh = "；".join(f"“{n}”：{why}" for n, why, _ in skipped[:10]) + (" 等" if len(skipped) > 10 else "")
    en = "; ".join(f"{n!r}: {why}" for n, _, why in skipped[:10]) + (" …" if len(skipped) > 10 else "")
    return Problem(
        "warning", "excel_sheets_skipped",
        f"{path.name} 中有 {len(skipped)} 个工作表的表头与“{ref}”不符，没有合并：{zh}",
        f"{count_en(len(skipped), 'sheet')} of {path.name} {plural_en(len(skipped), 'does', 'do')} not have the header of {ref!r} and were not merged: {en}",
        # Said of any table read whole (a roster, a 网格员台账 joined with --table FILE:*): no role named.
        fix_zh="若这些工作表与其他工作表是同一种表、也应读入，在 Excel 中把它们的表头改成与其他工作表相同后再导入；"
               "说明、汇总表可不理会。",
        fix_en="if these sheets belong to the same table as the others, give them the same header as the others in "
               "Excel and import again; notes and summary sheets can be ignored.", file=str(path))


__all__ = ["ALL_SHEETS", "SHEET_COLUMN", "SheetTable", "merge_sheets", "names_villages", "row_id"]
