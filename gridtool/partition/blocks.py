"""Blocks: the faces cut out of each village by its boundary and every barrier line.

A block is the smallest area no road, river or railway crosses; grids are unions of blocks, so
grid borders follow the lines on the ground. Two blocks are neighbours when they share a stretch of
line; the edge between them records which classes of line separate them (all hard → a hard edge)
and the affinity-weighted length of the shared border (see :mod:`.barriers`).

Built with shapely's noding and polygonize (GEOS); the side-of-segment lookup that finds the two
faces along each noded segment is ours, because GEOS's polygonizer does not return face adjacency.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

_SIDE = 0.05  # metres either side of a segment where its two faces are looked up


@dataclass
class Blocks:
    """Block polygons and their adjacency.

    ``gdf`` columns: ``village`` (row of the villages layer), ``hh``, ``n_features``, ``area``,
    ``special`` (row of the special-place table, -1 if none). ``edges``: ``a``, ``b`` (block rows,
    a < b), ``length``, ``affinity`` (Σ length × class affinity), ``hard`` (every separating
    stretch is hard), ``major`` (a main road or stream separates them), ``cls`` (the class
    separating them over the longest stretch), ``cross_village`` (the blocks lie in two villages). ``household_block``: block row of every household
    feature (-1 outside all villages).
    """

    gdf: gpd.GeoDataFrame
    edges: pd.DataFrame
    household_block: np.ndarray


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


def build_blocks(villages: gpd.GeoDataFrame, points: np.ndarray, hh: np.ndarray,
                 lines: gpd.GeoDataFrame, *, special: np.ndarray | None = None) -> Blocks:
    """Cut ``villages`` by ``lines`` into blocks and count the households of each.

    Parameters
    ----------
    villages : GeoDataFrame of village polygons (project CRS, metres).
    points : shapely points, one per household feature.
    hh : households per feature.
    lines : barrier lines from :func:`.barriers.barrier_lines`.
    special : optional polygons of special places (专属网格) carved out as blocks of their own.
    """
    vgeoms = shapely.make_valid(villages.geometry.values)
    boundary = shapely.boundary(vgeoms)
    segs = [boundary]
    seg_cls = [np.full(len(boundary), "village", dtype=object)]
    seg_aff = [np.zeros(len(boundary))]
    seg_hard = [np.zeros(len(boundary), dtype=bool)]
    # Only lines that touch a village matter; clip the rest away before noding.
    if len(lines):
        tree = shapely.STRtree(vgeoms)
        near = np.unique(tree.query(lines.geometry.values, predicate="intersects")[0])
        ln = lines.iloc[near]
        segs.append(ln.geometry.values)
        seg_cls.append(ln["cls"].to_numpy(dtype=object))
        seg_aff.append(ln["affinity"].to_numpy(dtype=float))
        seg_hard.append(ln["hard"].to_numpy(dtype=bool))
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
    order = np.lexsort((pf, pi))
    pi, pf = pi[order], pf[order]
    first = np.unique(pi, return_index=True)[1]
    hb[pi[first]] = pf[first]
    lost = np.flatnonzero(hb < 0)
    if len(lost):
        inside = np.unique(_points_in(vgeoms, vtree, points[lost])[0])
        lost = lost[inside]
        if len(lost):
            li, lf = ftree.query_nearest(points[lost], max_distance=5.0, all_matches=False)
            hb[lost[li]] = lf
    w = np.bincount(hb[hb >= 0], weights=hh[hb >= 0], minlength=len(faces))
    n = np.bincount(hb[hb >= 0], minlength=len(faces))

    gdf = gpd.GeoDataFrame({"village": face_village, "hh": np.rint(w).astype(np.int64),
                            "n_features": n, "area": shapely.area(faces), "special": face_special},
                           geometry=gpd.GeoSeries(faces, crs=villages.crs))
    edges = _adjacency(noded, faces, src, src_cls, src_aff, src_hard, face_village)
    return Blocks(gdf=gdf, edges=edges, household_block=hb)


def _adjacency(noded, faces, src, src_cls, src_aff, src_hard, face_village) -> pd.DataFrame:
    """Faces on the two sides of every noded segment, and what separates them."""
    length = shapely.length(noded)
    noded, length = noded[length > 1e-6], length[length > 1e-6]
    d = np.minimum(0.1, length / 4)
    mid = shapely.line_interpolate_point(noded, length / 2)
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(noded, length / 2 - d))
    p2 = shapely.get_coordinates(shapely.line_interpolate_point(noded, length / 2 + d))
    m = shapely.get_coordinates(mid)
    t = p2 - p1
    t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-12)[:, None]
    nrm = np.column_stack([-t[:, 1], t[:, 0]])
    ftree = shapely.STRtree(faces)
    side = []
    for sign in (1.0, -1.0):
        pts = shapely.points(m + sign * _SIDE * nrm)
        si, sf = _points_in(faces, ftree, pts)
        f = np.full(len(noded), -1, dtype=np.int64)
        f[si] = sf
        side.append(f)
    left, right = side
    ok = (left >= 0) & (right >= 0) & (left != right)
    idx = np.flatnonzero(ok)
    if not len(idx):
        # No two faces share an edge (one block per village, villages apart): an empty table with
        # every column the engine reads, so that callers never meet a missing column.
        return pd.DataFrame({"a": [], "b": [], "length": [], "affinity": [], "major": [], "hard": [],
                             "cross_village": [], "cls": []}).astype(
            {"a": np.int64, "b": np.int64, "length": float, "affinity": float, "major": bool, "hard": bool,
             "cross_village": bool, "cls": object})
    # Which source lines run along each noded segment: the hardest (lowest affinity) wins.
    stree = shapely.STRtree(src)
    mc = shapely.get_coordinates(mid[idx])
    boxes = shapely.box(mc[:, 0] - 0.01, mc[:, 1] - 0.01, mc[:, 0] + 0.01, mc[:, 1] + 0.01)
    qi, qs = stree.query(boxes)
    if len(qi):
        shapely.prepare(src)  # few long lines, many short tests: prepare the lines
        near = shapely.dwithin(src[qs], mid[idx][qi], 0.01)
        qi, qs = qi[near], qs[near]
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
