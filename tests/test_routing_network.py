"""Patrols, coverage walks, service circles, siting, exports and the commands on a small town."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from gridtool import cli
from gridtool.errors import GridtoolError
from gridtool.routing import (InfeasibleError, UnreachableError, build_graph, household_coverage,
                              plan_patrol, service_circles, site_stations, street_walk, write_gpx,
                              write_kml, write_stops_csv)

from .test_routing_graph import GK108, X0, Y0, town


@pytest.fixture(scope="module")
def t():
    return town()


@pytest.fixture(scope="module")
def walk(t):
    return build_graph(t["roads"], mode="walk")


def test_unreachable_place_is_named_in_an_error_or_listed(t, walk):
    with pytest.raises(UnreachableError) as exc:
        plan_patrol(walk, t["stations"], t["places"].assign(must=True), time_limit=0.3)
    msg = exc.value.format()
    assert "孤岛超市" in msg and "FID 4" in msg and "解决办法" in msg and "Fix:" in msg
    assert isinstance(exc.value, GridtoolError)  # exit code 2 on the command line
    plan = plan_patrol(walk, t["stations"], t["places"].assign(must=True), time_limit=0.3, strict=False,
                       start="07:30")  # the school's default gate window 07:30-08:00 is in the shift
    row = plan.unserved.set_index("place").loc["孤岛超市"]
    assert row["src_id"] == "FID 4" and "connected" in row["reason_en"]
    assert set(plan.stops["place"]) == {"实验小学", "农贸市场", "工商银行", "监控点A"}


def test_patrol_honours_shift_windows_and_must_visit(t, walk):
    places = t["places"].iloc[:4].copy()
    places["window"] = ["08:30-08:40", None, None, None]
    places["must"] = [True, True, True, False]
    plan = plan_patrol(walk, t["stations"], places, teams=1, shift_minutes=60, start="08:00",
                       dwell_minutes=10, time_limit=0.5)
    st = plan.stops.set_index("place")
    assert {"实验小学", "农贸市场", "工商银行"} <= set(st.index)
    assert "08:30" <= st.loc["实验小学", "arrive"] <= "08:40"
    assert st.loc["实验小学", "window"] == "08:30-08:40"
    assert (plan.routes["minutes"] <= 60 + 1e-6).all()
    assert st.loc["农贸市场", "depart_min"] == pytest.approx(st.loc["农贸市场", "arrive_min"] + 10)
    seq = plan.stops.sort_values("seq")["arrive_min"].to_numpy()
    assert (np.diff(seq) > 0).all()
    # route line starts and ends at the station's road
    line = plan.routes.geometry.iloc[0]
    assert Point(line.coords[0]).distance(t["stations"].geometry.iloc[0]) < 10
    assert Point(line.coords[-1]).distance(t["stations"].geometry.iloc[0]) < 10
    # too short a shift for the must-visit places: an error naming them, or listed
    with pytest.raises(InfeasibleError, match="工商银行|实验小学|农贸市场"):
        plan_patrol(walk, t["stations"], places, shift_minutes=15, dwell_minutes=10, time_limit=0.3)
    short = plan_patrol(walk, t["stations"], places, shift_minutes=15, dwell_minutes=10, time_limit=0.3,
                        strict=False)
    assert (short.unserved["reason_en"] == "does not fit in the shift").any()
    assert (short.routes["minutes"] <= 15 + 1e-6).all()


def test_twice_a_shift_and_workload_limit_and_teams(t, walk):
    places = t["places"].iloc[:4].copy()
    places["visits"] = [1, 2, 1, 1]
    places["must"] = True
    places["window"] = None
    places["category"] = "other"
    plan = plan_patrol(walk, t["stations"], places, teams=2, shift_minutes=120, max_stops=3,
                       time_limit=0.6)
    market = plan.stops[plan.stops["place"] == "农贸市场"].sort_values("visit")
    assert list(market["visit"]) == [1, 2]
    assert market["arrive_min"].iloc[0] <= 60 <= market["arrive_min"].iloc[1]
    assert plan.stops.groupby("team").size().max() <= 3
    assert len(plan.stops) == 5
    card = plan.route_cards()[0]
    assert card["stops"][0]["seq"] == 1 and card["mode_zh"] == "步行" and card["length_km"] > 0


def test_service_circles_grow_with_minutes_and_coverage_follows(t, walk):
    c = service_circles(walk, t["stations"], minutes=[1, 3, 6])
    areas = c.sort_values("minutes")["area_km2"].to_numpy()
    assert (np.diff(areas) > 0).all()
    polys = c.sort_values("minutes").geometry.to_list()
    assert polys[1].buffer(1).contains(polys[0]) and polys[2].buffer(1).contains(polys[1])
    assert set(c["mode"]) == {"walk"} and set(c["station"]) == {"城关派出所"}
    rng = np.random.default_rng(0)
    hh = gpd.GeoDataFrame({"hh": rng.integers(1, 5, 40), "village": ["东村"] * 20 + ["西村"] * 20,
                           "src_id": [f"row {i}" for i in range(40)]},
                          geometry=gpd.points_from_xy(X0 + rng.random(40) * 400, Y0 + rng.random(40) * 400),
                          crs=GK108)
    shares = [household_coverage(walk, t["stations"], hh, minutes=m).share for m in (1, 3, 6, 30)]
    assert shares == sorted(shares) and shares[0] < shares[-1] == 1.0
    cov = household_coverage(walk, t["stations"], hh, minutes=3)
    assert cov.covered_hh + cov.uncovered["hh"].sum() == pytest.approx(cov.total_hh)
    assert set(cov.villages["name"]) == {"东村", "西村"}
    # NaN = beyond the limit searched (not reached within the minutes)
    assert (cov.uncovered["minutes_to_station"].fillna(np.inf) > 3).all()


def test_coverage_walk_is_closed_and_traverses_every_street(t, walk):
    area = box(X0 - 1, Y0 - 1, X0 + 301, Y0 + 201)   # 4×3 junctions: 3·3 + 4·2 = 17 streets
    w = street_walk(walk, area)
    req = set(w.required_pieces.tolist())
    assert len(req) == 17
    s = w.steps.sort_values("seq")
    assert req <= set(s["piece"])
    assert s["u"].iloc[0] == s["v"].iloc[-1] == w.start_node  # closed
    assert (s["v"].to_numpy()[:-1] == s["u"].to_numpy()[1:]).all()  # contiguous
    # optimal: the 4×3 grid's 6 odd rim nodes are best matched with 5 repeated block sides
    # (e.g. (1,0)-(2,0), (1,2)-(2,2) and (0,1)-(3,1) or two diagonal pairs): 22 sides of 100 m
    assert len(s) == 17 + 5
    assert s["repeat"].sum() == 5
    assert w.walkers["length_km"].iloc[0] == pytest.approx(2.2, abs=1e-6)
    w2 = street_walk(walk, area, walkers=2)
    assert set(w2.steps["walker"]) == {1, 2}
    assert req <= set(w2.steps["piece"])
    for _, grp in w2.steps.groupby("walker"):
        g = grp.sort_values("seq")
        assert g["u"].iloc[0] == g["v"].iloc[-1] == w2.start_node
        assert (g["v"].to_numpy()[:-1] == g["u"].to_numpy()[1:]).all()
    assert w2.walkers["minutes"].max() < w.walkers["minutes"].iloc[0]


def test_siting_picks_the_site_that_covers_most(t, walk):
    hh = gpd.GeoDataFrame({"hh": [50] * 5 + [1] * 5},
                          geometry=[Point(X0 + 400, Y0 + 400 - i * 10) for i in range(5)]
                          + [Point(X0 + 100 + i * 10, Y0) for i in range(5)], crs=GK108)
    cand = gpd.GeoDataFrame({"name": ["村委会", "学校"]},
                            geometry=[Point(X0 + 100, Y0 + 5), Point(X0 + 395, Y0 + 390)], crs=GK108)
    res = site_stations(walk, hh, cand, p=1, minutes=2)
    assert list(res.chosen["name"]) == ["学校"] and res.covered_hh == 250
    assert res.method.startswith("mclp")
    both = site_stations(walk, hh, cand, p=2, minutes=2)
    assert both.share == 1.0


def test_gpx_kml_csv_parse_with_chinese_names_in_order(t, walk, tmp_path):
    plan = plan_patrol(walk, t["stations"], t["places"].iloc[:4], time_limit=0.3, start="07:30")
    gpx = write_gpx(tmp_path / "r.gpx", plan.stops, plan.routes)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    root = ET.parse(gpx).getroot()
    names = [e.text for e in root.findall("g:rte/g:rtept/g:name", ns)]
    expected = [f"1-{s:02d} {p}" for s, p in plan.stops.sort_values("seq")[["seq", "place"]].itertuples(index=False)]
    assert names == expected and any("实验小学" in n for n in names)
    pts = root.findall("g:trk/g:trkseg/g:trkpt", ns)
    lat = float(pts[0].get("lat"))
    lon = float(pts[0].get("lon"))
    assert 29 < lat < 30 and 107 < lon < 108  # WGS84, Chongqing
    kml = write_kml(tmp_path / "r.kml", plan.stops, plan.routes)
    kroot = ET.parse(kml).getroot()
    knames = [e.text for e in kroot.iter("{http://www.opengis.net/kml/2.2}name")]
    assert any("实验小学" in (n or "") for n in knames)
    path = write_stops_csv(tmp_path / "r.csv", plan.stops)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [r["地点"] for r in rows] == [p for p in plan.stops.sort_values("seq")["place"]]


def _parser():
    return cli.build_parser()


def test_patrol_and_coverage_commands(t, tmp_path, capsys):
    gpkg = tmp_path / "town.gpkg"
    rng = np.random.default_rng(1)
    hh = gpd.GeoDataFrame({"hh": rng.integers(1, 9, 30)},
                          geometry=gpd.points_from_xy(X0 + rng.random(30) * 400, Y0 + rng.random(30) * 400),
                          crs=GK108)
    layers = {"roads": t["roads"], "places": t["places"].iloc[:4], "stations": t["stations"], "households": hh}
    for role, gdf in layers.items():
        gdf.drop(columns=[c for c in ("src_id",) if c in gdf]).to_file(gpkg, layer=role, driver="GPKG")
    p = _parser()
    args = p.parse_args(["--lang", "en", "patrol", *sum(([f"--{r}", f"{gpkg}:{r}"] for r in layers), []),
                         "--teams", "2", "--time-limit", "0.3", "--start", "07:30",
                         "--out", str(tmp_path / "out")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "team 1" in out and "written" in out
    cards = json.loads((tmp_path / "out" / "patrol-cards.json").read_text(encoding="utf-8"))
    assert cards["cards"] and cards["cards"][0]["stops"]
    assert (tmp_path / "out" / "patrol.gpx").exists()
    args = p.parse_args(["coverage", *sum(([f"--{r}", f"{gpkg}:{r}"] for r in layers), []),
                         "--minutes", "3", "6", "--sites", "1", "--candidates", "school,bank",
                         "--out", str(tmp_path / "cov")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "分钟服务圈覆盖" in out and "选址" in out
    import pyogrio
    names = [n for n, _ in pyogrio.list_layers(tmp_path / "cov" / "coverage.gpkg")]
    assert "circles" in names and "sites" in names
    import sqlite3
    with sqlite3.connect(tmp_path / "cov" / "coverage.gpkg") as db:  # GeoPackage 1.2, as projects are
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    # an unreachable must-visit place: the error names it (exit code 2 in gridtool.cli.main)
    far = gpd.GeoDataFrame({"name": ["山顶瞭望点"], "category": ["camera"], "must": [True]},
                           geometry=[Point(X0 + 3000, Y0 + 3000)], crs=GK108)
    far.to_file(gpkg, layer="far", driver="GPKG")
    args = p.parse_args(["patrol", "--roads", f"{gpkg}:roads", "--places", f"{gpkg}:far",
                         "--stations", f"{gpkg}:stations", "--out", str(tmp_path / "o2")])
    with pytest.raises(UnreachableError, match="山顶瞭望点"):
        args.func(args)


def test_service_circles_do_not_shrink_on_a_real_graph():
    """On the Nanjing sample's roads: circle areas are monotone in minutes for every station."""
    from gridtool.samples import sample_sources
    from gridtool.project import Project
    src = sample_sources("nanjing-xuanwu")
    proj = Project.from_sources({"roads": src["roads"], "places": src["places"]})
    g = build_graph(proj.layers["roads"].gdf, mode="walk")
    st = proj.layers["places"].gdf
    st = st[st["category"] == "police"]
    c = service_circles(g, st, minutes=[5, 10, 15])
    for _, grp in c.groupby("station"):
        a = grp.sort_values("minutes")["area_km2"].to_numpy()
        assert (np.diff(a) >= 0).all() and a[-1] > a[0]


def test_chinese_place_columns_are_read(t, walk):
    places = t["places"].copy()
    places["必到"] = ["是", "否", "是", "否", "否"]       # the cut-off 孤岛超市 is optional: no error
    places["时间窗"] = ["07:40-07:50", None, None, None, None]
    places["优先级"] = ["高", "低", "高", "低", "低"]
    places["停留分钟"] = ["8分钟", None, 3, None, None]
    plan = plan_patrol(walk, t["stations"], places, shift_minutes=90, start="07:30", time_limit=0.3)
    st = plan.stops.set_index("place")
    assert bool(st.loc["实验小学", "must"])
    assert plan.unserved.set_index("place").loc["孤岛超市", "must"] == False  # noqa: E712 (否)
    assert "07:40" <= st.loc["实验小学", "arrive"] <= "07:50"
    assert st.loc["实验小学", "dwell_min"] == 8 and st.loc["工商银行", "dwell_min"] == 3
    assert "孤岛超市" in set(plan.unserved["place"])
    places["时间窗"] = ["七点半", None, None, None, None]
    with pytest.raises(GridtoolError) as exc:
        plan_patrol(walk, t["stations"], places, time_limit=0.2)
    assert exc.value.field == "window" and "实验小学" in exc.value.zh
