"""QGIS styles in gridtool's GeoPackages: the ``layer_styles`` table QGIS reads when it opens a layer.

QGIS keeps a layer's default style inside a GeoPackage in a table ``layer_styles`` (columns
``f_table_catalog``, ``f_table_schema``, ``f_table_name``, ``f_geometry_column``, ``styleName``,
``styleQML``, ``styleSLD``, ``useAsDefault``, ``description``, ``owner``, ``ui``, ``update_time``;
an attributes table in ``gpkg_contents``), the layout its own GeoPackage writer uses. A row with
``useAsDefault`` is applied when the layer is added, so the county's GIS office opens the project or
an export and sees the wall map: grids filled by the same colour classes as the wall map and the HTML
map (:func:`gridtool.maps.colours.grid_colours`), labelled with code and households; dashed sub-grid
outlines; hatched special grids; dotted corridors; village boundaries; roads by class with casings;
water, railways, forest, key places by category; patrol routes and stops by team; service circles
by minutes.

Every symbol is built here as QML (QGIS's XML style format; QGIS 3.x, read by 3.10 to today) and as
SLD 1.1 (for other programs) from the wall map's own constants (:mod:`gridtool.maps.style`,
:mod:`gridtool.maps.colours`), never pasted from a file, so a colour changed for print changes in
QGIS too. Widths are the A4 millimetres of the wall map.

Why hand-written: QGIS's own API (PyQGIS) would write the table but needs QGIS installed; GDAL has
no notion of QGIS styles. The table is written with pyogrio (so GDAL registers it) and filled with
sqlite3.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import style as S

log = logging.getLogger(__name__)

STYLE_TABLE = "layer_styles"
#: QGIS version the QML is written for (the format is read by QGIS 3.10 and later).
QGIS_VERSION = "3.22.0-Białowieża"
#: Label font: Chinese Windows' UI font; QGIS substitutes a CJK font where it is missing.
LABEL_FONT = "Microsoft YaHei"
_SLD_NS = {"sld": "http://www.opengis.net/sld", "se": "http://www.opengis.net/se",
           "ogc": "http://www.opengis.net/ogc", "xlink": "http://www.w3.org/1999/xlink",
           "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
#: matplotlib marker of :data:`style.PLACE_STYLES` → QGIS SimpleMarker name, SLD WellKnownName.
_MARKERS = {"*": ("star", "star"), "^": ("triangle", "triangle"), "P": ("cross_fill", "cross"),
            "s": ("square", "square"), "D": ("diamond", "square"), "p": ("pentagon", "circle"),
            "o": ("circle", "circle"), "h": ("hexagon", "circle")}


# -- the style model (one description, two writers) ---------------------------------------------
@dataclass(frozen=True)
class Stroke:
    """A line (or a polygon outline) ``width_mm`` wide; ``dash`` in millimetres (on, off, …)."""

    colour: str
    width_mm: float
    dash: tuple[float, ...] | None = None
    opacity: float = 1.0
    cap: str = "round"


@dataclass(frozen=True)
class Fill:
    """A polygon fill: ``colour`` (None: no brush), ``hatch`` a QGIS brush style (``b_diagonal``)."""

    colour: str | None
    opacity: float = 1.0
    hatch: str | None = None


@dataclass(frozen=True)
class Marker:
    shape: str  # matplotlib marker code, as in style.PLACE_STYLES
    colour: str
    size_mm: float
    outline: str = "#ffffff"
    outline_mm: float = 0.2


@dataclass(frozen=True)
class Rule:
    """One legend entry: its symbol layers (drawn in order) for the features ``where`` selects.

    ``where``: None (every feature), ``("ELSE",)``, ``(field, [values])`` or ``("$id", [fids])``.
    ``max_scale``: drawn at 1:max_scale and larger only.
    """

    title: str
    layers: tuple
    where: tuple | None = None
    max_scale: float | None = None


@dataclass(frozen=True)
class Label:
    """Text from ``parts``: field names, literal text (``"'户'"`` quoted) and ``"\\n"``."""

    parts: tuple[str, ...]
    size_pt: float
    colour: str = "#111111"
    halo_mm: float = 0.6
    bold: bool = False
    max_scale: float | None = None
    priority: int = 5  # QGIS label priority 0-10: grids and villages before road and place names


@dataclass
class LayerStyle:
    layer: str
    geometry: str  # "point", "line", "polygon"
    title: str
    rules: list[Rule] = field(default_factory=list)
    label: Label | None = None


# -- colours and expressions -------------------------------------------------------------------
def _rgba(hex_colour: str, opacity: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{int(round(255 * opacity))}"


def _literal(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return "'" + str(v).replace("'", "''") + "'"


def qgis_filter(where: tuple | None) -> str | None:
    """The QGIS expression of a rule's ``where``."""
    if where is None:
        return None
    if where[0] == "ELSE":
        return "ELSE"
    name, values = where
    lhs = "$id" if name == "$id" else '"' + name.replace('"', '""') + '"'
    return f"{lhs} IN ({', '.join(_literal(v) for v in values)})" if len(values) != 1 else \
        f"{lhs} = {_literal(values[0])}"


