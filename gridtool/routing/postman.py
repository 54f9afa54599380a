"""Street-coverage walks (日常巡查): the closed walk through every street of a grid.

One walker: the Chinese (rural) postman walk. The streets inside the grid are the required edges;
nodes of odd degree are paired by a minimum-weight perfect matching on their shortest-path times
over the whole walking network (networkx ``min_weight_matching``), the matched paths are walked
twice, and an Euler circuit of the result is the walk. This is optimal when the grid's streets
form one connected piece; when they fall into several pieces, the pieces are first joined by the
cheapest connecting paths along a minimum spanning tree (a heuristic: that case is NP-hard).

k walkers: the single walk is cut into k consecutive stretches chosen so that the longest
stretch, including the walk from the start to it and back, is as short as possible (binary search
on that length). A heuristic as well: it is not the min-max k-postman optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from ..errors import EmptyLayerError, check_at_least
from .graph import RoadGraph
from .snapping import node_path


@dataclass
class CoverageWalk:
    """The result of :func:`street_walk`.

    Attributes
    ----------
    steps : geopandas.GeoDataFrame
        One row per street traversal, in order: ``walker``, ``seq``, ``name``, ``length_m``,
        ``minutes``, ``repeat`` (True for a street walked again or a connecting path),
        ``required`` (a street of the grid), ``u``, ``v``, ``piece``, geometry (drawn in walking
        direction).
    walkers : pandas.DataFrame
        Per walker ``length_km`` and ``minutes``.
    start_node : int
        The graph node every walk starts and ends at.
    required_pieces : numpy.ndarray
        The road pieces inside the grid; ``required_km`` their length and ``required_minutes``
        the time to walk each once.
    cut_off : geopandas.GeoDataFrame or None
        Streets inside the grid but not connected to the network.
    bound_minutes : float
        Lower bound on the longest walk (one walker: on the walk).
    connected : bool
        The grid's streets form one piece (then one walk is optimal).
    """

    steps: gpd.GeoDataFrame
    walkers: pd.DataFrame
    start_node: int
    required_pieces: np.ndarray
    required_km: float
    cut_off: gpd.GeoDataFrame | None = None  # streets inside but not connected to the network
    required_minutes: float = 0.0   # every street once
    bound_minutes: float = 0.0      # lower bound on the longest walk (one walker: on the walk)
    connected: bool = True          # the grid's streets form one piece (then one walk is optimal)

    @property
    def optimal(self) -> bool:
        """True when the walk is provably shortest: one walker, the grid's streets in one piece."""
        return self.connected and int(self.walkers["walker"].nunique()) == 1

    def street_list(self, walker: int = 1, *, start_minutes: float = 8 * 60) -> list[dict]:
        """One walker's streets in walking order: :func:`street_list` of :attr:`steps`."""
        return street_list(self.steps, walker, start_minutes=start_minutes)

    def walk_lines(self) -> gpd.GeoDataFrame:
        """One line per walker (for maps and GPX tracks): :func:`walk_lines` of :attr:`steps`."""
        return walk_lines(self.steps)


