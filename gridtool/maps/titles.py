"""Titles and the map maker's name (制图单位) of every print and of the HTML map.

A township's wall map is titled by the place it shows — ``锡山区东港镇网格化管理分布图`` — never by
a file name (the roster's ``花名册`` used to become the title). The place comes from the user's own
data, in this order:

1. town and county columns of the villages layer (``乡镇``/``街道``/``township`` …, ``区县``/
   ``county`` …); villages of several towns are named by their county, else by the towns
   (``新街口街道、华侨路街道``, beyond three ``…等5个街道``), never by one of them;
2. the part that every village name starts with, when it ends like a township or a county
   (``东港镇张泾村``, ``东港镇东亭社区`` → ``东港镇``), as land-survey (三调) names are written;
3. a feature of any layer whose code is the villages' common township (or county) code prefix and
   which has a name (a township boundary in the villages layer);
4. nothing: a neutral title (``网格化管理分布图``).

Only the user's data is used: gridtool ships no table of division names. ``--title`` replaces the
whole title, ``--township`` the place in it, ``--unit`` sets the 制图单位 (default: the place).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

#: Headers of a township column and of a county column (compared without spaces, lower case).
TOWN_HEADERS = ("township", "town", "乡镇", "乡镇街道", "乡镇（街道）", "镇街", "镇（街道）", "街道", "所属乡镇",
                "所属街道", "乡镇名称", "街道名称", "镇", "乡", "xzmc", "xiangzhen")
COUNTY_HEADERS = ("county", "district", "区县", "县区", "县（区）", "区（县）", "所属区县", "区县名称", "县", "区",
                  "县市区", "xmc", "qxmc")

#: What each print is called after the place.
KIND_TITLES = {"wall": "网格化管理分布图", "atlas": "网格图册", "assessment": "网格考核五色图",
               "cards": "巡逻路线卡", "html": "网格图"}
KIND_TITLES_EN = {"wall": "grid management map", "atlas": "grid atlas", "assessment": "grid assessment map",
                  "cards": "patrol route cards", "html": "grid map"}

_TOWN_END = re.compile(r"^(.{1,12}?(?:街道办事处|街道|镇|乡|苏木))")
_VILLAGE_ENDS = ("村", "社区", "居委会", "委员会", "嘎查", "居")
_COUNTY_END = re.compile(r"^(.{1,10}?(?:自治县|县|区|市|旗))")


@dataclass(frozen=True)
class Place:
    """The county and township the data cover, and where that was read from (``source``)."""

    county: str = ""
    township: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        if self.county and self.township.startswith(self.county):
            return self.township
        return f"{self.county}{self.township}"


def _norm(h) -> str:
    return re.sub(r"\s+", "", str(h)).lower()


def _column(df: pd.DataFrame, headers) -> str | None:
    keys = {_norm(c): c for c in df.columns if c != "geometry"}
    for h in headers:
        if _norm(h) in keys:
            return keys[_norm(h)]
    return None


def _names_by_count(values) -> list[str]:
    """The distinct names, most frequent first; codes (``320102``, derived from the division code
    when the layer has no town or county name) are not names for a title."""
    vals = [str(v).strip() for v in values if v is not None and not (isinstance(v, float) and v != v)
            and str(v).strip() and str(v).strip().lower() not in ("nan", "none") and not str(v).strip().isdigit()]
    return [n for n, _ in Counter(vals).most_common()]


def _most_common(values) -> str:
    names = _names_by_count(values)
    return names[0] if names else ""


def towns_text(towns: list[str]) -> str:
    """Several towns as a title names them: ``新街口街道、华侨路街道``; beyond three the first two and
    the count (``新街口街道、华侨路街道等5个街道``)."""
    if len(towns) <= 3:
        return "、".join(towns)
    kinds = [k for k in ("街道", "镇", "乡") if all(t.endswith(k) for t in towns)]
    return f"{'、'.join(towns[:2])}等{len(towns)}个{kinds[0] if kinds else '乡镇（街道）'}"


def find_place(project) -> Place:
    """The county and township of the project's villages (see the module docstring)."""
    lyr = project.layers.get("villages") if hasattr(project, "layers") else None
    v = lyr.gdf if lyr is not None else None
    if v is None or not len(v):
        return Place()
    town_col, county_col = _column(v, TOWN_HEADERS), _column(v, COUNTY_HEADERS)
    towns = _names_by_count(v[town_col]) if town_col else []
    county = _most_common(v[county_col]) if county_col else ""
    # Villages of several towns: the county names them all, else the towns do (never one of them).
    town = "" if len(towns) > 1 and county else towns_text(towns)
    if town or county:
        used = (county_col if county else None, town_col if town else None)
        return Place(county, town, "columns: " + ", ".join(c for c in used if c))
    names = [str(n).strip() for n in v["name"].dropna()] if "name" in v else []
    names = [n for n in names if n and n.lower() != "nan"]
    if len(names) >= 2:
        pre = os.path.commonprefix(names)
        m_c = _COUNTY_END.match(pre)
        rest = pre[m_c.end():] if m_c else pre
        m_t = _TOWN_END.match(rest)
        # Only names written in full (东港镇张泾村, 东港镇东亭社区): a village part after the township.
        if m_t and all(n.endswith(_VILLAGE_ENDS) and len(n) > len(pre) for n in names):
            return Place(m_c.group(1) if m_c else "", m_t.group(1), "village names")
    codes = [str(c) for c in v["code"].dropna()] if "code" in v else []
    codes = [c for c in codes if len(c) == 12 and c.isdigit()]
    if codes:
        pre = os.path.commonprefix(codes)
        for length, what in ((9, "township"), (6, "county")):
            if len(pre) < length:
                continue
            want = {pre[:length] + "0" * (12 - length), pre[:length]}
            for other in project.layers.values():
                g = other.gdf
                if g is None or "code" not in g or "name" not in g:
                    continue
                hit = g[g["code"].astype(str).isin(want) & g["name"].notna()]
                if len(hit):
                    name = str(hit["name"].iat[0]).strip()
                    return Place("" if what == "township" else name, name if what == "township" else "",
                                 f"code {pre[:length]}")
    return Place()