def qgis_label_expression(parts: tuple[str, ...]) -> str:
    """``("code", "\\n", "hh", "'户'")`` → ``coalesce(to_string("code"), '') || '\\n' || …``."""
    out = []
    for p in parts:
        if p == "\n":
            out.append("'\n'")
        elif p.startswith("'"):
            out.append(p)
        else:
            out.append(f"coalesce(to_string(\"{p}\"), '')")
    return " || ".join(out)


# -- QML ----------------------------------------------------------------------------------------
def _props(parent, props: dict) -> None:
    for k, v in props.items():
        ET.SubElement(parent, "prop", {"k": k, "v": str(v)})


_UNIT_SCALE = "3x:0,0,0,0,0,0"


def _qml_line_props(st: Stroke) -> dict:
    return {"capstyle": "flat" if st.dash else st.cap, "customdash": ";".join(f"{d:g}" for d in st.dash or (5, 2)),
            "customdash_map_unit_scale": _UNIT_SCALE, "customdash_unit": "MM", "draw_inside_polygon": "0",
            "joinstyle": "round", "line_color": _rgba(st.colour, st.opacity), "line_style": "solid",
            "line_width": f"{st.width_mm:g}", "line_width_unit": "MM", "offset": "0", "offset_unit": "MM",
            "ring_filter": "0", "use_custom_dash": "1" if st.dash else "0", "width_map_unit_scale": _UNIT_SCALE}


def _qml_symbol(parent, name: str, kind: str, layers: tuple) -> None:
    sym = ET.SubElement(parent, "symbol", {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1",
                                           "force_rhr": "0"})
    for lyr in layers:
        if isinstance(lyr, Fill):
            el = ET.SubElement(sym, "layer", {"class": "SimpleFill", "pass": "0", "enabled": "1", "locked": "0"})
            style = lyr.hatch or ("solid" if lyr.colour else "no")
            _props(el, {"border_width_map_unit_scale": _UNIT_SCALE,
                        "color": _rgba(lyr.colour or "#ffffff", lyr.opacity if lyr.colour else 0.0),
                        "joinstyle": "round", "offset": "0,0", "offset_map_unit_scale": _UNIT_SCALE,
                        "offset_unit": "MM", "outline_color": "0,0,0,0", "outline_style": "no",
                        "outline_width": "0", "outline_width_unit": "MM", "style": style})
        elif isinstance(lyr, Stroke):
            el = ET.SubElement(sym, "layer", {"class": "SimpleLine", "pass": "0", "enabled": "1", "locked": "0"})
            _props(el, _qml_line_props(lyr))
        elif isinstance(lyr, Marker):
            el = ET.SubElement(sym, "layer", {"class": "SimpleMarker", "pass": "0", "enabled": "1", "locked": "0"})
            _props(el, {"angle": "0", "color": _rgba(lyr.colour), "horizontal_anchor_point": "1",
                        "joinstyle": "round", "name": _MARKERS.get(lyr.shape, ("circle",))[0], "offset": "0,0",
                        "offset_map_unit_scale": _UNIT_SCALE, "offset_unit": "MM",
                        "outline_color": _rgba(lyr.outline), "outline_style": "solid",
                        "outline_width": f"{lyr.outline_mm:g}", "outline_width_unit": "MM",
                        "scale_method": "diameter", "size": f"{lyr.size_mm:g}", "size_unit": "MM",
                        "vertical_anchor_point": "1"})
        else:  # pragma: no cover - a programming error
            raise TypeError(f"unknown symbol layer {lyr!r}")


_GEOM_CODE = {"point": "0", "line": "1", "polygon": "2"}


