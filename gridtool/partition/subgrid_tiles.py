"""The polygons each sub-grid of one grid is drawn from, so that the sub-grids tile their grid.

The solver's units carry Voronoi cells clipped to the grid, but those cells alone left the wall map
blank where no household is and drew one building twice: parts of an apartment block share one
cell, so every sub-grid holding a floor of it drew the whole cell (Nanjing sample: sub-grids
overlapping by 2.5 times the grid area; 2.7 % of its grid area, and 14.7 % of the Liechtenstein
sample's, in no sub-grid: parts of a grid holding no household, and pieces of cells a bend of the
grid cut off that touched no other cell). Here, as the grids do (:func:`.shapes.shared_cells`):

- a building divided between sub-grids is drawn once, in the sub-grid holding most of its
  households; a sub-grid left with nothing to draw gets a strip of one such cell instead (the one
  holding most of its households: strips of several blocks drew it in several places), the cell
  being divided between it and the drawing sub-grid in proportion to their households
  (:func:`strips`), each strip on the side facing that sub-grid's other households. A strip
  across a bent block that falls apart keeps its largest piece; the others are left-over land;
- the rest of the grid (grid − all cells) goes, piece by piece, to a sub-grid it shares an edge
  with (the longest border), pieces touching only such pieces in later rounds; a piece meeting
  sub-grids only at corners waits for its neighbours, and a piece touching none (a part of the
  grid without households) goes to the nearest sub-grid, which is then in pieces as the grid is
  (:func:`_hand_out`). Rounding slivers under 2 cm wide are left out (joined, they stay pieces of
  their own). Sub-grids in pieces, Nanjing sample: 28 before tiling, 54 handing out by any
  contact and strips of every block, 16 now (benchmarks/subgrid_tiling.py).

Only outlines change: the units, households and parts are the solver's. The codes are numbered on
the outlines as they were (``cores``), so that they do not change either.
"""

from __future__ import annotations

import numpy as np
import shapely

from .shapes import dissolve


#: Distance (m) under which a left-over piece touches a cell, as in :func:`.units._one_piece_cells`.
TOUCH = 0.01
#: Width (m) under which a piece the cells leave over is a rounding sliver, not land.
SLIVER = 0.02
#: Border (m) over which a left-over piece shares an edge with a sub-grid, not a corner: the outline
#: within :data:`TOUCH` of a corner measures a few cm unless its angle is under about 5°.
EDGE = 0.25


