"""Road graphs for routing: the roads layer (or an OSM extract) noded into a directed graph.

Travel modes ``walk``, ``bicycle`` and ``car`` each have a speed per road class from a default
Chinese table (:data:`SPEEDS_KMH`, km/h; osmnx has no Chinese defaults), configurable per call.
Cars obey one-way streets; walkers and cyclists do not (pushing a bicycle on the pavement).
With an elevation model, walking times follow Tobler's hiking function, uphill and downhill
separately, on grades sampled along each edge, smoothed, clipped at ``max_grade`` (40 %) and
interpolated across DEM voids (:mod:`gridtool.routing.slopes`). Pieces of road that do not connect to the main network are kept in the graph and
reported (``RoadGraph.pieces`` and ``RoadGraph.problems``), never silently dropped.

Noding: lines that share a vertex are joined there (OpenStreetMap's convention: a bridge crossing
a street shares no vertex and stays a bridge). Lines from a CAD drawing or a survey shapefile are
also cut where they cross and a dangling end within ``snap_tolerance`` of another line is joined
to it. ``node_crossings="auto"`` decides from the geometry (:func:`noding_stats`): when most
junctions of the layer (points where lines meet, cross or nearly touch) already are shared
vertices, the layer is noded and a crossing without a shared vertex is an over- or underpass;
otherwise (a CAD-like layer) crossings become junctions. How many were added is in
``RoadGraph.noding`` and :meth:`RoadGraph.report`. A road's own speed limit (``maxspeed``,
``限速``, ``speed`` in km/h) is its car speed; walkers and cyclists go no faster than it.
Written by hand because osmnx only builds graphs from OSM topology and momepy/networkx do not
decide whether a GIS layer is noded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..errors import CRSError, EmptyLayerError, GridtoolError, OptionError
from ..plurals import count_en, plural_en
from ..problems import Problem

from .modes import MODE_ZH, MODES  # noqa: F401  (re-exported)
from .road_defects import (CAD_SNAP_M, NEAR_END_M, bridge_gaps, duplicate_pieces, duplicate_problem, find_gaps,
                           gap_problems)
from .vertices import _ROUND, _add_points, _key_id, _vertex_index

#: Default speeds in km/h per road class and mode; None = the mode may not use that class.
#: Walking 4.5 km/h (75 m/min, a planner's usual figure; GB 50180-2018 life circles assume
#: 800–1000 m in 15 min as the crow flies). Car speeds are patrol speeds in Chinese towns and
#: cities, with signals and mixed traffic, not the legal limits.
SPEEDS_KMH: dict[str, dict[str, float | None]] = {
    "motorway":       {"walk": None, "bicycle": None, "car": 90},
    "motorway_link":  {"walk": None, "bicycle": None, "car": 40},
    "trunk":          {"walk": 4.5, "bicycle": 15, "car": 60},
    "trunk_link":     {"walk": 4.5, "bicycle": 15, "car": 35},
    "primary":        {"walk": 4.5, "bicycle": 15, "car": 40},
    "primary_link":   {"walk": 4.5, "bicycle": 15, "car": 30},
    "secondary":      {"walk": 4.5, "bicycle": 15, "car": 35},
    "secondary_link": {"walk": 4.5, "bicycle": 15, "car": 25},
    "tertiary":       {"walk": 4.5, "bicycle": 14, "car": 30},
    "tertiary_link":  {"walk": 4.5, "bicycle": 14, "car": 20},
    "unclassified":   {"walk": 4.5, "bicycle": 14, "car": 30},
    "road":           {"walk": 4.5, "bicycle": 12, "car": 25},
    "residential":    {"walk": 4.5, "bicycle": 12, "car": 20},
    "living_street":  {"walk": 4.5, "bicycle": 10, "car": 10},
    "service":        {"walk": 4.5, "bicycle": 10, "car": 15},
    "pedestrian":     {"walk": 4.5, "bicycle": 6, "car": None},
    "track":          {"walk": 4.0, "bicycle": 10, "car": 15},
    "footway":        {"walk": 4.5, "bicycle": 6, "car": None},
    "path":           {"walk": 4.0, "bicycle": 8, "car": None},
    "cycleway":       {"walk": 4.5, "bicycle": 15, "car": None},
    "bridleway":      {"walk": 4.0, "bicycle": None, "car": None},
    "steps":          {"walk": 2.5, "bicycle": None, "car": None},
}
_FALLBACK_CLASS = "unclassified"
_MERGE_M = 1.0  # nodes closer than this are one junction (a CAD end a little off a vertex)


class UnreachableError(GridtoolError):
    """A place, household or station cannot be reached on the road network."""


@dataclass
class RoadGraph:
    """A directed road graph in a metric CRS (made by :func:`build_graph`, :func:`graph_from_osm`
    or from a networkx / osmnx graph).

    Attributes
    ----------
    mode : str
        The travel mode (``walk``, ``bicycle``, ``car``); ``crs`` the metric CRS.
    x, y : numpy.ndarray
        Nodes: road junctions and dead ends.
    u, v, length, time, piece, forward : numpy.ndarray
        Every directed edge ``e`` runs from ``u[e]`` to ``v[e]`` along road piece ``piece[e]``
        (forward when ``forward[e]``), with ``length`` in metres and ``time`` in seconds for the
        graph's ``mode``.
    geometry : numpy.ndarray
        One LineString per piece (drawn from its first to its last node).
    piece_u, piece_v, piece_edges, piece_road : numpy.ndarray
        Per piece: its end nodes, its forward and backward edge ids (-1: not allowed, one-way)
        and the road feature it comes from.
    names, classes : numpy.ndarray
        Per piece: the street name and road class.
    component, main_component, pieces
        Connected pieces of the network: the component of each node, the main one, and a table
        of the others (reported as problems).
    problems, notes, noding, slope_report, speeds
        What was found and guessed while building (shown to the user), the noding counts
        (:func:`noding_stats`), DEM grades, and the speeds used.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (450, 0)])], crs="EPSG:32648")
    >>> g = build_graph(roads, mode="walk")
    >>> len(g.x), g.length.tolist(), g.time.tolist()  # 450 m both ways at 4.5 km/h
    (2, [450.0, 450.0], [360.0, 360.0])
    """

    mode: str
    crs: object
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    time: np.ndarray
    piece: np.ndarray
    forward: np.ndarray
    geometry: np.ndarray
    piece_u: np.ndarray
    piece_v: np.ndarray
    piece_edges: np.ndarray
    piece_road: np.ndarray  # the road feature each piece comes from (src_id, else the row index)
    names: np.ndarray
    classes: np.ndarray
    component: np.ndarray
    main_component: int
    pieces: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    speeds: dict = field(default_factory=dict)
    #: how the layer was noded: ``mode`` ("noded", "unnoded", "yes", "no"), the counts of
    #: :func:`noding_stats` and ``junctions_added``
    noding: dict = field(default_factory=dict)
    #: what was read or guessed about speeds, as (zh, en) lines for the user
    notes: list = field(default_factory=list)
    slope_report: dict = field(default_factory=dict)  # DEM grades: edges clipped, filled, outside
    _csr: object = None
    _csr_edge: object = None

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    @property
    def walk_speed(self) -> float:
        """Metres per second on foot (used for the last metres from a road to a door)."""
        return float(self.speeds.get("residential", {}).get("walk") or 4.5) / 3.6

    def report(self, lang: str = "zh") -> str:
        """How the layer was noded and where speeds came from, for the console."""
        lines = []
        nd = self.noding
        if nd:
            shared, added = nd["shared_junctions"], nd["junctions_added"]
            cross = (nd["crossings"] or 0) + (nd["touches"] or 0) + (nd["loose_ends"] or 0)
            if nd["mode"] in ("unnoded", "yes"):
                why_zh = "线条在交叉处未打断（CAD 式）" if nd["mode"] == "unnoded" else "按 --node-crossings yes"
                why_en = "lines are not cut where they cross (CAD-like)" if nd["mode"] == "unnoded" else \
                    "as --node-crossings yes asks"
                zh = (f"道路拓扑：{why_zh}，在交叉和近接处新增 {added:,} 个路口"
                      f"（原有共享节点路口 {shared:,} 处）")
                en = (f"road topology: {why_en}; {count_en(added, 'junction')} added at crossings and near-touching "
                      f"ends ({count_en(shared, 'junction')} already at shared vertices)")
            else:
                why_zh = "路网已在共享节点相接" if nd["mode"] == "noded" else "按 --node-crossings no"
                why_en = "the network is noded (lines meet at shared vertices)" if nd["mode"] == "noded" \
                    else "as --node-crossings no asks"
                zh = (f"道路拓扑：{why_zh}（{shared:,} 处路口），"
                      + ("" if nd["crossings"] is None else f"{cross:,} 处无共享节点的交叉视为立交或桥隧，")
                      + "未新增路口")
                en = (f"road topology: {why_en} ({count_en(shared, 'junction')}); "
                      + ("" if nd["crossings"] is None else
                         f"{count_en(cross, 'crossing')} without a shared vertex {plural_en(cross, 'is')} treated as "
                         "over/underpasses; ")
                      + "no junction added")
            lines.append((zh, en))
            if "snap_m" in nd:
                snap_m = nd["snap_m"]
                zh = (f"线端吸附：容差 {snap_m:g} 米（--snap），连接缺口 {nd['gaps_bridged']:,} 处，共 {nd['gap_m']:.1f} 米"
                      if snap_m > 0 else "线端吸附：未启用（--snap 0；已在共享节点相接的路网默认不吸附）")
                en = (f"line ends snapped within {snap_m:g} m (--snap): {count_en(nd['gaps_bridged'], 'gap')} bridged, "
                      f"{nd['gap_m']:.1f} m" if snap_m > 0 else
                      "line ends not snapped (--snap 0; the default for a noded network)")
                if nd.get("duplicates"):
                    zh += f"；重复绘制的道路 {nd['duplicates']:,} 段（{nd['duplicate_m'] / 1000:.2f} 公里）只计一次"
                    en += f"; {count_en(nd['duplicates'], 'piece')} drawn twice ({nd['duplicate_m'] / 1000:.2f} km) counted once"
                lines.append((zh, en))
        lines += list(self.notes)
        return "\n".join(zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}" for zh, en in lines)

    def in_main(self, nodes) -> np.ndarray:
        return self.component[np.asarray(nodes)] == self.main_component

    def csr(self):
        """Sparse travel-time matrix (seconds) of the graph; parallel edges keep the fastest."""
        if self._csr is None:
            n = self.n_nodes
            key = self.u.astype(np.int64) * n + self.v
            order = np.lexsort((self.time, key))
            k_sorted = key[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = k_sorted[1:] != k_sorted[:-1]
            keep = order[first]
            w = np.maximum(self.time[keep], 1e-3)  # csgraph reads explicit zeros as "no edge"
            self._csr = sparse.csr_matrix((w, (self.u[keep], self.v[keep])), shape=(n, n))
            self._csr_edge = sparse.csr_matrix((keep + 1.0, (self.u[keep], self.v[keep])), shape=(n, n))
        return self._csr

    def edge_between(self, a: int, b: int) -> int:
        """The fastest directed edge from node ``a`` to node ``b`` (-1 if none)."""
        self.csr()
        return int(self._csr_edge[a, b]) - 1

    def edge_geometry(self, e: int):
        """The geometry of directed edge ``e``, drawn from ``u[e]`` to ``v[e]``."""
        g = self.geometry[self.piece[e]]
        return g if self.forward[e] else shapely.reverse(g)

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """Every directed edge as a row (for inspection and maps)."""
        geoms = self.geometry[self.piece]
        back = ~self.forward
        if back.any():
            geoms = geoms.copy()
            geoms[back] = shapely.reverse(geoms[back])
        return gpd.GeoDataFrame({
            "u": self.u, "v": self.v, "name": self.names[self.piece], "class": self.classes[self.piece],
            "length_m": self.length, "time_s": self.time,
            "main": self.component[self.u] == self.main_component}, geometry=geoms, crs=self.crs)

    def to_networkx(self):
        """The graph as a ``networkx.MultiDiGraph`` (node attributes x, y; edge length, time, name)."""
        import networkx as nx
        g = nx.MultiDiGraph(crs=self.crs, mode=self.mode)
        g.add_nodes_from((i, {"x": float(self.x[i]), "y": float(self.y[i])}) for i in range(self.n_nodes))
        for e in range(self.n_edges):
            p = self.piece[e]
            g.add_edge(int(self.u[e]), int(self.v[e]), key=e, length=float(self.length[e]),
                       time=float(self.time[e]), name=self.names[p], piece=int(p))
        return g

    @classmethod
    def from_networkx(cls, G, *, mode: str = "walk", crs=None, speeds: dict | None = None, dem=None,
                      **build_options) -> "RoadGraph":
        """A graph for ``mode`` from a networkx street graph with osmnx's conventions (node ``x``/``y``,
        edge ``geometry``, ``highway``, ``oneway``, ``maxspeed``; ``G.graph["crs"]``), its junctions
        kept as they are. See :mod:`gridtool.routing.nxgraph`."""
        return graph_from_networkx(G, mode=mode, crs=crs, speeds=speeds, dem=dem, **build_options)

    @classmethod
    def from_osmnx(cls, G, *, mode: str = "walk", crs=None, speeds: dict | None = None, dem=None,
                   **build_options) -> "RoadGraph":
        """A graph for ``mode`` from an osmnx graph (``ox.graph_from_place`` …, projected or not);
        osmnx itself is not needed. The same as :meth:`from_networkx`."""
        return cls.from_networkx(G, mode=mode, crs=crs, speeds=speeds, dem=dem, **build_options)


def graph_from_networkx(G, *, mode: str = "walk", crs=None, speeds: dict | None = None, dem=None,
                        **build_options) -> RoadGraph:
    """A :class:`RoadGraph` for ``mode`` from a networkx/osmnx street graph (see
    :mod:`gridtool.routing.nxgraph`), its junctions kept.

    Parameters
    ----------
    G
        The street graph (osmnx conventions).
    mode
        ``"walk"``, ``"bicycle"`` or ``"car"``.
    crs
        CRS of the node coordinates, default ``G.graph["crs"]``. A graph in degrees is projected to
        the local metric CRS (:func:`gridtool.crs.metric_crs_for`).
    speeds, dem, build_options
        As for :func:`build_graph`.
    """
    from .nxgraph import prepare_roads

    roads, options, problems = prepare_roads(G, crs=crs)
    for k, v in options.items():
        build_options.setdefault(k, v)
    graph = build_graph(roads, mode=mode, speeds=speeds, dem=dem, **build_options)
    graph.problems.extend(problems)
    return graph

def speed_table(speeds: dict | None = None, *, mode: str | None = None) -> dict[str, dict[str, float | None]]:
    """The default table with the user's changes: ``{"residential": {"car": 25}}`` or, with
    ``mode``, ``{"residential": 25}``; unknown classes are added."""
    table = {k: dict(v) for k, v in SPEEDS_KMH.items()}
    for cls, val in (speeds or {}).items():
        row = table.setdefault(str(cls).lower(), dict(table[_FALLBACK_CLASS]))
        if isinstance(val, dict):
            row.update(val)
        else:
            if mode is None:
                raise OptionError(f"道路等级 {cls} 的速度没有指定出行方式",
                                  f"the speed of road class {cls} has no travel mode",
                                  fix_zh="传入 mode=…，或写成 {等级: {方式: 公里每小时}}。",
                                  fix_en="pass mode=…, or give {class: {mode: km/h}}.", field="speed")
            row[mode] = val
    for cls, row in table.items():
        for m, v in row.items():
            if v is not None and not (v > 0):
                raise OptionError(f"道路等级 {cls}（{m}）的速度必须大于 0：{v}",
                                  f"speed for {cls}/{m} must be positive km/h or None, got {v}",
                                  fix_zh=f"例如 --speed {cls}=25。", fix_en=f"e.g. --speed {cls}=25.", field="speed")
    return table


def tobler_kmh(slope, flat_kmh: float = 4.5) -> np.ndarray:
    """Walking speed on a slope, Tobler's hiking function scaled to ``flat_kmh`` on the level.

    ``v = 6·exp(−3.5·|s + 0.05|)`` × flat_kmh / 6·exp(−0.175).

    Parameters
    ----------
    slope : float or array_like
        Rise over run (0.1 = 10 % uphill; negative downhill).
    flat_kmh : float
        The speed on the level.

    Returns
    -------
    numpy.ndarray
        km/h per slope.

    Examples
    --------
    >>> tobler_kmh([0.0, 0.1, -0.05]).round(2).tolist()
    [4.5, 3.17, 5.36]
    """
    s = np.asarray(slope, dtype=float)
    return 6.0 * np.exp(-3.5 * np.abs(s + 0.05)) * (flat_kmh / (6.0 * np.exp(-0.175)))


# -- building -----------------------------------------------------------------------------------

def _explode_lines(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = roads.geometry.values
    parts, idx = shapely.get_parts(np.asarray(geoms), return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)
    parts, idx = parts[ok], idx[ok]
    parts = shapely.force_2d(parts)
    ok = shapely.length(parts) > 0
    return parts[ok], idx[ok]


def _cut_line(coords: np.ndarray, cut_at: np.ndarray) -> list[np.ndarray]:
    """Split a coordinate sequence at the vertex indices ``cut_at`` (sorted, inner)."""
    out, start = [], 0
    for c in cut_at:
        if c <= start or c >= len(coords) - 1:
            continue
        out.append(coords[start:c + 1])
        start = c
    out.append(coords[start:])
    return [c for c in out if len(c) >= 2]


#: A layer is taken as noded when at most this share of its junctions (points where lines meet,
#: cross or nearly touch) lie off a shared vertex. Over/underpasses not flagged as bridges are
#: 0.7 % of the junctions of Malta's OSM roads and 1 % of Nanjing Xuanwu's; the same roads drawn as
#: CAD polylines (junction vertices dropped where a road runs straight on) 27 % and 37 %.
NODED_MAX_OFF_VERTEX = 0.15


def noding_stats(lines, *, tol: float = 1.0, skip: np.ndarray | None = None, crossings: bool = True) -> dict:
    """Is a line layer already noded? Junctions at shared vertices against crossings without one.

    Parameters
    ----------
    lines : array_like of shapely.LineString
        The road (or other) lines, in metres.
    tol : float
        Metres within which a line end counts as meeting another line.
    skip : numpy.ndarray of bool, optional
        Lines left out of touches, loose ends and crossings (bridges, tunnels).
    crossings : bool
        False: count the shared junctions only (the rest is then None).

    Returns
    -------
    dict
        The counts below.

    Notes
    -----
    The keys of the dict:

    ``shared_junctions``
        Points where two or more lines share a vertex and three or more branches meet (two line
        ends meeting are a continuation, not a junction: a road drawn as straight CAD segments
        is full of those).
    ``junction_ends``
        Line ends at such a shared junction.
    ``touches``
        Line ends lying on another line where that line has no vertex (a T drawn in CAD).
    ``loose_ends``
        Line ends within ``tol`` of another line that do not touch it (drawn a little short).
    ``crossings``
        Points where two lines cross, neither ending there, without a vertex of both.
    ``noded``
        True when touches, loose ends and crossings together are at most
        :data:`NODED_MAX_OFF_VERTEX` of all junction points (those and the shared junctions): the
        layer was drawn with its junctions as shared vertices, so a crossing without one is an
        over- or underpass. Ends are not counted one by one: a road cut into straight segments
        has many ends at each of its junctions.

    Lines flagged in ``skip`` (bridges, tunnels) are left out of touches, loose ends and
    crossings. ``crossings=False`` counts the shared junctions only (the rest is then None).
    """
    lines = np.asarray(lines, dtype=object)
    n = len(lines)
    skip = np.zeros(n, dtype=bool) if skip is None else np.asarray(skip, dtype=bool)
    out = {"shared_junctions": 0, "junction_ends": 0, "touches": 0, "loose_ends": 0, "crossings": 0,
           "noded": True}
    if n < 2:
        return out
    ukey, inv, owner, is_end = _vertex_index(lines)
    branches = np.bincount(inv, weights=np.where(is_end, 1.0, 2.0), minlength=len(ukey))
    pair = np.unique(np.stack([inv, owner]), axis=1)
    lines_per_key = np.bincount(pair[0], minlength=len(ukey))
    junction = (lines_per_key >= 2) & (branches >= 3)
    out["shared_junctions"] = int(junction.sum())
    out["junction_ends"] = int((is_end & junction[inv]).sum())
    if not crossings:
        out.update(touches=None, loose_ends=None, crossings=None, noded=None)
        return out
    vset = np.unique(pair[0].astype(np.int64) * n + pair[1])
    eset = np.unique(inv[is_end].astype(np.int64) * n + owner[is_end])
    tree = shapely.STRtree(lines)
    a, b = tree.query(lines, predicate="intersects")
    keep = (a < b) & ~skip[a] & ~skip[b]
    a, b = a[keep], b[keep]
    if len(a):
        pts, which = shapely.get_coordinates(shapely.intersection(lines[a], lines[b]), return_index=True)
        kid = _key_id(ukey, pts).astype(np.int64)
        la, lb = a[which], b[which]
        on_a = (kid >= 0) & np.isin(kid * n + la, vset)
        on_b = (kid >= 0) & np.isin(kid * n + lb, vset)
        end_a = (kid >= 0) & np.isin(kid * n + la, eset)
        end_b = (kid >= 0) & np.isin(kid * n + lb, eset)
        off = ~(on_a & on_b)
        keys = np.round(pts * _ROUND).astype(np.int64)
        t = off & (end_a | end_b)
        x = off & ~(end_a | end_b)
        if t.any():
            out["touches"] = len(np.unique(keys[t], axis=0))
        if x.any():
            out["crossings"] = len(np.unique(keys[x], axis=0))
    if tol > 0:
        endpos = np.flatnonzero(is_end)
        coords = ukey[inv[endpos]] / _ROUND
        ends = shapely.points(coords)
        e_owner = owner[endpos]
        pi, li = tree.query(ends, predicate="dwithin", distance=tol)
        keep = (e_owner[pi] != li) & ~skip[li] & ~skip[e_owner[pi]]
        pi, li = pi[keep], li[keep]
        near = shapely.distance(ends[pi], lines[li]) > 1.0 / _ROUND
        # an end that touches some line is a junction or a touch (counted above), not a loose end
        touching = np.zeros(len(ends), dtype=bool)
        touching[pi[~near]] = True
        loose = np.unique(pi[near])
        loose = loose[~touching[loose]]
        out["loose_ends"] = len(np.unique(np.round(coords[loose] * _ROUND).astype(np.int64), axis=0))
    off = out["touches"] + out["loose_ends"] + out["crossings"]
    out["noded"] = bool(off <= NODED_MAX_OFF_VERTEX * (off + out["shared_junctions"]))
    return out


def _insert_crossings(lines: np.ndarray, skip: np.ndarray, tol: float) -> tuple[np.ndarray, int]:
    """Add a vertex wherever two lines cross or one line's end lies within ``tol`` of another;
    also returns how many junctions that adds (points not already shared by two lines).
    Vectorised over all lines (a per-line loop took 20–30 s on Malta's 25,000 roads)."""
    tree = shapely.STRtree(lines)
    a, b = tree.query(lines, predicate="dwithin", distance=tol)
    keep = (a < b) & ~skip[a] & ~skip[b]
    a, b = a[keep], b[keep]
    at_line, at_pt = [], []
    if len(a):
        pts, w = shapely.get_coordinates(shapely.intersection(lines[a], lines[b]), return_index=True)
        at_line += [a[w], b[w]]
        at_pt += [pts, pts]
    # Dangling ends near another line (drawn a little short of the junction).
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.concatenate([np.arange(len(lines))] * 2)
    pi, li = tree.query(ends, predicate="dwithin", distance=tol)
    keep = (owner[pi] != li) & ~skip[li] & ~skip[owner[pi]]
    pi, li = pi[keep], li[keep]
    if len(pi):
        q = shapely.get_coordinates(shapely.line_interpolate_point(
            lines[li], shapely.line_locate_point(lines[li], ends[pi])))
        at_line += [li, owner[pi]]
        at_pt += [q, q]
    if not at_line:
        return lines, 0
    p_line = np.concatenate(at_line).astype(np.int64)
    p_xy = np.vstack(at_pt)
    ukey, inv, owner_v, _ = _vertex_index(lines)
    pair = np.unique(np.stack([inv, owner_v]), axis=1)
    shared = np.bincount(pair[0], minlength=len(ukey)) >= 2
    new_pts = np.unique(np.round(p_xy * _ROUND).astype(np.int64), axis=0) / _ROUND
    kid = _key_id(ukey, new_pts)
    added = int(((kid < 0) | ~shared[np.maximum(kid, 0)]).sum())
    return _add_points(lines, p_line, p_xy), added


def build_graph(
    roads: gpd.GeoDataFrame,
    *,
    mode: str = "walk",
    speeds: dict | None = None,
    dem=None,
    snap_tolerance: float | None = None,
    node_crossings: bool | str = "auto",
    maxspeed: bool = True,
    max_grade: float = 0.40,
) -> RoadGraph:
    """Build the routing graph of a roads layer for one travel mode.

    Parameters
    ----------
    roads
        Lines in a metric CRS with the roads role's columns ``class``, ``oneway`` (bool, along the
        line), ``name``; optional ``bridge``/``tunnel`` (these are flat for Tobler, and never cut
        where they cross other lines).
    mode
        ``"walk"``, ``"bicycle"`` or ``"car"``.
    speeds
        Changes to :data:`SPEEDS_KMH`: ``{"residential": {"car": 25}}`` or ``{"residential": 25}``
        (for this ``mode``). A class with speed None is not used by the mode.
    dem
        A :class:`gridtool.io.dem.Dem`; for ``walk``, edge times then follow Tobler's hiking
        function in each direction, on grades sampled along each edge, smoothed, with voids
        interpolated (:mod:`gridtool.routing.slopes`).
    max_grade
        Steepest grade used with a DEM (rise / run; default 0.40): steeper grades are DEM
        artefacts and are clipped (counted in ``slope_report`` and ``problems``).
    snap_tolerance
        Metres (``--snap``): a line end that meets no other line but stops within this distance
        of one is joined to its nearest point (the gap counts as road), if the gap continues the
        line (:mod:`gridtool.routing.road_defects`); crossing lines are never joined by it, nor
        bridges and tunnels. Nodes closer than ``min(snap_tolerance, 1)`` m are one junction.
        Default None: :data:`~gridtool.routing.road_defects.CAD_SNAP_M` (3 m) for a CAD-like
        layer, 0 for a noded one (OSM: a dead end near a street is left a dead end). The gaps
        bridged, the ends left within 5 m of a road and the pieces drawn twice (same ends,
        within 1 m: kept once) are in ``problems`` and ``noding``.
    node_crossings
        ``"yes"``/True: also cut lines where they cross and join ends that nearly touch a line
        (CAD drawings); ``"no"``/False: join lines only at shared vertices (OSM, topologically
        clean GIS layers); ``"auto"``: decide from the layer (:func:`noding_stats`). Lines flagged
        ``bridge``/``tunnel`` are never cut. What was done is in ``RoadGraph.noding``.
    maxspeed
        Use the roads' own speed limits (column ``maxspeed``, ``max_speed``, ``限速``, ``speed`` or
        ``设计速度``, km/h; OSM values such as ``"50"``, ``"30 mph"``): the car speed of a road
        with a limit is that limit; walking and cycling are capped by it. Speeds by class apply
        to the other roads.

    Returns
    -------
    RoadGraph
        With ``pieces`` (connected pieces other than the main network) and ``problems``.

    Raises
    ------
    ValueError
        Unknown mode or bad speeds.
    EmptyLayerError
        No road the mode may use.
    """
    if mode not in MODES:
        raise OptionError(f"未知的出行方式：{mode}", f"mode must be one of {MODES}, got {mode!r}",
                          fix_zh="可选：" + "、".join(f"{m}（{MODE_ZH.get(m, m)}）" for m in MODES) + "。",
                          fix_en="use one of: " + ", ".join(MODES) + ".", field="mode")
    table = speed_table(speeds, mode=mode)
    if roads is None or len(roads) == 0:
        raise EmptyLayerError("没有道路数据", "there are no roads", fix_zh="用 --roads 传入道路图层。",
                              fix_en="give a roads layer with --roads.", layer="roads")
    crs = roads.crs
    if crs is not None and getattr(crs, "is_geographic", False):
        raise CRSError("道路图层是经纬度坐标，不能计算行程", "roads must be in a metric CRS, not longitude/latitude",
                       fix_zh="使用项目中的道路图层（已投影到米制坐标系），或先投影到 CGCS2000 高斯-克吕格坐标系。",
                       fix_en="use the project's layers (in metres), or project the roads to a CGCS2000 "
                              "Gauss-Kruger CRS first.", layer="roads")
    if snap_tolerance is not None and not (float(snap_tolerance) >= 0 and np.isfinite(float(snap_tolerance))):
        raise OptionError(f"--snap 必须是不小于 0 的米数：{snap_tolerance}",
                          f"--snap must be metres ≥ 0, got {snap_tolerance!r}",
                          fix_zh="例如 --snap 3（0 为不自动连接）。", fix_en="e.g. --snap 3 (0 joins nothing).",
                          field="snap")
    if isinstance(node_crossings, str):
        nc = node_crossings.strip().lower()
        if nc not in ("auto", "yes", "no"):
            raise OptionError(f"--node-crossings 只能是 auto、yes 或 no：{node_crossings}",
                              f"node_crossings must be 'auto', 'yes', 'no' or a bool, got {node_crossings!r}",
                              fix_zh="例如 --node-crossings auto。", fix_en="e.g. --node-crossings auto.",
                              field="node_crossings")
        node_crossings = "auto" if nc == "auto" else nc == "yes"
    cls = (roads["class"].astype("string").str.strip().str.lower().fillna(_FALLBACK_CLASS)
           if "class" in roads else pd.Series(_FALLBACK_CLASS, index=roads.index))
    notes: list[tuple[str, str]] = []
    problems: list[Problem] = []
    unknown = cls[~cls.isin(list(table))].value_counts()
    if len(unknown):
        listed = "、".join(f"{k}（{v:,}）" for k, v in unknown.head(12).items())
        listed_en = ", ".join(f"{k} ({v:,})" for k, v in unknown.head(12).items())
        fb = table[_FALLBACK_CLASS].get(mode)
        problems.append(Problem(
            "warning", "road_class_unknown",
            f"道路等级不在速度表中，按村道（{_FALLBACK_CLASS}，{MODE_ZH[mode]} {fb or '—'} 公里/小时）计算：{listed}",
            f"road classes not in the speed table are treated as {_FALLBACK_CLASS} ({mode} "
            f"{fb or '—'} km/h): {listed_en}",
            fix_zh=f"用 --speed 等级=公里每小时 指定速度，例如 --speed {unknown.index[0]}=30。",
            fix_en=f"set their speed with --speed CLASS=KMH, e.g. --speed {unknown.index[0]}=30.",
            role="roads", field="class"))
    # A speed set for a class no road has changes nothing: say so (a typo, or a grade word the
    # roads do not carry) rather than print it as if it had been used.
    present = set(cls.unique())
    unused = [str(k) for k in (speeds or {}) if str(k).lower() not in present]
    if unused:
        have = "、".join(sorted(present)[:12])
        problems.append(Problem(
            "warning", "speed_class_unused",
            f"按等级指定的速度没有用上：没有等级为 {'、'.join(unused)} 的道路（道路的等级：{have}）",
            f"the speed set for {', '.join(unused)} is not used: no road has that class (the roads' classes: "
            f"{have.replace('、', ', ')})",
            fix_zh="写道路图层中的等级（如 residential、tertiary），或中文等级（县道、乡道、村道）。",
            fix_en="give a class the roads have (e.g. residential, tertiary) or a Chinese grade (县道, 乡道, 村道).",
            role="roads", field="class"))
    cls = cls.where(cls.isin(list(table)), _FALLBACK_CLASS).to_numpy(dtype=object)
    sp = np.array([table[c].get(mode) or np.nan for c in cls], dtype=float)
    if maxspeed:
        sp = _apply_speed_limits(roads, sp, mode, notes)
    allowed = np.isfinite(sp)
    if not allowed.any():
        raise EmptyLayerError(f"没有可供{MODE_ZH[mode]}通行的道路", f"no road may be used by mode {mode!r}",
                              fix_zh="换一种出行方式，或检查道路等级（class）列。",
                              fix_en="choose another mode, or check the roads' class column.", layer="roads")
    rd = roads.iloc[np.flatnonzero(allowed)]
    oneway_col = (rd["oneway"].fillna(False).astype(bool).to_numpy() if "oneway" in rd
                  else np.zeros(len(rd), dtype=bool))
    flat_col = np.zeros(len(rd), dtype=bool)
    for c in ("bridge", "tunnel"):
        if c in rd:
            flat_col |= rd[c].fillna(False).astype(bool).to_numpy()
    names = (rd["name"].astype(object).where(rd["name"].notna(), "").to_numpy()
             if "name" in rd else np.full(len(rd), "", dtype=object))
    lines, src = _explode_lines(rd)
    fid = (rd["src_id"].astype(str).to_numpy() if "src_id" in rd else rd.index.to_numpy())
    # nodes closer than this are one junction; longer gaps are bridged only from a line's end
    merge_tol = _MERGE_M if snap_tolerance is None else min(float(snap_tolerance), _MERGE_M)
    stats = noding_stats(lines, tol=merge_tol, skip=flat_col[src], crossings=node_crossings is not False)
    if node_crossings == "auto":
        mode_used = "noded" if stats["noded"] else "unnoded"
        node_crossings = not stats["noded"]
    else:
        mode_used = "yes" if node_crossings else "no"
    if snap_tolerance is None:
        snap_m = CAD_SNAP_M if node_crossings else 0.0
    else:
        snap_m = float(snap_tolerance)
    bridged, near = find_gaps(lines, flat_col[src], 0.0), None
    if snap_m > 0:
        lines, bridged = bridge_gaps(lines, flat_col[src], snap_m)
    near = find_gaps(lines, flat_col[src], max(NEAR_END_M, snap_m))
    near = near[(near["distance"] > max(merge_tol, 1.0 / _ROUND)) & ~near["overshoot"]]
    problems += gap_problems(bridged, near, fid[src], snap_m)
    added = 0
    if node_crossings:
        lines, added = _insert_crossings(lines, flat_col[src], merge_tol)
    noding = {"mode": mode_used, **{k: v for k, v in stats.items() if k != "noded"}, "junctions_added": added,
              "snap_m": snap_m, "gaps_bridged": int((bridged["distance"] > 1.0 / _ROUND).sum()),
              "gap_m": float(bridged["distance"].sum()), "near_misses": len(near)}

    # -- nodes: shared vertices, ends, and ends snapped together within tolerance --------------
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    keys = np.round(coords * _ROUND).astype(np.int64)
    ukey, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    # vertices used by two or more lines (or twice by one) become nodes
    pair = np.unique(np.stack([inv, owner]), axis=1)
    lines_per_key = np.bincount(pair[0], minlength=len(ukey))
    uses = np.bincount(inv, minlength=len(ukey))
    starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    ends = np.r_[starts[1:] - 1, len(owner) - 1]
    is_node = (lines_per_key > 1) | (uses > 1)
    is_node[inv[starts]] = True
    is_node[inv[ends]] = True
    node_keys = np.flatnonzero(is_node)
    rep = np.arange(len(ukey))
    if merge_tol > 0 and len(node_keys) > 1:
        from scipy.spatial import cKDTree
        pts = ukey[node_keys] / _ROUND
        pairs = cKDTree(pts).query_pairs(merge_tol, output_type="ndarray")
        if len(pairs):
            g = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                                  shape=(len(node_keys),) * 2)
            _, lab = connected_components(g, directed=False)
            first = np.full(lab.max() + 1, -1)
            for i in range(len(lab) - 1, -1, -1):
                first[lab[i]] = i
            rep[node_keys] = node_keys[first[lab]]
    node_of_key = np.full(len(ukey), -1)
    roots = np.unique(rep[node_keys])
    node_of_key[roots] = np.arange(len(roots))
    node_of_key[node_keys] = node_of_key[rep[node_keys]]
    nx_ = ukey[roots, 0] / _ROUND
    ny_ = ukey[roots, 1] / _ROUND

    # -- pieces: lines cut at their node vertices ---------------------------------------------
    p_geom, p_u, p_v, p_road = [], [], [], []
    for li in range(len(lines)):
        s, e = starts[li], ends[li]
        vk = inv[s:e + 1]
        c = coords[s:e + 1].copy()
        nodes_here = node_of_key[vk]
        at = np.flatnonzero(nodes_here >= 0)
        # snapped ends move to their node's position
        for j in at:
            n = nodes_here[j]
            c[j] = (nx_[n], ny_[n])
        for a, b in zip(at[:-1], at[1:]):
            seg = c[a:b + 1]
            if len(seg) < 2:
                continue
            ua, vb = nodes_here[a], nodes_here[b]
            if ua == vb and len(seg) <= 2:
                continue
            p_geom.append(seg)
            p_u.append(ua)
            p_v.append(vb)
            p_road.append(src[li])
    if p_geom:
        geom = shapely.linestrings(np.vstack(p_geom),
                                   indices=np.repeat(np.arange(len(p_geom)), [len(g) for g in p_geom]))
    else:
        geom = np.empty(0, dtype=object)
    geom = np.asarray(geom, dtype=object)
    p_u = np.asarray(p_u, dtype=np.int64)
    p_v = np.asarray(p_v, dtype=np.int64)
    p_road = np.asarray(p_road, dtype=np.int64)
    plen = shapely.length(geom)
    ok = plen > 0
    geom, p_u, p_v, p_road, plen = geom[ok], p_u[ok], p_v[ok], p_road[ok], plen[ok]
    # the same stretch drawn twice would be walked twice and counted twice: keep one
    dup = duplicate_pieces(geom, p_u, p_v, cls[allowed][p_road], oneway_col[p_road])
    problems += duplicate_problem(int(dup.sum()), float(plen[dup].sum()), fid[p_road[dup]])
    noding.update(duplicates=int(dup.sum()), duplicate_m=float(plen[dup].sum()))
    geom, p_u, p_v, p_road, plen = geom[~dup], p_u[~dup], p_v[~dup], p_road[~dup], plen[~dup]
    mps = sp[allowed][p_road] / 3.6  # allowed roads have a positive finite speed
    t_fwd = plen / mps
    t_bwd = t_fwd.copy()
    slope_report = {}
    if dem is not None and mode == "walk":
        t_fwd, t_bwd, slope_report = _tobler_times(geom, plen, flat_col[p_road], dem, crs, sp[allowed][p_road],
                                                   max_grade=max_grade)
    one = oneway_col[p_road] & (mode == "car")
    m = len(geom)
    fwd_id = np.arange(m)
    bwd_mask = ~one
    nb = int(bwd_mask.sum())
    bwd_id = np.full(m, -1)
    bwd_id[bwd_mask] = m + np.arange(nb)
    u = np.concatenate([p_u, p_v[bwd_mask]])
    v = np.concatenate([p_v, p_u[bwd_mask]])
    length = np.concatenate([plen, plen[bwd_mask]])
    ttime = np.concatenate([t_fwd, t_bwd[bwd_mask]])
    piece = np.concatenate([fwd_id, np.flatnonzero(bwd_mask)])
    forward = np.concatenate([np.ones(m, bool), np.zeros(nb, bool)])
    n_nodes = len(roots)
    adj = sparse.csr_matrix((np.ones(len(u)), (u, v)), shape=(n_nodes, n_nodes))
    _, comp = connected_components(adj, directed=True, connection="strong")
    comp_len = np.bincount(comp[p_u], weights=plen, minlength=comp.max() + 1)
    main = int(np.argmax(comp_len))
    g = RoadGraph(mode=mode, crs=crs, x=nx_, y=ny_, u=u, v=v, length=length, time=ttime, piece=piece,
                  forward=forward, geometry=geom, piece_u=p_u, piece_v=p_v,
                  piece_edges=np.stack([fwd_id, bwd_id], axis=1),
                  piece_road=fid[p_road],
                  names=names[p_road], classes=cls[allowed][p_road], component=comp,
                  main_component=main, pieces=pd.DataFrame(), speeds=table, noding=noding, notes=notes,
                  problems=problems, slope_report=slope_report)
    _report_pieces(g, comp_len)
    _report_slopes(g)
    if dem is not None:
        _state_slopes(g, max_grade)
    return g


