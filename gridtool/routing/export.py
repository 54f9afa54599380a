"""Route exports for handheld devices and printing: GPX 1.1, KML 2.2 and CSV stop lists.

Written by hand with ``xml.etree`` (no extra dependency), UTF-8 with Chinese names, coordinates in
WGS84 (GPS devices and 奥维/两步路 apps read WGS84 GPX/KML). Every file is written atomically: to a
temporary file beside the target, then renamed over it.

KML ``<description>`` is HTML to its viewers (Google Earth shows it in a balloon, 奥维 in a popup), so
text from the data in it is HTML-escaped and then put in a CDATA section (:class:`KmlWriter`):
a place named ``<script>…`` shows as those characters, never as markup. ``xml.etree`` cannot write
CDATA, hence the placeholder-and-replace in :meth:`KmlWriter.tostring`. Every placemark style has a
``BalloonStyle`` showing only that description, so no viewer builds a balloon from other fields
(names, ExtendedData) by its own rules. The CSV goes through :func:`gridtool.cells.csv_bytes`
(formula-like text written as text).
"""

from __future__ import annotations

import html
import re
import secrets
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import shapely

from ..atomic import write_bytes_atomic
from ..cells import csv_bytes

GPX_NS = "http://www.topografix.com/GPX/1/1"
KML_NS = "http://www.opengis.net/kml/2.2"


def _atomic_write(path: Path, data: bytes) -> Path:
    return write_bytes_atomic(path, data)


def _wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("layer has no CRS")
    return gdf.to_crs(4326)


def description_html(title: str | None, lines: Iterable[str] = ()) -> str:
    """A KML balloon: ``title`` in bold, then one line each; every text HTML-escaped."""
    parts = [f"<b>{html.escape(str(title))}</b>"] if title else []
    parts += [html.escape(str(line)) for line in lines if line]
    return "<br>".join(parts)


class KmlWriter:
    """Serialises a KML tree with descriptions as CDATA sections of escaped HTML.

    ``set_description(placemark, html_text)`` stores the HTML (built by :func:`description_html`)
    and puts a random placeholder into the element; :meth:`tostring` swaps each placeholder for
    ``<![CDATA[…]]>``. The token is random per document, so no text from the data can match it.
    """

    def __init__(self, ns: str):
        self.ns = ns
        self.token = "gridtool-cdata-" + secrets.token_hex(8)
        self.items: list[str] = []

    def set_description(self, parent, html_text: str):
        el = ET.SubElement(parent, f"{{{self.ns}}}description")
        el.text = f"{self.token}:{len(self.items)}:"
        self.items.append(html_text)
        return el

    def balloon_style(self, style) -> None:
        """A ``BalloonStyle`` that shows the description only (add to every placemark style)."""
        ET.SubElement(ET.SubElement(style, f"{{{self.ns}}}BalloonStyle"), f"{{{self.ns}}}text").text = "$[description]"

    def tostring(self, root) -> bytes:
        text = ET.tostring(root, encoding="unicode")

        def cdata(m: re.Match) -> str:
            body = self.items[int(m.group(1))].replace("]]>", "]]]]><![CDATA[>")  # cannot occur after escaping
            return f"<![CDATA[{body}]]>"
        text = re.sub(re.escape(self.token) + r":(\d+):", cdata, text)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8")


def _stop_label(s) -> str:
    return f"{int(s.team)}-{int(s.seq):02d} {s.place}"


