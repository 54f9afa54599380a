"""Property tests: conversions and text survive whatever values planners' data hold."""

from __future__ import annotations

import string

import geopandas as gpd
import numpy as np
import pyproj
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from gridtool.crs import in_china, offset_to_wgs84, wgs84_to_offset
from gridtool.layers import load_layer
from gridtool.project import Project

GEOD = pyproj.Geod(ellps="WGS84")

# Common Chinese characters (the GB2312 level-1 block starts at 啊): village and person names.
CJK = st.characters(min_codepoint=0x554A, max_codepoint=0x9F3F).filter(
    lambda c: c.encode("gbk", errors="ignore") != b"")
TEXT = st.text(alphabet=st.one_of(CJK, st.sampled_from(string.ascii_letters + string.digits + "（）-·")),
               min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(73.6, 134.7), lat=st.floats(18.2, 53.5))
def test_gcj02_round_trip_within_half_a_metre_anywhere_in_china(lon, lat):
    # Within 0.02° (2 km, well over the offset) of the border of where the offset applies, a point
    # and its shifted self lie on two sides: neither AMap nor this can round-trip there.
    near = in_china(np.array([lon - .02, lon + .02, lon - .02, lon + .02]), np.array([lat - .02, lat - .02, lat + .02, lat + .02]))
    assume(near.all() or not near.any())
    gcj = wgs84_to_offset(np.array([Point(lon, lat)]), "gcj02")
    back = offset_to_wgs84(gcj, "gcj02")[0]
    assert GEOD.inv(lon, lat, back.x, back.y)[2] < 0.5
    bd = wgs84_to_offset(np.array([Point(lon, lat)]), "bd09")
    back = offset_to_wgs84(bd, "bd09")[0]
    assert GEOD.inv(lon, lat, back.x, back.y)[2] < 0.5


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(TEXT, min_size=1, max_size=6, unique=True))
def test_any_gbk_village_names_come_back_from_a_shapefile_without_cpg_and_a_project(tmp_path_factory, names):
    tmp = tmp_path_factory.mktemp("gbk")
    vil = gpd.GeoDataFrame({"名称": names},
                           geometry=[box(106 + i * 0.01, 29, 106.01 + i * 0.01, 29.01) for i in range(len(names))],
                           crs=4326)
    shp = tmp / "v.shp"
    vil.to_file(shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    lyr = load_layer("villages", str(shp))
    assert list(lyr.gdf["name"]) == names
    project = Project()
    project.add_layer(lyr)
    back = Project.open(project.save(tmp / "p.gpkg"))
    assert list(back.layers["villages"].gdf["name"]) == names
