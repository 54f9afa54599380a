"""Titles of patrol routes and street walks when the villages name no township (no 乡镇/街道 column,
names not written in full): the station or the villages the routes cover, the villages of a walk's
grid — never the project's file name (``demo_project巡逻路线`` is not what an officer prints). The
command line (``gridtool walk``, ``gridtool export --gpx``) and the app's exports (the same
``gis.write_gpx`` and route cards) take the title from one function."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from gridtool import cli
from gridtool.layers import Layer
from gridtool.maps import gis
from gridtool.maps.route_files import route_title
from gridtool.maps.titles import map_title
from gridtool.project import Project

from .patrol_data import patrol_town
from .test_routing_graph import GK108, X0, Y0

VILLAGES = ["东风村", "红星村", "新华社区", "和平村", "长青村"]


def _villages(n: int = 5) -> gpd.GeoDataFrame:
    """Villages side by side, 200 m wide, codes of a township no layer names."""
    return gpd.GeoDataFrame({"name": VILLAGES[:n], "code": [f"5001010010{i + 1:02d}" for i in range(n)]},
                            geometry=[box(X0 + 200 * i - 1, Y0 - 1, X0 + 200 * (i + 1), Y0 + 1000) for i in range(n)],
                            crs=GK108)


def _project(*, stations: bool) -> Project:
    p = Project(name="demo_project")
    p.add_layer(Layer("villages", _villages()))
    if stations:
        p.add_layer(Layer("stations", gpd.GeoDataFrame({"name": ["城关派出所"]}, geometry=[Point(X0 + 50, Y0 + 50)],
                                                       crs=GK108)))
    # one route along y=100 through all five villages, and one along the first village only
    routes = gpd.GeoDataFrame({"team": [1, 2], "station": ["城关派出所", "城关派出所"] if stations else [None, None]},
                              geometry=[LineString([(X0 + 50, Y0 + 100), (X0 + 950, Y0 + 100)]),
                                        LineString([(X0 + 50, Y0 + 100), (X0 + 50, Y0 + 900)])], crs=GK108)
    p.add_layer(Layer("routes", routes))
    return p


def _gpx_name(path) -> str:
    root = ET.parse(path).getroot()
    return root.find("{http://www.topografix.com/GPX/1/1}metadata/{http://www.topografix.com/GPX/1/1}name").text


def test_patrol_routes_are_titled_by_their_station_not_the_project_file(tmp_path):
    p = _project(stations=True)
    assert route_title(p) == "城关派出所巡逻路线"
    assert map_title(p, "cards") == "城关派出所巡逻路线卡"  # the route cards' heading
    gis.write_gpx(p, tmp_path / "routes.gpx")  # the app's and gridtool export --gpx's GPX
    assert _gpx_name(tmp_path / "routes.gpx") == "城关派出所巡逻路线"
    assert "demo_project" not in (tmp_path / "routes.gpx").read_text(encoding="utf-8")


def test_routes_without_station_names_are_titled_by_the_villages_they_cover():
    p = _project(stations=False)
    # the first village holds most of the routes' length, then the others west to east
    assert route_title(p) == "东风村、红星村等5个村（社区）巡逻路线"
    assert map_title(p, "cards") == "东风村、红星村等5个村（社区）巡逻路线卡"
    p.layers["villages"].gdf = _villages(2)
    assert route_title(p) == "东风村、红星村巡逻路线"


def test_a_township_column_still_names_the_routes():
    p = _project(stations=True)
    p.layers["villages"].gdf = _villages().assign(街道=["城关镇"] * 5)
    assert route_title(p) == "城关镇巡逻路线" and map_title(p, "cards") == "城关镇巡逻路线卡"


def test_a_street_walk_is_titled_by_its_grids_village(tmp_path, capsys):
    t = patrol_town()
    p = Project(name="demo_project")
    p.add_layer(Layer("roads", t["roads"].assign(src_id=[f"FID {i}" for i in range(len(t["roads"]))])))
    p.add_layer(Layer("villages", _villages()))
    # the grid lies mostly in 红星村 (200–400 m), a little in 东风村
    p.add_layer(Layer("grids", gpd.GeoDataFrame({"code": ["500101001002-01"], "hh": [400]},
                                                geometry=[box(X0 + 150, Y0 - 1, X0 + 390, Y0 + 301)], crs=GK108)))
    path = tmp_path / "p.gpkg"
    p.save(path)
    out = tmp_path / "walk"
    assert cli.main(["walk", str(path), "--grid", "500101001002-01", "--out", str(out)]) == 0
    capsys.readouterr()
    title = "红星村、东风村网格 500101001002-01 街巷巡查路线"
    assert _gpx_name(out / "walk-500101001002-01.gpx") == title
    kml = ET.parse(out / "walk-500101001002-01.kml").getroot()
    assert kml.find("{http://www.opengis.net/kml/2.2}Document/{http://www.opengis.net/kml/2.2}name").text == title
    from pypdf import PdfReader
    card = "\n".join(pg.extract_text() for pg in PdfReader(out / "walk-500101001002-01-card.pdf").pages)
    assert f"{title}卡" in card and "demo_project" not in card
