"""Route exports for handheld devices and printing: GPX 1.1, KML 2.2 and CSV stop lists.

Written by hand with ``xml.etree`` (no extra dependency), UTF-8 with Chinese names, coordinates in
WGS84 (GPS devices and 奥维/两步路 apps read WGS84 GPX/KML). Every file is written atomically: to a
temporary file beside the target, then renamed over it.

KML is built on the one KML writing core of gridtool, :mod:`gridtool.io.kml` (descriptions as
escaped HTML in CDATA, geometries), shared with the GIS export (:mod:`gridtool.maps.gis`). The CSV
goes through :func:`gridtool.cells.csv_bytes` (formula-like text written as text).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import shapely

from ..atomic import write_bytes_atomic
from ..cells import csv_bytes
from ..io.kml import KML_NS, KmlWriter, description_html, kml_geometry
from ..ownership import register_csv_header
from .shift_windows import wait_words
from .table_words import header_starts, localise_table

GPX_NS = "http://www.topografix.com/GPX/1/1"

# The tables the routing commands write, recognised as gridtool's own so that a second run may
# replace them (and a user's CSV of the same name is refused without --force).
# Every --lang writes other headers (:mod:`.table_words`): all are gridtool's.
for _columns in (["team", "seq"], ["walker", "seq"], ["exit", "station", "minutes", "km"],
                 ["name", "hh", "covered_hh", "uncovered_hh"], ["name", "code", "hh", "covered_hh", "uncovered_hh"]):
    for _header in header_starts(_columns):
        register_csv_header(_header)


def _atomic_write(path: Path, data: bytes) -> Path:
    return write_bytes_atomic(path, data)


def _wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("layer has no CRS")
    return gdf.to_crs(4326)


def _gpx_root(name: str) -> ET.Element:
    """A GPX 1.1 root with ``creator="gridtool"`` (gridtool's mark: :mod:`gridtool.ownership`) and the name."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "gridtool"})
    ET.SubElement(ET.SubElement(root, f"{{{GPX_NS}}}metadata"), f"{{{GPX_NS}}}name").text = name
    return root


def _stop_label(s) -> str:
    return f"{int(s.team)}-{int(s.seq):02d} {s.place}"


def _stop_times(s) -> str:
    """``"到达 21:30 离开 21:42（等候 50 分钟）"``: the times at a stop and the wait for its window."""
    wait = wait_words(getattr(s, "wait_min", None))
    return f"到达 {s.arrive} 离开 {s.depart}" + (f"（{wait}）" if wait else "")


def write_gpx(path, stops: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, *, name: str = "巡逻路线") -> Path:
    """Write a patrol plan as GPX 1.1: one route (``rte``, ordered waypoints = the stops) and one
    track per team, WGS84.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    stops, routes : geopandas.GeoDataFrame
        A patrol plan's ``stops`` (``team``, ``seq``, ``name`` …) and ``routes`` (one line per team).
    name : str
        The name of the file's contents.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    root = _gpx_root(name)
    st = _wgs84(stops) if len(stops) else stops
    rt = _wgs84(routes) if len(routes) else routes
    for s in st.sort_values(["team", "seq"]).itertuples() if len(st) else ():
        w = ET.SubElement(root, f"{{{GPX_NS}}}wpt", {"lat": f"{s.geometry.y:.7f}", "lon": f"{s.geometry.x:.7f}"})
        ET.SubElement(w, f"{{{GPX_NS}}}name").text = _stop_label(s)
        ET.SubElement(w, f"{{{GPX_NS}}}desc").text = _stop_times(s)
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
    """Write a patrol plan as KML 2.2: a folder per team with its line and numbered stop
    placemarks in order, WGS84.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    stops, routes : geopandas.GeoDataFrame
        A patrol plan's ``stops`` and ``routes``.
    name : str
        The document's name.

    Returns
    -------
    pathlib.Path
        The path written.
    """
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
            kml_geometry(pm, r.geometry, tessellate=False)
        for s in (st[st["team"] == r.team].sort_values("seq").itertuples() if len(st) else ()):
            pm = ET.SubElement(folder, f"{{{KML_NS}}}Placemark")
            ET.SubElement(pm, f"{{{KML_NS}}}name").text = _stop_label(s)
            kw.set_description(pm, description_html(_stop_label(s), [_stop_times(s)]))
            ET.SubElement(pm, f"{{{KML_NS}}}styleUrl").text = "#balloon"
            kml_geometry(pm, s.geometry, tessellate=False)
    return _atomic_write(Path(path), kw.tostring(root))


def write_stops_csv(path, stops: gpd.GeoDataFrame, *, lang: str = "zh") -> Path:
    """Write the stop list as CSV (UTF-8 with BOM so that Excel on Chinese Windows opens it
    right), WGS84; place names that start like a formula (``=HYPERLINK(…)``) are written as text
    (:mod:`gridtool.cells`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    stops : geopandas.GeoDataFrame
        A patrol plan's ``stops``.
    lang : {"zh", "en", "both"}
        Headers and values (:func:`.table_words.localise_table`): Chinese (队伍, 类别 学校 …),
        English column names and codes, or ``队伍 team`` headers with the codes.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    cols = ["team", "seq", "place", "category", "station", "visit", "must", "arrive", "depart",
            "dwell_min", "wait_min", "window", "src_id"]
    df = stops[[c for c in cols if c in stops]].copy()
    if len(stops):
        w = _wgs84(stops)
        df["lon"] = w.geometry.x.round(7)
        df["lat"] = w.geometry.y.round(7)
    return _atomic_write(Path(path), csv_bytes(localise_table(df, lang)))


def write_walk_gpx(path, lines: gpd.GeoDataFrame, *, name: str = "街巷巡查路线", start=None,
                   start_name: str = "起点") -> Path:
    """Write a street walk as GPX 1.1: the start as a waypoint and one track per walker.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    lines : geopandas.GeoDataFrame
        One row per walker (``walker``, ``length_km``, ``minutes`` and a line), as
        :meth:`CoverageWalk.walk_lines` gives.
    name : str
        The name of the file's contents.
    start : shapely.Point, optional
        The start, in the lines' CRS.
    start_name : str
        The start waypoint's name.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    root = _gpx_root(name)
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
    """Write a street walk as KML 2.2: one line placemark per walker, WGS84.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    lines : geopandas.GeoDataFrame
        One row per walker, as :meth:`CoverageWalk.walk_lines` gives.
    name : str
        The document's name.

    Returns
    -------
    pathlib.Path
        The path written.
    """
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
        kml_geometry(pm, r.geometry, tessellate=False)
    return _atomic_write(Path(path), KmlWriter(KML_NS).tostring(root))


def write_table_csv(path, df, *, lang: str | None = None) -> Path:
    """A table as CSV (UTF-8 with BOM, formula-like text neutralised: :func:`gridtool.cells.csv_bytes`);
    with ``lang``, gridtool's headers and codes in that language (:func:`.table_words.localise_table`)."""
    return _atomic_write(Path(path), csv_bytes(df if lang is None else localise_table(df, lang)))