def _key(layer: str, i) -> str:
    """A rule key as QGIS makes them (a braced UUID), the same for the same layer and rule."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"gridtool/{layer}/{i}")) + "}"
_SYMBOL_KIND = {"point": "marker", "line": "line", "polygon": "fill"}


def qml(st: LayerStyle) -> str:
    """The QML document of a layer style (symbology and labels)."""
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Labeling",
                               "labelsEnabled": "1" if st.label else "0"})
    r = ET.SubElement(root, "renderer-v2", {"type": "RuleRenderer", "symbollevels": "0", "enableorderby": "0",
                                             "forceraster": "0"})
    rules = ET.SubElement(r, "rules", {"key": _key(st.layer, "root")})
    symbols = ET.SubElement(r, "symbols")
    for i, rule in enumerate(st.rules):
        attrs = {"key": _key(st.layer, i), "symbol": str(i), "label": rule.title}
        flt = qgis_filter(rule.where)
        if flt:
            attrs["filter"] = flt
        if rule.max_scale:
            attrs["scalemaxdenom"] = f"{rule.max_scale:g}"  # the most zoomed-out scale it is drawn at
        ET.SubElement(rules, "rule", attrs)
        _qml_symbol(symbols, str(i), _SYMBOL_KIND[st.geometry], rule.layers)
    if st.label:
        _qml_labeling(root, st)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "layerGeometryType").text = _GEOM_CODE[st.geometry]
    ET.indent(root, "  ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _qml_labeling(root, st: LayerStyle) -> None:
    lb = st.label
    lab = ET.SubElement(root, "labeling", {"type": "simple"})
    s = ET.SubElement(lab, "settings", {"calloutType": "simple"})
    ts = ET.SubElement(s, "text-style", {
        "fieldName": qgis_label_expression(lb.parts), "isExpression": "1", "fontFamily": LABEL_FONT,
        "fontSize": f"{lb.size_pt:g}", "fontSizeUnit": "Point", "fontWeight": "75" if lb.bold else "50",
        "fontItalic": "0", "textColor": _rgba(lb.colour), "textOpacity": "1", "multilineHeight": "1",
        "namedStyle": "Bold" if lb.bold else "Regular", "blendMode": "0", "allowHtml": "0",
        "fontLetterSpacing": "0", "fontWordSpacing": "0", "capitalization": "0", "fontUnderline": "0",
        "fontStrikeout": "0", "useSubstitutions": "0", "previewBkgrdColor": "255,255,255,255"})
    ET.SubElement(ts, "text-buffer", {"bufferDraw": "1" if lb.halo_mm else "0", "bufferSize": f"{lb.halo_mm:g}",
                                      "bufferSizeUnits": "MM", "bufferColor": "255,255,255,255",
                                      "bufferOpacity": "1", "bufferNoFill": "1", "bufferJoinStyle": "128",
                                      "bufferBlendMode": "0", "bufferSizeMapUnitScale": _UNIT_SCALE})
    ET.SubElement(s, "text-format", {"wrapChar": "", "multilineAlign": "1", "autoWrapLength": "0",
                                     "useMaxLineLengthForAutoWrap": "1", "addDirectionSymbol": "0",
                                     "formatNumbers": "0", "decimals": "3", "plussign": "0"})
    placement = {"polygon": {"placement": "1", "fitInPolygonOnly": "1", "centroidInside": "1", "centroidWhole": "0"},
                 "line": {"placement": "2", "placementFlags": "10", "repeatDistance": "0"},
                 "point": {"placement": "6", "dist": "1", "distUnits": "MM",
                           "predefinedPositionOrder": "TR,TL,BR,BL,R,L,TSR,BSR"}}[st.geometry]
    ET.SubElement(s, "placement", {**placement, "priority": str(lb.priority), "offsetType": "0", "overrunDistance": "0",
                                   "overrunDistanceUnit": "MM", "layerType": {"polygon": "PolygonGeometry",
                                   "line": "LineGeometry", "point": "PointGeometry"}[st.geometry]})
    rend = {"obstacle": "1", "obstacleType": "1", "obstacleFactor": "1", "displayAll": "0", "upsidedownLabels": "0",
            "labelPerPart": "0", "mergeLines": "1" if st.geometry == "line" else "0", "limitNumLabels": "0",
            "maxNumLabels": "2000", "minFeatureSize": "0", "fontLimitPixelSize": "0", "drawLabels": "1",
            "zIndex": "0", "scaleVisibility": "1" if lb.max_scale else "0", "scaleMin": "0",
            "scaleMax": f"{lb.max_scale:g}" if lb.max_scale else "0"}
    ET.SubElement(s, "rendering", rend)


# -- SLD 1.1 -------------------------------------------------------------------------------------
def _se(tag: str) -> str:
    return f"{{{_SLD_NS['se']}}}{tag}"


def _css(parent, tag: str, params: dict) -> None:
    el = ET.SubElement(parent, _se(tag))
    for k, v in params.items():
        ET.SubElement(el, _se("SvgParameter"), {"name": k}).text = str(v)


def _sld_stroke_params(st: Stroke) -> dict:
    px = 3.7795  # SLD widths are pixels at 96 dpi: 1 mm = 3.78 px
    p = {"stroke": st.colour, "stroke-opacity": f"{st.opacity:g}", "stroke-width": f"{st.width_mm * px:.2f}",
         "stroke-linejoin": "round", "stroke-linecap": "butt" if st.dash else st.cap}
    if st.dash:
        p["stroke-dasharray"] = " ".join(f"{d * px:.2f}" for d in st.dash)
    return p


def _sld_filter(parent, where: tuple | None, layer: str) -> None:
    if where is None:
        return
    if where[0] == "ELSE":
        ET.SubElement(parent, _se("ElseFilter"))
        return
    ogc = _SLD_NS["ogc"]
    f = ET.SubElement(parent, f"{{{ogc}}}Filter")
    name, values = where
    if name == "$id":
        for v in values:
            ET.SubElement(f, f"{{{ogc}}}FeatureId", {"fid": f"{layer}.{int(v)}"})
        return
    target = ET.SubElement(f, f"{{{ogc}}}Or") if len(values) > 1 else f
    for v in values:
        eq = ET.SubElement(target, f"{{{ogc}}}PropertyIsEqualTo")
        ET.SubElement(eq, f"{{{ogc}}}PropertyName").text = name
        ET.SubElement(eq, f"{{{ogc}}}Literal").text = str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v)


def sld(st: LayerStyle) -> str:
    """The SLD 1.1 document of a layer style (what GeoServer, ArcGIS Pro and QGIS's SLD import read)."""
    for k, v in _SLD_NS.items():
        ET.register_namespace(k, v)  # prefixed, so no default namespace is taken from the KML/GPX writers
    sldns = _SLD_NS["sld"]
    root = ET.Element(f"{{{sldns}}}StyledLayerDescriptor", {
        "version": "1.1.0",
        f"{{{_SLD_NS['xsi']}}}schemaLocation": "http://www.opengis.net/sld "
        "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"})
    nl = ET.SubElement(root, f"{{{sldns}}}NamedLayer")
    ET.SubElement(nl, _se("Name")).text = st.layer
    us = ET.SubElement(nl, f"{{{sldns}}}UserStyle")
    ET.SubElement(us, _se("Name")).text = st.layer
    fts = ET.SubElement(us, _se("FeatureTypeStyle"))
    for rule in st.rules:
        r = ET.SubElement(fts, _se("Rule"))
        ET.SubElement(r, _se("Name")).text = rule.title
        _sld_filter(r, rule.where, st.layer)
        if rule.max_scale:
            ET.SubElement(r, _se("MaxScaleDenominator")).text = f"{rule.max_scale:g}"
        for lyr in rule.layers:
            if isinstance(lyr, Fill):
                if lyr.colour is None:
                    continue
                ps = ET.SubElement(r, _se("PolygonSymbolizer"))
                if lyr.hatch:  # a hatch: shape://slash graphic fill
                    fill = ET.SubElement(ps, _se("Fill"))
                    g = ET.SubElement(ET.SubElement(fill, _se("GraphicFill")), _se("Graphic"))
                    mark = ET.SubElement(g, _se("Mark"))
                    ET.SubElement(mark, _se("WellKnownName")).text = "shape://slash"
                    _css(mark, "Stroke", {"stroke": lyr.colour, "stroke-width": "1"})
                    ET.SubElement(g, _se("Size")).text = "8"
                else:
                    _css(ps, "Fill", {"fill": lyr.colour, "fill-opacity": f"{lyr.opacity:g}"})
            elif isinstance(lyr, Stroke):
                tag = "PolygonSymbolizer" if st.geometry == "polygon" else "LineSymbolizer"
                _css(ET.SubElement(r, _se(tag)), "Stroke", _sld_stroke_params(lyr))
            elif isinstance(lyr, Marker):
                g = ET.SubElement(ET.SubElement(r, _se("PointSymbolizer")), _se("Graphic"))
                mark = ET.SubElement(g, _se("Mark"))
                ET.SubElement(mark, _se("WellKnownName")).text = _MARKERS.get(lyr.shape, ("", "circle"))[1]
                _css(mark, "Fill", {"fill": lyr.colour})
                _css(mark, "Stroke", {"stroke": lyr.outline, "stroke-width": f"{lyr.outline_mm * 3.78:.2f}"})
                ET.SubElement(g, _se("Size")).text = f"{lyr.size_mm * 3.78:.1f}"
    if st.label:
        lb = st.label
        r = ET.SubElement(fts, _se("Rule"))
        ET.SubElement(r, _se("Name")).text = "label"
        if lb.max_scale:
            ET.SubElement(r, _se("MaxScaleDenominator")).text = f"{lb.max_scale:g}"
        ts = ET.SubElement(r, _se("TextSymbolizer"))
        label = ET.SubElement(ts, _se("Label"))
        last = None
        for p in lb.parts:  # mixed content: property names and literal text
            if p.startswith("'") or p == "\n":
                text = "\n" if p == "\n" else p.strip("'")
                if last is None:
                    label.text = (label.text or "") + text
                else:
                    last.tail = (last.tail or "") + text
            else:
                last = ET.SubElement(label, f"{{{_SLD_NS['ogc']}}}PropertyName")
                last.text = p
        _css(ts, "Font", {"font-family": LABEL_FONT, "font-size": f"{lb.size_pt * 96 / 72:.1f}",
                          "font-weight": "bold" if lb.bold else "normal"})
        halo = ET.SubElement(ts, _se("Halo"))
        ET.SubElement(halo, _se("Radius")).text = f"{lb.halo_mm * 3.78:.1f}"
        _css(halo, "Fill", {"fill": "#ffffff"})
        _css(ts, "Fill", {"fill": lb.colour})
    ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=False)