def tile_parts(container, geom: np.ndarray, hh: np.ndarray, parts: list[np.ndarray], xy=None, *,
               holes: list | None = None) -> tuple[list, list]:
    """``(groups, cores)`` for the ``parts`` (unit indices) of one grid ``container`` whose units
    have cells ``geom`` (parts of one building share the same object), ``hh`` households and
    positions ``xy`` (to lay strips toward the rest of each sub-grid; None: in sub-grid order).
    ``holes``: pieces of the grid known to be in no cell (left out by :func:`.units._voronoi`),
    which spare the overlay finding them when they are all there is.

    ``groups[p]``: the polygons sub-grid ``p`` is drawn from; together they cover the grid once.
    ``cores[p]``: the cells it was drawn from before (to number the sub-grids as before) where
    ``groups[p]`` differs from them, else None (and ``groups[p]`` is those cells, as before)."""
    n, k = len(geom), len(parts)
    groups = [geom[p] for p in parts]
    if not k or not n:
        return groups, [None] * k
    # One site per distinct cell object; the households of every (site, part) in one sort.
    uid = np.fromiter((id(g) for g in geom), dtype=np.int64, count=n)
    _, first, site = np.unique(uid, return_index=True, return_inverse=True)
    # Sites numbered by first unit, not by address, so that every process draws the same.
    by_first = np.argsort(first, kind="stable")
    rank = np.empty(len(first), dtype=np.int64)
    rank[by_first] = np.arange(len(first))
    site = rank[site.reshape(-1)]
    cells = geom[first[by_first]]
    part_of = np.full(n, -1, dtype=np.int64)
    for p, units in enumerate(parts):
        part_of[units] = p
    held = part_of >= 0
    keys, inv = np.unique(site[held] * k + part_of[held], return_inverse=True)
    ks, kp = keys // k, keys % k
    kh = np.bincount(inv, weights=np.asarray(hh, dtype=float)[held])
    # The sub-grid drawing each cell: the one holding most of its households, ties the lowest.
    order = np.lexsort((kp, -kh, ks))
    head = np.ones(len(order), dtype=bool)
    head[1:] = ks[order][1:] != ks[order][:-1]
    owner = np.full(len(cells), -1, dtype=np.int64)
    owner[ks[order][head]] = kp[order][head]
    shared = np.bincount(ks, minlength=len(cells)) > 1
    if shared.any():
        owner = _linking_blocks(cells, owner, ks, kp, shared)
    tile_geom = list(cells)
    tile_lab = owner.copy()
    touched = set(kp[shared[ks]].tolist())  # sub-grids holding part of a shared cell
    # Sub-grids left with nothing to draw: the cells they share are divided into strips.
    empty = np.flatnonzero(np.bincount(owner[owner >= 0], minlength=k) == 0)
    loose: list = []
    if len(empty):
        pos = np.asarray(xy, dtype=float) if xy is not None else None
        w = np.asarray(hh, dtype=float)
        # Each such sub-grid gets a strip of one cell only, the one holding most of its households
        # (ties the first): strips of several blocks lay it in as many places on the wall map
        # (Nanjing: 34 of the 54 sub-grids in pieces). Its households in the other blocks are
        # drawn by those blocks' owners, as every divided building is.
        cand = np.flatnonzero(np.isin(kp, empty) & shared[ks])
        cand = cand[np.lexsort((ks[cand], -kh[cand], kp[cand]))]
        lead = np.ones(len(cand), dtype=bool)
        lead[1:] = kp[cand][1:] != kp[cand][:-1]
        home = np.full(k, -1, dtype=np.int64)
        home[kp[cand][lead]] = ks[cand][lead]
        for s in np.unique(home[home >= 0]).tolist():
            # Between the sub-grids with nothing else and the one drawing it: the others keep
            # what they have, a strip elsewhere would only be a piece apart from it.
            rows = np.flatnonzero((ks == s) & ((home[kp] == s) | (kp == owner[s])))
            hp = kp[rows]
            x0, y0, x1, y1 = shapely.bounds(cells[s])
            size = np.array([x1 - x0, y1 - y0])
            # Each strip on the side of the cell facing the sub-grid's other households, cut
            # across the way those lie apart (else across the longer side).
            toward = np.zeros((len(hp), 2))
            if pos is not None:
                here = pos[site == s][0]
                for i, p in enumerate(hp.tolist()):
                    other = (part_of == p) & (site != s)
                    toward[i] = np.average(pos[other], axis=0, weights=w[other] + 1e-9) if other.any() else here
            spread = np.ptp(toward, axis=0) / np.maximum(size, 1e-9)
            axis = int(np.argmax(spread)) if spread.max() > 0 else (0 if size[0] >= size[1] else 1)
            order = np.lexsort((hp, toward[:, axis]))
            rows, hp = rows[order], hp[order]
            tile_lab[s] = -1
            for p, strip in zip(hp.tolist(), strips(cells[s], kh[rows].tolist(), axis=axis)):
                if strip is not None:
                    # A band across a bent block falls apart: its largest piece is the strip, the
                    # others are left-over land, handed out as the rest of the grid is.
                    bits = shapely.get_parts(strip)
                    big = int(np.argmax(shapely.area(bits))) if len(bits) > 1 else 0
                    tile_geom.append(bits[big] if len(bits) > 1 else strip)
                    tile_lab = np.append(tile_lab, p)
                    loose.extend(b for i, b in enumerate(bits) if i != big and len(bits) > 1)
        for p in np.setdiff1d(empty, tile_lab).tolist():  # nothing to draw: its cells, overlapping
            for c in {id(c): c for c in groups[p]}.values():
                tile_geom.append(c)
                tile_lab = np.append(tile_lab, p)
    tiles = np.array(tile_geom, dtype=object)
    keep = tile_lab >= 0
    tiles, tile_lab = tiles[keep], tile_lab[keep]
    pieces, piece_lab = _fill(container, tiles, tile_lab, holes, loose)
    touched |= set(piece_lab.tolist())
    cores: list = [None] * k
    for p in sorted(touched):
        drawn = list(tiles[tile_lab == p]) + list(pieces[piece_lab == p])
        if {id(c) for c in drawn} != {id(c) for c in groups[p]}:
            cores[p] = list(groups[p])
            groups[p] = drawn
    return groups, cores


