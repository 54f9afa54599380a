"""Road layers drawn as CAD lines: lines drawn twice are walked once, line ends a little short of
a road are joined to it (``--snap``) and reported, and nothing joins roads that do not meet."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from gridtool import cli
from gridtool.routing import build_graph, snap, travel_matrix
from gridtool.validate import validate

from .test_routing_graph import GK108, X0, Y0
from .test_routing_topology import flyover_network
from .test_validate import _project


def _cad(extra=(), n: int = 5, step: float = 100.0, **cols) -> gpd.GeoDataFrame:
    """An n×n street grid drawn as CAD lines (one two-point line per street, no vertex where
    streets cross) and ``extra`` lines (local coordinates)."""
    lines = []
    for i in range(n):
        lines.append([(0, i * step), ((n - 1) * step, i * step)])
        lines.append([(i * step, 0), (i * step, (n - 1) * step)])
    lines += [list(c) for c in extra]
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in c]) for c in lines]
    return gpd.GeoDataFrame({"class": ["residential"] * len(geoms), "src_id": [f"FID {i}" for i in range(len(geoms))],
                             **cols}, geometry=geoms, crs=GK108)


def _metres(g, a, b) -> float:
    sn = snap(g, [Point(X0 + a[0], Y0 + a[1]), Point(X0 + b[0], Y0 + b[1])])
    return float(travel_matrix(g, sn)[0, 1] * g.walk_speed)


def _codes(problems) -> dict:
    return {p.code: p for p in problems}


#: a lane going north from the top street, drawn 2.35 m short of it (FID 10)
LANE = [(150, 402.35), (150, 550)]


def test_a_lane_drawn_short_of_the_street_is_joined_and_reported():
    roads = _cad([LANE])
    g = build_graph(roads, mode="walk")
    assert g.noding["mode"] == "unnoded" and g.noding["snap_m"] == 3.0
    assert len(g.pieces) == 0  # one network
    # from the street to the lane's end: 2.35 m across the gap, 147.65 m up the lane
    assert _metres(g, (150, 400), (150, 550)) == pytest.approx(150, abs=1)
    p = _codes(g.problems)["road_gaps_bridged"]
    assert p.features == ["FID 10"] and "2.35" in p.zh and "--snap 0" in p.fix_zh
    assert g.noding["gaps_bridged"] == 1 and g.noding["gap_m"] == pytest.approx(2.35, abs=0.01)
    assert "连接缺口 1 处" in g.report("zh")
    # --snap 0: the lane stays apart, reported as a road end just short of a street
    apart = build_graph(roads, mode="walk", snap_tolerance=0)
    assert apart.pieces["roads"].tolist() == [["FID 10"]]
    near = _codes(apart.problems)["road_ends_near_miss"]
    assert near.features == ["FID 10"] and "--snap 5" in near.fix_zh and "2.35" in near.en


def test_cad_lines_are_named_by_their_handle_in_chinese():
    # DXF roads: the feature list said 句柄 20516 but the sentence said "handle 215A8 的线端距 handle 213AD".
    roads = _cad([LANE])
    roads["src_id"] = [f"handle {i + 0x200:X}" for i in range(len(roads))]
    near = _codes(build_graph(roads, mode="walk", snap_tolerance=0).problems)["road_ends_near_miss"]
    assert "最近一处：句柄 20A 的线端距 句柄 " in near.zh and "handle" not in near.zh
    assert "the end of handle 20A" in near.en
    gap = _codes(build_graph(roads, mode="walk").problems)["road_gaps_bridged"]
    assert "最大一处：句柄 20A 的线端距 句柄 " in gap.zh and "handle" not in gap.zh


def test_a_lane_farther_than_the_tolerance_is_reported_not_joined():
    roads = _cad([[(150, 404), (150, 550)]])
    g = build_graph(roads, mode="walk")
    assert g.pieces["roads"].tolist() == [["FID 10"]]
    assert "road_gaps_bridged" not in _codes(g.problems)
    assert _codes(g.problems)["road_ends_near_miss"].features == ["FID 10"]
    assert len(build_graph(roads, mode="walk", snap_tolerance=5).pieces) == 0


def test_a_line_drawn_twice_is_walked_once():
    once = build_graph(_cad(), mode="walk")
    twice = build_graph(_cad([[(400, 200), (0, 200)]]), mode="walk")  # street y=200 again, reversed
    assert twice.n_edges == once.n_edges
    assert twice.length.sum() == pytest.approx(once.length.sum())
    p = _codes(twice.problems)["road_duplicates"]
    assert p.features == ["FID 10"] and "4 段" in p.zh and "0.40 公里" in p.zh
    assert twice.noding["duplicates"] == 4 and twice.noding["duplicate_m"] == pytest.approx(400)


def test_one_way_carriageways_in_opposite_directions_are_not_duplicates():
    roads = _cad([[(0, 200), (400, 200)]], oneway=[False] * 10 + [True])
    roads.loc[4, "oneway"] = True
    roads.loc[4, "geometry"] = LineString([(X0 + 400, Y0 + 200), (X0, Y0 + 200)])
    g = build_graph(roads, mode="car")
    assert "road_duplicates" not in _codes(g.problems)
    assert g.length.sum() == pytest.approx(2 * 400 + 9 * 400 * 2)


def test_snapping_never_joins_a_flyover_a_bridge_or_a_parallel_dead_end():
    # a noded network with a flyover (no shared vertex): even --snap 5 keeps it apart
    g = build_graph(flyover_network(), mode="walk", snap_tolerance=5)
    assert _metres(g, (190, 0), (200, 10)) == pytest.approx(780, abs=1)
    # a lane stopping 2 m beside a bridge; a cul-de-sac running 2.5 m beside a street
    roads = _cad([[(-50, 450), (450, 450)], [(250, 452), (250, 520)], [(200, 402.5), (300, 402.5)]],
                 bridge=[False] * 10 + [True, False, False])
    g = build_graph(roads, mode="walk")
    assert "road_gaps_bridged" not in _codes(g.problems)
    assert sorted(r for rs in g.pieces["roads"] for r in rs) == ["FID 10", "FID 11", "FID 12"]
    assert _codes(g.problems)["road_ends_near_miss"].features == ["FID 12"]


def test_a_line_drawn_past_the_street_keeps_its_stub():
    roads = _cad([[(150, 550), (150, 398.5)]])  # 1.5 m past the top street
    g = build_graph(roads, mode="walk")
    assert "road_gaps_bridged" not in _codes(g.problems)
    assert g.length[g.forward].sum() == pytest.approx(10 * 400 + 151.5)
    assert _metres(g, (150, 400), (150, 550)) == pytest.approx(150, abs=1)


def test_validate_reports_gaps_duplicates_and_pieces_apart(tmp_path):
    roads = _cad([LANE, [(400, 200), (0, 200)], [(250, 404), (250, 550)]]).drop(columns="src_id")
    project = _project(tmp_path, {"roads": roads})
    found = _codes(validate(project))
    assert found["road_gaps_bridged"].features == ["FID 11"]  # GeoPackage FIDs start at 1
    assert found["road_duplicates"].features == ["FID 12"]
    assert found["road_ends_near_miss"].features == ["FID 13"]
    assert found["road_network_disconnected"].features == ["FID 13"]
    for code in ("road_gaps_bridged", "road_duplicates", "road_ends_near_miss", "road_network_disconnected"):
        p = found[code]
        assert p.severity == "warning" and p.fix_zh and p.fix_en and p.layer == "roads"
        assert "for mode" not in p.en


def test_snap_option_reaches_the_graph(tmp_path, capsys):
    gpkg = tmp_path / "r.gpkg"
    _cad([LANE]).drop(columns="src_id").to_file(gpkg, layer="roads", driver="GPKG")
    stations = gpd.GeoDataFrame({"name": ["派出所"]}, geometry=[Point(X0 + 5, Y0 + 5)], crs=GK108)
    stations.to_file(gpkg, layer="stations", driver="GPKG")
    p = cli.build_parser()
    for cmd, more in (("walk", ["p.gpkg", "--grid", "1"]), ("patrol", [f"--roads={gpkg}:roads"]),
                      ("coverage", [f"--roads={gpkg}:roads"]), ("seal", [f"--roads={gpkg}:roads", "--exits", "e.csv"])):
        assert p.parse_args([cmd, *more, "--snap", "0.5", "--out", "x"]).snap == 0.5
    from gridtool.commands.args import routing_graph
    from gridtool.project import Project
    project = Project.from_sources({"roads": f"{gpkg}:roads"})
    g = routing_graph(project, p.parse_args(["coverage", f"--roads={gpkg}:roads", "--snap", "0", "--out", "x"]))
    assert len(g.pieces) == 1
    assert "线端吸附：未启用" in capsys.readouterr().out
    g = routing_graph(project, p.parse_args(["coverage", f"--roads={gpkg}:roads", "--out", "x"]))
    assert len(g.pieces) == 0 and np.isclose(g.noding["gap_m"], 2.35, atol=0.01)
    assert "容差 3 米" in capsys.readouterr().out