def _state_slopes(g: RoadGraph, max_grade: float) -> None:
    """Say what the DEM did to the times: a planner in the mountains must know whether a 10-minute
    circle was walked uphill or on the flat."""
    if g.mode == "walk":
        up, down = (float(v) for v in tobler_kmh([0.10, -0.05], g.walk_speed * 3.6))
        g.notes.append((
            f"步行时间按高程坡度计算（Tobler 徒步公式，上坡慢、下坡快）：平路 {g.walk_speed * 3.6:.1f} 公里/小时，"
            f"10% 上坡 {up:.1f} 公里/小时，5% 下坡 {down:.1f} 公里/小时；坡度按 {max_grade:.0%} 封顶",
            f"walking times follow the DEM's grades (Tobler's hiking function: slower uphill, faster gently "
            f"downhill): {g.walk_speed * 3.6:.1f} km/h on the level, {up:.1f} km/h at 10% uphill, {down:.1f} km/h "
            f"at 5% downhill; grades capped at {max_grade:.0%}"))
        return
    word = {"bicycle": ("骑行", "cycling"), "car": ("驾车", "driving")}.get(g.mode, (g.mode, g.mode))
    g.problems.append(Problem(
        "warning", "dem_not_used_for_mode",
        f"高程模型只用于步行：{word[0]}时间按平路速度计算，不因上坡变慢，山区的{word[0]}服务圈和路线用时偏乐观",
        f"the DEM is used for walking only: {word[1]} times are at level-road speeds, not slower uphill, so "
        f"{word[1]} circles and route times in the mountains are optimistic",
        fix_zh="山区按步行（--mode walk）计算，或用 --speed 为山路等级设较低的速度（如 --speed track=8）。",
        fix_en="plan mountain areas on foot (--mode walk), or give mountain road classes lower speeds with "
               "--speed (e.g. --speed track=8).", role="dem"))


