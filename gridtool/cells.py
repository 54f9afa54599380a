"""Spreadsheet-safe cells: text from the data never runs as a formula in Excel, WPS or LibreOffice.

A place named ``=HYPERLINK("http://…","点我")`` or ``+cmd|' /C calc'!A0`` in a roster is data, and a
CSV or XLSX written by gridtool must show it as text (CSV/formula injection, OWASP). Every writer of
CSV or XLSX goes through :func:`csv_bytes` / :func:`safe_frame` (CSV) or :func:`write_rows` (XLSX):

- CSV has no cell types, so a text that starts with ``= + - @``, a tab or a carriage return gets a
  leading apostrophe, the convention spreadsheet programs show as "text" (OWASP's advice);
- XLSX has cell types: such text is written as a string cell (openpyxl would otherwise store a
  formula), so the cell shows exactly the data, without an added apostrophe.

Numbers stay numbers: ``-5`` as an int or float is a number, not a formula.
"""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

#: First characters that make a spreadsheet program read a cell as a formula (or a DDE call).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """True for a text that a spreadsheet program would evaluate when it is typed into a cell."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_text(value: Any) -> Any:
    """The value to write into a CSV cell: formula-like text gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are safe to write as CSV (headers included)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_text)
    out.columns = [csv_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as the bytes of a CSV file Excel on Chinese Windows opens right: UTF-8 with a BOM,
    CRLF line ends (so a carriage return inside a cell is quoted), formula-like text neutralised."""
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def write_rows(ws, rows: Iterable[Iterable[Any]]) -> None:
    """Append ``rows`` to an openpyxl worksheet; every text cell is stored as text, never a formula.

    openpyxl stores a string that starts with ``=`` as a formula; setting the cell's type to string
    after assignment keeps the characters and makes the program show them as typed.
    """
    for row in rows:
        values = [None if _missing(v) else v for v in row]
        ws.append(values)
        # The row append just wrote (``ws.max_row`` scans every cell: quadratic on long sheets).
        r = getattr(ws, "_current_row", None) or ws.max_row
        for j, v in enumerate(values, start=1):
            if isinstance(v, str):
                cell = ws.cell(row=r, column=j)
                cell.value = v
                cell.data_type = "s"


def _missing(v: Any) -> bool:
    try:
        return v is None or (not isinstance(v, str) and bool(pd.isna(v)))
    except (TypeError, ValueError):
        return False
