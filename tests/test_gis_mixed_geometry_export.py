"""A layer of points and polygons in the GIS exports (a police station's 重点场所: schools drawn as their
grounds, ATMs as points; households as points beside building footprints): the GeoPackage, like the
shapefiles, gives a table per geometry type (``places_point``, ``places_polygon``), each opening in
QGIS as one layer with a style of its own type, and every feature is in exactly one of them.

Read back with pyogrio, ogrinfo and the ``layer_styles`` table; and every style gridtool can make
fits its geometry (no fill symbol on a line layer, no marker on an area)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

from gridtool.cli import main
from gridtool.maps import gis
from gridtool.maps.qgis import layer_style, qml

from .maps_data import X0, Y0, _gdf, make_project
from .test_places_mixed_geometry import PLACES

OGRINFO = shutil.which("ogrinfo")
SYMBOL = {"point": "marker", "line": "line", "polygon": "fill"}
QML_GEOMETRY = {"0": "point", "1": "line", "2": "polygon"}


def _styles(path) -> dict[str, dict]:
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT f_table_name, styleQML, styleSLD, description FROM layer_styles").fetchall()
    return {t: {"qml": q, "sld": s, "title": d} for t, q, s, d in rows}


def _qml_family(text: str) -> tuple[str, set[str], list[str]]:
    """(geometry the QML is for, its symbol types, its legend entries)."""
    root = ET.fromstring(text.split("\n", 1)[1])
    syms = {s.get("type") for s in root.findall("renderer-v2/symbols/symbol")}
    return (QML_GEOMETRY[root.find("layerGeometryType").text], syms,
            [r.get("label") for r in root.findall("renderer-v2/rules/rule")])


@pytest.fixture
def places_project(tmp_path):
    src = tmp_path / "places.geojson"
    src.write_text(json.dumps(PLACES, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "p.gpkg"
    assert main(["import", "--places", str(src), "--crs-in", "wgs84", "--out", str(out), "--quiet"]) == 0
    return out


def test_export_of_places_as_points_and_outlines(places_project, tmp_path, capsys):
    gpkg, shp = tmp_path / "out.gpkg", tmp_path / "shp"
    assert main(["export", str(places_project), "--gpkg", str(gpkg), "--shp", str(shp)]) == 0
    said = capsys.readouterr().out
    # the summary names both parts; they add up to the 3 places imported
    assert "GeoPackage：重点场所（点） 2、重点场所（面） 1" in said
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers == {"places_point": "Point", "places_polygon": "Polygon", "layer_styles": None}
    points = pyogrio.read_dataframe(gpkg, layer="places_point")
    areas = pyogrio.read_dataframe(gpkg, layer="places_polygon")
    assert sorted(points["name"]) == ["便民超市", "卫生院"] and areas["name"].tolist() == ["人民中学"]
    assert set(points.geom_type) == {"Point"} and set(areas.geom_type) == {"Polygon"}

    styles = _styles(gpkg)
    assert set(styles) == {"places_point", "places_polygon"}
    geom, syms, labels = _qml_family(styles["places_point"]["qml"])
    assert geom == "point" and syms == {"marker"} and "医院" in labels
    geom, syms, labels = _qml_family(styles["places_polygon"]["qml"])
    assert geom == "polygon" and syms == {"fill"} and labels[0] == "学校"  # the school's grounds by category
    assert styles["places_polygon"]["title"].startswith("重点场所（面）")
    assert "PolygonSymbolizer" in styles["places_polygon"]["sld"] and "PointSymbolizer" not in styles["places_polygon"]["sld"]
    assert "PointSymbolizer" in styles["places_point"]["sld"] and "PolygonSymbolizer" not in styles["places_point"]["sld"]

    # shapefiles: one .shp per family, the same split
    assert sorted(p.name for p in shp.glob("*.shp")) == ["places_point.shp", "places_polygon.shp"]
    assert pyogrio.read_info(shp / "places_point.shp")["features"] == 2
    assert pyogrio.read_info(shp / "places_polygon.shp")["geometry_type"] == "Polygon"

    if OGRINFO:
        for layer, kind, n in (("places_point", "Point", 2), ("places_polygon", "Polygon", 1)):
            text = subprocess.run([OGRINFO, "-ro", "-so", str(gpkg), layer], capture_output=True, text=True,
                                  check=True).stdout
            assert f"Geometry: {kind}\n" in text and f"Feature Count: {n}\n" in text


def test_households_as_points_and_buildings_each_exported_once(tmp_path):
    p = make_project()
    hh = p.layers["households"].gdf
    hh.loc[hh.index[:10], "geometry"] = [box(X0 + 10 * i, Y0, X0 + 10 * i + 8, Y0 + 8) for i in range(10)]
    hh.loc[hh.index[20], "geometry"] = None  # a roster row not yet placed: still exported, once
    out = tmp_path / "hh.gpkg"
    written = {w.layer: w.features for w in gis.write_gpkg(p, out, roles=["grids", "households"])}
    assert written == {"grids": 4, "households_point": 50, "households_polygon": 10}
    assert sum(v for k, v in written.items() if k.startswith("households")) == len(hh)
    back = {n: pyogrio.read_dataframe(out, layer=n) for n in ("households_point", "households_polygon")}
    rows = sorted(r for df in back.values() for r in df["src_id"])
    assert rows == sorted(hh["src_id"])  # every household once, none twice
    assert set(back["households_polygon"].geom_type) == {"Polygon"}
    assert back["households_point"].geometry.isna().sum() == 1
    assert set(back["households_point"].geom_type.dropna()) == {"Point"}
    styles = _styles(out)
    assert _qml_family(styles["households_point"]["qml"])[:2] == ("point", {"marker"})
    assert _qml_family(styles["households_polygon"]["qml"])[:2] == ("polygon", {"fill"})
    assert _qml_family(styles["grids"]["qml"])[:2] == ("polygon", {"fill"})  # one-type layers keep their name


def test_routing_geopackage_splits_uncovered_places(tmp_path):
    """Coverage of key places: the schools (areas) and ATMs (points) outside the circles."""
    from gridtool.maps.route_files import write_layers_gpkg

    unc = _gdf([{"name": "人民中学", "category": "school", "geometry": box(X0, Y0, X0 + 80, Y0 + 60)},
                {"name": "ATM", "category": "bank", "geometry": Point(X0 + 500, Y0 + 500)},
                {"name": "ATM 2", "category": "bank", "geometry": Point(X0 + 600, Y0 + 500)}])
    path = write_layers_gpkg(tmp_path / "coverage.gpkg", {"uncovered_10min": unc})
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"uncovered_10min_point": "Point", "uncovered_10min_polygon": "Polygon", "layer_styles": None}
    styles = _styles(path)
    assert _qml_family(styles["uncovered_10min_point"]["qml"])[:2] == ("point", {"marker"})
    assert _qml_family(styles["uncovered_10min_polygon"]["qml"])[:2] == ("polygon", {"fill"})
    assert styles["uncovered_10min_polygon"]["title"].startswith("服务圈外住户（10 分钟）（面）")


SHAPES = {"point": Point(X0, Y0), "line": LineString([(X0, Y0), (X0 + 50, Y0 + 50)]),
          "polygon": box(X0, Y0, X0 + 50, Y0 + 50)}
NAMES = [*gis.GIS_LAYERS, *gis.GIS_LAYERS_ON_REQUEST, "roads", "rivers", "railways", "forest", "sites", "walk",
         "seal_paths", "exits", "uncovered_5min", "unassigned_households", "hotspot_streets"]


@pytest.mark.parametrize("name", NAMES)
def test_every_style_fits_its_geometry(name):
    """Whatever geometry a layer turns out to have, its style (if any) is made of symbols of that type:
    QGIS draws nothing with a fill symbol on lines or a marker symbol on areas."""
    for family, shape in SHAPES.items():
        gdf = _gdf({"name": ["甲"], "category": ["school"], "team": [1], "walker": [1], "minutes": [10.0]},
                   geometry=[shape])
        st = layer_style(name, gdf)
        if st is None:
            continue
        geom, syms, _ = _qml_family(qml(st))
        assert (geom, syms) == (family, {SYMBOL[family]}), (name, family)
        classes = set(re.findall(r'class="(\w+)"', qml(st)))
        allowed = {"point": {"SimpleMarker"}, "line": {"SimpleLine"}, "polygon": {"SimpleFill", "SimpleLine"}}
        assert classes <= allowed[family], (name, family, classes)


def test_incidents_and_hot_spot_streets_are_styled():
    pts = _gdf({"type": ["盗窃"]}, geometry=[SHAPES["point"]])
    lines = _gdf({"name": ["中山路"]}, geometry=[SHAPES["line"]])
    assert layer_style("incidents", pts).rules[0].title == "警情"
    assert layer_style("hotspot_streets", lines).label.parts == ("name",)


def test_coverage_report_names_the_tables_the_rest_are_in():
    """Beyond the 50 listed, the report points to the layers of coverage.gpkg as they are written."""
    import numpy as np

    from gridtool.routing.coverage import _uncovered_lines

    n = 60
    unc = _gdf({"name": [f"场所{i}" for i in range(n)], "category": ["bank"] * n,
                "minutes_to_station": np.arange(n, dtype=float), "nearest_station": ["城南派出所"] * n},
               geometry=[box(X0, Y0, X0 + 9, Y0 + 9) if i % 3 == 0 else Point(X0 + i, Y0) for i in range(n)])
    zh, en = _uncovered_lines(10, unc)[-1]
    assert "uncovered_10min_point、uncovered_10min_polygon 图层" in zh
    assert en.endswith("(layers uncovered_10min_point, uncovered_10min_polygon)")
    zh, _ = _uncovered_lines(10, unc.assign(geometry=Point(X0, Y0)))[-1]
    assert "（见 uncovered_10min 图层）" in zh  # one type: the table keeps its name
