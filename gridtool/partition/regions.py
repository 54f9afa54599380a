"""Regions of a village and the grids drawn on them: merged, bridged, grown and repaired.

A *region* is a set of blocks no hard barrier crosses. Before cutting, regions no grid count fits
are joined to a neighbour (:func:`merge_regions`), separate pieces are bridged for the solver
(:func:`bridge_parts`) and small pockets are contracted so that no grid splits them
(:func:`contract_pockets`, :func:`keep_pockets_whole`). After cutting, the grids grow over what the
cuts left: blocks without households (:func:`attach_empty`), street and brook strips divided down
the middle (:func:`share_strips`), exclaves (:func:`nearest_grid_with_room`, :func:`mark_apart`).
In a redraw, previous grids in pieces keep their largest piece and new land takes a neighbour's
grid (:func:`keep_largest_pieces`, :func:`fill_labels`).

Written by hand: these are gridtool's own rules (barriers, pockets, exclaves, strips) on the block
graph of :mod:`.blocks`; no library knows them. :class:`DraftGrid` is a grid while it is drawn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from .feasibility import feasible_grid_counts
from .solver import UnitGraph


@dataclass
class DraftGrid:
    village: int
    units: list  # (block, feature, part, nparts, hh, geom) rows
    blocks: set = field(default_factory=set)
    status: str = "ok"
    note: str = ""
    bounds: tuple[int, int] = (300, 500)
    locked: bool = False
    prev: int = -1  # row of the previous plan a locked grid keeps
    geom: object = None  # a locked grid's polygon, kept exactly


def merge_regions(regions, g_all: UnitGraph, w, lo, hi, geoms=None):
    """Join regions that no grid count fits to a neighbour (across a hard barrier) that fixes them.

    With ``geoms`` (block polygons), a region nothing reaches through block edges (a separate
    part of the village) joins the nearest populated region by distance. Returns the regions, the
    number of joins across barriers (unavoidable hard crossings) and the regions that stayed unfit
    because nothing populated borders them (exclaves).
    """
    regions = [sorted(r) for r in regions]
    crossings = 0
    given_up: set[int] = set()  # smallest block of a region nothing can fix
    while True:
        region_of = {}
        for i, r in enumerate(regions):
            for b in r:
                region_of[b] = i
        tot = [int(w[r].sum()) for r in regions]
        bad = [i for i, r in enumerate(regions) if tot[i] > 0 and r[0] not in given_up
               and not feasible_grid_counts(tot[i], lo, hi)]
        if not bad:
            return regions, crossings, [r for r in regions if r[0] in given_up]
        i = min(bad, key=lambda j: (tot[j], regions[j][0]))
        # Nearest populated regions through any edge (hard included), passing through empty ones.
        best = None
        seen = {i}
        frontier = [i]
        path_of = {i: []}
        while frontier and best is None:
            nxt = []
            for ri in frontier:
                for b in regions[ri]:
                    for v, _ in g_all.nbrs[b]:
                        rj = region_of.get(v)
                        if rj is None or rj in seen:
                            continue
                        seen.add(rj)
                        path_of[rj] = path_of[ri] + [rj]
                        if tot[rj] == 0:
                            nxt.append(rj)
                            continue
                        merged = tot[i] + tot[rj]
                        key = (not feasible_grid_counts(merged, lo, hi), merged, regions[rj][0])
                        if best is None or key < best[0]:
                            best = (key, path_of[rj])
            frontier = nxt
        apart = False
        if best is None and geoms is not None:
            # Nothing reaches it through the village: a part of a village in several pieces (an
            # island, a hamlet beyond another village). It joins the nearest populated region, so
            # that a village which fits one grid is one grid; no barrier is crossed inside it.
            best = nearest_region(i, regions, tot, geoms, lo, hi)
            apart = best is not None
        if best is None:
            given_up.add(regions[i][0])
            continue
        merged = list(regions[i])
        for rj in best[1]:
            merged.extend(regions[rj])
        drop = set(best[1]) | {i}
        regions = [r for j, r in enumerate(regions) if j not in drop] + [sorted(merged)]
        crossings += 0 if apart else 1


def nearest_region(i: int, regions: list, tot: list, geoms, lo: int, hi: int):
    """(key, [j]) for the populated region nearest to region ``i`` by distance, preferring one the
    merge makes feasible; None when there is none."""
    others = [j for j in range(len(regions)) if j != i and tot[j] > 0]
    if not others:
        return None
    mine = np.asarray(regions[i], dtype=np.int64)
    theirs = np.concatenate([np.asarray(regions[j], dtype=np.int64) for j in others])
    owner = np.concatenate([np.full(len(regions[j]), j) for j in others])
    tree = shapely.STRtree(geoms[theirs])
    src, dst = tree.query_nearest(geoms[mine], all_matches=False)
    d = shapely.distance(geoms[mine[src]], geoms[theirs[dst]])
    dist: dict[int, float] = {}
    for j, x in zip(owner[dst].tolist(), d.tolist()):
        dist[j] = min(dist.get(j, np.inf), x)
    best = None
    for j in others:
        if j not in dist:
            continue
        key = (not feasible_grid_counts(tot[i] + tot[j], lo, hi), round(dist[j], 3), regions[j][0])
        if best is None or key < best[0]:
            best = (key, [j])
    return best


def bridge_parts(region: list[int], edges: pd.DataFrame, geoms) -> pd.DataFrame:
    """Links between the separate pieces of a region (a village in several parts): each piece,
    in order of its first block, joins the nearest block of the pieces before it. The links are
    hard (never a reason to stay together) and cost nothing to cut."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from .kernels import n_components
    blocks = np.asarray(region, dtype=np.int64).reshape(-1)
    n = len(blocks)
    # Positions of the edges' blocks in the region (every edge lies inside it) by a sorted lookup.
    srt = np.argsort(blocks, kind="stable")
    a = srt[np.searchsorted(blocks[srt], edges["a"].to_numpy(dtype=np.int64))] if len(edges) else np.zeros(0, np.int64)
    b = srt[np.searchsorted(blocks[srt], edges["b"].to_numpy(dtype=np.int64))] if len(edges) else np.zeros(0, np.int64)
    # Nearly every region is in one piece: the compiled count says so without scipy's set-up.
    if n_components(n, a.astype(np.int64), b.astype(np.int64)) <= 1:
        return edges.iloc[:0]
    ncomp, lab = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    if ncomp <= 1:
        return edges.iloc[:0]
    comps = sorted((blocks[lab == c] for c in range(ncomp)), key=lambda c: int(c.min()))
    links = []
    done = comps[0]
    for comp in comps[1:]:
        tree = shapely.STRtree(geoms[done])
        src, dst = tree.query_nearest(geoms[comp], all_matches=False, return_distance=False)
        d = shapely.distance(geoms[comp[src]], geoms[done[dst]])
        k = int(np.argmin(d))
        x, y = int(comp[src[k]]), int(done[dst[k]])
        links.append({"a": min(x, y), "b": max(x, y), "length": 0.0, "affinity": 0.0, "major": False,
                      "hard": True, "cross_village": False, "cls": "apart"})
        done = np.concatenate([done, comp])
    out = pd.DataFrame(links)
    return out[[c for c in edges.columns if c in out]]


