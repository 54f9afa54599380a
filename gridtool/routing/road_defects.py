"""Defects of road layers drawn as CAD lines or surveyed: line ends that stop short of another
line (gaps) and the same stretch of road drawn twice (duplicates).

A GIS user cleans these with a topology check ("must not have dangles", "must not overlap"); a
township's road layer usually arrives uncleaned, so :func:`gridtool.routing.graph.build_graph`
bridges short gaps, keeps one of each duplicate and reports both with the features concerned.

Only an END of a line is ever joined, to the nearest point of another line, and only when the gap
continues the line's direction: two lines crossing without a shared vertex are never joined here
(an over- or underpass in a noded layer), the stub of a line drawn past a junction (overshoot) is
not pulled back, and lines flagged ``bridge``/``tunnel`` are neither joined nor joined to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..errors import feature_id_zh
from ..problems import Problem
from ..plurals import count_en, plural_en
from .vertices import _ROUND, _add_points, _key_id, _vertex_index

#: Metres: gaps bridged by default in a CAD-like (unnoded) layer. A line end within 3 m of
#: another road's centre line lies on that road's carriageway (a two-lane road is 7 m wide,
#: lanes of 3.5 m), so the two roads do meet. Noded layers (OSM) are not snapped by default.
CAD_SNAP_M = 3.0
#: Metres: line ends this close to another line are reported even when not bridged.
NEAR_END_M = 5.0
#: Metres (Hausdorff distance): two pieces of road between the same two junctions no farther
#: apart than this are one road drawn twice.
DUPLICATE_M = 1.0
#: A gap is bridged only when it turns at most this far from the line's last segment.
MAX_TURN_DEG = 60.0
_TOUCH = 1.0 / _ROUND  # an end this close to a line is on it


def find_gaps(lines: np.ndarray, skip: np.ndarray, radius: float) -> pd.DataFrame:
    """Line ends not joined to any other line, with the nearest other line within ``radius``.

    Parameters
    ----------
    lines : numpy.ndarray of shapely.LineString
        The road lines, in metres.
    skip : numpy.ndarray of bool
        Lines neither joined nor joined to (bridges, tunnels).
    radius : float
        Metres searched around each end.

    Returns
    -------
    pandas.DataFrame
        One row per end: ``line``, ``at_start``, ``target`` (nearest other line), ``distance``
        (metres), ``x``/``y`` (the end), ``qx``/``qy`` (nearest point of the target), ``aligned``
        (the gap continues the line within :data:`MAX_TURN_DEG`) and ``overshoot`` (the line
        crosses the target close to this end: it was drawn past the junction, not short of it).

    Examples
    --------
    >>> import shapely
    >>> lines = np.array([shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(50, 2), (50, 80)])])
    >>> g = find_gaps(lines, np.zeros(2, bool), 3.0)
    >>> g[["line", "at_start", "target", "distance", "aligned"]].values.tolist()
    [[1, True, 0, 2.0, True]]
    """
    cols = ["line", "at_start", "target", "distance", "x", "y", "qx", "qy", "aligned", "overshoot"]
    n = len(lines)
    if n < 2 or radius <= 0:
        return pd.DataFrame(columns=cols)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.tile(np.arange(n), 2)
    at_start = np.repeat([True, False], n)
    # an end at a vertex used twice (another line's vertex, or its own: a loop) is joined
    ukey, inv, own_v, _ = _vertex_index(lines)
    pair = np.unique(np.stack([inv, own_v]), axis=1)
    lines_per_key = np.bincount(pair[0], minlength=len(ukey))
    uses = np.bincount(inv, minlength=len(ukey))
    kid = _key_id(ukey, shapely.get_coordinates(ends))
    joined = (kid >= 0) & ((lines_per_key[np.maximum(kid, 0)] >= 2) | (uses[np.maximum(kid, 0)] >= 2))
    joined |= skip[owner]
    tree = shapely.STRtree(lines)
    pi, li = tree.query(ends, predicate="dwithin", distance=radius)
    keep = (owner[pi] != li) & ~joined[pi]
    pi, li = pi[keep], li[keep]
    d = shapely.distance(ends[pi], lines[li])
    # an end lying on a bridge is on it (e.g. where it lands); it is not a gap to bridge elsewhere
    on_skip = np.zeros(len(ends), dtype=bool)
    on_skip[pi[skip[li] & (d <= _TOUCH)]] = True
    keep = ~skip[li] & ~on_skip[pi]
    pi, li, d = pi[keep], li[keep], d[keep]
    if not len(pi):
        return pd.DataFrame(columns=cols)
    order = np.lexsort((li, d, pi))
    pi, li, d = pi[order], li[order], d[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    pi, li, d = pi[first], li[first], d[first]
    q = shapely.line_interpolate_point(lines[li], shapely.line_locate_point(lines[li], ends[pi]))
    e_xy = shapely.get_coordinates(ends[pi])
    q_xy = shapely.get_coordinates(q)
    ln = owner[pi]
    # outward direction of the line at this end: from its neighbouring vertex to the end
    nb = np.where(at_start[pi], shapely.get_point(lines[ln], 1), shapely.get_point(lines[ln], -2))
    out_dir = e_xy - shapely.get_coordinates(nb)
    gap = q_xy - e_xy
    norm = np.hypot(*out_dir.T) * np.hypot(*gap.T)
    cos = np.divide((out_dir * gap).sum(axis=1), norm, out=np.ones(len(pi)), where=norm > 0)
    aligned = (d <= _TOUCH) | (cos >= np.cos(np.radians(MAX_TURN_DEG)))
    cross = shapely.intersection(lines[ln], lines[li])
    overshoot = ~shapely.is_empty(cross) & (shapely.distance(ends[pi], cross) <= radius) & (d > _TOUCH)
    return pd.DataFrame({"line": ln, "at_start": at_start[pi], "target": li, "distance": d,
                         "x": e_xy[:, 0], "y": e_xy[:, 1], "qx": q_xy[:, 0], "qy": q_xy[:, 1],
                         "aligned": aligned, "overshoot": overshoot}, columns=cols)


def bridge_gaps(lines: np.ndarray, skip: np.ndarray, tol: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Join every unjoined line end within ``tol`` metres of another line to its nearest point.

    The end is extended to that point (the gap becomes part of the line, so its length counts)
    and the point becomes a vertex of the other line. Two ends facing each other are joined
    once. Ends whose gap turns away from the line, and overshoots, are left alone.

    Returns
    -------
    lines : numpy.ndarray
        The lines with the gaps bridged.
    bridged : pandas.DataFrame
        The gaps joined, as rows of :func:`find_gaps` (``distance`` 0 for an end already lying
        on the other line without a shared vertex).
    """
    gaps = find_gaps(lines, skip, tol)
    gaps = gaps[gaps["aligned"] & ~gaps["overshoot"]].sort_values("distance", kind="stable")
    if not len(gaps):
        return lines, gaps
    starts = np.round(shapely.get_coordinates(shapely.get_point(lines, 0)) * _ROUND)
    stops = np.round(shapely.get_coordinates(shapely.get_point(lines, -1)) * _ROUND)
    done, rows = set(), []
    for r in gaps.itertuples():
        if (r.line, r.at_start) in done:
            continue
        rows.append(r.Index)
        q = np.round(np.array([r.qx, r.qy]) * _ROUND)
        # the target's own end at that point (two ends facing each other) is joined by this one
        if (starts[r.target] == q).all():
            done.add((r.target, True))
        if (stops[r.target] == q).all():
            done.add((r.target, False))
    gaps = gaps.loc[rows]
    out = lines.copy()
    for r in gaps[gaps["distance"] > _TOUCH].itertuples():
        c = shapely.get_coordinates(out[r.line])
        q = np.round(np.array([[r.qx, r.qy]]) * _ROUND) / _ROUND
        out[r.line] = shapely.linestrings(np.vstack([q, c]) if r.at_start else np.vstack([c, q]))
    out = _add_points(out, gaps["target"].to_numpy(), gaps[["qx", "qy"]].to_numpy())
    return out, gaps.reset_index(drop=True)


