"""Sub-grids (子网格) inside every base grid: about 30 households each, on household units.

Inside each grid the households are cut into Voronoi units (:mod:`.units`); apartment blocks are
opened into entrances and then floors only when coarser units cannot meet the bounds, and the
units are split into k sub-grids by the same solver as the grids (:mod:`.solver`). A grid whose
households no count of sub-grids fits gets greedy chunks (:func:`fallback_chunks`), flagged
``exception``. Codes are ``<grid code>-NN`` in reading order.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import CancelledError
from .codes import reading_order
from .feasibility import feasible_grid_counts
from .shapes import dissolve_many
from .solver import UnitGraph, partition
from .units import household_units


def draw_subgrids(grids: gpd.GeoDataFrame, households: gpd.GeoDataFrame, assign: pd.DataFrame, ctx: dict, *,
                  sub_min: int, sub_max: int, sub_target: int,
                  stop: Callable[[], bool]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Sub-grids inside every base grid, on household units.

    ``assign`` holds the household units of every grid (feature, hh, grid_index), ``ctx`` the
    engine's household points, barriers and their affinity. Sets ``households["subgrid"]`` and
    ``grids["n_subgrids"]``; returns the sub-grids layer and the units of every sub-grid.
    """
    crs = grids.crs
    rows, cells, sub_assign = [], [], []
    geoms: list = []
    a = assign
    by_grid = {gi: (grp["feature"].to_numpy(), grp["hh"].to_numpy())
               for gi, grp in a.groupby("grid_index", sort=True)}
    g_codes = grids["code"].tolist()
    g_villages = grids["village"].tolist()
    g_geoms = grids.geometry.values
    for gi in range(len(grids)):
        grow = SimpleNamespace(code=g_codes[gi], village=g_villages[gi], geometry=g_geoms[gi])
        if stop():
            raise CancelledError()
        if gi not in by_grid:
            continue
        feats, hh_units = by_grid[gi]
        container = grow.geometry
        # Each (feature, part) of the grid is a weight; parts of an apartment already split at
        # grid level keep their size, and whole buildings over sub_max split now.
        uniq, inv = np.unique(feats, return_inverse=True)
        fhh = np.bincount(inv, weights=hh_units).astype(np.int64)
        H = int(fhh.sum())
        ks = sorted(feasible_grid_counts(H, sub_min, sub_max),
                    key=lambda k: (abs(H / k - sub_target), k))
        parts = None
        # Apartment blocks are cut into finer parts (entrances, then floors) only when the
        # coarser cut cannot meet the bounds.
        half = max(sub_min // 2, 1)
        quarter = max(sub_min // 4, 1)
        ladder = ((sub_max, sub_target), (sub_target, sub_min), (half, half),
                  (quarter, quarter))
        cache: dict = {}
        sites = sites_inside(ctx["points_xy"][uniq], container)
        for step, (umax, utarget) in enumerate(ladder):
            fu = household_units(uniq, sites, fhh, container,
                                 max_unit=umax, target_unit=utarget, min_unit=min(sub_min, utarget),
                                 barriers=ctx["barriers"], barrier_affinity=ctx["barrier_affinity"],
                                 cache=cache)
            G = UnitGraph(fu.hh, fu.xy, fu.area, fu.edges_a, fu.edges_b, fu.affinity)
            # Coarse units get a short search: when they do not fit, finer ones will.
            last = step == len(ladder) - 1
            for k in ks[:3] if last else ks[:1]:
                parts = partition(G, range(len(fu.hh)), k, sub_min, sub_max, cancelled=stop,
                                  budget=40 if last else 8)
                if parts is not None:
                    break
            if parts is not None or not ks:
                break
        status = "ok"
        if parts is None:
            parts = [list(range(len(fu.hh)))] if H < sub_min or not ks else \
                fallback_chunks(G, fu.hh, sub_max)
            status = "exception"
        for si, part in enumerate(parts):
            part = sorted(part)
            cells.append(fu.geom[part])
            if len(cells) >= 256:  # dissolved in batches: few GEOS calls, the cells not all kept
                geoms.extend(dissolve_many(cells))
                cells = []
            apartment = bool((fu.nparts[part] > 1).any())
            names = sorted({f"{int(fu.feature[u])}" for u in part if fu.nparts[u] > 1})
            kind = "apartment part" if apartment else "area"
            rows.append({"grid": grow.code, "village": grow.village, "hh": int(fu.hh[part].sum()),
                         "kind": kind, "status": status, "n_features": len(set(fu.feature[part].tolist())),
                         "apartment_parts": ";".join(
                             f"{feature_label(households, int(fu.feature[u]))}#{int(fu.part[u]) + 1}/{int(fu.nparts[u])}"
                             for u in part if fu.nparts[u] > 1)})
            for u in part:
                sub_assign.append((int(fu.feature[u]), int(fu.part[u]), int(fu.nparts[u]),
                                   int(fu.hh[u]), grow.code, len(rows) - 1))
            del names
    geoms.extend(dissolve_many(cells))
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs)) if rows else \
        gpd.GeoDataFrame({"grid": [], "village": [], "hh": [], "kind": [], "status": [],
                          "n_features": [], "apartment_parts": []}, geometry=gpd.GeoSeries([], crs=crs))
    codes = np.empty(len(gdf), dtype=object)
    for code, idx in gdf.groupby("grid").groups.items():
        sub = gdf.loc[idx]
        codes[np.asarray(idx)] = [f"{code}-{i:02d}" for i in reading_order(sub)]
    gdf["code"] = codes
    if len(gdf):
        area = shapely.area(gdf.geometry.values)
        per = shapely.length(gdf.geometry.values)
        gdf["polsby_popper"] = np.round(4 * math.pi * area / np.maximum(per, 1e-9) ** 2, 3)
    else:
        gdf["polsby_popper"] = []
    sa = pd.DataFrame(sub_assign, columns=["feature", "part", "nparts", "hh", "grid", "sub_index"])
    sa["subgrid"] = codes[sa["sub_index"]] if len(sa) else []
    per = sa.sort_values(["feature", "hh"], ascending=[True, False]).drop_duplicates("feature")
    households["subgrid"] = None
    if len(per):
        households.loc[households.index[per["feature"].to_numpy()], "subgrid"] = \
            per["subgrid"].to_numpy()
    nsub = gdf.groupby("grid").size()
    grids["n_subgrids"] = grids["code"].map(nsub).fillna(0).astype(int)
    return gdf, sa


