"""``--crs-in CRS`` for every file without a CRS of its own, shapefiles without .prj included, and
fixes that name the CGCS2000 zone of the data's longitude (Wuxi, 120.3°E: EPSG:4549)."""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from gridtool.cli import main
from gridtool.crs import crs_zh, gk_zone_epsg, wgs84_to_offset
from gridtool.errors import CRSError
from gridtool.project import Project

X0, Y0 = 120.30, 31.50  # 东港镇, 锡山区, 无锡


def _shapefile_without_cpg_prj(path, gdf) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*crs' was not provided")
        gdf.to_file(path, encoding="gbk")
    for ext in (".cpg", ".prj"):
        p = path.with_suffix(ext)
        if p.exists():
            os.remove(p)


@pytest.fixture
def wuxi(tmp_path):
    """A GBK village shapefile without .cpg/.prj in GCJ-02 lon/lat, the same boundaries in
    CGCS2000 GK metres (also without .prj), and an Excel roster in GCJ-02 (AMap picks)."""
    v = gpd.GeoDataFrame({"村名": ["张泾村", "东亭社区"], "乡镇": ["东港镇", "东港镇"], "区县": ["锡山区", "锡山区"]},
                         geometry=[box(X0, Y0, X0 + 0.01, Y0 + 0.01), box(X0 + 0.01, Y0, X0 + 0.02, Y0 + 0.01)],
                         crs=4326)
    gcj = v.set_geometry(wgs84_to_offset(v.geometry.values, "gcj02"), crs=None)
    _shapefile_without_cpg_prj(tmp_path / "村界.shp", gcj)
    (tmp_path / "gk").mkdir()
    _shapefile_without_cpg_prj(tmp_path / "gk" / "村界.shp", v.to_crs(4549).set_crs(None, allow_override=True))
    rng = np.random.default_rng(1)
    lon, lat = X0 + 0.001 + rng.random(200) * 0.018, Y0 + 0.001 + rng.random(200) * 0.008
    xy = shapely.get_coordinates(wgs84_to_offset(shapely.points(lon, lat), "gcj02"))
    pd.DataFrame({"户主": [f"王{i}" for i in range(200)], "经度": xy[:, 0], "纬度": xy[:, 1],
                  "户数": rng.integers(1, 5, 200)}).to_excel(tmp_path / "花名册.xlsx", index=False)
    return tmp_path


