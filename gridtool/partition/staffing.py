"""Party-member links ("1+10", 党员联系户): each party member linked to 10–15 nearby households of
their own grid (地域就近).

Per grid, the households (a building with several counts several times) are matched to member
"slots" (up to ``max_links`` per member) by the Hungarian method on walking-straight-line
distance (scipy's ``linear_sum_assignment``), so the links are the nearest possible in total and
no member takes more than the maximum. Members get at least ``min_links`` whenever the grid has
enough households; a member left short is listed in the report.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from ..spatial import household_points


def party_links(households: gpd.GeoDataFrame, members: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, *,
                min_links: int = 10, max_links: int = 15) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Links from each member to the households they look after, and a per-grid summary.

    ``households`` needs ``hh`` and ``grid``; members are points; a member belongs to the grid
    their point lies in. Returns (links as lines member → household with ``member``, ``grid``,
    ``household`` (src_id), ``hh``, ``distance_m``; summary rows per grid).
    """
    crs = grids.crs
    mpts = members.geometry.values
    gi, mi = shapely.STRtree(grids.geometry.values).query(mpts, predicate="within")
    member_grid = np.full(len(members), -1)
    member_grid[gi] = mi
    names = members["name"].astype(str).tolist() if "name" in members else [f"党员{i + 1}" for i in range(len(members))]
    hpts = household_points(households).values
    hxy = shapely.get_coordinates(hpts)
    mxy = shapely.get_coordinates(mpts)
    hh = households["hh"].fillna(0).astype(int).to_numpy()
    hid = households["src_id"].astype(str).tolist() if "src_id" in households else [str(i) for i in range(len(households))]
    grid_of = households["grid"].tolist()
    rows, summary = [], []
    codes = grids["code"].astype(str).tolist()
    by_grid: dict[str, list[int]] = {}
    for f, c in enumerate(grid_of):
        if isinstance(c, str):
            by_grid.setdefault(c, []).append(f)
    for g, code in enumerate(codes):
        ms = np.flatnonzero(member_grid == g)
        if not len(ms):
            continue
        feats = by_grid.get(code, [])
        # One row per household (a building with 3 households gives 3 rows, capped per building).
        unit_f = np.repeat(np.asarray(feats, dtype=int), np.minimum(hh[feats], max_links)) if feats else np.zeros(0, int)
        per = max_links if len(unit_f) >= len(ms) * max_links else max(1, min(max_links, math.ceil(len(unit_f) / len(ms))))
        slot_m = np.repeat(ms, per)
        if len(unit_f) and len(slot_m):
            d = np.hypot(mxy[slot_m, 0][:, None] - hxy[unit_f, 0][None, :],
                         mxy[slot_m, 1][:, None] - hxy[unit_f, 1][None, :])
            r, c = linear_sum_assignment(d)
            pairs = pd.DataFrame({"m": slot_m[r], "f": unit_f[c], "d": d[r, c]})
            agg = pairs.groupby(["m", "f"], sort=True).agg(hh=("d", "size"), d=("d", "first")).reset_index()
        else:
            agg = pd.DataFrame({"m": [], "f": [], "hh": [], "d": []})
        counts = agg.groupby("m")["hh"].sum() if len(agg) else pd.Series(dtype=int)
        for r in agg.itertuples():
            m, f = int(r.m), int(r.f)
            rows.append({"member": names[m], "grid": code, "household": hid[f], "hh": int(r.hh),
                         "distance_m": round(float(r.d), 1),
                         "geometry": shapely.linestrings([mxy[m], hxy[f]])})
        short = [names[m] for m in ms if int(counts.get(m, 0)) < min_links]
        summary.append({"grid": code, "members": len(ms), "households_linked": int(agg["hh"].sum()) if len(agg) else 0,
                        "members_under_min": short})
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else gpd.GeoDataFrame(
        {"member": [], "grid": [], "household": [], "hh": [], "distance_m": []}, geometry=gpd.GeoSeries([], crs=crs))
    return links, summary
