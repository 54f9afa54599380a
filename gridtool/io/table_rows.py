"""Rows of a coordinate table that are not features: totals rows and rows without a position.

Spreadsheets exported from office systems (a 110 接处警 export, a household roster) end with a
合计/总计 row and often hold rows whose position was never taken: empty cells, or 0 and 0 written by
the system as a default. Such rows are told apart here so that the loader can skip them and say
which rows and why, instead of a (0, 0) point deciding the layer's CRS (a table with 30 % zeros
read as "metres 0…119" and failed as a whole) or a 合计 row being counted as an unplaced record.
"""

from __future__ import annotations

import re

import pandas as pd

from ..plurals import count_en, plural_en

#: Words of a totals row; compared with spaces removed (合 计).
TOTAL_WORDS = frozenset(("合计", "总计", "小计", "共计", "总数", "合计数", "total", "sum", "subtotal"))
_SPACE = re.compile(r"[\s\u3000]+")
#: A group's, page's or village's total (一组小计, 第2页合计, 石桥村合计, 本页合计): the word after what
#: it adds up. A cell merely ending in the word is a household's (王小计, a person; 某某路合计, an
#: address), and a household taken for a totals row is lost from the count.
_SCOPED_TOTAL = re.compile(
    r"^(?:本|全|各|以上|上述|总|户数|人数|人口|"
    r"第?[0-9一二三四五六七八九十百]+(?:组|社|队|页|小组|村民小组)|"
    r".{0,6}(?:组|社|队|村|社区|居委会|居委|片区|网格|页))(?:合计|小计|总计|共计)$")


def row_label(row) -> str:
    """How a message names a table row: ``row 12`` (one sheet or a CSV), or ``石桥村!12`` as it is
    (a row of a workbook read sheet by sheet, :mod:`gridtool.io.excel_sheets`)."""
    return str(row) if isinstance(row, str) else f"row {row}"


def is_total_cell(value) -> bool:
    """``合计`` ``合 计`` ``总计：`` ``Total``, and a group's, page's or village's ``一组小计``
    ``本页合计`` ``石桥村合计`` → True; anything else (``王小计``, ``某某路合计``) → False."""
    if not isinstance(value, str):
        return False
    text = _SPACE.sub("", value).strip(":：").lower()
    return text in TOTAL_WORDS or bool(_SCOPED_TOTAL.match(text))


def total_rows(df: pd.DataFrame, missing: pd.Series) -> pd.Index:
    """Rows without coordinates whose first non-empty cell (or any cell of the first three columns)
    says 合计/总计/小计."""
    rows = df.index[missing.to_numpy()]
    if not len(rows):
        return rows
    head = df.loc[rows, list(df.columns[:3])]
    hit = head.apply(lambda r: any(is_total_cell(v) for v in r), axis=1)
    return rows[hit.to_numpy()]


def said_totals(df: pd.DataFrame) -> int:
    """How many rows say 合计/小计 in one of their first three cells, coordinates or not: what a
    count of a sheet's records leaves out before the rows are read as points."""
    if not len(df):
        return 0
    head = df.iloc[:, :3]
    return int(head.apply(lambda r: any(is_total_cell(v) for v in r), axis=1).sum())


def zero_rows(x: pd.Series, y: pd.Series) -> pd.Index:
    """Rows whose coordinates are both 0: a position never taken, not a place off West Africa."""
    return x.index[((x == 0) & (y == 0)).to_numpy()]


def swapped_rows(x: pd.Series, y: pd.Series, *, reach: float = 2.0) -> pd.Index:
    """Rows of a lon/lat table written latitude first (32.05, 118.79 among 118.79, 32.05 rows).

    A row counts when, with its two values exchanged, it lies within ``reach`` degrees (about
    200 km: a city or a county) of the table's median position, and as written it does not: an
    unambiguous mistake, never decided for tables in metres or rows that fit either way.
    """
    ok = x.notna() & y.notna()
    if ok.sum() < 5:
        return x.index[:0]
    mx, my = float(x[ok].median()), float(y[ok].median())
    if not (abs(mx) <= 180 and abs(my) <= 90):
        return x.index[:0]

    def near(a, b):
        return ((a - mx).abs() <= reach) & ((b - my).abs() <= reach)

    return x.index[(ok & near(y, x) & ~near(x, y)).to_numpy()]


#: The codes of the loader's rows skipped for their coordinates (:func:`skipped_text`).
SKIPPED_CODES = ("bad_coordinates", "zero_coordinates")


def skipped_text(code: str, n: int) -> tuple[str, str]:
    """The (zh, en) words of the problem ``code`` (:data:`SKIPPED_CODES`) for ``n`` skipped rows.

    One place writes them, so that a problem whose rows change later (some placed by address or
    merged) is said again for the rows left, "1 row … was", never "1 rows … were"."""
    if code == "zero_coordinates":
        return (f"{n} 行坐标为 0,0（未定位时系统填的默认值），已跳过",
                f"{count_en(n, 'row')} with coordinates 0,0 (a default for a position never taken) "
                f"{plural_en(n, 'was')} skipped")
    return (f"{n} 行坐标为空或不是数字，已跳过",
            f"{count_en(n, 'row')} with empty or non-numeric coordinates {plural_en(n, 'was')} skipped")


def recount_skipped(problem) -> None:
    """Say ``problem`` (one of :data:`SKIPPED_CODES`) again for the rows it names now."""
    problem.zh, problem.en = skipped_text(problem.code, len(problem.features))


__all__ = ["SKIPPED_CODES", "TOTAL_WORDS", "is_total_cell", "recount_skipped", "row_label", "said_totals",
           "skipped_text", "swapped_rows", "total_rows", "zero_rows"]