#: Columns holding a road's own speed (limit or design speed) in km/h, in order of preference.
SPEED_COLUMNS = ("maxspeed", "max_speed", "限速", "speed", "设计速度", "设计时速")
_SPEED_RE = re.compile(r"(\d+(?:\.\d+)?)")
_SPEED_RANGE = (3.0, 150.0)  # km/h accepted as a road speed


def parse_speed(value) -> float:
    """km/h from a speed value: ``50``, ``"50"``, ``"50 km/h"``, ``"30 mph"``, ``"60公里/小时"``;
    several values (``"50;30"``) give the first; NaN for ``none``, ``walk``, ``RU:urban``, blanks."""
    if value is None or isinstance(value, bool):
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) if np.isfinite(value) else np.nan
    text = str(value).strip().lower()
    if ":" in text:  # zone codes such as "RU:urban", "DE:zone30" are not numbers of this road
        return np.nan
    m = _SPEED_RE.search(text)
    if not m:
        return np.nan
    v = float(m.group(1))
    return v * 1.609344 if "mph" in text else v


def _speed_column(roads) -> str | None:
    by_key = {str(c).strip().lower(): c for c in roads.columns}
    for name in SPEED_COLUMNS:
        if name in by_key:
            return by_key[name]
    return None


def _apply_speed_limits(roads, sp: np.ndarray, mode: str, notes: list) -> np.ndarray:
    """Per-road speeds from the layer's speed column (see ``build_graph(maxspeed=…)``)."""
    col = _speed_column(roads)
    if col is None:
        return sp
    raw = roads[col]
    lim = np.array([parse_speed(v) for v in raw], dtype=float)
    given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    ok = np.isfinite(lim) & (lim >= _SPEED_RANGE[0]) & (lim <= _SPEED_RANGE[1])
    use = ok & np.isfinite(sp)
    out = sp.copy()
    if mode == "car":
        out[use] = lim[use]
    else:
        out[use] = np.minimum(sp[use], lim[use])
    bad = int((given & ~ok).sum())
    changed = int((use & (np.abs(out - sp) > 1e-9)).sum())
    zh = (f"速度：{int(use.sum()):,} 条道路有自身限速（列 {col}，公里/小时）"
          + ("，驾车按限速行驶" if mode == "car" else f"，{MODE_ZH[mode]}不超过限速")
          + f"，其中 {changed:,} 条与等级速度不同")
    en = (f"speeds: {count_en(int(use.sum()), 'road')} {plural_en(int(use.sum()), 'carries', 'carry')} their own limit (column {col}, km/h)"
          + ("; cars drive at it" if mode == "car" else f"; {mode} stays at or below it")
          + f"; {changed:,} {plural_en(changed, 'differs', 'differ')} from their class speed")
    if bad:
        zh += f"；{bad:,} 个值无法识别或不在 3–150 之间，按等级速度"
        en += f"; {count_en(bad, 'value')} unreadable or outside 3–150, class speed used"
    notes.append((zh, en))
    return out


