"""RoadGraph.from_osmnx / from_networkx: a street graph built by hand with osmnx's conventions (osmnx
is not installed) becomes a RoadGraph with its junctions kept, and patrols and circles plan on it."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from gridtool.routing import RoadGraph, build_graph, plan_patrol, service_circles
from gridtool.routing.nxgraph import GraphInputError, roads_from_networkx

LON0, LAT0 = 118.780, 32.050  # Nanjing Xuanwu
UTM = "EPSG:32650"
STEP = 150.0  # metres between parallel streets


def _osmnx_like(crs: str = "epsg:4326") -> nx.MultiDiGraph:
    """A 4 × 4 street grid as osmnx gives it: node x/y (lon/lat or metres), two-way streets as two
    opposite edges with ``reversed``, one one-way street, a simplified edge with a bent geometry and a
    list-valued highway, speed limits as OSM text, and a footbridge crossing a street (no node)."""
    to_ll = Transformer.from_crs(UTM, 4326, always_xy=True)
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    x0, y0 = to_utm.transform(LON0, LAT0)
    geographic = crs == "epsg:4326"

    def pos(ex, ny):
        return to_ll.transform(ex, ny) if geographic else (ex, ny)

    G = nx.MultiDiGraph(crs=crs, created_with="hand, in osmnx's conventions", simplified=True)
    nid = {}
    for i in range(4):
        for j in range(4):
            n = 1000 + 10 * i + j
            nid[i, j] = n
            x, y = pos(x0 + i * STEP, y0 + j * STEP)
            G.add_node(n, x=x, y=y, street_count=4)
    osmid = 1

    def street(a, b, highway, *, oneway=False, bend=None, **tags):
        nonlocal osmid
        pa, pb = np.array([G.nodes[a]["x"], G.nodes[a]["y"]]), np.array([G.nodes[b]["x"], G.nodes[b]["y"]])
        pts = [pa, pb] if bend is None else [pa, np.array(pos(*bend)), pb]
        geom = LineString(pts)
        attrs = {"osmid": osmid, "highway": highway, "oneway": oneway, "length": 0.0, **tags}
        osmid += 1
        if bend is not None:
            attrs["geometry"] = geom  # osmnx keeps a geometry only on simplified edges
        G.add_edge(a, b, reversed=False, **attrs)
        if not oneway:
            back = dict(attrs)
            if bend is not None:
                back["geometry"] = LineString(pts[::-1])
            G.add_edge(b, a, reversed=True, **back)

    for i in range(4):
        for j in range(3):
            cls = "primary" if i == 1 else "residential"
            street(nid[i, j], nid[i, j + 1], cls, name=f"{i + 1}号路", maxspeed="40" if cls == "primary" else None)
            street(nid[j, i], nid[j + 1, i], "residential", name=f"{i + 1}号街")
    G.remove_edges_from([(nid[3, 1], nid[3, 2]), (nid[3, 2], nid[3, 1])])
    street(nid[3, 1], nid[3, 2], "tertiary", oneway=True, name="单行道")  # north only
    G.remove_edges_from([(nid[0, 2], nid[0, 3]), (nid[0, 3], nid[0, 2])])
    street(nid[0, 2], nid[0, 3], ["residential", "unclassified"], name=["弯路", "弯巷"],
           bend=(x0 - 40, y0 + 2.5 * STEP))
    # a footbridge from west of the grid across street 2号路 to its east side, without a junction
    G.add_node(1, x=pos(x0 - 60, y0 + 0.5 * STEP)[0], y=pos(x0 - 60, y0 + 0.5 * STEP)[1])
    G.add_node(2, x=pos(x0 + 0.5 * STEP, y0 + 0.5 * STEP + 20)[0], y=pos(x0 + 0.5 * STEP, y0 + 0.5 * STEP + 20)[1])
    street(1, 2, "footway", bridge="yes", name="人行天桥")
    street(2, nid[1, 1], "footway", name="天桥下")
    street(1, nid[0, 0], "footway", name="引道")
    return G


def _places(crs):
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    x0, y0 = to_utm.transform(LON0, LAT0)
    pts = {"城北派出所": (x0 + 5, y0 + 5), "实验小学": (x0 + 3 * STEP + 10, y0 + 2.5 * STEP),
           "农贸市场": (x0 + 1.5 * STEP, y0 + 3 * STEP + 8), "卫生院": (x0 + 2 * STEP - 6, y0 + 0.5 * STEP)}
    gdf = gpd.GeoDataFrame({"name": list(pts), "category": ["police", "school", "market", "hospital"],
                            "priority": 3}, geometry=[Point(p) for p in pts.values()], crs=UTM)
    return gdf.to_crs(crs)


@pytest.mark.parametrize("crs", ["epsg:4326", UTM])
def test_osmnx_graph_becomes_a_road_graph_with_its_junctions(crs):
    G = _osmnx_like(crs)
    roads = roads_from_networkx(G)
    n_streets = 4 * 3 * 2 + 3  # grid streets plus the three footways; each two-way street once
    assert len(roads) == n_streets
    assert roads["oneway"].sum() == 1 and roads.loc[roads["oneway"], "name"].item() == "单行道"
    bent = roads[roads["name"] == "弯路"]
    assert bent["class"].item() == "residential" and shapely.get_num_coordinates(bent.geometry.item()) == 3
    assert roads["bridge"].sum() == 1 and set(roads.loc[roads["class"] == "primary", "maxspeed"]) == {"40"}

    walk = RoadGraph.from_osmnx(G, mode="walk")
    assert walk.crs.is_projected
    assert walk.n_nodes == G.number_of_nodes()  # the bridge over 2号路 made no junction
    assert len(walk.geometry) == n_streets
    assert walk.n_edges == 2 * n_streets  # walkers use the one-way street both ways
    car = RoadGraph.from_networkx(G, mode="car")
    assert car.n_edges == 2 * (n_streets - 3) - 1  # no footways, one direction of the one-way street

    # The same streets as a roads layer give the same network (what build_graph would do with them).
    same = build_graph(roads.to_crs(walk.crs), mode="walk", node_crossings=False, snap_tolerance=0.0)
    assert same.length.sum() == pytest.approx(walk.length.sum())
    # lengths from the geometry in metres match the street spacing
    grid = walk.classes == "primary"
    assert np.allclose(shapely.length(walk.geometry[grid]), STEP, rtol=1e-3)


def test_one_way_street_is_one_way_by_car():
    car = RoadGraph.from_osmnx(_osmnx_like(), mode="car")
    e = np.flatnonzero(car.names[car.piece] == "单行道")
    assert len(e) == 1
    start, end = (car.x[car.u[e[0]]], car.y[car.u[e[0]]]), (car.x[car.v[e[0]]], car.y[car.v[e[0]]])
    assert end[1] > start[1]  # northbound, as the osmnx edge runs


def test_patrol_and_circles_plan_on_an_osmnx_graph():
    G = _osmnx_like()
    walk = RoadGraph.from_osmnx(G, mode="walk")
    places = _places(walk.crs)
    stations = places[places["category"] == "police"]
    plan = plan_patrol(walk, stations, places, teams=1, shift_minutes=60, start="07:30", dwell_minutes=3,
                       time_limit=0.5)
    assert set(plan.stops["place"]) >= {"实验小学", "农贸市场", "卫生院"}
    route = plan.routes.geometry.iloc[0]
    assert plan.routes["minutes"].iloc[0] <= 60
    # the route runs along the streets: every vertex lies on a street of the graph
    streets = shapely.union_all(walk.geometry)
    assert shapely.distance(shapely.points(shapely.get_coordinates(route)), streets).max() < 0.5
    circles = service_circles(walk, stations, minutes=[2, 5])
    assert list(circles["minutes"]) == [2, 5]
    a2, a5 = circles.geometry.area
    assert 0 < a2 < a5


def test_graph_without_crs_or_coordinates_is_refused_with_a_fix():
    G = _osmnx_like()
    G.graph.pop("crs")
    with pytest.raises(GraphInputError) as exc:
        RoadGraph.from_osmnx(G)
    assert "G.graph['crs']" in exc.value.format("en")
    G = _osmnx_like()
    G.add_node(99, y=32.0)
    G.add_edge(99, 1000, highway="service")
    with pytest.raises(GraphInputError) as exc:
        RoadGraph.from_networkx(G)
    assert "99" in exc.value.format("zh") and "x" in exc.value.format("en")


def test_untagged_edges_are_roads_and_said_so():
    G = _osmnx_like()
    for _, _, d in G.edges(data=True):
        if d.get("name") == "引道":
            d.pop("highway")
    walk = RoadGraph.from_osmnx(G)
    warn = [p for p in walk.problems if p.code == "graph_edges_without_class"]
    assert len(warn) == 1 and warn[0].en.startswith("1 street of the graph")  # both directions: one street
    assert "unclassified" in walk.classes


def _shared_osm(name: str):
    import os
    from pathlib import Path
    for base in (os.environ.get("GRIDTOOL_SHARED_DATA"), Path(__file__).resolve().parents[2] / "shared" / "data",
                 "/work/shared/data"):
        if base and (Path(base) / "osm" / name).is_file():
            return Path(base) / "osm" / name
    pytest.skip(f"shared OSM extract {name} not found")


def test_real_osmnx_graph_matches_gridtools_own_reading():
    """With osmnx installed (bench extra): its graph of the Nanjing Xuanwu extract, highways only,
    through from_osmnx, is the network gridtool reads from the same file itself."""
    ox = pytest.importorskip("osmnx", reason="osmnx is not installed (pip install -e '.[bench]')")
    from gridtool.routing.graph import graph_from_osm
    path = _shared_osm("nanjing-xuanwu-2021-06.osm")
    G = ox.graph_from_xml(path, simplify=True, retain_all=True)
    G.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if "highway" not in d])
    theirs = RoadGraph.from_osmnx(G, mode="walk")
    ours = graph_from_osm(path, mode="walk")
    assert theirs.length.sum() == pytest.approx(ours.length.sum(), rel=0.01)
    for cls in ("residential", "secondary", "primary", "footway"):
        assert theirs.length[theirs.classes[theirs.piece] == cls].sum() == pytest.approx(
            ours.length[ours.classes[ours.piece] == cls].sum(), rel=0.03), cls
    assert not [p for p in theirs.problems if p.code == "graph_edges_without_class"]