# -- the styles of gridtool's layers -------------------------------------------------------------
def _family(gdf) -> str | None:
    """point / line / polygon: the main geometry family of a layer (None when it has no geometry)."""
    if gdf is None or not hasattr(gdf, "geom_type") or not len(gdf):
        return None
    kinds = gdf.geom_type.dropna().str.replace("Multi", "", regex=False).map(
        {"Point": "point", "LineString": "line", "LinearRing": "line", "Polygon": "polygon"}).dropna()
    return kinds.mode().iloc[0] if len(kinds) else None


def _values(gdf, col: str) -> list:
    if col not in gdf:
        return []
    return sorted({v.item() if hasattr(v, "item") else v for v in gdf[col].dropna()}, key=lambda v: (str(type(v)), v))


def _grid_rules(gdf, fills: pd.Series | None) -> list[Rule]:
    from .colours import EXTRA_PALETTE, GRID_PALETTE, grid_colours

    fills = grid_colours(gdf) if fills is None else fills
    palette = list(dict.fromkeys([*GRID_PALETTE, *EXTRA_PALETTE]))
    fills = pd.Series(np.asarray(fills, dtype=object), index=gdf.index)
    codes = gdf["code"] if "code" in gdf else None
    by_code = codes is not None and codes.notna().all() and codes.astype(str).is_unique
    edge = Stroke(S.GRID_EDGE, 0.3)
    rules = []
    for k, colour in enumerate(c for c in palette + sorted(set(fills) - set(palette)) if (fills == c).any()):
        sel = (fills == colour).to_numpy()
        where = ("code", codes[sel].astype(str).tolist()) if by_code else ("$id", (np.flatnonzero(sel) + 1).tolist())
        rules.append(Rule(f"色{k + 1}（相邻网格不同色）", (Fill(colour, 0.85), edge), where))
    rules.append(Rule("其他网格", (Fill("#ffffff", 0.85), edge), ("ELSE",)))
    return rules


