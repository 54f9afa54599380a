"""The sub-grids of one grid: household units, the cut into parts of about 30, the fallback.

:func:`subgrids_of` depends only on the grid's households, its outline and the barrier lines
across it, so :mod:`.subgrids` draws grids one after another here and :mod:`.subgrid_workers`
on other processes, with the same result byte for byte. Inside each grid the households are cut
into Voronoi units (:mod:`.units`); apartment blocks are opened into entrances and then floors
only when coarser units cannot meet the bounds, and the units are split into k sub-grids by the
same solver as the grids (:mod:`.solver`). A grid whose households no count of sub-grids fits
gets greedy chunks (:func:`fallback_chunks`), flagged ``exception``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import shapely

from ..errors import CancelledError
from .feasibility import feasible_grid_counts
from .solver import UnitGraph, partition
from .subgrid_tiles import tile_parts
from .units import household_units, split_counts_array


def draw_one(gi, weights, container, ctx, bounds, stop):
    """:func:`subgrids_of` of grid ``gi`` of :func:`.subgrids.subgrid_work`, in this process."""
    if stop():
        raise CancelledError()
    uniq, fhh = weights
    return subgrids_of(uniq, fhh, ctx["points_xy"][uniq], container, ctx["barriers"], ctx["barrier_affinity"],
                       stop=stop, **bounds)


def subgrids_of(uniq, fhh, xy, container, barriers, barrier_affinity, *, sub_min: int, sub_max: int,
                sub_target: int, stop: Callable[[], bool] | None = None):
    """The sub-grids of one grid from its features ``uniq`` (rows), their households ``fhh`` and
    positions ``xy``: ``((feature, part, nparts, hh) per unit, parts as sorted unit indices,
    status, the polygons of each part, None, the cells each part was numbered on)``: the polygons
    tile ``container`` (:func:`.subgrid_tiles.tile_parts`), the last is None for a part drawn from
    its own cells. Depends on nothing else, so grids may be drawn anywhere (:mod:`.subgrid_workers`)
    and collected in grid order."""
    H = int(fhh.sum())
    ks = sorted(feasible_grid_counts(H, sub_min, sub_max), key=lambda k: (abs(H / k - sub_target), k))
    parts = None
    # Apartment blocks are cut into finer parts (entrances, then floors) only when the
    # coarser cut cannot meet the bounds.
    half = max(sub_min // 2, 1)
    quarter = max(sub_min // 4, 1)
    ladder = ((sub_max, sub_target), (sub_target, sub_min), (half, half), (quarter, quarter))
    cache: dict = {}
    sites = sites_inside(xy, container)
    tried = None  # parts per building of the last step searched
    for step, (umax, utarget) in enumerate(ladder):
        last = step == len(ladder) - 1
        # A step that cuts no building finer than the one before has the same units and the same
        # search (all but the last), so it fails as that one did: not made again. Rural grids of
        # small houses skipped two or three such steps each.
        nparts = split_counts_array(fhh, umax, utarget, min(sub_min, utarget))[0]
        if not last and tried is not None and np.array_equal(nparts, tried):
            continue
        tried = nparts
        made = dict(max_unit=umax, target_unit=utarget, min_unit=min(sub_min, utarget))
        fu = household_units(uniq, sites, fhh, container, **made,
                             barriers=barriers, barrier_affinity=barrier_affinity, cache=cache)
        G = UnitGraph(fu.hh, fu.xy, fu.area, fu.edges_a, fu.edges_b, fu.affinity)
        # Coarse units get a short search: when they do not fit, finer ones will.
        for k in ks[:3] if last else ks[:1]:
            parts = partition(G, range(len(fu.hh)), k, sub_min, sub_max, cancelled=stop, budget=40 if last else 8)
            if parts is not None:
                break
        if parts is not None or not ks:
            break
    status = "ok"
    if parts is None:
        parts = [list(range(len(fu.hh)))] if H < sub_min or not ks else fallback_chunks(G, fu.hh, sub_max)
        status = "exception"
    parts = [np.asarray(sorted(p), dtype=np.int64) for p in parts]
    groups, cores = tile_parts(container, fu.geom, fu.hh, parts, fu.xy, holes=cache.get("dropped"))
    if len(flat_parts(groups, fu.hh, parts)):
        # A sub-grid with households but no area is never written as it is: invisible on every map,
        # its buildings drawn in a neighbour (Andorra 1-03-06, GEOS clipping two cells to nothing).
        # Its units' cells are clipped again on a millimetre grid (a robust overlay) and the grid
        # tiled anew, the same units and parts; failing that the grid is flagged an exception.
        again = {}
        redo = household_units(uniq, sites, fhh, container, **made, barriers=barriers,
                               barrier_affinity=barrier_affinity, cache=again, snap=SNAP)
        if len(redo.hh) == len(fu.hh):
            groups, cores = tile_parts(container, redo.geom, fu.hh, parts, fu.xy, holes=again.get("dropped"))
        if len(flat_parts(groups, fu.hh, parts)):
            status = "exception"
    return (fu.feature, fu.part, fu.nparts, fu.hh), parts, status, groups, None, cores


#: Drawn area (m²) under which a sub-grid holding households is not drawn at all on a map.
FLAT = 1.0
#: Grid (m) cells are clipped on when a sub-grid came out flat (:func:`subgrids_of`).
SNAP = 1e-3


def flat_parts(groups: list, hh: np.ndarray, parts: list) -> np.ndarray:
    """The sub-grids (indices of ``parts``) holding households whose polygons ``groups`` cover under
    :data:`FLAT` m² (each distinct polygon counted once: floors of a block share one cell). One
    area call for the whole grid: it runs on every grid drawn."""
    owner, geoms = [], []
    for p, group in enumerate(groups):
        distinct = {id(g): g for g in group}
        owner.extend([p] * len(distinct))
        geoms.extend(distinct.values())
    area = np.bincount(np.asarray(owner, dtype=np.int64), minlength=len(parts),
                       weights=shapely.area(np.asarray(geoms, dtype=object)) if geoms else None)
    held = np.asarray([int(np.asarray(hh)[u].sum()) > 0 for u in parts], dtype=bool)
    return np.flatnonzero(held & (area < FLAT))


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
