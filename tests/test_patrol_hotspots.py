"""Hot-spot patrols from incident records, the patrol command's project and depot, reasons for
every place left out, and street walks from the command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from gridtool import cli
from gridtool.layers import Layer
from gridtool.project import Project
from gridtool.routing import build_graph, find_hotspots, incident_share_near, plan_patrol
from gridtool.routing.tours import InfeasibleError
from gridtool.validate import validate

from .patrol_data import CLUSTERS, patrol_town, write_layers
from .test_routing_graph import GK108, X0, Y0

ROOT = Path(__file__).resolve().parents[1]
GPX_XSD = Path("/work/shared/data/schemas/gpx-1.1.xsd")


@pytest.fixture(scope="module")
def t():
    return patrol_town()


@pytest.fixture(scope="module")
def walk(t):
    return build_graph(t["roads"], mode="walk")


def _incidents(t):
    """The incidents layer as loading gives it (hour and type columns)."""
    inc = t["incidents"].copy()
    inc["hour"] = pd.to_datetime(inc["报警时间"]).dt.hour + pd.to_datetime(inc["报警时间"]).dt.minute / 60
    inc["type"] = inc["警情类别"]
    return inc


# -- the incidents role ----------------------------------------------------------------------

def test_excel_incident_table_loads_like_a_roster(tmp_path):
    """A 警情 sheet: coordinates in 经度/纬度, times in three spellings and an Excel date cell,
    the type in 警情类别, the caller's name and phone (personal data)."""
    from openpyxl import Workbook
    from datetime import datetime
    wb = Workbook()
    ws = wb.active
    ws.title = "警情"
    ws.append(["序号", "经度", "纬度", "报警时间", "警情类别", "报警人", "报警电话", "简要案情"])
    rows = [(1, 106.551, 29.563, "2024-03-05 21:34", "盗窃", "张三", "13812345678", "电动车被盗"),
            (2, 106.552, 29.564, "2024/3/6 7:05", "纠纷", "李四", "13912345678", "邻里纠纷"),
            (3, 106.553, 29.562, "2024年3月7日 22时10分", "盗窃", "王五", "13712345678", "入室"),
            (4, 106.554, 29.561, datetime(2024, 3, 8, 23, 45), "诈骗", "赵六", "13612345678", "电信诈骗"),
            (5, 106.555, 29.566, "晚上", "其他", "钱七", "13512345678", "时间不详")]
    for r in rows:
        ws.append(list(r))
    path = tmp_path / "警情.xlsx"
    wb.save(path)
    proj = Project.from_sources({"incidents": str(path)})
    lyr = proj.layers["incidents"]
    assert lyr.columns_used["time"] == "报警时间" and lyr.columns_used["type"] == "警情类别"
    assert list(lyr.gdf["hour"].round(2)[:4]) == [21.57, 7.08, 22.17, 23.75] and np.isnan(lyr.gdf["hour"][4])
    assert lyr.gdf["time"].iloc[2] == pd.Timestamp("2024-03-07 22:10") and pd.isna(lyr.gdf["time"].iloc[4])
    assert list(lyr.gdf["type"]) == ["盗窃", "纠纷", "盗窃", "诈骗", "其他"]
    assert lyr.sensitive.get("报警人") == "name" and lyr.sensitive.get("报警电话") == "phone"
    problems = validate(proj)
    bad = [p for p in problems if p.code == "incident_time_unreadable"]
    assert bad and bad[0].features == ["row 6"]  # the Excel row and bad[0].field == "报警时间"
    # a project keeps them
    proj.save(tmp_path / "p.gpkg")
    back = Project.open(tmp_path / "p.gpkg").layers["incidents"].gdf
    assert back["time"].iloc[0] == pd.Timestamp("2024-03-05 21:34") and back["hour"].iloc[1] == pytest.approx(7.0833, abs=1e-3)
    assert list(back["type"]) == list(lyr.gdf["type"])