def names_text(names: list[str], unit: str) -> str:
    """Names as a title lists them: up to three joined by ``、``, beyond three the first two and the
    count (``东风村、红星村等5个村（社区）``)."""
    return "、".join(names) if len(names) <= 3 else f"{'、'.join(names[:2])}等{len(names)}个{unit}"


def _village_names(project, area) -> list[str]:
    """Names of the villages ``area`` covers, most covered first (the villages layer, else the
    ``village`` column of the grids inside it)."""
    import shapely
    for role, col in (("villages", "name"), ("grids", "village")):
        lyr = project.layers.get(role)
        g = lyr.gdf if lyr is not None else None
        if g is None or col not in g or not len(g):
            continue
        geoms = shapely.make_valid(g.geometry.values)
        parts = shapely.intersection(geoms, area) if area is not None else geoms
        # a grid covers a village by area; routes (lines) run through it by length
        lines = area is not None and shapely.get_dimensions(area) < 2
        share = shapely.length(parts) if lines else shapely.area(parts)
        order = [i for a, i in sorted((-float(a), i) for i, a in enumerate(share) if a > 0)]
        valid = set(_names_by_count([g[col].iat[i] for i in order]))  # no codes, no blanks
        names = list(dict.fromkeys(n for n in (str(g[col].iat[i]).strip() for i in order) if n in valid))
        if names:
            return names
    return []


def route_place(project, *, area=None) -> Place:
    """The place a patrol route's or a street walk's title names, never a file name (``demo_project``
    is not what an officer prints). In order: the township of the data (:func:`find_place`); for a
    street walk (``area``, the grid) the villages it lies in; for patrol routes the stations they
    start from (``城关派出所``), else the villages they run through; a project name the user wrote in
    Chinese; nothing (the title is then the kind alone, ``巡逻路线``). ``source`` says which."""
    place = find_place(project)
    if place.label:
        return place
    if area is not None:
        names = _village_names(project, area)
        return Place("", names_text(names, "村（社区）"), "villages of the grid") if names else _named(project)
    routes = project.layers.get("routes")
    stations = project.layers.get("stations")
    for lyr, col in ((routes, "station"), (stations, "name")):
        names = _names_by_count(lyr.gdf[col]) if lyr is not None and col in lyr.gdf else []
        if names:
            return Place("", names_text(names, "站点"), f"{lyr.role}: {col}")
    if routes is not None and len(routes.gdf):
        import shapely
        names = _village_names(project, shapely.union_all(routes.gdf.geometry.values))
        if names:
            return Place("", names_text(names, "村（社区）"), "villages of the routes")
    return _named(project)


def _named(project) -> Place:
    """The project's name when the user wrote one in Chinese (``城关``), not a file's (``demo_project``)."""
    name = str(getattr(project, "name", "") or "").strip()
    return Place("", name, "project name") if re.search(r"[\u4e00-\u9fff]", name) and not re.search(r"[_/\\.]", name) \
        else Place()


def map_title(project, kind: str = "wall", *, title: str | None = None, township: str | None = None,
              lang: str = "zh") -> str:
    """The title of a print: ``title`` as given, else ``<township>`` + the kind (``网格化管理分布图``)."""
    if title:
        return title
    if township is not None:
        place = township
    else:  # a route card is titled by its station or villages when the data name no township
        place = (route_place(project) if kind == "cards" else find_place(project)).label
    if lang == "en":
        return f"{place} {KIND_TITLES_EN[kind]}".strip().capitalize() if place else KIND_TITLES_EN[kind].capitalize()
    return f"{place}{KIND_TITLES[kind]}"


def map_unit(project, *, unit: str | None = None, township: str | None = None) -> str:
    """The 制图单位 printed on the map: as given, else the township (and county) of the data."""
    if unit is not None:
        return unit.strip()
    return township if township is not None else find_place(project).label


__all__ = ["KIND_TITLES", "Place", "find_place", "map_title", "map_unit", "names_text", "route_place", "towns_text"]
