"""Household-level units: one per building (or per part of an apartment block), with a Voronoi cell.

Used where a block is too coarse: a block holding more households than a grid may, a tight bound
that whole blocks cannot meet, and every sub-grid (about 30 households, finer than most blocks).
Each household feature becomes a unit; a building holding more than ``max_unit`` households (an
apartment block) becomes several units of about ``target_unit`` households each — its parts by
entrance or floor — which may then fall into different sub-grids. Units are joined by a Delaunay
triangulation of their points (scipy) plus nearest neighbours; an edge crossing a barrier line
takes that line's affinity, so sub-grid borders still prefer roads.

Speed (issue 17; synthetic county, the 1,296 grids its sub-grid workers draw, their inputs dumped
once and old and new timed in one process; CPU s, a machine shared with other work). The plan must
stay the same, so the cells and the unit graph of each grid may not change. Of 3.8 s for the first
400 grids: Voronoi 0.39, clipping 0.65, cut cells 0.26, Delaunay 0.22, neighbours 0.09, border
test 0.08, barrier test 0.47; most of the rest is the solver. Tried, nothing kept:

- A Voronoi diagram or Delaunay triangulation per village reused by its grids (measured with the
  whole county as one): no saving, and another plan. One Delaunay of the county's 211,806 sites
  took 2.0 s against 0.57 s for all the per-grid ones, one Voronoi 1.09 s against 1.02 s; 8.5 %
  of the grids' own Delaunay pairs (52,217 of 616,878) are not in the county's, whose triangles
  reach into the neighbouring grids. GEOS's triangulation instead of scipy's: 0.80 s against
  1.09 s (edges included), but other edges in 29 grids (four houses on a circle).
- Clipping: only cells not properly inside the prepared grid are cut already (20,581 of 65,525
  cells in 400 grids, 0.65 s); cutting the grid to each cell's box first is no faster (0.68 s),
  as GEOS clips its inputs to the common box itself. A grid of one building takes no Voronoi.
- Cells cut apart by a bend of the grid sorted out in a few vectorised GEOS calls instead of one
  cell and one piece at a time (the choice measured again for a piece whose neighbour an earlier
  piece had grown): byte-identical cells and the same plan on sample, Nanjing and the county, but
  0.77 → 0.66 s and 0.89 → 0.76 s, about 1 % of the workers' 11 s.
- The barrier test segment by segment in NumPy (orientation signs with Shewchuk's error bound,
  GEOS for the unsure ones): the same edges, 0.72 → 0.40 s for 652 grids, but the segment tree of
  a batch's ~100,000 barrier segments costs 0.16 s per batch, more than it saves.
- Segments made only for edges whose box meets a barrier line's (one tree query for the grid's
  box, then edge boxes against line boxes in NumPy): the same pairs, but the grid's box meets
  hundreds of the batch's short barrier segments, so the box matrix costs more than the segments
  it spares (all 1,296 grids' ``_site_edges``: 4.0 → 5.2 CPU s; 4.28 → 4.41 s with the matrix
  capped at 20,000 cells). Nor does cutting the grid to each cell's box (``clip_by_rect``) help
  the clip: 25 % of the cells come out with other bytes, for 10 % less time.

Kept: lines of affinity 1 (footpaths, a quarter of a county's barrier lines) are not tested, as
they change no edge, nor sent to the sub-grid workers; each worker batch dissolves its outlines
in one :func:`.shapes.dissolve_many` call. The same plan byte for byte; the workers' CPU on the
county's 1,296 grids, old and new alternated five times on a shared machine: 13.6 → 12.5 s mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import Delaunay, QhullError, cKDTree

from ..arrays import unique_ints

PART_AFFINITY = 50.0  # parts of one building stick together unless they must part

# (i, j) of the k-th pair i < j among c ≤ 8 parts, row by row: _PAIR_I[c, k], _PAIR_J[c, k].
_PAIR_I = np.zeros((9, 28), dtype=np.int64)
_PAIR_J = np.zeros((9, 28), dtype=np.int64)
for _c in range(9):
    for _k, (_i, _j) in enumerate((i, j) for i in range(_c - 1) for j in range(i + 1, _c)):
        _PAIR_I[_c, _k], _PAIR_J[_c, _k] = _i, _j


@dataclass
class FineUnits:
    feature: np.ndarray  # household feature row of each unit
    part: np.ndarray  # 0-based part number within the feature
    nparts: np.ndarray  # how many parts the feature was divided into
    hh: np.ndarray
    xy: np.ndarray
    geom: np.ndarray  # Voronoi cell (clipped to the container); parts of one building share it
    area: np.ndarray
    edges_a: np.ndarray
    edges_b: np.ndarray
    affinity: np.ndarray


def split_counts(hh: int, max_unit: int, target_unit: int, min_unit: int) -> list[int]:
    """Households per part for a building of ``hh`` households (one part when ≤ ``max_unit``)."""
    if hh <= max_unit:
        return [hh]
    lo_n = math.ceil(hh / max_unit)
    hi_n = max(lo_n, hh // max(min_unit, 1))
    n = min(max(round(hh / target_unit), lo_n), hi_n)
    base, extra = divmod(hh, n)
    return [base + 1] * extra + [base] * (n - extra)


def split_counts_array(hh: np.ndarray, max_unit: int, target_unit: int, min_unit: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`split_counts` for every building at once: (number of parts, households per part
    in building order). Arithmetic on counts only; no geometry is made for the parts."""
    hh = np.asarray(hh, dtype=np.int64)
    big = hh > max_unit
    n = np.ones(len(hh), dtype=np.int64)
    if big.any():
        h = hh[big]
        lo_n = -(-h // max_unit)
        hi_n = np.maximum(lo_n, h // max(min_unit, 1))
        # Python's round() is round-half-even, as is NumPy's rint.
        n[big] = np.minimum(np.maximum(np.rint(h / target_unit).astype(np.int64), lo_n), hi_n)
    base, extra = np.divmod(hh, n)
    first = np.repeat(np.cumsum(n) - n, n)
    idx = np.arange(int(n.sum()), dtype=np.int64) - first  # part number within its building
    counts = np.repeat(base, n) + (idx < np.repeat(extra, n))
    return n, counts


def household_units(features: np.ndarray, xy: np.ndarray, hh: np.ndarray, container, *,
                    max_unit: int, target_unit: int, min_unit: int,
                    barriers=None, barrier_affinity: np.ndarray | None = None,
                    cache: dict | None = None, snap: float | None = None) -> FineUnits:
    """Units for the household ``features`` (rows) at ``xy`` with ``hh`` households, inside ``container``.

    One NumPy pass over the buildings: parts of apartment blocks are counts (:func:`split_counts_array`),
    and the unit graph is the site graph expanded by index arithmetic. ``snap``: cells clipped on a
    grid of that size (m; GEOS's snap-rounding overlay), for a sub-grid drawn again
    (:func:`.subgrid_draw.subgrids_of`); None: the exact clip every plan is drawn with."""
    features = np.asarray(features, dtype=np.int64)
    nparts_f, uhh = split_counts_array(hh, max_unit, target_unit, min_unit)
    src = np.repeat(np.arange(len(features), dtype=np.int64), nparts_f)  # building of each unit
    feat = features[src]
    nparts = nparts_f[src]
    part = np.arange(len(src), dtype=np.int64) - np.repeat(np.cumsum(nparts_f) - nparts_f, nparts_f)
    uxy = xy[src] if len(src) else np.zeros((0, 2))

    # One site per distinct building position (two features at one spot share a cell).
    # The cells and the site graph depend only on where the buildings are: reused across calls
    # that only cut apartments finer (``cache``).
    if cache is not None and "sites" in cache:
        sites, site_of_feature, cells, site_edges = (cache["sites"], cache["site_of_feature"],
                                                     cache["cells"], cache["site_edges"])
    else:
        sites, site_of_feature = _distinct_rows(np.round(xy, 3))
        dropped: list = []
        cells, plain = _voronoi(sites, container, with_plain=True, dropped=dropped, snap=snap)
        site_edges = _site_edges(sites, barriers, barrier_affinity, cells=cells, plain=plain)
        if cache is not None:
            # ``dropped``: pieces of the grid no cell holds, for the sub-grids to take (.subgrid_tiles).
            cache.update(sites=sites, site_of_feature=site_of_feature, cells=cells, site_edges=site_edges,
                         dropped=dropped)
    nsites = len(sites)
    site_of_unit = site_of_feature[src] if len(src) else np.zeros(0, dtype=np.int64)
    geom = cells[site_of_unit] if len(src) else np.array([], dtype=object)
    per_site = np.bincount(site_of_unit, minlength=nsites) if len(src) else np.zeros(nsites)
    area = shapely.area(geom) / np.maximum(per_site[site_of_unit], 1) if len(src) else np.zeros(0)

    # Site graph, then expanded to units (every part of A joins every part of B), in the order of
    # the site edges and, within one, of the units.
    sa, sb, saff = site_edges
    by_site = np.argsort(site_of_unit, kind="stable")  # units of each site, in unit order
    start = np.zeros(nsites + 1, dtype=np.int64)
    np.cumsum(per_site, out=start[1:])
    ca, cb = per_site[sa].astype(np.int64), per_site[sb].astype(np.int64)
    full = ca * cb <= 64
    # Many floors on both sides: every part reaches the other building through its first.
    m = np.where(full, ca * cb, ca + cb - 1)
    e = np.repeat(np.arange(len(sa), dtype=np.int64), m)
    k = np.arange(int(m.sum()), dtype=np.int64) - np.repeat(np.cumsum(m) - m, m)
    fe, cae, cbe = full[e], ca[e], cb[e]
    i = np.where(fe, k // np.maximum(cbe, 1), np.where(k < cae, k, 0))
    j = np.where(fe, k % np.maximum(cbe, 1), np.where(k < cae, 0, k - cae + 1))
    ea1 = by_site[start[sa[e]] + i]
    eb1 = by_site[start[sb[e]] + j]
    ef1 = saff[e]
    # Parts of one building: every pair, or each floor part with the next two in a tall block.
    c = per_site.astype(np.int64)
    small = c <= 8
    mi = np.where(small, c * (c - 1) // 2, np.maximum(2 * c - 3, 0))
    s_ = np.repeat(np.arange(nsites, dtype=np.int64), mi)
    kk = np.arange(int(mi.sum()), dtype=np.int64) - np.repeat(np.cumsum(mi) - mi, mi)
    cs = c[s_]
    # All pairs (i < j, row by row) from a table for up to 8 parts; in a tall block part i joins
    # i + 1 and i + 2: pair kk is (kk // 2, kk // 2 + 1 + kk % 2).
    small_s = small[s_]
    kt = np.where(small_s, kk, 0)
    ii = np.where(small_s, _PAIR_I[np.where(small_s, cs, 0), kt], kk // 2)
    jj = np.where(small_s, _PAIR_J[np.where(small_s, cs, 0), kt], kk // 2 + 1 + kk % 2)
    ea2 = by_site[start[s_] + ii]
    eb2 = by_site[start[s_] + jj]
    return FineUnits(feature=feat, part=part, nparts=nparts, hh=uhh, xy=uxy, geom=geom, area=area,
                     edges_a=np.concatenate([ea1, ea2]).astype(np.int64),
                     edges_b=np.concatenate([eb1, eb2]).astype(np.int64),
                     affinity=np.concatenate([ef1.astype(float), np.full(len(ea2), PART_AFFINITY)]))


def _distinct_rows(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(xy, axis=0, return_inverse=True)`` for an (n, 2) float array: the distinct
    rows in lexicographic order and the row of each input. A sort on the two columns instead of
    NumPy's sort of structured rows, about three times faster (once per grid drawn)."""
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    s = xy[order]
    head = np.ones(len(s), dtype=bool)
    if len(s) > 1:
        head[1:] = (s[1:] != s[:-1]).any(axis=1)
    inverse = np.empty(len(s), dtype=np.int64)
    inverse[order] = np.cumsum(head) - 1
    return s[head], inverse


def _voronoi(sites: np.ndarray, container, *, with_plain: bool = False, dropped: list | None = None,
             snap: float | None = None):
    """The Voronoi cell of every site, clipped to ``container``, each in one piece. With
    ``with_plain``, also a mask of the cells left exactly as GEOS drew them (not clipped, not
    reshaped): two such cells of sites joined by a Delaunay edge share a border. ``dropped``, when
    given a list, receives the pieces of cells that touch no other cell and are left out."""
    if len(sites) == 1:
        out = np.array([container], dtype=object)
        return (out, np.zeros(1, dtype=bool)) if with_plain else out
    vor = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=container, ordered=True)
    cells = shapely.get_parts(vor)
    matched_in_order = len(cells) == len(sites)
    if not matched_in_order:  # degenerate input: fall back to matching cells to sites
        tree = shapely.STRtree(cells)
        idx = tree.query(shapely.points(sites), predicate="intersects")
        matched = np.full(len(sites), -1)
        matched[idx[0]] = idx[1]
        cells = np.array([cells[m] if m >= 0 else shapely.buffer(shapely.points(*sites[i]), 1.0)
                          for i, m in enumerate(matched)], dtype=object)
    # Only cells reaching over the container's edge need clipping; the test against a prepared
    # container is much cheaper than clipping every cell.
    shapely.prepare(container)
    out = np.array(cells, dtype=object)
    edge = ~shapely.contains_properly(container, out)
    if edge.any():
        out[edge] = shapely.intersection(out[edge], container, grid_size=snap)
        out = _reclip_lost(out, np.asarray(cells, dtype=object), sites, container, np.flatnonzero(edge))
    empty = shapely.is_empty(out)
    if empty.any():  # a site on the container's edge: keep a sliver so the unit has a shape
        out[empty] = shapely.intersection(shapely.buffer(shapely.points(sites[empty]), 2.0), container)
    changed: list[int] = []
    out = _one_piece_cells(out, sites, changed=changed, dropped=dropped)
    if not with_plain:
        return out
    same = np.ones(len(out), dtype=bool)
    same[changed] = False
    plain = ~edge & ~empty & same if matched_in_order else np.zeros(len(out), dtype=bool)
    return out, plain


#: Holes (m²) in a grid outline under which they are no land: gaps the dissolve of barrier-cut
#: blocks leaves between them (Andorra, grid 1-03: 19 holes of 1e-10 to 2e-8 m²).
SPECK = 0.01


def _reclip_lost(clipped: np.ndarray, raw: np.ndarray, sites: np.ndarray, container, idx: np.ndarray) -> np.ndarray:
    """``clipped`` (the ``raw`` Voronoi cells clipped to ``container`` at ``idx``) with each cell
    there that lost its own site clipped again, to the container without its specks of holes
    (:data:`SPECK`).

    GEOS's overlay goes wrong where such a speck meets a Voronoi vertex: Andorra's grid 1-03 (the
    OSM import with barriers) clipped two cells well inside the grid to a 7e-10 m² sliver and to a
    line, so the sub-grid of those two buildings (22 households) had no area and their land was
    drawn in a neighbour. Only cells that lost their site are clipped again, so every other cell
    stays byte for byte as it was (and the plan with it); a site outside the container keeps its
    cell as it came."""
    if not len(idx) or not shapely.get_num_interior_rings(shapely.get_parts(container)).any():
        return clipped
    lost = idx[~shapely.dwithin(clipped[idx], shapely.points(sites[idx]), 0.01)]
    if not len(lost):
        return clipped
    clean = shapely.multipolygons([shapely.Polygon(q.exterior, [r for r in q.interiors if shapely.Polygon(r).area > SPECK])
                                   for q in shapely.get_parts(container)])
    again = shapely.intersection(raw[lost], clean)
    ok = shapely.dwithin(again, shapely.points(sites[lost]), 0.01) & (shapely.area(again) > 0)
    clipped[lost[ok]] = again[ok]
    return clipped


def _one_piece_cells(cells: np.ndarray, sites: np.ndarray, *, changed: list | None = None,
                     dropped: list | None = None) -> np.ndarray:
    """A cell cut in pieces by a bend of its block keeps the piece at its site; the other pieces
    go to the cell they share most border with, so every unit is one piece on the map.
    ``changed``, when given a list, receives the index of every cell replaced (the others are
    the objects given, untouched)."""
    pt = shapely.points(sites)
    orphans = []
    for i in np.flatnonzero(shapely.get_num_geometries(cells) > 1):
        parts = [q for q in shapely.get_parts(cells[i]) if shapely.get_type_id(q) == 3]
        if len(parts) <= 1:
            continue
        d = shapely.distance(np.array(parts, dtype=object), pt[i])
        k = int(np.argmin(d))
        cells[i] = parts[k]
        if changed is not None:
            changed.append(int(i))
        orphans.extend(q for j, q in enumerate(parts) if j != k)
    if orphans:
        tree = shapely.STRtree(cells)
        for q in orphans:
            cand = tree.query(q, predicate="dwithin", distance=0.01)
            if not len(cand):
                if dropped is not None:
                    dropped.append(q)
                continue
            shared = shapely.length(shapely.intersection(shapely.boundary(cells[cand]), shapely.buffer(q, 0.01)))
            j = int(cand[int(np.argmax(shared))])
            cells[j] = shapely.union_all([cells[j], q])
            if changed is not None:
                changed.append(j)
    return cells


def _site_edges(sites: np.ndarray, barriers, barrier_affinity, cells=None, plain=None):
    n = len(sites)
    if n < 2:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    cand = []
    if n >= 3:
        try:
            tri = Delaunay(sites)
            sm = tri.simplices
            for i, j in ((0, 1), (1, 2), (0, 2)):
                cand.append(np.column_stack([np.minimum(sm[:, i], sm[:, j]), np.maximum(sm[:, i], sm[:, j])]))
        except (QhullError, ValueError):
            pass
    n_del = len(cand)
    kn = min(4, n)
    _, nb = cKDTree(sites).query(sites, k=kn)
    nb = np.asarray(nb).reshape(n, -1)[:, 1:]
    src = np.repeat(np.arange(n), nb.shape[1])
    dst = nb.reshape(-1)
    cand.append(np.column_stack([np.minimum(src, dst), np.maximum(src, dst)]))
    # The distinct pairs in sorted order (one integer key per pair: a 1-D unique is much faster).
    allp = np.concatenate(cand).astype(np.int64)
    key = unique_ints(allp[:, 0] * n + allp[:, 1])
    pa = np.column_stack([key // n, key % n]).reshape(-1, 2)
    if cells is not None and len(pa):
        # Neighbours are sites whose cells share a border, so a group of units is one piece on the map.
        # Cells GEOS drew and nothing changed share a border along every Delaunay edge (or meet
        # at a vertex where four sites lie on a circle): only the other pairs need the test.
        known = np.zeros(len(pa), dtype=bool)
        if plain is not None and n_del:
            dp = np.concatenate(cand[:n_del]).astype(np.int64)
            # Every Delaunay pair is among the sorted distinct keys: found by bisection, not isin.
            is_del = np.zeros(len(key), dtype=bool)
            is_del[np.searchsorted(key, dp[:, 0] * n + dp[:, 1])] = True
            known = is_del & plain[pa[:, 0]] & plain[pa[:, 1]]
        touch = known.copy()
        test = ~known
        if test.any():
            touch[test] = shapely.dwithin(cells[pa[test, 0]], cells[pa[test, 1]], 0.01)
        pa = pa[touch]
    # Join whatever is still apart through the closest pair of points (isolated farmsteads).
    pa = _connect(sites, pa)
    d = np.hypot(*(sites[pa[:, 0]] - sites[pa[:, 1]]).T)
    spacing = max(float(np.median(d)), 1.0)
    aff = np.minimum(1.0, spacing / np.maximum(d, 1e-6)) * spacing
    if barriers is not None and len(barrier_affinity):
        segs = shapely.linestrings(np.stack([sites[pa[:, 0]], sites[pa[:, 1]]], axis=1))
        # Candidates by bounding box, then the exact test against the (prepared) barrier lines.
        ei, bi = barriers.query(segs)
        # A line of affinity 1 (a footpath) leaves the edge's affinity as it is: not tested.
        keep = barrier_affinity[bi] < 1.0
        ei, bi = ei[keep], bi[keep]
        if len(ei):
            bg = barriers.geometries.take(bi)
            hit = shapely.intersects(bg, segs[ei])
            ei, bi = ei[hit], bi[hit]
        if len(ei):
            f = np.ones(len(pa))
            np.minimum.at(f, ei, barrier_affinity[bi])
            aff = aff * f
    return pa[:, 0], pa[:, 1], aff


def _connect(sites: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from .kernels import n_components
    n = len(sites)
    # Nearly always connected already: the compiled count answers that without scipy's sparse
    # matrix set-up (a millisecond per call, thousands of calls in a county).
    if n_components(n, np.ascontiguousarray(pairs[:, 0], dtype=np.int64),
                    np.ascontiguousarray(pairs[:, 1], dtype=np.int64)) <= 1:
        return pairs
    m = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    nc, lab = connected_components(m, directed=False)
    extra = []
    while nc > 1:
        a = np.flatnonzero(lab == lab[0])
        b = np.flatnonzero(lab != lab[0])
        d, j = cKDTree(sites[b]).query(sites[a], k=1)
        i = int(np.argmin(d))
        extra.append((int(a[i]), int(b[j[i]])))
        lab[lab == lab[b[j[i]]]] = lab[0]
        nc -= 1
    if extra:
        pairs = np.vstack([pairs, np.array([(min(x), max(x)) for x in extra])])
    return pairs