def _linking_blocks(cells: np.ndarray, owner: np.ndarray, ks: np.ndarray, kp: np.ndarray,
                    shared: np.ndarray) -> np.ndarray:
    """``owner`` with a divided block handed to another of its holders where the block is the only
    link between that holder's own cells (drawn by the majority holder, it stood in two pieces on the
    wall map: sample grid 990100001002-01, a 4,420 m² block of sub-grids 1 and 4) and the majority
    holder stays one piece without it. ``ks``/``kp``: the (cell, sub-grid) rows holding households.
    Connected here means sharing an edge over :data:`EDGE`, as :func:`_hand_out` joins land; a
    holder already in one piece, or a block whose loss would split its drawer, keeps the rule."""
    n = np.bincount(owner[owner >= 0], minlength=int(kp.max()) + 1)
    rows = np.flatnonzero(shared[ks] & (kp != owner[ks]))
    # Only a holder drawing two cells or more can be in pieces; a drawer left with none would be
    # given a strip instead (elsewhere, in pieces again).
    rows = rows[(n[kp[rows]] >= 2) & (n[owner[ks[rows]]] >= 2)]
    if not len(rows):
        return owner
    who = np.union1d(kp[rows], owner[ks[rows]])
    near = np.flatnonzero(np.isin(owner, who))
    a, b = shapely.STRtree(cells[near]).query(cells[near], predicate="dwithin", distance=TOUCH)
    keep = a < b
    a, b = near[a[keep]], near[b[keep]]
    border = shapely.length(shapely.intersection(shapely.boundary(cells[a]), shapely.buffer(cells[b], TOUCH)))
    a, b = a[border > EDGE], b[border > EDGE]
    owner = owner.copy()

    def pieces(members) -> int:
        inside = np.zeros(len(cells), dtype=bool)
        inside[members] = True
        m = inside[a] & inside[b]
        return _components_of(members, a[m], b[m])

    # Blocks in site order, their holders in sub-grid order (the order of ``ks``, ``kp``): the same
    # in every process.
    for r in rows.tolist():
        s, q = int(ks[r]), int(kp[r])
        o = int(owner[s])
        if o == q or not shared[s]:
            continue
        mine, theirs = np.flatnonzero(owner == q), np.flatnonzero(owner == o)
        if len(mine) < 1 or len(theirs) < 2:
            continue
        before = pieces(mine)
        if before > 1 and pieces(np.append(mine, s)) < before and pieces(theirs[theirs != s]) == 1:
            owner[s] = q
    return owner


def _components_of(members: np.ndarray, a: np.ndarray, b: np.ndarray) -> int:
    """Connected components of the cells ``members`` joined by the pairs ``a``–``b`` (cell indices)."""
    from .kernels import n_components
    members = np.unique(np.asarray(members, dtype=np.int64))
    ia = np.searchsorted(members, a).astype(np.int64)
    ib = np.searchsorted(members, b).astype(np.int64)
    return int(n_components(len(members), ia, ib))


