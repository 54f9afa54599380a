"""The KML 2.2 writing core of gridtool: placemark descriptions, styles' balloons, colours and
geometries, shared by the route exports (:mod:`gridtool.routing.export`) and the GIS export
(:mod:`gridtool.maps.gis`).

KML ``<description>`` is HTML to its viewers (Google Earth shows it in a balloon, 奥维 in a popup), so
text from the data in it is HTML-escaped and then put in a CDATA section (:class:`KmlWriter`):
a place named ``<script>…`` shows as those characters, never as markup. ``xml.etree`` cannot write
CDATA, hence the placeholder-and-replace in :meth:`KmlWriter.tostring`. Every placemark style has a
``BalloonStyle`` showing only that description, so no viewer builds a balloon from other fields
(names, ExtendedData) by its own rules.

Written by hand with ``xml.etree`` (GDAL's KML drivers write neither CDATA descriptions nor
per-feature styles), coordinates in WGS84 with seven decimals.
"""

from __future__ import annotations

import html
import re
import secrets
import xml.etree.ElementTree as ET
from typing import Iterable

import numpy as np
import shapely

KML_NS = "http://www.opengis.net/kml/2.2"


def E(tag: str) -> str:
    """A KML 2.2 element name (``{namespace}tag``)."""
    return f"{{{KML_NS}}}{tag}"


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
        # gridtool's mark before the root element (gridtool.ownership: a later run may replace the file)
        from .. import __version__
        return (b'<?xml version="1.0" encoding="UTF-8"?>\n' + f"<!-- gridtool {__version__} -->\n".encode()
                + text.encode("utf-8"))


def kml_colour(hex_rgb: str, alpha: int = 255) -> str:
    """``#rrggbb`` → KML ``aabbggrr``."""
    h = hex_rgb.lstrip("#")
    return f"{alpha:02x}{h[4:6]}{h[2:4]}{h[0:2]}"


def _coords(seq) -> str:
    return " ".join(f"{x:.7f},{y:.7f}" for x, y in np.asarray(seq)[:, :2])


def kml_geometry(parent, geom, *, tessellate: bool = True) -> None:
    """Append the KML geometry of a shapely geometry (WGS84) to ``parent``; nothing for an empty one.

    ``tessellate`` makes lines and polygons follow the ground in Google Earth (the GIS export);
    route lines leave it out.
    """
    if geom is None or geom.is_empty:
        return
    t = geom.geom_type
    if t.startswith("Multi") and shapely.get_num_geometries(geom) == 1:
        # A one-part grid (the project keeps every grid a MultiPolygon) is a plain Polygon in
        # KML, as phone map apps (奥维) draw best.
        kml_geometry(parent, shapely.get_geometry(geom, 0), tessellate=tessellate)
    elif t.startswith("Multi") or t == "GeometryCollection":
        mg = ET.SubElement(parent, E("MultiGeometry"))
        for part in shapely.get_parts(geom):
            kml_geometry(mg, part, tessellate=tessellate)
    elif t == "Point":
        ET.SubElement(ET.SubElement(parent, E("Point")), E("coordinates")).text = f"{geom.x:.7f},{geom.y:.7f}"
    elif t in ("LineString", "LinearRing"):
        ls = ET.SubElement(parent, E("LineString"))
        if tessellate:
            ET.SubElement(ls, E("tessellate")).text = "1"
        ET.SubElement(ls, E("coordinates")).text = _coords(geom.coords)
    elif t == "Polygon":
        pg = ET.SubElement(parent, E("Polygon"))
        if tessellate:
            ET.SubElement(pg, E("tessellate")).text = "1"
        outer = ET.SubElement(ET.SubElement(pg, E("outerBoundaryIs")), E("LinearRing"))
        ET.SubElement(outer, E("coordinates")).text = _coords(geom.exterior.coords)
        for hole in geom.interiors:
            inner = ET.SubElement(ET.SubElement(pg, E("innerBoundaryIs")), E("LinearRing"))
            ET.SubElement(inner, E("coordinates")).text = _coords(hole.coords)


__all__ = ["KML_NS", "KmlWriter", "description_html", "kml_colour", "kml_geometry"]
