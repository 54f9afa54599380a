"""A station sheet whose 经度/纬度 were copied from AMap (GCJ-02) or Baidu (BD-09) and read as WGS84
is named, with the measured fit to the real roads and the ``--crs-in`` fix; true WGS84 points and
ambiguous evidence say nothing extra.

Real data: the OpenStreetMap roads of Nanjing Xuanwu (bundled sample, EPSG:4326 from its file). The
station sheet is the one a 派出所 keeps: 警务室 on the street fronts, their coordinates moved into
GCJ-02/BD-09 with gridtool's own converter (the inverse of what ``--crs-in gcj02`` undoes).
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
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


# -- small sheets: a 派出所's station and its 警务室 ----------------------------------------------
LIECHTENSTEIN = "/work/shared/data/osm/liechtenstein-2024-03.osm.pbf"
RURAL_CLASSES = ["trunk", "primary", "secondary", "tertiary", "unclassified"]


@pytest.fixture(scope="module")
def rural_roads(tmp_path_factory) -> str:
    """Sparse rural roads where offsets exist: Liechtenstein's through roads (real OSM geometry),
    moved unchanged in shape to a valley near 105.2°E 30.2°N (Sichuan), saved with their CRS."""
    if not Path(LIECHTENSTEIN).exists():
        pytest.skip("shared OSM data not available")
    g = pyogrio.read_dataframe(LIECHTENSTEIN, layer="lines", columns=["highway"])
    g = g[g["highway"].isin(RURAL_CLASSES)]
    c = g.to_crs(4326).union_all().centroid
    here = pyproj.CRS.from_proj4(f"+proj=aeqd +lon_0={c.x} +lat_0={c.y} +datum=WGS84")
    there = pyproj.CRS.from_proj4("+proj=aeqd +lon_0=105.2 +lat_0=30.2 +datum=WGS84")
    moved = gpd.GeoDataFrame({"class": g["highway"].to_numpy()},
                             geometry=gpd.GeoSeries(np.asarray(g.to_crs(here).geometry.values), crs=there))
    path = tmp_path_factory.mktemp("rural") / "rural_roads.gpkg"
    moved.to_crs(4544).to_file(path, layer="roads")
    return f"{path}:roads"


def _stations_by(roads: str, picks, beside_m: float = 8.0) -> gpd.GeoSeries:
    """One station per picked road, ``beside_m`` beside the road's middle, in WGS84."""
    path, layer = roads.rsplit(":", 1)
    lines = pyogrio.read_dataframe(path, layer=layer).geometry
    lines = lines[shapely.length(lines.values) > 300].iloc[list(picks)]
    mid = shapely.line_interpolate_point(lines.values, 0.5, normalized=True)
    return gpd.GeoSeries(shapely.transform(mid, lambda xy: xy + beside_m / np.sqrt(2)), crs=lines.crs).to_crs(4326)


def _write_sheet(path, pts: gpd.GeoSeries, offset: str | None, label: str = "警务室") -> str:
    v = pts.values if offset is None else wgs84_to_offset(pts.values, offset)
    pd.DataFrame({"名称": [f"{i + 1}号{label}" for i in range(len(v))],
                  "经度": shapely.get_x(v), "纬度": shapely.get_y(v)}).to_excel(path, index=False)
    return str(path)


@pytest.mark.parametrize("offset", ["gcj02", "bd09"])
@pytest.mark.parametrize("picks", [(10, 40), (10, 40, 70)])
def test_small_station_sheet_from_a_map_app_is_named_among_sparse_roads(tmp_path, rural_roads, picks, offset):
    """2–3 rows, too few for a median (one row alone seldom tells, see the module's notes): each station is hundreds of metres from every road as read,
    on its road once converted, and random spots around it seldom are. The warning names the fix."""
    sheet = _write_sheet(tmp_path / "派出所.xlsx", _stations_by(rural_roads, picks), offset)
    found = _offset_warnings(Project.from_sources({"roads": rural_roads, "stations": sheet}))
    assert len(found) == 1 and f"--crs-in stations={offset}" in found[0].fix_zh
    assert f"{len(picks)} 个点中 {len(picks)} 个更近" in found[0].zh


