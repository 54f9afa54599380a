"""Placing incidents without coordinates by their address, offline (地址匹配).

A 110 export leaves many calls unlocated (coordinates empty or 0,0) while its 发案地址 names a door
the project already knows: a household of the roster (地址 ``中山路12号``) or a key place by name
(``人民中学``). A household's address places calls only when it names a door (a number in it:
``五老村`` or ``中山路`` alone is a village or a road). Such a call is placed on that household or place when the two texts are the same
once written alike (:func:`normalise_address`); nothing is geocoded, nothing guessed beyond that.
A text that matches points far apart (two 中山路1号 in two villages) places nothing.

Called by :meth:`gridtool.project.Project.from_sources`, so that ``import`` and ``patrol`` place
the same calls, and the loader's problems (which name the rows not placed) say how many were
placed by address (:data:`PLACED_CODE`) and how many stay unplaced.
"""

from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd

from .columns import _key
from .plurals import count_en, recount_en
from .io.table_rows import SKIPPED_CODES, recount_skipped, row_label
from .problems import Problem

#: The rule, as the console and the tables name it.
RULE_ZH, RULE_EN = "地址匹配", "address match"
#: The loader's problem codes of rows skipped for want of coordinates.
UNLOCATED_CODES = SKIPPED_CODES
#: The problem that names the rows placed by address.
PLACED_CODE = "placed_by_address"
#: Header names of an incident's address, best first (compared as in :mod:`gridtool.columns`).
INCIDENT_ADDRESS_NAMES = ("发案地址", "案发地址", "事发地址", "发生地址", "警情地址", "报警地址", "发案地点", "案发地点",
                          "事发地点", "地址", "地点", "address")
#: Header names of a household's address.
HOUSEHOLD_ADDRESS_NAMES = ("地址", "住址", "门牌地址", "门牌号", "家庭住址", "居住地址", "address", "addr")
#: Words after an address that say "near it": 中山路12号附近 is 中山路12号.
_NEAR = re.compile(r"(附近|旁边|旁|门口|对面|周边|一带|处)+$")
#: Spellings of a door number: 12#, 12號, 12 号 → 12号.
_NUMBER_SIGN = re.compile(r"(?<=\d)(#|號)")
#: A door number in an address (中山路12号, 3组12, 12-1): a household's address without one (五老村,
#: 中山路) is a village or a road, and places no call on that one household.
_DOOR = re.compile(r"\d")
#: Most metres between the points one address matches: a building, not two villages.
MAX_SPREAD_M = 100.0


