"""GIS exports read back as QGIS or a GPS app would: counts, CRS, Chinese attributes, .cpg files,
shapefile field names, masked or dropped personal data, atomic writes."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pyogrio
import pyproj
import pytest

from gridtool.errors import GridtoolError, OverwriteInputError
from gridtool.maps import gis

from .maps_data import NAMES, PHONE, XSS, make_project

OGRINFO = shutil.which("ogrinfo")
EXPECTED = {"grids": 4, "subgrids": 8, "special_grids": 1, "corridors": 1, "routes": 2, "route_stops": 5,
            "circles": 2, "places": 4}
#: Places hold points and polygons: GeoPackage and shapefiles give a table per geometry type.
SPLIT = {k: v for k, v in EXPECTED.items() if k != "places"} | {"places_point": 3, "places_polygon": 1}


@pytest.fixture(scope="module")
def project():
    return make_project()


def _ogrinfo(*args: str) -> str:
    return subprocess.run([OGRINFO, "-ro", *args], capture_output=True, text=True, check=True).stdout


def test_geopackage(project, tmp_path):
    out = tmp_path / "网格.gpkg"
    written = gis.write_gpkg(project, out)
    assert {w.layer: w.features for w in written} == SPLIT
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == set(SPLIT) | {"layer_styles"}  # + QGIS styles
    for role, n in SPLIT.items():
        assert pyogrio.read_info(out, layer=role)["features"] == n
    grids = pyogrio.read_dataframe(out, layer="grids")
    assert pyproj.CRS(grids.crs).equals(pyproj.CRS("EPSG:4490"))  # the user's CRS, not the project's metres
    assert grids["village"].tolist()[2] == XSS and grids["village"].tolist()[0] == "东方广场社区"
    assert "worker_phone" not in grids  # personal columns are left out of GIS tables
    assert (pyogrio.read_dataframe(out, layer="subgrids").geom_type.isin(["Polygon", "MultiPolygon"])).all()
    assert not list(tmp_path.glob(".gridtool-export-*"))
    # GeoPackage 1.2, as projects are: the GDAL/QGIS of office PCs open 1.4 with a warning.
    import sqlite3
    with sqlite3.connect(out) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    if OGRINFO:
        text = _ogrinfo("-so", str(out), "grids")
        assert "Feature Count: 4" in text and "village" in text
    kept = gis.write_gpkg(project, tmp_path / "full.gpkg", include_personal=True)
    assert kept and "worker_phone" in pyogrio.read_dataframe(tmp_path / "full.gpkg", layer="grids")


def test_geopackage_other_crs_and_layers(project, tmp_path):
    out = tmp_path / "gk.gpkg"
    written = gis.write_gpkg(project, out, roles=["grids", "routes"], crs="EPSG:4545")
    assert [w.layer for w in written] == ["grids", "routes"]
    assert pyproj.CRS(pyogrio.read_info(out, layer="grids")["crs"]).to_epsg() == 4545


def test_field_names_fit_dbase():
    names = gis.shapefile_field_names(["polsby_popper", "polsby_pop", "Polsby_Popper_2", "村社区网格编码", "hh"])
    assert names["polsby_popper"] == "polsby_pop"
    assert names["polsby_pop"] == "polsby_p_1"
    assert names["Polsby_Popper_2"] == "Polsby_P_2"
    assert names["村社区网格编码"] == "村社区"  # 10 bytes of UTF-8 hold 3 Chinese characters
    assert names["hh"] == "hh"
    assert gis.shapefile_field_names(["村社区网格编码"], "gbk")["村社区网格编码"] == "村社区网格"  # 5 in GBK
    assert all(len(v.encode("utf-8")) <= 10 for v in names.values())


@pytest.mark.parametrize("encoding, cpg", [("utf-8", "UTF-8"), ("gbk", "GBK")])
def test_shapefiles(project, tmp_path, encoding, cpg):
    out = tmp_path / "shp"
    # English field names (--lang en): cut to dBase's 10 bytes; the Chinese ones: test_zh_outputs.
    written = {w.layer: w for w in gis.write_shapefiles(project, out, encoding=encoding, lang="en")}
    # Places hold points and polygons: one file per geometry type.
    assert set(written) == set(EXPECTED) - {"places"} | {"places_point", "places_polygon"}
    assert written["places_point"].features == 3 and written["places_polygon"].features == 1
    for name, w in written.items():
        assert w.path == out / f"{name}.shp"
        assert (out / f"{name}.cpg").read_text(encoding="ascii").strip() == cpg
        assert (out / f"{name}.prj").exists()
        assert pyogrio.read_info(w.path)["features"] == w.features
    grids = pyogrio.read_dataframe(out / "grids.shp")
    assert grids["village"].tolist()[0] == "东方广场社区" and grids["village"].tolist()[2] == XSS
    assert "polsby_pop" in grids and "village_co" in grids and "worker_phone" not in grids
    assert grids["locked"].tolist() == [0, 1, 0, 1]
    # A 360-character text is cut to 254 bytes, on a character boundary, and the cut is reported.
    codec = "gbk" if encoding == "gbk" else "utf-8"
    assert len(grids["place_name"][0].encode(codec)) <= 254 and grids["place_name"][0].startswith("学校、")
    assert any("254" in n for n in written["grids"].notes)
    fields = pd.read_csv(out / "fields.csv", encoding="utf-8-sig")
    row = fields[(fields.layer == "grids") & (fields.field == "polsby_popper")]
    assert row["shapefile_field"].tolist() == ["polsby_pop"]
    sub = pyogrio.read_dataframe(out / "subgrids.shp")
    assert len(sub) == 8 and sub.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    if OGRINFO:
        text = _ogrinfo("-geom=NO", "-fid", "0", str(out / "grids.shp"), "grids")
        assert "东方广场社区" in text


def test_shapefiles_gbk_replaces_what_gbk_lacks(tmp_path):
    p = make_project()
    p.layers["grids"].gdf.loc[0, "village"] = "𠀀村"  # CJK extension B: not in GBK
    written = {w.layer: w for w in gis.write_shapefiles(p, tmp_path / "gbk", encoding="gbk")}
    assert pyogrio.read_dataframe(tmp_path / "gbk" / "grids.shp")["村社区"][0] == "?村"
    assert any("GBK" in n for n in written["grids"].notes)
    with pytest.raises(GridtoolError):
        gis.write_shapefiles(p, tmp_path / "x", encoding="latin-1")


def test_shapefile_name_and_zip(project, tmp_path):
    written = gis.write_shapefiles(project, tmp_path / "out" / "网格.shp")
    assert (tmp_path / "out" / "网格-grids.shp").exists() and (tmp_path / "out" / "网格-fields.csv").exists()
    assert len(written) == 9
    z = tmp_path / "网格.zip"
    gis.write_shapefiles(project, z, encoding="gbk")
    names = zipfile.ZipFile(z).namelist()
    assert "grids.shp" in names and "grids.cpg" in names and "fields.csv" in names
    df = pyogrio.read_dataframe(f"/vsizip/{z}/grids.shp")
    assert df["村社区"].tolist()[0] == "东方广场社区"


def test_geojson_is_rfc7946(project, tmp_path):
    written = gis.write_geojson(project, tmp_path / "gj")
    assert {w.layer: w.features for w in written} == EXPECTED
    import json
    data = json.loads((tmp_path / "gj" / "grids.geojson").read_text(encoding="utf-8"))
    assert "crs" not in data and data["type"] == "FeatureCollection"
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert 100 < lon < 115 and 25 < lat < 35
    assert data["features"][0]["properties"]["village"] == "东方广场社区"
    gis.write_geojson(project, tmp_path / "b" / "镇.geojson", roles=["routes"])
    assert (tmp_path / "b" / "镇-routes.geojson").exists()


def _kml_folders(root):
    ns = {"k": gis.KML_NS}
    return {f.find("k:name", ns).text: f.findall("k:Placemark", ns) for f in root.iter(f"{{{gis.KML_NS}}}Folder")}


def test_kml_and_kmz(project, tmp_path):
    kml = tmp_path / "网格.kml"
    written = gis.write_kml(project, kml)
    assert {w.layer: w.features for w in written} == EXPECTED
    root = ET.parse(kml).getroot()
    folders = _kml_folders(root)
    assert len(folders["基础网格 grids"]) == 4 and len(folders["巡逻点位 route_stops"]) == 5
    names = [pm.find(f"{{{gis.KML_NS}}}name").text for pm in folders["基础网格 grids"]]
    assert names[0] == "500101001001-01"
    styles = {s.get("id") for s in root.iter(f"{{{gis.KML_NS}}}Style")}
    assert {"grid0", "grid1"} <= styles and "team1" in styles
    # The <script> village name is plain text in the XML, escaped by the serializer.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in kml.read_text(encoding="utf-8")
    lyr = pyogrio.read_dataframe(kml, layer="基础网格 grids")
    assert len(lyr) == 4 and lyr["村社区"].tolist()[0] == "东方广场社区"  # gridtool's fields in Chinese
    kmz = tmp_path / "网格.kmz"
    gis.write_kml(project, kmz)
    assert zipfile.ZipFile(kmz).namelist() == ["doc.kml"]
    assert len(pyogrio.read_dataframe(kmz, layer="子网格 subgrids")) == 8
    if OGRINFO:
        assert "基础网格 grids" in _ogrinfo("-so", str(kml))


def test_kml_masks_personal_data(project, tmp_path):
    kml = tmp_path / "hh.kml"
    gis.write_kml(project, kml, roles=["households"])
    text = kml.read_text(encoding="utf-8")
    assert NAMES[0] not in text and PHONE not in text and "张*丰" in text and "138****1234" in text
    gis.write_kml(project, kml, roles=["households"], include_personal=True)
    assert NAMES[0] in kml.read_text(encoding="utf-8")


def test_gpx(project, tmp_path):
    out = tmp_path / "巡逻.gpx"
    gis.write_gpx(project, out)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    root = ET.parse(out).getroot()
    assert len(root.findall("g:wpt", ns)) == 5 and len(root.findall("g:rte", ns)) == 2
    assert len(root.findall("g:trk", ns)) == 2
    wpt = root.find("g:wpt", ns)
    assert 100 < float(wpt.get("lon")) < 115 and 25 < float(wpt.get("lat")) < 35
    assert len(pyogrio.read_dataframe(out, layer="waypoints")) == 5
    bare = make_project()
    del bare.layers["routes"], bare.layers["route_stops"]
    with pytest.raises(GridtoolError):
        gis.write_gpx(bare, tmp_path / "none.gpx")


def test_never_overwrites_inputs(tmp_path):
    from gridtool.project import Project
    saved = make_project().save(tmp_path / "p.gpkg")
    q = Project.open(saved)
    before = saved.read_bytes()
    for write in (gis.write_gpkg, gis.write_kml):
        with pytest.raises(OverwriteInputError):
            write(q, saved)
    # A shapefile set whose members would replace an input shapefile's parts.
    src = tmp_path / "in"
    src.mkdir()
    q.layers["villages"].source = str(src / "grids.shp")
    with pytest.raises(OverwriteInputError):
        gis.write_shapefiles(q, src)
    # NAME.shp writes NAME-fields.csv beside the set: that file is checked too.
    roster = tmp_path / "网格-fields.csv"
    roster.write_text("hh\n3\n", encoding="utf-8")
    q.layers["villages"].source = str(roster)
    with pytest.raises(OverwriteInputError):
        gis.write_shapefiles(q, tmp_path / "网格.shp")
    assert roster.read_text(encoding="utf-8") == "hh\n3\n"
    assert saved.read_bytes() == before


def test_failed_write_leaves_the_old_file(project, tmp_path, monkeypatch):
    out = tmp_path / "keep.gpkg"
    gis.write_gpkg(project, out, roles=["grids"])
    before = out.read_bytes()
    calls = {"n": 0}
    real = pyogrio.write_dataframe

    def failing(df, path, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(df, path, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError):
        gis.write_gpkg(project, out)
    assert out.read_bytes() == before
    assert not list(tmp_path.glob(".gridtool-export-*"))


@pytest.mark.parametrize("write,name", [(gis.write_shapefiles, "shp"), (gis.write_geojson, "geojson")])
def test_cancel_while_a_set_is_put_in_place_leaves_the_whole_old_set(project, tmp_path, write, name):
    """The app's Cancel pressed while the first file of a shapefile or GeoJSON set is renamed
    (the job's cancel check is asked once per rename): the folder keeps the whole earlier export,
    or the whole new one, never a new .shp beside an old .dbf; no temporary file stays."""
    from gridtool.atomic import cancel_publishing
    from gridtool.errors import CancelledError

    out = tmp_path / name
    write(project, out, roles=["grids"])
    old = {f.name: f.read_bytes() for f in out.iterdir()}
    asked = []

    def cancelled():  # Cancel pressed once the first file has been asked about
        asked.append(1)
        return len(asked) > 1

    try:
        with cancel_publishing(cancelled):
            write(project, out, roles=["grids", "places"], include_personal=True)  # other grid columns
    except CancelledError:
        now = {f.name: f.read_bytes() for f in out.iterdir()}
        assert now == old  # nothing of the new set
    else:
        ref = tmp_path / "ref"
        write(project, ref, roles=["grids", "places"], include_personal=True)
        assert {f.name: f.read_bytes() for f in out.iterdir()} == {f.name: f.read_bytes() for f in ref.iterdir()}
    assert not [f for f in tmp_path.rglob(".gridtool-export*")]
