"""Sealing exits (封控/卡口): posts at every exit (``per_exit`` posts each, from different stations),
so that the time by which every exit is sealed (the longest trip from a station to its exit) is as
short as possible, and among those plans the total travel is least.

快速封控: when nothing limits the posts a station sends (no ``posts_per_station``, no 警力/警车数
column), every exit's post comes from the station that gets there first (its ``per_exit`` fastest
stations): that plan has both the shortest longest trip and the least total, so the rest of this
method is not needed. When the stations layer's column or ``posts_per_station`` limits them, the
plan below gives each exit its fastest station unless that station's posts have run out (then the
next fastest): with the longest trip fixed, a plan that sent a slower station while the fastest one
had posts left would not have the least total. ``posts_per_station="fewest"`` spreads the posts
evenly instead (the fewest per station with which every exit is sealed; the default before
2026-12, when a station next to the area sent no more than a station 10 km away).

This is the bottleneck assignment problem, solved exactly: a binary search over the distinct
travel times T, each step asking whether every exit slot can get its own station within T — a
maximum bipartite matching (Hopcroft–Karp, ``scipy.sparse.csgraph.maximum_bipartite_matching``).
The smallest such T is the optimal longest trip; then the linear assignment with trips longer than
T forbidden (``scipy.optimize.linear_sum_assignment``) gives the least total among the plans that
achieve it. A station that sends ``n`` posts is ``n`` rows of the matrix; when an exit needs posts
from several different stations and a station sends several, that rule does not fit a matrix and
the same two steps run on a flow network (networkx maximum flow, then minimum-cost flow) instead.
Written here because no library offers the
bottleneck objective; the two steps are the textbook method (Burkard, Dell'Amico & Martello,
*Assignment Problems*, §6.2). ``plan_tours(balance=True)`` only approaches the longest trip
heuristically (see ``benchmarks/routing_bench.py``).
"""

from __future__ import annotations

import re
import unicodedata

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..columns import find_column
from ..plurals import count_en, plural_en
from ..errors import CancelledError, GridtoolError, check_at_least
from .demand import times_within
from .graph import RoadGraph
from .snapping import OFF_ROAD_FIX_EN, OFF_ROAD_FIX_ZH, off_road_words, snap


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


def _posts(cost, per_exit):
    """The cost matrix as floats, the posts per exit (checked) and each post's exit."""
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2:
        raise ValueError("cost must be a stations × exits matrix")
    k = int(per_exit)
    check_at_least(k, 1, name="per_exit", zh="每个卡口的警力点数", flag="--per-exit", example=1)
    return c, k, np.repeat(np.arange(c.shape[1]), k)


def bottleneck_assignment(cost, per_exit: int = 1, capacity=None) -> Assignment:
    """Exact bottleneck assignment with least total among the optimal-bottleneck plans.

    Parameters
    ----------
    cost
        Stations × exits travel times (``inf``: no path).
    per_exit
        Posts each exit needs, each from a different station.
    capacity
        Posts each station can send (default 1 each).

    Raises
    ------
    ValueError
        Fewer posts than exits × ``per_exit``, or no complete assignment (some exits cannot be
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

    One station with two posts seals both exits.

    >>> bottleneck_assignment(np.array([[4.0, 6.0]]), capacity=[2]).station.tolist()
    [0, 0]
    """
    c, k, slot_exit = _posts(cost, per_exit)
    ns, ne = c.shape
    if ne == 0:
        return Assignment(slot_exit, np.empty(0, int), np.empty(0), 0.0, 0.0)
    cap = np.ones(ns, dtype=int) if capacity is None else np.asarray(capacity, dtype=int).reshape(-1)
    if cap.shape != (ns,) or (cap < 0).any():
        raise ValueError("capacity must give a number ≥ 0 per station")
    cap = np.minimum(cap, ne)  # a station never sends two posts to one exit: more than ne is never used
    if cap.sum() < ne * k:
        raise ValueError(f"{count_en(int(cap.sum()), 'post')} from {count_en(ns, 'station')} for {count_en(ne, 'exit')} × {count_en(k, 'post')}")
    if k > 1 and (cap > 1).any():
        return _bottleneck_flow(c, k, cap)
    owner = np.repeat(np.arange(ns), cap)  # one row per post a station can send
    a = _bottleneck_slots(c[owner], slot_exit)
    a.station = owner[a.station]
    return a


