"""Attributes kept in KML descriptions, turned into columns.

奥维互动地图 (Ovital), ArcGIS "Layer to KML" and many Chinese web tools export a placemark's attributes
not as ``<ExtendedData>`` but as HTML in its ``<description>``: a table of two-cell rows
(``<tr><td>户数</td><td>54</td></tr>``) or lines like ``户数：54<br>户主：张三``. GDAL reads that as
one text column, so without this module a roster's 户数 is lost (every placemark counted as one
household), a village's 区划代码 and a road's 等级 are never found, and the phone numbers in it
travel on as unmasked text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pandas as pd

#: Longest key taken from a ``键：值`` line; longer text before a colon is a sentence, not a field.
_MAX_KEY_CHARS = 16
# A key holds no sentence punctuation: "此处施工，注意：绕行" is a note, not a field.
_LINE = re.compile(rf"^\s*([^:：=，。；！？,;!?]{{1,{_MAX_KEY_CHARS}}}?)\s*[:：=]\s*(.*?)\s*$")


class _TableRows(HTMLParser):
    """Collects the cells of each innermost ``<tr>`` (ArcGIS nests the attribute table in an outer
    one) and the text with ``<br>``/``<p>``/``<div>`` as line breaks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.heads: list[bool] = []  # per row: every cell a <th> (a header row, read across)
        self.stack: list[list[str]] = []
        self.kinds: list[list[str]] = []
        self.lines: list[str] = [""]

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.stack.append([])
            self.kinds.append([])
        elif tag in ("td", "th") and self.stack:
            self.stack[-1].append("")
            self.kinds[-1].append(tag)
        elif tag in ("br", "p", "div", "li"):
            self.lines.append("")

    def handle_endtag(self, tag):
        if tag == "tr" and self.stack:
            self.rows.append(self.stack.pop())
            kinds = self.kinds.pop()
            self.heads.append(bool(kinds) and all(k == "th" for k in kinds))
        elif tag in ("p", "div", "li", "tr"):
            self.lines.append("")

    def handle_data(self, data):
        if self.stack and self.stack[-1]:
            self.stack[-1][-1] += data
        self.lines[-1] += data


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _header_row_in_td(rows: list[list[str]], heads: list[bool]) -> list[bool]:
    """``heads`` with a header row written in plain ``<td>`` cells marked: a table of two rows of
    equal width whose first row holds only known header words (户主, 电话, 户数, 地址 …) and whose
    second does not. Read as key–value pairs it would make a 户主's name a column header."""
    from ..columns import is_header_word
    filled = [(r, h) for r, h in zip(rows, heads) if any(_clean(c) for c in r)]
    if len(filled) != 2 or any(h for _, h in filled):
        return heads
    (top, _), (below, _) = filled
    if len(top) < 2 or len(top) != len(below):
        return heads
    if len(top) == 2 and is_header_word(_clean(below[0])):
        return heads  # 类型 | 社区 over 名称 | 东风社区: a key down the left in both rows, two key–value pairs
    if all(is_header_word(_clean(c)) for c in top) and not all(is_header_word(_clean(c)) for c in below):
        return [r is top for r in rows]
    return heads


def description_fields(text) -> dict[str, str]:
    """The attributes in one description: a table read across (a ``<th>`` header row over one row
    of values, or a ``<td>`` row of known header words over one row of values), else its two-cell
    table rows, else its ``键：值`` lines.

    Returns an empty dict when the description is free text (a sentence, a note): it is then kept
    as it is. Keys are stripped of spaces and a trailing colon; empty keys are skipped.
    """
    if not isinstance(text, str) or not text.strip():
        return {}
    parser = _TableRows()
    try:
        parser.feed(text if "<" in text else html.escape(text).replace("\n", "<br>"))
        parser.close()
    except Exception:  # html.parser raises on little; a broken description stays text
        return {}
    out: dict[str, str] = {}
    rows = parser.rows
    heads = _header_row_in_td(rows, parser.heads)
    for i, (row, head) in enumerate(zip(rows, heads)):
        if not head or len(row) < 2:
            continue
        # A table read across: a header row of <th> and one row of values under it. Never its
        # values' row as a key–value pair (a 户主's name as a column header no mask reaches).
        data = [r for r, h in zip(rows[i + 1:], heads[i + 1:]) if not h and len(r) == len(row)]
        if len(data) != 1:  # several records under one header: a list, kept as text
            return {}
        for k, v in zip(row, data[0]):
            key = _clean(k).rstrip(":：")
            if key and len(key) <= _MAX_KEY_CHARS * 2:
                out.setdefault(key, _clean(v))
        return out
    for row, head in zip(rows, heads):
        if len(row) == 2 and not head:
            key = _clean(row[0]).rstrip(":：")
            if key and len(key) <= _MAX_KEY_CHARS * 2:
                out.setdefault(key, _clean(row[1]))
    if out:
        return out
    lines = [_clean(line) for line in parser.lines if _clean(line)]
    matches = [_LINE.match(line) for line in lines]
    # Lines only when every line is a field: "注：此处施工" in a note must not become a column.
    if len(lines) >= 1 and all(matches):
        for m in matches:
            out.setdefault(m.group(1).strip(), m.group(2))
    return out


def expand_descriptions(gdf, column: str = "description"):
    """Add the attributes of ``column``'s descriptions as columns of ``gdf``.

    A key that is already a column fills only its empty cells (ExtendedData wins). When every
    non-empty description was read as fields, ``column`` is dropped: its content now lives in the
    columns, where personal ones (户主, 电话) are found and masked like any roster's.

    Returns
    -------
    (GeoDataFrame, list of str)
        The layer and the names of the columns taken from the descriptions, in their first order.
    """
    if column not in gdf.columns:
        return gdf, []
    parsed = [description_fields(v) for v in gdf[column]]
    keys: list[str] = []
    for fields in parsed:
        keys += [k for k in fields if k not in keys]
    if not keys:
        return gdf, []
    gdf = gdf.copy()
    added = []
    for key in keys:
        values = pd.Series([f.get(key) for f in parsed], index=gdf.index, dtype=object)
        values = values.where(values.map(lambda v: v not in (None, "")), None)
        if key in gdf.columns:
            old = gdf[key]
            empty = old.isna() | (old.astype(str).str.strip() == "")
            gdf[key] = old.where(~empty, values)
        else:
            gdf[key] = values
            added.append(key)
    text = gdf[column]
    has_text = text.notna() & (text.astype(str).str.strip() != "")
    if all(bool(f) for f, t in zip(parsed, has_text) if t):
        gdf = gdf.drop(columns=[column])
    return gdf, added


__all__ = ["description_fields", "expand_descriptions"]
