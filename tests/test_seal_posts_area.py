"""Sealing with several posts from one station (``--posts-per-station``, a 警力 column), sealing a
village or grid by name (``seal --area``), and the stations on the HTML map and in KML/GPKG."""

from __future__ import annotations

import csv
import itertools

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import Point

from gridtool import cli
from gridtool.errors import GridtoolError
from gridtool.layers import Layer
from gridtool.maps.gis import kml_document, write_gpkg
from gridtool.maps.html import build_html
from gridtool.project import Project
from gridtool.routing import bottleneck_assignment, build_graph
from gridtool.routing.project_layers import seal_area
from gridtool.routing.sealing import exits_of_area, seal_exits

from .test_routing_graph import GK108, X0, Y0, town


def _gdf(rows, **cols):
    return gpd.GeoDataFrame(cols, geometry=[Point(X0 + x, Y0 + y) for x, y in rows], crs=GK108)


def _brute(c, k, cap):
    """(longest, total) over every plan: each exit k posts from different stations, within capacity."""
    ns, ne = c.shape
    slots = np.repeat(np.arange(ne), k)
    best = (np.inf, np.inf)
    for pick in itertools.product(range(ns), repeat=len(slots)):
        pick = np.array(pick)
        if (np.bincount(pick, minlength=ns) > cap).any():
            continue
        if any(len(set(pick[slots == j])) < k for j in range(ne)):
            continue
        trip = c[pick, slots]
        if np.isfinite(trip).all():
            best = min(best, (trip.max(), trip.sum()))
    return best


def test_bottleneck_with_several_posts_per_station_equals_brute_force():
    rng = np.random.default_rng(5)
    for _ in range(60):
        k = int(rng.integers(1, 3))
        ne = int(rng.integers(1, 4 if k == 1 else 3))
        ns = int(rng.integers(k, 4))
        cap = rng.integers(0, 4, ns)
        c = rng.integers(1, 30, (ns, ne)).astype(float)
        c[rng.random(c.shape) < 0.15] = np.inf
        want = _brute(c, k, cap)
        if not np.isfinite(want[0]):
            with pytest.raises(ValueError):
                bottleneck_assignment(c, k, cap)
            continue
        a = bottleneck_assignment(c, k, cap)
        assert (a.bottleneck, a.total) == pytest.approx(want)
        assert (np.bincount(a.station, minlength=ns) <= cap).all()
        for j in range(ne):  # an exit's posts come from different stations
            assert len(set(a.station[a.exit == j])) == k


def _files(tmp_path, stations):
    t = town(n=6)
    gpkg = tmp_path / "town.gpkg"
    t["roads"].drop(columns="src_id").to_file(gpkg, layer="roads", driver="GPKG")
    stations.to_file(gpkg, layer="stations", driver="GPKG")
    _gdf([(0, 500), (500, 0), (500, 500)], name=["北口", "东口", "东北口"]).to_file(gpkg, layer="exits", driver="GPKG")
    villages = gpd.GeoDataFrame({"名称": ["五老村社区", "三元巷社区"], "区划代码": ["320102900009", "320102900010"]},
                                geometry=[shapely.box(X0 + 150, Y0 + 150, X0 + 350, Y0 + 350),
                                          shapely.box(X0 + 350, Y0 + 150, X0 + 450, Y0 + 350)], crs=GK108)
    villages.to_file(gpkg, layer="villages", driver="GPKG")
    return gpkg, [f"--{r}={gpkg}:{r}" for r in ("roads", "stations")]


