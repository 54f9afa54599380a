"""Ridge lines (山脊线) from the project's elevation model, as soft barrier lines of class ``ridge``.

A grid worker cannot walk between two valleys: with a DEM, the ridges that divide a village's
valleys become barrier lines like a main road (affinity :data:`RIDGE_AFFINITY`), so blocks, grid
and sub-grid borders follow them. They stay *soft*: the household bounds always win, and a grid may
still hold both sides of a ridge when the bounds leave no other choice (``ridge_m`` then says so).

How, per village (the DEM window under it, read coarser beyond :data:`MAX_CELLS` cells):

1. Cells outside the village are a wall; voids take the height of the nearest cell (and never
   make a ridge).
2. Every cell drains to its steepest lower neighbour: the drainage basin of each pit (SciPy's
   connected components of that graph).
3. A basin whose floor lies less than :data:`RISE_M` below its lowest pass to a lower basin is
   joined to it (the "dynamics" or h-minima rule, Kruskal's order with two union-finds): what
   remains are valleys one must climb at least :data:`RISE_M` out of. A pit in the DEM, a gentle
   divide or a low pass between two villages' fields separates nothing.
4. On the borders between the remaining basins, a stretch is a ridge where it stands at least
   :data:`RISE_M` above the valley floor *on both sides*, the floor being the lowest cell of that
   side's basin within :data:`FLOOR_RADIUS_M` (a pass or the low end of a spur is left open).
5. Steps 2–4 run on the whole window and again on tiles of :data:`TILE_M` overlapping by half:
   two side valleys of one river are one basin in the village, but two in a tile they leave apart.
   Tiles round heights to the metre from the window's lowest cell, as the window does, so that
   water runs the same way in both and a divide both find lies on the same cell edges (rounded
   from each tile's own lowest cell, a resampled DEM's heights moved by up to half a metre, which
   turned the steepest way down of cells along crests: the tiles' copies of a divide lay a cell
   or two beside it and cut it into pieces under :data:`MIN_LENGTH_M`; 10 × 10 km of synthetic
   hills gave 52.6 / 80.4 / 85.3 km of ridge at 30 / 60 / 90 m from 1,257 / 298 / 120 pieces,
   now 89.4 / 90.2 / 88.4 km from 70 / 67 / 67). SRTM's whole metres were never moved.
6. The kept cell edges are merged into lines, simplified by :data:`SIMPLIFY_M` (one cell when
   coarser), clipped to the village;
   pieces shorter than :data:`MIN_LENGTH_M` are dropped. A loose end (the spur sinking towards a
   confluence) is carried down its steepest slope to the first road or river, so that the ridge
   closes a block with them instead of ending in the middle of one.

Deterministic (fixed orders throughout) and bounded: at most :data:`MAX_CELLS` cells per village
(a window of 1,000 × 1,000 cells: about 6 s; Andorra's seven parishes on SRTM3: about 1 s).
SciPy only; written here because no installed library traces divides between valleys.
"""

from __future__ import annotations

import math
import time

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from affine import Affine
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .barriers import AFFINITY