def fastest_assignment(cost, per_exit: int = 1) -> Assignment:
    """Every exit's posts from its ``per_exit`` fastest stations (no limit on what a station sends).

    This is the bottleneck assignment with unlimited posts: no plan has a shorter longest trip
    (each exit's slowest post is as fast as it can be) or a smaller total.

    Parameters
    ----------
    cost
        Stations × exits travel times (``inf``: no path).
    per_exit
        Posts each exit needs, each from a different station.

    Returns
    -------
    Assignment
        ``station[s]`` and ``cost[s]`` for every post ``s`` of exit ``exit[s]``, the
        ``bottleneck`` (longest trip) and the ``total``.

    Raises
    ------
    ValueError
        Exits fewer than ``per_exit`` stations reach.

    Examples
    --------
    The nearest station takes both exits; with two posts per exit the second comes from the other.

    >>> a = fastest_assignment(np.array([[1.0, 2.0], [5.0, 9.0]]))
    >>> a.station.tolist(), a.bottleneck, a.total
    ([0, 0], 2.0, 3.0)
    >>> fastest_assignment(np.array([[1.0, 2.0], [5.0, 9.0]]), 2).station.tolist()
    [0, 1, 0, 1]
    """
    c, k, slot_exit = _posts(cost, per_exit)
    ns, ne = c.shape
    if ne == 0:
        return Assignment(slot_exit, np.empty(0, int), np.empty(0), 0.0, 0.0)
    short = [j for j in range(ne) if np.isfinite(c[:, j]).sum() < k]
    if short:
        raise ValueError(f"no complete assignment; exits short of reachable stations: {short}")
    station = np.argsort(c, axis=0, kind="stable")[:k].T.reshape(-1)  # exit by exit, fastest first
    trip = c[station, slot_exit]
    return Assignment(slot_exit, station, trip, float(trip.max()), float(trip.sum()))


def _bottleneck_slots(c: np.ndarray, slot_exit: np.ndarray) -> Assignment:
    """The matrix method (module docstring) on posts × exits, one post per row."""
    from scipy.optimize import linear_sum_assignment
    cs = c[:, slot_exit].T  # slots × posts
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


