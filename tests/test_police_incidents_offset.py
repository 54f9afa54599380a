"""This month's 警情 sheet exported with Baidu (BD-09) 经度/纬度, given to ``gridtool patrol`` beside
the project (``--incidents 本月警情.xlsx``) without ``--crs-in incidents=bd09``.

Before: only the generic "no CRS, assumed WGS84" line, and the hot spots were found ~100–500 m from
the streets where the calls came from (Nanjing Xuanwu, 200 calls: 142 within 100 m of a road as read,
200 once converted). ``import`` named BD-09 for the same sheet; a one-off layer was never checked.
Now the run says what ``import`` says, with the option to add to this command."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from openpyxl import Workbook

from gridtool import cli
from gridtool.crs import wgs84_to_offset
from gridtool.project import Project
from gridtool.samples import sample_sources


@pytest.fixture(scope="module")
def project_path(tmp_path_factory):
    sources = {k: v for k, v in sample_sources("nanjing-xuanwu").items() if k in ("roads", "places")}
    path = tmp_path_factory.mktemp("xuanwu") / "玄武.gpkg"
    Project.from_sources(sources, name="xuanwu").save(path)
    return path


def _calls(path, project_path, *, bd09: bool):
    """40 calls on the district's streets at night, 报警时间 as text typed in Excel, 经度/纬度 in BD-09
    (as 百度 gives them) or true WGS84."""
    roads = Project.open(project_path).layers["roads"].gdf
    rng = np.random.default_rng(3)
    lines = roads.geometry.sample(20, random_state=2).tolist()
    pts = [g.interpolate(rng.random(), normalized=True) for g in lines for _ in range(2)]
    ll = gpd.GeoSeries(pts, crs=roads.crs).to_crs(4326)
    if bd09:
        ll = gpd.GeoSeries(wgs84_to_offset(ll.values, "bd09"), crs=4326)
    wb = Workbook()
    ws = wb.active
    ws.append(["警情编号", "报警时间", "警情类别", "经度", "纬度"])
    for i, p in enumerate(ll):
        ws.append([f"J{i:03d}", f"2026/3/{1 + i % 28} {20 + i % 4}:{i % 60:02d}", "治安-盗窃",
                   round(p.x, 6), round(p.y, 6)])
    wb.save(path)


def _patrol(project_path, sheet, out, *extra):
    return cli.main(["--lang", "both", "patrol", str(project_path), "--incidents", str(sheet), *extra,
                     "--start", "20:00", "--lenient", "--no-save", "--iterations", "30", "--time-limit", "5", "--out", str(out)])


def test_a_baidu_incident_sheet_beside_the_project_is_named_with_its_fix(tmp_path, project_path, capsys):
    sheet = tmp_path / "本月警情.xlsx"
    _calls(sheet, project_path, bd09=True)
    assert _patrol(project_path, sheet, tmp_path / "out") == 0
    text = capsys.readouterr().out
    assert "“警情”图层的坐标很可能取自百度地图（BD-09 坐标）" in text
    assert "加 --crs-in incidents=bd09 重新运行" in text and "run again with --crs-in incidents=bd09" in text
    assert f"gridtool import {project_path} --incidents {sheet} --crs-in incidents=bd09" in text
    assert "文件没有坐标系信息，按坐标值假定为 WGS84" not in text  # the specific warning replaces the generic one
    # declared, the calls lie on the streets and nothing more is said
    assert _patrol(project_path, sheet, tmp_path / "out2", "--crs-in", "incidents=bd09") == 0
    text = capsys.readouterr().out
    assert "很可能取自" not in text and "坐标系 bd09" in text
    assert "警情 40 条（40 条在道路 100 米内）" in text
    # the line that stores the sheet in the project reads it the way this run did
    assert f"要把它存入项目：gridtool import {project_path} --incidents {sheet} --crs-in incidents=bd09" in text


def test_a_true_wgs84_incident_sheet_raises_no_offset_alarm(tmp_path, project_path, capsys):
    sheet = tmp_path / "本月警情.xlsx"
    _calls(sheet, project_path, bd09=False)
    assert _patrol(project_path, sheet, tmp_path / "out") == 0
    text = capsys.readouterr().out
    assert "很可能取自" not in text and "--crs-in incidents=" not in text
    assert "警情 40 条（40 条在道路 100 米内）" in text


@pytest.mark.parametrize("lon, lat", [("百度经度", "百度纬度"), ("经度（BD09）", "纬度（BD09）"), ("bd_lng", "bd_lat")])
def test_coordinate_headers_that_name_baidu_are_read_as_bd09(tmp_path, project_path, lon, lat):
    """A 接处警 export with 日期 and 时间 in two columns and 百度经度/百度纬度: the coordinate columns
    were not found at all ("表中找不到坐标列", exit 2), and 经度（BD09） was read as WGS84. The header
    says the map: read as BD-09, said as an assumed CRS is, with the way back."""
    from gridtool.layers import load_layer
    sheet = tmp_path / "警情.xlsx"
    _calls(sheet, project_path, bd09=True)
    from openpyxl import load_workbook
    wb = load_workbook(sheet)
    ws = wb.active
    ws["D1"], ws["E1"] = lon, lat
    ws.insert_cols(3)  # 报警时间 "2026/3/1 20:00" → 日期 "2026/3/1" + 时间 "20:00"
    ws["B1"], ws["C1"] = "日期", "时间"
    for row in range(2, ws.max_row + 1):
        day, clock = str(ws.cell(row, 2).value).split()
        ws.cell(row, 2).value, ws.cell(row, 3).value = day, clock
    wb.save(sheet)
    lyr = load_layer("incidents", str(sheet))
    assert lyr.crs_in == "bd09"
    said = [p for p in lyr.problems if p.code == "crs_from_header"]
    assert len(said) == 1 and f"“{lon}”" in said[0].zh and "BD-09（百度）" in said[0].zh
    assert "--crs-in incidents=wgs84" in said[0].fix_zh
    roads = Project.open(project_path).layers["roads"].gdf
    calls = lyr.gdf.to_crs(roads.crs)
    assert float(calls.distance(roads.union_all()).max()) < 5  # on the streets they were taken from
    assert lyr.gdf["time"].notna().all() and sorted(lyr.gdf["hour"].dropna().astype(int).unique()) == [20, 21, 22, 23]


def test_plain_coordinate_headers_name_no_map(tmp_path, project_path):
    from gridtool.layers import load_layer
    sheet = tmp_path / "警情.xlsx"
    _calls(sheet, project_path, bd09=False)
    lyr = load_layer("incidents", str(sheet))
    assert lyr.crs_in.startswith("EPSG:4326") and not [p for p in lyr.problems if p.code == "crs_from_header"]


def test_an_incident_sheet_with_addresses_only_says_how_to_get_coordinates(tmp_path, project_path, capsys):
    """案发地址 and no 经纬度: the generic "name the columns 经度/纬度" left an officer renaming 案发地址."""
    sheet = tmp_path / "警情.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["警情编号", "报警时间", "警情类别", "案发地址"])
    ws.append(["J001", "2026/3/5 21:30", "治安-盗窃", "玄武区珠江路 1 号"])
    wb.save(sheet)
    out = tmp_path / "out"
    code = cli.main(["--lang", "both", "patrol", str(project_path), "--incidents", str(sheet), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "只有案发地址的警情无法落图" in err and "--crs-in incidents=bd09" in err and str(sheet) in err
    assert "gridtool does not look addresses up" in err and "Traceback" not in err


def test_a_header_typed_on_two_lines_is_read_and_shown_on_one(tmp_path, capsys):
    """报警⏎时间 typed with Alt+Enter in Excel: the column is used for the times and the console's
    "所用列" line is not broken in two."""
    wb = Workbook()
    ws = wb.active
    ws.append(["警情编号", "报警\n时间", "警情类别", "经度", "纬度"])
    for i in range(12):
        ws.append([f"J{i}", f"2026/3/{1 + i} 21:{i:02d}", "治安-盗窃", 118.78 + i * 1e-3, 32.06 + i * 1e-3])
    wb.save(tmp_path / "警情.xlsx")
    assert cli.main(["import", "--incidents", str(tmp_path / "警情.xlsx"), "--out", str(tmp_path / "p.gpkg")]) == 0
    lines = capsys.readouterr().out.splitlines()
    used = [ln for ln in lines if "所用列" in ln]
    assert len(used) == 1 and "时间:报警 时间" in used[0] and "警情类别:警情类别" in used[0], used  # labels in Chinese
    assert not any(ln.startswith("时间") for ln in lines)
    times = Project.open(tmp_path / "p.gpkg").layers["incidents"].gdf
    assert times.filter(like="时间").notna().all().all() and len(times) == 12


@pytest.mark.parametrize("lon, lat", [("经度（WGS84）", "纬度（WGS84）"), ("GPS经度", "GPS纬度"), ("lon_wgs84", "lat_wgs84")])
def test_coordinate_headers_that_name_wgs84_are_said_as_the_reason(tmp_path, project_path, lon, lat):
    """经度（WGS84）: the console said the generic "assumed WGS84 from the values" although the header
    told it (and lon_wgs84 was not found as a coordinate column at all). Read as WGS84, said with the
    header as the reason and no generic guess."""
    from gridtool.layers import load_layer
    sheet = tmp_path / "警情.xlsx"
    _calls(sheet, project_path, bd09=False)
    from openpyxl import load_workbook
    wb = load_workbook(sheet)
    ws = wb.active
    ws["D1"], ws["E1"] = lon, lat
    wb.save(sheet)
    lyr = load_layer("incidents", str(sheet))
    assert lyr.crs_in == "wgs84" and lyr.gdf.crs.to_epsg() == 4326
    said = [p for p in lyr.problems if p.code == "crs_from_header"]
    assert len(said) == 1 and f"“{lon}”" in said[0].zh and "WGS84" in said[0].zh and "--crs-in incidents=gcj02" in said[0].fix_zh
    assert not [p for p in lyr.problems if p.code == "missing_crs"]
    roads = Project.open(project_path).layers["roads"].gdf
    assert float(lyr.gdf.to_crs(roads.crs).distance(roads.union_all()).max()) < 5