def normalise_address(text) -> str:
    """An address written one way: no spaces, half-width (``１２号`` → ``12号``), ``#``/``號`` as
    ``号``, without a trailing 附近/旁/门口. ``""`` for an empty value."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s).lower()
    s = _NUMBER_SIGN.sub("号", s)
    return _NEAR.sub("", s)


def _column(columns, names) -> str | None:
    keys = {_key(c): c for c in reversed(list(columns)) if c != "geometry"}
    for n in names:
        if _key(n) in keys:
            return keys[_key(n)]
    for n in names:  # 发案地址（详细）, 户籍地址
        if not n.isascii():
            hit = next((c for k, c in keys.items() if _key(n) in k), None)
            if hit is not None:
                return hit
    return None


def _index(gdf: gpd.GeoDataFrame, column: str, crs) -> dict[str, list]:
    """Normalised text → the points (in ``crs``) carrying it."""
    pts = gdf.to_crs(crs).geometry.representative_point() if gdf.crs is not None else gdf.geometry
    out: dict[str, list] = {}
    for text, pt in zip(gdf[column].tolist(), pts):
        key = normalise_address(text)
        if key and pt is not None and not pt.is_empty:
            out.setdefault(key, []).append(pt)
    return out


def _one_point(points, metric: bool):
    """The centre of the points one address matched, or None when they lie far apart."""
    xs = np.array([p.x for p in points])
    ys = np.array([p.y for p in points])
    cx, cy = xs.mean(), ys.mean()
    spread = np.hypot(xs - cx, ys - cy).max()
    limit = MAX_SPREAD_M if metric else MAX_SPREAD_M / 111_000
    return (cx, cy) if spread <= limit else None


def place_by_address(incidents, households=None, places=None) -> int:
    """Place the unlocated rows of the ``incidents`` layer whose address matches a household's
    address or a place's name (:func:`normalise_address`); the layer is changed in place.

    Placed rows join ``incidents.gdf`` with ``placed_by`` = ``地址匹配`` (``坐标`` for the others);
    the loader's problems lose them and a problem :data:`PLACED_CODE` names them.

    Returns
    -------
    int
        Rows placed by address.
    """
    rows = incidents.unlocated
    if rows is None or not len(rows):
        return 0
    acol = _column(rows.columns, INCIDENT_ADDRESS_NAMES)
    if acol is None:
        return 0
    crs = incidents.gdf.crs
    known: dict[str, list] = {}
    sources = []
    if places is not None and "name" in places.gdf:
        known.update(_index(places.gdf, "name", crs))
        sources.append("重点场所名称")
    hcol = _column(households.gdf.columns, HOUSEHOLD_ADDRESS_NAMES) if households is not None else None
    if hcol is not None:
        for k, pts in _index(households.gdf, hcol, crs).items():
            if _DOOR.search(k):  # 五老村, 中山路: no door, and a call written so names none either
                known.setdefault(k, []).extend(pts)
        sources.append(f"住户“{hcol}”")
    metric = crs is not None and not crs.is_geographic
    found = {}
    for i, text in rows[acol].items():
        pts = known.get(normalise_address(text))
        xy = _one_point(pts, metric) if pts else None
        if xy is not None:
            found[i] = xy
    if not found:
        return 0
    placed = rows.loc[list(found)]
    xy = np.array(list(found.values()))
    gdf = incidents.gdf.copy()
    if "placed_by" not in gdf:
        gdf["placed_by"] = "坐标"
    # the loaded layer's columns only (its source columns may carry a _src suffix there)
    new = placed.assign(placed_by=RULE_ZH).reset_index(drop=True)
    new = new.reindex(columns=[c for c in gdf.columns if c != "geometry"])
    new = gpd.GeoDataFrame(new, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
    incidents.gdf = gpd.GeoDataFrame(pd.concat([gdf, new], ignore_index=True), geometry="geometry", crs=crs)
    incidents.unlocated = rows.drop(index=list(found))
    _update_problems(incidents, [row_label(i) for i in found], acol, sources)
    return len(found)


def _update_problems(incidents, placed_ids: list[str], acol: str, sources: list[str]) -> None:
    """The loader's unlocated-row problems without the rows placed, and one naming them."""
    done = set(placed_ids)
    kept = []
    left = 0
    for p in incidents.problems:
        if p.code in UNLOCATED_CODES:
            p.features = [f for f in p.features if f not in done]
            if not p.features:
                continue
            left += len(p.features)
        kept.append(p)
    where = "、".join(sources)
    p0 = next((p for p in incidents.problems if p.code in UNLOCATED_CODES), None)
    kept.append(Problem(
        "warning", PLACED_CODE,
        f"{len(placed_ids)} 条警情没有坐标，按{RULE_ZH}落图（“{acol}”与{where}去掉空格、全半角、号/#、"
        f"末尾“附近/旁/门口”后一致）；仍有 {left} 条未落图",
        f"{count_en(len(placed_ids), 'incident')} without coordinates placed by {RULE_EN} ({acol!r} equal to "
        f"{where} once spaces, full-width characters, 号/# and a trailing 附近/旁/门口 are set aside); "
        f"{left} still not placed",
        fix_zh="核对这些行的位置；要用实际坐标时在表格中补上经纬度。",
        fix_en="check these rows' positions; fill in their coordinates in the table to use real ones.",
        role="incidents", file=p0.file if p0 else None, layer=p0.layer if p0 else None, field=acol,
        features=placed_ids))
    for p in kept:  # the counts in the words follow the rows left
        if p.code in UNLOCATED_CODES:
            recount(p)
    incidents.problems[:] = kept


def recount(problem) -> None:
    """Say ``problem`` (not placed, :data:`UNLOCATED_CODES`, or placed by address,
    :data:`PLACED_CODE`) for the rows it names now: its count and the English words agreeing with
    it ("1 row … was skipped", "1 incident … placed")."""
    n = len(problem.features)
    if problem.code in UNLOCATED_CODES:
        recount_skipped(problem)
    elif problem.code == PLACED_CODE:  # "{n} 条警情没有坐标…" / "{n} incidents without coordinates…"
        problem.zh = re.sub(r"^\d+", str(n), problem.zh)
        problem.en = recount_en(problem.en, n, "incident")


def placed_by_address_count(problems) -> int:
    """Rows placed by address, from a layer's problems (saved with the project)."""
    return sum(len(p.features) for p in problems or () if p.code == PLACED_CODE)


__all__ = ["HOUSEHOLD_ADDRESS_NAMES", "INCIDENT_ADDRESS_NAMES", "PLACED_CODE", "RULE_EN", "RULE_ZH",
           "normalise_address", "place_by_address", "placed_by_address_count"]
