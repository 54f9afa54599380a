"""GPX and KML as their schemas define them: GPX 1.1 validated with xmllint against Topografix's XSD,
KML 2.2 checked for the element sequences of OGC's schema (ogckml22.xsd) here, and validated with
xmllint against that XSD as pyKML ships it (in the test extra) — libxml2 does not enforce every
sequence of that schema (a Schema after a Folder passes), hence both.

Every GPX writer (the export's and the patrol command's are one function, :func:`routing.export.write_gpx`)
and both KML writers (the export's KML/KMZ and the patrol command's route KML) are covered."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from gridtool.maps import gis
from gridtool.routing import export as routing_export

from .maps_data import make_project

REPO = Path(__file__).resolve().parents[1]
GPX = "{http://www.topografix.com/GPX/1/1}"
KML = "{http://www.opengis.net/kml/2.2}"
XMLLINT = shutil.which("xmllint")
needs_xmllint = pytest.mark.skipif(XMLLINT is None, reason="xmllint is not installed (Debian package libxml2-utils)")


def _gpx_xsd() -> Path:
    for base in (os.environ.get("GRIDTOOL_SHARED_DATA"), REPO.parent / "shared" / "data", "/work/shared/data"):
        if base and (Path(base) / "schemas" / "gpx-1.1.xsd").is_file():
            return Path(base) / "schemas" / "gpx-1.1.xsd"
    pytest.skip("gpx-1.1.xsd not found in shared/data/schemas (set GRIDTOOL_SHARED_DATA)")


def _kml_xsd() -> Path:
    spec = importlib.util.find_spec("pykml")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyKML (the OGC KML 2.2 XSD it ships) is not installed: pip install -e '.[test]'")
    xsd = Path(next(iter(spec.submodule_search_locations))) / "schemas" / "ogckml22.xsd"
    if not xsd.is_file():
        pytest.skip(f"pyKML has no {xsd.name}")
    return xsd


def _xmllint(xsd: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([XMLLINT, "--noout", "--schema", str(xsd), *map(str, files)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def project():
    return make_project()


@pytest.fixture(scope="module")
def files(project, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("schemas")
    gis.write_gpx(project, out / "export.gpx")
    gis.write_kml(project, out / "export.kml")
    gis.write_kml(project, out / "export.kmz")
    with zipfile.ZipFile(out / "export.kmz") as zf:
        (out / "doc.kml").write_bytes(zf.read("doc.kml"))
    stops, routes = project.layers["route_stops"].gdf, project.layers["routes"].gdf
    routing_export.write_gpx(out / "patrol.gpx", stops, routes, name="巡逻路线")
    routing_export.write_kml(out / "patrol.kml", stops, routes, name="巡逻路线")
    # A team whose route has no line (a single stop at the station) still gets its rte, no trk.
    routing_export.write_gpx(out / "no-line.gpx", stops, routes.assign(geometry=[routes.geometry.iloc[0], None]))
    return {"export_gpx": out / "export.gpx", "patrol_gpx": out / "patrol.gpx", "no_line_gpx": out / "no-line.gpx",
            "export_kml": out / "export.kml", "kmz_doc": out / "doc.kml", "patrol_kml": out / "patrol.kml"}


# -- GPX ----------------------------------------------------------------------------------------
def _gpx_order_ok(root) -> bool:
    rank = {"metadata": 0, "wpt": 1, "rte": 2, "trk": 3, "extensions": 4}
    ranks = [rank[c.tag.removeprefix(GPX)] for c in root]
    return ranks == sorted(ranks)


@pytest.mark.parametrize("key", ["export_gpx", "patrol_gpx", "no_line_gpx"])
def test_gpx_in_schema_order(files, key):
    root = ET.parse(files[key]).getroot()
    tags = [c.tag.removeprefix(GPX) for c in root]
    assert _gpx_order_ok(root), tags
    assert tags.count("rte") == 2 and tags.count("wpt") == 5
    assert tags.count("trk") == (1 if key == "no_line_gpx" else 2)


@needs_xmllint
@pytest.mark.parametrize("key", ["export_gpx", "patrol_gpx", "no_line_gpx"])
def test_gpx_validates_against_gpx11(files, key):
    run = _xmllint(_gpx_xsd(), files[key])
    assert run.returncode == 0, run.stderr
    assert "validates" in run.stderr


@needs_xmllint
def test_gpx_check_catches_a_route_after_a_track(files, tmp_path):
    """The validation has teeth: the layout gridtool wrote before (rte, trk, rte, trk) fails."""
    ET.register_namespace("", GPX[1:-1])
    tree = ET.parse(files["export_gpx"])
    root = tree.getroot()
    rtes, trks = root.findall(f"{GPX}rte"), root.findall(f"{GPX}trk")
    for el in rtes + trks:
        root.remove(el)
    for r, t in zip(rtes, trks, strict=True):
        root.extend([r, t])
    bad = tmp_path / "interleaved.gpx"
    tree.write(bad, encoding="utf-8", xml_declaration=True)
    assert not _gpx_order_ok(root)
    run = _xmllint(_gpx_xsd(), bad)
    assert run.returncode != 0 and "rte" in run.stderr


# -- KML ----------------------------------------------------------------------------------------
_FEATURE = ["name", "visibility", "open", "author", "link", "address", "AddressDetails", "phoneNumber", "Snippet",
            "description", ("Camera", "LookAt"), ("TimeStamp", "TimeSpan"), "styleUrl", ("Style", "StyleMap"),
            "Region", ("ExtendedData", "Metadata")]
_FEATURES = ("Document", "Folder", "Placemark", "NetworkLink", "GroundOverlay", "ScreenOverlay", "PhotoOverlay")
_GEOMETRIES = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Model")
#: The child sequences of KML 2.2's complex types (ogckml22.xsd), each slot a tag or tags of one group.
KML_SEQUENCES: dict[str, list] = {
    "kml": ["NetworkLinkControl", _FEATURES],
    "Document": _FEATURE + ["Schema", _FEATURES],
    "Folder": _FEATURE + [_FEATURES],
    "Placemark": _FEATURE + [_GEOMETRIES],
    "Style": ["IconStyle", "LabelStyle", "LineStyle", "PolyStyle", "BalloonStyle", "ListStyle"],
    "LineStyle": ["color", "colorMode", "width"],
    "PolyStyle": ["color", "colorMode", "fill", "outline"],
    "LabelStyle": ["color", "colorMode", "scale"],
    "Point": ["extrude", "altitudeMode", "coordinates"],
    "LineString": ["extrude", "tessellate", "altitudeMode", "coordinates"],
    "LinearRing": ["extrude", "tessellate", "altitudeMode", "coordinates"],
    "Polygon": ["extrude", "tessellate", "altitudeMode", "outerBoundaryIs", "innerBoundaryIs"],
    "outerBoundaryIs": ["LinearRing"], "innerBoundaryIs": ["LinearRing"],
    "MultiGeometry": [_GEOMETRIES],
    "ExtendedData": ["Data", "SchemaData"],
    "SchemaData": ["SimpleData"],
    "Schema": ["SimpleField"],
}
_REPEATABLE = {"Style", "StyleMap", "Schema", "SimpleField", "SimpleData", "Data", "innerBoundaryIs",
               *_FEATURES, *_GEOMETRIES}


def kml_order_errors(el, path: str = "") -> list[str]:
    """Children out of their schema sequence (or unknown to it, or repeated where the schema has one)."""
    tag = el.tag.removeprefix(KML)
    here = f"{path}/{tag}"
    seq = KML_SEQUENCES.get(tag)
    errors = []
    if seq is not None:
        slot_of = {t: i for i, slot in enumerate(seq) for t in ((slot,) if isinstance(slot, str) else slot)}
        last, seen = -1, set()
        for child in el:
            ctag = child.tag.removeprefix(KML).split("}")[-1]
            slot = slot_of.get(ctag)
            if slot is None:
                errors.append(f"{here}: <{ctag}> is not allowed here")
            elif slot < last:
                before = seq[last] if isinstance(seq[last], str) else "|".join(seq[last])
                errors.append(f"{here}: <{ctag}> after <{before}>")
            elif ctag in seen and ctag not in _REPEATABLE:
                errors.append(f"{here}: <{ctag}> twice")
            if slot is not None:
                last = max(last, slot)
            seen.add(ctag)
    for child in el:
        errors += kml_order_errors(child, here)
    return errors


@pytest.mark.parametrize("key", ["export_kml", "kmz_doc", "patrol_kml"])
def test_kml_in_schema_order(files, key):
    root = ET.parse(files[key]).getroot()
    assert kml_order_errors(root) == []
    doc = root.find(f"{KML}Document")
    tags = [c.tag.removeprefix(KML) for c in doc]
    if key != "patrol_kml":  # every Schema before the first Folder, the styles before both
        assert tags.index("Folder") > max(i for i, t in enumerate(tags) if t == "Schema")
        assert max(i for i, t in enumerate(tags) if t == "Style") < tags.index("Schema")
        assert tags.count("Schema") == tags.count("Folder") >= 8


def test_kml_order_check_catches_the_old_layout(files):
    """The check has teeth: a Schema after a Folder (as the KMZ had) and LabelStyle after LineStyle fail."""
    root = ET.parse(files["export_kml"]).getroot()
    doc = root.find(f"{KML}Document")
    schema = doc.find(f"{KML}Schema")
    doc.remove(schema)
    doc.append(schema)
    style = next(s for s in doc.findall(f"{KML}Style") if s.find(f"{KML}LabelStyle") is not None)
    label = style.find(f"{KML}LabelStyle")
    style.remove(label)
    style.append(label)
    errors = kml_order_errors(root)
    assert any("<Schema> after" in e for e in errors) and any("<LabelStyle> after" in e for e in errors), errors


@needs_xmllint
@pytest.mark.parametrize("key", ["export_kml", "kmz_doc", "patrol_kml"])
def test_kml_validates_against_ogc_kml22(files, key):
    run = _xmllint(_kml_xsd(), files[key])
    assert run.returncode == 0, run.stderr


@needs_xmllint
def test_kml_xsd_rejects_a_label_style_after_a_line_style(files, tmp_path):
    """xmllint with the OGC XSD has teeth too (libxml2 2.9 lets a Schema after a Folder pass, which is
    why :func:`kml_order_errors` checks the sequences itself)."""
    ET.register_namespace("", KML[1:-1])
    tree = ET.parse(files["export_kml"])
    doc = tree.getroot().find(f"{KML}Document")
    style = next(s for s in doc.findall(f"{KML}Style") if s.find(f"{KML}LabelStyle") is not None)
    label = style.find(f"{KML}LabelStyle")
    style.remove(label)
    style.append(label)
    bad = tmp_path / "bad.kml"
    tree.write(bad, encoding="utf-8", xml_declaration=True)
    run = _xmllint(_kml_xsd(), bad)
    assert run.returncode != 0 and "LabelStyle" in run.stderr