def write_gpx(path, stops: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, *, name: str = "巡逻路线") -> Path:
    """GPX 1.1: one route (``rte``, ordered waypoints = the stops) and one track per team."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "gridtool"})
    meta = ET.SubElement(root, f"{{{GPX_NS}}}metadata")
    ET.SubElement(meta, f"{{{GPX_NS}}}name").text = name
    st = _wgs84(stops) if len(stops) else stops
    rt = _wgs84(routes) if len(routes) else routes
    for s in st.sort_values(["team", "seq"]).itertuples() if len(st) else ():
        w = ET.SubElement(root, f"{{{GPX_NS}}}wpt", {"lat": f"{s.geometry.y:.7f}", "lon": f"{s.geometry.x:.7f}"})
        ET.SubElement(w, f"{{{GPX_NS}}}name").text = _stop_label(s)
        ET.SubElement(w, f"{{{GPX_NS}}}desc").text = f"到达 {s.arrive} 离开 {s.depart}"
    for r in rt.itertuples() if len(rt) else ():
        team_stops = st[st["team"] == r.team].sort_values("seq") if len(st) else st
        rte = ET.SubElement(root, f"{{{GPX_NS}}}rte")
        ET.SubElement(rte, f"{{{GPX_NS}}}name").text = f"第{int(r.team)}队 {r.station}"
        for s in team_stops.itertuples():
            p = ET.SubElement(rte, f"{{{GPX_NS}}}rtept", {"lat": f"{s.geometry.y:.7f}", "lon": f"{s.geometry.x:.7f}"})
            ET.SubElement(p, f"{{{GPX_NS}}}name").text = _stop_label(s)
    # GPX 1.1 wants every rte before the first trk (a schema sequence): tracks in a second pass
    for r in rt.itertuples() if len(rt) else ():
        if r.geometry is not None and not r.geometry.is_empty:
            trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
            ET.SubElement(trk, f"{{{GPX_NS}}}name").text = f"第{int(r.team)}队 {r.station} 轨迹"
            seg = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
            for x, y in shapely.get_coordinates(r.geometry):
                ET.SubElement(seg, f"{{{GPX_NS}}}trkpt", {"lat": f"{y:.7f}", "lon": f"{x:.7f}"})
    return _atomic_write(Path(path), ET.tostring(root, encoding="utf-8", xml_declaration=True))


def write_kml(path, stops: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, *, name: str = "巡逻路线") -> Path:
    """KML 2.2: a folder per team with its line and numbered stop placemarks in order."""
    ET.register_namespace("", KML_NS)
    kw = KmlWriter(KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = ET.SubElement(root, f"{{{KML_NS}}}Document")
    ET.SubElement(doc, f"{{{KML_NS}}}name").text = name
    kw.balloon_style(ET.SubElement(doc, f"{{{KML_NS}}}Style", {"id": "balloon"}))
    st = _wgs84(stops) if len(stops) else stops
    rt = _wgs84(routes) if len(routes) else routes
    for r in rt.itertuples() if len(rt) else ():
        folder = ET.SubElement(doc, f"{{{KML_NS}}}Folder")
        ET.SubElement(folder, f"{{{KML_NS}}}name").text = f"第{int(r.team)}队 {r.station}"
        if r.geometry is not None and not r.geometry.is_empty:
            pm = ET.SubElement(folder, f"{{{KML_NS}}}Placemark")
            label = f"第{int(r.team)}队路线 {r.length_km:.1f} 公里"
            ET.SubElement(pm, f"{{{KML_NS}}}name").text = label
            kw.set_description(pm, description_html(label, [f"{r.station}"]))
            ET.SubElement(pm, f"{{{KML_NS}}}styleUrl").text = "#balloon"
            ls = ET.SubElement(pm, f"{{{KML_NS}}}LineString")
            ET.SubElement(ls, f"{{{KML_NS}}}coordinates").text = " ".join(
                f"{x:.7f},{y:.7f}" for x, y in shapely.get_coordinates(r.geometry))
        for s in (st[st["team"] == r.team].sort_values("seq").itertuples() if len(st) else ()):
            pm = ET.SubElement(folder, f"{{{KML_NS}}}Placemark")
            ET.SubElement(pm, f"{{{KML_NS}}}name").text = _stop_label(s)
            kw.set_description(pm, description_html(_stop_label(s), [f"到达 {s.arrive} 离开 {s.depart}"]))
            ET.SubElement(pm, f"{{{KML_NS}}}styleUrl").text = "#balloon"
            pt = ET.SubElement(pm, f"{{{KML_NS}}}Point")
            ET.SubElement(pt, f"{{{KML_NS}}}coordinates").text = f"{s.geometry.x:.7f},{s.geometry.y:.7f}"
    return _atomic_write(Path(path), kw.tostring(root))


def write_stops_csv(path, stops: gpd.GeoDataFrame) -> Path:
    """The stop list (UTF-8 with BOM so that Excel on Chinese Windows opens it right), WGS84; place
    names that start like a formula (``=HYPERLINK(…)``) are written as text (:mod:`gridtool.cells`)."""
    cols = ["team", "seq", "place", "category", "station", "visit", "must", "arrive", "depart",
            "dwell_min", "window", "src_id"]
    df = stops[[c for c in cols if c in stops]].copy()
    if len(stops):
        w = _wgs84(stops)
        df["lon"] = w.geometry.x.round(7)
        df["lat"] = w.geometry.y.round(7)
    df = df.rename(columns={"team": "队伍 team", "seq": "顺序 seq", "place": "地点 place",
                            "category": "类别 category", "station": "站点 station", "visit": "第几次 visit",
                            "must": "必到 must", "arrive": "到达 arrive", "depart": "离开 depart",
                            "dwell_min": "停留分钟 dwell_min", "window": "时间窗 window"})
    return _atomic_write(Path(path), csv_bytes(df))


def write_walk_gpx(path, lines: gpd.GeoDataFrame, *, name: str = "街巷巡查路线", start=None,
                   start_name: str = "起点") -> Path:
    """A street walk as GPX 1.1: the start as a waypoint and one track per walker (``walker``,
    ``length_km``, ``minutes`` and a line each, as :meth:`CoverageWalk.walk_lines` gives)."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "gridtool"})
    meta = ET.SubElement(root, f"{{{GPX_NS}}}metadata")
    ET.SubElement(meta, f"{{{GPX_NS}}}name").text = name
    wl = _wgs84(lines) if len(lines) else lines
    if start is not None:
        p = gpd.GeoSeries([start], crs=lines.crs).to_crs(4326).iloc[0]
        w = ET.SubElement(root, f"{{{GPX_NS}}}wpt", {"lat": f"{p.y:.7f}", "lon": f"{p.x:.7f}"})
        ET.SubElement(w, f"{{{GPX_NS}}}name").text = start_name
    for r in wl.itertuples() if len(wl) else ():
        if r.geometry is None or r.geometry.is_empty:
            continue
        trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
        ET.SubElement(trk, f"{{{GPX_NS}}}name").text = f"{name} 第{int(r.walker)}人"
        ET.SubElement(trk, f"{{{GPX_NS}}}desc").text = f"{r.length_km:.2f} 公里，{r.minutes:.0f} 分钟"
        seg = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
        for x, y in shapely.get_coordinates(r.geometry):
            ET.SubElement(seg, f"{{{GPX_NS}}}trkpt", {"lat": f"{y:.7f}", "lon": f"{x:.7f}"})
    return _atomic_write(Path(path), ET.tostring(root, encoding="utf-8", xml_declaration=True))


