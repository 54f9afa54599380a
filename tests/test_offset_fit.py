"""A station sheet whose 经度/纬度 were copied from AMap (GCJ-02) or Baidu (BD-09) and read as WGS84
is named, with the measured fit to the real roads and the ``--crs-in`` fix; true WGS84 points and
ambiguous evidence say nothing extra.

Real data: the OpenStreetMap roads of Nanjing Xuanwu (bundled sample, EPSG:4326 from its file). The
station sheet is the one a 派出所 keeps: 警务室 on the street fronts, their coordinates moved into
GCJ-02/BD-09 with gridtool's own converter (the inverse of what ``--crs-in gcj02`` undoes).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gridtool import cli
from gridtool.crs import wgs84_to_offset
from gridtool.project import Project
from gridtool.samples import sample_sources
from gridtool.validate import validate

GK120 = 4549  # CGCS2000 3-degree zone of Nanjing, metres


def _roads() -> str:
    return sample_sources("nanjing-xuanwu")["roads"]


def _true_stations() -> gpd.GeoSeries:
    """警务室 on the street fronts: 8 m beside the middle of every 8th street, in WGS84."""
    path, layer = _roads().rsplit(":", 1)
    roads = pyogrio.read_dataframe(path, layer=layer).to_crs(GK120)
    streets = roads[roads["class"].isin(["primary", "secondary", "tertiary", "residential"])].iloc[::8]
    mid = shapely.line_interpolate_point(streets.geometry.values, 0.5, normalized=True)
    return gpd.GeoSeries(shapely.transform(mid, lambda xy: xy + 8.0 / np.sqrt(2)), crs=GK120).to_crs(4326)


def _sheet(tmp_path, offset: str | None) -> str:
    """The station sheet as a 派出所 keeps it: 名称, 经度, 纬度 (picked on a map app when ``offset``)."""
    pts = _true_stations().values
    if offset:
        pts = wgs84_to_offset(pts, offset)
    path = tmp_path / f"警务室_{offset or 'wgs84'}.xlsx"
    pd.DataFrame({"名称": [f"{i + 1}号警务室" for i in range(len(pts))],
                  "经度": shapely.get_x(pts), "纬度": shapely.get_y(pts)}).to_excel(path, index=False)
    return str(path)


def _offset_warnings(project) -> list:
    return [p for p in validate(project) if p.code == "lonlat_offset_suspected"]


@pytest.mark.parametrize("offset,app", [("gcj02", "高德/腾讯"), ("bd09", "百度")])
def test_station_sheet_from_a_map_app_is_named_with_its_fit_and_fix(tmp_path, offset, app):
    sheet = _sheet(tmp_path, offset)
    project = Project.from_sources({"roads": _roads(), "stations": sheet})
    found = _offset_warnings(project)
    assert len(found) == 1
    w = found[0]
    assert w.role == "stations" and w.file.endswith(f"警务室_{offset}.xlsx")
    assert app in w.zh and "按 WGS84 读入" in w.zh and "中位距离" in w.zh
    assert f"--crs-in stations={offset}" in w.fix_zh and f"--crs-in stations={offset}" in w.fix_en
    # The figures are the measured ones: hundreds of metres off as read, metres once converted.
    read, conv = (float(v) for v in re.search(r"(\d+) m as read → (\d+) m", w.en).groups())
    assert read > 2 * conv and read - conv > 10 and conv < 15


def test_true_wgs84_stations_get_no_offset_warning(tmp_path):
    project = Project.from_sources({"roads": _roads(), "stations": _sheet(tmp_path, None)})
    assert _offset_warnings(project) == []


def test_declaring_the_offset_clears_the_warning_and_puts_stations_on_the_streets(tmp_path):
    project = Project.from_sources({"roads": _roads(), "stations": _sheet(tmp_path, "gcj02")},
                                   crs_in={"stations": "gcj02"})
    assert _offset_warnings(project) == []
    placed = project.layers["stations"].gdf.geometry.to_crs(GK120)
    true = _true_stations().to_crs(GK120)
    assert np.allclose(shapely.get_coordinates(placed.values), shapely.get_coordinates(true.values), atol=1.0)


def test_no_verdict_against_roads_whose_crs_was_only_guessed(tmp_path):
    """Roads in lon/lat without a CRS may be GCJ-02 themselves: no evidence, no extra warning."""
    path, layer = _roads().rsplit(":", 1)
    roads = pyogrio.read_dataframe(path, layer=layer)
    roads[["class", "geometry"]].to_file(tmp_path / "roads.shp")
    (tmp_path / "roads.prj").unlink()
    project = Project.from_sources({"roads": str(tmp_path / "roads.shp"), "stations": _sheet(tmp_path, "gcj02")})
    assert _offset_warnings(project) == []


def test_import_prints_the_warning_in_chinese_and_english(tmp_path, capsys):
    sheet = _sheet(tmp_path, "gcj02")
    args = cli.build_parser().parse_args(["import", "--roads", _roads(), "--stations", sheet,
                                          "--out", str(tmp_path / "p.gpkg")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "很可能取自高德/腾讯地图" in out and "--crs-in stations=gcj02" in out
    assert "警务室_gcj02.xlsx" in out and "按 GCJ-02 换算后为" in out


@pytest.mark.parametrize("beyond_m", [300, 900])
def test_true_wgs84_points_beyond_the_roads_extent_get_no_offset_warning(tmp_path, beyond_m):
    """A sheet spanning two towns, roads of one: the other town's true WGS84 points lie east of the
    roads, where undoing any offset (a shift west) brings every one of them closer. They are no
    evidence: no warning telling the planner to move correct points a kilometre."""
    path, layer = _roads().rsplit(":", 1)
    x0, y0, x1, y1 = pyogrio.read_dataframe(path, layer=layer).to_crs(GK120).total_bounds
    rng = np.random.default_rng(1)
    xy = np.column_stack([x1 + beyond_m + rng.uniform(0, 300, 30), (y0 + y1) / 2 + rng.uniform(-300, 300, 30)])
    pts = gpd.GeoSeries(shapely.points(xy), crs=GK120).to_crs(4326)
    sheet = tmp_path / "邻镇警务室.xlsx"
    pd.DataFrame({"名称": [f"{i + 1}号警务室" for i in range(30)], "经度": pts.x, "纬度": pts.y}).to_excel(sheet, index=False)
    project = Project.from_sources({"roads": _roads(), "stations": str(sheet)})
    assert _offset_warnings(project) == []