def _tobler_times(geom, plen, flat, dem, crs, flat_kmh, *, max_grade: float = 0.40):
    """Walking seconds along and against each piece on the DEM's grades (see ``slopes``)."""
    from .slopes import edge_grades
    seg_len, grade, owner, report = edge_grades(geom, dem, crs, flat=flat, max_grade=max_grade)
    kmh = flat_kmh[owner]
    t_f = np.bincount(owner, weights=seg_len / (tobler_kmh(grade, 1.0) * kmh / 3.6), minlength=len(geom))
    t_b = np.bincount(owner, weights=seg_len / (tobler_kmh(-grade, 1.0) * kmh / 3.6), minlength=len(geom))
    base = plen / (flat_kmh / 3.6)
    return np.where(t_f > 0, t_f, base), np.where(t_b > 0, t_b, base), report


def _report_slopes(g: RoadGraph) -> None:
    r = g.slope_report
    if not r or not (r["clipped"] or r["filled"] or r["outside"]):
        return
    g.problems.append(Problem(
        "warning", "dem_slopes_adjusted",
        f"高程坡度：{r['edges']} 段道路中，{r['clipped']} 段坡度超过 {r['max_grade']:.0%} 已截断（最陡 "
        f"{r['steepest']:.0%}，多为高程数据误差），{r['filled']} 段经过高程空洞（已插值），{r['outside']} 段在高程范围外"
        "（按平地计）",
        f"DEM grades: of {r['edges']} road edges, {r['clipped']} were steeper than {r['max_grade']:.0%} and "
        f"clipped (steepest {r['steepest']:.0%}, mostly DEM artefacts), {r['filled']} cross DEM voids "
        f"(interpolated), {r['outside']} lie outside the DEM (flat)",
        fix_zh="如坡度确实很陡（台阶），把该道路的等级设为 steps；高程范围外的道路需更大范围的高程数据。",
        fix_en="where a street really is that steep (stairs), class it as steps; roads outside the DEM need a "
               "DEM that covers them.", role="dem"))