def test_date_and_clock_in_two_columns_and_time_found_by_content(tmp_path):
    csv = tmp_path / "jq.csv"
    csv.write_text("x,y,日期,时间,案由\n480100,3265100,2024-03-05,21:34,盗窃\n480120,3265110,2024-03-06,07:05,纠纷\n"
                   "480130,3265120,2024-03-07,13:00,盗窃\n", encoding="utf-8")
    lyr = Project.from_sources({"incidents": str(csv)}, crs_in="EPSG:4545").layers["incidents"]
    assert lyr.columns_used["time"] == "日期" and lyr.columns_used["clock"] == "时间"
    assert list(lyr.gdf["hour"].round(2)) == [21.57, 7.08, 13.0] and lyr.columns_used["type"] == "案由"
    odd = tmp_path / "odd.csv"   # no header says "time": the values do
    odd.write_text("x,y,发生,kind\n480100,3265100,2024/03/05 21:34,a\n480120,3265110,2024/03/06 07:05,b\n",
                   encoding="utf-8")
    lyr = Project.from_sources({"incidents": str(odd)}, crs_in="EPSG:4545").layers["incidents"]
    assert lyr.columns_used["time"] == "发生 (by content)" and list(lyr.gdf["hour"].round(2)) == [21.57, 7.08]


def test_incidents_stacked_on_one_point_are_flagged(t):
    proj = Project()
    inc = t["incidents"].copy()
    inc.loc[:19, "geometry"] = Point(X0 + 400, Y0 + 400)   # 20 of 115 at one default address
    inc["src_id"] = [f"FID {i}" for i in range(len(inc))]
    inc["time"] = pd.to_datetime(inc["报警时间"])
    proj.add_layer(Layer("incidents", inc, columns_used={"time": "报警时间"}))
    stacked = [p for p in validate(proj, repair=False) if p.code == "incidents_stacked"]
    assert stacked and len(stacked[0].features) == 20


# -- hot spots --------------------------------------------------------------------------------

def test_planted_clusters_are_the_hot_spots(t, walk):
    hs = find_hotspots(walk, _incidents(t))
    spots = hs.spots
    assert len(spots) == len(CLUSTERS)        # the even background of 60 makes no hot spot
    for (cx, cy, k, hour), s in zip(CLUSTERS, spots.itertuples()):
        assert s.geometry.distance(Point(cx, cy)) < 40
        assert k - 3 <= s.incidents <= k + 4 and s.expected < 3
        a, b = (int(v[:2]) for v in s.peak_hours.split("-"))
        assert a <= int(hour) < (b if b > a else b + 24)
        counts = [int(part.split(" ")[1]) for part in s.types.split("、")]   # "盗窃 14、纠纷 6、诈骗 5"
        assert counts == sorted(counts, reverse=True) and sum(counts) <= s.incidents  # top three
    assert list(spots["rank"]) == [1, 2, 3] and spots["incidents"].is_monotonic_decreasing
    assert spots["share"].sum() == pytest.approx(spots["incidents"].sum() / len(t["incidents"]))
    assert (hs.incidents["hotspot"] > 0).sum() == spots["incidents"].sum()
    # the streets within 75 m of each centre: 150 m along one street, more where a junction is near
    assert hs.streets.geometry.length.between(150, 300).all()
    assert "热点 3 处" in hs.summary("zh") and "bandwidth 150 m" in hs.summary("en")


def test_hot_spot_patrol_visits_the_clusters_at_their_hours(t, walk):
    inc = _incidents(t)
    hs = find_hotspots(walk, inc)
    plan = plan_patrol(walk, t["stations"], t["places"], hotspots=hs, teams=2, shift_minutes=240, start="14:00",
                       time_limit=1.0)
    hot = plan.stops[plan.stops["category"] == "hotspot"]
    assert len(hot) == 3 and set(plan.hotspots["team"]) <= {1, 2} and (plan.hotspots["team"] > 0).all()
    assert (hot["dwell_min"] == 12).all() and (plan.stops.loc[plan.stops["category"] != "hotspot", "dwell_min"] == 5).all()
    for s in hot.itertuples():          # each stop starts inside its peak window (in the shift)
        a, b = s.window.split("-")
        assert a <= s.arrive <= b
    assert (plan.routes["minutes"] <= 240 + 1e-6).all()
    card = plan.route_cards()
    assert any(st["category_zh"] == "警情热点" for c in card for st in c["stops"])
    without = plan_patrol(walk, t["stations"], t["places"], teams=2, shift_minutes=240, start="14:00", time_limit=1.0)
    near_with = incident_share_near(plan.routes, inc, metres=100)
    near_without = incident_share_near(without.routes, inc, metres=100)
    assert near_with > near_without + 0.15
    assert "警情热点：3 处，巡到 3 处" in plan.summary("zh")