def _bottleneck_flow(c: np.ndarray, k: int, cap: np.ndarray) -> Assignment:
    """The same two steps on a flow network: source → station (its posts) → exit (one post from
    each station) → sink (``k`` posts each); maximum flow decides a time limit, minimum-cost flow
    gives the least total (costs in whole milliseconds, as network simplex needs integers)."""
    import networkx as nx
    ns, ne = c.shape
    finite = np.isfinite(c)
    need = ne * k

    def network(limit: float):
        g = nx.DiGraph()
        for i in range(ns):
            g.add_edge("s", ("st", i), capacity=int(cap[i]), weight=0)
        for j in range(ne):
            g.add_edge(("ex", j), "t", capacity=k, weight=0)
        for i, j in zip(*np.nonzero(finite & (c <= limit))):
            g.add_edge(("st", int(i)), ("ex", int(j)), capacity=1, weight=int(round(c[i, j] * 1000)))
        return g

    values = np.unique(c[finite])
    if not len(values) or nx.maximum_flow_value(network(values[-1]), "s", "t") < need:
        bad = [j for j in range(ne) if finite[:, j].sum() < k] or list(range(ne))
        raise ValueError(f"no complete assignment; exits short of reachable stations: {bad}")
    lo, hi = 0, len(values) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if nx.maximum_flow_value(network(values[mid]), "s", "t") >= need:
            hi = mid
        else:
            lo = mid + 1
    flow = nx.max_flow_min_cost(network(values[lo]), "s", "t")
    pairs = sorted((j, i) for i in range(ns) for node, f in flow[("st", i)].items() if f > 0
                   for j in [node[1]])
    ex = np.array([j for j, _ in pairs], dtype=int)
    st = np.array([i for _, i in pairs], dtype=int)
    trip = c[st, ex]
    return Assignment(ex, st, trip, float(trip.max()), float(trip.sum()))


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
    posts : pandas.DataFrame
        One row per station: ``station``, ``posts`` (it can send), ``sent``.
    posts_from : str
        Where ``posts`` came from: ``"fastest"`` (no limit: ``posts`` is what each station sends),
        ``"option"`` (``--posts-per-station``), ``"fewest"`` (the fewest per station that seal every
        exit) or the stations layer's column (such as ``警力``).
    """

    table: pd.DataFrame
    paths: gpd.GeoDataFrame
    exits: gpd.GeoDataFrame
    longest_minutes: float
    total_minutes: float
    per_exit: int
    mode: str
    posts: pd.DataFrame | None = None
    posts_from: str = "option"

    @property
    def mean_minutes(self) -> float:
        """The mean arrival of the posts (the total over the number of posts)."""
        return self.total_minutes / len(self.table) if len(self.table) else 0.0

    def posts_line(self) -> tuple[str, str]:
        """Where the posts each station could send came from (the how of the plan)."""
        if self.posts is None or not len(self.posts):
            return "", ""
        how_zh = {"option": "按 --posts-per-station 限定",
                  "fewest": "按 --posts-per-station fewest 平均分派（够封控全部卡口的最少值）",
                  "fastest": "不限，每个卡口由最先到达的站点派出；可用 --posts-per-station 或站点图层的“警力”列限定"}
        how_en = {"option": "limited by --posts-per-station",
                  "fewest": "spread evenly by --posts-per-station fewest (the fewest that seal every exit)",
                  "fastest": "no limit, every exit's post from the station that gets there first; limit them "
                             "with --posts-per-station or a 警力 column in the stations layer"}
        zh = how_zh.get(self.posts_from, f"按站点图层“{self.posts_from}”列限定")
        en = how_en.get(self.posts_from, f"limited by the stations layer's column {self.posts_from!r}")
        return f"站点警力：{zh}", f"station posts: {en}"

    def station_lines(self, lang: str = "zh") -> list[str]:
        """Each station with what it sends and its exits in order of arrival (快速封控 as an officer
        reads it: who goes where, there by when)."""
        if self.posts is None:
            return []
        limited = self.posts_from != "fastest"
        out = []
        sending = set(self.table["station"])
        idle = [st.station for st in self.posts.itertuples() if st.station not in sending]
        # A county's 50 stations for one village's exits: the few that go are what an officer reads;
        # without a limit, those sending none are one line (with a limit each shows what it could send).
        fold = not limited and len(idle) > 3
        for st in self.posts.itertuples():
            mine = self.table[self.table["station"] == st.station].sort_values(["minutes", "exit_no"])
            if fold and not len(mine):
                continue
            if lang == "zh":
                can = f"可派 {st.posts} 个、" if limited else ""
                out.append(f"  {st.station} {can}派出 {st.sent} 个：" if len(mine) else f"  {st.station} {can}未派出")
                out += [f"    {r.exit}：{r.minutes:.1f} 分钟，{r.km:.2f} 公里" for r in mine.itertuples()]
            else:
                can = f"can send {st.posts}, " if limited else ""
                out.append(f"  {st.station} {can}sends {st.sent}:" if len(mine) else f"  {st.station} {can}sends none")
                out += [f"    {r.exit}: {r.minutes:.1f} min, {r.km:.2f} km" for r in mine.itertuples()]
        if fold:
            shown = [str(x) for x in idle[:8]]
            if lang == "zh":
                out.append(f"  其余 {len(idle)} 个站点未派出：{'、'.join(shown)}{'等' if len(idle) > 8 else ''}")
            else:
                out.append(f"  the other {count_en(len(idle), 'station')} send none: {', '.join(shown)}"
                           f"{' …' if len(idle) > 8 else ''}")
        return out

    def summary(self, lang: str = "zh") -> str:
        from .modes import MODE_ZH
        worst = self.table.sort_values("minutes", ascending=False).iloc[0] if len(self.table) else None
        n = int(self.exits.shape[0])
        fastest = self.posts_from == "fastest"
        zh = (f"封控 {n} 个卡口（每个 {self.per_exit} 个警力点，{MODE_ZH.get(self.mode, self.mode)}）："
              f"全部封控 {self.longest_minutes:.1f} 分钟"
              + (f"（最慢：{worst['station']} → {worst['exit']}）" if worst is not None else "")
              + f"，平均到达 {self.mean_minutes:.1f} 分钟，合计 {self.total_minutes:.1f} 分钟；"
              + ("每个卡口由最先到达的站点派出，全部封控用时最短、总用时最少" if fastest else
                 "瓶颈指派精确求解，全部封控用时已证明最短，同用时下总用时最少（最快的站点警力用完时由次快的站点派出）"))
        en = (f"sealing {count_en(n, 'exit')} ({count_en(self.per_exit, 'post')} each, {self.mode}): all sealed in "
              f"{self.longest_minutes:.1f} min"
              + (f" (the slowest: {worst['station']} → {worst['exit']})" if worst is not None else "")
              + f", mean arrival {self.mean_minutes:.1f} min, total {self.total_minutes:.1f} min; "
              + ("every exit's post from the station that gets there first: all sealed soonest, least total"
                 if fastest else "exact bottleneck assignment: the time by which all are sealed is proven "
                 "shortest, and the total least among such plans (the next fastest station when the fastest "
                 "has no posts left)"))
        posts_zh, posts_en = self.posts_line()
        rows_zh = [posts_zh, *self.station_lines("zh")] if posts_zh else []
        rows_en = [posts_en, *self.station_lines("en")] if posts_en else []
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


def area_exits_line(label: str, n: int) -> tuple[str, str]:
    """``(zh, en)``: how many exits sealing ``label`` found (``上海路社区：边界上有 12 个卡口（道路穿过边界处）``),
    the line ``gridtool seal --area`` prints and the app's seal dialog logs."""
    return (f"{label}：边界上有 {n} 个卡口（道路穿过边界处）",
            f"{label}: {count_en(n, 'exit')} where roads cross its boundary")


