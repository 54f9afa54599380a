"""Sealing exits (封控/卡口): a post from a different station at every exit (``per_exit`` posts
each), so that the longest trip from a station to its exit is as short as possible, and among
those plans the total travel is least.

This is the bottleneck assignment problem, solved exactly: a binary search over the distinct
travel times T, each step asking whether every exit slot can get its own station within T — a
maximum bipartite matching (Hopcroft–Karp, ``scipy.sparse.csgraph.maximum_bipartite_matching``).
The smallest such T is the optimal longest trip; then the linear assignment with trips longer than
T forbidden (``scipy.optimize.linear_sum_assignment``) gives the least total among the plans that
achieve it. A station sends one post (to one exit). Written here because no library offers the
bottleneck objective; the two steps are the textbook method (Burkard, Dell'Amico & Martello,
*Assignment Problems*, §6.2). ``plan_tours(balance=True)`` only approaches the longest trip
heuristically (see ``benchmarks/routing_bench.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import CancelledError, GridtoolError, check_at_least
from .demand import times_within
from .graph import RoadGraph
from .snapping import snap


class SealingError(GridtoolError):
    """Exits cannot all be sealed: too few stations, or exits no station reaches."""


@dataclass
class Assignment:
    """``station[s]`` for each slot ``s`` (slot ``s`` belongs to exit ``exit[s]``)."""

    exit: np.ndarray
    station: np.ndarray
    cost: np.ndarray
    bottleneck: float
    total: float


def _matches(ok: np.ndarray) -> np.ndarray:
    """Station matched to each row (slot) of the boolean slots × stations matrix, -1 if none."""
    from scipy import sparse
    from scipy.sparse.csgraph import maximum_bipartite_matching
    m = sparse.csr_matrix(ok.astype(np.int8))
    return maximum_bipartite_matching(m, perm_type="column")


def bottleneck_assignment(cost, per_exit: int = 1) -> Assignment:
    """Exact bottleneck assignment with least total among the optimal-bottleneck plans.

    Parameters
    ----------
    cost
        Stations × exits travel times (``inf``: no path).
    per_exit
        Posts each exit needs, each from a different station.

    Raises
    ------
    ValueError
        Fewer stations than exits × ``per_exit``, or no complete assignment (some exits cannot be
        reached by enough stations); the message says which exits.

    Returns
    -------
    Assignment
        ``station[s]`` and ``cost[s]`` for every post ``s`` of exit ``exit[s]``, the
        ``bottleneck`` (longest trip) and the ``total``.

    Examples
    --------
    Three stations, two exits: the longest trip is 2, not 3.

    >>> a = bottleneck_assignment(np.array([[5.0, 1.0], [2.0, 8.0], [3.0, 3.0]]))
    >>> a.station.tolist(), a.bottleneck, a.total
    ([1, 0], 2.0, 3.0)
    """
    from scipy.optimize import linear_sum_assignment
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2:
        raise ValueError("cost must be a stations × exits matrix")
    ns, ne = c.shape
    k = int(per_exit)
    check_at_least(k, 1, name="per_exit", zh="每个卡口的警力点数", flag="--per-exit", example=1)
    slot_exit = np.repeat(np.arange(ne), k)
    if ne == 0:
        return Assignment(slot_exit, np.empty(0, int), np.empty(0), 0.0, 0.0)
    if ns < ne * k:
        raise ValueError(f"{ns} stations for {ne} exits × {k} posts")
    cs = c[:, slot_exit].T  # slots × stations
    finite = np.isfinite(cs)
    full = _matches(finite)
    if (full < 0).any():
        bad = sorted({int(slot_exit[s]) for s in np.flatnonzero(full < 0)})
        raise ValueError(f"no complete assignment; exits short of reachable stations: {bad}")
    values = np.unique(cs[finite])
    lo, hi = 0, len(values) - 1  # values[hi] is feasible
    while lo < hi:
        mid = (lo + hi) // 2
        if (_matches(cs <= values[mid]) >= 0).all():
            hi = mid
        else:
            lo = mid + 1
    t = values[lo]
    # least total among plans whose longest trip is t: forbidden entries as a large finite cost
    big = float(cs[finite].sum()) * 2 + 1.0
    masked = np.where(cs <= t, cs, big)
    rows, cols = linear_sum_assignment(masked)
    assert (cs[rows, cols] <= t).all()
    station = np.empty(len(slot_exit), dtype=int)
    station[rows] = cols
    trip = cs[np.arange(len(slot_exit)), station]
    return Assignment(slot_exit, station, trip, float(trip.max()), float(trip.sum()))


@dataclass
class SealPlan:
    """Who goes where, with the paths (what :func:`seal_exits` returns).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per post: exit, station, minutes, km.
    paths : geopandas.GeoDataFrame
        The path of every post (lines).
    exits : geopandas.GeoDataFrame
        The exits sealed.
    longest_minutes, total_minutes : float
        The longest trip (the time by which every exit is sealed) and the sum of all trips.
    per_exit : int
        Posts per exit.
    mode : str
        The travel mode.
    """

    table: pd.DataFrame
    paths: gpd.GeoDataFrame
    exits: gpd.GeoDataFrame
    longest_minutes: float
    total_minutes: float
    per_exit: int
    mode: str

    def summary(self, lang: str = "zh") -> str:
        from .modes import MODE_ZH
        worst = self.table.sort_values("minutes", ascending=False).iloc[0] if len(self.table) else None
        n = int(self.exits.shape[0])
        zh = (f"封控 {n} 个卡口（每个 {self.per_exit} 个警力点，{MODE_ZH.get(self.mode, self.mode)}）："
              f"最长 {self.longest_minutes:.1f} 分钟"
              + (f"（{worst['station']} → {worst['exit']}）" if worst is not None else "")
              + f"，合计 {self.total_minutes:.1f} 分钟；瓶颈指派精确求解，最长用时已证明最短，"
              "同最长用时下总用时最少")
        en = (f"sealing {n} exit(s) ({self.per_exit} post(s) each, {self.mode}): longest trip "
              f"{self.longest_minutes:.1f} min"
              + (f" ({worst['station']} → {worst['exit']})" if worst is not None else "")
              + f", total {self.total_minutes:.1f} min; exact bottleneck assignment: the longest trip is "
              "proven shortest, and the total least among such plans")
        rows_zh, rows_en = [], []
        for r in self.table.sort_values(["exit_no", "minutes"]).itertuples():
            rows_zh.append(f"  {r.exit} ← {r.station}：{r.minutes:.1f} 分钟，{r.km:.2f} 公里")
            rows_en.append(f"  {r.exit} ← {r.station}: {r.minutes:.1f} min, {r.km:.2f} km")
        zh = "\n".join([zh, *rows_zh])
        en = "\n".join([en, *rows_en])
        return zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"


def _names(gdf: gpd.GeoDataFrame, prefix: str) -> list[str]:
    from .demand import feature_names
    return feature_names(gdf, prefix)


def area_exits(graph: RoadGraph, area, *, merge_m: float = 30.0) -> gpd.GeoDataFrame:
    """The exits of an area (a village or a grid to seal): where a road the graph's mode may use
    crosses the area's boundary.

    Parameters
    ----------
    graph : RoadGraph
        The road graph of the travel mode (a motorway does not give walkers an exit).
    area : shapely Polygon or MultiPolygon
        The area, in the graph's CRS.
    merge_m : float
        Crossings closer than this (a road running along the boundary, a junction on it) are one exit.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per exit with ``name`` (the street's name with 口, or 卡口 N), west to east.

    Examples
    --------
    >>> import shapely
    >>> roads = gpd.GeoDataFrame({"name": ["中山路"]}, geometry=[shapely.LineString([(0, 50), (300, 50)])],
    ...                          crs="EPSG:32648")
    >>> from gridtool.routing.graph import build_graph
    >>> area_exits(build_graph(roads, mode="walk"), shapely.box(100, 0, 200, 100))["name"].tolist()
    ['中山路口', '中山路口 2']
    """
    boundary = shapely.boundary(area)
    usable = np.flatnonzero((graph.piece_edges >= 0).any(axis=1)
                            & (graph.component[graph.piece_u] == graph.main_component))
    tree = shapely.STRtree(graph.geometry[usable])
    hits = usable[tree.query(boundary, predicate="intersects")]
    pts, streets = [], []
    for p in hits:
        cut = shapely.intersection(graph.geometry[p], boundary)
        for part in shapely.get_parts(cut):
            # a road along the boundary meets it in a line: its start is where it reaches the area
            pts.append(part if part.geom_type == "Point" else shapely.Point(part.coords[0]))
            streets.append(str(graph.names[p] or "").strip())
    order = np.lexsort(([pt.y for pt in pts], [pt.x for pt in pts])) if pts else np.empty(0, int)
    kept: list[int] = []
    for i in order:
        if all(pts[i].distance(pts[k]) >= merge_m for k in kept):
            kept.append(int(i))
    names, seen = [], {}
    for n, i in enumerate(kept, 1):
        base = f"{streets[i]}口" if streets[i] and streets[i].lower() != "nan" else f"卡口 {n}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} {seen[base]}")
    return gpd.GeoDataFrame({"name": names}, geometry=[pts[i] for i in kept], crs=graph.crs)


def seal_exits(graph: RoadGraph, stations: gpd.GeoDataFrame, exits: gpd.GeoDataFrame, *,
               per_exit: int = 1, max_snap: float = 300.0, progress=None, cancelled=None) -> SealPlan:
    """Plan posts at every exit from the stations (see the module docstring).

    Parameters
    ----------
    graph : RoadGraph
        The road graph of the travel mode.
    stations, exits
        Points (``name``) in the graph's CRS; polygons are taken at a representative point.
    per_exit
        Posts per exit, each from a different station.
    max_snap : float
        Metres from a station or exit to the road beyond which it counts as off the network.
    progress, cancelled : callable, optional
        ``progress(fraction, message)`` and ``cancelled()`` as every long job takes them.

    Returns
    -------
    SealPlan
        Who goes where: the shortest longest trip, then the least total (exact).

    Raises
    ------
    SealingError
        Fewer stations than exits × ``per_exit``; stations or exits off the road network; exits
        that too few stations can reach. The message names them.
    """
    from .patrol import _concat, _leg_coords
    k = int(per_exit)
    check_at_least(k, 1, name="per_exit", zh="每个卡口的警力点数", flag="--per-exit", example=1)
    st_names = _names(stations, "站点")
    ex_names = _names(exits, "卡口")
    ns, ne = len(stations), len(exits)
    if ne == 0:
        raise SealingError("没有卡口", "there are no exits", fix_zh="用 --exits 传入卡口点图层。",
                           fix_en="give the exits (checkpoints) with --exits.", layer="exits")
    if ns < ne * k:
        raise SealingError(
            f"站点不足：{ne} 个卡口 × 每个 {k} 个警力点需要 {ne * k} 个站点，只有 {ns} 个",
            f"too few stations: {ne} exit(s) × {k} post(s) each need {ne * k} stations, there are {ns}",
            fix_zh="增加站点（--stations），减少每个卡口的警力点（--per-exit），或分批封控卡口。",
            fix_en="add stations (--stations), lower --per-exit, or seal the exits in batches.",
            layer="stations")
    s_pts = stations.geometry.representative_point().values
    e_pts = exits.geometry.representative_point().values
    ss = snap(graph, s_pts, max_distance=max_snap)
    es = snap(graph, e_pts, max_distance=max_snap)
    if not es.ok.all():
        bad = [ex_names[i] for i in np.flatnonzero(~es.ok)]
        raise SealingError(
            f"以下卡口 {max_snap:.0f} 米内没有可用道路：{'、'.join(bad)}",
            f"no usable road within {max_snap:.0f} m of exit(s): {', '.join(bad)}",
            fix_zh="检查卡口坐标，或补充道路数据。", fix_en="check the exits' positions or add the roads.",
            layer="exits")
    if progress is not None:
        progress(0.6, "计算站点到卡口的用时 / travel times to the exits")
    cost = times_within(graph, ss, es)  # stations × exits, seconds
    if cancelled is not None and cancelled():
        raise CancelledError()
    try:
        a = bottleneck_assignment(cost, k)
    except ValueError:
        reach = np.isfinite(cost).sum(axis=0)
        short = [f"{ex_names[j]}（{int(reach[j])} 个站点可达）" for j in range(ne) if reach[j] < k]
        short_en = [f"{ex_names[j]} ({int(reach[j])} station(s) reach it)" for j in range(ne) if reach[j] < k]
        if not short:  # each exit is reachable, but not by enough different stations together
            short = short_en = [ex_names[j] for j in range(ne)]
        raise SealingError(
            f"无法为每个卡口各派 {k} 个不同站点的警力：{'、'.join(short)}",
            f"cannot send {k} post(s) from different stations to every exit: {', '.join(short_en)}",
            fix_zh="检查这些卡口附近道路是否连通（单行、断头），或增加站点。",
            fix_en="check that the roads near these exits connect (one-way streets, gaps), or add stations.",
            layer="exits") from None
    both = _concat(ss, es)
    rows, geoms = [], []
    for s_slot, (j, i, sec) in enumerate(zip(a.exit, a.station, a.cost)):
        coords = _leg_coords(graph, both, int(i), ns + int(j))
        coords = [tuple(s_pts[i].coords[0])] + list(coords) + [tuple(e_pts[j].coords[0])]
        line = shapely.LineString(coords) if len(coords) >= 2 else shapely.LineString()
        rows.append({"exit": ex_names[j], "station": st_names[i], "minutes": float(sec) / 60,
                     "km": float(line.length) / 1000, "exit_no": int(j) + 1})
        geoms.append(line)
    table = pd.DataFrame(rows, columns=["exit", "station", "minutes", "km", "exit_no"])
    paths = gpd.GeoDataFrame(table.copy(), geometry=geoms, crs=graph.crs)
    ex_out = exits.copy()
    ex_out["geometry"] = e_pts
    ex_out["name"] = ex_names
    ex_out["stations"] = ["、".join(table.loc[table["exit_no"] == j + 1, "station"]) for j in range(ne)]
    ex_out["minutes"] = [float(table.loc[table["exit_no"] == j + 1, "minutes"].max()) for j in range(ne)]
    ex_out = gpd.GeoDataFrame(ex_out, geometry="geometry", crs=graph.crs)
    return SealPlan(table=table, paths=paths, exits=ex_out, longest_minutes=a.bottleneck / 60,
                    total_minutes=a.total / 60, per_exit=k, mode=graph.mode)