def _road_rules() -> list[Rule]:
    rules = []
    for st in S.ROAD_STYLES:
        classes = sorted(c for c, g in S.ROAD_GROUP.items() if g == st.key)
        classes += [f"{c}_link" for c in classes if c in ("motorway", "trunk", "primary", "secondary", "tertiary")]
        layers = ((Stroke(st.casing, st.width_mm + 0.16),) if st.casing else ()) + \
            (Stroke(st.colour, st.width_mm, st.dashes),)
        rules.append(Rule(st.zh, layers, ("class", sorted(classes)), None if st.max_scale >= 1e9 else st.max_scale))
    minor = next(s for s in S.ROAD_STYLES if s.key == "minor")
    rules.append(Rule("其他道路", (Stroke(minor.casing, minor.width_mm + 0.16), Stroke(minor.colour, minor.width_mm)),
                      ("ELSE",), minor.max_scale))
    return rules


#: Titles of the routing files' layers that the app's layer list does not name.
_TITLE_ZH = {"hotspot_streets": "警情高发街段", "unassigned_households": "未划入网格住户", "uncovered": "服务圈外住户",
             "walk": "街巷巡查路线", "sites": "站点", "exits": "出口", "seal_paths": "封控路线"}
#: The words a table of one geometry family split from a mixed layer adds to its title (重点场所（面）).
_FAMILY_ZH = {"point": "（点）", "line": "（线）", "polygon": "（面）"}