def _fill(container, tiles: np.ndarray, label: np.ndarray, holes: list | None = None,
          loose: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pieces of ``container`` that no tile covers, with the ``loose`` pieces (of strips), and
    the sub-grid (label) each goes to (:func:`_hand_out`)."""
    area = float(shapely.area(container))
    none = (np.array([], dtype=object), np.zeros(0, dtype=np.int64))
    extra = np.array(loose or [], dtype=object)
    cover = np.concatenate([tiles, extra]) if len(extra) else tiles
    tol = 1e-7 * area + 0.01
    pieces = np.array([], dtype=object)
    if not len(tiles):
        return none
    # Cells tile the grid nearly always: the areas tell without an overlay. Gaps of rounding
    # (under 0.1 m² a km²) are no land a planner could see.
    if area - float(shapely.area(cover).sum()) > tol:
        # Parts of the grid holding no cell (a field across the river without houses) are pieces
        # as they are: the overlay is only for the parts with cells, and only when areas differ.
        whole = shapely.get_parts(container)
        occupied = np.zeros(len(whole), dtype=bool)
        occupied[shapely.STRtree(cover).query(whole, predicate="intersects")[0]] = True
        pieces = whole[~occupied]
        full = whole[occupied]
        known = np.array(holes or [], dtype=object)
        if len(known) and abs(float(shapely.area(full).sum()) - float(shapely.area(cover).sum())
                              - float(shapely.area(known).sum())) <= tol:
            pieces = np.concatenate([pieces, known])  # the pieces the cells left out: all that is missing
        elif float(shapely.area(full).sum()) - float(shapely.area(cover).sum()) > tol:
            rest = shapely.difference(full[0] if len(full) == 1 else shapely.multipolygons(full), dissolve(cover))
            pieces = np.concatenate([pieces, shapely.get_parts(rest)])
        pieces = pieces[(shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) > 0.01)]
        # Slivers of rounding along the cells' edges (under 2 cm wide) are no land; joined to a
        # cell they stay a piece of their own, a sub-grid "in two pieces" on the map.
        pieces = pieces[~shapely.is_empty(shapely.buffer(pieces, -SLIVER / 2))]
    pieces = np.concatenate([pieces, extra]) if len(extra) else pieces
    if not len(pieces):
        return none
    given = _hand_out(pieces, tiles, label)
    ok = given >= 0
    return pieces[ok], given[ok]


def _hand_out(pieces: np.ndarray, tiles: np.ndarray, label: np.ndarray) -> np.ndarray:
    """The sub-grid (label of ``tiles``) each of ``pieces`` goes to, so that it adds no piece to it:
    in rounds, each piece sharing an edge (a border over :data:`EDGE`) with a sub-grid or with a
    piece given before to the one it shares the longest border with. Only when no piece left does:
    one piece meeting sub-grids at a corner to the one it meets most (and the pieces sharing an edge
    with it after it, so that only that one is joined at a corner), else the piece nearest a
    sub-grid (a part of the grid without households) to that one, the rest of that part after it.
    Handing out every piece by its longest border at once, corners included, and each piece
    touching none to its nearest sub-grid drew 54 Nanjing sub-grids in pieces (28 before tiling)."""
    given = np.full(len(pieces), -1, dtype=np.int64)
    arr, lab = tiles, label
    todo = np.arange(len(pieces))
    while len(todo):
        tree = shapely.STRtree(arr)
        qi, ti = tree.query(pieces[todo], predicate="dwithin", distance=TOUCH)
        got = np.zeros(len(todo), dtype=bool)
        if len(qi):
            # The border each piece shares with each sub-grid: the tiles' outlines along it.
            border = shapely.length(shapely.intersection(shapely.boundary(arr[ti]),
                                                         shapely.buffer(pieces[todo][qi], TOUCH)))
            best, score = _longest(qi, lab[ti], border, len(todo))
            got = score > EDGE
            if not got.any():  # corners only: the one piece meeting a sub-grid most, then edges again
                one = int(np.lexsort((np.arange(len(todo)), -score))[0])
                got[one] = score[one] > 0
        if not got.any():  # touching none: the piece nearest a sub-grid goes to it
            (qi, ti), d = tree.query_nearest(pieces[todo], return_distance=True, all_matches=True)
            j = int(np.lexsort((lab[ti], qi, d))[0])  # the nearest, equally near by piece and label
            best = np.full(len(todo), -1, dtype=np.int64)
            best[qi[j]] = lab[ti[j]]
            got[qi[j]] = True
        given[todo[got]] = best[got]
        # Pieces given are tiles for the next round (a piece touching only other pieces).
        arr = np.concatenate([arr, pieces[todo[got]]])
        lab = np.concatenate([lab, best[got]])
        todo = todo[~got]
    return given


def _longest(qi: np.ndarray, lab: np.ndarray, score: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query ``0..n-1`` the label whose summed ``score`` (shared border) is largest, ties to
    the lowest label, and that sum; -1 and 0 for a query with no row."""
    best = np.full(n, -1, dtype=np.int64)
    top = np.zeros(n)
    if not len(qi):
        return best, top
    key = qi * (int(lab.max()) + 1) + lab
    uk, inv = np.unique(key, return_inverse=True)
    tot = np.bincount(inv, weights=score)
    uq, ul = uk // (int(lab.max()) + 1), uk % (int(lab.max()) + 1)
    # Sorted by query, then score descending, then label: the first row of each query wins.
    order = np.lexsort((ul, -tot, uq))
    first = np.ones(len(order), dtype=bool)
    first[1:] = uq[order][1:] != uq[order][:-1]
    win = order[first]
    best[uq[win]] = ul[win]
    top[uq[win]] = tot[win]
    return best, top


def strips(poly, weights: list[int], axis: int | None = None) -> list:
    """``poly`` cut across its longer side (``axis`` 0: along x, west to east, 1: along y, south to
    north) into strips whose areas follow ``weights`` (None for an empty strip). As :func:`.shapes.cut_strips`, but by overlay with boxes reaching past ``poly``,
    so that neighbouring strips share their cut exactly and together are ``poly``, a degenerate
    cell does not fail, and without a bisection (40 overlays a cut): between two of its vertices a
    polygon's width along the cut is linear, so the area before a cut is quadratic there, known
    from its values at the vertices and half-way between them (one vectorised overlay)."""
    poly = shapely.make_valid(poly)
    x0, y0, x1, y1 = shapely.bounds(poly)
    horizontal = (x1 - x0) >= (y1 - y0) if axis is None else axis == 0
    lo0, hi0 = (x0, x1) if horizontal else (y0, y1)

    def boxes(a, b):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return shapely.box(a, y0 - 1, b, y1 + 1) if horizontal else shapely.box(x0 - 1, a, x1 + 1, b)

    w = np.asarray(weights, dtype=float)
    total = float(shapely.area(poly))
    want = np.cumsum(w)[:-1] / max(float(w.sum()), 1.0) * total
    br = np.unique(shapely.get_coordinates(poly)[:, 0 if horizontal else 1])
    br = br[(br > lo0) & (br < hi0)]
    if len(br) > 62:  # a cell along a winding grid edge: a few dozen pieces are close enough
        br = br[np.linspace(0, len(br) - 1, 62).round().astype(np.int64)]
    br = np.concatenate([[lo0], br, [hi0]])
    mid = (br[:-1] + br[1:]) / 2
    ends = np.concatenate([br, mid])
    try:  # the rectangle clip is much faster than an overlay, and only the areas are wanted here
        at = shapely.area(np.array([shapely.clip_by_rect(poly, lo0 - 1, y0 - 1, e, y1 + 1) if horizontal
                                    else shapely.clip_by_rect(poly, x0 - 1, lo0 - 1, x1 + 1, e) for e in ends]))
    except shapely.errors.GEOSException:  # a degenerate ring it cannot clip
        at = shapely.area(shapely.intersection(poly, boxes(np.full(len(ends), lo0 - 1), ends)))
    a0, a1, am = at[:len(br) - 1], at[1:len(br)], at[len(br):]
    k = np.clip(np.searchsorted(a1, want), 0, len(mid) - 1)  # the piece between vertices each cut is in
    a, b, c = a0[k], 4 * am[k] - 3 * a0[k] - a1[k], 2 * a1[k] + 2 * a0[k] - 4 * am[k]
    d = np.maximum(want - a, 0.0)
    den = b + np.sqrt(np.maximum(b * b + 4 * c * d, 0.0))
    s = np.clip(np.divide(2 * d, den, out=np.zeros_like(d), where=den > 0), 0.0, 1.0)
    cuts = br[k] + s * (br[k + 1] - br[k])
    edges = np.concatenate([[lo0 - 1], cuts, [hi0 + 1]])
    out = []
    for piece in shapely.intersection(poly, boxes(edges[:-1], edges[1:])):
        parts = [q for q in shapely.get_parts(piece) if shapely.get_type_id(q) in (3, 6) and q.area > 0]
        out.append(shapely.union_all(parts) if len(parts) > 1 else (parts[0] if parts else None))
    return out
