"""Snapping points and areas to the road graph, and network travel times between them.

A feature is snapped to the nearest road of the graph's main network (``RoadGraph.main_component``)
within ``max_distance`` metres: to a position *along* a road piece, not just to its nearest
junction. The last metres from the road to the feature are walked (``RoadGraph.walk_speed``).
A feature farther than ``max_distance`` from every road is unreachable and named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from .graph import RoadGraph
from ..plurals import plural_en


@dataclass
class Snapped:
    """Positions of features on the graph.

    ``piece`` (-1: not snapped), ``t`` (fraction along the piece from ``piece_u``), ``dist``
    (metres from feature to road), ``point`` (x, y on the road). ``exits``/``exit_cost``: up to
    two nodes a traveller leaving the feature reaches first and the seconds to get there;
    ``entries``/``entry_cost``: the nodes from which the feature is reached and the seconds from
    them (-1 / inf where a direction is not allowed, e.g. one-way).
    """

    piece: np.ndarray
    t: np.ndarray
    dist: np.ndarray
    point: np.ndarray
    exits: np.ndarray
    exit_cost: np.ndarray
    entries: np.ndarray
    entry_cost: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.piece >= 0


def snap(graph: RoadGraph, geometries, *, max_distance: float = 300.0) -> Snapped:
    """Snap points or polygons to the main network of ``graph``.

    Parameters
    ----------
    graph : RoadGraph
        The road graph.
    geometries : array_like of shapely geometry or geopandas.GeoSeries
        Points or polygons (taken at a representative point) in the graph's CRS.
    max_distance : float
        Metres beyond which a feature is not snapped.

    Returns
    -------
    Snapped
        The position of every feature on the network (``piece`` -1: not snapped).
    """
    geoms = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    k = len(geoms)
    main = np.flatnonzero(graph.component[graph.piece_u] == graph.main_component)
    piece = np.full(k, -1)
    dist = np.full(k, np.inf)
    if len(main) and k:
        tree = shapely.STRtree(graph.geometry[main])
        valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        qi, ti = tree.query_nearest(geoms[valid], max_distance=max_distance, all_matches=False)
        idx = np.flatnonzero(valid)[qi]
        piece[idx] = main[ti]
        dist[idx] = shapely.distance(geoms[idx], graph.geometry[main[ti]])
    ok = piece >= 0
    t = np.zeros(k)
    point = np.full((k, 2), np.nan)
    if ok.any():
        lines = graph.geometry[piece[ok]]
        near = shapely.get_point(shapely.shortest_line(geoms[ok], lines), 1)
        pos = shapely.line_locate_point(lines, near)
        plen = shapely.length(lines)
        t[ok] = np.where(plen > 0, pos / plen, 0.0)
        point[ok] = shapely.get_coordinates(near)
    access = np.where(ok, dist / graph.walk_speed, np.inf)
    exits = np.full((k, 2), -1)
    entries = np.full((k, 2), -1)
    exit_cost = np.full((k, 2), np.inf)
    entry_cost = np.full((k, 2), np.inf)
    if ok.any():
        p = piece[ok]
        fe, be = graph.piece_edges[p, 0], graph.piece_edges[p, 1]
        tt = t[ok]
        pu, pv = graph.piece_u[p], graph.piece_v[p]
        a = access[ok]
        # forward edge u -> v: leave towards v, arrive from u
        exits[ok, 0] = pv
        exit_cost[ok, 0] = (1 - tt) * graph.time[fe] + a
        entries[ok, 0] = pu
        entry_cost[ok, 0] = tt * graph.time[fe] + a
        has_b = be >= 0
        bt = graph.time[np.maximum(be, 0)]
        # No backward edge (a one-way street): no way out or in that way. Written as inf directly,
        # since 0 × inf (a point at the very end of the piece) would be NaN.
        exits[ok, 1] = np.where(has_b, pu, -1)
        exit_cost[ok, 1] = np.where(has_b, tt * bt + a, np.inf)
        entries[ok, 1] = np.where(has_b, pv, -1)
        entry_cost[ok, 1] = np.where(has_b, (1 - tt) * bt + a, np.inf)
    return Snapped(piece, t, dist, point, exits, exit_cost, entries, entry_cost)


def near_any_road(graph: RoadGraph, geometries, *, max_distance: float = 300.0) -> np.ndarray:
    """True where a feature is within ``max_distance`` of any road piece, connected or not
    (tells "no road nearby" from "the nearby road is cut off from the network")."""
    geoms = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    out = np.zeros(len(geoms), dtype=bool)
    if len(graph.geometry) and len(geoms):
        qi, _ = shapely.STRtree(graph.geometry).query(geoms, predicate="dwithin", distance=max_distance)
        out[np.unique(qi)] = True
    return out


def _dijkstra_rows(graph: RoadGraph, sources: np.ndarray, *, limit: float = np.inf,
                   columns: np.ndarray | None = None, chunk: int = 64) -> np.ndarray:
    """Travel seconds from each source node to every node (or to ``columns``), chunked to
    keep memory bounded on big graphs."""
    csr = graph.csr()
    out = []
    for s in range(0, len(sources), chunk):
        d = dijkstra(csr, directed=True, indices=sources[s:s + chunk], limit=limit)
        out.append(d if columns is None else d[:, columns])
    if not out:
        return np.empty((0, graph.n_nodes if columns is None else len(columns)))
    return np.vstack(out)


def travel_matrix(graph: RoadGraph, a: Snapped, b: Snapped | None = None) -> np.ndarray:
    """Seconds from every feature of ``a`` to every feature of ``b`` on the graph.

    Parameters
    ----------
    graph : RoadGraph
        The road graph.
    a, b : Snapped
        Snapped features (:func:`snap`); ``b`` defaults to ``a``.

    Returns
    -------
    numpy.ndarray
        ``len(a) × len(b)`` seconds; inf where there is no path or a feature is not snapped.

    Examples
    --------
    Four corners of a block of 400 × 300 m, on foot (4.5 km/h):

    >>> import geopandas as gpd, shapely
    >>> from gridtool.routing import build_graph, plan_tours
    >>> ring = [(0, 0), (400, 0), (400, 300), (0, 300), (0, 0)]
    >>> roads = gpd.GeoDataFrame(geometry=[shapely.LineString(ring[i:i + 2]) for i in range(4)], crs="EPSG:32648")
    >>> g = build_graph(roads, mode="walk")
    >>> corners = snap(g, gpd.points_from_xy([0, 400, 400, 0], [0, 0, 300, 300], crs="EPSG:32648"))
    >>> m = travel_matrix(g, corners)
    >>> m[0].round().tolist()
    [0.0, 320.0, 560.0, 240.0]
    >>> plan_tours(m, time_limit=1).cost
    1120.0
    """
    b = a if b is None else b
    ka, kb = len(a.piece), len(b.piece)
    out = np.full((ka, kb), np.inf)
    src = np.unique(a.exits[a.exits >= 0])
    dst = np.unique(b.entries[b.entries >= 0])
    if len(src) == 0 or len(dst) == 0:
        return out
    d = _dijkstra_rows(graph, src, columns=dst)
    si = {n: i for i, n in enumerate(src)}
    di = {n: i for i, n in enumerate(dst)}
    for x in range(2):
        ex = a.exits[:, x]
        okx = ex >= 0
        rows = np.array([si[n] for n in ex[okx]], dtype=int)
        for y in range(2):
            en = b.entries[:, y]
            oky = en >= 0
            cols = np.array([di[n] for n in en[oky]], dtype=int)
            if not len(rows) or not len(cols):
                continue
            sub = (a.exit_cost[okx, x][:, None] + d[np.ix_(rows, cols)] + b.entry_cost[oky, y][None, :])
            block = out[np.ix_(np.flatnonzero(okx), np.flatnonzero(oky))]
            out[np.ix_(np.flatnonzero(okx), np.flatnonzero(oky))] = np.minimum(block, sub)
    # Two features on the same road piece: straight along it when the direction is allowed.
    by_piece: dict[int, list[int]] = {}
    for j in np.flatnonzero(b.piece >= 0):
        by_piece.setdefault(int(b.piece[j]), []).append(j)
    for i in np.flatnonzero(a.piece >= 0):
        for j in by_piece.get(int(a.piece[i]), ()):
            fe, be = graph.piece_edges[a.piece[i]]
            acc = (a.dist[i] + b.dist[j]) / graph.walk_speed
            if b.t[j] >= a.t[i]:
                direct = (b.t[j] - a.t[i]) * graph.time[fe] + acc
            elif be >= 0:
                direct = (a.t[i] - b.t[j]) * graph.time[be] + acc
            else:
                continue
            out[i, j] = min(out[i, j], direct)
    if b is a:
        np.fill_diagonal(out, 0.0)
    return out


def node_path(graph: RoadGraph, a: int, b: int) -> list[int]:
    """Directed edge ids of the fastest path from node ``a`` to node ``b`` ([] if a == b or none)."""
    if a == b:
        return []
    _, pred = dijkstra(graph.csr(), directed=True, indices=a, return_predecessors=True)
    if pred[b] < 0:
        return []
    nodes = [b]
    while nodes[-1] != a:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    return [graph.edge_between(x, y) for x, y in zip(nodes[:-1], nodes[1:])]


#: The fix for stations with no road near them: mostly their coordinates are wrong, 经度/纬度 picked
#: on AMap/Tencent (GCJ-02) or Baidu (BD-09) maps and read as WGS84 lie 300–700 m off.
OFF_ROAD_FIX_ZH = ("检查这些站点的坐标（取自高德/腾讯或百度地图的要用 --crs-in stations=gcj02 或 bd09 声明），"
                   "或补充站点附近的道路。")
OFF_ROAD_FIX_EN = ("check these stations' coordinates (picked on AMap/Tencent or Baidu: declare --crs-in "
                   "stations=gcj02 or bd09), or add the roads near them.")


def off_road_words(names, max_distance: float, zh_then: str, en_then: str) -> tuple[str, str]:
    """``站点 甲、乙 300 米内没有可用道路，<zh_then>`` and its English, naming every off-road station."""
    return (f"站点 {'、'.join(names)} {max_distance:.0f} 米内没有可用道路，{zh_then}",
            f"{plural_en(len(names), 'station')} {', '.join(names)} {plural_en(len(names), 'has')} no usable road within {max_distance:.0f} m: {en_then}")
