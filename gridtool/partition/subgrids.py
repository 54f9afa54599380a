"""Sub-grids (子网格) inside every base grid: about 30 households each, on household units.

Inside each grid the households are cut into Voronoi units (:mod:`.units`); apartment blocks are
opened into entrances and then floors only when coarser units cannot meet the bounds, and the
units are split into k sub-grids by the same solver as the grids (:mod:`.solver`). A grid whose
households no count of sub-grids fits gets greedy chunks (:func:`fallback_chunks`), flagged
``exception``. The sub-grids of a grid cut it into pieces, no gap and no overlap
(:mod:`.subgrid_tiles`). Codes are ``<grid code>-NN`` in reading order (of the sub-grids' own cells,
as before they tiled the grid); a locked grid's sub-grids are kept as they were, codes and all
(:mod:`.locked_subgrids`).

Here: the grids' work (:func:`subgrid_work`), the loop over the grids and the layers made of the
results. One grid is drawn by :mod:`.subgrid_draw`, in this process or, for a large plan, on the
worker processes of :mod:`.subgrid_workers`; the plan is the same either way.
"""

from __future__ import annotations

import math
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..arrays import pair_sums, runs
from .buildings import subgrid_homes
from .codes import reading_order
from .shapes import dissolve_many
from .subgrid_draw import draw_one


