"""Default look of each layer role, and the grid fills of the map.

Colours are ``(r, g, b, a)`` tuples of 0–255 so the models stay free of Qt.

Grids are coloured by the one colouring of :mod:`gridtool.maps.colours` (neighbours apart, the
same palette and the same algorithm), so a grid has the same fill on the screen as on the wall map,
in the atlas and in the HTML map.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..maps import colours as _colours

RGBA = tuple[int, int, int, int]


def rgba(hex_colour: str, alpha: int = 255) -> RGBA:
    """``"#rrggbb"`` as an ``(r, g, b, a)`` tuple."""
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha)


#: Grid fills: the wall map's and the HTML map's (:data:`gridtool.maps.colours.GRID_PALETTE`, then
#: the extra colours a non-planar neighbour graph may need), in that order.
GRID_PALETTE: list[RGBA] = [rgba(c) for c in (*_colours.GRID_PALETTE, *_colours.EXTRA_PALETTE)]
_PALETTE_INDEX = {c: i for i, c in enumerate((*_colours.GRID_PALETTE, *_colours.EXTRA_PALETTE))}
UNASSIGNED: RGBA = (120, 120, 120, 255)
SPECIAL: RGBA = (230, 85, 13, 255)  # households of special grids (专属网格), as the special grids layer

#: Totals against the bounds (live colouring while painting).
STATE_COLOURS: dict[str, RGBA] = {"under": (33, 102, 172, 255), "ok": (26, 152, 80, 255),
                                  "over": (215, 48, 39, 255)}

#: Route colours per team.
TEAM_COLOURS: list[RGBA] = [(228, 26, 28, 255), (55, 126, 184, 255), (77, 175, 74, 255),
                            (152, 78, 163, 255), (255, 127, 0, 255), (166, 86, 40, 255)]

#: Service circles by minutes (shorter = darker).
CIRCLE_COLOURS: list[RGBA] = [(49, 130, 189, 70), (107, 174, 214, 55), (189, 215, 231, 45)]


@dataclass
class LayerStyle:
    """How a layer is drawn.

    ``fill``/``stroke`` None = not drawn. ``width`` in pixels. ``classes`` maps a value of
    ``class_field`` to (stroke, width) for lines (roads by class). ``label_field`` names the
    column whose text labels features when labels are on.
    """

    fill: RGBA | None = None
    stroke: RGBA | None = (80, 80, 80, 255)
    width: float = 1.0
    point_size: float = 5.0
    dash: bool = False
    label_field: str | None = None
    class_field: str | None = None
    classes: dict = field(default_factory=dict)

    def with_colour(self, rgba: RGBA) -> "LayerStyle":
        """The same style in another colour (the simple style editor changes the main colour)."""
        if self.fill is not None:
            return replace(self, fill=(rgba[0], rgba[1], rgba[2], self.fill[3]))
        return replace(self, stroke=rgba, classes={})

    @property
    def main_colour(self) -> RGBA:
        return self.fill if self.fill is not None else (self.stroke or (0, 0, 0, 255))


_ROAD_MAJOR = ((110, 110, 110, 255), 2.2)
_ROAD_MID = ((140, 140, 140, 255), 1.4)
_ROAD_MINOR = ((185, 185, 185, 255), 1.0)
ROAD_CLASSES = {
    **{c: _ROAD_MAJOR for c in ("motorway", "trunk", "primary")},
    **{c: _ROAD_MID for c in ("secondary", "tertiary")},
}

DEFAULT_STYLES: dict[str, LayerStyle] = {
    "villages": LayerStyle(fill=(250, 248, 240, 255), stroke=(90, 60, 40, 255), width=1.6, label_field="name"),
    "forest": LayerStyle(fill=(205, 228, 196, 255), stroke=None),
    "roads": LayerStyle(stroke=_ROAD_MINOR[0], width=_ROAD_MINOR[1], class_field="class", classes=ROAD_CLASSES,
                        label_field="name"),
    "rivers": LayerStyle(fill=(170, 205, 235, 255), stroke=(90, 150, 210, 255), width=1.6, label_field="name"),
    "railways": LayerStyle(stroke=(60, 60, 60, 255), width=1.8, dash=True),
    "grids": LayerStyle(fill=(0, 0, 0, 90), stroke=(40, 40, 40, 255), width=1.0, label_field="code"),
    "subgrids": LayerStyle(stroke=(90, 90, 90, 200), width=1.0, dash=True, label_field="code"),
    "special_grids": LayerStyle(fill=(230, 85, 13, 60), stroke=(230, 85, 13, 255), width=1.4, label_field="name"),
    "corridors": LayerStyle(fill=(49, 130, 189, 40), stroke=(49, 130, 189, 160), width=1.0, label_field="name"),
    "circles": LayerStyle(fill=(49, 130, 189, 60), stroke=(49, 130, 189, 200), width=1.0, label_field="station"),
    "households": LayerStyle(fill=(90, 90, 90, 255), stroke=(40, 40, 40, 160), width=0.5, point_size=3.0,
                             label_field="hh"),
    "places": LayerStyle(fill=(215, 48, 39, 255), stroke=(255, 255, 255, 255), width=1.0, point_size=7.0,
                         label_field="name"),
    "stations": LayerStyle(fill=(8, 48, 107, 255), stroke=(255, 255, 255, 255), width=1.0, point_size=9.0,
                           label_field="name"),
    "party_members": LayerStyle(fill=(203, 24, 29, 255), stroke=None, point_size=4.0, label_field="name"),
    "party_links": LayerStyle(stroke=(203, 24, 29, 120), width=1.0),
    # the ridges a partition followed (山脊线): the wall map's thin brown dashes (maps.style.RIDGE)
    "ridges": LayerStyle(stroke=(140, 81, 10, 230), width=1.2, dash=True, label_field="length_m"),
    "routes": LayerStyle(stroke=(228, 26, 28, 255), width=2.6, label_field="team"),
    "walk": LayerStyle(stroke=(228, 26, 28, 255), width=2.6, label_field="walker"),  # 街巷巡查: one colour a walker
    "route_stops": LayerStyle(fill=(255, 255, 255, 255), stroke=(40, 40, 40, 255), width=1.2, point_size=14.0,
                              label_field="seq"),
    "incidents": LayerStyle(fill=(253, 141, 60, 200), stroke=None, point_size=4.0, label_field="type"),
    "sites": LayerStyle(fill=(35, 139, 69, 255), stroke=(255, 255, 255, 255), width=1.2, point_size=12.0,
                        label_field="name"),
    "uncovered": LayerStyle(fill=(253, 141, 60, 230), stroke=(120, 40, 0, 255), width=0.6, point_size=6.0,
                            label_field="name"),
    "seal_paths": LayerStyle(stroke=(117, 52, 167, 230), width=3.0, label_field="station"),
    "exits": LayerStyle(fill=(200, 20, 20, 255), stroke=(255, 255, 255, 255), width=1.4, point_size=13.0,
                        label_field="name"),
    "hotspots": LayerStyle(fill=(189, 0, 38, 230), stroke=(255, 255, 255, 255), width=1.2, point_size=12.0,
                           label_field="rank"),
}


def default_style(role: str) -> LayerStyle:
    return replace(DEFAULT_STYLES.get(role, LayerStyle()))


def grid_palette_index(grids) -> dict[str, int]:
    """Code -> position in :data:`GRID_PALETTE` of each grid's fill.

    The fills are :func:`gridtool.maps.colours.grid_colours` of ``grids`` (the project's ``grids``
    layer, in its rows' order): the same fill the wall map, the atlas and the HTML map give each grid.
    Grids without geometry or code are left out.
    """
    if grids is None or not len(grids) or "code" not in grids:
        return {}
    fills = _colours.grid_colours(grids)
    return {str(code): _PALETTE_INDEX[f] for code, f in zip(grids["code"], fills)
            if f in _PALETTE_INDEX and code is not None and code == code}
