"""Service circles (N-minute reach from each station) and the households they cover.

A circle is the road network reachable from the station within N minutes, partly travelled road
pieces included up to the exact remaining time, widened by ``buffer_m`` metres on each side (the
houses along those streets) and merged into one polygon. Coverage of households is measured on the
network itself (station → road → the household's door), not by the polygon: a house just behind a
river from a reached street is not counted as covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ..errors import OptionError
from ..plurals import count_en, plural_en
from .graph import MODE_ZH, RoadGraph, UnreachableError
from .snapping import Snapped, snap


def _names(gdf: gpd.GeoDataFrame, prefix: str, graph: RoadGraph | None = None) -> list[str]:
    """``name``, else the category's Chinese name (or ``prefix``) with where it is (the nearest named
    road of ``graph``): these names go on route cards, stop lists and maps, where an FID means nothing."""
    from .demand import located_names
    return located_names(gdf, graph, prefix)


def _label(gdf: gpd.GeoDataFrame, i: int, names: list[str]) -> str:
    sid = gdf["src_id"].iloc[i] if "src_id" in gdf else gdf.index[i]
    # an unnamed place is already labelled by its id (幼儿园（FID 48）): not twice
    from ..errors import feature_id_zh
    return names[i] if str(sid) in names[i] or feature_id_zh(str(sid)) in names[i] else f"{names[i]} ({sid})"


def reach_seconds(graph: RoadGraph, sources: Snapped, *, limit: float = np.inf) -> np.ndarray:
    """Seconds from each snapped source to every node (inf beyond ``limit`` or unreachable).

    One Dijkstra per source: each source becomes a virtual node joined to the (up to two) nodes
    it leaves by, at the time to reach them along its road piece.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import dijkstra
    k = len(sources.piece)
    n = graph.n_nodes
    out = np.full((k, n), np.inf)
    first: dict[tuple[int, int], float] = {}
    for s in range(k):
        for x in range(2):
            if sources.exits[s, x] >= 0 and np.isfinite(sources.exit_cost[s, x]):
                # the station itself is on the road: no walk from a door
                key = (n + s, int(sources.exits[s, x]))
                cost = max(sources.exit_cost[s, x] - sources.dist[s] / graph.walk_speed, 1e-3)
                first[key] = min(first.get(key, np.inf), cost)  # csr would add duplicates up
    rows = [r for r, _ in first]
    cols = [c for _, c in first]
    w = list(first.values())
    if not rows:
        return out
    base = graph.csr().tocoo()
    big = sparse.csr_matrix((np.r_[base.data, w], (np.r_[base.row, rows], np.r_[base.col, cols])),
                            shape=(n + k, n + k))
    todo = np.flatnonzero(sources.ok)
    for c in range(0, len(todo), 64):
        idx = todo[c:c + 64]
        d = dijkstra(big, directed=True, indices=n + idx, limit=limit)
        out[idx] = d[:, :n]
    if np.isfinite(limit):
        out[out > limit] = np.inf
    return out


def _reached_lines(graph: RoadGraph, d: np.ndarray, limit: float, src: Snapped, s: int) -> list:
    """Road geometry reachable within ``limit`` seconds given node times ``d``."""
    r = limit - d[graph.u]
    full = r >= graph.time
    partial = (r > 0) & ~full
    parts = list(graph.geometry[np.unique(graph.piece[full])])
    for e in np.flatnonzero(partial):
        p = graph.piece[e]
        g = graph.geometry[p]
        L = graph.length[e]
        f = r[e] / graph.time[e] * L
        parts.append(substring(g, 0, f) if graph.forward[e] else substring(g, L - f, L))
    # the station's own road piece, both ways from the station
    p = src.piece[s]
    if p >= 0:
        g = graph.geometry[p]
        L = shapely.length(g)
        at = src.t[s] * L
        fe, be = graph.piece_edges[p]
        ahead = min(L, at + limit / graph.time[fe] * L)
        parts.append(substring(g, at, ahead))
        if be >= 0:
            parts.append(substring(g, max(0.0, at - limit / graph.time[be] * L), at))
    return [q for q in parts if q is not None and not q.is_empty and q.geom_type == "LineString"]


