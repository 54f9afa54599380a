"""What a plan measures: per-grid figures (area, compactness, crossings, farthest household, key
places) and the report's ``plan`` figures (grids within bounds, crossings, sub-grid shares).

:func:`add_grid_metrics` adds the columns to the grids layer; :func:`crossings` counts hard and
soft crossings on the block graph (the benchmark's anchors use it too); :func:`plan_figures` gives
the same figures for one fit and for a batch over its concatenated tables. Polsby-Popper is
4πA/P². Written by hand: the crossing rules (populated sides of a hard barrier held together) are
gridtool's own.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..arrays import unique_ints
from ..roles import PLACE_CATEGORIES
from .blocks import Blocks


def add_grid_metrics(g: gpd.GeoDataFrame, grids_internal, blocks: Blocks, ctx, layers, *, lines=None,
                     points=None, assign=None, faces=None) -> None:
    """Area, Polsby-Popper, hard/soft crossings, farthest household and key places per grid.

    With the barrier ``lines``, household ``points`` and the engine's ``assign`` table, crossings
    are measured on the drawn grids (:func:`.geomcheck.grid_crossings`: households on two sides of
    a hard line inside a grid), whatever the block graph said; without them, on the block graph.
    ``faces``: :func:`.geomcheck.crossing_faces` of the lines and villages, when already made."""
    geoms = g.geometry.values
    area = shapely.area(geoms)
    per = shapely.length(geoms)
    g["area_m2"] = np.round(area, 1)
    g["polsby_popper"] = np.round(4 * math.pi * area / np.maximum(per, 1e-9) ** 2, 3)
    if lines is not None and points is not None and assign is not None:
        from .geomcheck import grid_crossings, members_of
        feats, hhs = members_of(assign, len(g))
        vil = layers.get("villages")
        hard, soft = grid_crossings(geoms, feats, np.asarray(points, dtype=object), hhs, lines,
                                    villages=vil.geometry.to_numpy() if vil is not None else None, faces_=faces)
    else:
        hard, soft = crossings(blocks, [gr.blocks for gr in grids_internal])
    g["hard_crossings"] = hard
    g["soft_crossings"] = soft
    # Farthest household from the grid's centroid.
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    far = np.zeros(len(g))
    xy = ctx["points_xy"]
    fob = ctx["features_of_block"]
    if assign is not None and len(assign):  # every grid's features at once
        fa, ga = assign["feature"].to_numpy(), assign["grid_index"].to_numpy()
        d = np.hypot(*(xy[fa] - cen[ga]).T)
        np.maximum.at(far, ga, d)
        grids_internal = ()
    for gi, gr in enumerate(grids_internal):
        feats = []
        for blk, feat, *_ in gr.units:
            if feat >= 0:
                feats.append(feat)
            else:
                feats.extend(fob.get(blk, ()))
        if feats:
            d = np.hypot(*(xy[np.asarray(feats)] - cen[gi]).T)
            far[gi] = float(d.max())
    g["max_dist_m"] = np.round(far, 1)
    places = layers.get("places")
    g["places"] = 0
    g["place_names"] = ""
    if places is not None and len(places):
        pts = shapely.point_on_surface(places.geometry.values)
        gi, pi = shapely.STRtree(pts).query(geoms, predicate="intersects")
        cnt = np.bincount(gi, minlength=len(g))
        g["places"] = cnt
        names = {}
        # The columns read once, not one column lookup per place in a grid.
        pname = places["name"].to_numpy(dtype=object) if "name" in places else None
        pcat = places["category"].to_numpy(dtype=object) if "category" in places else None
        for a, b in zip(gi.tolist(), pi.tolist()):
            nm = pname[b] if pname is not None else None
            cat = pcat[b] if pcat is not None else ""
            # An unnamed place is listed by its category, in Chinese as the planners read it (银行).
            names.setdefault(a, []).append(str(nm) if isinstance(nm, str) and nm
                                           else PLACE_CATEGORIES.get(str(cat), str(cat)))
        g["place_names"] = ["、".join(names.get(i, [])) for i in range(len(g))]


def crossings(blocks: Blocks, grid_blocks: list[set]) -> tuple[np.ndarray, np.ndarray]:
    """Per grid: hard crossings (populated sides of a hard barrier held together, counted as extra
    hard-bounded regions) and soft crossings (block pairs along a main road or stream held together).
    Used for gridtool's plans and for the benchmark's anchors alike."""
    e = blocks.edges
    w = blocks.gdf["hh"].to_numpy()
    hard = np.zeros(len(grid_blocks), dtype=np.int64)
    soft = np.zeros(len(grid_blocks), dtype=np.int64)
    if not len(e):
        return hard, soft
    ea, eb = e["a"].to_numpy(), e["b"].to_numpy()
    is_hard = e["hard"].to_numpy()
    major = e["major"].to_numpy()
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    n = len(w)
    local = np.full(n, -1, dtype=np.int64)
    # Edges by their first block, so each grid looks only at its own blocks' edges.
    order = np.argsort(ea, kind="stable")
    starts = np.searchsorted(ea[order], np.arange(n + 1))
    for gi, bs in enumerate(grid_blocks):
        bl = np.fromiter(bs, dtype=np.int64)
        local[bl] = np.arange(len(bl))
        idx = np.concatenate([order[starts[b]:starts[b + 1]] for b in bl]) if len(bl) else np.zeros(0, int)
        idx = idx[local[eb[idx]] >= 0]
        soft[gi] = int((major[idx] & ~is_hard[idx]).sum())
        pop = local[bl[w[bl] > 0]]
        if len(pop) > 1:
            # Parts of the grid joined only across hard barriers, counted where households live;
            # parts not joined at all (an exclave of the village) are not crossings.
            nb = len(bl)
            s = idx[~is_hard[idx]]
            _, lab_soft = connected_components(
                coo_matrix((np.ones(len(s)), (local[ea[s]], local[eb[s]])), shape=(nb, nb)), directed=False)
            _, lab_all = connected_components(
                coo_matrix((np.ones(len(idx)), (local[ea[idx]], local[eb[idx]])), shape=(nb, nb)), directed=False)
            hard[gi] = len(unique_ints(lab_soft[pop])) - len(unique_ints(lab_all[pop]))
        local[bl] = -1
    return hard, soft


def plan_figures(g: pd.DataFrame, sub: pd.DataFrame | None, special: pd.DataFrame | None,
                 corridors: pd.DataFrame | None, *, feasible: pd.Series, villages: int, infeasible: list,
                 village_reports: list[dict], sub_bounds: tuple[int, int]) -> dict:
    """The report's ``plan`` figures from the result tables (attributes are enough), as one fit
    and a batch (:func:`.batch.summarize`, over the concatenated tables of its chunks) both give
    them. ``feasible`` marks grids of villages whose own status is ok; ``village_reports`` carry
    each village's unavoidable and avoidable hard crossings."""
    pocket = pocket_grid_mask(g)
    feas = g[feasible & ~pocket]
    within = ((feas["hh"] >= feas["min_hh"]) & (feas["hh"] <= feas["max_hh"])) if len(feas) else None
    plan = {
        "villages": villages,
        "households": int(g["hh"].sum()) + (int(special["hh"].sum()) if special is not None and "hh" in special else 0),
        "grids": len(g), "grids_in_feasible_villages": int(len(feas)),
        "pct_within_bounds": round(100.0 * float(within.mean()), 2) if len(feas) else None,
        "infeasible_villages": infeasible,
        "pocket_grids": [{"code": str(c), "village": str(v), "households": int(h)}
                         for c, v, h in zip(g.loc[pocket, "code"], g.loc[pocket, "village"], g.loc[pocket, "hh"])]
        if pocket.any() else [],
        "mean_polsby_popper": round(float(g["polsby_popper"].mean()), 3) if len(g) else None,
        "hard_crossings": int(g["hard_crossings"].sum()) if len(g) else 0,
        "unavoidable_hard_crossings": int(sum(r.get("unavoidable_hard_crossings", 0) for r in village_reports)),
        "avoidable_hard_crossings": int(sum(r.get("avoidable_hard_crossings", 0) for r in village_reports)),
        "soft_crossings": int(g["soft_crossings"].sum()) if len(g) else 0,
        "grid_hh_min": int(g["hh"].min()) if len(g) else None,
        "grid_hh_max": int(g["hh"].max()) if len(g) else None,
        "special_grids": 0 if special is None else len(special),
        # Households of special grids (counted there only, never in a base grid as well).
        "special_grid_households": int(special["hh"].sum()) if special is not None and "hh" in special
        and len(special) else 0,
        "corridors": 0 if corridors is None else len(corridors),
    }
    if sub is not None and len(sub):
        lo, hi = sub_bounds
        inb = (sub["hh"] >= lo) & (sub["hh"] <= hi)
        plan.update({"subgrids": len(sub), "subgrids_pct_within_bounds": round(100.0 * float(inb.mean()), 2),
                     "subgrid_hh_min": int(sub["hh"].min()), "subgrid_hh_max": int(sub["hh"].max()),
                     "apartment_subgrids": int((sub["kind"] == "apartment part").sum()),
                     "subgrids_mean_polsby_popper": round(float(sub["polsby_popper"].mean()), 3)})
    return plan


def pocket_grid_mask(grids: pd.DataFrame) -> pd.Series:
    """Grids that are an area enclosed by hard barriers kept whole (``pockets="exception"``): they
    are named in the report and left out of the share of grids within bounds, as infeasible
    villages are."""
    if not len(grids) or "note" not in grids or "status" not in grids:
        return pd.Series(False, index=grids.index)
    return (grids["status"].astype(str) == "exception") & (grids["note"].astype(str) == "pocket")


def json_rows(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out
