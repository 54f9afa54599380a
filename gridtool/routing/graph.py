"""Road graphs for routing: the roads layer (or an OSM extract) noded into a directed graph.

Travel modes ``walk``, ``bicycle`` and ``car`` each have a speed per road class from a default
Chinese table (:data:`SPEEDS_KMH`, km/h; osmnx has no Chinese defaults), configurable per call.
Cars obey one-way streets; walkers and cyclists do not (pushing a bicycle on the pavement).
With an elevation model, walking times follow Tobler's hiking function, uphill and downhill
separately. Pieces of road that do not connect to the main network are kept in the graph and
reported (``RoadGraph.pieces`` and ``RoadGraph.problems``), never silently dropped.

Noding: lines that share a vertex are joined there (OpenStreetMap's convention: a bridge crossing
a street shares no vertex and stays a bridge). Lines from a CAD drawing or a survey shapefile are
also cut where they cross and a dangling end within ``snap_tolerance`` of another line is joined
to it (``node_crossings="auto"`` does this when the layer has no ``bridge``/``tunnel`` columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..errors import EmptyLayerError, GridtoolError
from ..problems import Problem

from .modes import MODE_ZH, MODES  # noqa: F401  (re-exported)

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
_ROUND = 100.0  # vertices equal to 1 cm are the same node


class UnreachableError(GridtoolError):
    """A place, household or station cannot be reached on the road network."""


@dataclass
class RoadGraph:
    """A directed road graph in a metric CRS.

    Nodes are road junctions and dead ends (``x``, ``y``); every directed edge ``e`` runs from
    ``u[e]`` to ``v[e]`` along road piece ``piece[e]`` (forward when ``forward[e]``), with
    ``length`` in metres and ``time`` in seconds for the graph's ``mode``. ``geometry`` holds one
    LineString per piece (drawn from its first to its last node), ``piece_u``/``piece_v`` its
    end nodes, ``piece_edges`` its forward and backward edge ids (-1: not allowed, one-way).
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
        from .nxgraph import graph_from_networkx
        return graph_from_networkx(G, mode=mode, crs=crs, speeds=speeds, dem=dem, **build_options)

    @classmethod
    def from_osmnx(cls, G, *, mode: str = "walk", crs=None, speeds: dict | None = None, dem=None,
                   **build_options) -> "RoadGraph":
        """A graph for ``mode`` from an osmnx graph (``ox.graph_from_place`` …, projected or not);
        osmnx itself is not needed. The same as :meth:`from_networkx`."""
        return cls.from_networkx(G, mode=mode, crs=crs, speeds=speeds, dem=dem, **build_options)


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
                raise ValueError("a speed without a mode needs mode=…; or give {class: {mode: km/h}}")
            row[mode] = val
    for cls, row in table.items():
        for m, v in row.items():
            if v is not None and not (v > 0):
                raise ValueError(f"speed for {cls}/{m} must be positive km/h or None, got {v}")
    return table


def tobler_kmh(slope, flat_kmh: float = 4.5) -> np.ndarray:
    """Walking speed on a slope (rise/run), Tobler's hiking function scaled to ``flat_kmh`` on
    the level: ``v = 6·exp(−3.5·|s + 0.05|)`` × flat_kmh / 6·exp(−0.175)."""
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


def _insert_crossings(lines: np.ndarray, skip: np.ndarray, tol: float) -> np.ndarray:
    """Add a vertex wherever two lines cross or one line's end lies within ``tol`` of another."""
    tree = shapely.STRtree(lines)
    a, b = tree.query(lines, predicate="dwithin", distance=tol)
    keep = (a < b) & ~skip[a] & ~skip[b]
    a, b = a[keep], b[keep]
    extra: dict[int, list] = {}
    if len(a):
        inter = shapely.intersection(lines[a], lines[b])
        for i, j, g in zip(a, b, inter):
            pts = shapely.get_coordinates(g) if not g.is_empty else np.empty((0, 2))
            if len(pts):
                extra.setdefault(i, []).append(pts)
                extra.setdefault(j, []).append(pts)
    # Dangling ends near another line (drawn a little short of the junction).
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.concatenate([np.arange(len(lines))] * 2)
    pi, li = tree.query(ends, predicate="dwithin", distance=tol)
    keep = (owner[pi] != li) & ~skip[li] & ~skip[owner[pi]]
    for p, line in zip(pi[keep], li[keep]):
        d = shapely.line_locate_point(lines[line], ends[p])
        q = shapely.line_interpolate_point(lines[line], d)
        extra.setdefault(int(line), []).append(shapely.get_coordinates(q))
        extra.setdefault(int(owner[p]), []).append(shapely.get_coordinates(q))
    if not extra:
        return lines
    out = lines.copy()
    for i, pts in extra.items():
        line = lines[i]
        pts = np.unique(np.round(np.vstack(pts) * _ROUND) / _ROUND, axis=0)
        coords = shapely.get_coordinates(line)
        dist_v = shapely.line_locate_point(line, shapely.points(coords))
        dist_p = shapely.line_locate_point(line, shapely.points(pts))
        allc = np.vstack([coords, pts])
        alld = np.concatenate([dist_v, dist_p])
        order = np.argsort(alld, kind="stable")
        merged = allc[order]
        # the ends of the line stay its ends (snapped ends replace them)
        d_end = shapely.length(line)
        is_pt = order >= len(coords)
        start_pts = merged[is_pt & (alld[order] <= 1e-9)]
        end_pts = merged[is_pt & (alld[order] >= d_end - 1e-9)]
        body = merged[~((is_pt & (alld[order] <= 1e-9)) | (is_pt & (alld[order] >= d_end - 1e-9)))]
        if len(start_pts):
            body[0] = start_pts[0]
        if len(end_pts):
            body[-1] = end_pts[0]
        keepc = np.ones(len(body), dtype=bool)
        keepc[1:] = np.any(np.abs(np.diff(body, axis=0)) > 1e-9, axis=1)
        body = body[keepc]
        if len(body) >= 2:
            out[i] = shapely.linestrings(body)
    return out