def exits_of_area(graph: RoadGraph, area, label: str) -> gpd.GeoDataFrame:
    """:func:`area_exits`, refusing an area no usable road crosses (``label`` names it)."""
    ex = area_exits(graph, area)
    if not len(ex):
        raise SealingError(f"{label}的边界上没有可通行的道路穿过", f"no usable road crosses the boundary of {label}",
                           fix_zh="换一个出行方式或区域，或改用卡口点文件（--exits）。",
                           fix_en="choose another travel mode or area, or a file of exits (--exits).", layer="roads")
    return ex


def station_posts(stations: gpd.GeoDataFrame,
                  posts_per_station: int | str | None = None) -> tuple[np.ndarray | None, str]:
    """The posts each station can send, and where the number came from.

    ``posts_per_station`` for every station (``"option"``); ``"fewest"``: ``(None, "fewest")``,
    :func:`seal_exits` then takes the fewest per station that seal every exit (spread evenly); else
    the stations layer's column of officers or cars (``posts``, ``警力``, ``警车数`` …; a blank
    counts 1); else ``(None, "fastest")``: no limit, every exit's post from the station that gets
    there first.

    Examples
    --------
    >>> st = gpd.GeoDataFrame({"name": ["一所", "二所"], "警车数": [3, None]}, geometry=[None, None])
    >>> cap, col = station_posts(st)
    >>> cap.tolist(), col
    ([3, 1], '警车数')
    """
    if posts_per_station == "fewest":
        return None, "fewest"
    if posts_per_station is not None:
        check_at_least(int(posts_per_station), 1, name="posts_per_station", zh="每个站点可派警力点数",
                       flag="--posts-per-station", example=2)
        return np.full(len(stations), int(posts_per_station)), "option"
    col = find_column(stations.columns, "posts")
    if col is None:
        return None, "fastest"
    # "2辆", "3 人", "２": the number written; a blank counts 1; text without a number is refused.
    raw = stations[col].astype(object).where(stations[col].notna(), None).tolist()
    out = []
    names = _names(stations, "站点")
    for i, v in enumerate(raw):
        text = unicodedata.normalize("NFKC", str(v)).strip() if v is not None else ""
        if not text or text.lower() == "nan":
            out.append(1)
            continue
        m = re.search(r"\d+(?:\.\d+)?", text)
        if m is None:
            raise SealingError(f"站点“{names[i]}”的“{col}”不是数字：{text}",
                               f"station {names[i]}: {col} is not a number: {text!r}",
                               fix_zh=f"在“{col}”列填写可派的警力点数（如 2），或用 --posts-per-station。",
                               fix_en=f"write the number of posts in {col!r} (e.g. 2), or use --posts-per-station.",
                               layer="stations", field=str(col), feature=names[i])
        out.append(max(0, int(float(m.group()))))
    return np.asarray(out, dtype=int), str(col)