def test_every_place_left_out_says_why(t, walk):
    """The reported case: schools 'did not fit in the shift' when their 16:30-17:30 gate window
    was the cause."""
    rng = np.random.default_rng(3)
    schools = gpd.GeoDataFrame({"name": [f"第{i + 1}小学" for i in range(16)], "category": ["school"] * 16},
                               geometry=[Point(X0 + 100 * rng.integers(0, 9) + 3, Y0 + rng.random() * 800)
                                         for _ in range(16)], crs=GK108)
    plan = plan_patrol(walk, t["stations"], schools, teams=1, shift_minutes=240, start="14:00", dwell_minutes=10,
                       strict=False, time_limit=1.0)
    assert len(plan.unserved) >= 5 and set(plan.unserved["reason"]) == {"time_window"}
    assert plan.unserved["reason_zh"].str.contains("16:30-17:30").all()
    assert set(plan.stops["place"]) | set(plan.unserved["place"]) == set(schools["name"])
    assert "未安排 " in plan.summary("zh") and plan.summary("zh").count("未安排") == 1   # grouped
    with pytest.raises(InfeasibleError) as exc:
        plan_patrol(walk, t["stations"], schools, teams=1, shift_minutes=240, start="14:00", dwell_minutes=10,
                    time_limit=1.0)
    assert set(exc.value.stops.values()) == {"time_window"} and "16:30-17:30" in exc.value.zh
    # a workload limit, and a window outside the shift
    places = t["places"].assign(must=True, window=[None, None, None, "08:00-09:00"])
    capped = plan_patrol(walk, t["stations"], places, teams=1, max_stops=2, shift_minutes=240, start="14:00",
                         strict=False, time_limit=0.5)
    why = capped.unserved.set_index("place")["reason"]
    assert why["监控点A"] == "outside_shift" and (why.drop("监控点A") == "workload").all() and len(why) == 2
    assert "每队工作量上限（2 个点）" in capped.summary("zh")


def test_depot_starts_every_team_from_one_station(t, walk):
    plan = plan_patrol(walk, t["stations"], t["places"], teams=2, depot="东街警务室", start="07:30", time_limit=0.5)
    assert set(plan.routes["station"]) == {"东街警务室"} and len(plan.tours.depots) == 2
    assert len(set(plan.tours.depots)) == 1
    with pytest.raises(Exception) as exc:
        plan_patrol(walk, t["stations"], t["places"], depot="西门派出所", time_limit=0.3)
    assert "城关派出所" in exc.value.zh and "东街警务室" in exc.value.zh and "西门派出所" in exc.value.en


# -- the command line ---------------------------------------------------------------------------

def _run(*argv, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "gridtool", *argv], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=600)