def test_crs_in_applies_to_a_shapefile_without_prj(wuxi, capsys):
    out = wuxi / "p.gpkg"
    assert main(["import", "--households", str(wuxi / "花名册.xlsx"), "--villages", str(wuxi / "村界.shp"),
                 "--crs-in", "gcj02", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    p = Project.open(out)
    assert p.layers["villages"].crs_in == "gcj02" and p.layers["households"].crs_in == "gcj02"
    assert "张泾村" in set(p.layers["villages"].gdf["name"])  # GBK decoded without a .cpg
    assert "不在任何村" not in text  # offsets undone alike: every household inside its village
    assert p.crs.to_epsg() == 4549


def test_metres_without_prj_take_the_zone_of_the_other_layers(wuxi, capsys):
    out = wuxi / "p2.gpkg"
    assert main(["import", "--households", str(wuxi / "花名册.xlsx"), "--villages", str(wuxi / "gk" / "村界.shp"),
                 "--crs-in", "gcj02", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    p = Project.open(out)
    assert p.layers["villages"].crs_in == "EPSG:4549 (assumed)"
    assert "2000国家大地坐标系 3度带 中央经线120°" in text  # said, never silently
    assert "不在任何村" not in text


def test_fixes_name_the_zone_of_the_data(wuxi, capsys):
    # Declared lon/lat for metres: the fix names the zone where the roster lies, not a fixed example.
    assert main(["validate", "--households", str(wuxi / "花名册.xlsx"), "--villages", str(wuxi / "gk" / "村界.shp"),
                 "--crs-in", "households=gcj02", "--crs-in", "villages=wgs84"]) == 2
    err = capsys.readouterr().err
    assert "EPSG:4549" in err and "EPSG:4547" not in err
    assert "文件：" in err and "file=" not in err  # Chinese place labels in Chinese output
    # Eastings with the zone number (40 500 000): the zone is known from the numbers alone.
    g = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(40_528_500, 3_486_450, 40_530_400, 3_487_560)])
    _shapefile_without_cpg_prj(wuxi / "pref.shp", g)
    with pytest.raises(CRSError) as e:
        Project.from_sources({"villages": str(wuxi / "pref.shp")}, crs_in={"villages": "wgs84"})
    assert "EPSG:4528" in e.value.fix_zh and "中央经线120°" in e.value.fix_zh
    assert "file=" in e.value.format("en") and "文件：" not in e.value.format("en")


def test_metres_without_a_crs_outside_china_take_the_other_layers_metric_crs(tmp_path, capsys):
    # Roads without a CRS (a CAD drawing, a shapefile without .prj) beside villages in UTM 32N
    # (Liechtenstein, 9.5°E): there is no CGCS2000 zone there, and the hint used to be EPSG:4534
    # (75°E); the roads lie where the villages lie, in the CRS the project was settled in.
    v = gpd.GeoDataFrame({"村名": ["东村"]}, geometry=[box(540_000, 5_220_000, 542_000, 5_222_000)], crs=32632)
    v.to_file(tmp_path / "v.gpkg", layer="villages")
    roads = gpd.GeoDataFrame({"name": ["路"]}, geometry=[shapely.LineString([(540_100, 5_220_500), (541_900, 5_221_500)])])
    _shapefile_without_cpg_prj(tmp_path / "roads.shp", roads)
    out = tmp_path / "p.gpkg"
    assert main(["import", "--villages", str(tmp_path / "v.gpkg"), "--roads", str(tmp_path / "roads.shp"),
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "按其他图层的位置假定为 WGS84 UTM 第32带（北半球）（EPSG:32632）" in text  # said, not silent
    p = Project.open(out)
    assert p.layers["roads"].crs_in == "EPSG:32632 (assumed)"
    assert p.layers["roads"].gdf.to_crs(32632).within(v.geometry[0]).all()


def test_zone_and_chinese_crs_names():
    assert gk_zone_epsg(120.3) == 4549 and gk_zone_epsg(107.8) == 4545 and gk_zone_epsg(106.5, prefixed=True) == 4524
    import pyproj
    assert crs_zh(pyproj.CRS.from_epsg(4549)) == "2000国家大地坐标系 3度带 中央经线120°"
    assert crs_zh(pyproj.CRS.from_epsg(4490)) == "2000国家大地坐标系 经纬度"
    assert crs_zh("gcj02").startswith("GCJ-02")


def test_gis_exports_default_to_the_boundaries_crs(wuxi, capsys):
    out = wuxi / "p3.gpkg"
    assert main(["partition", "--households", str(wuxi / "花名册.xlsx"), "--villages", str(wuxi / "gk" / "村界.shp"),
                 "--crs-in", "gcj02", "--min", "40", "--max", "300", "--out", str(out), "--quiet"]) == 0
    assert main(["export", str(out), "--gpkg", str(wuxi / "e.gpkg"), "--shp", str(wuxi / "shp"),
                 "--geojson", str(wuxi / "gj"), "--quiet"]) == 0
    import pyogrio
    # The boundaries were CGCS2000 GK CM 120°E (the roster GCJ-02): GIS files come back in GK, not WGS84.
    assert pyogrio.read_info(wuxi / "e.gpkg", layer="grids")["crs"] == "EPSG:4549"
    shp = gpd.read_file(wuxi / "shp" / "grids.shp")
    assert shp.crs.to_epsg() == 4549 and 500_000 < shp.total_bounds[0] < 600_000
    # GeoJSON stays WGS84 lon/lat, as RFC 7946 requires.
    gj = gpd.read_file(wuxi / "gj" / "grids.geojson")
    assert gj.crs.to_epsg() == 4326 and 120 < gj.total_bounds[0] < 121


def test_crs_in_alone_says_when_a_kml_keeps_its_own_wgs84(wuxi, capsys):
    # An Ovital KML of the villages in GCJ-02 beside the GCJ-02 roster: `--crs-in gcj02` is for files
    # without a CRS, so the KML is read as WGS84 (its standard), ~500 m off; it used to pass unsaid.
    v = gpd.read_file(wuxi / "村界.shp", encoding="gbk").set_crs(4326)
    v.rename(columns={"村名": "Name"}).to_file(wuxi / "村界.kml", driver="LIBKML")
    out = wuxi / "p.gpkg"
    assert main(["import", "--households", str(wuxi / "花名册.xlsx"), "--villages", str(wuxi / "村界.kml"),
                 "--crs-in", "gcj02", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "--crs-in gcj02 只用于没有自带坐标系的文件" in text and "--crs-in villages=gcj02" in text
    p = Project.open(out)
    assert p.layers["villages"].crs_in == "EPSG:4326" and p.layers["households"].crs_in == "gcj02"
    # The fix the warning names undoes the offset.
    assert main(["import", "--households", str(wuxi / "花名册.xlsx"), "--villages", str(wuxi / "村界.kml"),
                 "--crs-in", "gcj02", "--crs-in", "villages=gcj02", "--out", str(out), "--force"]) == 0
    text = capsys.readouterr().out
    assert "只用于没有自带坐标系" not in text and "不在任何村" not in text
    assert Project.open(out).layers["villages"].crs_in == "gcj02"


def test_gcj02_declared_outside_china_moves_nothing_there_and_says_so(tmp_path):
    # Places picked in AMap for a delegation to Tokyo plus its office in Shanghai: AMap shows WGS84
    # abroad, so the Tokyo points must stay where they are (they used to move by 0.4–1.2 km).
    from gridtool.layers import load_layer
    lons, lats = [139.69, 139.70, 121.47], [35.69, 35.70, 31.23]  # Tokyo ×2, Shanghai
    pd.DataFrame({"名称": ["甲", "乙", "丙"], "经度": lons, "纬度": lats}).to_csv(tmp_path / "p.csv", index=False)
    for offset in ("gcj02", "bd09"):
        lyr = load_layer("places", str(tmp_path / "p.csv"), crs_in=offset)
        got = lyr.gdf.to_crs(4326).geometry
        assert np.allclose(got.x[:2], lons[:2], atol=1e-9) and np.allclose(got.y[:2], lats[:2], atol=1e-9)
        assert abs(got.x.iloc[2] - lons[2]) > 1e-4  # inside China the offset is still undone
        said = next(p for p in lyr.problems if p.code == "offset_outside_china")
        up = offset.upper()
        assert "3 个要素中有 2 个在中国境外" in said.zh and "已原样按 WGS84 使用" in said.zh and up in said.zh
        assert "2 of 3 features lie outside China" in said.en and f"{up} has no offset" in said.en


def test_no_offset_outside_china_either_way():
    pts = np.array([shapely.Point(2.35, 48.85), shapely.Point(-74.0, 40.7)])  # Paris, New York
    for offset in ("gcj02", "bd09"):
        assert shapely.equals(wgs84_to_offset(pts, offset), pts).all()
        from gridtool.crs import offset_to_wgs84
        assert shapely.equals(offset_to_wgs84(pts, offset), pts).all()


def test_neighbours_inside_chinas_bounding_box_get_no_offset():
    """One bounding box took Laos, Hanoi, Pyongyang, Kyushu, Taipei and Ulaanbaatar for China and
    shifted AMap points there by hundreds of metres; border towns in China keep their offset."""
    from gridtool.crs import offset_to_wgs84
    abroad = {"万象": (102.60, 17.97), "琅勃拉邦": (102.13, 19.89), "河内": (105.85, 21.03),
              "平壤": (125.75, 39.03), "福冈": (130.40, 33.60), "鹿儿岛": (130.55, 31.60),
              "台北": (121.50, 25.03), "乌兰巴托": (106.90, 47.90), "符拉迪沃斯托克": (131.90, 43.10)}
    home = {"勐腊": (101.56, 21.47), "东兴": (107.97, 21.55), "河口": (103.94, 22.51), "珲春": (130.36, 42.86),
            "漠河": (122.50, 52.97), "抚远": (134.30, 48.36), "喀什": (75.99, 39.47), "三亚": (109.50, 18.25),
            "永兴岛": (112.33, 16.83)}
    for offset in ("gcj02", "bd09"):
        pts = np.array([shapely.Point(*xy) for xy in abroad.values()])
        assert shapely.equals(offset_to_wgs84(pts, offset), pts).all()
        pts = np.array([shapely.Point(*xy) for xy in home.values()])
        assert not shapely.equals(offset_to_wgs84(pts, offset), pts).any()