def street_list(steps: gpd.GeoDataFrame, walker: int = 1, *, start_minutes: float = 8 * 60) -> list[dict]:
    """One walker's streets in walking order (``steps``: :attr:`CoverageWalk.steps`, or the
    ``walk_steps`` layer of one grid as the app keeps it in the project), consecutive pieces of the same street merged:
    ``seq``, ``place`` (street name; unnamed stretches numbered in walking order and placed,
    see :func:`_unnamed_labels`), ``category`` ``"street"``, ``repeat`` (True
    when all of it is walked again or only connects), ``length_m``, ``repeat_m`` (metres of
    it walked again / connecting), ``minutes``, ``arrive``/``depart`` (clock, from
    ``start_minutes`` after midnight), ``xy`` (the middle of the stretch) — the rows of a
    printed walk card."""
    st = steps[steps["walker"] == walker].sort_values("seq")
    rows: list[dict] = []
    t = float(start_minutes)
    for r in st.itertuples():
        name = r.name or ""
        # an unnamed road (CAD lines carry no names) continues only while the walk goes on
        # straight: at a turn a new stretch starts, so that the card can be followed
        if rows and rows[-1]["name"] == name and (name or _straight_on(rows[-1]["parts"], r.geometry)):
            row = rows[-1]
            row["parts"].append(r.geometry)
            row["repeat"] = row["repeat"] and bool(r.repeat)
        else:
            row = {"seq": len(rows) + 1, "name": name, "category": "street", "repeat": bool(r.repeat),
                   "length_m": 0.0, "repeat_m": 0.0, "minutes": 0.0, "start": t, "parts": [r.geometry]}
            rows.append(row)
        row["length_m"] += float(r.length_m)
        row["repeat_m"] += float(r.length_m) if r.repeat else 0.0
        row["minutes"] += float(r.minutes)
        t += float(r.minutes)
    labels = _unnamed_labels(rows)
    out = []
    for row, label in zip(rows, labels):
        parts = row.pop("parts")
        row.pop("name")
        mid = shapely.line_interpolate_point(parts[len(parts) // 2], 0.5, normalized=True)
        start = row.pop("start")
        out.append({"seq": row.pop("seq"), "place": label, **row, "length_m": round(row["length_m"], 1),
                    "repeat_m": round(row["repeat_m"], 1),
                    "minutes": round(row["minutes"], 2), "arrive": _clock(start),
                    "depart": _clock(start + row["minutes"]), "dwell_min": round(row["minutes"], 1),
                    "must": False, "window": "", "xy": (mid.x, mid.y)})
    return out


def walk_lines(steps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One line per walker of ``steps`` (for maps and GPX tracks): ``walker``, ``length_km``,
    ``minutes``, geometry."""
    rows = []
    for w, grp in steps.groupby("walker", sort=True):
        coords = []
        for g in grp.geometry:
            c = shapely.get_coordinates(g)
            coords.extend(c if not coords else c[1:])
        rows.append({"walker": int(w), "length_km": grp["length_m"].sum() / 1000,
                     "minutes": grp["minutes"].sum(),
                     "geometry": shapely.linestrings(coords) if len(coords) >= 2 else None})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=steps.crs)


#: A walk turning by more than this (degrees) at a junction leaves an unnamed road for another.
TURN_DEG = 40.0
#: Metres under which an unnamed piece is part of the stretch it joins, never one of its own.
MIN_STRETCH_M = 20.0
_COMPASS = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")


def _heading(coords: np.ndarray) -> float | None:
    """Direction (degrees, counter-clockwise from east) of a run of points, None if it has no length."""
    d = coords[-1] - coords[0]
    return None if not np.any(d) else float(np.degrees(np.arctan2(d[1], d[0])))


def _straight_on(parts: list, b) -> bool:
    """True when the walk goes on straight from the stretch ``parts`` into line ``b`` (walking order).

    Pieces shorter than :data:`MIN_STRETCH_M` (the slivers CAD gaps and overshoots leave at
    junctions) never start a stretch of their own, nor set its direction."""
    if b.length < MIN_STRETCH_M:
        return True
    last = next((p for p in reversed(parts) if p.length >= MIN_STRETCH_M), None)
    if last is None:
        return True
    ca, cb = shapely.get_coordinates(last), shapely.get_coordinates(b)
    ha, hb = _heading(ca[-2:]), _heading(cb[:2])
    if ha is None or hb is None:
        return True
    return abs((hb - ha + 180) % 360 - 180) <= TURN_DEG


def _unnamed_labels(rows: list[dict]) -> list[str]:
    """Card labels: a named street as it is; unnamed stretches numbered in walking order, each
    placed by the named streets it runs between (``无名道路 2（中山路与太平路之间）``), else by the
    way it goes (``无名道路 3（向东北）``) — a worker holding the card can follow it."""
    out, k = [], 0
    for i, row in enumerate(rows):
        if row["name"]:
            out.append(row["name"])
            continue
        k += 1
        before = next((r["name"] for r in reversed(rows[:i]) if r["name"]), "")
        after = next((r["name"] for r in rows[i + 1:] if r["name"]), "")
        if before and after and before != after and i > 0 and i + 1 < len(rows) \
                and rows[i - 1]["name"] and rows[i + 1]["name"]:
            out.append(f"无名道路 {k}（{before}与{after}之间）")
            continue
        coords = np.vstack([shapely.get_coordinates(g) for g in row["parts"]])
        h = _heading(coords)
        way = f"向{_COMPASS[int(((h + 22.5) % 360) // 45)]}" if h is not None else "绕一圈回到起点"
        out.append(f"无名道路 {k}（{way}）")
    return out


def _clock(minutes: float) -> str:
    m = int(round(minutes)) % (24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def required_pieces(graph: RoadGraph, area, *, min_share: float = 0.5) -> np.ndarray:
    """Road pieces with at least ``min_share`` of their length inside ``area``."""
    tree = shapely.STRtree(graph.geometry)
    cand = tree.query(area, predicate="intersects")
    if len(cand) == 0:
        return cand
    inside = shapely.length(shapely.intersection(graph.geometry[cand], area))
    return cand[inside >= min_share * shapely.length(graph.geometry[cand]) - 1e-6]


def street_walk(
    graph: RoadGraph,
    area,
    *,
    walkers: int = 1,
    start=None,
    min_share: float = 0.5,
) -> CoverageWalk:
    """The closed walk(s) covering every street inside ``area``.

    Parameters
    ----------
    graph
        A walking graph (``mode="walk"``: every street both ways).
    area
        Polygon of the grid, in the graph's CRS.
    walkers
        Number of walkers sharing the streets (k ≥ 1).
    start
        A point (the grid's service station, the worker's home); default: the junction inside the
        grid nearest its centre. Every walk starts and ends there.
    min_share
        A street counts as inside when at least this share of its length is.

    Returns
    -------
    CoverageWalk
        The walk(s) step by step and the figures per walker.

    Raises
    ------
    EmptyLayerError
        No street inside the area.
    """
    check_at_least(walkers, 1, name="walkers", zh="巡查人数", flag="--walkers", example=2)
    req = required_pieces(graph, area, min_share=min_share)
    # pieces the walk may use both ways
    req = req[graph.piece_edges[req, 1] >= 0] if graph.mode == "car" else req
    # streets cut off from the main network cannot be part of one walk: listed, not walked
    off = req[graph.component[graph.piece_u[req]] != graph.main_component]
    req = req[graph.component[graph.piece_u[req]] == graph.main_component]
    if len(req) == 0:
        raise EmptyLayerError("网格内没有道路", "there is no street inside the grid",
                              fix_zh="检查网格范围和道路图层。", fix_en="check the grid polygon and the roads layer.",
                              layer="roads")
    G = nx.MultiGraph()
    for p in req:
        e = graph.piece_edges[p, 0]
        G.add_edge(int(graph.piece_u[p]), int(graph.piece_v[p]), piece=int(p), repeat=False,
                   required=True, time=float(graph.time[e]), length=float(graph.length[e]))
    csr = graph.csr()

    def add_path(a: int, b: int) -> None:
        for e in node_path(graph, a, b):
            G.add_edge(int(graph.u[e]), int(graph.v[e]), piece=int(graph.piece[e]), repeat=True,
                       required=False, time=float(graph.time[e]), length=float(graph.length[e]))

    # a lower bound on the whole walk: every street once, plus the cheapest pairing of the odd
    # junctions of the grid's own streets (any closed walk must add such a pairing; joining
    # separate pieces can only add more)
    odd0 = np.array([n for n, deg in G.degree() if deg % 2 == 1])
    pair_lb = 0.0
    if len(odd0):
        d0 = dijkstra(csr, directed=False, indices=odd0)[:, odd0]
        K0 = nx.Graph()
        K0.add_weighted_edges_from((i, j, float(d0[i, j])) for i in range(len(odd0))
                                   for j in range(i + 1, len(odd0)) if np.isfinite(d0[i, j]))
        pair_lb = sum(K0.edges[i, j]["weight"] for i, j in nx.min_weight_matching(K0)) / 60
    # 1. join the pieces of the required street network (MST over shortest connections)
    comps = [sorted(c) for c in nx.connected_components(G)]
    connected = len(comps) == 1
    if len(comps) > 1:
        nodes = np.array(sorted(G.nodes))
        d = dijkstra(csr, directed=False, indices=nodes)[:, nodes]
        comp_of = {n: i for i, c in enumerate(comps) for n in c}
        cid = np.array([comp_of[n] for n in nodes])
        H = nx.Graph()
        for i in range(len(comps)):
            for j in range(i + 1, len(comps)):
                sub = d[np.ix_(cid == i, cid == j)]
                if np.isfinite(sub).any():
                    a, b = np.unravel_index(np.argmin(sub), sub.shape)
                    H.add_edge(i, j, weight=float(sub[a, b]),
                               pair=(int(nodes[cid == i][a]), int(nodes[cid == j][b])))
        for i, j, data in nx.minimum_spanning_edges(H, data=True):
            add_path(*data["pair"])
    # 2. pair odd nodes by minimum-weight perfect matching on shortest-path times
    odd = np.array([n for n, deg in G.degree() if deg % 2 == 1])
    if len(odd):
        d = dijkstra(csr, directed=False, indices=odd)[:, odd]
        K = nx.Graph()
        for i in range(len(odd)):
            for j in range(i + 1, len(odd)):
                if np.isfinite(d[i, j]):
                    K.add_edge(i, j, weight=float(d[i, j]))
        for i, j in nx.min_weight_matching(K):
            add_path(int(odd[i]), int(odd[j]))
    # 3. start node and Euler circuit
    comp_nodes = max(nx.connected_components(G), key=len)
    if start is None:
        c = shapely.centroid(area)
    else:
        c = start
    cand = np.array(sorted(comp_nodes))
    s = int(cand[np.argmin(np.hypot(graph.x[cand] - c.x, graph.y[cand] - c.y))])
    circuit = list(nx.eulerian_circuit(G, source=s, keys=True))
    steps = [(a, b, G.edges[a, b, k]) for a, b, k in circuit]
    seen: set[int] = set()
    for i, (a, b, data) in enumerate(steps):
        if data["piece"] in seen or not data["required"]:
            steps[i] = (a, b, {**data, "repeat": True})
        if data["required"]:
            seen.add(data["piece"])

    # 4. cut into k walkers
    walker_of = np.zeros(len(steps), dtype=int)
    extra: dict[int, tuple[list, list]] = {}
    if walkers > 1 and len(steps) > 1:
        d0 = dijkstra(csr, directed=False, indices=s)
        cost = np.array([st[2]["time"] for st in steps])
        head = np.array([d0[a] for a, _, _ in steps])
        tail = np.array([d0[b] for _, b, _ in steps])

        def cut(limit: float):
            parts, i = [], 0
            while i < len(steps):
                j, acc = i, head[i] + cost[i]
                if acc + tail[i] > limit:
                    return None
                while j + 1 < len(steps) and acc + cost[j + 1] + tail[j + 1] <= limit:
                    j += 1
                    acc += cost[j]
                parts.append((i, j))
                i = j + 1
            return parts

        lo = max(float((head + cost + tail).max()), float(cost.sum()) / walkers)
        hi = float(head[0] + cost.sum() + tail[-1])
        best = cut(hi)
        for _ in range(40):
            mid = (lo + hi) / 2
            p = cut(mid)
            if p is not None and len(p) <= walkers:
                best, hi = p, mid
            else:
                lo = mid
        for w, (i, j) in enumerate(best):
            walker_of[i:j + 1] = w
            extra[w] = (node_path(graph, s, steps[i][0]), node_path(graph, steps[j][1], s))
    rows = []
    for w in range(walkers):
        idx = np.flatnonzero(walker_of == w)
        seq_edges = []
        to, back = extra.get(w, ([], []))
        seq_edges += [(int(graph.u[e]), int(graph.v[e]), int(graph.piece[e]), True, False, e) for e in to]
        for i in idx:
            a, b, data = steps[i]
            seq_edges.append((a, b, data["piece"], data["repeat"], data["required"], None))
        seq_edges += [(int(graph.u[e]), int(graph.v[e]), int(graph.piece[e]), True, False, e) for e in back]
        for k, (a, b, p, rep, reqd, _) in enumerate(seq_edges):
            g = graph.geometry[p]
            fwd = graph.piece_u[p] == a and (graph.piece_v[p] == b or graph.piece_u[p] == graph.piece_v[p])
            e = graph.piece_edges[p, 0] if fwd else graph.piece_edges[p, 1]
            e = e if e >= 0 else graph.piece_edges[p, 0]
            rows.append({"walker": w + 1, "seq": k + 1, "name": graph.names[p] or "", "length_m": float(graph.length[e]),
                         "minutes": float(graph.time[e]) / 60, "repeat": bool(rep), "required": bool(reqd),
                         "u": a, "v": b, "piece": p, "geometry": g if fwd else shapely.reverse(g)})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=graph.crs)
    summ = gdf.groupby("walker").agg(length_km=("length_m", lambda s: s.sum() / 1000),
                                     minutes=("minutes", "sum"), streets=("seq", "count")).reset_index()
    # lower bounds: every street once (the total), and for the longest walker: its share of that,
    # and going out to the farthest street, along it and back
    e_req = graph.piece_edges[req, 0]
    req_min = float(graph.time[e_req].sum()) / 60
    d_s = dijkstra(csr, directed=False, indices=s)
    far = float(np.max(d_s[graph.piece_u[req]] + graph.time[e_req] + d_s[graph.piece_v[req]])) / 60
    bound = max((req_min + pair_lb) / walkers, far)
    return CoverageWalk(steps=gdf, walkers=summ, start_node=s, required_pieces=np.sort(req),
                        required_minutes=req_min, bound_minutes=bound, connected=connected,
                        required_km=float(graph.length[graph.piece_edges[req, 0]].sum()) / 1000,
                        cut_off=gpd.GeoDataFrame({"name": graph.names[off]}, geometry=graph.geometry[off],
                                                 crs=graph.crs))
