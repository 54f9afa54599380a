"""A 卡口 sheet copied from 高德 (GCJ-02) for a sealing exercise, given to ``gridtool seal`` without
``--crs-in exits=gcj02``.

Before: only the generic "no CRS, assumed WGS84" line; each 卡口 snapped to whatever road lay
~500 m away (a plan for the wrong crossings), and one beyond 300 m stopped the run with "检查卡口
坐标，或补充道路数据". Now the sheet is judged against the project's roads, as ``import`` judges
its own layers, and the warning names GCJ-02 and the option to add."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from openpyxl import Workbook

from gridtool.crs import wgs84_to_offset
from gridtool.layers import load_layer
from gridtool.offset_fit import check_sheet
from gridtool.project import Project
from gridtool.samples import sample_sources


@pytest.fixture(scope="module")
def roads_project():
    sources = {k: v for k, v in sample_sources("nanjing-xuanwu").items() if k == "roads"}
    return Project.from_sources(sources, name="xuanwu-roads")


def _exit_sheet(path, project, *, gcj: bool):
    """Eight 卡口 on the roads around a 社区 in the middle of the district (a sealing ring), as
    经度/纬度 (GCJ-02 or true WGS84)."""
    roads = project.layers["roads"].gdf
    x0, y0, x1, y1 = roads.total_bounds
    pts = []
    for fx, fy in [(0.3, 0.3), (0.5, 0.25), (0.7, 0.3), (0.75, 0.5), (0.7, 0.7), (0.5, 0.75), (0.3, 0.7), (0.25, 0.5)]:
        p = shapely.Point(x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy)
        line = roads.geometry.iloc[int(roads.distance(p).argmin())]
        pts.append(line.interpolate(line.project(p)))
    ll = gpd.GeoSeries(pts, crs=project.crs).to_crs(4326)
    if gcj:
        ll = gpd.GeoSeries(wgs84_to_offset(ll.values, "gcj02"), crs=4326)
    wb = Workbook()
    ws = wb.active
    ws.append(["卡口名称", "经度", "纬度", "带班民警"])
    for i, p in enumerate(ll):
        ws.append([f"{i + 1}号卡口", round(p.x, 6), round(p.y, 6), "王建国"])
    wb.save(path)


@pytest.mark.parametrize("gcj", [True, False])
def test_a_gaode_exit_sheet_read_as_wgs84_is_named_with_its_fix(tmp_path, roads_project, gcj):
    path = tmp_path / "卡口.xlsx"
    _exit_sheet(path, roads_project, gcj=gcj)
    lyr = load_layer("places", str(path))
    gdf = lyr.gdf.to_crs(roads_project.crs)
    said = check_sheet(gdf, lyr, roads_project, role="exits", name_zh="卡口", name_en="exits")
    if not gcj:  # true WGS84 on the roads: no false alarm
        assert said is None
        return
    assert said is not None and said.code == "lonlat_offset_suspected"
    assert "“卡口”图层" in said.zh and "GCJ-02" in said.zh and "高德" in said.zh
    assert said.fix_zh.startswith("加 --crs-in exits=gcj02 重新运行")
    # once declared, nothing more to say
    lyr = load_layer("places", str(path), crs_in="gcj02")
    assert check_sheet(lyr.gdf.to_crs(roads_project.crs), lyr, roads_project, role="exits",
                       name_zh="卡口", name_en="exits") is None
