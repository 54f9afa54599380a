"""Road graphs: noding, modes, one-way streets, speeds, Tobler on a DEM, disconnected pieces."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point

from gridtool.errors import EmptyLayerError
from gridtool.io.dem import Dem
from gridtool.routing import build_graph, tobler_kmh
from gridtool.routing.graph import SPEEDS_KMH

GK108 = "EPSG:4545"
X0, Y0 = 480_000.0, 3_265_000.0


def town(n: int = 5, step: float = 100.0) -> dict:
    """An n×n street grid (one line per street, junctions at shared vertices), plus a one-way
    street along y=0, a separate lane far away (a disconnected piece), places and stations."""
    lines, names, cls, oneway = [], [], [], []
    for i in range(n):
        ys = [(X0 + j * step, Y0 + i * step) for j in range(n)]
        xs = [(X0 + i * step, Y0 + j * step) for j in range(n)]
        lines += [LineString(ys), LineString(xs)]
        names += [f"东{i}路", f"北{i}街"]
        cls += ["residential", "residential"]
        oneway += [i == 0, False]
    lines.append(LineString([(X0 + 5000, Y0 + 5000), (X0 + 5100, Y0 + 5000)]))
    names.append("孤立小巷")
    cls.append("service")
    oneway.append(False)
    roads = gpd.GeoDataFrame({"name": names, "class": cls, "oneway": oneway,
                              "src_id": [f"FID {i}" for i in range(len(lines))]},
                             geometry=lines, crs=GK108)
    places = gpd.GeoDataFrame(
        {"name": ["实验小学", "农贸市场", "工商银行", "监控点A", "孤岛超市"],
         "category": ["school", "market", "bank", "camera", "supermarket"],
         "src_id": ["FID 0", "FID 1", "FID 2", "FID 3", "FID 4"]},
        geometry=[Point(X0 + 310, Y0 + 105), Point(X0 + 95, Y0 + 290), Point(X0 + 400, Y0 + 400),
                  Point(X0 + 200, Y0 + 210), Point(X0 + 5050, Y0 + 5010)], crs=GK108)
    stations = gpd.GeoDataFrame({"name": ["城关派出所"], "kind": ["police"], "src_id": ["FID 0"]},
                                geometry=[Point(X0 + 5, Y0 + 200)], crs=GK108)
    return {"roads": roads, "places": places, "stations": stations}


def test_grid_is_noded_at_shared_vertices_and_reports_the_lost_lane():
    g = build_graph(town()["roads"], mode="walk")
    assert g.n_nodes == 25 + 2  # grid junctions + the lane's two ends
    assert len(g.geometry) == 2 * 5 * 4 + 1  # 40 block sides + the lane
    assert len(g.pieces) == 1 and g.pieces["name"].iloc[0] == "孤立小巷"
    assert g.problems and g.problems[0].code == "road_network_disconnected"
    assert "FID 10" in g.problems[0].features


def test_one_way_streets_bind_cars_only():
    roads = town()["roads"]
    walk = build_graph(roads, mode="walk")
    car = build_graph(roads, mode="car")
    # the 4 pieces of the one-way street have one direction for cars, two on foot
    assert walk.n_edges - car.n_edges == 4
    ow = np.flatnonzero(car.piece_edges[:, 1] < 0)
    assert len(ow) == 4 and set(car.names[ow]) == {"东0路"}


def test_stop_at_the_end_of_a_one_way_street_has_no_nan_costs():
    from gridtool.routing.snapping import snap, travel_matrix
    car = build_graph(town()["roads"], mode="car")
    # On the one-way 东0路 (y = 0), exactly at a junction (the end of a piece) and mid-piece.
    s = snap(car, [Point(X0 + 100, Y0), Point(X0 + 250, Y0), Point(X0 + 300, Y0 + 300)])
    assert not np.isnan(s.entry_cost).any() and not np.isnan(s.exit_cost).any()
    m = travel_matrix(car, s)
    assert np.isfinite(m).all() and not np.isnan(m).any()


def test_speeds_by_class_and_mode_and_overrides():
    roads = town()["roads"]
    walk = build_graph(roads, mode="walk")
    e = 0
    assert walk.time[e] == pytest.approx(walk.length[e] / (SPEEDS_KMH["residential"]["walk"] / 3.6))
    car = build_graph(roads, mode="car", speeds={"residential": 36})
    assert car.time[0] == pytest.approx(car.length[0] / 10.0)
    with pytest.raises(ValueError):
        build_graph(roads, mode="boat")
    with pytest.raises(ValueError):
        build_graph(roads, mode="car", speeds={"residential": -5})


def test_modes_exclude_roads_they_may_not_use():
    roads = gpd.GeoDataFrame({"class": ["motorway", "footway"], "name": ["高速", "人行道"]},
                             geometry=[LineString([(X0, Y0), (X0 + 100, Y0)]),
                                       LineString([(X0, Y0 + 50), (X0 + 100, Y0 + 50)])], crs=GK108)
    assert set(build_graph(roads, mode="walk").names) == {"人行道"}
    assert set(build_graph(roads, mode="car").names) == {"高速"}
    with pytest.raises(EmptyLayerError):
        build_graph(roads.iloc[[0]], mode="bicycle")


def test_cad_lines_are_cut_where_they_cross_and_near_misses_are_joined():
    roads = gpd.GeoDataFrame(
        {"class": ["residential"] * 3, "name": ["甲路", "乙路", "丙路"]},
        geometry=[LineString([(X0, Y0), (X0 + 200, Y0)]),              # crosses 乙路 at x=100
                  LineString([(X0 + 100, Y0 - 100), (X0 + 100, Y0 + 100)]),
                  LineString([(X0 + 200.6, Y0 + 100), (X0 + 300, Y0 + 100)])],  # 0.6 m short of nothing
        crs=GK108)
    g = build_graph(roads, mode="walk")
    assert len(g.geometry) == 5  # 甲 and 乙 each cut in two, 丙 whole
    # the junction at the crossing has degree 4
    deg = np.bincount(g.u, minlength=g.n_nodes)
    assert deg.max() == 4
    assert len(g.pieces) == 1  # 丙路 stays apart (nothing within 1 m) and is reported
    # a dangling end 0.5 m from a line is joined to it
    roads2 = gpd.GeoDataFrame({"class": ["residential"] * 2},
                              geometry=[LineString([(X0, Y0), (X0 + 200, Y0)]),
                                        LineString([(X0 + 100, Y0 + 0.5), (X0 + 100, Y0 + 100)])], crs=GK108)
    g2 = build_graph(roads2, mode="walk")
    assert len(g2.pieces) == 0 and len(g2.geometry) == 3


def test_tobler_walking_is_slower_uphill_than_down():
    assert tobler_kmh(0.0, 4.5) == pytest.approx(4.5 * np.exp(-3.5 * 0.05) / np.exp(-0.175))
    assert tobler_kmh(0.2) < tobler_kmh(-0.05) and tobler_kmh(-0.05) == pytest.approx(tobler_kmh(-0.05))
    # a DEM rising 1 m per 10 m cell eastwards (10 % slope)
    arr = np.tile(np.arange(0, 100, 1.0, dtype=np.float32), (100, 1))
    dem = Dem(arr, Affine(10.0, 0, X0 - 100, 0, -10.0, Y0 + 500), GK108, "test")
    roads = gpd.GeoDataFrame({"class": ["residential"]},
                             geometry=[LineString([(X0, Y0), (X0 + 200, Y0)])], crs=GK108)
    g = build_graph(roads, mode="walk", dem=dem)
    fwd, bwd = g.piece_edges[0]
    assert g.time[fwd] > g.time[bwd] * 1.3  # uphill (east) slower
    flat = build_graph(roads, mode="walk")
    assert g.time[bwd] < g.time[fwd] and flat.time[0] < g.time[fwd]
    car = build_graph(roads, mode="car", dem=dem)
    assert car.time[0] == pytest.approx(flat.length[0] / (SPEEDS_KMH["residential"]["car"] / 3.6))
