"""Key places given as points and as outlines in one file (a school drawn as its grounds, a shop as a
point) stay both in the project: the ``places`` layer is declared GEOMETRY ("Unknown (any)" to
ogrinfo), and gridtool, pyogrio and GDAL read every row back with its own type and shape.

QGIS lists such a layer as two sub-layers (points, polygons) and loads the ones chosen; what a
GeoPackage cannot do is give one layer two types, so nothing is dropped or converted here."""

from __future__ import annotations

import json
import shutil
import subprocess

import pyogrio
import pytest

from gridtool.cli import main
from gridtool.project import Project

PLACES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"名称": "人民中学", "类别": "学校"},
     "geometry": {"type": "Polygon", "coordinates": [[[118.790, 32.050], [118.792, 32.050], [118.792, 32.052],
                                                      [118.790, 32.052], [118.790, 32.050]]]}},
    {"type": "Feature", "properties": {"名称": "便民超市", "类别": "商店"},
     "geometry": {"type": "Point", "coordinates": [118.795, 32.055]}},
    {"type": "Feature", "properties": {"名称": "卫生院", "类别": "医院"},
     "geometry": {"type": "Point", "coordinates": [118.797, 32.051]}}]}


@pytest.fixture
def project(tmp_path):
    src = tmp_path / "places.geojson"
    src.write_text(json.dumps(PLACES, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "p.gpkg"
    main(["import", "--places", str(src), "--crs-in", "wgs84", "--out", str(out), "--quiet"])
    return out


def test_points_and_outlines_of_places_all_come_back(project):
    assert pyogrio.read_info(project, layer="places")["geometry_type"] == "Unknown"
    raw = pyogrio.read_dataframe(project, layer="places")
    assert raw.geom_type.tolist() == ["Polygon", "Point", "Point"]
    assert 35_000 < raw.geometry.iloc[0].area < 60_000  # the school's grounds, ~190 × 220 m, not a point
    again = Project.open(project).layers["places"].gdf
    assert again.geom_type.tolist() == ["Polygon", "Point", "Point"]
    assert again["name"].tolist() == ["人民中学", "便民超市", "卫生院"]


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (Debian gdal-bin) not installed")
def test_ogrinfo_sees_both_types_in_the_places_layer(project):
    run = subprocess.run(["ogrinfo", "-ro", "-al", "-geom=SUMMARY", str(project), "places"],
                         capture_output=True, text=True, check=True)
    assert "Geometry: Unknown (any)" in run.stdout and "Feature Count: 3" in run.stdout
    assert run.stdout.count("POLYGON :") == 1 and run.stdout.count("POINT :") == 2
