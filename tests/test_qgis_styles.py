"""QGIS styles (the ``layer_styles`` table) in the project, the GIS export and the routing GeoPackages:
rows present and registered as QGIS's own writer registers them, QML and SLD that parse, refer to
existing fields and colour the grids as the wall map does; ogrinfo still reads the files without a
warning; and, where PyQGIS is installed, QGIS itself applies them."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pyogrio
import pytest

from gridtool.maps import gis
from gridtool.maps.colours import grid_colours
from gridtool.maps.qgis import STYLE_TABLE, write_layer_styles
from gridtool.project import Project

from .maps_data import make_project

QGIS_COLUMNS = ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]
ROLES = [*gis.GIS_LAYERS, "villages", "households"]


@pytest.fixture(scope="module")
def project():
    return make_project()


@pytest.fixture(scope="module")
def export(project, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("qgis") / "grids.gpkg"
    gis.write_gpkg(project, path, roles=ROLES)
    return path


def _styles(path: Path) -> dict[str, dict]:
    with sqlite3.connect(path) as con:
        con.row_factory = sqlite3.Row
        return {r["f_table_name"]: dict(r) for r in con.execute(f"SELECT * FROM {STYLE_TABLE}")}


def _fields_in(expression: str) -> set[str]:
    return set(re.findall(r'"((?:[^"]|"")+)"', expression))


def test_table_is_registered_as_qgis_writes_it(export):
    with sqlite3.connect(export) as con:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({STYLE_TABLE})")]
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name=?", (STYLE_TABLE,)).fetchone()
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    assert cols == QGIS_COLUMNS
    assert kind == ("attributes",)
    styles = _styles(export)
    assert set(styles) == {"grids", "subgrids", "special_grids", "corridors", "routes", "route_stops", "circles",
                           "places_point", "places_polygon", "villages", "households"}  # places: both types
    for name, row in styles.items():
        assert row["useAsDefault"] == 1 and row["owner"] == "gridtool"
        assert row["f_geometry_column"] == geom[name]
        assert "gridtool" in row["description"]


def test_qml_parses_and_refers_to_existing_fields(export):
    for name, row in _styles(export).items():
        root = ET.fromstring(row["styleQML"].split("\n", 1)[1])  # after the DOCTYPE line
        assert root.tag == "qgis" and root.get("version", "").startswith("3.")
        renderer = root.find("renderer-v2")
        assert renderer.get("type") == "RuleRenderer"
        rules = renderer.findall("rules/rule")
        symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
        assert rules and all(r.get("symbol") in symbols for r in rules), name
        assert len({r.get("key") for r in rules}) == len(rules)
        kind = {"grids": "fill", "routes": "line", "route_stops": "marker", "households": "marker",
                "places_point": "marker", "places_polygon": "fill"}.get(name)
        if kind:
            assert {s.get("type") for s in symbols.values()} == {kind}
        fields = set(pyogrio.read_info(export, layer=name)["fields"])
        used = set()
        for r in rules:
            used |= _fields_in(r.get("filter") or "")
        text = root.find("labeling/settings/text-style")
        if text is not None:
            assert root.get("labelsEnabled") == "1"
            used |= _fields_in(text.get("fieldName"))
        assert used <= fields, (name, used - fields)
        for layer in root.iter("layer"):  # every symbol layer has its colour
            props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
            assert re.fullmatch(r"\d+,\d+,\d+,\d+", props.get("color") or props.get("line_color")), (name, props)


def test_sld_parses(export):
    ns = {"sld": "http://www.opengis.net/sld", "se": "http://www.opengis.net/se"}
    for name, row in _styles(export).items():
        root = ET.fromstring(row["styleSLD"])
        assert root.tag == "{http://www.opengis.net/sld}StyledLayerDescriptor" and root.get("version") == "1.1.0"
        assert root.find("sld:NamedLayer/se:Name", ns).text == name
        assert root.findall(".//se:Rule", ns)


def test_grids_coloured_as_on_the_wall_map(project, export):
    """Each grid's rule gives it the wall map's fill (maps.colours.grid_colours of the project's grids)."""
    qml = ET.fromstring(_styles(export)["grids"]["styleQML"].split("\n", 1)[1])
    fill_of_symbol = {}
    for sym in qml.findall("renderer-v2/symbols/symbol"):
        props = {p.get("k"): p.get("v") for p in sym.find("layer").findall("prop")}
        r, g, b, _ = (int(x) for x in props["color"].split(","))
        fill_of_symbol[sym.get("name")] = f"#{r:02x}{g:02x}{b:02x}"
    code_fill = {}
    for rule in qml.findall("renderer-v2/rules/rule"):
        flt = rule.get("filter")
        if flt != "ELSE":
            for code in re.findall(r"'((?:[^']|'')*)'", flt):
                code_fill[code] = fill_of_symbol[rule.get("symbol")]
    grids = project.layers["grids"].gdf
    wall = dict(zip(grids["code"], grid_colours(grids)))
    assert code_fill == wall
    assert len(set(wall.values())) >= 2  # neighbours differ


def test_ogrinfo_reads_the_styled_files_without_warnings(export, tmp_path):
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo is not installed (gdal-bin)")
    proj = make_project().save(tmp_path / "project.gpkg")
    for path in (export, proj):
        # every record read (-al without -so): a badly formatted value warns per record
        run = subprocess.run(["ogrinfo", "-ro", "-al", str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert run.stderr.strip() == "", run.stderr
        assert "Layer name: layer_styles" in run.stdout and "update_time (DateTime)" in run.stdout


def test_project_save_styles_and_reopens(tmp_path):
    p = make_project()
    path = p.save(tmp_path / "p.gpkg")
    styles = _styles(path)
    assert {"grids", "subgrids", "villages", "households", "routes", "circles"} <= set(styles)
    again = Project.open(path)
    assert list(again.layers["grids"].gdf.columns) == list(p.layers["grids"].gdf.columns)
    again.save(path)  # saved again: still one gridtool row per layer
    with sqlite3.connect(path) as con:
        n = dict(con.execute(f"SELECT f_table_name, count(*) FROM {STYLE_TABLE} GROUP BY f_table_name"))
    assert set(n.values()) == {1}


def test_a_style_saved_from_qgis_stays_the_default(export, tmp_path):
    path = tmp_path / "copy.gpkg"
    shutil.copy(export, path)
    with sqlite3.connect(path) as con:
        con.execute(f"UPDATE {STYLE_TABLE} SET owner='planner', styleName='my style' WHERE f_table_name='grids'")
    layers = {"grids": pyogrio.read_dataframe(path, layer="grids")}
    assert write_layer_styles(path, layers) == ["grids"]
    with sqlite3.connect(path) as con:
        rows = con.execute(f"SELECT owner, useAsDefault FROM {STYLE_TABLE} WHERE f_table_name='grids' "
                           "ORDER BY owner").fetchall()
    assert rows == [("gridtool", 0), ("planner", 1)]


def test_routing_geopackages_are_styled(project, tmp_path):
    from gridtool.maps.route_files import write_layers_gpkg
    path = write_layers_gpkg(tmp_path / "patrol.gpkg", {"routes": project.layers["routes"].gdf,
                                                   "route_stops": project.layers["route_stops"].gdf,
                                                   "circles": project.layers["circles"].gdf})
    styles = _styles(path)
    assert set(styles) == {"routes", "route_stops", "circles"}
    rules = ET.fromstring(styles["circles"]["styleQML"].split("\n", 1)[1]).findall("renderer-v2/rules/rule")
    assert [r.get("label") for r in rules][:2] == ["10 分钟服务圈", "15 分钟服务圈"]


def _pyqgis() -> str | None:
    python = shutil.which("python3", path="/usr/bin")
    if python is None:
        return None
    ok = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, timeout=120)
    return python if ok.returncode == 0 else None


QGIS_CHECK = r"""
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False); app.initQgis()
out = {}
for name in sys.argv[2].split(","):
    lyr = QgsVectorLayer(sys.argv[1] + "|layername=" + name, name, "ogr")
    r = lyr.renderer()
    out[name] = [lyr.isValid(), r.type(), lyr.labelsEnabled(),
                 [c.label() for c in r.rootRule().children()] if r.type() == "RuleRenderer" else []]
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)  # exitQgis() with layers still referenced crashes PyQGIS 3.22 at exit
"""


def test_qgis_applies_the_styles(export, tmp_path):
    """With PyQGIS installed (Debian: python3-qgis), QGIS opens each layer with gridtool's style."""
    python = _pyqgis()
    if python is None:
        pytest.skip("PyQGIS is not installed (apt-get install python3-qgis qgis-providers)")
    import json
    script = tmp_path / "check.py"
    script.write_text(QGIS_CHECK, encoding="utf-8")
    names = ["grids", "subgrids", "special_grids", "corridors", "villages", "routes", "route_stops", "circles",
             "households"]
    run = subprocess.run([python, str(script), str(export), ",".join(names)], capture_output=True, text=True,
                         timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    for name in names:
        valid, renderer, labels, rules = got[name]
        assert valid and renderer == "RuleRenderer", (name, got[name])
    assert got["grids"][2] and got["grids"][3][0].startswith("色1")
    assert got["circles"][3][:2] == ["10 分钟服务圈", "15 分钟服务圈"]


def test_a_layer_that_cannot_be_styled_does_not_stop_the_save(tmp_path, monkeypatch, caplog):
    from gridtool.maps import qgis

    real = qgis.layer_style

    def broken(name, gdf, **kw):
        if name == "grids":
            raise RuntimeError("boom")
        return real(name, gdf, **kw)

    monkeypatch.setattr(qgis, "layer_style", broken)
    path = make_project().save(tmp_path / "p.gpkg")
    styles = _styles(path)
    assert "grids" not in styles and "subgrids" in styles
    assert "no QGIS style for layer grids" in caplog.text
    assert len(Project.open(path).layers["grids"].gdf) == 4
