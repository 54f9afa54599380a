"""Coordinates: GCJ-02/BD-09 back to WGS84 within metres, metric CRS choice, CRS mistakes caught."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import Point

from gridtool.crs import (check_fits, guess_crs, metric_crs_for, offset_to_wgs84, parse_crs,
                          wgs84_to_offset)
from gridtool.errors import CRSError
from gridtool.layers import load_layer

GEOD = pyproj.Geod(ellps="WGS84")

# Published reference pairs: (WGS84 lat, lon, GCJ-02 lat, lon), from the eviltransform test suite
# (Shanghai, Shenzhen, Beijing), and a WGS84 point with the GCJ-02 value AMap's API returned.
GCJ_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    (39.90734, 116.39089, 39.90874539, 116.39713623),
]
# The coordtransform (wandergis) example: GCJ-02 (116.404, 39.915) is BD-09
# (116.41036949371029, 39.92133699351021) and WGS84 (116.39775550083061, 39.91359571849836).
BD_GCJ_WGS = ((116.41036949371029, 39.92133699351021), (116.404, 39.915),
              (116.39775550083061, 39.91359571849836))


def _dist_m(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize("wlat,wlon,glat,glon", GCJ_PAIRS)
def test_gcj02_to_wgs84_within_5_m_of_reference(wlat, wlon, glat, glon):
    out = offset_to_wgs84(np.array([Point(glon, glat)]), "gcj02")[0]
    assert _dist_m(out.x, out.y, wlon, wlat) < 5.0
    # The offset itself is hundreds of metres: undoing it matters.
    assert _dist_m(glon, glat, wlon, wlat) > 100


def test_bd09_to_wgs84_within_5_m_of_reference():
    (blon, blat), (glon, glat), (wlon, wlat) = BD_GCJ_WGS
    from_bd = offset_to_wgs84(np.array([Point(blon, blat)]), "bd09")[0]
    from_gcj = offset_to_wgs84(np.array([Point(glon, glat)]), "gcj02")[0]
    assert _dist_m(from_bd.x, from_bd.y, wlon, wlat) < 5.0
    assert _dist_m(from_gcj.x, from_gcj.y, wlon, wlat) < 5.0
    # BD-09 sits about a kilometre off WGS84 here.
    assert _dist_m(blon, blat, wlon, wlat) > 500


def test_offset_round_trip_on_lines_and_polygons():
    geoms = np.array([shapely.box(106.5, 29.5, 106.51, 29.51),
                      shapely.LineString([(106.5, 29.5), (106.6, 29.6)])])
    back = offset_to_wgs84(wgs84_to_offset(geoms, "gcj02"), "gcj02")
    for a, b in zip(geoms, back):
        ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
        assert max(_dist_m(x1, y1, x2, y2) for (x1, y1), (x2, y2) in zip(ca, cb)) < 0.5


@pytest.mark.parametrize("text,expected", [
    ("gcj02", ("gcj02", 4326)), ("GCJ-02", ("gcj02", 4326)), ("高德", ("gcj02", 4326)),
    ("bd09", ("bd09", 4326)), ("百度", ("bd09", 4326)), ("wgs84", (None, 4326)),
    ("cgcs2000", (None, 4490)), ("EPSG:4490", (None, 4490)), ("4547", (None, 4547)),
])
def test_parse_crs_understands_what_planners_type(text, expected):
    spec = parse_crs(text)
    assert (spec.offset, spec.crs.to_epsg()) == expected


def test_parse_crs_rejects_nonsense_with_a_fix():
    with pytest.raises(CRSError) as info:
        parse_crs("火星2000")
    assert "gcj02" in str(info.value) and "EPSG" in str(info.value)


def test_metric_crs_is_cgcs2000_gk_zone_in_china_and_utm_elsewhere():
    chongqing = metric_crs_for(106.55, 29.56)
    assert "CGCS2000" in chongqing.name and "108E" in chongqing.name
    nanjing = metric_crs_for(118.8, 32.06)
    assert "120E" in nanjing.name
    vaduz = metric_crs_for(9.52, 47.14)
    assert vaduz.to_epsg() == 32632


def test_guess_crs_reads_zone_prefixed_gauss_kruger():
    # 36 500 000 easting: 3-degree zone 36 (CM 108E) with prefix -> EPSG:4524.
    spec = guess_crs((36_480_000, 3_265_000, 36_482_000, 3_266_000))
    assert spec.crs.to_epsg() == 4524
    assert guess_crs((106.0, 29.0, 107.0, 30.0)).crs.to_epsg() == 4326
    assert guess_crs((480_000, 3_265_000, 482_000, 3_266_000)) is None  # ambiguous: no guess


def test_check_fits_catches_metres_declared_as_degrees_and_swapped_axes():
    with pytest.raises(CRSError, match="metres"):
        check_fits((480_000, 3_265_000, 482_000, 3_266_000), pyproj.CRS.from_epsg(4326), file="x.csv")
    with pytest.raises(CRSError, match="swapped"):
        check_fits((29.5, 106.5, 29.6, 106.6), pyproj.CRS.from_epsg(4326), file="x.csv")
    with pytest.raises(CRSError, match="degrees"):
        check_fits((106.5, 29.5, 106.6, 29.6), pyproj.CRS.from_epsg(4545))


def test_loading_gcj02_points_moves_them_back_to_wgs84(tmp_path):
    wlat, wlon, glat, glon = GCJ_PAIRS[2]
    csv = tmp_path / "amap.csv"
    pd.DataFrame({"名称": ["天安门附近"], "经度": [glon], "纬度": [glat]}).to_csv(csv, index=False)
    lyr = load_layer("places", str(csv), crs_in="gcj02")
    p = lyr.gdf.geometry.iloc[0]
    assert lyr.gdf.crs.to_epsg() == 4326 and lyr.crs_in == "gcj02"
    assert _dist_m(p.x, p.y, wlon, wlat) < 5.0


def test_gcj02_declared_for_projected_file_is_refused(tmp_path, township):
    path = tmp_path / "v.gpkg"
    township["villages"].to_file(path, layer="villages")
    with pytest.raises(CRSError) as info:
        load_layer("villages", str(path), crs_in="gcj02")
    assert "v.gpkg" in str(info.value)


def test_layer_without_crs_and_ambiguous_metres_asks_for_crs_in(tmp_path):
    csv = tmp_path / "xy.csv"
    pd.DataFrame({"x": [480_000.0, 480_500.0], "y": [3_265_000.0, 3_265_400.0]}).to_csv(csv, index=False)
    with pytest.raises(CRSError) as info:
        load_layer("households", str(csv))
    text = str(info.value)
    assert "xy.csv" in text and "--crs-in" in text
    lyr = load_layer("households", str(csv), crs_in="EPSG:4545")
    assert lyr.gdf.crs.to_epsg() == 4545 and len(lyr.gdf) == 2


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490", "EPSG:3857", "EPSG:4545", "EPSG:4524"])
def test_every_input_crs_lands_on_the_same_ground(tmp_path, township, crs):
    """WGS84, CGCS2000, Web Mercator, GK zone (with and without prefix): same place within a metre."""
    from gridtool.project import Project
    path = tmp_path / "v.gpkg"
    township["villages"].to_crs(crs).to_file(path, layer="villages")
    project = Project.from_sources({"villages": f"{path}:villages"})
    assert "108E" in project.crs.name
    got = project.layers["villages"].gdf.geometry
    ref = township["villages"].geometry
    assert max(a.hausdorff_distance(b) for a, b in zip(got, ref)) < 1.0
    # Exports go back to what the user gave.
    back = project.to_user_crs(project.layers["villages"].gdf)
    assert back.crs.equals(pyproj.CRS.from_user_input(crs))


def test_export_back_to_gcj02_reapplies_the_offset(tmp_path):
    from gridtool.project import Project
    wlat, wlon, glat, glon = GCJ_PAIRS[0]
    csv = tmp_path / "amap.csv"
    pd.DataFrame({"经度": [glon], "纬度": [glat], "户数": [3]}).to_csv(csv, index=False)
    project = Project.from_sources({"households": str(csv)}, crs_in="gcj02")
    assert project.user_crs == "gcj02"
    p = project.to_user_crs(project.layers["households"].gdf).geometry.iloc[0]
    assert _dist_m(p.x, p.y, glon, glat) < 0.5