def _reach_error(cost: np.ndarray, k: int, ex_names: list[str], off_road: list[str] = (),
                 max_snap: float = 300.0) -> SealingError:
    """Exits that too few stations reach (or, if each is reached, all of them), with the fix;
    stations left out because no road lies near them are named first: they, not the exits' roads,
    are then the likely cause (a station typed in GCJ-02 and read as WGS84 lies ~500 m off)."""
    if off_road:
        zh, en = off_road_words(off_road, max_snap, f"未参与派警；其余站点不够为每个卡口各派 {k} 个警力",
                                f"they send no posts, and the other stations cannot send {count_en(k, 'post')} to every exit")
        return SealingError(zh, en, fix_zh=OFF_ROAD_FIX_ZH, fix_en=OFF_ROAD_FIX_EN, layer="stations")
    ne = cost.shape[1]
    reach = np.isfinite(cost).sum(axis=0)
    short = [f"{ex_names[j]}（{int(reach[j])} 个站点可达）" for j in range(ne) if reach[j] < k]
    short_en = [f"{ex_names[j]} ({count_en(int(reach[j]), 'station')} {plural_en(int(reach[j]), 'reaches', 'reach')} it)" for j in range(ne) if reach[j] < k]
    if not short:  # each exit is reachable, but not by enough posts together
        short = short_en = [ex_names[j] for j in range(ne)]
    return SealingError(
        f"无法为每个卡口各派 {k} 个不同站点的警力：{'、'.join(short)}",
        f"cannot send {count_en(k, 'post')} from different stations to every exit: {', '.join(short_en)}",
        fix_zh="检查这些卡口附近道路是否连通（单行、断头），提高每站警力（--posts-per-station），或增加站点。",
        fix_en="check that the roads near these exits connect (one-way streets, gaps), raise "
               "--posts-per-station, or add stations.", layer="exits")


