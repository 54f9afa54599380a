"""Crossings, overlaps and pieces measured on the grids as drawn, whatever the engine believed.

The engine reasons on its block graph; these checks look only at the output geometry, so that
the figures a planner reads (``hard_crossings``, ``soft_crossings``, areas) are true even where the
input was imperfect (a river digitised with a gap, a road parcel bridging a river):

- a grid's *sides* of a set of lines: the villages are cut by those lines (line ends left a few
  metres short of another barrier line or of the village boundary are closed first, as a
  surveyor would read them) and the faces holding the households of each part of the grid are
  counted: two households in different faces cannot meet without crossing a line, and inside
  their grid that crossing lies in the grid;
  ``hard_crossings`` = Σ over the grid's parts of (populated pieces − 1) with the hard lines,
  ``soft_crossings`` the further pieces made by main roads and streams;
- overlapping grids (pairs sharing more than 1 m²);
- :func:`side_check`, an independent check for tests and benchmarks: households of a grid on the
  left and on the right of one hard line inside it (by the side of the nearest stretch of line).

Written by hand: the face splitting is shapely's (GEOS polygonize); the gap closing and counting
are the product's rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..arrays import pair_sums, runs, unique_ints
from ..spatial import first_containing

#: Line ends this close to another line or to the grid's edge are read as meeting it (metres).
GAP = 5.0


def close_gaps(lines: np.ndarray, frame=None, *, gap: float = GAP, extra: np.ndarray | None = None) -> np.ndarray:
    """Connector segments from every dangling end of ``lines`` to the nearest other line (or the
    ``frame``'s outline, or one of ``extra``) within ``gap`` metres; empty when nothing is to close."""
    lines = np.asarray([g for g in lines if g is not None and not shapely.is_empty(g)], dtype=object)
    if not len(lines):
        return np.zeros(0, dtype=object)
    merged = shapely.get_parts(shapely.line_merge(shapely.union_all(lines)))
    merged = merged[shapely.get_type_id(merged) == 1]
    open_ = np.flatnonzero(~shapely.is_closed(merged)) if len(merged) else np.zeros(0, dtype=np.int64)
    if not len(open_):
        return np.zeros(0, dtype=object)
    ends = np.concatenate([shapely.get_point(merged[open_], 0), shapely.get_point(merged[open_], -1)])
    owner = np.concatenate([open_, open_])
    targets = list(merged)
    if frame is not None:
        targets += list(shapely.get_parts(shapely.boundary(frame)))
    if extra is not None and len(extra):
        targets += list(shapely.get_parts(np.asarray(extra, dtype=object)))
    targets = np.asarray(targets, dtype=object)
    ei, ti = shapely.STRtree(targets).query(ends, predicate="dwithin", distance=gap)
    if not len(ei):
        return np.zeros(0, dtype=object)
    d = shapely.distance(ends[ei], targets[ti])
    other = ti != owner[ei]
    ei, ti, d = ei[other], ti[other], d[other]
    # An end already on another line (a junction after noding) or on the frame is not dangling.
    touching = np.unique(ei[d < 1e-6])
    cand = (d >= 1e-6) & ~np.isin(ei, touching)
    if not cand.any():
        return np.zeros(0, dtype=object)
    ei, ti, d = ei[cand], ti[cand], d[cand]
    order = np.lexsort((ti, d, ei))
    ei, ti = ei[order], ti[order]
    first = np.unique(ei, return_index=True)[1]
    out = []
    for e, t in zip(ei[first].tolist(), ti[first].tolist()):
        p = ends[e]
        q = shapely.line_interpolate_point(targets[t], shapely.line_locate_point(targets[t], p))
        out.append(shapely.linestrings([shapely.get_coordinates(p)[0], shapely.get_coordinates(q)[0]]))
    return np.asarray(out, dtype=object)


def faces(frames: np.ndarray, lines: np.ndarray, *, targets: np.ndarray | None = None,
          gap: float = GAP) -> np.ndarray:
    """The pieces of the ``frames`` (village polygons) cut by ``lines``, after closing the gaps of
    under ``gap`` m between a line's dangling end and another line, one of ``targets`` (the other
    barrier lines, not ``lines`` again) or the frames' outlines."""
    frames = shapely.make_valid(np.asarray(frames, dtype=object))
    lines = np.asarray(lines, dtype=object)
    outline = shapely.boundary(frames)
    if len(lines):  # only lines that reach a frame matter (boxes are enough to tell)
        near = np.unique(shapely.STRtree(frames).query(lines)[0])
        lines = lines[near]
    links = np.zeros(0, dtype=object)
    if len(lines) and gap > 0:
        extra = np.concatenate([np.asarray(targets if targets is not None else [], dtype=object), outline])
        links = close_gaps(lines, None, gap=gap, extra=extra)
    edges = shapely.force_2d(np.concatenate([outline, lines, links]))
    noded = shapely.get_parts(shapely.union_all(edges))
    out = shapely.get_parts(shapely.polygonize(noded[shapely.get_type_id(noded) == 1]))
    out = out[shapely.area(out) > 1e-3]
    if not len(out):
        return frames
    fi, _ = shapely.STRtree(frames).query(shapely.point_on_surface(out), predicate="within")
    return out[unique_ints(fi)]


def locate(pts: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Index of the piece each point lies in (a point on a border: the first; outside all: the
    nearest)."""
    tree = shapely.STRtree(pieces)
    out = first_containing(pts, pieces, tree)
    lost = np.flatnonzero(out < 0)
    if len(lost):
        li, lf = tree.query_nearest(pts[lost], all_matches=False)
        out[lost[li]] = lf
    return out


def crossing_faces(lines, frames, *, major=None, gap: float = GAP) -> tuple:
    """The faces :func:`grid_crossings` counts sides in: the ``frames`` (villages) cut by the hard
    lines, and cut by the hard lines with the main roads and streams (None where no such line
    reaches a frame). They depend only on the inputs, not on the grids, so for a large plan the
    engine has them cut on a sub-grid worker while it draws."""
    from .barriers import MAJOR
    major = MAJOR if major is None else frozenset(major)
    if lines is None or not len(lines) or not len(frames):
        return None, None
    lg = lines.geometry.to_numpy()
    is_hard = lines["hard"].to_numpy(dtype=bool)
    is_major = lines["cls"].isin(list(major)).to_numpy() & ~is_hard
    used = lines_reaching(lg, frames)
    # Gaps close onto any other barrier line (a river stopping short of the bank road).
    f_hard = faces(frames, lg[is_hard & used], targets=lg[~is_hard & used], gap=gap) \
        if (is_hard & used).any() else None
    f_all = faces(frames, lg[(is_hard | is_major) & used], targets=lg[~(is_hard | is_major) & used], gap=gap) \
        if (is_major & used).any() else None
    return f_hard, f_all


def lines_reaching(lines: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Mask of the ``lines`` that intersect one of the ``frames`` (village polygons, prepared here).
    A line whose first vertex lies in or on a frame does (nearly all of them: one prepared
    point-in-polygon test each, which is also the first thing GEOS tries for a whole line); only
    the others are tested whole, against the frames whose boxes they meet. Half the time of the
    whole-line test of every line on a county."""
    frames = np.asarray(frames, dtype=object)
    used = np.zeros(len(lines), dtype=bool)
    if not len(lines) or not len(frames):
        return used
    tree = shapely.STRtree(frames)
    shapely.prepare(frames)
    first = shapely.get_point(lines, 0)  # None for a multi-part line: tested whole below
    has = np.flatnonzero(~shapely.is_missing(first))
    pi, fj = tree.query(first[has])
    if len(pi):
        used[has[pi[shapely.intersects(frames[fj], first[has][pi])]]] = True
    rest = np.flatnonzero(~used)
    if len(rest):
        li, fj = tree.query(lines[rest])
        if len(li):
            used[rest[li[shapely.intersects(frames[fj], lines[rest][li])]]] = True
    return used


def grid_crossings(geoms, members: list[np.ndarray], points: np.ndarray, hh, lines, *, villages=None,
                   major=None, gap: float = GAP, faces_: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per grid: hard crossings (extra populated sides of hard lines) and soft crossings (extra
    populated sides that main roads and streams add), from the geometry alone.

    The villages are cut once by the hard lines (and once more with the main roads and streams);
    the faces holding households of each part of a grid are counted. ``hard_crossings`` = Σ over
    the grid's parts of (populated faces − 1); ``soft_crossings`` the further faces main roads
    and streams make.

    Parameters
    ----------
    geoms : grid polygons.
    members : per grid, the household features (rows of ``points``) it holds; a feature split
        between grids is listed in each.
    hh : per grid, the households of each member there (a list of arrays), or per feature.
    lines : barrier lines (``cls``, ``hard``) from :func:`.barriers.barrier_lines`.
    villages : the village polygons the grids nest in; default the grids' own union.
    major : classes counted for soft crossings (default :data:`.barriers.MAJOR`).
    faces_ : :func:`crossing_faces` of these lines and villages, when already made.
    """
    geoms = np.asarray(geoms, dtype=object)
    hard = np.zeros(len(geoms), dtype=np.int64)
    soft = np.zeros(len(geoms), dtype=np.int64)
    if lines is None or not len(lines) or not len(geoms):
        return hard, soft
    if faces_ is None:
        frames = np.asarray(villages, dtype=object) if villages is not None else \
            shapely.get_parts(shapely.union_all(shapely.make_valid(geoms)))
        faces_ = crossing_faces(lines, frames, major=major, gap=gap)
    f_hard, f_all = faces_
    # Sides are the faces of the village the households lie in: two households in different faces
    # cannot meet without crossing a line, and inside a grid that crossing is in the grid.
    face_hard = locate(points, f_hard) if f_hard is not None else None
    face_all = locate(points, f_all) if f_all is not None else None
    for g, geom in enumerate(geoms):
        feats = np.asarray(members[g], dtype=np.int64)
        if not len(feats):
            continue
        w = np.asarray(hh[g] if isinstance(hh, list) else np.asarray(hh)[feats], dtype=float)
        parts = shapely.get_parts(shapely.make_valid(geom))
        parts = parts[shapely.get_type_id(parts) == 3]
        if len(parts) > 1:  # each separate part of a grid on its own (a village in pieces)
            part_of = np.asarray(shapely.STRtree(parts).query_nearest(points[feats], all_matches=False)[1])
        else:
            part_of = np.zeros(len(feats), dtype=np.int64)
        live = w > 0
        for k in unique_ints(part_of[live]):
            sel = live & (part_of == k)
            n_hard = len(np.unique(face_hard[feats[sel]])) if face_hard is not None else 1
            n_all = len(np.unique(face_all[feats[sel]])) if face_all is not None else n_hard
            hard[g] += max(0, n_hard - 1)
            soft[g] += max(0, n_all - n_hard)
    return hard, soft


def overlapping_pairs(geoms, *, min_area: float = 1.0) -> list[tuple[int, int, float]]:
    """Pairs of polygons (i < j) sharing more than ``min_area`` m²."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return []
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    m = a < b
    a, b = a[m], b[m]
    area = shapely.area(shapely.intersection(shapely.make_valid(geoms[a]), shapely.make_valid(geoms[b])))
    keep = area > min_area
    return [(int(i), int(j), float(x)) for i, j, x in zip(a[keep], b[keep], area[keep])]


def side_check(geoms, members: list[np.ndarray], points: np.ndarray, hh, lines, *,
               threshold: int = 20, edge: float = 1.0) -> list[dict]:
    """Grids with at least ``threshold`` households on each side of one hard line inside them.

    Independent of :func:`grid_crossings`: for every hard line that runs through the grid's
    interior (the grid shrunk by ``edge`` m, so lines along its border do not count), each household
    of the grid is put on the left or right of the nearest stretch of that line; households beyond
    the ends of the stretch are not counted. Returns ``{"grid", "line", "left", "right"}`` rows.
    """
    geoms = np.asarray(geoms, dtype=object)
    hard_lines = lines[lines["hard"].to_numpy(dtype=bool)] if len(lines) else lines
    out = []
    if not len(hard_lines) or not len(geoms):
        return out
    lg = hard_lines.geometry.to_numpy()
    tree = shapely.STRtree(lg)
    gi_all, li_all = tree.query(geoms, predicate="intersects")
    for g, li in zip(gi_all.tolist(), li_all.tolist()):
        feats = np.asarray(members[g], dtype=np.int64)
        if not len(feats):
            continue
        w = np.asarray(hh[g] if isinstance(hh, list) else np.asarray(hh)[feats], dtype=float)
        inner = shapely.buffer(geoms[g], -edge)
        seg = shapely.intersection(lg[li], inner)
        stretches = shapely.get_parts(seg)
        stretches = stretches[(shapely.get_type_id(stretches) == 1) & (shapely.length(stretches) > 2 * edge)]
        if not len(stretches):
            continue
        pts = points[feats]
        dist = np.stack([shapely.distance(s, pts) for s in stretches])
        near = dist.argmin(axis=0)
        left = right = 0.0
        for k, s in enumerate(stretches):
            m = near == k
            if not m.any():
                continue
            at = shapely.line_locate_point(s, pts[m])
            inside = (at > 0.5) & (at < shapely.length(s) - 0.5)
            a = shapely.get_coordinates(shapely.line_interpolate_point(s, np.maximum(at - 0.5, 0)))
            b = shapely.get_coordinates(shapely.line_interpolate_point(s, np.minimum(at + 0.5, shapely.length(s))))
            xy = shapely.get_coordinates(pts[m])
            cross = (b[:, 0] - a[:, 0]) * (xy[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (xy[:, 0] - a[:, 0])
            left += float(w[m][(cross > 0) & inside].sum())
            right += float(w[m][(cross < 0) & inside].sum())
        if min(left, right) >= threshold:
            out.append({"grid": g, "line": int(li), "left": int(left), "right": int(right)})
    # One row per grid: the line with the most households on its thinner side.
    best: dict[int, dict] = {}
    for r in out:
        if r["grid"] not in best or min(r["left"], r["right"]) > min(best[r["grid"]]["left"], best[r["grid"]]["right"]):
            best[r["grid"]] = r
    return [best[k] for k in sorted(best)]


def members_of(assign: pd.DataFrame, n_grids: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """From the engine's (feature, hh, grid_index) table: features and their households per grid."""
    feats: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n_grids
    hhs: list[np.ndarray] = [np.zeros(0)] * n_grids
    if len(assign) and assign["hh"].dtype.kind in "iu":
        # Whole households (the engine's table): the sums by one sort, not a pandas group per grid.
        ug, uf, sums = pair_sums(assign["grid_index"].to_numpy(), assign["feature"].to_numpy(),
                                 assign["hh"].to_numpy())
        for gi, s0, s1 in runs(ug):
            feats[int(gi)] = uf[s0:s1].astype(np.int64)
            hhs[int(gi)] = sums[s0:s1].astype(float)
    elif len(assign):
        per = assign.groupby(["grid_index", "feature"], sort=True)["hh"].sum().reset_index()
        for gi, grp in per.groupby("grid_index", sort=True):
            feats[int(gi)] = grp["feature"].to_numpy(dtype=np.int64)
            hhs[int(gi)] = grp["hh"].to_numpy(dtype=float)
    return feats, hhs


def check_plan(gp, *, threshold: int = 20) -> dict:
    """The checks of a fitted :class:`~.engine.GridPartitioner` on its drawn grids, for tests,
    benchmarks and the report: grids with ``threshold`` households on each side of a hard line
    (:func:`side_check`), how many of them carry neither a hard crossing nor an exception/pocket
    status (``missed``; should be 0), overlapping grid pairs and the largest overlap, and grids in
    pieces by the one rule of :mod:`.contiguity` — the count the partition's console, ``validate
    --grids`` and the app's 检查网格 give: ``multipart_grids`` with households on more than one
    piece of land, ``multipart_unexplained`` of them not because the village is in parts."""
    g = gp.grids_
    feats, hhs = members_of(gp._assign, len(g))
    pts = np.asarray(gp._points, dtype=object)
    flagged = side_check(g.geometry.values, feats, pts, hhs, gp._lines, threshold=threshold)
    hard = g["hard_crossings"].to_numpy()
    status = g["status"].astype(str).to_numpy()
    missed = [r for r in flagged if hard[r["grid"]] == 0 and status[r["grid"]] == "ok"]
    ov = overlapping_pairs(g.geometry.values)
    pieces = gp._pieces  # measured by the fit with the villages' parts (engine._grid_pieces)
    split = sorted(c for c, p in pieces.items() if p.kind == "split")
    apart = sorted(c for c, p in pieces.items() if p.kind == "village_parts")
    return {"grids": len(g), "hard_crossings": int(hard.sum()),
            "grids_with_hard_crossings": int((hard > 0).sum()),
            "soft_crossings": int(g["soft_crossings"].sum()),
            "side_check_grids": len(flagged), "side_check_missed": len(missed),
            "missed_codes": [str(g["code"].iat[r["grid"]]) for r in missed],
            "overlapping_pairs": len(ov), "max_overlap_m2": round(max((x for _, _, x in ov), default=0.0), 1),
            "multipart_grids": len(split) + len(apart), "multipart_unexplained": len(split),
            "not_contiguous_codes": split}