def duplicate_pieces(geom: np.ndarray, p_u: np.ndarray, p_v: np.ndarray, classes: np.ndarray,
                     oneway: np.ndarray, tol: float = DUPLICATE_M) -> np.ndarray:
    """Pieces that repeat an earlier piece: the same two end nodes, the same class and one-way
    rule, and no point farther than ``tol`` metres from it (Hausdorff distance; either direction).

    Two one-way carriageways in opposite directions are not duplicates. Returns a boolean mask of
    the pieces to drop (the first of each set is kept).
    """
    drop = np.zeros(len(geom), dtype=bool)
    if len(geom) < 2:
        return drop
    a, b = np.minimum(p_u, p_v), np.maximum(p_u, p_v)
    order = np.lexsort((np.arange(len(geom)), b, a))
    sa, sb = a[order], b[order]
    brk = np.flatnonzero((sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])) + 1
    for grp in np.split(order, brk):
        if len(grp) < 2:
            continue
        kept: list[int] = []
        for i in grp:
            for k in kept:
                same_rule = (not oneway[i] and not oneway[k]) or (
                    oneway[i] and oneway[k] and p_u[i] == p_u[k] and p_v[i] == p_v[k])
                if (classes[i] == classes[k] and same_rule
                        and shapely.hausdorff_distance(geom[i], geom[k]) <= tol):
                    drop[i] = True
                    break
            else:
                kept.append(i)
    return drop


