"""Blocks: the faces cut out of each village by its boundary and every barrier line.

A block is the smallest area no road, river or railway crosses; grids are unions of blocks, so
grid borders follow the lines on the ground. Two blocks are neighbours when they share a stretch of
line; the edge between them records which classes of line separate them (all hard → a hard edge)
and the affinity-weighted length of the shared border (see :mod:`.barriers`).

Built with shapely's noding and polygonize (GEOS); finding the two faces along each noded segment
(matching its first segment with the faces' ring segments, exactly) is ours, because GEOS's
polygonizer does not return face adjacency.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..arrays import unique_ints



@dataclass
class Blocks:
    """Block polygons and their adjacency.

    ``gdf`` columns: ``village`` (row of the villages layer), ``hh``, ``n_features``, ``area``,
    ``special`` (row of the special-place table, -1 if none), ``strip`` (an empty face inside a
    soft street/brook parcel, left out of the cuts). ``edges``: ``a``, ``b`` (block rows,
    a < b), ``length``, ``affinity`` (Σ length × class affinity), ``hard`` (every separating
    stretch is hard), ``major`` (a main road or stream separates them), ``cls`` (the class
    separating them over the longest stretch), ``cross_village`` (the blocks lie in two villages). ``household_block``: block row of every household
    feature (-1 outside all villages).
    """

    gdf: gpd.GeoDataFrame
    edges: pd.DataFrame
    household_block: np.ndarray
    # Borders of the strip faces: ``strip``, ``other`` (the block across), ``geometry`` (segment).
    strip_border: pd.DataFrame | None = None
    # ``point_on_surface`` of every block as (x, y), made once here: the grids stage places every
    # whole block at it, region after region and refinement step after step.
    points: np.ndarray | None = None


def _points_in(polys: np.ndarray, tree: shapely.STRtree, pts: np.ndarray, *, touch: bool = True):
    """(point index, polygon index) pairs of points inside (``touch``: or on) polygons.

    STRtree's own predicate test prepares the *query* geometry, which does nothing for points;
    here the bounding-box candidates are tested against prepared polygons instead (many points
    against few complex polygons), which is several times faster."""
    shapely.prepare(polys)
    i, j = tree.query(pts)
    if not len(i):
        return i, j
    ok = (shapely.intersects if touch else shapely.contains_properly)(polys[j], pts[i])
    return i[ok], j[ok]


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for the block. Noding, faces and their rings create
    millions of short-lived geometry objects, each counted towards the next collection, and every
    full collection walks all the county's objects: about 4 % of the blocks stage on a
    510,000-household county, for no garbage (these objects form no cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def build_blocks(villages: gpd.GeoDataFrame, points: np.ndarray, hh: np.ndarray,
                 lines: gpd.GeoDataFrame, *, special: np.ndarray | None = None,
                 strips: list | None = None) -> Blocks:
    """Cut ``villages`` by ``lines`` into blocks and count the households of each.

    Parameters
    ----------
    villages : GeoDataFrame of village polygons (project CRS, metres).
    points : shapely points, one per household feature.
    hh : households per feature.
    lines : barrier lines from :func:`.barriers.barrier_lines`.
    special : optional polygons of special places (专属网格) carved out as blocks of their own.
    strips : optional ``(cls, area)`` of soft barrier areas (street, brook and ditch parcels) from
        :func:`.barriers.barrier_lines`: the empty faces inside them are marked ``strip`` and the
        land on their two sides becomes neighbours across them (see :func:`_join_across_strips`).
    """
    with _collector_paused():
        return _build_blocks(villages, points, hh, lines, special=special, strips=strips)


def _build_blocks(villages, points, hh, lines, *, special, strips) -> Blocks:
    vgeoms = shapely.make_valid(villages.geometry.values)
    boundary = shapely.boundary(vgeoms)
    segs = [boundary]
    seg_cls = [np.full(len(boundary), "village", dtype=object)]
    seg_aff = [np.zeros(len(boundary))]
    seg_hard = [np.zeros(len(boundary), dtype=bool)]
    # Only lines that touch a village matter; clip the rest away before noding.
    if len(lines):
        from .geomcheck import GAP, close_gaps, lines_reaching
        near = np.flatnonzero(lines_reaching(lines.geometry.to_numpy(), vgeoms))
        ln = lines.iloc[near]
        segs.append(ln.geometry.values)
        seg_cls.append(ln["cls"].to_numpy(dtype=object))
        seg_aff.append(ln["affinity"].to_numpy(dtype=float))
        seg_hard.append(ln["hard"].to_numpy(dtype=bool))
        # A hard line stopping a few metres short of another line or of the village boundary (a
        # river digitised up to the bank road, not onto it) still closes: its end is joined to
        # what it nearly meets, as :mod:`.geomcheck` reads the drawn grids.
        hard = ln["hard"].to_numpy(dtype=bool)
        if hard.any():
            lcls = ln["cls"].to_numpy(dtype=object)
            lg = ln.geometry.to_numpy()
            every = np.concatenate([lg, np.asarray(boundary, dtype=object)])
            every_tree = shapely.STRtree(every)
            for cls in sorted(set(lcls[hard])):
                sel = hard & (lcls == cls)
                # The other lines and the village outlines, in their order, but only those within
                # GAP of an end of these lines: a dangling end is an end of one of them (ends at
                # junctions touch another of them and are never joined), and close_gaps joins an
                # end only to what lies within GAP. The full set meant a tree of every line of the
                # county per class (the same links; the order kept, so ties break the same way).
                parts = shapely.get_parts(lg[sel])
                ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
                near_sel = unique_ints(every_tree.query(ends, predicate="dwithin", distance=GAP + 1e-3)[1])
                others = every[near_sel[~np.r_[sel, np.zeros(len(boundary), dtype=bool)][near_sel]]]
                links = close_gaps(lg[sel], None, extra=others)
                if len(links):
                    segs.append(links)
                    seg_cls.append(np.full(len(links), cls, dtype=object))
                    seg_aff.append(np.zeros(len(links)))
                    seg_hard.append(np.ones(len(links), dtype=bool))
    if special is not None and len(special):
        sb = shapely.boundary(shapely.make_valid(special))
        segs.append(sb)
        seg_cls.append(np.full(len(sb), "special", dtype=object))
        seg_aff.append(np.zeros(len(sb)))
        seg_hard.append(np.zeros(len(sb), dtype=bool))
    src = np.concatenate(segs)
    src_cls = np.concatenate(seg_cls)
    src_aff = np.concatenate(seg_aff)
    src_hard = np.concatenate(seg_hard)
    src = shapely.force_2d(src)

    noded = shapely.get_parts(shapely.union_all(src))
    noded = noded[shapely.get_type_id(noded) == 1]
    faces = shapely.get_parts(shapely.polygonize(noded))
    faces = faces[shapely.area(faces) > 1e-3]

    # A face belongs to the village containing a point inside it; faces outside villages go.
    rep = shapely.point_on_surface(faces)
    vtree = shapely.STRtree(vgeoms)
    fi, vi = _points_in(vgeoms, vtree, rep, touch=False)
    # A point on a village's edge (rare: point_on_surface is interior) still needs its village.
    fi, first = np.unique(fi, return_index=True)
    vi = vi[first]
    face_village = np.full(len(faces), -1, dtype=np.int64)
    face_village[fi] = vi
    keep = face_village >= 0
    faces, face_village, rep = faces[keep], face_village[keep], rep[keep]
    face_special = np.full(len(faces), -1, dtype=np.int64)
    if special is not None and len(special):
        si, sj = shapely.STRtree(shapely.make_valid(special)).query(rep, predicate="within")
        face_special[si] = sj

    # Households into faces; a point exactly on a line goes to the nearest face of its village.
    ftree = shapely.STRtree(faces)
    pi, pf = _points_in(faces, ftree, points)
    hb = np.full(len(points), -1, dtype=np.int64)
    # A point on the outline of a special place goes to the face outside it: a special grid
    # never takes a household that is not inside its area.
    order = np.lexsort((pf, face_special[pf] >= 0, pi))
    pi, pf = pi[order], pf[order]
    first = np.unique(pi, return_index=True)[1]
    hb[pi[first]] = pf[first]
    lost = np.flatnonzero(hb < 0)
    if len(lost):
        inside = unique_ints(_points_in(vgeoms, vtree, points[lost])[0])
        lost = lost[inside]
        if len(lost):
            li, lf = ftree.query_nearest(points[lost], max_distance=5.0, all_matches=False)
            hb[lost[li]] = lf
    w = np.bincount(hb[hb >= 0], weights=hh[hb >= 0], minlength=len(faces))
    n = np.bincount(hb[hb >= 0], minlength=len(faces))

    gdf = gpd.GeoDataFrame({"village": face_village, "hh": np.rint(w).astype(np.int64),
                            "n_features": n, "area": shapely.area(faces), "special": face_special},
                           geometry=gpd.GeoSeries(faces, crs=villages.crs))
    sides: list = []
    edges = _adjacency(noded, faces, src, src_cls, src_aff, src_hard, face_village, sides=sides)
    gdf["strip"] = False
    border = None
    if strips:
        edges, is_strip = _join_across_strips(faces, rep, w, face_village, edges, strips)
        gdf["strip"] = is_strip
        if is_strip.any() and sides:
            left, right, seg = sides
            one = is_strip[left] != is_strip[right]
            border = pd.DataFrame({"strip": np.where(is_strip[left], left, right)[one],
                                   "other": np.where(is_strip[left], right, left)[one], "geometry": seg[one]})
    return Blocks(gdf=gdf, edges=edges, household_block=hb, strip_border=border,
                  points=shapely.get_coordinates(rep).reshape(-1, 2))


def _join_across_strips(faces, rep, w, face_village, edges: pd.DataFrame, strips: list):
    """Land on the two sides of a soft strip (a street or brook drawn as a parcel) made neighbours.

    The empty face inside a street network parcel touches every block of a town and nothing
    else: as a node of the block graph it would be a hub that no cut can split. Each pair of its
    neighbouring blocks that face each other across it (closer than 1.5 × its width + 1 m) gets an
    edge with the strip's class; the strip faces themselves are marked so that the engine leaves
    them out of the cuts and shares them between the grids around them afterwards."""
    from .barriers import AFFINITY, MAJOR
    polys, cls = [], []
    for c, area in strips:
        for part in shapely.get_parts(area):
            polys.append(part)
            cls.append(c)
    is_strip = np.zeros(len(faces), dtype=bool)
    if not polys or not len(edges):
        return edges, is_strip
    polys = np.asarray(polys, dtype=object)
    fi, si = shapely.STRtree(polys).query(rep, predicate="within")
    strip_cls = np.full(len(faces), None, dtype=object)
    is_strip[fi] = w[fi] == 0
    strip_cls[fi] = np.asarray(cls, dtype=object)[si]
    if not is_strip.any():
        return edges, is_strip
    ea, eb, el = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["length"].to_numpy()
    # Only land the strip touches along a soft border: across a railway or river beside the
    # street nothing is joined.
    touch = (is_strip[ea] != is_strip[eb]) & ~edges["hard"].to_numpy(dtype=bool)
    s_of = np.where(is_strip[ea], ea, eb)[touch]
    n_of = np.where(is_strip[ea], eb, ea)[touch]
    l_of = el[touch]
    order = np.argsort(s_of, kind="stable")
    s_of, n_of, l_of = s_of[order], n_of[order], l_of[order]
    cuts = np.flatnonzero(np.diff(s_of)) + 1
    bounds = shapely.bounds(faces)
    rows = []
    for grp_s, grp_n, grp_l in zip(np.split(s_of, cuts), np.split(n_of, cuts), np.split(l_of, cuts)):
        if len(grp_n) < 2:
            continue
        st = int(grp_s[0])
        width = max(2.0 * shapely.area(faces[st]) / max(shapely.length(faces[st]), 1e-9), 1.0)
        reach = 1.5 * width + 1.0
        nb = grp_n
        i, j = shapely.STRtree(faces[nb]).query(faces[nb], predicate="dwithin", distance=reach)
        keep = i < j
        i, j = i[keep], j[keep]
        if not len(i):
            continue
        a, b = nb[i], nb[j]
        # Facing length: the overlap of the two blocks' boxes (grown by the reach), at most the
        # frontage either has on the strip.
        ba, bb = bounds[a], bounds[b]
        dx = np.minimum(ba[:, 2], bb[:, 2]) - np.maximum(ba[:, 0], bb[:, 0]) + reach
        dy = np.minimum(ba[:, 3], bb[:, 3]) - np.maximum(ba[:, 1], bb[:, 1]) + reach
        front = np.maximum(np.maximum(dx, dy), 1.0)
        la, lb = grp_l[i], grp_l[j]
        length = np.minimum(front, np.minimum(la, lb))
        c = strip_cls[st]
        rows.append(pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b), "length": length,
                                  "affinity": length * AFFINITY.get(c, 0.6), "major": c in MAJOR,
                                  "hard": False, "cls": c}))
    if not rows:
        return edges, is_strip
    add = pd.concat(rows, ignore_index=True)
    add["cross_village"] = face_village[add["a"].to_numpy()] != face_village[add["b"].to_numpy()]
    both = pd.concat([edges, add[edges.columns]], ignore_index=True)
    first_cls = both.drop_duplicates(["a", "b"]).set_index(["a", "b"])["cls"]
    g = both.groupby(["a", "b"], sort=True).agg(length=("length", "sum"), affinity=("affinity", "sum"),
                                                 major=("major", "any"), hard=("hard", "all"),
                                                 cross_village=("cross_village", "any"))
    g["cls"] = first_cls.reindex(g.index).to_numpy()
    return g.reset_index()[edges.columns], is_strip


def _adjacency(noded, faces, src, src_cls, src_aff, src_hard, face_village, sides: list | None = None
               ) -> pd.DataFrame:
    """Faces on the two sides of every noded segment, and what separates them (``sides``, when
    given a list, receives the left faces, right faces and segments)."""
    length = shapely.length(noded)
    noded, length = noded[length > 1e-6], length[length > 1e-6]
    left, right = _faces_along(noded, faces)
    ok = (left >= 0) & (right >= 0) & (left != right)
    idx = np.flatnonzero(ok)
    if sides is not None:
        sides.extend([left[idx], right[idx], noded[idx]])
    if not len(idx):
        # No two faces share an edge (one block per village, villages apart): an empty table with
        # every column the engine reads, so that callers never meet a missing column.
        return pd.DataFrame({"a": [], "b": [], "length": [], "affinity": [], "major": [], "hard": [],
                             "cross_village": [], "cls": []}).astype(
            {"a": np.int64, "b": np.int64, "length": float, "affinity": float, "major": bool, "hard": bool,
             "cross_village": bool, "cls": object})
    # Which source lines run along each noded segment: the hardest (lowest affinity) wins.
    mid = shapely.line_interpolate_point(noded[idx], length[idx] / 2)
    qi, qs = _lines_along(src, mid)
    seg_aff = np.ones(len(idx))
    seg_hard = np.zeros(len(idx), dtype=bool)
    seg_cls = np.full(len(idx), "road", dtype=object)
    if len(qi):
        df = pd.DataFrame({"i": qi, "aff": src_aff[qs], "hard": src_hard[qs], "cls": src_cls[qs]})
        df = df.sort_values(["i", "hard", "aff"], ascending=[True, False, True]).drop_duplicates("i")
        seg_aff[df["i"].to_numpy()] = df["aff"].to_numpy()
        seg_hard[df["i"].to_numpy()] = df["hard"].to_numpy()
        seg_cls[df["i"].to_numpy()] = df["cls"].to_numpy()
    from .barriers import MAJOR
    a = np.minimum(left[idx], right[idx])
    b = np.maximum(left[idx], right[idx])
    L = length[idx]
    e = pd.DataFrame({"a": a, "b": b, "length": L, "affinity": L * seg_aff,
                      "soft_len": np.where(seg_hard, 0.0, L),
                      "major": np.isin(seg_cls, list(MAJOR)) & ~seg_hard, "cls": seg_cls})
    longest = e.sort_values("length", ascending=False).drop_duplicates(["a", "b"]).set_index(["a", "b"])["cls"]
    g = e.groupby(["a", "b"], sort=True).agg(length=("length", "sum"), affinity=("affinity", "sum"),
                                             soft_len=("soft_len", "sum"), major=("major", "any"))
    g["hard"] = g["soft_len"] <= 1e-9
    ia = g.index.get_level_values(0).to_numpy()
    ib = g.index.get_level_values(1).to_numpy()
    # Edges across a village boundary are kept for merges of villages; normal runs drop them.
    g["cross_village"] = face_village[ia] != face_village[ib]
    g["cls"] = longest.reindex(g.index).to_numpy()
    return g.drop(columns="soft_len").reset_index()


def _faces_along(noded: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two faces on either side of every noded line (-1 where there is none: a dangle, the
    outside of every village), found exactly: polygonize builds each face's rings from the noded
    lines' own vertices, so the faces along a noded line are the faces whose rings hold its first
    segment (in either direction; a line has the same faces all along, faces change only at
    nodes). ``left`` gets the lower face number, ``right`` the other; a line both of whose sides
    are one face (a cut edge inside a block) gets it twice.

    Each segment gets a 64-bit key from the bits of its end coordinates (the same either way
    round); the face segments are looked up among the lines' sorted keys and every match is then
    compared coordinate for coordinate, so a key shared by chance changes nothing. This replaced
    two point-in-polygon lookups per line, 5 cm either side, which jumped over sliver faces."""
    n = len(noded)
    left = np.full(n, -1, dtype=np.int64)
    right = np.full(n, -1, dtype=np.int64)
    if not n or not len(faces):
        return left, right
    # First segment of each noded line, and every segment of every face ring.
    lxy, lid = shapely.get_coordinates(noded, return_index=True)
    first = np.r_[0, np.flatnonzero(np.diff(lid)) + 1]
    qa, qb = lxy[first], lxy[first + 1]
    rings, owner = shapely.get_rings(faces, return_index=True)
    rxy, rid = shapely.get_coordinates(rings, return_index=True)
    same = np.flatnonzero(rid[:-1] == rid[1:])
    seg_face = owner[rid[same]]
    qkey = _segment_key(_point_mix(qa), _point_mix(qb))
    hv = _point_mix(rxy)
    skey = _segment_key(hv[same], hv[same + 1])
    order = np.argsort(qkey, kind="stable")
    qs = qkey[order]
    # Most ring segments match no line: a table of the lines' keys' low bits (a few MB, no false
    # negatives) leaves about a third of the ring segments for the binary search, which misses
    # the cache at every step.
    bits = int(min(max(np.ceil(np.log2(16 * n)), 16), 24))
    low = np.uint64((1 << bits) - 1)
    seen = np.zeros(1 << bits, dtype=bool)
    seen[(qkey & low).astype(np.intp)] = True
    maybe = np.flatnonzero(seen[(skey & low).astype(np.intp)])
    lo = np.searchsorted(qs, skey[maybe], side="left")
    found = qs[np.minimum(lo, n - 1)] == skey[maybe]
    some, lo = maybe[found], lo[found]
    # Every line with the face segment's key (one, nearly always; a key shared by chance gives
    # more, and the comparison of coordinates keeps the right one).
    cnt = np.searchsorted(qs, skey[some], side="right") - lo
    hit = np.repeat(some, cnt)
    line = order[np.repeat(lo, cnt) + (np.arange(len(hit)) - np.repeat(np.cumsum(cnt) - cnt, cnt))]
    face = seg_face[hit]
    # Exact: the same two points, either way round.
    a, b, c, d = qa[line], qb[line], rxy[same[hit]], rxy[same[hit] + 1]
    exact = ((a == c).all(axis=1) & (b == d).all(axis=1)) | ((a == d).all(axis=1) & (b == c).all(axis=1))
    line, face = line[exact], face[exact]
    if not len(line):
        return left, right
    o = np.lexsort((face, line))
    line, face = line[o], face[o]
    head = np.r_[True, line[1:] != line[:-1]]
    rank = np.arange(len(line)) - np.maximum.accumulate(np.where(head, np.arange(len(line)), 0))
    left[line[rank == 0]] = face[rank == 0]
    right[line[rank == 1]] = face[rank == 1]
    return left, right