def seal_exits(graph: RoadGraph, stations: gpd.GeoDataFrame, exits: gpd.GeoDataFrame, *,
               per_exit: int = 1, posts_per_station: int | None = None, max_snap: float = 300.0,
               progress=None, cancelled=None) -> SealPlan:
    """Plan posts at every exit from the stations (see the module docstring).

    Parameters
    ----------
    graph : RoadGraph
        The road graph of the travel mode.
    stations, exits
        Points (``name``) in the graph's CRS; polygons are taken at a representative point.
    per_exit
        Posts per exit, each from a different station.
    posts_per_station
        Posts every station can send; ``"fewest"``: the fewest per station with which every exit is
        sealed (spread evenly); default its 警力/警车数 column (:func:`station_posts`), else no
        limit: every exit's post from the station that gets there first.
    max_snap : float
        Metres from a station or exit to the road beyond which it counts as off the network.
    progress, cancelled : callable, optional
        ``progress(fraction, message)`` and ``cancelled()`` as every long job takes them.

    Returns
    -------
    SealPlan
        Who goes where: the shortest longest trip (all exits sealed), then the least total (exact).

    Raises
    ------
    SealingError
        Fewer stations than ``per_exit``, or fewer posts than exits × ``per_exit``; stations or
        exits off the road network; exits that too few stations can reach. The message names them.
    """
    from .patrol import _concat, _leg_coords
    k = int(per_exit)
    check_at_least(k, 1, name="per_exit", zh="每个卡口的警力点数", flag="--per-exit", example=1)
    # who goes where is read at the station: an unnamed one by its road (站点（无名称，近X路）), not its FID
    from .demand import located_names
    st_names = located_names(stations, graph, "站点")
    ex_names = _names(exits, "卡口")
    ns, ne = len(stations), len(exits)
    if ne == 0:
        raise SealingError("没有卡口", "there are no exits", fix_zh="用 --exits 传入卡口点图层，或用 --area 指定村或网格。",
                           fix_en="give the exits (checkpoints) with --exits, or a village or grid with --area.",
                           layer="exits")
    cap, posts_from = station_posts(stations, posts_per_station)
    staffed = ns if cap is None else int((cap > 0).sum())  # a station with 0 posts sends nobody
    if staffed < k:
        ns = staffed
        raise SealingError(
            f"站点不足：每个卡口要 {k} 个不同站点的警力点，只有 {ns} 个站点",
            f"too few stations: every exit needs posts from {k} different stations, there are {ns}",
            fix_zh=f"把 --per-exit 降到 {max(ns, 1)}，或增加站点（--stations）。",
            fix_en=f"lower --per-exit to {max(ns, 1)}, or add stations (--stations).", layer="stations")
    if cap is not None and int(np.minimum(cap, ne).sum()) < ne * k:
        have = int(np.minimum(cap, ne).sum())
        each = -(-ne * k // ns)
        raise_zh = "" if posts_from == "option" else f"在站点图层“{posts_from}”列填写更大的数，"
        raise_en = "" if posts_from == "option" else f"raise the numbers in the stations layer's column {posts_from!r}, "
        by_zh = "--posts-per-station" if posts_from == "option" else f"站点图层“{posts_from}”列"
        by_en = "--posts-per-station" if posts_from == "option" else f"the stations layer's column {posts_from!r}"
        raise SealingError(
            f"警力不足：{ne} 个卡口 × 每个 {k} 个警力点需要 {ne * k} 个，{ns} 个站点共可派 {have} 个（按 {by_zh}）",
            f"too few posts: {count_en(ne, 'exit')} × {count_en(k, 'post')} each need {ne * k}, "
            f"the {count_en(ns, 'station')} can send {have} "
            f"(by {by_en})",
            fix_zh=f"{raise_zh}用 --posts-per-station {each} 让每个站点可派 {each} 个警力点，增加站点（--stations），"
                   "减少 --per-exit，或分批封控卡口。",
            fix_en=f"{raise_en}let every station send {count_en(each, 'post')} with --posts-per-station {each}, add stations "
                   "(--stations), lower --per-exit, or seal the exits in batches.",
            layer="stations", field=None if posts_from == "option" else posts_from)
    s_pts = stations.geometry.representative_point().values
    e_pts = exits.geometry.representative_point().values
    ss = snap(graph, s_pts, max_distance=max_snap)
    es = snap(graph, e_pts, max_distance=max_snap)
    if not es.ok.all():
        bad = [ex_names[i] for i in np.flatnonzero(~es.ok)]
        raise SealingError(
            f"以下卡口 {max_snap:.0f} 米内没有可用道路：{'、'.join(bad)}",
            f"no usable road within {max_snap:.0f} m of {plural_en(len(bad), 'exit')}: {', '.join(bad)}",
            fix_zh="检查卡口坐标，或补充道路数据。", fix_en="check the exits' positions or add the roads.",
            layer="exits")
    off_road = [st_names[i] for i in np.flatnonzero(~ss.ok)]
    if progress is not None:
        progress(0.6, "计算站点到卡口的用时 / travel times to the exits")
    cost = times_within(graph, ss, es)  # stations × exits, seconds
    if cancelled is not None and cancelled():
        raise CancelledError()
    if posts_from == "fastest":  # no limit: each exit's fastest stations
        try:
            a = fastest_assignment(cost, k)
        except ValueError:
            raise _reach_error(cost, k, ex_names, off_road, max_snap) from None
        cap = np.bincount(a.station, minlength=ns)  # what each station sends is what it needs
    elif cap is None:  # --posts-per-station fewest: the fewest per station that seal every exit
        most = np.full(ns, ne)
        try:
            bottleneck_assignment(cost, k, most)
        except ValueError:
            raise _reach_error(cost, k, ex_names, off_road, max_snap) from None
        for each in range(-(-ne * k // ns), ne + 1):
            try:
                a = bottleneck_assignment(cost, k, np.full(ns, each))
            except ValueError:
                continue
            cap = np.full(ns, each)
            break
    else:
        try:
            a = bottleneck_assignment(cost, k, cap)
        except ValueError:
            raise _reach_error(cost, k, ex_names, off_road, max_snap) from None
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
    sent = np.bincount(a.station, minlength=ns)
    posts = pd.DataFrame({"station": st_names, "posts": cap.astype(int), "sent": sent.astype(int)})
    return SealPlan(table=table, paths=paths, exits=ex_out, longest_minutes=a.bottleneck / 60,
                    total_minutes=a.total / 60, per_exit=k, mode=graph.mode, posts=posts, posts_from=posts_from)