def _rows(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_one_station_seals_every_exit_and_posts_run_out_with_the_numbers(tmp_path, capsys):
    gpkg, roles = _files(tmp_path, _gdf([(250, 250)], name=["五老村派出所"], 值班电话=["025-84421234"]))
    seal = ["seal", *roles, "--exits", f"{gpkg}:exits", "--mode", "walk"]
    assert cli.main([*seal, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    rows = _rows(tmp_path / "a" / "seal.csv")
    assert {r["卡口"] for r in rows} == {"北口", "东口", "东北口"} and {r["站点"] for r in rows} == {"五老村派出所"}
    longest = max(float(r["分钟"]) for r in rows)
    assert f"全部封控 {longest:.1f} 分钟" in out and "五老村派出所 派出 3 个：" in out
    st = pyogrio.read_dataframe(tmp_path / "a" / "seal.gpkg", layer="stations")
    assert "025-84421234" not in st.astype(str).to_string()  # the duty phone is masked
    # too few posts: the numbers and the option that fixes it
    assert cli.main([*seal, "--posts-per-station", "2", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "需要 3 个，1 个站点共可派 2 个" in err and "--posts-per-station 3" in err and "Traceback" not in err
    # two posts per exit from different stations cannot come from one station
    assert cli.main([*seal, "--per-exit", "2", "--out", str(tmp_path / "c")]) == 2
    assert "每个卡口要 2 个不同站点的警力点，只有 1 个站点" in capsys.readouterr().err


def test_the_stations_column_of_officers_is_read_and_printed(tmp_path, capsys):
    st = _gdf([(250, 250), (5, 5)], name=["城关所", "西南所"], 警车数=[1, 1])
    gpkg, roles = _files(tmp_path, st)
    seal = ["seal", *roles, "--exits", f"{gpkg}:exits", "--mode", "walk"]
    assert cli.main([*seal, "--out", str(tmp_path / "a")]) == 2
    assert "2 个站点共可派 2 个（按 站点图层“警车数”列）" in capsys.readouterr().err
    st["警车数"] = [2, 1]
    st.to_file(gpkg, layer="stations", driver="GPKG")
    assert cli.main([*seal, "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "按站点图层“警车数”列" in out and "城关所 可派 2 个、派出 2 个" in out
    assert sorted(r["站点"] for r in _rows(tmp_path / "b" / "seal.csv")) == ["城关所", "城关所", "西南所"]


def test_seal_area_by_village_name_code_or_grid_as_the_app(tmp_path, capsys):
    gpkg, roles = _files(tmp_path, _gdf([(250, 250), (5, 5)], name=["城关所", "西南所"]))
    seal = ["seal", *roles, f"--villages={gpkg}:villages", "--mode", "walk"]
    assert cli.main([*seal, "--area", "五老村社区", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "五老村社区：边界上有 8 个卡口" in out
    by_name = _rows(tmp_path / "a" / "seal.csv")
    assert cli.main([*seal, "--area", "320102900009", "--out", str(tmp_path / "b")]) == 0
    assert _rows(tmp_path / "b" / "seal.csv") == by_name
    # the app's path (seal dialog): the same exits and figures
    g = build_graph(town(n=6)["roads"], mode="walk")
    village = gpd.read_file(gpkg, layer="villages").geometry.iloc[0]
    plan = seal_exits(g, pyogrio.read_dataframe(gpkg, layer="stations"), exits_of_area(g, village, "五老村社区"))
    assert [(r["卡口"], r["站点"]) for r in by_name] == list(zip(plan.table["exit"], plan.table["station"]))
    assert f"全部封控 {plan.longest_minutes:.1f} 分钟" in out
    # a mistyped name: the close names, no traceback
    assert cli.main([*seal, "--area", "五老村", "--out", str(tmp_path / "c")]) == 2
    assert "找不到村或网格“五老村”；是不是：五老村社区" in capsys.readouterr().err
    # --exits and --area together are refused
    with pytest.raises(SystemExit):
        cli.main([*seal, "--area", "五老村社区", "--exits", f"{gpkg}:exits", "--out", str(tmp_path / "d")])
    assert "--exits 不能与 --area 同时使用" in capsys.readouterr().err


def test_seal_area_finds_grids_by_code():
    grids = gpd.GeoDataFrame({"code": ["320102900009-01"]}, geometry=[shapely.box(0, 0, 10, 10)], crs=GK108)
    project = Project(layers={"grids": Layer(role="grids", gdf=grids)})
    label, shape = seal_area(project, " 320102900009-01 ")
    assert label == "网格 320102900009-01" and shape.area == 100
    with pytest.raises(GridtoolError, match="320102900009-01"):
        seal_area(project, "320102900009-1")


def _police_project():
    t = town(n=4)
    stations = _gdf([(150, 150)], name=['<b>城关</b>派出所'], kind=["派出所"], 值班电话=["13912345678"])
    places = _gdf([(50, 50)], name=["学校"], category=["school"])
    return Project(layers={"roads": Layer(role="roads", gdf=t["roads"]), "places": Layer(role="places", gdf=places),
                           "stations": Layer(role="stations", gdf=stations)}, crs=GK108)


def test_stations_on_the_html_map_and_in_kml_and_gpkg_masked(tmp_path):
    project = _police_project()
    m = build_html(project, embed_font=False)
    assert m.counts["stations"] == 1
    assert "派出所（站点）" in m.html and "&lt;b&gt;城关&lt;/b&gt;派出所" in m.html
    assert "<b>城关</b>派出所" not in m.html and "13912345678" not in m.html
    kml, counts = kml_document(project)
    text = kml.decode("utf-8")
    assert counts["stations"] == 1 and "派出所（站点） stations" in text and "13912345678" not in text
    write_gpkg(project, tmp_path / "out.gpkg")
    st = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer="stations")
    assert st["name"].tolist() == ["<b>城关</b>派出所"] and "13912345678" not in st.astype(str).to_string()


def test_officer_numbers_written_with_units_are_read_and_text_without_one_refused():
    """A 警车数 of "2辆" or "３ 人" counts 2 and 3 (not 1); a cell with no number at all names the
    station and the column; stations with 0 posts do not count as stations that can send one."""
    from gridtool.routing.sealing import SealingError, station_posts
    st = gpd.GeoDataFrame({"name": ["一所", "二所", "三所"], "警车数": ["2辆", "３ 人", None]}, geometry=[None] * 3)
    cap, col = station_posts(st)
    assert cap.tolist() == [2, 3, 1] and col == "警车数"
    st.loc[1, "警车数"] = "若干"
    with pytest.raises(SealingError) as e:
        station_posts(st)
    assert "二所" in e.value.zh and "警车数" in e.value.zh and "若干" in e.value.zh