def _point_mix(xy: np.ndarray) -> np.ndarray:
    """splitmix64 of each point's coordinate bits, combined: one 64-bit word per point."""
    bits = np.ascontiguousarray(xy + 0.0, dtype=np.float64).view(np.uint64)  # + 0.0: -0.0 → 0.0
    with np.errstate(over="ignore"):
        h = bits[:, 0] * np.uint64(0x9E3779B97F4A7C15) + bits[:, 1]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def _segment_key(ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """A 64-bit key of each segment from the :func:`_point_mix` of its two ends, the same either
    way round (a key, not an identity: matches are checked on the coordinates). The ends are
    mixed once per vertex: a ring's vertex ends one segment and starts the next."""
    with np.errstate(over="ignore"):
        lo, hi = np.minimum(ha, hb), np.maximum(ha, hb)
        return lo * np.uint64(0xD6E8FEB86659FD93) ^ hi


def _lines_along(src: np.ndarray, mid: np.ndarray, dist: float = 0.01, piece: int = 8
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(point, source line) pairs of the points ``mid`` within ``dist`` of the lines ``src``, in
    the order ``STRtree(src).query`` then ``dwithin`` gives them (the caller's tie-breaks between
    lines of equal rank follow it).

    The plain query matched every point against the bounding box of every long line around it
    (village outlines, rivers: most candidates, then an exact test on a long line each); here
    lines of more than ``piece`` segments are cut into pieces of ``piece`` segments, so boxes
    hardly overlap and the candidates are few and cheap. A point is within ``dist`` of a line
    exactly when it is within ``dist`` of one of its pieces (GEOS measures a line segment by
    segment), so the pairs are the same; only points near two or more lines are looked up again
    in the plain tree, for its order."""
    none = np.zeros(0, dtype=np.intp)
    if not len(src) or not len(mid):
        return none, none
    parts, owner = shapely.get_parts(src, return_index=True)
    long_ = shapely.get_num_coordinates(parts) > piece + 1
    pieces, piece_owner = [parts[~long_]], [owner[~long_]]
    if long_.any():
        # Piece c of a part holds its vertices c·piece … min((c + 1)·piece, last): a vertex at a
        # multiple of ``piece`` (not the part's last) ends one piece and starts the next. Built
        # piece by piece in part order, by index arithmetic (no sort of the million vertices).
        lp = parts[long_]
        xy = shapely.get_coordinates(lp)
        cnt = shapely.get_num_coordinates(lp).astype(np.int64)
        start = np.r_[0, np.cumsum(cnt)[:-1]]
        k = (cnt - 2) // piece + 1  # pieces per part (> piece + 1 vertices: at least two)
        pid = np.repeat(np.arange(len(lp)), k)
        c0 = (np.arange(len(pid)) - np.repeat(np.cumsum(k) - k, k)) * piece
        plen = np.minimum(c0 + piece, cnt[pid] - 1) - c0 + 1
        label = np.repeat(np.arange(len(pid)), plen)
        vi = np.repeat(start[pid] + c0 - (np.cumsum(plen) - plen), plen) + np.arange(len(label))
        cut = shapely.linestrings(xy[vi], indices=label)
        pieces.append(cut)
        piece_owner.append(owner[long_][pid])
    pieces = np.concatenate(pieces)
    piece_owner = np.concatenate(piece_owner)
    pi, sj = shapely.STRtree(pieces).query(mid, predicate="dwithin", distance=dist)
    n = np.int64(len(src))
    # Sorted distinct (point, line) keys, as np.unique gives them: the pairs come in point order,
    # so a stable sort (runs already in order) and a mask are much cheaper than its hashing.
    key = np.sort(pi.astype(np.int64) * n + piece_owner[sj], kind="stable")
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    qi, qs = key // n, key % n
    many = np.flatnonzero(np.bincount(qi, minlength=len(mid)) > 1)
    if len(many):
        # The plain tree's order among the lines found for one point.
        mc = shapely.get_coordinates(mid[many])
        boxes = shapely.box(mc[:, 0] - dist, mc[:, 1] - dist, mc[:, 0] + dist, mc[:, 1] + dist)
        mi, ms = shapely.STRtree(src).query(boxes)
        mi = many[mi]
        mkey = mi.astype(np.int64) * n + ms
        at = np.minimum(np.searchsorted(key, mkey), len(key) - 1)  # key is sorted and distinct
        mkey = mkey[key[at] == mkey]
        is_many = np.zeros(len(mid), dtype=bool)
        is_many[many] = True
        single = ~is_many[qi]
        qi = np.concatenate([qi[single], mkey // n])
        qs = np.concatenate([qs[single], mkey % n])
        order = np.argsort(qi, kind="stable")
        qi, qs = qi[order], qs[order]
    return qi.astype(np.intp), qs.astype(np.intp)
