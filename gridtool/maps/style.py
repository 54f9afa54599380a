"""Symbols of the print maps: road classes, water, railways, boundaries, key places.

One table so that the wall map, the atlas, the five-colour map and the route cards look alike and
their legends say the same. Widths are millimetres on an A4 sheet; :func:`lw` scales them to the
sheet (a wall map is read from further away) and converts them to points.
"""

from __future__ import annotations

from dataclasses import dataclass

from .paper import PT_PER_MM


@dataclass(frozen=True)
class RoadStyle:
    key: str
    zh: str
    en: str
    width_mm: float
    colour: str
    casing: str | None
    max_scale: float  # drawn only at scales of 1:max_scale or larger
    dashes: tuple[float, float] | None = None


#: Road groups, drawn bottom to top. OSM classes fold into them via :data:`ROAD_GROUP`.
ROAD_STYLES: tuple[RoadStyle, ...] = (
    RoadStyle("path", "步行道、小路", "footway / path", 0.18, "#8c8c8c", None, 15_000, (2.0, 1.5)),
    RoadStyle("minor", "街巷、村道", "street / village road", 0.35, "#ffffff", "#9a9a9a", 60_000),
    RoadStyle("tertiary", "支路", "tertiary road", 0.55, "#ffffff", "#7f7f7f", 250_000),
    RoadStyle("main", "主、次干道", "primary / secondary road", 0.8, "#fdd06b", "#a07b20", 1e9),
    RoadStyle("motorway", "高速公路、国道", "motorway / trunk", 1.1, "#f08a5d", "#9c3d14", 1e9),
)
ROAD_GROUP = {
    "motorway": "motorway", "trunk": "motorway",
    "primary": "main", "secondary": "main",
    "tertiary": "tertiary",
    "unclassified": "minor", "residential": "minor", "living_street": "minor", "service": "minor",
    "track": "minor", "road": "minor",
    "footway": "path", "path": "path", "pedestrian": "path", "steps": "path", "cycleway": "path",
    "bridleway": "path",
}

WATER_FILL = "#a9d3f0"
WATER_LINE = "#3b8ed0"
FOREST_FILL = "#dcefd2"
RAIL = "#333333"
VILLAGE_EDGE = "#5b2a86"
GRID_EDGE = "#2f2f2f"
SUBGRID_EDGE = "#6d6d6d"
SPECIAL_EDGE = "#b2182b"
CORRIDOR_EDGE = "#2166ac"
#: Ridge lines (山脊线) a partition followed: brown like a topographic map's contours.
RIDGE = "#8c510a"
ROUTE_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class PlaceStyle:
    marker: str
    colour: str


PLACE_STYLES: dict[str, PlaceStyle] = {
    "police": PlaceStyle("*", "#08306b"),
    "school": PlaceStyle("^", "#d94801"),
    "kindergarten": PlaceStyle("^", "#fd8d3c"),
    "hospital": PlaceStyle("P", "#cb181d"),
    "clinic": PlaceStyle("P", "#fb6a4a"),
    "market": PlaceStyle("s", "#6a51a3"),
    "supermarket": PlaceStyle("s", "#9e9ac8"),
    "bank": PlaceStyle("D", "#238b45"),
    "townhall": PlaceStyle("p", "#54278f"),
    "camera": PlaceStyle("o", "#525252"),
    "enterprise": PlaceStyle("h", "#8c510a"),
    "other": PlaceStyle("o", "#737373"),
}

#: Fills of patrol teams (strong, distinct from the light grid fills).
TEAM_COLOURS = ("#d62728", "#1f4e9c", "#2e7d32", "#7b1fa2", "#e65100", "#00838f", "#5d4037", "#ad1457")
#: Outline colours of service circles by their minutes, shortest first.
CIRCLE_COLOURS = ("#2e7d32", "#ef6c00", "#6a1b9a", "#c62828")
#: Chinese names of the layers (KML folders, messages).
LAYER_ZH = {"grids": "基础网格", "subgrids": "子网格", "special_grids": "专属网格", "corridors": "专项网格",
            "routes": "巡逻路线", "route_stops": "巡逻点位", "circles": "服务圈", "places": "重点场所",
            "villages": "村（社区）界", "households": "住户", "hotspots": "警情热点", "incidents": "警情",
            "stations": "派出所（站点）", "party_links": "党员联户连线", "party_members": "党员",
            "ridges": "山脊线"}
#: English names of the layers in running text (the app's layer names, ``role.*`` in
#: :mod:`gridtool.ui.strings`, lower case): a summary says "special grids 21", not the key ``special_grids``.
LAYER_EN = {"grids": "base grids", "subgrids": "sub-grids", "special_grids": "special grids", "corridors": "corridors",
            "routes": "patrol routes", "route_stops": "route stops", "circles": "service circles",
            "places": "key places", "villages": "villages", "households": "households",
            "hotspots": "incident hot spots", "incidents": "incidents", "stations": "stations",
            "party_links": "party-member links", "party_members": "party members", "ridges": "ridge lines",
            "rivers": "rivers", "roads": "roads", "railways": "railways"}


def ridge_label(ridges, lang: str = "zh") -> str:
    """The legend entry of the ridge lines, naming the elevation model they come from:
    ``山脊线（高程模型 X.tif）``; a map reader asks where a line no survey drew comes from."""
    dems = []
    if ridges is not None and "dem" in ridges:
        dems = sorted({str(d) for d in ridges["dem"].dropna() if str(d).strip()})
    name = "、".join(dems) if lang == "zh" else ", ".join(dems)
    if lang == "zh":
        return f"山脊线（高程模型 {name}）" if name else "山脊线（高程模型）"
    return f"ridge lines (elevation model {name})" if name else "ridge lines (elevation model)"


def lw(width_mm: float, unit: float = 1.0) -> float:
    """A line width in points for a width given in millimetres on A4, scaled to the sheet."""
    return width_mm * unit ** 0.7 * PT_PER_MM


def road_group(cls) -> str:
    c = str(cls or "").strip().lower()
    if c.endswith("_link"):
        c = c[:-5]
    return ROAD_GROUP.get(c, "minor")