def _fids(ids) -> list:
    return list(dict.fromkeys(v.item() if hasattr(v, "item") else v for v in ids))


def _fid_text(f) -> str:
    text = str(f)
    return f"FID {text}" if text.isdigit() else text


def _bounds(xy: np.ndarray):
    return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))


def gap_problems(bridged: pd.DataFrame, near: pd.DataFrame, fid: np.ndarray, snap_m: float) -> list[Problem]:
    """Warnings for the gaps bridged and the near-missing ends left open (``fid``: feature id of
    each line)."""
    out = []
    real = bridged[bridged["distance"] > _TOUCH]
    if len(real):
        w = real.loc[real["distance"].idxmax()]
        a, b = _fid_text(fid[int(w["line"])]), _fid_text(fid[int(w["target"])])
        out.append(Problem(
            "warning", "road_gaps_bridged",
            f"{len(real):,} 处道路线端距其他道路不足 {snap_m:g} 米而未相接，已自动连接（共补 {real['distance'].sum():.1f} 米；"
            f"最大一处：{feature_id_zh(a)} 的线端距 {feature_id_zh(b)} {w['distance']:.2f} 米，位于 {w['x']:.1f}, {w['y']:.1f}）",
            f"{count_en(len(real), 'road end')} stopped within {snap_m:g} m of another road without meeting it and "
            f"{plural_en(len(real), 'was')} "
            f"joined to it ({real['distance'].sum():.1f} m added; largest: the end of {a} is "
            f"{w['distance']:.2f} m from {b}, at {w['x']:.1f}, {w['y']:.1f})",
            fix_zh="在 GIS 中把这些线端延伸到道路上（捕捉到线）；如某处确实不相通（断头路、围墙），用 --snap 0 关闭自动连接。",
            fix_en="extend these ends onto the road in a GIS (snap to line); where a road really ends there "
                   "(a dead end, a wall), turn joining off with --snap 0.",
            role="roads", features=_fids(fid[real["line"].to_numpy()]), bounds=_bounds(real[["x", "y"]].to_numpy())))
    if len(near):
        w = near.loc[near["distance"].idxmin()]
        a, b = _fid_text(fid[int(w["line"])]), _fid_text(fid[int(w["target"])])
        out.append(Problem(
            "warning", "road_ends_near_miss",
            f"{len(near):,} 处道路线端距其他道路 {NEAR_END_M:g} 米以内但未相接，行程计算中不连通"
            f"（最近一处：{feature_id_zh(a)} 的线端距 {feature_id_zh(b)} {w['distance']:.2f} 米，"
            f"位于 {w['x']:.1f}, {w['y']:.1f}）",
            f"{count_en(len(near), 'road end')} {plural_en(len(near), 'stops', 'stop')} within {NEAR_END_M:g} m of another road "
            f"without meeting it and {plural_en(len(near), 'is')} not "
            f"joined for routing (closest: the end of {a} is {w['distance']:.2f} m from "
            f"{b}, at {w['x']:.1f}, {w['y']:.1f})",
            fix_zh=f"如应相接，在 GIS 中把线端延伸到道路上，或在路线命令中加 --snap {NEAR_END_M:g}"
                   f"（桌面程序：巡逻、服务圈、封控对话框的“线端吸附”设为 {NEAR_END_M:g} 米）；断头路可不理会。",
            fix_en=f"where they should meet, extend the ends onto the road in a GIS or add --snap {NEAR_END_M:g} to "
                   f"the routing command (in the app: Snap line ends {NEAR_END_M:g} m in the patrol, coverage or seal dialog); dead ends can "
                   "be left as they are.",
            role="roads", features=_fids(fid[near["line"].to_numpy()]), bounds=_bounds(near[["x", "y"]].to_numpy())))
    return out


def duplicate_problem(n: int, metres: float, fids: list) -> list[Problem]:
    """A warning for the duplicate pieces dropped."""
    if not n:
        return []
    fids = _fids(fids)
    return [Problem(
        "warning", "road_duplicates",
        f"{n:,} 段道路重复绘制（{len(fids):,} 条线上；两端相同、线形重合，共 {metres / 1000:.2f} 公里），只计一次",
        f"{count_en(n, 'piece')} of road on {count_en(len(fids), 'line')} {plural_en(n, 'is')} drawn twice (same ends, overlapping within "
        f"{DUPLICATE_M:g} m; {metres / 1000:.2f} km), counted once",
        fix_zh="在 GIS 中删除重复的线（如 QGIS：矢量→几何工具→删除重复几何；ArcGIS：删除相同项）。",
        fix_en="delete the duplicate lines in a GIS (QGIS: Vector > Geometry Tools > Delete duplicate "
               "geometries; ArcGIS: Delete Identical).",
        role="roads", features=fids)]