def test_patrol_then_export_route_cards_from_the_command_line(t, tmp_path):
    src = write_layers(tmp_path / "town.gpkg", t)
    proj = tmp_path / "project.gpkg"
    r = _run("import", *sum(([f"--{k}", v] for k, v in src.items()), []), "--out", str(proj))
    assert r.returncode == 0, r.stderr
    r = _run("--lang", "both", "patrol", str(proj), "--teams", "2", "--start", "14:00", "--time-limit", "0.5",
             "--depot", "城关派出所", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "热点 3 处" in r.stdout and "incidents within 100 m of the routes" in r.stdout
    assert "planned without incidents" in r.stdout and "路线已存入项目" in r.stdout
    layers = [n for n, _ in pyogrio.list_layers(proj)]
    assert {"routes", "route_stops", "hotspots", "incidents"} <= set(layers)
    hot = pyogrio.read_dataframe(proj, layer="hotspots")
    assert {"rank", "incidents", "share", "peak_hours", "team"} <= set(hot.columns) and len(hot) == 3
    out_layers = [n for n, _ in pyogrio.list_layers(tmp_path / "out" / "patrol.gpkg")]
    assert {"hotspots", "hotspot_streets"} <= set(out_layers)
    routes = pyogrio.read_dataframe(proj, layer="routes")
    assert set(routes["station"]) == {"城关派出所"}
    r = _run("export", str(proj), "--route-cards", str(tmp_path / "cards.pdf"), "--gpx", str(tmp_path / "r.gpx"),
             "--quiet")
    assert r.returncode == 0, r.stderr
    pdf = (tmp_path / "cards.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= len(routes)
    root = ET.parse(tmp_path / "r.gpx").getroot()
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(root.findall("g:trk", ns)) == len(routes)
    if shutil.which("xmllint") and GPX_XSD.exists():
        v = subprocess.run(["xmllint", "--noout", "--schema", str(GPX_XSD), str(tmp_path / "r.gpx")],
                           capture_output=True, text=True)
        assert v.returncode == 0, v.stderr
    # --no-save leaves the project as it was
    before = proj.read_bytes()
    r = _run("patrol", str(proj), "--time-limit", "0.3", "--start", "14:00", "--no-save", "--out", str(tmp_path / "o2"))
    assert r.returncode == 0, r.stderr and proj.read_bytes() == before
    # an unknown station: exit 2, the names listed
    r = _run("patrol", str(proj), "--depot", "西门派出所", "--out", str(tmp_path / "o3"))
    assert r.returncode == 2 and "城关派出所" in r.stderr and "东街警务室" in r.stderr


def test_patrol_from_layers_saves_a_project_in_the_output(t, tmp_path, capsys):
    src = write_layers(tmp_path / "town.gpkg", {k: t[k] for k in ("roads", "places", "stations")})
    code = cli.main(["patrol", *sum(([f"--{k}", v] for k, v in src.items()), []), "--start", "07:30",
                     "--time-limit", "0.3", "--out", str(tmp_path / "out")])
    assert code == 0
    saved = Project.open(tmp_path / "out" / "project.gpkg")
    assert len(saved.layers["routes"].gdf) >= 1 and "hotspots" not in saved.layers
    assert saved.parameters["patrol"]["start"] == "07:30"


@pytest.mark.parametrize("flag, value, zh, en", [
    ("--iterations", "0", "迭代次数（--iterations）至少为 1，现为 0", "iterations (--iterations) must be at least 1, got 0"),
    ("--teams", "0", "队伍数（--teams）至少为 1，现为 0", "teams (--teams) must be at least 1, got 0"),
    ("--time-limit", "0", "求解秒数（--time-limit）必须大于 0，现为 0.0", "time_limit (--time-limit) must be above 0, got 0.0"),
    ("--time-limit", "-5", "求解秒数（--time-limit）必须大于 0，现为 -5.0", "time_limit (--time-limit) must be above 0, got -5.0"),
])
def test_patrol_refuses_an_option_out_of_range_before_building_the_graph(t, tmp_path, capsys, flag, value, zh, en):
    """``gridtool patrol … --iterations 0`` was refused only after the layers were read and the road
    graph built (its lines printed; Liechtenstein 2.4 s): now at once, with the same bilingual error
    and fix, nothing read or written."""
    src = write_layers(tmp_path / "town.gpkg", {k: t[k] for k in ("roads", "places", "stations")})
    out = tmp_path / "out"
    code = cli.main(["--lang", "both", "patrol", *sum(([f"--{k}", v] for k, v in src.items()), []),
                     flag, value, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert zh in captured.err and en in captured.err and f"{flag} " in captured.err  # the fix: e.g. FLAG N
    assert "道路拓扑" not in captured.out + captured.err  # no road graph was built
    assert not out.exists()


def test_coverage_refuses_a_time_limit_of_zero_before_building_the_graph(t, tmp_path, capsys):
    """``gridtool coverage --sites 1 --time-limit 0`` sited with a 1-second cap without a word:
    refused now, as patrol refuses it, before the layers are read and the graph built."""
    src = write_layers(tmp_path / "town.gpkg", {k: t[k] for k in ("roads", "places", "stations")})
    out = tmp_path / "out"
    code = cli.main(["--lang", "both", "coverage", *sum(([f"--{k}", v] for k, v in src.items()), []),
                     "--demand", "places", "--sites", "1", "--time-limit", "0", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert "求解秒数（--time-limit）必须大于 0" in captured.err and "--time-limit 30" in captured.err
    assert "道路拓扑" not in captured.out + captured.err
    assert not out.exists()


def test_walk_command_writes_closed_walks_over_every_street(t, tmp_path, capsys):
    proj = Project(name="walktown")
    proj.add_layer(Layer("roads", t["roads"].assign(src_id=[f"FID {i}" for i in range(len(t["roads"]))])))
    grids = gpd.GeoDataFrame({"code": ["500101001001-01", "500101001001-02"], "hh": [400, 380]},
                             geometry=[box(X0 - 1, Y0 - 1, X0 + 301, Y0 + 201), box(X0 + 399, Y0 + 399, X0 + 801, Y0 + 801)],
                             crs=GK108)
    proj.add_layer(Layer("grids", grids))
    proj.add_layer(Layer("stations", t["stations"]))
    path = tmp_path / "p.gpkg"
    proj.save(path)
    out = tmp_path / "walk"
    assert cli.main(["walk", str(path), "--grid", "500101001001-01,500101001001-02", "--walkers", "2",
                     "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "网格 500101001001-01" in text and "下界" in text
    walk = build_graph(t["roads"], mode="walk")
    for code, area in zip(grids["code"], grids.geometry):
        lines = pyogrio.read_dataframe(out / f"walk-{code}.gpkg", layer="walk")
        steps = pyogrio.read_dataframe(out / f"walk-{code}.gpkg", layer="walk_steps")
        assert sorted(lines["walker"]) == [1, 2]
        for g in lines.geometry:                       # closed: back where it started
            assert Point(g.coords[0]).distance(Point(g.coords[-1])) < 1e-6
        inside = [g for g in walk.geometry if g.intersection(area).length >= 0.5 * g.length]
        walked = steps.geometry.union_all().buffer(0.5)
        assert inside and all(walked.contains(g) for g in inside)   # every street of the grid
        assert (out / f"walk-{code}.gpx").exists() and (out / f"walk-{code}.kml").exists()
        ET.parse(out / f"walk-{code}.kml")
        if shutil.which("xmllint") and GPX_XSD.exists():
            v = subprocess.run(["xmllint", "--noout", "--schema", str(GPX_XSD), str(out / f"walk-{code}.gpx")],
                               capture_output=True, text=True)
            assert v.returncode == 0, v.stderr
        pdf = (out / f"walk-{code}-card.pdf").read_bytes()
        assert pdf.startswith(b"%PDF")
        # A grid worker's street walk is headed as one, per walker, not as a police team's patrol card;
        # with no township nor village in the data, the title names the grid, never the project's file.
        from pypdf import PdfReader
        card = "\n".join(pg.extract_text() for pg in PdfReader(out / f"walk-{code}-card.pdf").pages)
        assert "街巷巡查路线卡 · 巡查人 1" in card and "街巷巡查路线卡 · 巡查人 2" in card
        assert "巡逻路线卡 · 第" not in card and card.count(f"网格 {code} 街巷巡查路线卡") >= 1 and "walktown" not in card
        table = pd.read_csv(out / f"walk-{code}-streets.csv", encoding="utf-8-sig")
        assert set(table["巡查人"]) == {1, 2} and table["长度（米）"].sum() == pytest.approx(
            lines.geometry.length.sum(), rel=1e-3)
    assert cli.main(["walk", str(path), "--grid", "NOPE", "--out", str(out)]) == 2
    assert "500101001001-01" in capsys.readouterr().err


def test_a_street_walk_by_bicycle_says_so_on_its_card(t, tmp_path, capsys):
    """The card said 步行 whatever the mode: a round planned by bicycle (its times at cycling speed)
    printed as a walk. The card names the mode the round was planned with."""
    from pypdf import PdfReader
    proj = Project(name="walktown")
    proj.add_layer(Layer("roads", t["roads"].assign(src_id=[f"FID {i}" for i in range(len(t["roads"]))])))
    grids = gpd.GeoDataFrame({"code": ["500101001001-01"], "hh": [400]},
                             geometry=[box(X0 - 1, Y0 - 1, X0 + 301, Y0 + 201)], crs=GK108)
    proj.add_layer(Layer("grids", grids))
    path = tmp_path / "p.gpkg"
    proj.save(path)
    cards = {}
    for mode in ("walk", "bicycle"):
        out = tmp_path / mode
        assert cli.main(["walk", str(path), "--grid", "500101001001-01", "--mode", mode, "--out", str(out)]) == 0
        cards[mode] = "\n".join(pg.extract_text() for pg in PdfReader(out / "walk-500101001001-01-card.pdf").pages)
    assert "步行" in cards["walk"] and "骑行" not in cards["walk"]
    assert "骑行" in cards["bicycle"] and "步行" not in cards["bicycle"]
