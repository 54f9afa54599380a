"""A user's networkx / osmnx street graph as a gridtool :class:`~gridtool.routing.graph.RoadGraph`.

gridtool builds its road graphs from line layers (government survey roads, CAD drawings, OSM
extracts read with GDAL; see ``docs/DESIGN.md`` for why not osmnx). A user who already has an
osmnx graph — downloaded by osmnx, simplified, consolidated or edited by hand — can plan patrols,
circles, coverage and walks on it: :meth:`RoadGraph.from_osmnx` / :meth:`RoadGraph.from_networkx`
turn it into the roads layer gridtool reads (one line per street, not per direction) and build the
graph from that with the given topology kept (``node_crossings=False``, no snapping), so a bridge
over a street stays a bridge and every osmnx node with three or more streets stays a junction.

osmnx is *not* a dependency: any ``networkx.MultiDiGraph`` (or ``DiGraph``/``Graph``) following
osmnx's conventions works:

- ``G.graph["crs"]``: the CRS of the node coordinates (``"epsg:4326"`` for an unprojected osmnx
  graph; a graph in degrees is projected to the local metric CRS gridtool picks);
- node attributes ``x``, ``y``;
- edge attributes ``geometry`` (a LineString from ``u`` to ``v``; a straight line when absent, as
  osmnx leaves it for unsimplified edges), ``highway`` (the road class), ``oneway`` (bool or OSM
  text), ``name``, ``maxspeed``, ``bridge``, ``tunnel``; a list (osmnx's merged edges) gives its
  first value. ``length`` is not read: lengths come from the geometry in the metric CRS.

A two-way street is two opposite edges in osmnx; they become one line (``oneway`` False). A
one-way edge becomes a one-way line drawn in its direction of travel. A ``Graph`` (undirected)
gives two-way lines.

Written by hand because osmnx's own ``graph_to_gdfs`` needs osmnx installed and keeps both
directions of a street as two lines, which gridtool would then read as two parallel roads.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

from ..crs import metric_crs_for
from ..plurals import count_en, plural_en
from ..errors import GridtoolError
from ..problems import Problem

_TRUE = frozenset({"yes", "true", "1", "-1", "reverse"})
_NO_CRS_FIX_ZH = "给图设置坐标系，例如 G.graph['crs'] = 'EPSG:4326'（osmnx 下载的图已有）。"
_NO_CRS_FIX_EN = "set the graph's CRS, e.g. G.graph['crs'] = 'EPSG:4326' (graphs from osmnx have it)."


class GraphInputError(GridtoolError):
    """A networkx graph that cannot be read as a street network (no CRS, nodes without x/y …)."""


def _first(v, *, sort: bool = False):
    """osmnx stores merged edges' attributes as lists: their first value; NaN/None as None.

    ``sort``: the first in alphabetical order. osmnx builds some lists (``highway``) from sets, in
    an order that changes from run to run; sorted, one graph always gives the same classes."""
    if isinstance(v, (list, tuple)):
        vals = [x for x in v if x is not None]
        v = (min(vals, key=str) if sort else vals[0]) if vals else None
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _flag(v, *, any_value: bool = False) -> bool:
    """A bool or an OSM value as a bool; a list is true when any of its values is.

    ``oneway``: yes/true/1, and -1/reverse (osmnx already drew such an edge in the direction of
    travel). ``any_value`` (``bridge``, ``tunnel``): every value but no/false/0 (``viaduct``,
    ``culvert`` …)."""
    if isinstance(v, (list, tuple)):
        return any(_flag(x, any_value=any_value) for x in v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    s = str(v).strip().lower()
    return s not in ("no", "false", "0", "") if any_value else s in _TRUE


def roads_from_networkx(G, *, crs=None) -> gpd.GeoDataFrame:
    """The street lines of a networkx graph with osmnx's conventions, one per street.

    Parameters
    ----------
    G
        ``networkx.MultiDiGraph`` (osmnx), ``DiGraph``, ``MultiGraph`` or ``Graph``.
    crs
        CRS of the node coordinates; default ``G.graph["crs"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``class``, ``oneway``, ``name``, ``maxspeed``, ``bridge``, ``tunnel``, ``src_id``
        (``"u-v-key"``, the edge it came from) and the geometry, in the graph's CRS.

    Raises
    ------
    GraphInputError
        No CRS, a node without ``x``/``y``, or no edge.
    """
    crs = crs if crs is not None else G.graph.get("crs")
    if crs is None:
        raise GraphInputError("道路图没有坐标系（G.graph['crs']）", "the street graph has no CRS (G.graph['crs'])",
                              fix_zh=_NO_CRS_FIX_ZH, fix_en=_NO_CRS_FIX_EN, layer="roads")
    xy = {}
    for n, d in G.nodes(data=True):
        try:
            xy[n] = (float(d["x"]), float(d["y"]))
        except (KeyError, TypeError, ValueError):
            raise GraphInputError(
                f"道路图的节点 {n!r} 没有坐标 x、y", f"node {n!r} of the street graph has no x/y coordinates",
                fix_zh="按 osmnx 的约定给每个节点设置 x（经度或东坐标）和 y（纬度或北坐标）。",
                fix_en="give every node x (longitude or easting) and y (latitude or northing), as osmnx does.",
                layer="roads") from None
    directed = G.is_directed()
    multi = G.is_multigraph()
    edges = G.edges(keys=True, data=True) if multi else ((u, v, 0, d) for u, v, d in G.edges(data=True))
    rows, geoms = [], []
    two_way: dict[tuple, int] = {}  # (ends, rounded length) -> how many edges of a two-way street seen
    untagged = 0
    for u, v, k, d in edges:
        g = d.get("geometry")
        if g is None or getattr(g, "is_empty", True):
            g = shapely.LineString([xy[u], xy[v]])
        oneway = directed and _flag(d.get("oneway", False))
        if directed and not oneway:
            # osmnx keeps a two-way street as two opposite edges: keep one line for both
            key = (frozenset((u, v)), round(float(shapely.length(g)), 2))
            seen = two_way.get(key, 0)
            two_way[key] = seen + 1
            if seen % 2 == 1:
                continue
        highway = _first(d.get("highway"), sort=True)
        untagged += highway is None
        rows.append({"class": str(highway or "unclassified").lower(), "oneway": bool(oneway),
                     "name": str(_first(d.get("name")) or ""), "maxspeed": _first(d.get("maxspeed")),
                     "bridge": _flag(d.get("bridge"), any_value=True),
                     "tunnel": _flag(d.get("tunnel"), any_value=True),
                     "src_id": f"{u}-{v}-{k}"})
        geoms.append(g)
    if not rows:
        raise GraphInputError("道路图没有边", "the street graph has no edges",
                              fix_zh="检查下载或筛选的范围。", fix_en="check the area the graph was built for.",
                              layer="roads")
    out = gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)
    out["maxspeed"] = out["maxspeed"].map(lambda s: None if s is None else str(s)).astype(object)
    out.attrs["edges_without_highway"] = untagged
    return out


def prepare_roads(G, *, crs=None) -> tuple[gpd.GeoDataFrame, dict, list[Problem]]:
    """The roads layer of a networkx/osmnx street graph, in a metric CRS, with the build options that
    keep the graph's own topology and the warnings to add to the built graph.

    A graph in degrees is projected to the local metric CRS (:func:`gridtool.crs.metric_crs_for`).
    :meth:`gridtool.routing.graph.RoadGraph.from_networkx` builds the graph from these.
    """
    roads = roads_from_networkx(G, crs=crs)
    if roads.crs is not None and roads.crs.is_geographic:
        lon, lat = np.median(shapely.get_coordinates(roads.geometry.values), axis=0)
        roads = roads.to_crs(metric_crs_for(float(lon), float(lat)))
    untagged = roads.attrs.get("edges_without_highway", 0)
    # the graph's own junctions, nothing added
    options = {"node_crossings": False, "snap_tolerance": 0.0}
    problems = []
    if untagged:  # guessed, so said: osmnx's graph_from_xml keeps every way, highway or not
        problems.append(Problem(
            "warning", "graph_edges_without_class",
            f"道路图中有 {untagged} 条道路（边，双向只计一次）没有 highway（道路等级），按 unclassified（普通道路）处理",
            f"{count_en(untagged, 'street')} of the graph (edges, a two-way street counted once) "
            f"{plural_en(untagged, 'has')} no highway class; "
            "taken as unclassified roads",
            fix_zh="如果它们不是道路（建筑轮廓等），先从图中删去：只保留带 highway 属性的边。",
            fix_en="if they are not roads (building outlines …), remove them first: keep the edges with a "
                   "highway attribute.", role="roads"))
    return roads, options, problems


__all__ = ["GraphInputError", "prepare_roads", "roads_from_networkx"]