#: Class name of ridge lines in the barrier lines, and their affinity (a main road's: cut along).
RIDGE_CLASS = "ridge"
RIDGE_AFFINITY = AFFINITY["ridge"]  # one value: barriers.AFFINITY is what the engine reads
#: A divide counts as a ridge where it rises this much above the valley floors on both sides.
RISE_M = 100.0
#: How far from the divide the valley floor on each side is looked for (a grid worker's walk).
FLOOR_RADIUS_M = 1500.0
#: Side of the tiles the divides are also looked for in (see :func:`_windows`).
TILE_M = 4000.0
#: Along a tile's inner edges, divides within this distance are not taken from that tile (the
#: overlapping tiles hold them inside). Metres, not cells: the false basins a cut slope makes reach
#: as far into the tile on a 30 m DEM as on a 90 m one (3 cells of 90 m before; on 30 m SRTM the
#: 3-cell margin let 7.7 km of them through in Andorra).
TILE_MARGIN_M = 270.0
#: How far down a loose ridge end is carried to the nearest road or river (see ``barriers``).
DESCENT_M = 1500.0
#: Ridge pieces shorter than this are dropped (a knoll between two ditches).
MIN_LENGTH_M = 200.0
#: Ridge lines are simplified by this much, or by a cell when cells are larger: a divide traced
#: cell by cell wiggles at the cell size, so that simplifying by one cell made finer DEMs give
#: longer ridges (4 × 4 km of hills read at 5 m: 14.7 km, at 30 m 12.4 km; now 12.3 and 12.3 km).
SIMPLIFY_M = 45.0
#: Cells per village window beyond which the DEM is read coarser (a bounded cost).
MAX_CELLS = 1_000_000
#: Finer DEMs are read at no finer than about this cell size (every ``step``-th cell): a ridge 100 m
#: high is hundreds of metres wide, and the cost grows with the cells (4 × 4 km of hills on a 5 m
#: survey DEM: 1.06 s at 5 m, 0.04 s read at 20 m; a county of such villages, minutes against
#: seconds). The lines found do depend on the cell size (that test: 7.2 km of ridge at 5 m,
#: 5.5–10.7 km read at 10–40 m), as they do between a 30 m and a 90 m DEM.
MIN_CELL_M = 20.0
_WALL = np.uint16(65535)