def layer_style(name: str, gdf, *, grid_fills: pd.Series | None = None, role: str | None = None) -> LayerStyle | None:
    """The wall-map style of gridtool layer ``name`` (None for a layer gridtool does not style).

    ``role``: the layer's role when the table is named otherwise (``places_polygon``, the areas of a
    mixed ``places`` layer split by geometry family): styled as that role's areas, titled 重点场所（面）."""
    from ..roles import PLACE_CATEGORIES
    from .style import CIRCLE_COLOURS, LAYER_ZH

    geom = _family(gdf)
    if geom is None:
        return None
    table, name = name, role or name
    title = LAYER_ZH.get(name) or _TITLE_ZH.get(name) or (
        f"服务圈外住户（{name.split('_', 1)[1].removesuffix('min')} 分钟）" if name.startswith("uncovered_") else name)
    title += _FAMILY_ZH[geom] if table != name and table.endswith(f"_{geom}") else ""
    st = LayerStyle(table, geom, f"{title}（gridtool 挂图样式）")
    if name == "grids" and geom == "polygon":
        st.rules = _grid_rules(gdf, grid_fills)
        st.label = Label(("code", "\n", "hh", "'户'") if "hh" in gdf else ("code",), 8, max_scale=100_000,
                         priority=9)
    elif name == "subgrids" and geom == "polygon":
        st.rules = [Rule("子网格界线", (Fill(None), Stroke(S.SUBGRID_EDGE, 0.12, (1.2, 0.6))))]
        if "code" in gdf:
            st.label = Label(("code",), 6, "#555555", max_scale=10_000)
    elif name == "special_grids" and geom == "polygon":
        st.rules = [Rule("专属网格（学校、医院、市场等）", (Fill(S.SPECIAL_EDGE, hatch="b_diagonal"),
                                                    Stroke(S.SPECIAL_EDGE, 0.25)))]
        if "name" in gdf:
            st.label = Label(("name",), 7, S.SPECIAL_EDGE, max_scale=25_000)
    elif name == "corridors" and geom == "polygon":
        st.rules = [Rule("专项网格（河流、铁路、田林）", (Fill(None), Stroke(S.CORRIDOR_EDGE, 0.2, (0.35, 0.5))))]
        if "name" in gdf:
            st.label = Label(("name",), 7, S.CORRIDOR_EDGE, max_scale=50_000)
    elif name == "villages" and geom == "polygon":
        st.rules = [Rule("村（社区）界", (Fill(None), Stroke(S.VILLAGE_EDGE, 0.6, (3.0, 0.5, 0.5, 0.5))))]
        if "name" in gdf:
            st.label = Label(("name",), 12, S.VILLAGE_EDGE, halo_mm=0.8, priority=10)
    elif name == "roads" and geom == "line":
        st.rules = _road_rules()
        if "name" in gdf:
            st.label = Label(("name",), 7, "#333333", max_scale=15_000, priority=2)
    elif name == "rivers" and geom in ("line", "polygon"):  # wells and springs as points: not a river's line
        if geom == "polygon":
            st.rules = [Rule("河流、水面", (Fill(S.WATER_FILL), Stroke(S.WATER_LINE, 0.08)))]
        else:
            st.rules = [Rule("河流、运河", (Stroke(S.WATER_LINE, 0.5),), ("kind", ["canal", "river"])),
                        Rule("溪流、沟渠", (Stroke(S.WATER_LINE, 0.25),), ("ELSE",))]
        if "name" in gdf:
            st.label = Label(("name",), 7, S.WATER_LINE, max_scale=50_000)
    elif name == "railways" and geom == "line":
        rail = (Stroke(S.RAIL, 0.7, cap="flat"), Stroke("#ffffff", 0.38, (3.0, 3.0)))
        st.rules = ([Rule("铁路（隧道）", (Stroke(S.RAIL, 0.35, (1.0, 1.0)),), ("tunnel", [True])),
                     Rule("铁路", rail, ("ELSE",))] if "tunnel" in gdf else [Rule("铁路", rail)])
    elif name == "forest" and geom == "polygon":
        st.rules = [Rule("林地", (Fill(S.FOREST_FILL),))]
    elif name in ("places", "sites", "stations") and geom == "point":
        cats = _values(gdf, "category") if name == "places" else []
        for c in cats:
            ps = S.PLACE_STYLES.get(str(c), S.PLACE_STYLES["other"])
            st.rules.append(Rule(PLACE_CATEGORIES.get(str(c), str(c)), (Marker(ps.marker, ps.colour, 3.2),),
                                 ("category", [c])))
        police = S.PLACE_STYLES["police"]
        default = Marker("*", police.colour, 4.0) if name != "places" else \
            Marker(S.PLACE_STYLES["other"].marker, S.PLACE_STYLES["other"].colour, 3.2)
        st.rules.append(Rule("其他" if cats else title, (default,), ("ELSE",) if cats else None))
        if "name" in gdf:
            st.label = Label(("name",), 7, "#333333", max_scale=25_000)
    elif name in ("places", "sites", "stations") and geom == "polygon":
        # a school's grounds in its category's colour, as its point marker would be
        for c in _values(gdf, "category") if name == "places" else []:
            colour = S.PLACE_STYLES.get(str(c), S.PLACE_STYLES["other"]).colour
            st.rules.append(Rule(PLACE_CATEGORIES.get(str(c), str(c)), (Fill(colour, 0.25), Stroke(colour, 0.25)),
                                 ("category", [c])))
        st.rules.append(Rule("其他" if st.rules else title, (Fill(S.PLACE_STYLES["other"].colour, 0.25),
                                                            Stroke("#6a1b9a", 0.25)), ("ELSE",) if st.rules else None))
        if "name" in gdf:
            st.label = Label(("name",), 7, "#333333", max_scale=25_000)
    elif name in ("households", "unassigned_households") or name.startswith("uncovered"):
        # households outside every circle or grid in red, as a point or as their building
        alarm = name != "households"
        colour = "#d62728" if alarm else "#5a5a5a"
        if geom == "point":
            st.rules = [Rule(title, (Marker("o", colour, 1.4, outline="#ffffff", outline_mm=0.1),))]
        elif geom == "polygon":
            st.rules = [Rule(title, (Fill("#f4a6a6" if alarm else "#d9d9d9"), Stroke(colour if alarm else "#9a9a9a",
                                                                                     0.08)))]
        else:  # no fill for a line: a households layer is points or buildings
            return None
    elif name == "incidents" and geom == "point":  # 警情 (exported only on request): as on the HTML map
        st.rules = [Rule(title, (Marker("o", "#c62828", 1.6, outline="#ffffff", outline_mm=0.1),))]
    elif name == "hotspot_streets" and geom == "line":  # the stretch along the street each hot spot counts
        st.rules = [Rule(title, (Stroke("#b71c1c", 1.2, opacity=0.6),))]
        if "name" in gdf:
            st.label = Label(("name",), 7, "#b71c1c", max_scale=25_000)
    elif name in ("routes", "route_stops", "walk") and geom in ("line", "point"):
        key = "walker" if name == "walk" else "team"
        for t in _values(gdf, key):
            try:
                colour = S.ROUTE_COLOURS[(int(t) - 1) % len(S.ROUTE_COLOURS)]
            except (TypeError, ValueError):
                colour = S.ROUTE_COLOURS[0]
            sym = (Stroke("#ffffff", 1.3), Stroke(colour, 0.8)) if geom == "line" else \
                (Marker("o", colour, 3.0, outline="#ffffff", outline_mm=0.3),)
            st.rules.append(Rule(f"第{t}{'人' if name == 'walk' else '队'}", sym, (key, [t])))
        other = (Stroke(S.ROUTE_COLOURS[0], 0.8),) if geom == "line" else (Marker("o", S.ROUTE_COLOURS[0], 3.0),)
        st.rules.append(Rule(title, other, ("ELSE",) if st.rules else None))
        if name == "route_stops" and {"team", "seq"} <= set(gdf.columns):
            st.label = Label(("team", "'-'", "seq", "' '", "place") if "place" in gdf else ("team", "'-'", "seq"),
                             7, "#111111", max_scale=25_000)
    elif name == "seal_paths" and geom == "line":  # gridtool seal: a post's way to its exit
        st.rules = [Rule("封控路线", (Stroke("#ffffff", 1.1), Stroke(S.SPECIAL_EDGE, 0.6, (2.0, 1.0))))]
        if "exit" in gdf:
            st.label = Label(("exit",), 7, S.SPECIAL_EDGE, max_scale=25_000)
    elif name in ("exits", "hotspots") and geom == "point":
        shape = "s" if name == "exits" else "o"
        st.rules = [Rule("出口" if name == "exits" else "警情热点", (Marker(shape, S.SPECIAL_EDGE, 3.2),))]
        if "name" in gdf:
            st.label = Label(("name",), 7, S.SPECIAL_EDGE, max_scale=25_000)
    elif name == "ridges" and geom == "line":  # the ridges a partition followed, as on the wall map
        st.rules = [Rule(S.ridge_label(gdf), (Stroke(S.RIDGE, 0.18, (1.0, 0.4), cap="flat"),))]
    elif name == "party_links" and geom == "line":  # thin: a member's lines read as a star over their households
        st.rules = [Rule("党员到所联系住户", (Stroke("#c62828", 0.15, opacity=0.6),))]
    elif name == "party_members" and geom == "point":
        red = Marker("o", "#c62828", 2.4)
        st.rules = ([Rule("党员（未安排联系户）", (Marker("o", "#9e9e9e", 2.2),), ("hh", [0])),
                     Rule("党员（已联户）", (red,), ("ELSE",))] if "hh" in gdf else [Rule(title, (red,))])
        if "name" in gdf:
            st.label = Label(("name",), 7, "#c62828", max_scale=10_000)
    elif name == "circles" and geom == "polygon":
        for i, m in enumerate(_values(gdf, "minutes")):
            colour = CIRCLE_COLOURS[i % len(CIRCLE_COLOURS)]
            # outlines only, as on the HTML map: the circles of many stations overlap
            st.rules.append(Rule(f"{m:g} 分钟服务圈", (Fill(None), Stroke(colour, 0.5)), ("minutes", [m])))
        st.rules.append(Rule(title, (Fill(None), Stroke(CIRCLE_COLOURS[0], 0.5)), ("ELSE",) if st.rules else None))
    else:
        return None
    return st


