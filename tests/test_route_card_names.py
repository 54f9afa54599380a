"""What a patrol reads on its route card: an unnamed place as its class in Chinese and the road it
is near (银行（无名称，近东4路）), never the source file's FID (银行（FID 28）, the newcomer run's
Nanjing card); and a place or station's Chinese name (OSM name:zh) over an English one."""

from __future__ import annotations

import subprocess

import geopandas as gpd
import pypdf
from shapely.geometry import Point

from gridtool.layers import Layer, load_layer
from gridtool.maps.cards import write_route_cards
from gridtool.project import Project
from gridtool.routing.graph import build_graph
from gridtool.routing.patrol import plan_patrol
from gridtool.routing.project_layers import add_routes_to_project

from .test_routing_graph import GK108, X0, Y0, town


def _pdf_text(path) -> str:
    text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages)
    try:
        text += subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pass
    return text


def test_unnamed_places_on_route_cards_read_as_class_and_nearby_road(tmp_path):
    t = town(n=5)
    places = gpd.GeoDataFrame(
        {"name": ["实验小学", None, "", None],
         "category": ["school", "bank", "bank", "supermarket"],
         "src_id": ["FID 0", "FID 28", "FID 19", "FID 7"]},
        # two unnamed banks on 东4路 (y = 400), a shop 20 m off 北1街 (x = 100), far from any other road
        geometry=[Point(X0 + 310, Y0 + 105), Point(X0 + 205, Y0 + 404), Point(X0 + 305, Y0 + 396),
                  Point(X0 + 120, Y0 + 250)], crs=GK108)
    graph = build_graph(t["roads"], mode="walk")
    plan = plan_patrol(graph, t["stations"], places, teams=1, start="14:00", shift_minutes=240, strict=False,
                       time_limit=1.0)
    names = set(plan.stops["place"])
    assert names == {"实验小学", "银行（无名称，近东4路）", "银行（无名称，近东4路，第2处）", "超市（无名称，近北1街）"}
    p = Project(name="t")
    p.add_layer(Layer("roads", t["roads"]))
    add_routes_to_project(p, plan)
    pdf = write_route_cards(p, tmp_path / "cards.pdf", township="城关镇")
    text = _pdf_text(pdf)
    assert "FID" not in text
    assert "银行（无名称，近东4路）" in text.replace("\n", "")


def test_cards_of_an_older_plan_drop_the_feature_id(tmp_path):
    """A project planned before this change has 银行（FID 28） in its route_stops: printed without it."""
    from gridtool.maps.cards import street_name

    assert street_name("银行（FID 28）") == "银行（无名称）"
    assert street_name("中国银行（新街口支行）") == "中国银行（新街口支行）"
    t = town(n=5)
    graph = build_graph(t["roads"], mode="walk")
    places = t["places"].iloc[:3].copy()
    plan = plan_patrol(graph, t["stations"], places, teams=1, start="14:00", shift_minutes=240, strict=False,
                       time_limit=1.0)
    p = Project(name="t")
    p.add_layer(Layer("roads", t["roads"]))
    add_routes_to_project(p, plan)
    stops = p.layers["route_stops"].gdf
    stops.loc[stops.index[0], "place"] = "银行（FID 28）"
    text = _pdf_text(write_route_cards(p, tmp_path / "old.pdf"))
    assert "FID" not in text and "银行（无名称）" in text


def test_places_and_stations_prefer_the_chinese_name_column(tmp_path):
    path = tmp_path / "pois.gpkg"
    gpd.GeoDataFrame({"name": ["Wulaocun Police Station", "Suguo Supermarket", "Bank of China"],
                      "name:zh": ["五老村派出所", "苏果超市", None],
                      "amenity": ["police", "supermarket", "bank"]},
                     geometry=[Point(X0, Y0), Point(X0 + 50, Y0), Point(X0 + 90, Y0)], crs=GK108).to_file(path)
    for role in ("places", "stations"):
        lyr = load_layer(role, str(path))
        # the Chinese name where the row has one, the file's own name otherwise (nothing left blank)
        assert lyr.gdf["name"].tolist() == ["五老村派出所", "苏果超市", "Bank of China"], role