def ridge_lines(villages: gpd.GeoDataFrame, dem, *, rise: float = RISE_M,
                barriers: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The ridges dividing each village's valleys, as barrier lines in the villages' CRS.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village polygons in a metric CRS.
    dem : gridtool.io.dem.Dem
        The elevation model, in any CRS.
    rise : float
        Metres a divide must stand above the valley floors on both sides.
    barriers : geopandas.GeoDataFrame, optional
        The other barrier lines (roads, rivers): a ridge ending on the mountainside is carried
        down its slope (steepest descent) to the first of them, so that with them it closes a
        block (a loose end bounds nothing). Without a line within :data:`DESCENT_M` it stays loose.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cls`` (``ridge``), ``src`` (``dem:<village row>``), ``village`` (row) and line geometry;
        empty when no divide is high enough or the DEM does not cover the villages.
    """
    crs = villages.crs
    out_geoms, out_v = [], []
    if len(villages) and crs is not None:
        to_dem = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), dem.crs, always_xy=True)
        back = pyproj.Transformer.from_crs(dem.crs, pyproj.CRS.from_user_input(crs), always_xy=True)
        others = None
        if barriers is not None and len(barriers):
            others = barriers.geometry.values[barriers["cls"].to_numpy() != "village"] \
                if "cls" in barriers else barriers.geometry.values
            others = others[~shapely.is_empty(others)] if len(others) else None
        tree = shapely.STRtree(others) if others is not None and len(others) else None
        for vi, poly in enumerate(villages.geometry.values):
            if poly is None or shapely.is_empty(poly):
                continue
            for g in _village_ridges(poly, dem, to_dem, back, rise, (others, tree)):
                out_geoms.append(g)
                out_v.append(vi)
    return gpd.GeoDataFrame({"cls": np.full(len(out_geoms), RIDGE_CLASS, dtype=object),
                             "src": [f"dem:{v}" for v in out_v], "village": np.asarray(out_v, dtype=np.int64)},
                            geometry=gpd.GeoSeries(out_geoms, crs=crs))


def _village_ridges(poly, dem, to_dem, back, rise: float, barriers=(None, None)) -> list:
    """Ridge lines inside one village polygon (project CRS in and out)."""
    from rasterio.features import rasterize

    poly_dem = shapely.transform(poly, lambda xy: np.column_stack(to_dem.transform(xy[:, 0], xy[:, 1],
                                                                                     errcheck=False)))
    if poly_dem is None or shapely.is_empty(poly_dem) or not np.isfinite(shapely.bounds(poly_dem)).all():
        return []
    inv = ~dem.transform
    h, w = dem.array.shape
    xy = shapely.get_coordinates(poly_dem)
    cols = inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c
    rows = inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f
    c0, r0 = max(0, int(np.floor(cols.min())) - 1), max(0, int(np.floor(rows.min())) - 1)
    c1, r1 = min(w, int(np.ceil(cols.max())) + 1), min(h, int(np.ceil(rows.max())) + 1)
    if c1 - c0 < 3 or r1 - r0 < 3:
        return []
    step = max(1, math.ceil(math.sqrt((c1 - c0) * (r1 - r0) / MAX_CELLS)))
    t = dem.transform
    native = min(_cell_metres(Affine(t.a, t.b, t.a * c0 + t.b * r0 + t.c, t.d, t.e, t.d * c0 + t.e * r0 + t.f),
                              (r1 - r0, c1 - c0), back))
    step = max(step, int(MIN_CELL_M // native))
    tw = Affine(t.a * step, t.b * step, t.a * c0 + t.b * r0 + t.c, t.d * step, t.e * step, t.d * c0 + t.e * r0 + t.f)
    z = dem.array[r0:r1:step, c0:c1:step].astype(float)
    inside = rasterize([poly_dem], out_shape=z.shape, transform=tw, dtype="uint8") > 0
    void = ~np.isfinite(z)
    if (inside & ~void).sum() < 9:
        return []
    if void.any():  # voids take the nearest cell's height for the flooding, and never make a ridge
        _, (ir, ic) = ndimage.distance_transform_edt(void, return_indices=True)
        z = z[ir, ic]
    cell_x, cell_y = _cell_metres(tw, z.shape, back)
    ok = inside & ~void
    H, W = z.shape
    keep_e = np.zeros((H, W - 1), dtype=bool)  # the edge between (r, c) and (r, c + 1) is a ridge
    keep_s = np.zeros((H - 1, W), dtype=bool)  # the edge between (r, c) and (r + 1, c)
    zmin = float(z[inside].min())  # one height origin for the window and its tiles (step 5)
    # at most a quarter of a tile: tiles overlap by half, so every divide is inside one of them
    my = min(math.ceil(TILE_MARGIN_M / cell_y), max(1, int(TILE_M / cell_y) // 4))
    mx = min(math.ceil(TILE_MARGIN_M / cell_x), max(1, int(TILE_M / cell_x) // 4))
    for ys, xs in _windows(H, W, TILE_M / cell_y, TILE_M / cell_x):
        if (ok[ys, xs]).sum() < 9:
            continue
        labels, zf = _valleys(z[ys, xs], inside[ys, xs], rise, zmin)
        if labels is None:
            continue
        floor = _local_floor(zf, labels, inside[ys, xs], FLOOR_RADIUS_M / cell_y, FLOOR_RADIUS_M / cell_x)
        for axis, keep in ((1, keep_e), (0, keep_s)):
            a = (slice(None), slice(None, -1)) if axis == 1 else (slice(None, -1), slice(None))
            b = (slice(None), slice(1, None)) if axis == 1 else (slice(1, None), slice(None))
            top = np.maximum(zf[a], zf[b])
            low = np.maximum(floor[a], floor[b])
            o = ok[ys, xs]
            k = o[a] & o[b] & (labels[a] != labels[b]) & (top - low >= rise)
            # A tile's edge cuts slopes off from where they drain: basins end along it that the
            # DEM does not have. Its own edges are left to the tiles that hold them inside.
            if ys.start > 0:
                k[:my] = False
            if ys.stop < H:
                k[k.shape[0] - my:] = False
            if xs.start > 0:
                k[:, :mx] = False
            if xs.stop < W:
                k[:, k.shape[1] - mx:] = False
            ye = slice(ys.start, ys.stop - (axis == 0))
            xe = slice(xs.start, xs.stop - (axis == 1))
            keep[ye, xe] |= k
    r, c = np.nonzero(keep_e)  # the shared cell edge: x = c + 1, rows r … r + 1 (window cell units)
    segs = [np.stack([np.column_stack([c + 1, r]), np.column_stack([c + 1, r + 1])], axis=1)]
    r, c = np.nonzero(keep_s)
    segs.append(np.stack([np.column_stack([c, r + 1]), np.column_stack([c + 1, r + 1])], axis=1))
    segs = np.concatenate(segs).astype(float)
    if not len(segs):
        return []
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(segs)))
    lines = shapely.get_parts(merged)

    def to_project(pc):  # window (column, row) → DEM CRS → project CRS
        x = tw.a * pc[:, 0] + tw.b * pc[:, 1] + tw.c
        y = tw.d * pc[:, 0] + tw.e * pc[:, 1] + tw.f
        return np.column_stack(back.transform(x, y, errcheck=False))

    lines = shapely.simplify(shapely.transform(lines, to_project), max(cell_x, cell_y, SIMPLIFY_M))
    if barriers[1] is not None:
        down = _descents(lines, z, inside, tw, back, to_project, min(cell_x, cell_y), poly)
        lines = np.concatenate([lines, _cut_at_first(down, *barriers)])
    lines = shapely.get_parts(shapely.intersection(lines, poly))
    lines = lines[(shapely.get_type_id(lines) == 1) & (shapely.length(lines) >= MIN_LENGTH_M)]
    return list(lines)


def _descents(lines: np.ndarray, z: np.ndarray, inside: np.ndarray, tw: Affine, back, to_project,
              cell: float, poly) -> np.ndarray:
    """From each loose end of the ridge lines (not on another ridge line, not on the village
    border), the steepest way down (cell centres), at most :data:`DESCENT_M` long."""
    if not len(lines):
        return np.empty(0, dtype=object)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    # Loose: no other ridge line within a cell, and away from the village border.
    tree = shapely.STRtree(lines)
    near = tree.query(ends, predicate="dwithin", distance=cell)
    count = np.bincount(near[0], minlength=len(ends))
    border = shapely.boundary(poly)
    loose = (count <= 1) & (shapely.distance(ends, border) > 2 * cell)
    if not loose.any():
        return np.empty(0, dtype=object)
    to, best = _steepest(np.where(inside, z, np.inf))
    H, W = z.shape
    inv_tw = ~tw
    fwd = pyproj.Transformer.from_crs(back.target_crs, back.source_crs, always_xy=True)
    xy = shapely.get_coordinates(ends[loose])
    dx, dy = fwd.transform(xy[:, 0], xy[:, 1], errcheck=False)
    col = np.floor(inv_tw.a * np.asarray(dx) + inv_tw.b * np.asarray(dy) + inv_tw.c).astype(int)
    row = np.floor(inv_tw.d * np.asarray(dx) + inv_tw.e * np.asarray(dy) + inv_tw.f).astype(int)
    steps = max(2, int(DESCENT_M / cell))
    out = []
    for p, r, c in zip(xy, row, col):
        if not (0 <= r < H and 0 <= c < W):
            continue
        at, path = r * W + c, []
        for _ in range(steps):
            path.append(at)
            if best.flat[at] <= 0:
                break
            at = int(to.flat[at])
        if len(path) < 2:
            continue
        pr, pc = np.divmod(np.asarray(path), W)
        pts = to_project(np.column_stack([pc + 0.5, pr + 0.5]))
        out.append(shapely.linestrings(np.vstack([p[None, :], pts])))
    return np.asarray(out, dtype=object)


def _cut_at_first(down: np.ndarray, others: np.ndarray, tree) -> np.ndarray:
    """Each descent up to just past the first barrier line it meets; dropped when it meets none."""
    out = []
    for ln in down:
        hit = tree.query(ln, predicate="intersects")
        if not len(hit):
            continue
        cross = shapely.intersection(ln, others[hit])
        pts = shapely.get_parts(shapely.get_parts(cross))
        pts = pts[~shapely.is_empty(pts)]
        if not len(pts):
            continue
        at = float(np.min(shapely.line_locate_point(ln, shapely.point_on_surface(pts))))
        if at <= 0:
            continue
        # a metre past the line, so that the two are noded into a crossing
        out.append(shapely.line_substring(ln, 0.0, min(at + 1.0, shapely.length(ln)))
                   if hasattr(shapely, "line_substring") else _substring(ln, at + 1.0))
    return np.asarray(out, dtype=object)


def _substring(ln, upto: float):
    """The line from its start to ``upto`` metres along it."""
    xy = shapely.get_coordinates(ln)
    d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    k = int(np.searchsorted(d, upto))
    if k >= len(xy):
        return ln
    end = shapely.get_coordinates(shapely.line_interpolate_point(ln, upto))
    return shapely.linestrings(np.vstack([xy[:k], end]))


def _windows(H: int, W: int, ty: float, tx: float) -> list[tuple[slice, slice]]:
    """The whole window, then tiles of about :data:`TILE_M` overlapping by half.

    Tiles find the spur between two side valleys of one river: in the whole village the two drain
    to one outlet and are one basin, but in a tile where they meet the tile's edge apart they
    are two, and the divide between them is a true divide (water on either side runs apart)."""
    out = [(slice(0, H), slice(0, W))]
    ty, tx = max(8, int(round(ty))), max(8, int(round(tx)))
    if H <= ty and W <= tx:
        return out
    for y in range(0, max(1, H - ty // 2), ty // 2):
        for x in range(0, max(1, W - tx // 2), tx // 2):
            out.append((slice(y, min(H, y + ty)), slice(x, min(W, x + tx))))
    return out


def _cell_metres(tw: Affine, shape, back) -> tuple[float, float]:
    """Width and height of a window cell in metres, at the window's centre."""
    r, c = shape[0] / 2.0, shape[1] / 2.0
    pc = np.array([[c, r], [c + 1, r], [c, r + 1]])
    x = tw.a * pc[:, 0] + tw.b * pc[:, 1] + tw.c
    y = tw.d * pc[:, 0] + tw.e * pc[:, 1] + tw.f
    px, py = back.transform(x, y, errcheck=False)
    px, py = np.asarray(px), np.asarray(py)
    return (float(math.hypot(px[1] - px[0], py[1] - py[0])) or 1.0,
            float(math.hypot(px[2] - px[0], py[2] - py[0])) or 1.0)


def _valleys(z: np.ndarray, inside: np.ndarray, rise: float, zmin: float | None = None):
    """Basins one must climb at least ``rise`` out of: a label per cell (0 none) and the heights
    flooded (whole metres above ``zmin``, by default the lowest cell inside, as float);
    ``(None, None)`` when the village is one basin."""
    zmin = float(z[inside].min()) if zmin is None else zmin
    q = np.clip(np.rint(z - zmin), 0, int(_WALL) - 1).astype(np.uint16)
    q[~inside] = _WALL
    basin, n = _drainage_basins(q.astype(float))
    if n < 2:
        return None, None
    floors = ndimage.minimum(q.astype(float), basin, index=np.arange(1, n + 1))
    floors = np.concatenate([[np.inf], np.asarray(floors, dtype=float)])
    # Passes between basins: the lowest shared edge, an edge being as high as its higher cell.
    pa, pb, ph = [], [], []
    for a, b in (((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))):
        sel = inside[a] & inside[b] & (basin[a] != basin[b])
        la, lb = basin[a][sel], basin[b][sel]
        pa.append(np.minimum(la, lb))
        pb.append(np.maximum(la, lb))
        ph.append(np.maximum(q[a][sel], q[b][sel]).astype(float))
    pa, pb, ph = np.concatenate(pa), np.concatenate(pb), np.concatenate(ph)
    if not len(pa):
        return None, None
    o = np.lexsort((pb, pa, ph))  # by height, then basin numbers: one fixed order
    pa, pb, ph = pa[o], pb[o], ph[o]
    pair = pa.astype(np.int64) * (n + 1) + pb
    _, first = np.unique(pair, return_index=True)  # the lowest pass of each pair
    first.sort()
    flood = list(range(n + 1))
    low = floors.tolist()
    group = list(range(n + 1))

    def find(p, i):
        while p[i] != i:
            p[i] = p[p[i]]
            i = p[i]
        return i

    for a, b, hgt in zip(pa[first].tolist(), pb[first].tolist(), ph[first].tolist()):
        fa, fb = find(flood, a), find(flood, b)
        if fa == fb:
            continue
        if hgt - max(low[fa], low[fb]) < rise:  # the shallower side is no valley of its own
            ga, gb = find(group, a), find(group, b)
            group[max(ga, gb)] = min(ga, gb)
        keep, gone = (fa, fb) if low[fa] <= low[fb] else (fb, fa)
        flood[gone] = keep
    roots = np.array([find(group, i) for i in range(n + 1)])
    _, final = np.unique(roots, return_inverse=True)
    if len(np.unique(final[1:])) < 2:
        return None, None
    return final[basin], q.astype(float)


def _steepest(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's steepest lower neighbour (flat index; itself when none) and the drop per cell
    length to it (0 when none), over 8 neighbours, ties to the first in a fixed order."""
    H, W = z.shape
    idx = np.arange(H * W).reshape(H, W)
    best = np.zeros((H, W))
    to = idx.copy()
    with np.errstate(invalid="ignore"):  # inf − inf between two wall cells: no drop
        for dr, dc in ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)):
            src = (slice(max(0, -dr), H - max(0, dr)), slice(max(0, -dc), W - max(0, dc)))
            dst = (slice(max(0, dr), H - max(0, -dr)), slice(max(0, dc), W - max(0, -dc)))
            drop = (z[src] - z[dst]) / math.hypot(dr, dc)
            better = drop > best[src]
            best[src] = np.where(better, drop, best[src])
            to[src] = np.where(better, idx[dst], to[src])
    return to, best


def _drainage_basins(z: np.ndarray) -> tuple[np.ndarray, int]:
    """Each cell's drainage basin (1 … n): cells joined to their steepest lower neighbour (8
    neighbours, diagonals by their length), and cells with none to their equal neighbours (a flat
    pit or a flat with an outlet, which :func:`_valleys` then joins to where it drains).

    ``scipy.ndimage.watershed_ift`` is not used: it floods by arrival order, not by height (two
    symmetric valleys with a ridge midway split at a quarter)."""
    H, W = z.shape
    idx = np.arange(H * W).reshape(H, W)
    to, best = _steepest(z)
    flat = best == 0
    us, vs = [idx[~flat]], [to[~flat]]
    for a, b in (((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))):
        same = flat[a] & flat[b] & (z[a] == z[b])
        us.append(idx[a][same])
        vs.append(idx[b][same])
    u, v = np.concatenate(us), np.concatenate(vs)
    g = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(H * W, H * W))
    n, lab = connected_components(g, directed=False)
    return lab.reshape(H, W).astype(np.int64) + 1, int(n)


def _local_floor(zf: np.ndarray, labels: np.ndarray, inside: np.ndarray, ky: float, kx: float) -> np.ndarray:
    """Per cell, the lowest cell of its own basin within the radius (``ky``, ``kx`` cells)."""
    ry, rx = max(1, int(round(ky))), max(1, int(round(kx)))
    out = np.full(zf.shape, np.inf)
    lab = np.where(inside, labels, -1)
    for i, sl in enumerate(ndimage.find_objects(lab + 1)):
        if sl is None or i == 0:  # label 0 holds no cell (the basins are numbered from 1)
            continue
        L = i
        ys = slice(max(0, sl[0].start - ry), min(zf.shape[0], sl[0].stop + ry))
        xs = slice(max(0, sl[1].start - rx), min(zf.shape[1], sl[1].stop + rx))
        mine = lab[ys, xs] == L
        arr = np.where(mine, zf[ys, xs], np.inf)
        fl = ndimage.minimum_filter(arr, size=(2 * ry + 1, 2 * rx + 1), mode="constant", cval=np.inf)
        out[ys, xs][mine] = fl[mine]
    return out


def describe(lines: gpd.GeoDataFrame, dem, seconds: float) -> dict:
    """What the report keeps of the ridges used: km of lines, how many, the DEM file, seconds."""
    km = float(shapely.length(lines.geometry.values).sum()) / 1000.0 if len(lines) else 0.0
    return {"ridge_km": round(km, 1), "ridge_lines": int(len(lines)), "dem": str(getattr(dem, "source", "")),
            "rise_m": RISE_M, "seconds": round(seconds, 2)}


def timed_ridge_lines(villages, dem, barriers=None) -> tuple[gpd.GeoDataFrame, dict]:
    """:func:`ridge_lines` and its :func:`describe`."""
    t = time.perf_counter()
    lines = ridge_lines(villages, dem, barriers=barriers)
    return lines, describe(lines, dem, time.perf_counter() - t)


def ridge_layer(ridges: gpd.GeoDataFrame, names: list[str], dem) -> gpd.GeoDataFrame:
    """The ridge lines a partition followed, as the project layer ``ridges`` (山脊线).

    Parameters
    ----------
    ridges : geopandas.GeoDataFrame
        :func:`ridge_lines` (``village`` is a village row).
    names : list of str
        The villages' display names by row (:func:`.villages.village_names`).
    dem : gridtool.io.dem.Dem
        The elevation model they were traced on.

    Returns
    -------
    geopandas.GeoDataFrame
        ``village`` (name), ``length_m`` (metres, whole), ``dem`` (the DEM's file name), ``rise_m``
        and line geometry, so that the wall map, the HTML map and QGIS can name where they came from.
    """
    from pathlib import PurePath

    src = str(getattr(dem, "source", "") or "")
    # The file name, not the path: a path names the planner's folders on a shared map.
    label = PurePath(src.replace("\\", "/")).name or src
    rows = ridges["village"].to_numpy(dtype=np.int64) if len(ridges) else np.empty(0, dtype=np.int64)
    return gpd.GeoDataFrame(
        {"village": [names[i] if 0 <= i < len(names) else "" for i in rows],
         "length_m": np.rint(shapely.length(ridges.geometry.values)).astype(np.int64) if len(ridges)
         else np.empty(0, dtype=np.int64),
         "dem": np.full(len(ridges), label, dtype=object), "rise_m": np.full(len(ridges), RISE_M)},
        geometry=gpd.GeoSeries(ridges.geometry.values, crs=ridges.crs)).reset_index(drop=True)


def with_ridge_lines(lines: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, dem, *,
                     hard=()) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """The barrier lines with the villages' ridges added (class ``ridge``, soft unless ``hard``
    names it), the ridge lines themselves (:func:`ridge_lines`) for the project layer
    (:func:`ridge_layer`), and what :func:`describe` says of them."""
    ridges, info = timed_ridge_lines(villages, dem, lines)
    return add_ridges(lines, ridges, hard=hard), ridges, info


def add_ridges(lines: gpd.GeoDataFrame, ridges: gpd.GeoDataFrame, *, hard=()) -> gpd.GeoDataFrame:
    """The barrier lines with ``ridges`` (:func:`ridge_lines`) added as class ``ridge``, soft
    (:data:`RIDGE_AFFINITY`) unless ``hard`` names it."""
    import pandas as pd

    if not len(ridges):
        return lines
    is_hard = RIDGE_CLASS in {h.strip().lower() for h in hard}
    added = ridges[["cls", "src", "geometry"]].assign(hard=is_hard, affinity=0.0 if is_hard else RIDGE_AFFINITY)
    if not len(lines):
        return gpd.GeoDataFrame(added, geometry="geometry").reset_index(drop=True)
    added = added[[c for c in lines.columns if c in added.columns]]
    out = pd.concat([lines, added.set_crs(lines.crs, allow_override=True) if lines.crs else added],
                    ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry")


__all__ = ["FLOOR_RADIUS_M", "MIN_LENGTH_M", "RIDGE_AFFINITY", "RIDGE_CLASS", "RISE_M", "add_ridges", "ridge_layer",
           "ridge_lines", "timed_ridge_lines", "with_ridge_lines"]
