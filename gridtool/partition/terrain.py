"""Ridges inside grids: how high a grid worker must climb to get between the grid's households.

The partition follows roads, rivers and village borders, not the terrain: in a mountain township a
grid can hold two valleys with a ridge between them, and its crossing figures stay at 0 because no
line is crossed. With the project's elevation model, :func:`grid_ridges` measures for every grid
``ridge_m``: the least height above the higher of two groups of its households that a walk between
them *inside the grid* has to reach, taken over the grid's households (a minimax path on the DEM
cells of the grid polygon). A grid along one valley measures near 0 however steep the valley; a
grid over a pass measures the pass.

How: the DEM cells the grid touches are added from the lowest up (Kruskal's order, union-find);
when a cell joins two groups that both hold households, the climb is the cell's height minus the
higher of the two groups' highest households. Voids never make a ridge (they join at any height);
households outside the DEM are left out, and a grid with fewer than two measured households gets
NaN. Written by hand: no GIS library gives the saddle height between point groups inside a polygon.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely
from affine import Affine
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree

#: Grids with a ridge at least this high between their households are named in the report.
RIDGE_WARN_M = 150.0
#: Cells per grid beyond which the DEM is read coarser (a bounded cost on fine DEMs).
_MAX_CELLS = 60_000


def grid_ridges(grids, households, dem, crs) -> np.ndarray:
    """``ridge_m`` of every grid (metres, rounded; NaN where not measurable).

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        The grids (polygons) in ``crs``.
    households : geopandas.GeoDataFrame
        Households in ``crs`` with ``grid`` (the code of their grid, as the engine sets it).
    dem : gridtool.io.dem.Dem
        The elevation model, in any CRS.
    crs
        CRS of ``grids`` and ``households``.
    """
    from rasterio.features import rasterize

    out = np.full(len(grids), np.nan)
    if not len(grids) or households is None or "grid" not in households:
        return out
    to_dem = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), dem.crs, always_xy=True)
    polys = shapely.transform(grids.geometry.values, lambda xy: np.column_stack(
        to_dem.transform(xy[:, 0], xy[:, 1], errcheck=False)))
    pts = shapely.get_coordinates(shapely.point_on_surface(households.geometry.values))
    hx, hy = to_dem.transform(pts[:, 0], pts[:, 1], errcheck=False)
    inv = ~dem.transform
    hc = np.floor(inv.a * np.asarray(hx) + inv.b * np.asarray(hy) + inv.c)
    hr = np.floor(inv.d * np.asarray(hx) + inv.e * np.asarray(hy) + inv.f)
    h, w = dem.array.shape
    inside = np.isfinite(hc) & np.isfinite(hr) & (hc >= 0) & (hc < w) & (hr >= 0) & (hr < h)
    code_of = households["grid"].astype(str).to_numpy()
    codes = grids["code"].astype(str).to_numpy() if "code" in grids else np.array([], dtype=str)
    for gi, poly in enumerate(polys):
        if poly is None or shapely.is_empty(poly) or gi >= len(codes):
            continue
        sel = inside & (code_of == codes[gi])
        if sel.sum() < 2:
            continue
        c0, r0, c1, r1 = _window(poly, inv, w, h)
        if c0 >= c1 or r0 >= r1:
            continue
        step = max(1, math.ceil(math.sqrt((c1 - c0) * (r1 - r0) / _MAX_CELLS)))
        t = dem.transform
        tw = Affine(t.a * step, t.b * step, t.a * c0 + t.b * r0 + t.c,
                    t.d * step, t.e * step, t.d * c0 + t.e * r0 + t.f)
        z = dem.array[r0:r1:step, c0:c1:step].astype(float)
        mask = rasterize([poly], out_shape=z.shape, transform=tw, all_touched=True, dtype="uint8") > 0
        cols = ((hc[sel] - c0) // step).astype(np.intp)
        rows = ((hr[sel] - r0) // step).astype(np.intp)
        keep = (rows >= 0) & (rows < z.shape[0]) & (cols >= 0) & (cols < z.shape[1])
        mask[rows[keep], cols[keep]] = True  # a household's own cell is always in its grid
        out[gi] = _saddle_climb(z, mask, rows[keep], cols[keep])
    return np.round(out, 0)


def _window(poly, inv, w: int, h: int) -> tuple[int, int, int, int]:
    """DEM columns and rows ``(c0, r0, c1, r1)`` the polygon lies in, one cell of margin."""
    xy = shapely.get_coordinates(poly)
    cols = inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c
    rows = inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f
    return (max(0, int(np.floor(cols.min())) - 1), max(0, int(np.floor(rows.min())) - 1),
            min(w, int(np.ceil(cols.max())) + 1), min(h, int(np.ceil(rows.max())) + 1))


def _saddle_climb(z: np.ndarray, mask: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """The largest climb above two groups' highest households met when joining the cells of
    ``mask`` from the lowest up (8 neighbours); NaN when no household has a height.

    The cells join in one fixed order (height, ties by position; neighbours in row order). Only
    the joins of two different groups matter, and these are the edges of the minimum spanning
    tree of the neighbour graph weighted by that order (unique weights: Kruskal's choice), which
    SciPy finds in C; the union-find then runs over those n − 1 edges alone, on Python lists
    (6× faster than joining cell by cell: 0.40 → 0.06 s for a grid of 48,000 cells, same results).
    """
    H, W = z.shape
    zz = np.where(np.isnan(z), -np.inf, z).ravel()  # voids join at any height: never a ridge
    flat = rows * W + cols
    hz = zz[flat]
    if not np.isfinite(hz).any():
        return float("nan")
    idx = np.flatnonzero(mask.ravel())
    n = len(idx)
    order = idx[np.argsort(zz[idx], kind="stable")]
    rank = np.full(H * W, -1, dtype=np.int64)
    rank[order] = np.arange(n)
    r, c = np.divmod(order, W)
    me = np.arange(n)
    keys, us, vs = [], [], []
    for k, (dr, dc) in enumerate((dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc):
        r2, c2 = r + dr, c + dc
        ok = (r2 >= 0) & (r2 < H) & (c2 >= 0) & (c2 < W)
        nr = np.where(ok, rank[np.where(ok, r2 * W + c2, 0)], -1)
        sel = ok & (nr >= 0) & (nr < me)  # the neighbour joined earlier: the edge is met now
        keys.append(me[sel] * 8 + k)
        us.append(me[sel])
        vs.append(nr[sel])
    key = np.concatenate(keys)
    if not len(key):
        return 0.0
    tree = minimum_spanning_tree(coo_matrix((key + 1.0, (np.concatenate(us), np.concatenate(vs))),
                                            shape=(n, n)).tocsr()).tocoo()
    o = np.argsort(tree.data, kind="stable")
    eu, ev = tree.row[o], tree.col[o]
    at = zz[order][np.maximum(eu, ev)]  # the join's height: the later of the two cells
    top = np.full(n, -np.inf)
    np.maximum.at(top, rank[flat], hz)
    has = np.zeros(n, dtype=bool)
    has[rank[flat]] = True
    parent, top, has = list(range(n)), top.tolist(), has.tolist()
    worst = 0.0
    for a, b, h in zip(eu.tolist(), ev.tolist(), at.tolist()):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        ta, tb = top[a], top[b]
        if has[a] and has[b]:
            climb = h - (ta if ta > tb else tb)
            if climb > worst and math.isfinite(climb):
                worst = climb
        parent[b] = a
        if tb > ta:
            top[a] = tb
        if has[b]:
            has[a] = True
    return float(worst)


def ridge_grids(grids, *, limit: float = RIDGE_WARN_M) -> list[dict]:
    """Grids whose ``ridge_m`` is at least ``limit``, highest first, for the report."""
    if grids is None or "ridge_m" not in grids or not len(grids):
        return []
    r = grids[grids["ridge_m"].fillna(-1) >= limit].sort_values("ridge_m", ascending=False)
    return [{"code": str(c), "village": str(v), "households": int(h), "ridge_m": int(m)}
            for c, v, h, m in zip(r["code"], r.get("village", r["code"]), r["hh"], r["ridge_m"])]


__all__ = ["RIDGE_WARN_M", "grid_ridges", "ridge_grids"]