def contract_pockets(us, pocket_of: dict, lo: int):
    """The unit graph with every small pocket (under ``lo`` households) merged into one node.

    Returns (graph, groups: node -> unit indices) or None when there is nothing to merge."""
    g = us.graph
    n = len(g)
    # Arrays, not loops over the units (a region has hundreds; each is refined several times).
    blocks, inv = np.unique(np.asarray(us.block, dtype=np.int64), return_inverse=True)
    lab = np.array([pocket_of.get(int(b), -1) for b in blocks.tolist()], dtype=np.int64)[inv.reshape(-1)]
    inp = lab >= 0
    plabs, pinv = np.unique(lab[inp], return_inverse=True)
    tot = np.bincount(pinv.reshape(-1), weights=g.w[inp], minlength=len(plabs))  # whole numbers
    small_u = np.zeros(n, dtype=bool)
    small_u[np.flatnonzero(inp)] = tot[pinv.reshape(-1)] < lo
    if not small_u.any() or len(np.unique(lab[small_u])) == int(small_u.sum()):
        return None  # no small pocket of more than one unit
    # Nodes keep the order of their first unit: a small pocket's units form one node, every
    # other unit one of its own.
    key = np.where(small_u, lab, -1 - np.arange(n, dtype=np.int64))
    _, first, kinv = np.unique(key, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    node = rank[kinv.reshape(-1)]
    m = len(first)
    size = np.bincount(node, minlength=m)
    by_node = np.argsort(node, kind="stable")  # units of each node, ascending
    groups: list[list[int]] = np.split(by_node, np.cumsum(size)[:-1])
    groups = [grp.tolist() for grp in groups]
    # A node of one unit is that unit, with the same arithmetic as the sums below.
    head = by_node[np.cumsum(size) - size]
    w = g.w[head].astype(np.int64)
    area = g.area[head].astype(float)
    xy = (g.xy[head] * g.area[head, None]) / np.maximum(area, 1e-9)[:, None]
    for i in np.flatnonzero(size > 1).tolist():
        grp = groups[i]
        w[i] = int(g.w[grp].sum())
        area[i] = float(g.area[grp].sum())
        xy[i] = (g.xy[grp] * g.area[grp, None]).sum(axis=0) / max(float(g.area[grp].sum()), 1e-9)
    xy = xy.reshape(-1, 2)
    ea, eb, ef = g._edges
    na, nb = node[ea], node[eb]
    keep = na != nb
    return UnitGraph(w, xy, area, na[keep], nb[keep], ef[keep]), groups


def keep_pockets_whole(parts: list[list[int]], us, pocket_of: dict, lo: int, hi: int) -> None:
    """A pocket (a piece enclosed by hard barriers, joined to the region because it cannot make a
    grid alone) split between grids costs a crossing per grid: move its smaller shares to the grid
    holding most of it when both grids stay within [lo, hi] and the giving grid stays connected."""
    w = us.graph.w
    by_pocket: dict[int, dict[int, list[int]]] = {}
    for pi, part in enumerate(parts):
        for u in part:
            by_pocket.setdefault(pocket_of.get(int(us.block[u]), -1), {}).setdefault(pi, []).append(u)
    tot = [int(w[p].sum()) for p in parts]
    for pocket, shares in sorted(by_pocket.items()):
        if pocket < 0 or len(shares) < 2:
            continue
        hh = {pi: int(w[us_].sum()) for pi, us_ in shares.items()}
        if sum(hh.values()) >= lo:
            continue  # a pocket big enough for a grid of its own is not one that had to be joined
        # The grid holding most of it takes the rest; if the bounds or contiguity forbid that,
        # the next largest holder is tried.
        for keep in sorted(hh, key=lambda pi: (-hh[pi], pi)):
            trial = [list(p) for p in parts]
            t = list(tot)
            for pi, moved in sorted(shares.items()):
                if pi == keep:
                    continue
                m = set(moved)
                rest = [u for u in trial[pi] if u not in m]
                if not (lo <= t[pi] - hh[pi] <= hi and lo <= t[keep] + hh[pi] <= hi):
                    break
                if not rest or len(us.graph.components(rest)) != 1:
                    break
                if len(us.graph.components(trial[keep] + moved)) != 1:
                    break
                trial[pi] = rest
                trial[keep] = trial[keep] + moved
                t[pi] -= hh[pi]
                t[keep] += hh[pi]
            else:
                parts[:] = trial
                tot[:] = t
                break


def keep_largest_pieces(g: UnitGraph, labels: np.ndarray, piece_before: np.ndarray | None = None) -> None:
    """A previous grid now in pieces (a road moved) keeps its largest piece; the others are
    handed to their neighbours by :func:`fill_labels`. Pieces with no neighbour (exclaves) stay,
    and so do pieces that were apart in the previous plan already: ``piece_before`` (per unit, the
    part of its previous grid's polygon it lies in, -1 none) tells them — a piece lying only in
    parts of the polygon that the largest piece does not touch (an exclave, or land joined
    across a barrier) is the grid as it was."""
    for lab in np.unique(labels[labels >= 0]).tolist():
        comps = g.components(np.flatnonzero(labels == lab))
        if len(comps) < 2:
            continue
        comps.sort(key=lambda c: (-int(g.w[c].sum()), c[0]))
        main = set(piece_before[comps[0]].tolist()) if piece_before is not None else set()
        for c in comps[1:]:
            if piece_before is not None:
                mine = set(piece_before[c].tolist())
                if -1 not in mine and not mine & main:
                    continue
            if any(labels[v] != lab for u in c for v, _ in g.nbrs[u]):
                labels[c] = -1


def fill_labels(g: UnitGraph, labels: np.ndarray) -> bool:
    """Units without a previous grid (new area) take a neighbour's grid, spreading outwards."""
    todo = deque(u for u in range(len(labels)) if labels[u] >= 0)
    while todo:
        u = todo.popleft()
        for v, _ in g.nbrs[u]:
            if labels[v] < 0:
                labels[v] = labels[u]
                todo.append(v)
    rest = np.flatnonzero(labels < 0)
    have = np.flatnonzero(labels >= 0)
    if len(rest) and len(have):
        # New area not touching any grid (an island): the grid of the nearest unit.
        from scipy.spatial import cKDTree
        _, j = cKDTree(g.xy[have]).query(g.xy[rest], k=1)
        labels[rest] = labels[have[np.atleast_1d(j)]]
    return bool((labels >= 0).all())


def nearest_grid_with_room(grids, region, bg, H, hi):
    geoms = bg.geometry.values
    target = shapely.union_all(geoms[region])
    best = None
    for gi, g in enumerate(grids):
        tot = sum(u[4] for u in g.units)
        if g.status != "ok" or tot + H > hi:
            continue
        d = float(shapely.distance(geoms[sorted(g.blocks)], target).min())  # no union needed
        if best is None or d < best[0]:
            best = (d, gi)
    return None if best is None else best[1]


def attach_empty(grids: list[DraftGrid], empty: list[int], g_all: UnitGraph, bg):
    """Blocks without households join the grid they border most, so grids cover the village."""
    owner: dict[int, set] = {}
    for gi, g in enumerate(grids):
        for b in g.blocks:
            owner.setdefault(b, set()).add(gi)
    pending = [b for b in empty if b not in owner]
    geoms = bg.geometry.values
    for _ in range(len(pending) + 1):
        if not pending:
            break
        left = []
        for b in pending:
            score: dict[int, float] = {}
            for v, f in g_all.nbrs[b]:
                if v not in owner:
                    continue
                if len(owner[v]) == 1:
                    gi = next(iter(owner[v]))
                    score[gi] = score.get(gi, 0.0) + f + 1e-6
                    continue
                # A block shared by several grids (opened into households): only the grids whose
                # part of it actually borders this block count.
                edge = shapely.buffer(shapely.boundary(geoms[b]), 0.05)
                for gi in owner[v]:
                    part = [u[5] for u in grids[gi].units if u[0] == v]
                    touch = float(shapely.length(shapely.intersection(
                        shapely.boundary(shapely.union_all(part)), edge))) if part else 0.0
                    if touch > 0.01:
                        score[gi] = score.get(gi, 0.0) + touch * 1e-3 + 1e-6
            if score:
                gi = max(score, key=lambda x: (score[x], -x))
                owner[b] = {gi}
                grids[gi].units.append((int(b), -1, 0, 1, 0, geoms[b]))
                grids[gi].blocks.add(int(b))
            else:
                left.append(b)
        if len(left) == len(pending):
            break
        pending = left
    if pending and grids:
        # Unreachable through edges (an island): the nearest grid by distance.
        own = np.array([b for g in grids for b in g.blocks])
        gid = np.array([gi for gi, g in enumerate(grids) for _ in g.blocks])
        tree = shapely.STRtree(geoms[own])
        src, dst = tree.query_nearest(geoms[np.asarray(pending)], all_matches=False)
        for i, j in zip(src.tolist(), dst.tolist()):
            b, gi = pending[i], int(gid[j])
            grids[gi].units.append((int(b), -1, 0, 1, 0, geoms[b]))
            grids[gi].blocks.add(int(b))
            # A separate part of the village (no households) goes with the nearest grid.
            if grids[gi].status == "ok" and not grids[gi].note:
                grids[gi].note = "exclave"


def share_strips(grids: list[DraftGrid], strips: list[int], g_all: UnitGraph, bg, border) -> None:
    """Each street/brook strip (an empty face inside a soft parcel) divided between the grids
    around it: points along its border take the grid of the block (or household cell) across it,
    and the strip's Voronoi cells of those points are dissolved per grid, so the divide runs down
    the middle of the street. A strip touching one grid goes to it whole; one touching none to the
    nearest grid."""
    if not grids:
        return
    geoms = bg.geometry.values
    whole: dict[int, int] = {}
    cells: dict[int, list] = {}
    for gi, g in enumerate(grids):
        for blk, feat, _, _, _, geom in g.units:
            if feat < 0:
                whole.setdefault(int(blk), gi)
            else:
                cells.setdefault(int(blk), []).append((gi, geom))
    by_strip = border_groups(border)
    for s in strips:
        poly = geoms[s]
        grp = by_strip.get(int(s))
        pts, lab = [], []
        width = max(2.0 * shapely.area(poly) / max(shapely.length(poly), 1e-9), 1.0)
        if grp is not None:
            segs = shapely.segmentize(grp["geometry"].to_numpy(), max(width, 5.0))
            for other, seg in zip(grp["other"].tolist(), segs):
                xy = shapely.get_coordinates(seg)
                xy = (xy[:-1] + xy[1:]) / 2 if len(xy) > 1 else xy
                if other in whole:
                    ls = [whole[other]] * len(xy)
                elif other in cells:
                    cand = cells[other]
                    d = np.stack([shapely.distance(c[1], shapely.points(xy)) for c in cand])
                    ls = [cand[k][0] for k in d.argmin(axis=0)]
                else:
                    continue
                pts.append(xy)
                lab += ls
        owners = sorted(set(lab))
        if not owners:
            own = np.array([b for g in grids for b in g.blocks], dtype=np.int64)
            gid = np.array([gi for gi, g in enumerate(grids) for _ in g.blocks], dtype=np.int64)
            owners = [int(gid[shapely.STRtree(geoms[own]).query_nearest(poly, all_matches=False)[0]])]
        if len(owners) == 1:
            pieces = {owners[0]: poly}
        else:
            xy = np.vstack(pts)
            xy, first = np.unique(np.round(xy, 3), axis=0, return_index=True)
            lab = np.asarray(lab)[first]
            vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=poly, ordered=True))
            pieces = {}
            for gi in owners:
                # Voronoi cells tile the plane: their coverage union is exact and fast.
                part = shapely.make_valid(shapely.intersection(shapely.coverage_union_all(vor[lab == gi]), poly))
                polys = [q for p in shapely.get_parts(part) if shapely.get_type_id(p) in (3, 6)
                         for q in shapely.get_parts(p)]
                part = polys[0] if len(polys) == 1 else shapely.multipolygons(polys) if polys else shapely.Polygon()
                if not shapely.is_empty(part) and shapely.area(part) > 1e-3:
                    pieces[int(gi)] = part
        for gi, part in pieces.items():
            grids[gi].units.append((int(s), -1, 0, 1, 0, part))
            grids[gi].blocks.add(int(s))


def border_groups(border) -> dict:
    """The strip borders by strip face, grouped once per table."""
    if border is None or not len(border):
        return {}
    cached = border.attrs.get("_groups")
    if cached is None:
        strip = border["strip"].to_numpy()
        order = np.argsort(strip, kind="stable")
        cuts = np.flatnonzero(np.diff(strip[order])) + 1
        cached = {int(strip[idx[0]]): border.iloc[idx] for idx in np.split(order, cuts)}
        border.attrs["_groups"] = cached
    return cached


def mark_apart(grids: list[DraftGrid], g_all: UnitGraph, region_blocks) -> None:
    """A grid holding blocks of more than one separate part of the village says why it is in
    pieces: ``note = "exclave"`` (the village itself is in several parts)."""
    comps = g_all.components(region_blocks)
    if len(comps) <= 1:
        return
    part_of = {b: k for k, c in enumerate(comps) for b in c}
    for g in grids:
        if g.status == "ok" and not g.note and len({part_of.get(b, -1) for b in g.blocks}) > 1:
            g.note = "exclave"
