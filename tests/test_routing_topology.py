"""Road graphs that keep the network's own topology (noded vs CAD-like layers) and the roads' own
speeds (``maxspeed``/``限速``, ``--speed CLASS=KMH``)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from gridtool.errors import GridtoolError
from gridtool.routing import build_graph, noding_stats, snap, travel_matrix
from gridtool.routing.graph import parse_speed

from .test_routing_graph import GK108, X0, Y0


def _metres(g, a, b) -> float:
    """Walking network distance in metres between two points on roads (times × walking speed)."""
    sn = snap(g, [Point(X0 + a[0], Y0 + a[1]), Point(X0 + b[0], Y0 + b[1])])
    return float(travel_matrix(g, sn)[0, 1] * g.walk_speed)


def _lines(coords_list, **cols):
    return gpd.GeoDataFrame({"class": ["residential"] * len(coords_list), **cols},
                            geometry=[LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords_list], crs=GK108)


def flyover_network():
    """A noded network: a ring road with four lanes out at its corners and two streets joined to
    it at shared vertices; street B passes over street A at (200, 0) without a shared vertex (a
    flyover; no bridge column)."""
    ring = [[(0, -200), (0, 0), (0, 200)], [(0, 200), (200, 200), (400, 200)],
            [(400, 200), (400, 0), (400, -200)], [(400, -200), (200, -200), (0, -200)]]
    lanes = [[(0, 200), (-100, 200)], [(400, 200), (500, 200)], [(400, -200), (500, -200)],
             [(0, -200), (-100, -200)]]
    a = [(0, 0), (400, 0)]
    b = [(200, -200), (200, 200)]
    return _lines(ring + lanes + [a, b], name=["环路西", "环路北", "环路东", "环路南", "巷1", "巷2", "巷3", "巷4",
                                              "地面路", "高架路"])


def test_noded_network_keeps_its_flyover_and_distances():
    roads = flyover_network()
    g = build_graph(roads, mode="walk")
    assert g.noding["mode"] == "noded"
    assert g.noding["junctions_added"] == 0 and g.noding["crossings"] == 1
    assert g.noding["shared_junctions"] == 8
    # from the ground road (190, 0) to the flyover (200, 10): round by the ring, 190 + 200 + 200 + 190 m
    assert _metres(g, (190, 0), (200, 10)) == pytest.approx(780, abs=1)
    assert "立交" in g.report("zh") and "over/underpasses" in g.report("en")
    # asking for junctions at crossings invents one under the flyover: 20 m
    forced = build_graph(roads, mode="walk", node_crossings="yes")
    assert forced.noding["junctions_added"] == 1
    assert _metres(forced, (190, 0), (200, 10)) == pytest.approx(20, abs=1)
    # a bridge column keeps the flyover even when crossings are joined
    flagged = build_graph(roads.assign(bridge=[False] * 9 + [True]), mode="walk", node_crossings="yes")
    assert _metres(flagged, (190, 0), (200, 10)) == pytest.approx(780, abs=1)


def _grid(split_at_crossings: bool, segments: bool = False):
    """Streets x = 0..300 and y = 0..300 (step 100), overhanging by 50 m. Noded: each street cut
    at its crossings. CAD: one line per street, no vertex at crossings (``segments``: drawn as
    straight pieces joined end to end between the crossings, as CAD polylines exploded)."""
    lines = []
    for k in range(4):
        c = k * 100
        if split_at_crossings:
            xs = [-50, 0, 100, 200, 300, 350]
            lines += [[(xs[i], c), (xs[i + 1], c)] for i in range(5)]
            lines += [[(c, xs[i]), (c, xs[i + 1])] for i in range(5)]
        elif segments:
            xs = [-50, 50, 150, 250, 350]
            lines += [[(xs[i], c), (xs[i + 1], c)] for i in range(4)]
            lines += [[(c, xs[i]), (c, xs[i + 1])] for i in range(4)]
        else:
            lines += [[(-50, c), (350, c)], [(c, -50), (c, 350)]]
    return _lines(lines)


def test_cad_network_gets_junctions_at_crossings_and_noded_one_none():
    noded = build_graph(_grid(True), mode="walk")
    assert noded.noding["mode"] == "noded" and noded.noding["junctions_added"] == 0
    assert noded.noding["shared_junctions"] == 16
    for segments in (False, True):
        cad = build_graph(_grid(False, segments), mode="walk")
        # straight segments joined end to end are continuations, not junctions: still CAD-like
        assert cad.noding["mode"] == "unnoded", segments
        assert cad.noding["crossings"] == 16 and cad.noding["junctions_added"] == 16
        assert "新增 16 个路口" in cad.report("zh")
        assert _metres(cad, (0, 10), (300, 290)) == pytest.approx(_metres(noded, (0, 10), (300, 290)), abs=0.5)
        assert _metres(cad, (0, 10), (300, 290)) == pytest.approx(580, abs=0.5)
        assert len(cad.pieces) == 0
    # without junctions the CAD grid falls apart into its separate streets
    apart = build_graph(_grid(False), mode="walk", node_crossings="no")
    assert apart.noding["junctions_added"] == 0 and len(apart.pieces) == 7


def test_noding_stats_counts_loose_ends_near_a_line():
    lines = np.array([LineString([(0, 0), (200, 0)]), LineString([(100, 0.5), (100, 100)])], dtype=object)
    st = noding_stats(lines, tol=1.0)
    assert st == {"shared_junctions": 0, "junction_ends": 0, "touches": 0, "loose_ends": 1, "crossings": 0,
                  "noded": False}
    # a T drawn with the end on the other line but no vertex there is a touch
    lines[1] = LineString([(100, 0), (100, 100)])
    st = noding_stats(lines, tol=1.0)
    assert st["touches"] == 1 and st["loose_ends"] == 0 and not st["noded"]


def test_maxspeed_column_changes_travel_times():
    road = _lines([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]], 限速=["60", None])
    car = build_graph(road, mode="car")
    assert car.time[car.piece_edges[0, 0]] == pytest.approx(1000 / (60 / 3.6))   # its own limit
    assert car.time[car.piece_edges[1, 0]] == pytest.approx(1000 / (20 / 3.6))   # residential, no limit
    assert "1 条道路有自身限速（列 限速" in car.report("zh")
    plain = build_graph(road, mode="car", maxspeed=False)
    assert plain.time[plain.piece_edges[0, 0]] == pytest.approx(1000 / (20 / 3.6))
    # walkers and cyclists are only capped by a limit
    slow = _lines([[(0, 0), (1000, 0)]], maxspeed=["10 km/h"])
    bike = build_graph(slow, mode="bicycle")
    assert bike.time[0] == pytest.approx(1000 / (10 / 3.6))
    walk = build_graph(slow, mode="walk")
    assert walk.time[0] == pytest.approx(1000 / (4.5 / 3.6))
    # OSM spellings; unreadable values fall back to the class and are counted
    assert parse_speed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_speed("50;30") == 50 and np.isnan(parse_speed("RU:urban")) and np.isnan(parse_speed("none"))
    odd = build_graph(_lines([[(0, 0), (1000, 0)]], speed=["fast"]), mode="car")
    assert odd.time[0] == pytest.approx(1000 / (20 / 3.6))
    assert "unreadable" in odd.report("en")


def test_unknown_classes_warn_and_speed_per_class_sets_them():
    roads = _lines([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]])
    roads["class"] = ["县道", "residential"]
    g = build_graph(roads, mode="car")
    warn = [p for p in g.problems if p.code == "road_class_unknown"]
    assert warn and "县道" in warn[0].zh and "--speed" in warn[0].fix_en
    assert g.time[g.piece_edges[0, 0]] == pytest.approx(1000 / (30 / 3.6))  # unclassified's 30 km/h
    g2 = build_graph(roads, mode="car", speeds={"县道": {"car": 50}})
    assert not [p for p in g2.problems if p.code == "road_class_unknown"]
    assert g2.time[g2.piece_edges[0, 0]] == pytest.approx(1000 / (50 / 3.6))



def test_speeds_typed_with_chinese_grades_and_units_set_the_classes_import_gave(tmp_path):
    """A planner types 县道=40km/h, 乡道=35 公里/小时 (as the app's box suggests): the project's roads
    carry the classes import gave them (县道 → secondary), so the speeds must land there and the line
    say so; they were kept under 县道, which no road has, and printed as if used. A class no road
    has (a typo) is warned about."""
    from gridtool.layers import load_layer
    from gridtool.routing.patrol_options import parse_speeds, speed_lines

    roads = _lines([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]]).drop(columns="class")
    roads["等级"] = ["县道", "乡道"]
    roads.to_file(tmp_path / "r.gpkg", layer="roads", driver="GPKG")
    gdf = load_layer("roads", str(tmp_path / "r.gpkg")).gdf
    assert list(gdf["class"]) == ["secondary", "tertiary"]
    typed = "县道=40km/h，乡道=35 公里/小时"
    speeds = parse_speeds(typed, "car")
    g = build_graph(gdf, mode="car", speeds=speeds)
    assert g.time[g.piece_edges[0, 0]] == pytest.approx(1000 / (40 / 3.6))
    assert g.time[g.piece_edges[1, 0]] == pytest.approx(1000 / (35 / 3.6))
    assert not [p for p in g.problems if p.code == "speed_class_unused"]
    [(zh, en)] = speed_lines(speeds, "car", typed)
    assert "县道（即 secondary）40 公里/小时" in zh and "乡道 (= tertiary) 35 km/h" in en
    typo = build_graph(gdf, mode="car", speeds=parse_speeds("residental=25", "car"))
    [warn] = [p for p in typo.problems if p.code == "speed_class_unused"]
    assert "residental" in warn.zh and "secondary" in warn.zh

def test_every_routing_command_takes_the_graph_options(tmp_path, capsys):
    """patrol, coverage and seal share --node-crossings / --speed / --no-maxspeed and print how the
    graph was built."""
    import argparse

    from gridtool import cli

    from .test_routing_graph import town
    p = cli.build_parser()
    t = town()
    gpkg = tmp_path / "t.gpkg"
    for role in ("roads", "places", "stations"):
        t[role].drop(columns="src_id").to_file(gpkg, layer=role, driver="GPKG")
    roles = [f"--{r}={gpkg}:{r}" for r in ("roads", "places", "stations")]
    args = p.parse_args(["--lang", "en", "patrol", *roles, "--node-crossings", "no", "--speed", "residential=3",
                         "--no-maxspeed", "--time-limit", "0.3", "--start", "07:30", "--lenient",
                         "--out", str(tmp_path / "p")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "as --node-crossings no asks" in out and "speeds set by class: residential 3 km/h" in out
    for cmd in ("coverage", "seal"):
        a = p.parse_args([cmd, *roles, "--out", "x", "--speed", "县道=40", "--node-crossings", "yes"]
                         + (["--exits", "e.gpkg"] if cmd == "seal" else []))
        assert a.node_crossings == "yes" and a.speed == ["县道=40"] and a.mode == ("car" if cmd == "seal" else "walk")
    with pytest.raises(GridtoolError, match="residential=25"):
        from gridtool.commands.args import speeds_from_args
        speeds_from_args(argparse.Namespace(speed=["fast"]), "car")