def build_graph(
    roads: gpd.GeoDataFrame,
    *,
    mode: str = "walk",
    speeds: dict | None = None,
    dem=None,
    snap_tolerance: float = 1.0,
    node_crossings: bool | str = "auto",
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
        function in each direction.
    snap_tolerance
        Metres: line ends closer than this are joined.
    node_crossings
        Also cut lines where they cross (True), only at shared vertices (False), or "auto".

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
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    table = speed_table(speeds, mode=mode)
    if roads is None or len(roads) == 0:
        raise EmptyLayerError("没有道路数据", "there are no roads", fix_zh="用 --roads 传入道路图层。",
                              fix_en="give a roads layer with --roads.", layer="roads")
    crs = roads.crs
    if crs is not None and getattr(crs, "is_geographic", False):
        raise ValueError("roads must be in a metric CRS (use the project's layers)")
    cls = (roads["class"].astype("string").str.lower().fillna(_FALLBACK_CLASS)
           if "class" in roads else pd.Series(_FALLBACK_CLASS, index=roads.index))
    cls = cls.where(cls.isin(list(table)), _FALLBACK_CLASS).to_numpy(dtype=object)
    sp = np.array([table[c].get(mode) or np.nan for c in cls], dtype=float)
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
    if node_crossings == "auto":
        node_crossings = not ("bridge" in roads or "tunnel" in roads)
    if node_crossings:
        lines = _insert_crossings(lines, flat_col[src], snap_tolerance)

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
    if snap_tolerance > 0 and len(node_keys) > 1:
        from scipy.spatial import cKDTree
        pts = ukey[node_keys] / _ROUND
        pairs = cKDTree(pts).query_pairs(snap_tolerance, output_type="ndarray")
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
    mps = sp[allowed][p_road] / 3.6
    t_fwd = plen / mps
    t_bwd = t_fwd.copy()
    if dem is not None and mode == "walk":
        t_fwd, t_bwd = _tobler_times(geom, plen, flat_col[p_road], dem, crs, sp[allowed][p_road])
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
                  piece_road=(rd["src_id"].astype(str).to_numpy() if "src_id" in rd
                              else rd.index.to_numpy())[p_road],
                  names=names[p_road], classes=cls[allowed][p_road], component=comp,
                  main_component=main, pieces=pd.DataFrame(), speeds=table)
    _report_pieces(g, comp_len)
    return g


def _tobler_times(geom, plen, flat, dem, crs, flat_kmh):
    coords, owner = shapely.get_coordinates(geom, return_index=True)
    z = np.asarray(dem.sample(coords[:, 0], coords[:, 1], crs=crs), dtype=float)
    same = owner[1:] == owner[:-1]
    seg = np.hypot(*np.diff(coords, axis=0).T)[same]
    dz = np.diff(z)[same]
    seg_owner = owner[1:][same]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(seg > 0, dz / seg, 0.0)
    slope = np.where(np.isfinite(slope), slope, 0.0)
    slope = np.where(flat[seg_owner], 0.0, np.clip(slope, -1.0, 1.0))
    kmh = flat_kmh[seg_owner]
    t_f = np.bincount(seg_owner, weights=seg / (tobler_kmh(slope, 1.0) * kmh / 3.6), minlength=len(geom))
    t_b = np.bincount(seg_owner, weights=seg / (tobler_kmh(-slope, 1.0) * kmh / 3.6), minlength=len(geom))
    # guard pieces with no segment (cannot happen for length > 0, but keep times positive)
    base = plen / (flat_kmh / 3.6)
    return np.where(t_f > 0, t_f, base), np.where(t_b > 0, t_b, base)


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
            f"{len(rows)} piece(s) of road ({off / 1000:.1f} km, {off / total:.1%}) do not connect to "
            f"the main network for mode {g.mode}; places near them are snapped to the nearest road "
            "of the main network",
            fix_zh="在 GIS 中检查这些道路是否漏画了连接，或单行方向是否正确。",
            fix_en="check in a GIS whether connections are missing or one-way directions are wrong.",
            role="roads", features=[r for row in rows[:50] for r in row["roads"][:3]]))


def graph_from_osm(path, *, mode: str = "walk", crs=None, speeds: dict | None = None,
                   dem=None) -> RoadGraph:
    """Road graph of an OpenStreetMap extract (``.osm.pbf`` or ``.osm``).

    Reads the highway lines with :func:`gridtool.io.osm.read_osm_role` (the same reader as the
    project's roads layer) and projects them to ``crs`` (default: the local metric CRS gridtool
    picks for the area).
    """
    from ..crs import metric_crs_for
    from ..io.osm import read_osm_role
    roads = read_osm_role(path, "roads")
    if crs is None:
        c = roads.geometry.union_all().centroid if len(roads) < 2000 else roads.geometry.iloc[len(roads) // 2].centroid
        crs = metric_crs_for(c.x, c.y)
    return build_graph(roads.to_crs(crs), mode=mode, speeds=speeds, dem=dem, node_crossings=False)
