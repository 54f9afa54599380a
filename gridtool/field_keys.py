"""The columns a planner can name for each layer role, as ``--field ROLE.KEY=COLUMN`` takes them,
with their words: one list for the command line and the app's 字段 dialog, so both offer the same.

The loader (:mod:`gridtool.layers`) finds each of these by header and often by content, and says
what it found; these are the keys it reads from ``fields`` when the guess is wrong. ``lon``/``lat``
apply to tables (CSV, Excel) only; the household count (``hh``) has its own box in the wizard.
"""

from __future__ import annotations

#: Keys the loader reads for each role, most asked for first.
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "households": ("village", "id", "name", "lon", "lat"),
    "villages": ("name", "code", "township", "county"),
    "roads": ("name", "class", "oneway"),
    "rivers": ("name", "kind"),
    "railways": ("name", "kind"),
    "forest": ("kind",),
    "landuse": ("dlbm", "dlmc"),
    "places": ("name", "category", "priority", "lon", "lat"),
    "stations": ("name", "kind", "lon", "lat"),
    "party_members": ("name", "village", "lon", "lat"),
    "incidents": ("time", "clock", "type", "lon", "lat"),
}

#: Keys whose columns exist only in tables (a geometry file has its coordinates).
TABLE_ONLY = ("lon", "lat")

_WORDS: dict[str, tuple[str, str]] = {
    "village": ("所属村（社区）", "village"),
    "id": ("户编号（门牌号等，逐年不变）", "household id (doorplate, stable from year to year)"),
    "name": ("名称", "name"),
    "lon": ("经度 / X", "longitude / X"),
    "lat": ("纬度 / Y", "latitude / Y"),
    "code": ("区划代码", "division code"),
    "township": ("乡镇（街道）", "township"),
    "county": ("区县", "county"),
    "class": ("道路等级", "road class"),
    "oneway": ("单行", "one-way"),
    "kind": ("类型", "kind"),
    "dlbm": ("地类编码（DLBM）", "land-use code (DLBM)"),
    "dlmc": ("地类名称（DLMC）", "land-use name (DLMC)"),
    "category": ("类别", "category"),
    "priority": ("重点等级", "priority"),
    "time": ("报警时间", "call time"),
    "clock": ("时刻（日期另列时）", "clock time (when the date is a column of its own)"),
    "type": ("警情类别", "incident type"),
}
_ROLE_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("households", "name"): ("户主姓名（个人信息，导出时隐去）", "householder's name (personal, masked in outputs)"),
    ("party_members", "name"): ("党员姓名", "member's name"),
    ("villages", "name"): ("村（社区）名称", "village name"),
    ("rivers", "kind"): ("水系类型（河流、沟渠…）", "kind (river, ditch …)"),
    ("railways", "kind"): ("铁路类型", "kind"),
    ("forest", "kind"): ("地类", "land kind"),
}


def field_keys(role: str, *, table: bool) -> tuple[str, ...]:
    """The keys a planner can name for ``role``; ``table``: the file is a CSV or Excel sheet."""
    keys = FIELD_KEYS.get(role, ())
    return keys if table else tuple(k for k in keys if k not in TABLE_ONLY)


def key_words(role: str, key: str) -> tuple[str, str]:
    """(Chinese, English) words for ``key`` of ``role``."""
    return _ROLE_WORDS.get((role, key)) or _WORDS.get(key, (key, key))