def _report_pieces(g: RoadGraph, comp_len: np.ndarray) -> None:
    comp_of_piece = g.component[g.piece_u]
    rows = []
    for c in np.flatnonzero(comp_len > 0):
        if c == g.main_component:
            continue
        sel = np.flatnonzero(comp_of_piece == c)
        nm = [n for n in g.names[sel] if n]
        cen = shapely.centroid(shapely.multilinestrings(g.geometry[sel]))
        rows.append({"component": int(c), "pieces": len(sel), "length_m": float(comp_len[c]),
                     "name": nm[0] if nm else "", "x": cen.x, "y": cen.y,
                     "roads": sorted({str(r) for r in g.piece_road[sel]})[:20]})
    g.pieces = pd.DataFrame(rows, columns=["component", "pieces", "length_m", "name", "x", "y", "roads"])
    if rows:
        total = float(comp_len.sum())
        off = float(g.pieces["length_m"].sum())
        g.problems.append(Problem(
            "warning", "road_network_disconnected",
            f"道路网络有 {len(rows)} 段与主路网不连通（共 {off / 1000:.1f} 公里，占 {off / total:.1%}）；"
            f"位于其上的地点会吸附到最近的主路网道路",
            f"{count_en(len(rows), 'piece')} of road ({off / 1000:.1f} km, {off / total:.1%}) "
            f"{plural_en(len(rows), 'does', 'do')} not connect to "
            f"the main network for mode {g.mode}; places near them are snapped to the nearest road "
            "of the main network",
            fix_zh="在 GIS 中检查这些道路是否漏画了连接，或单行方向是否正确。",
            fix_en="check in a GIS whether connections are missing or one-way directions are wrong.",
            role="roads", features=[r for row in rows[:50] for r in row["roads"][:3]]))


