"""Chinese police outputs say everything in Chinese (headers, categories, row numbers, KML fields),
``--lang en`` gives English; the walk card lists unnamed roads as stretches a worker can follow,
its footer never overprints itself; the HTML export names the roads it could not draw; ``patrol
--quiet`` leaves out how the graph was built."""

from __future__ import annotations

import csv
import itertools
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from gridtool import cli
from gridtool.maps import gis
from gridtool.routing.export import write_stops_csv
from gridtool.routing.postman import CoverageWalk

from .maps_data import GK108, X0, Y0, make_project


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _stops() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"team": [1, 1], "seq": [1, 2], "place": ["监控点（第51行）", "热点1"], "category": ["camera", "hotspot"],
         "station": ["五老村派出所"] * 2, "visit": [1, 1], "must": [False, True], "arrive": ["20:03", "20:10"],
         "depart": ["20:08", "20:22"], "dwell_min": [5.0, 12.0], "window": ["", "20:00-22:00"],
         "src_id": ["row 51", "hotspot 1"]},
        geometry=[Point(X0 + 10, Y0 + 10), Point(X0 + 200, Y0 + 50)], crs=GK108)


def test_patrol_stops_csv_is_chinese_by_default_and_english_with_lang_en(tmp_path):
    zh = _rows(write_stops_csv(tmp_path / "zh.csv", _stops()))
    assert list(zh[0])[:4] == ["队伍", "顺序", "地点", "类别"] and "经度" in zh[0]
    assert [r["类别"] for r in zh] == ["监控点", "警情热点"]          # the product's words, not camera/hotspot
    assert [r["必到"] for r in zh] == ["否", "是"] and [r["来源编号"] for r in zh] == ["第51行", "热点1"]
    assert not any(c.isascii() and c.isalpha() for r in zh for v in r.values() for c in v)
    en = _rows(write_stops_csv(tmp_path / "en.csv", _stops(), lang="en"))
    assert list(en[0])[:4] == ["team", "seq", "place", "category"] and en[0]["category"] == "camera"
    assert en[1]["must"] == "True" and en[0]["src_id"] == "row 51"
    both = _rows(write_stops_csv(tmp_path / "both.csv", _stops(), lang="both"))
    assert list(both[0])[:2] == ["队伍 team", "顺序 seq"] and both[1]["类别 category"] == "hotspot"


def test_unnamed_places_are_labelled_with_chinese_row_numbers():
    from gridtool.routing.demand import feature_names
    places = gpd.GeoDataFrame({"name": ["", "人民中学"], "category": ["school", "school"],
                               "src_id": ["row 3", "row 4"]}, geometry=[Point(0, 0), Point(1, 1)], crs=GK108)
    assert feature_names(places) == ["学校（第3行）", "人民中学"]


def test_coverage_console_names_categories_in_chinese():
    from gridtool.routing.coverage import _uncovered_lines
    layer = pd.DataFrame({"name": ["东郊水库监控", "学校（第3行）", "人民中学"], "category": ["camera", "school", "school"],
                          "minutes_to_station": [np.inf, 6.4, 6.3], "nearest_station": ["", "五老村派出所", "五老村派出所"]})
    zh = "\n".join(z for z, _ in _uncovered_lines(5, layer))
    assert "东郊水库监控（监控点）：路网上无法到达" in zh and "人民中学（学校）" in zh
    assert "camera" not in zh and "school" not in zh and "学校（第3行）（学校）" not in zh
    en = "\n".join(e for _, e in _uncovered_lines(5, layer))
    assert "东郊水库监控 (camera)" in en


def _walk(pieces) -> CoverageWalk:
    steps = gpd.GeoDataFrame(
        [{"walker": 1, "seq": k + 1, "name": name, "length_m": line.length, "minutes": line.length / 75,
          "repeat": False, "required": True, "geometry": line} for k, (name, line) in enumerate(pieces)],
        geometry="geometry", crs=GK108)
    return CoverageWalk(steps=steps, walkers=pd.DataFrame({"walker": [1]}), start_node=0,
                        required_pieces=np.arange(len(pieces)), required_km=0.0)


def _line(*xy):
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


def test_walk_lists_unnamed_roads_as_numbered_stretches_with_where_they_go():
    walk = _walk([("", _line((0, 0), (100, 0))), ("", _line((100, 0), (103, 1))),   # a CAD sliver
                  ("", _line((103, 1), (200, 0))),                                   # straight on: same stretch
                  ("", _line((200, 0), (200, 150))),                                  # a turn north: a new one
                  ("中山路", _line((200, 150), (400, 150))), ("", _line((400, 150), (400, 250))),
                  ("太平路", _line((400, 250), (600, 250)))])
    rows = walk.street_list(1, start_minutes=8 * 60)
    assert [r["place"] for r in rows] == ["无名道路 1（向东）", "无名道路 2（向北）", "中山路",
                                          "无名道路 3（中山路与太平路之间）", "太平路"]
    assert [round(r["length_m"]) for r in rows] == [200, 150, 200, 100, 200]
    assert rows[0]["arrive"] == "08:00" and rows[1]["arrive"] == "08:03"


