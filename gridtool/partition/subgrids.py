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
    # Source ids read once, not one pandas lookup per apartment part.
    labels = households["src_id"].to_numpy() if "src_id" in households else None
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
                             f"{_label(labels, int(fu.feature[u]))}#{int(fu.part[u]) + 1}/{int(fu.nparts[u])}"
                             for u in part if fu.nparts[u] > 1)})
            # The units of the sub-grid as arrays (one row per unit, in ``part`` order), joined
            # into the table once at the end instead of a tuple per unit.
            sub_assign.append((fu.feature[part], fu.part[part], fu.nparts[part], fu.hh[part],
                               grow.code, len(rows) - 1))
            del names
    geoms.extend(dissolve_many(cells))
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs)) if rows else \
        gpd.GeoDataFrame({"grid": [], "village": [], "hh": [], "kind": [], "status": [],
                          "n_features": [], "apartment_parts": []}, geometry=gpd.GeoSeries([], crs=crs))
    codes = np.empty(len(gdf), dtype=object)
    sub_geoms = np.asarray(gdf.geometry.values, dtype=object)
    for code, idx in gdf.groupby("grid").groups.items():
        idx = np.asarray(idx)  # positions: the frame has a RangeIndex
        codes[idx] = [f"{code}-{i:02d}" for i in reading_order(sub_geoms[idx])]
    gdf["code"] = codes
    if len(gdf):
        area = shapely.area(gdf.geometry.values)
        per = shapely.length(gdf.geometry.values)
        gdf["polsby_popper"] = np.round(4 * math.pi * area / np.maximum(per, 1e-9) ** 2, 3)
    else:
        gdf["polsby_popper"] = []
    cols = ["feature", "part", "nparts", "hh", "grid", "sub_index"]
    if sub_assign:
        n_of = [len(t[0]) for t in sub_assign]
        sa = pd.DataFrame({c: np.concatenate([np.asarray(t[k], dtype=np.int64) for t in sub_assign])
                           for k, c in enumerate(cols[:4])})
        sa["grid"] = np.repeat(np.array([t[4] for t in sub_assign], dtype=object), n_of)
        sa["sub_index"] = np.repeat(np.array([t[5] for t in sub_assign], dtype=np.int64), n_of)
    else:
        sa = pd.DataFrame([], columns=cols)
    sa["subgrid"] = codes[sa["sub_index"]] if len(sa) else []
    per = sa.sort_values(["feature", "hh"], ascending=[True, False]).drop_duplicates("feature")
    households["subgrid"] = None
    if len(per):
        households.loc[households.index[per["feature"].to_numpy()], "subgrid"] = \
            per["subgrid"].to_numpy()
    nsub = gdf.groupby("grid").size()
    grids["n_subgrids"] = grids["code"].map(nsub).fillna(0).astype(int)
    return gdf, sa


def _label(labels, f: int) -> str:
    """:func:`feature_label` on the source ids read once (``None``: no ``src_id`` column)."""
    return str(labels[f]) if labels is not None else str(f)


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