def graph_from_osm(path, *, mode: str = "walk", crs=None, speeds: dict | None = None,
                   dem=None, max_grade: float = 0.40) -> RoadGraph:
    """Road graph of an OpenStreetMap extract (``.osm.pbf`` or ``.osm``).

    Reads the highway lines with :func:`gridtool.io.osm.read_osm_role` (the same reader as the
    project's roads layer) and projects them to ``crs``.

    Parameters
    ----------
    path : str or pathlib.Path
        The extract.
    mode : {"walk", "bicycle", "car"}
        The travel mode (speeds, one-way streets, roads allowed).
    crs : optional
        The metric CRS of the graph (default: the local metric CRS gridtool picks for the area).
    speeds : dict, optional
        Speeds by road class and mode overriding :data:`SPEEDS_KMH`.
    dem : optional
        A DEM for walking times on slopes (Tobler, see :func:`build_graph`).
    max_grade : float
        Steepest grade a walking edge is given a time for.

    Returns
    -------
    RoadGraph
        The graph, as :func:`build_graph` makes it.
    """
    from ..crs import metric_crs_for
    from ..io.osm import read_osm_role
    roads = read_osm_role(path, "roads")
    if crs is None:
        c = roads.geometry.union_all().centroid if len(roads) < 2000 else roads.geometry.iloc[len(roads) // 2].centroid
        crs = metric_crs_for(c.x, c.y)
    return build_graph(roads.to_crs(crs), mode=mode, speeds=speeds, dem=dem, node_crossings=False,
                       max_grade=max_grade)