def feature_label(households, f: int) -> str:
    """A household feature as the sub-grid's apartment parts name it: its source id, else its row."""
    hs = households
    if "src_id" in hs:
        return str(hs["src_id"].iat[f])
    return str(f)


def sites_inside(xy: np.ndarray, container) -> np.ndarray:
    """Household positions for sub-grid cells, moved onto ``container`` where they lie outside it
    (a part of an apartment block drawn in the neighbouring grid), so that every sub-grid has an
    area in its own grid."""
    pts = shapely.points(xy)
    shapely.prepare(container)
    out = ~shapely.intersects(container, pts)
    if not out.any():
        return xy
    xy = xy.copy()
    near = shapely.get_point(shapely.shortest_line(pts[out], container), 1)
    xy[out] = shapely.get_coordinates(near)
    return xy


def fallback_chunks(G: UnitGraph, hh, cap):
    """Greedy connected chunks of at most ``cap`` (used only when bisection fails; flagged)."""
    order = np.lexsort((G.xy[:, 0], -G.xy[:, 1]))
    parts, cur, tot = [], [], 0
    for u in order.tolist():
        if tot + hh[u] > cap and cur:
            parts.append(cur)
            cur, tot = [], 0
        cur.append(u)
        tot += int(hh[u])
    if cur:
        parts.append(cur)
    return parts