def write_walk_kml(path, lines: gpd.GeoDataFrame, *, name: str = "街巷巡查路线") -> Path:
    """A street walk as KML 2.2: one line placemark per walker, WGS84."""
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = ET.SubElement(root, f"{{{KML_NS}}}Document")
    ET.SubElement(doc, f"{{{KML_NS}}}name").text = name
    wl = _wgs84(lines) if len(lines) else lines
    for r in wl.itertuples() if len(wl) else ():
        if r.geometry is None or r.geometry.is_empty:
            continue
        pm = ET.SubElement(doc, f"{{{KML_NS}}}Placemark")
        ET.SubElement(pm, f"{{{KML_NS}}}name").text = f"第{int(r.walker)}人 {r.length_km:.2f} 公里 {r.minutes:.0f} 分钟"
        ls = ET.SubElement(pm, f"{{{KML_NS}}}LineString")
        ET.SubElement(ls, f"{{{KML_NS}}}coordinates").text = " ".join(
            f"{x:.7f},{y:.7f}" for x, y in shapely.get_coordinates(r.geometry))
    return _atomic_write(Path(path), ET.tostring(root, encoding="utf-8", xml_declaration=True))


def write_table_csv(path, df) -> Path:
    """A table as CSV (UTF-8 with BOM, formula-like text neutralised: :func:`gridtool.cells.csv_bytes`)."""
    return _atomic_write(Path(path), csv_bytes(df))