@pytest.mark.parametrize("beside_m", [8.0, 25.0, 45.0])
@pytest.mark.parametrize("picks", [(10,), (10, 40), (10, 40, 70)])
def test_small_true_wgs84_station_sheet_gets_no_offset_warning(tmp_path, rural_roads, picks, beside_m):
    sheet = _write_sheet(tmp_path / "派出所.xlsx", _stations_by(rural_roads, picks, beside_m), None)
    assert _offset_warnings(Project.from_sources({"roads": rural_roads, "stations": sheet})) == []


def _nanjing_split(n_stations: int = 3):
    """Nanjing's street-front points split into a 派出所's sheet (3 rows) and a place register."""
    pts = _true_stations()
    return pts.iloc[:n_stations], pts.iloc[n_stations:]


def test_three_stations_in_a_dense_city_are_judged_with_the_places_picked_the_same_way(tmp_path):
    """In Xuanwu a random spot is ~20 m from some street: three stations cannot tell alone. The
    place register came from the same phone app (another 经度/纬度 sheet, read the same way):
    together they are clear, and the stations' own points all agree."""
    st, pl = _nanjing_split()
    project = Project.from_sources({"roads": _roads(),
                                    "stations": _write_sheet(tmp_path / "派出所.xlsx", st, "gcj02"),
                                    "places": _write_sheet(tmp_path / "重点场所.xlsx", pl, "gcj02", "场所")})
    found = {p.role: p for p in _offset_warnings(project)}
    assert set(found) == {"stations", "places"}
    assert "--crs-in stations=gcj02" in found["stations"].fix_zh and "合并判断" in found["stations"].zh
    assert "重点场所" in found["stations"].zh or "places" in found["stations"].en


def test_three_true_stations_are_not_condemned_by_an_offset_place_register(tmp_path):
    """The places came from AMap, the stations from the station's own GPS: the pooled sheet looks
    offset, but the stations' own points do not come closer, so they are left alone."""
    st, pl = _nanjing_split()
    project = Project.from_sources({"roads": _roads(),
                                    "stations": _write_sheet(tmp_path / "派出所.xlsx", st, None),
                                    "places": _write_sheet(tmp_path / "重点场所.xlsx", pl, "gcj02", "场所")})
    assert [p.role for p in _offset_warnings(project)] == ["places"]


# -- the generic "no CRS, assumed WGS84" warning ---------------------------------------------
def _missing_crs(project) -> dict:
    return {p.role: p for p in validate(project) if p.code == "missing_crs"}


def test_a_sheet_that_fits_the_roads_as_read_says_so_instead_of_suspecting_amap(tmp_path):
    project = Project.from_sources({"roads": _roads(), "stations": _sheet(tmp_path, None)})
    w = _missing_crs(project)["stations"]
    assert "与道路吻合" in w.zh and "中位距离" in w.zh and "高德" not in w.zh + w.fix_zh
    assert "--crs-in stations=wgs84" in w.fix_zh and "fit roads" in w.en
    read = float(re.search(r"中位距离 (\d+) 米", w.zh).group(1))
    assert read <= 10


def test_an_offset_sheet_keeps_the_generic_warning_beside_the_offset_one(tmp_path):
    project = Project.from_sources({"roads": _roads(), "stations": _sheet(tmp_path, "gcj02")})
    w = _missing_crs(project)["stations"]
    assert "高德" in w.fix_zh and "吻合" not in w.zh
    assert len(_offset_warnings(project)) == 1


def test_import_summary_says_the_fit_once_for_a_fitting_sheet(tmp_path, capsys):
    args = cli.build_parser().parse_args(["import", "--roads", _roads(), "--stations", _sheet(tmp_path, None),
                                          "--out", str(tmp_path / "p.gpkg")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.count("与道路吻合") == 1 and "如果坐标来自高德" not in out
