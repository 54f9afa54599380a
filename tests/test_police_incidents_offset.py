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


def test_a_true_wgs84_incident_sheet_raises_no_offset_alarm(tmp_path, project_path, capsys):
    sheet = tmp_path / "本月警情.xlsx"
    _calls(sheet, project_path, bd09=False)
    assert _patrol(project_path, sheet, tmp_path / "out") == 0
    text = capsys.readouterr().out
    assert "很可能取自" not in text and "--crs-in incidents=" not in text
    assert "警情 40 条（40 条在道路 100 米内）" in text
