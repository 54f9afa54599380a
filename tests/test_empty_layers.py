"""An empty layer gridtool writes keeps its geometry type and CRS (round 29): a township without
key places has no special grids and no corridors, and their layers were written with no geometry
type (``GEOMETRY``/``Unknown``), which QGIS lists as a table, not a layer of the map."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest


@pytest.fixture
def project_with_empty_layers(written):
    from gridtool.layers import Layer
    from gridtool.project import Project
    p = Project.from_sources({r: written[r] for r in ("households", "villages", "roads")}, name="无场所")
    for role in ("special_grids", "corridors"):  # as a partition leaves them without key places
        p.layers[role] = Layer(role, gpd.GeoDataFrame({"code": []}, geometry=[], crs=p.crs))
    # one made without a CRS (an empty frame from a step that never saw a geometry)
    p.layers["changes"] = Layer("changes", gpd.GeoDataFrame({"village": []}, geometry=[]))
    return p


def test_empty_layers_keep_their_geometry_type_and_crs(tmp_path, project_with_empty_layers):
    from gridtool.project import Project
    p = project_with_empty_layers
    path = p.save(tmp_path / "p.gpkg")
    for role in ("special_grids", "corridors", "changes"):
        info = pyogrio.read_info(path, layer=role)
        assert info["features"] == 0 and info["geometry_type"] == "MultiPolygon", (role, info["geometry_type"])
        assert info["crs"] and gpd.GeoSeries([], crs=info["crs"]).crs.equals(p.crs), (role, info["crs"])
    # opened and saved again (the app's 保存): still typed
    again = Project.open(path).save(tmp_path / "again.gpkg")
    assert pyogrio.read_info(again, layer="special_grids")["geometry_type"] == "MultiPolygon"
    # a layer with rows still takes its type from them
    assert pyogrio.read_info(path, layer="roads")["geometry_type"] in ("LineString", "MultiLineString")