def draw_subgrids(grids: gpd.GeoDataFrame, households: gpd.GeoDataFrame, assign: pd.DataFrame, ctx: dict, *,
                  sub_min: int, sub_max: int, sub_target: int,
                  stop: Callable[[], bool], workers=None, work=None,
                  kept: dict | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Sub-grids inside every base grid, on household units.

    ``assign`` holds the household units of every grid (feature, hh, grid_index), ``ctx`` the
    engine's household points, barriers and their affinity. Sets ``households["subgrid"]`` (the sub-grid
    holding the building: :mod:`.buildings`), ``households["subgrid_parts"]`` (``"code:hh;…"`` for a
    building divided between sub-grids) and ``grids["n_subgrids"]``; returns the sub-grids layer and the units of every sub-grid.
    ``workers``: a :class:`.subgrid_workers.SubgridWorkers` drawing the grids on other processes
    (the same plan, byte for byte); ``work``: :func:`subgrid_work` of these grids, when made
    (and handed to the workers) already. ``kept``: grid row → its previous sub-grids kept as they
    are (:func:`.locked_subgrids.kept_subgrids`, locked grids): not drawn, their codes not renumbered.
    """
    crs = grids.crs
    g_codes = grids["code"].tolist()
    g_villages = grids["village"].tolist()
    g_geoms = grids.geometry.values
    # Source ids read once, not one pandas lookup per apartment part.
    labels = households["src_id"].to_numpy() if "src_id" in households else None
    todo, weights = work if work is not None else subgrid_work(grids, assign)
    kept = kept or {}
    todo = [gi for gi in todo if gi not in kept]
    bounds = dict(sub_min=sub_min, sub_max=sub_max, sub_target=sub_target)
    if workers is not None:
        from .subgrid_workers import draw_with
        results = draw_with(workers, todo, weights, g_geoms, ctx, bounds, stop)
    else:
        results = (draw_one(gi, weights[gi], g_geoms[gi], ctx, bounds, stop) for gi in todo)
    rows, sub_assign = [], []
    geoms: list = []
    cells: list = []
    # Sub-grids drawn from more than their own cells (tiling the grid): row → the outline (or the
    # cells) they are numbered on, their cells as before, so that no code changes.
    numbered: dict[int, object] = {}
    for gi, (units, parts, status, cell_groups, outlines, cores) in zip(todo, results):
        code, village = g_codes[gi], g_villages[gi]
        feature, part_no, nparts, uhh = units
        if outlines is not None:  # dissolved where they were drawn
            geoms.extend(dissolve_many(cells))
            cells = []
            geoms.extend(outlines)
        for part, group, core in zip(parts, cell_groups or [None] * len(parts), cores):
            if group is not None:
                cells.append(group)
            if len(cells) >= 256:  # dissolved in batches: few GEOS calls, the cells not all kept
                geoms.extend(dissolve_many(cells))
                cells = []
            apartment = bool((nparts[part] > 1).any())
            kind = "apartment part" if apartment else "area"
            rows.append({"grid": code, "village": village, "hh": int(uhh[part].sum()),
                         "kind": kind, "status": status, "n_features": len(set(feature[part].tolist())),
                         "apartment_parts": ";".join(
                             f"{_label(labels, int(feature[u]))}#{int(part_no[u]) + 1}/{int(nparts[u])}"
                             for u in part if nparts[u] > 1)})
            # The units of the sub-grid as arrays (one row per unit, in ``part`` order), joined
            # into the table once at the end instead of a tuple per unit.
            sub_assign.append((feature[part], part_no[part], nparts[part], uhh[part], code, len(rows) - 1))
            if core is not None:
                numbered[len(rows) - 1] = core
    geoms.extend(dissolve_many(cells))
    pending = [r for r, c in numbered.items() if isinstance(c, list)]  # cells, drawn here: dissolved once
    for r, g in zip(pending, dissolve_many([numbered[r] for r in pending])):
        numbered[r] = g
    fixed: dict[int, str] = {}  # row → the code a kept sub-grid keeps
    for gi in sorted(kept):
        # A building of the grid in several kept sub-grids is an apartment divided between them.
        holders: dict[int, list[str]] = {}
        for k in kept[gi]:
            for f, _ in k.units:
                holders.setdefault(int(f), []).append(k.code)
        for k in kept[gi]:
            feature = np.asarray([f for f, _ in k.units], dtype=np.int64)
            uhh = np.asarray([n for _, n in k.units], dtype=np.int64)
            nparts = np.asarray([len(holders[f]) for f in feature.tolist()], dtype=np.int64)
            part_no = np.asarray([holders[f].index(k.code) for f in feature.tolist()], dtype=np.int64)
            status = "ok" if sub_min <= k.hh <= sub_max else "exception"
            rows.append({"grid": g_codes[gi], "village": g_villages[gi], "hh": k.hh,
                         "kind": "apartment part" if (nparts > 1).any() else "area", "status": status,
                         "n_features": len(set(feature.tolist())),
                         "apartment_parts": ";".join(f"{_label(labels, int(f))}#{int(q) + 1}/{int(m)}"
                                                     for f, q, m in zip(feature, part_no, nparts) if m > 1),
                         **(k.attrs or {})})  # an unchanged grid's sub-grid: as the previous plan wrote it
            geoms.append(k.geom)
            fixed[len(rows) - 1] = k.code
            sub_assign.append((feature, part_no, nparts, uhh, g_codes[gi], len(rows) - 1))
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs)) if rows else \
        gpd.GeoDataFrame({"grid": [], "village": [], "hh": [], "kind": [], "status": [],
                          "n_features": [], "apartment_parts": []}, geometry=gpd.GeoSeries([], crs=crs))
    codes = np.empty(len(gdf), dtype=object)
    sub_geoms = np.asarray(gdf.geometry.values, dtype=object).copy()
    for r, g in numbered.items():
        sub_geoms[r] = g
    for code, idx in gdf.groupby("grid").groups.items():
        idx = np.asarray([i for i in idx if i not in fixed])  # positions: the frame has a RangeIndex
        if len(idx):
            codes[idx] = [f"{code}-{i:02d}" for i in reading_order(sub_geoms[idx])]
    for i, c in fixed.items():
        codes[i] = c
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
    # Each building's sub-grid: the one of its grid holding most of its households, so that every
    # building counts once per level; a building divided between sub-grids says so in subgrid_parts.
    home_grid = households["grid"].to_numpy(dtype=object) if "grid" in households else \
        np.full(len(households), None, dtype=object)
    homes, divided = subgrid_homes(sa, home_grid)
    households["subgrid"] = None
    households["subgrid_parts"] = ""
    if homes:
        households.loc[households.index[list(homes)], "subgrid"] = list(homes.values())
    if divided:
        households.loc[households.index[list(divided)], "subgrid_parts"] = list(divided.values())
    nsub = gdf.groupby("grid").size()
    grids["n_subgrids"] = grids["code"].map(nsub).fillna(0).astype(int)
    return gdf, sa


def subgrid_work(grids: gpd.GeoDataFrame, assign: pd.DataFrame) -> tuple[list[int], dict]:
    """The grids that hold households (rows, in order) and, for each, its distinct household
    features and the households of each there: each (feature, part) of a grid is a weight, so
    parts of an apartment already split at grid level keep their size."""
    weights = {}
    if len(assign):
        # One sort of the whole table instead of a pandas group and a unique per grid; each
        # (grid, feature)'s households summed in table order, as bincount did.
        ug, uf, sums = pair_sums(assign["grid_index"].to_numpy(), assign["feature"].to_numpy(),
                                 assign["hh"].to_numpy(dtype=float))
        sums = sums.astype(np.int64)
        for gi, s0, s1 in runs(ug):
            weights[int(gi)] = (uf[s0:s1], sums[s0:s1])
    todo = [gi for gi in range(len(grids)) if gi in weights]
    return todo, weights


def _label(labels, f: int) -> str:
    """:func:`feature_label` on the source ids read once (``None``: no ``src_id`` column)."""
    return str(labels[f]) if labels is not None else str(f)


def feature_label(households, f: int) -> str:
    """A household feature as the sub-grid's apartment parts name it: its source id, else its row."""
    hs = households
    if "src_id" in hs:
        return str(hs["src_id"].iat[f])
    return str(f)
