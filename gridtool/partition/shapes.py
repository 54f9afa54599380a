"""Grid and sub-grid outlines: many dissolves of cells that tile an area, in few GEOS calls.

A county has thousands of grids and tens of thousands of sub-grids, each the union of the blocks
or Voronoi cells it holds. One ``coverage_union_all`` call per outline spends more time in Python
and in building one collection at a time than in GEOS; here the groups are laid out as rows of a
padded array (``None`` where a row is shorter, which GEOS ignores) and dissolved row by row in one
vectorised call per size class, with the same checks as :func:`dissolve` applied to all rows at
once. The result of each row is byte-for-byte that of :func:`dissolve` on the same cells in the
same order (the same GEOS operation on the same collection); rows whose coverage union fails or
does not match the cells' area fall back to :func:`dissolve` itself.

Written by hand because shapely offers the row-wise reduction (``axis=1``) but not the grouping,
the de-duplication of cells shared by parts of one building, or the fallback.

:func:`shared_cells` chooses what each grid is drawn from: a building divided between grids (an
apartment block by entrance) is drawn once, in the grid holding most of it, or cut into strips
(:func:`cut_strips`) when a grid holds nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..arrays import unique_ints

if TYPE_CHECKING:
    from .regions import DraftGrid


def dissolve(polys) -> shapely.Geometry:
    """Union of polygons that tile an area (blocks, Voronoi cells): GEOS's coverage union, which is
    much faster than a general union; the general union where the pieces overlap or it fails."""
    uniq = list({id(p): p for p in polys}.values())  # parts of one building share a cell
    arr = np.array(uniq, dtype=object)
    if len(arr) == 1:
        return shapely.make_valid(arr[0])
    try:
        out = shapely.coverage_union_all(arr)
        if shapely.is_valid(out) and abs(shapely.area(out) - float(shapely.area(arr).sum())) < 1e-6 * max(
                float(shapely.area(arr).sum()), 1.0) + 0.01:
            return out
    except shapely.errors.GEOSException:
        pass
    return shapely.make_valid(shapely.union_all(arr))


def dissolve_many(groups: list) -> np.ndarray:
    """:func:`dissolve` of every group of polygons (a list of lists), as one object array."""
    out = np.empty(len(groups), dtype=object)
    uniq = [list({id(p): p for p in g}.values()) for g in groups]
    sizes = np.array([len(u) for u in uniq], dtype=np.int64)
    one = np.flatnonzero(sizes == 1)
    if len(one):
        out[one] = shapely.make_valid(np.array([uniq[i][0] for i in one], dtype=object))
    for i in np.flatnonzero(sizes == 0):  # as dissolve: the union of nothing
        out[i] = dissolve(groups[i]) if groups[i] else shapely.GeometryCollection()
    many = np.flatnonzero(sizes > 1)
    if not len(many):
        return out
    # Size classes (powers of two) keep the padding under half of each array.
    cls = np.ceil(np.log2(sizes[many])).astype(np.int64)
    for c in unique_ints(cls):
        rows = many[cls == c]
        width = int(sizes[rows].max())
        arr = np.full((len(rows), width), None, dtype=object)
        for r, i in enumerate(rows.tolist()):
            arr[r, :sizes[i]] = uniq[i]
        area = shapely.area(arr)
        total = np.nansum(np.where(arr == None, 0.0, area), axis=1)  # noqa: E711 - object array
        try:
            u = shapely.coverage_union_all(arr, axis=1)
        except shapely.errors.GEOSException:
            for i in rows.tolist():
                out[i] = dissolve(uniq[i])
            continue
        ok = shapely.is_valid(u) & (np.abs(shapely.area(u) - total) < 1e-6 * np.maximum(total, 1.0) + 0.01)
        out[rows[ok]] = u[ok]
        for r in np.flatnonzero(~ok).tolist():
            # dissolve() would compute this row's coverage union again: its own test on the one made.
            out[rows[r]] = _checked_or_union(u[r], np.array(uniq[rows[r]], dtype=object))
    return out


def _checked_or_union(cover, arr: np.ndarray) -> shapely.Geometry:
    """:func:`dissolve` of ``arr`` (distinct polygons, more than one) given its coverage union
    ``cover``: the same test, the general union where it fails."""
    if shapely.is_valid(cover) and abs(shapely.area(cover) - float(shapely.area(arr).sum())) < 1e-6 * max(
            float(shapely.area(arr).sum()), 1.0) + 0.01:
        return cover
    return shapely.make_valid(shapely.union_all(arr))


def expand_units(grids, features_of_block: dict, hh: np.ndarray) -> tuple[dict, np.ndarray]:
    """The household features of every grid: ``({feature, part, nparts, hh, grid_index}``
    columns, households per grid``)``, with a whole block expanded into its features (in the
    order of ``features_of_block``) and a household unit (a building or an apartment part) as it
    is; rows in grid order, then unit order, as the engine's assignment table has always been."""
    n_units = np.fromiter((len(g.units) for g in grids), dtype=np.int64, count=len(grids))
    if not n_units.sum():
        z = np.zeros(0, dtype=np.int64)
        return {"feature": z, "part": z, "nparts": z, "hh": z, "grid_index": z}, np.zeros(len(grids), dtype=np.int64)
    cols = np.array([u[:5] for g in grids for u in g.units], dtype=np.int64).reshape(-1, 5)
    blk, feat, part, nparts, h = cols.T
    gi = np.repeat(np.arange(len(grids), dtype=np.int64), n_units)
    hh_total = np.bincount(gi, weights=h, minlength=len(grids)).astype(np.int64)
    # Blocks → their features, through one flat array of the blocks that appear.
    is_blk = feat < 0
    keys = unique_ints(blk[is_blk])
    lists = [np.asarray(features_of_block.get(int(b), ()), dtype=np.int64) for b in keys.tolist()]
    size = np.array([len(x) for x in lists], dtype=np.int64)
    flat = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
    first = np.cumsum(size) - size
    kpos = np.searchsorted(keys, blk)
    cnt = np.where(is_blk, size[np.minimum(kpos, max(len(keys) - 1, 0))] if len(keys) else 0, 1)
    r = np.repeat(np.arange(len(blk), dtype=np.int64), cnt)
    k = np.arange(len(r), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    rb = is_blk[r]
    f = np.where(rb, flat[np.where(rb, first[np.minimum(kpos[r], max(len(keys) - 1, 0))] + k, 0)]
                 if len(flat) else 0, feat[r])
    return {"feature": f, "part": np.where(rb, 0, part[r]), "nparts": np.where(rb, 1, nparts[r]),
            "hh": np.where(rb, np.asarray(hh, dtype=np.int64)[f], h[r]), "grid_index": gi[r]}, hh_total


def shared_cells(grids: list[DraftGrid]) -> list[list]:
    """The polygons each grid is drawn from, with every building split between grids (an
    apartment block by entrance, whose parts share one cell) drawn once: in the grid holding most
    of its households, so that grids never overlap and areas count land once. A grid made only of
    such parts gets a strip of the cell instead, the cell being divided between its grids in
    proportion to their households."""
    share: dict[int, dict[int, int]] = {}
    cell: dict[int, object] = {}
    for gi, g in enumerate(grids):
        for _, feat, _, nparts, h, geom in g.units:
            if feat >= 0 and nparts > 1:
                share.setdefault(feat, {})
                share[feat][gi] = share[feat].get(gi, 0) + int(h)
                cell[feat] = geom
    split = {f: s for f, s in share.items() if len(s) > 1}
    owner = {f: min(s, key=lambda gi: (-s[gi], gi)) for f, s in split.items()}
    drawn: list[list] = []
    for gi, g in enumerate(grids):
        polys, seen = [], set()
        for _, feat, _, _, _, geom in g.units:
            if feat in split and owner[feat] != gi:
                continue
            if id(geom) not in seen:
                seen.add(id(geom))
                polys.append(geom)
        drawn.append(polys)
    # Grids left with nothing to draw: the buildings they hold are divided into strips.
    empty = [gi for gi, polys in enumerate(drawn) if not polys]
    divide = sorted({f for gi in empty for _, f, *_ in grids[gi].units if f in split})
    for f in divide:
        members = sorted(split[f])
        strips = cut_strips(cell[f], [split[f][gi] for gi in members])
        for gi, strip in zip(members, strips):
            drawn[gi] = [p for p in drawn[gi] if p is not cell[f]] + ([strip] if strip is not None else [])
    for gi, polys in enumerate(drawn):
        if not polys:  # nothing could be drawn: keep the shared cells rather than an empty grid
            drawn[gi] = list({id(u[5]): u[5] for u in grids[gi].units}.values())
    return drawn


def cut_strips(poly, weights: list[int]) -> list:
    """``poly`` cut across its longer side into strips whose areas follow ``weights``."""
    x0, y0, x1, y1 = shapely.bounds(poly)
    horizontal = (x1 - x0) >= (y1 - y0)
    total = float(sum(weights)) or 1.0
    area = float(shapely.area(poly))
    cuts, acc = [], 0.0
    for wgt in weights[:-1]:
        acc += wgt / total
        lo, hi = (x0, x1) if horizontal else (y0, y1)
        for _ in range(40):  # bisection on the cut position for the area wanted
            mid = (lo + hi) / 2
            box = (x0, y0, mid, y1) if horizontal else (x0, y0, x1, mid)
            if float(shapely.area(shapely.clip_by_rect(poly, *box))) < acc * area:
                lo = mid
            else:
                hi = mid
        cuts.append((lo + hi) / 2)
    edges = [x0 if horizontal else y0, *cuts, x1 if horizontal else y1]
    out = []
    for a, b in zip(edges, edges[1:]):
        box = (a, y0, b, y1) if horizontal else (x0, a, x1, b)
        piece = shapely.make_valid(shapely.clip_by_rect(poly, *box))
        out.append(None if shapely.is_empty(piece) else piece)
    return out
