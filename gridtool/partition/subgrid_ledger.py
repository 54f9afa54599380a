"""The sub-grid ledger (楼长, 网格助理 joined with ``gridtool join`` onto the sub-grids) across a
redraw from last year's project: a sub-grid whose households are exactly last year's (the same
buildings, the same households in each) keeps its people, whatever its code now; every other
sub-grid of last year that had someone is listed as needing a new assignment, as is every sub-grid
now without anyone (the ledger's 重绘变化 sheet, :mod:`gridtool.maps.ledger_changes`). A locked
grid's sub-grids are kept by code (:mod:`.locked_subgrids`): they keep their people even when the
roster took households from them.

Buildings are matched by position as the redraw matches them (:func:`.previous.match_points`,
within :data:`.previous.MATCH_TOLERANCE`); a sub-grid's households are the ``subgrid`` /
``subgrid_parts`` of the households layers.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..spatial import household_points
from .previous import MATCH_TOLERANCE, match_points, parse_parts


def _members(hs: gpd.GeoDataFrame, rows=None) -> dict[str, frozenset]:
    """Sub-grid code → its households as (building, households) pairs; ``rows`` renames buildings
    (last year's row → this year's, ``None``: gone)."""
    out: dict[str, set] = {}
    hh = pd.to_numeric(hs["hh"], errors="coerce").fillna(0).astype(int).tolist() if "hh" in hs else [1] * len(hs)
    parts = hs["subgrid_parts"].tolist() if "subgrid_parts" in hs else [None] * len(hs)
    for i, (sg, sp, n) in enumerate(zip(hs["subgrid"].tolist(), parts, hh)):
        b = i if rows is None else rows.get(i)
        for code, k in parse_parts(sg, sp):
            out.setdefault(code, set()).add((b, n if k is None else k))
    return {c: frozenset(m) for c, m in out.items()}


def _pairs(old: dict, now: dict) -> dict[str, str]:
    """New code → old code of the sub-grids with the same households. Parts of one apartment
    building with equal shares look alike: they pair in code order."""
    by_old: dict = {}
    for c, m in sorted(old.items()):
        if None not in {x for x, _ in m}:  # no building of it gone
            by_old.setdefault(m, []).append(c)
    out = {}
    by_now: dict = {}
    for c, m in sorted(now.items()):
        by_now.setdefault(m, []).append(c)
    for m, olds in by_old.items():
        out.update(zip(by_now.get(m, []), olds))
    return out


def carry_subgrid_columns(prev_subgrids: gpd.GeoDataFrame, prev_households: gpd.GeoDataFrame, joined: set,
                          old_sensitive: dict, subgrids: gpd.GeoDataFrame, households: gpd.GeoDataFrame,
                          sensitive: dict, same: dict | None = None) -> dict | None:
    """Put the ``joined`` columns of last year's sub-grids on this year's sub-grids with the same
    households (in place: ``subgrids``, ``sensitive``; a value already there wins).

    Returns what was done, or ``None`` when there was nothing joined: ``columns``, ``grids`` (the
    sub-grids now, as the grids' entry counts them),
    ``with_values``, ``carried`` (new code → old code), ``reassign`` (last year's sub-grids with a
    value and no identical sub-grid now: ``{"old", "grid", "households"}``) and ``codes_without``
    (this year's sub-grids with no value). ``same``: new code → old code of sub-grids kept whole
    (a locked grid's, :mod:`.locked_subgrids`): they keep their people whatever their households.
    """
    if prev_subgrids is None or prev_households is None or "subgrid" not in prev_households \
            or "code" not in prev_subgrids or "subgrid" not in households or "code" not in subgrids:
        return None
    cols = [c for c in prev_subgrids.columns if c in joined and c not in ("geometry", "code")]
    if not cols:
        return None
    ph = prev_households
    if ph.crs is not None and households.crs is not None:
        ph = ph.to_crs(households.crs)
    ph = ph.reset_index(drop=True)
    a = shapely.get_coordinates(household_points(ph).values)
    b = shapely.get_coordinates(household_points(households.reset_index(drop=True)).values)
    rows = dict(match_points(a, b, MATCH_TOLERANCE))
    old, now = _members(ph, rows), _members(households.reset_index(drop=True))
    same = same or {}
    back = {n: o for n, o in _pairs(old, now).items() if o not in set(same.values())} | dict(same)
    prev = prev_subgrids.assign(_code=prev_subgrids["code"].astype(str)).drop_duplicates("_code").set_index("_code")
    codes = subgrids["code"].astype(str)
    looked = codes.map(back)
    for c in cols:
        vals = looked.map(prev[c])
        if c in subgrids:
            mine = subgrids[c]
            subgrids[c] = mine.where(~(mine.isna() | (mine.astype(str).str.strip() == "")), vals)
        else:
            subgrids[c] = vals
        if c in (old_sensitive or {}):
            sensitive[c] = old_sensitive[c]
    has = np.zeros(len(subgrids), dtype=bool)
    for c in cols:
        has |= (subgrids[c].notna() & (subgrids[c].astype(str).str.strip() != "")).to_numpy()
    had = np.zeros(len(prev), dtype=bool)
    for c in cols:
        had |= (prev[c].notna() & (prev[c].astype(str).str.strip() != "")).to_numpy()
    kept = set(back.values())
    grid_of = prev["grid"].astype(str).to_dict() if "grid" in prev else {}
    reassign = [{"old": c, "grid": grid_of.get(c), "households": int(sum(n for _, n in old.get(c, ())))}
                for c, h in zip(prev.index, had) if h and c not in kept]
    return {"columns": cols, "grids": int(len(subgrids)), "with_values": int(has.sum()),
            "carried": {n: o for n, o in sorted(back.items()) if n in set(codes)},
            "reassign": reassign, "codes_without": codes[~has].tolist()}