def service_circles(
    graph: RoadGraph,
    stations: gpd.GeoDataFrame,
    *,
    minutes: float | list[float] = 10,
    buffer_m: float = 60.0,
    max_snap: float = 300.0,
    strict: bool = False,
) -> gpd.GeoDataFrame:
    """N-minute service circles of every station, one polygon per station and time.

    Parameters
    ----------
    graph
        Road graph of the travel mode (its ``mode`` is written to the ``mode`` column).
    stations
        Points (``name``, ``src_id``) in the graph's CRS.
    minutes
        One time or several (one circle per station and time).
    buffer_m
        Half-width of the band along reached streets.
    strict
        Raise :class:`UnreachableError` naming the stations that are off the road network; else
        they get an empty circle.

    Returns
    -------
    GeoDataFrame
        Columns ``station``, ``minutes``, ``mode``, ``area_km2``, ``road_km``, geometry.
    """
    mins = sorted({float(m) for m in np.atleast_1d(minutes)})
    if not mins or not min(mins) > 0:
        raise OptionError(f"服务圈分钟数必须大于 0：{minutes}", f"minutes must be above 0, got {minutes!r}",
                          fix_zh="例如 --minutes 5 10 15。", fix_en="e.g. --minutes 5 10 15.", field="minutes")
    names = _names(stations, "站点", graph)
    sn = snap(graph, stations.geometry, max_distance=max_snap)
    if strict and not sn.ok.all():
        bad = [_label(stations, i, names) for i in np.flatnonzero(~sn.ok)]
        raise UnreachableError(
            f"以下站点附近 {max_snap:.0f} 米内没有可用道路：{'、'.join(bad)}",
            f"no usable road within {max_snap:.0f} m of {plural_en(len(bad), 'station')}: {', '.join(bad)}",
            fix_zh="检查站点坐标，或补充道路数据。", fix_en="check the stations' positions or add the roads.",
            layer="stations")
    d = reach_seconds(graph, sn, limit=max(mins) * 60)
    rows = []
    for s in range(len(stations)):
        for m in mins:
            geom = shapely.Polygon()
            road = 0.0
            if sn.ok[s]:
                lines = _reached_lines(graph, d[s], m * 60, sn, s)
                if lines:
                    arr = np.asarray(lines, dtype=object)
                    road = float(shapely.length(arr).sum())
                    # buffering the parts one by one and merging is ~30x faster than buffering
                    # the whole multilinestring in GEOS (measured on Malta)
                    geom = shapely.union_all(shapely.buffer(shapely.simplify(arr, 3.0), buffer_m,
                                                            quad_segs=2))
            rows.append({"station": names[s], "minutes": m, "mode": graph.mode,
                         "area_km2": geom.area / 1e6, "road_km": road / 1000, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=graph.crs)


@dataclass
class Coverage:
    """Households within N minutes of a station, on the network (what :func:`household_coverage` returns).

    Attributes
    ----------
    minutes : float
        The time limit.
    mode : str
        The travel mode of the graph (``walk``, ``bicycle``, ``car``).
    total_hh, covered_hh : float
        Households in all, and within ``minutes`` of a station; ``share`` is their ratio.
    households : geopandas.GeoDataFrame
        The households with ``minutes_to_station`` (exact; NaN: not reachable),
        ``nearest_station`` and ``covered``; ``uncovered`` selects those not covered.
    villages : pandas.DataFrame
        Per village: ``name``, ``hh``, ``covered_hh``, ``share``, ``uncovered_hh``.
    unreachable : list of str
        Stations that are not on the road network.
    """

    minutes: float
    mode: str
    total_hh: float
    covered_hh: float
    # + columns minutes_to_station (exact; NaN: not reachable), nearest_station, covered
    households: gpd.GeoDataFrame
    villages: pd.DataFrame  # name, hh, covered_hh, share, uncovered_hh
    unreachable: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.covered_hh / self.total_hh if self.total_hh else 0.0

    @property
    def uncovered(self) -> gpd.GeoDataFrame:
        return self.households[~self.households["covered"]]

    def summary(self, lang: str = "zh") -> str:
        zh = (f"{MODE_ZH[self.mode]} {self.minutes:g} 分钟服务圈覆盖 {self.covered_hh:,.0f} / "
              f"{self.total_hh:,.0f} 户（{self.share:.1%}）")
        en = (f"{self.minutes:g}-minute {self.mode} service circles cover {self.covered_hh:,.0f} of "
              f"{count_en(self.total_hh, 'household', spec=',.0f')} ({self.share:.1%})")
        return zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"


def household_times(graph: RoadGraph, stations: gpd.GeoDataFrame, targets, *, limit: float = np.inf,
                    max_snap: float = 300.0) -> tuple[np.ndarray, np.ndarray, Snapped]:
    """Exact seconds from the nearest station to each target geometry, and which station.

    ``limit`` is accepted for compatibility and ignored: the times are exact at every distance
    (a search cut off at the limit reported 8.22 min for a place 5.40 min away).
    """
    from .demand import nearest_times
    sn = snap(graph, stations.geometry, max_distance=max_snap)
    tg = snap(graph, targets, max_distance=max_snap)
    best, which = nearest_times(graph, sn, tg)
    return best, which, tg


def household_coverage(
    graph: RoadGraph,
    stations: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    minutes: float = 10,
    villages: gpd.GeoDataFrame | None = None,
    max_snap: float = 300.0,
) -> Coverage:
    """Share of households within ``minutes`` of a station, the uncovered ones, and per village.

    Parameters
    ----------
    graph : RoadGraph
        The road graph of the travel mode (its CRS is the layers' CRS).
    stations : geopandas.GeoDataFrame
        Station points (``name``).
    households : geopandas.GeoDataFrame
        Household points or footprints (``hh``, optional ``village``).
    minutes : float
        The time limit along the roads.
    villages : geopandas.GeoDataFrame, optional
        Village polygons, for the figures per village when the households have no ``village``.
    max_snap : float
        Metres from a feature to the road beyond which it counts as off the network.

    Returns
    -------
    Coverage
        The shares, the households with their time to the nearest station, and per village.
    """
    names = _names(stations, "站点", graph)
    pts = households.geometry.representative_point()
    secs, which, tg = household_times(graph, stations, pts.values, limit=minutes * 60, max_snap=max_snap)
    from .demand import household_weights
    hh = household_weights(households)  # counted as the project counts them
    covered = secs <= minutes * 60
    out = households.copy()
    out["minutes_to_station"] = np.where(np.isfinite(secs), secs / 60, np.nan)
    out["nearest_station"] = [names[w] if w >= 0 else None for w in which]
    out["covered"] = covered
    if "village" in out and out["village"].notna().any():
        key = out["village"].astype(object).where(out["village"].notna(), "（不在任何村内）")
    elif villages is not None and len(villages):
        j = gpd.sjoin(gpd.GeoDataFrame(geometry=pts, crs=households.crs),
                      villages[["name", "geometry"]], how="left", predicate="within")
        j = j[~j.index.duplicated()]
        key = j["name"].astype(object).where(j["name"].notna(), "（不在任何村内）").reindex(out.index)
    else:
        key = pd.Series("(全部 / all)", index=out.index)
    df = pd.DataFrame({"name": key.to_numpy(), "hh": hh, "covered_hh": np.where(covered, hh, 0.0)})
    vt = df.groupby("name", sort=True).sum().reset_index()
    vt["uncovered_hh"] = vt["hh"] - vt["covered_hh"]
    vt["share"] = np.where(vt["hh"] > 0, vt["covered_hh"] / vt["hh"], 0.0)
    unreachable = [str(s) for s in (out["src_id"] if "src_id" in out else out.index)[~tg.ok]]
    return Coverage(minutes=float(minutes), mode=graph.mode, total_hh=float(hh.sum()),
                    covered_hh=float(hh[covered].sum()), households=out,
                    villages=vt.sort_values("share").reset_index(drop=True), unreachable=unreachable)