def wall_map_fills(project, layers: dict) -> pd.Series | None:
    """The wall map's grid fills (computed on the project's grids, in metres) aligned with
    ``layers["grids"]`` as :func:`gis.prepare_layers` gives it (same rows, same order)."""
    grids = project.layers.get("grids")
    if "grids" not in layers or grids is None or grids.gdf is None or len(grids.gdf) != len(layers["grids"]):
        return None
    from .colours import grid_colours
    return grid_colours(grids.gdf).reset_index(drop=True)


# -- the table ------------------------------------------------------------------------------------
def _geometry_columns(path: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())


def write_layer_styles(path: str | Path, layers: dict, *, grid_fills: pd.Series | None = None,
                       roles: dict[str, str] | None = None) -> list[str]:
    """Add (or replace) the default QGIS style of every styled layer of ``layers`` in the GeoPackage.

    Parameters
    ----------
    path
        A GeoPackage holding the layers (written before, by gridtool).
    layers
        ``{table name: GeoDataFrame}`` as written (rows in table order: the grids' colour classes
        are looked up by code, or by feature id when codes are missing or repeated).
    grid_fills
        The grids' fills (aligned with ``layers["grids"]``), default :func:`colours.grid_colours` of it.
    roles
        ``{table name: role}`` for tables named otherwise than their role (``places_point`` →
        ``places``): styled as that role.

    Returns
    -------
    list of str
        The tables styled.
    """
    import pyogrio

    path = Path(path)
    geom_cols = _geometry_columns(path)
    rows = []
    now = datetime.now(timezone.utc).replace(microsecond=0)  # with its zone: GeoPackage wants ...Z
    for name, gdf in layers.items():
        if name not in geom_cols:
            continue
        try:
            st = layer_style(name, gdf, grid_fills=grid_fills if name == "grids" else None,
                             role=(roles or {}).get(name))
            if st is None:
                continue
            row = {"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                   "f_geometry_column": geom_cols[name], "styleName": name, "styleQML": qml(st),
                   "styleSLD": sld(st), "useAsDefault": True,
                   "description": st.title, "owner": "gridtool", "ui": "", "update_time": now}
        except Exception:  # noqa: BLE001 - a style is a courtesy: it never stops a save or an export
            log.warning("no QGIS style for layer %s", name, exc_info=True)
            continue
        rows.append(row)
    if not rows:
        return []
    with sqlite3.connect(path) as con:
        exists = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name=?", (STYLE_TABLE,)).fetchone()
    if exists:  # replace gridtool's own rows; a default someone saved from QGIS stays the default
        with sqlite3.connect(path) as con:
            con.executemany(f"DELETE FROM {STYLE_TABLE} WHERE f_table_name=? AND owner='gridtool'",
                            [(r["f_table_name"],) for r in rows])
            theirs = {t for (t,) in con.execute(f"SELECT f_table_name FROM {STYLE_TABLE} WHERE useAsDefault")}
        for r in rows:
            r["useAsDefault"] = r["f_table_name"] not in theirs
    df = pd.DataFrame(rows)
    pyogrio.write_dataframe(df, path, layer=STYLE_TABLE, driver="GPKG", append=bool(exists),
                            layer_options=None if exists else {"FID": "id"})
    return [r["f_table_name"] for r in rows]


__all__ = ["Fill", "Label", "LayerStyle", "Marker", "Rule", "STYLE_TABLE", "Stroke", "layer_style", "qgis_filter",
           "qml", "sld", "write_layer_styles"]
