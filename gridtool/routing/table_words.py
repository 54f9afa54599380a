"""Headers and coded values of the CSV tables the routing commands write, in the language of
``--lang``.

Users' scripts read these headers, so the mapping is fixed and documented (command help, and
:data:`HEADERS` here): ``--lang zh`` (the default) writes the Chinese headers and Chinese values
(类别 学校, 必到 是); ``--lang en`` the English column names and gridtool's codes (category
school, must True); ``--lang both`` ``中文 english`` headers with the codes, as
``patrol-stops.csv`` always had.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import feature_id_zh
from ..roles import PLACE_CATEGORIES, STOP_CATEGORIES

#: Column → (Chinese header, English header) of every routing CSV.
HEADERS = {
    # patrol-stops.csv
    "team": ("队伍", "team"), "seq": ("顺序", "seq"), "place": ("地点", "place"), "category": ("类别", "category"),
    "station": ("站点", "station"), "visit": ("第几次", "visit"), "must": ("必到", "must"),
    "arrive": ("到达", "arrive"), "depart": ("离开", "depart"), "dwell_min": ("停留分钟", "dwell_min"), "wait_min": ("等候分钟", "wait_min"),
    "window": ("时间窗", "window"), "src_id": ("来源编号", "src_id"), "lon": ("经度", "lon"), "lat": ("纬度", "lat"),
    # walk-*-streets.csv
    "walker": ("巡查人", "walker"), "repeat": ("重复", "repeat"), "length_m": ("长度（米）", "length_m"),
    "repeat_m": ("重复（米）", "repeat_m"), "minutes": ("分钟", "minutes"),
    # seal.csv
    "exit": ("卡口", "exit"), "km": ("公里", "km"),
    # coverage-*-villages.csv
    "name": ("村（社区）", "name"), "code": ("代码", "code"), "hh": ("户数", "hh"), "covered_hh": ("覆盖户数", "covered_hh"),
    "uncovered_hh": ("未覆盖户数", "uncovered_hh"), "share": ("覆盖率", "share"),
}

#: Coded values written in Chinese under ``--lang zh``.
VALUES_ZH = {"category": {**PLACE_CATEGORIES, **STOP_CATEGORIES}}
_YES_NO = {True: "是", False: "否"}

if TYPE_CHECKING:
    import pandas as pd


def header(column: str, lang: str = "zh") -> str:
    """The header of ``column`` in ``lang`` (``zh``, ``en`` or ``both``); unknown columns as they are."""
    zh, en = HEADERS.get(column, (column, column))
    return zh if lang == "zh" else en if lang == "en" else (f"{zh} {en}" if zh != en else en)


def source_id_zh(value):
    """A source id in Chinese: spreadsheet ``row 3`` → ``第3行``, ``hotspot 2`` → ``热点2``; others as they are."""
    if not isinstance(value, str):
        return value
    if value.startswith("hotspot ") and value[8:].isdigit():
        return f"热点{value[8:]}"
    return feature_id_zh(value)


def localise_table(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``df`` with its headers in ``lang`` and, in Chinese, category words, 是/否 for booleans and
    source ids as 第3行.

    Parameters
    ----------
    df : pandas.DataFrame
        A routing table with gridtool's column names (``team``, ``category`` …).
    lang : {"zh", "en", "both"}
        Chinese headers and values; English headers and codes; or ``中文 english`` headers
        with the codes.

    Returns
    -------
    pandas.DataFrame
        A copy, ready for :func:`gridtool.cells.csv_bytes`.
    """
    import pandas as pd  # not at import: the command line registers its help from this module

    out = df.copy()
    if lang == "zh":
        for col in out.columns:
            table = VALUES_ZH.get(col)
            if table is not None:
                out[col] = out[col].map(lambda v, t=table: t.get(v, v) if isinstance(v, str) else v)
            elif col == "src_id":
                out[col] = out[col].map(source_id_zh)
            elif pd.api.types.is_bool_dtype(out[col]):
                out[col] = out[col].map(_YES_NO)
    return out.rename(columns={c: header(c, lang) for c in out.columns})


def header_starts(columns, langs=("zh", "en", "both")) -> list[list[str]]:
    """The first headers of a table in every language (to recognise gridtool's own CSVs)."""
    return [[header(c, lang) for c in columns] for lang in langs]


#: The ``--lang`` help of the commands that write these tables.
LANG_TABLE_HELP = ("CSV 表头随 gridtool --lang：zh（默认）中文表头与类别；en 英文列名（team, seq, place…）与原始代码；"
                   "both“中文 english”表头（见 docs/ROUTING.md）/ CSV headers follow gridtool --lang: zh (default) "
                   "Chinese headers and values; en English column names (team, seq, place…) and codes; both "
                   "'中文 english' headers (docs/ROUTING.md)")


__all__ = ["HEADERS", "LANG_TABLE_HELP", "VALUES_ZH", "header", "header_starts", "localise_table", "source_id_zh"]
