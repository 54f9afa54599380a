"""Which id a roster's households carry (``src_id``), and a warning when it is only the row.

A roster without an ID column gets ids from its row order (``FID 96`` of a shapefile, ``row 98`` of
a table; not a GeoPackage, whose fid is its table's key and survives other rows' deletion). Those are how a message points to a row in the file, but they shift when rows are added or
removed: next year ``gridtool edit --move "FID 96=…"`` names another building. So import says so,
naming the fix: a 户编号/门牌号 column, or ``--field households.id=COLUMN`` (then ``src_id`` is that
column's value). A column that would do (unique addresses, 门牌号) is named when the roster has one.
A redraw from the previous plan matches households by position, not by these ids
(:mod:`gridtool.partition.previous`), so shifted rows never pair the wrong households there.

Written by hand: the column rules are gridtool's (:mod:`gridtool.columns`, :mod:`gridtool.personal`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .columns import find_column
from .personal import address_columns
from .problems import Problem

#: Headers of a column that can key a household year after year (compared as substrings).
_KEY_WORDS = ("门牌", "户编号", "户号", "房号")


def _text(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    s = str(v).strip()
    return s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s


def ids_from_column(gdf: gpd.GeoDataFrame, column: str, fallback: pd.Series) -> pd.Series:
    """``--field households.id=COLUMN``: each row's value as text; a blank cell, or a value other
    rows share (validation reports it as an error), keeps its row id, so that messages and edits
    name one row, not every row of that value."""
    text = gdf[column].map(_text)
    return text.where((text != "") & ~text.duplicated(keep=False), fallback.loc[gdf.index].astype(str))


def row_ids_warning(gdf: gpd.GeoDataFrame, *, file: str, layer: str | None, example: list[str]) -> Problem | None:
    """The warning for a households layer whose ids are its row order (no ID column found by header);
    ``None`` when it has one. ``example``: a few of the row ids given, to show their form."""
    cols = [c for c in gdf.columns if c not in ("geometry", "src_id", "osm_id")]
    if find_column(cols, "id") is not None:
        return None
    usable = [c for c in cols if (c in address_columns(cols) or any(w in str(c) for w in _KEY_WORDS))
              and _unique_and_filled(gdf[c])]
    from .errors import feature_id_zh
    shown = "、".join(feature_id_zh(e) for e in example[:2])
    hint_zh = f"；本名册的“{usable[0]}”列每行不同，可直接用 --field households.id={usable[0]}" if usable else ""
    hint_en = f"; this roster's column {usable[0]!r} differs on every row: --field households.id={usable[0]}" \
        if usable else ""
    return Problem(
        "warning", "row_ids",
        f"住户名册没有编号列（户编号、门牌号等），住户编号按行号生成（如 {shown}）：名册增删行后同一户的编号会变，"
        "按编号的操作（gridtool edit --move 编号=网格）可能指向别的楼栋",
        f"the roster has no ID column (户编号, 门牌号 …): households are numbered by row ({', '.join(example[:2])} …), "
        "and these numbers change when rows are added or removed, so an edit by number (gridtool edit --move "
        "ID=CODE) may name another building",
        fix_zh="在名册中加一列“户编号”或“门牌号”（每户唯一、逐年不变），或用 --field households.id=列名 指定"
               f"已有的唯一列{hint_zh}。按上一版重绘时住户按位置匹配，不受行号变化影响。",
        fix_en="add a 户编号 or 门牌号 column (unique per household, the same every year), or name an existing "
               f"unique column with --field households.id=COLUMN{hint_en}. A redraw from the previous plan matches "
               "households by position, so shifted row numbers do not affect it.",
        role="households", file=file, layer=layer)


# 不动产单元号 (28 characters: 12-digit village code, 宗地特征码 JC/GB/…, 5-digit parcel number, F/L/W/G
# and 8 digits of the building/unit) and 宗地代码 (its first 19 characters), as 不动产登记 writes them.
_UNIT_RE = r"\d{12}[A-Z]{2}\d{5}[FLWGQ]\d{8}"
_PARCEL_RE = r"\d{12}[A-Z]{2}\d{5}"
_UNIT_HEADERS = ("不动产单元号", "不动产单元代码", "不动产单元编号", "不动产单元编码", "bdcdyh")
_PARCEL_HEADERS = ("宗地代码", "宗地编码", "宗地编号", "宗地号", "zddm")


def parcel_id_column(gdf: gpd.GeoDataFrame) -> tuple[str, str, str] | None:
    """A 不动产单元号 or 宗地代码 column to key households by, when the roster has no better one (a
    户编号/户号/门牌号 column): (column, zh, en) of the first, unit numbers before parcel codes, whose
    values are filled and differ on every row (several households on one parcel share its code)."""
    from .columns import _key
    cols = [c for c in gdf.columns if c not in ("geometry", "src_id", "osm_id")]
    if any(any(w in str(c) for w in _KEY_WORDS) and _unique_and_filled(gdf[c]) for c in cols):
        return None
    for pattern, headers, zh, en in ((_UNIT_RE, _UNIT_HEADERS, "不动产单元号（28 位）", "real-estate unit number (28 characters)"),
                                     (_PARCEL_RE, _PARCEL_HEADERS, "宗地代码（19 位）", "parcel code (19 characters)")):
        for c in cols:
            text = gdf[c].map(_text).str.upper()
            by_header = _key(c) in {_key(h) for h in headers}
            by_content = bool(len(text)) and text.str.fullmatch(pattern).mean() >= 0.9
            if (by_header or by_content) and text.str.fullmatch(pattern).any() and _unique_and_filled(gdf[c]):
                return c, zh, en
    return None


def _unique_and_filled(s: pd.Series) -> bool:
    t = s.map(_text)
    return bool(len(t)) and not (t == "").any() and not t.duplicated().any()


__all__ = ["ids_from_column", "parcel_id_column", "row_ids_warning"]