def test_coverage_and_seal_tables_have_chinese_headers_and_whole_households(tmp_path):
    from types import SimpleNamespace

    from gridtool.maps.route_files import write_coverage_outputs, write_seal_outputs
    villages = pd.DataFrame({"name": ["上海路社区"], "hh": [1671.0], "covered_hh": [74.0], "uncovered_hh": [1597.0],
                             "share": [0.04428485936564931]})
    result = SimpleNamespace(per_minute=[SimpleNamespace(minutes=5.0, villages=villages)], layers=lambda: {})
    write_coverage_outputs(result, tmp_path / "c")
    with open(tmp_path / "c" / "coverage-5min-villages.csv", encoding="utf-8-sig") as fh:
        text = fh.read()
    assert text.splitlines() == ["村（社区）,户数,覆盖户数,未覆盖户数,覆盖率", "上海路社区,1671,74,1597,0.044"]
    write_coverage_outputs(result, tmp_path / "e", lang="en")
    assert _rows(tmp_path / "e" / "coverage-5min-villages.csv")[0]["uncovered_hh"] == "1597"
    table = pd.DataFrame({"exit": ["卡口（第2行）"], "station": ["社区警务室9"], "minutes": [2.1612], "km": [1.0944],
                          "exit_no": [1]})
    plan = SimpleNamespace(table=table, paths=gpd.GeoDataFrame({"exit_no": [1]}, geometry=[_line((0, 0), (1, 1))],
                                                               crs=GK108),
                           exits=gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=GK108))
    stations = gpd.GeoDataFrame({"name": ["社区警务室9"]}, geometry=[Point(X0, Y0)], crs=GK108)
    csv_path, _ = write_seal_outputs(plan, stations, tmp_path / "s")
    assert _rows(csv_path) == [{"卡口": "卡口（第2行）", "站点": "社区警务室9", "分钟": "2.16", "公里": "1.094"}]
    csv_path, _ = write_seal_outputs(plan, stations, tmp_path / "s", lang="en")
    assert list(_rows(csv_path)[0]) == ["exit", "station", "minutes", "km"]


def _boxes(fig):
    from matplotlib.backends.backend_agg import RendererAgg
    r = RendererAgg(fig.bbox.width, fig.bbox.height, fig.dpi)
    return [t.get_window_extent(renderer=r) for t in fig.texts]


@pytest.mark.parametrize("left", ["网格 320102900003-05 街巷巡查路线卡 · 2026-12-06",
                                  "nanjing-xuanwu网格 320102900003-05 街巷巡查路线卡 · 2026-12-06" * 2])
def test_page_footer_texts_never_overprint(left):
    from matplotlib.figure import Figure

    from gridtool.maps.fonts import export_rc
    from gridtool.maps.pages import page_footer
    from gridtool.maps.paper import paper
    import matplotlib
    sheet = paper("A4")
    with matplotlib.rc_context(export_rc()):
        fig = Figure(figsize=sheet.inches)
        page_footer(fig, sheet, left=left, centre="坐标系：2000国家大地坐标系 3度带 中央经线120° · 地图数据 © "
                    "OpenStreetMap 贡献者（ODbL 许可）", right="第 1 页 / 共 1 页")
        boxes = _boxes(fig)
    assert len(boxes) == 3
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    assert all(b.x0 >= 0 and b.x1 <= fig.bbox.width and b.y0 >= 0 for b in boxes)  # on the page


def test_kml_fields_are_chinese_and_rounded_by_default(tmp_path):
    p = make_project()
    routes = p.layers["routes"].gdf
    routes["length_km"] = 10.60356579050939
    data, _ = gis.kml_document(p, roles=["routes"])
    root = ET.fromstring(data)
    ns = {"k": gis.KML_NS}
    fields = {f.get("name") for f in root.iterfind(".//k:SimpleField", ns)}
    assert {"里程", "分钟", "方式"} <= fields and "length_km" not in fields
    values = {d.get("name"): d.text for d in root.iterfind(".//k:SimpleData", ns)}
    assert values["里程"] == "10.6" and values["方式"] in ("步行", "自行车", "驾车")
    data, _ = gis.kml_document(p, roles=["routes"], lang="en")
    root = ET.fromstring(data)
    values = {d.get("name"): d.text for d in root.iterfind(".//k:SimpleData", ns)}
    assert values["length_km"] == "10.6"


def test_html_export_names_roads_too_short_to_draw(tmp_path, capsys):
    from gridtool.layers import Layer
    p = make_project()
    roads = gpd.GeoDataFrame({"name": ["长路", "碎线"], "src_id": ["FID 0", "FID 137"]},
                             geometry=[_line((0, 0), (800, 0)), _line((10, 10), (10.03, 10.03))], crs=GK108)
    p.layers["roads"] = Layer(role="roads", gdf=roads)
    gpkg = tmp_path / "p.gpkg"
    p.save(gpkg)
    assert cli.main(["export", str(gpkg), "--html", str(tmp_path / "m.html"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "道路 1" in out and "道路 1 个未画出" in out and "FID 137" in out


def test_patrol_quiet_leaves_out_how_the_graph_was_built(tmp_path, capsys):
    from .test_routing_graph import town
    t = town()
    gpkg = tmp_path / "town.gpkg"
    layers = {"roads": t["roads"], "places": t["places"].iloc[:4], "stations": t["stations"]}
    for role, gdf in layers.items():
        gdf.drop(columns=["src_id"]).to_file(gpkg, layer=role, driver="GPKG")
    roles = sum(([f"--{r}", f"{gpkg}:{r}"] for r in layers), [])
    common = ["--time-limit", "0.3", "--start", "07:30", "--speed", "residential=4", "--no-save"]
    assert cli.main(["patrol", *roles, *common, "--out", str(tmp_path / "a")]) == 0
    loud = capsys.readouterr().out
    assert cli.main(["patrol", *roles, *common, "--quiet", "--out", str(tmp_path / "b")]) == 0
    quiet = capsys.readouterr().out
    assert "按等级指定速度" in loud and "按等级指定速度" not in quiet
    assert "巡逻方案" in quiet and "已写入" in quiet
    stops = _rows(tmp_path / "b" / "patrol-stops.csv")
    assert {r["类别"] for r in stops} <= {"学校", "市场", "银行", "监控点"} and stops
