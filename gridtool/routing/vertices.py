"""Line vertices on the node grid (1 cm): the primitives that noding a road layer is built on
(:mod:`gridtool.routing.graph`, :mod:`gridtool.routing.road_defects`)."""

from __future__ import annotations

import numpy as np
import shapely

_ROUND = 100.0  # vertices equal to 1 cm are the same node


def _vertex_index(lines: np.ndarray):
    """Rounded vertex keys of ``lines``: (unique keys, key of each vertex, owner line, is-end)."""
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    keys = np.round(coords * _ROUND).astype(np.int64)
    ukey, inv = np.unique(keys, axis=0, return_inverse=True)
    starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1] if len(owner) else np.empty(0, int)
    ends = np.r_[starts[1:] - 1, len(owner) - 1] if len(owner) else np.empty(0, int)
    is_end = np.zeros(len(owner), dtype=bool)
    is_end[starts] = True
    is_end[ends] = True
    return ukey, inv.ravel(), owner, is_end


def _key_id(ukey: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Index in ``ukey`` (sorted, unique rows) of each point's rounded key, -1 if absent."""
    if not len(pts) or not len(ukey):
        return np.full(len(pts), -1)
    k = np.round(pts * _ROUND).astype(np.int64)
    dt = np.dtype([("x", np.int64), ("y", np.int64)])
    uk = np.ascontiguousarray(ukey).view(dt).ravel()
    kk = np.ascontiguousarray(k).view(dt).ravel()
    pos = np.clip(np.searchsorted(uk, kk), 0, len(uk) - 1)
    return np.where(uk[pos] == kk, pos, -1)


def _add_points(lines: np.ndarray, p_line: np.ndarray, p_xy: np.ndarray) -> np.ndarray:
    """``lines`` with the point ``p_xy[i]`` (rounded to the node grid) added as a vertex of line
    ``p_line[i]`` where it lies along it; a point at a line's end replaces that end vertex."""
    rows = np.column_stack([np.asarray(p_line, dtype=np.int64),
                            np.round(np.asarray(p_xy, dtype=float) * _ROUND).astype(np.int64)])
    rows = np.unique(rows, axis=0)
    p_line, p_xy = rows[:, 0], rows[:, 1:] / _ROUND
    # the affected lines' own vertices, with their distance along the line
    aff = np.unique(p_line)
    v_xy, v_own = shapely.get_coordinates(lines[aff], return_index=True)
    step = np.r_[0.0, np.hypot(*np.diff(v_xy, axis=0).T)]
    first = np.r_[True, v_own[1:] != v_own[:-1]]
    step[first] = 0.0
    cum = np.cumsum(step)
    v_d = cum - np.maximum.accumulate(np.where(first, cum, 0.0))
    p_own = np.searchsorted(aff, p_line)
    p_d = shapely.line_locate_point(lines[p_line], shapely.points(p_xy))
    length = shapely.length(lines[aff])
    # the ends of a line stay its ends: a point at an end replaces that end vertex
    p_start = p_d <= 1e-9
    p_end = (p_d >= length[p_own] - 1e-9) & ~p_start
    last = np.r_[first[1:], True]
    v_xy = v_xy.copy()
    for mask, at in ((p_start, first), (p_end, last)):
        if mask.any():
            own, idx = np.unique(p_own[mask], return_index=True)  # first such point per line
            pos = np.flatnonzero(at)[own]
            v_xy[pos] = p_xy[mask][idx]
    inner = ~(p_start | p_end)
    all_own = np.r_[v_own, p_own[inner]]
    all_d = np.r_[v_d, p_d[inner]]
    all_xy = np.vstack([v_xy, p_xy[inner]])
    is_pt = np.r_[np.zeros(len(v_own), bool), np.ones(int(inner.sum()), bool)]
    order = np.lexsort((is_pt, all_d, all_own))
    all_own, all_xy = all_own[order], all_xy[order]
    keepc = np.ones(len(all_own), dtype=bool)
    keepc[1:] = (all_own[1:] != all_own[:-1]) | np.any(np.abs(np.diff(all_xy, axis=0)) > 1e-9, axis=1)
    all_own, all_xy = all_own[keepc], all_xy[keepc]
    count = np.bincount(all_own, minlength=len(aff))
    ok = count >= 2
    sel = ok[all_own]
    out = lines.copy()
    if ok.any():
        geoms = shapely.linestrings(all_xy[sel], indices=np.searchsorted(np.flatnonzero(ok), all_own[sel]))
        out[aff[ok]] = geoms
    return out
