"""Default look of each layer role, the grid palette, and colouring neighbours apart.

Colours are ``(r, g, b, a)`` tuples of 0–255 so the models stay free of Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import shapely

RGBA = tuple[int, int, int, int]

#: Grid fills: soft colours that stay readable under black labels (ColorBrewer Set3 and Pastel1).
GRID_PALETTE: list[RGBA] = [
    (141, 211, 199, 255), (255, 237, 111, 255), (190, 186, 218, 255), (251, 128, 114, 255),
    (128, 177, 211, 255), (253, 180, 98, 255), (179, 222, 105, 255), (252, 205, 229, 255),
    (204, 235, 197, 255), (188, 128, 189, 255),
]
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
    "routes": LayerStyle(stroke=(228, 26, 28, 255), width=2.6, label_field="team"),
    "route_stops": LayerStyle(fill=(255, 255, 255, 255), stroke=(40, 40, 40, 255), width=1.2, point_size=14.0,
                              label_field="seq"),
    "incidents": LayerStyle(fill=(253, 141, 60, 200), stroke=None, point_size=4.0, label_field="type"),
    "hotspots": LayerStyle(fill=(189, 0, 38, 230), stroke=(255, 255, 255, 255), width=1.2, point_size=12.0,
                           label_field="rank"),
}


def default_style(role: str) -> LayerStyle:
    return replace(DEFAULT_STYLES.get(role, LayerStyle()))


def colour_apart(geoms, n_colours: int = len(GRID_PALETTE), fixed: dict[int, int] | None = None) -> np.ndarray:
    """A colour index per polygon such that polygons that touch get different colours when possible.

    Greedy in order of decreasing neighbour count (Welsh–Powell); ``fixed`` keeps the colours of
    some polygons (so a split or merge does not recolour the whole map).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    out = np.full(n, -1, dtype=np.int64)
    if not n:
        return out
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    nbrs: list[set] = [set() for _ in range(n)]
    if ok.any():
        idx = np.flatnonzero(ok)
        tree = shapely.STRtree(geoms[idx])
        a, b = tree.query(geoms[idx], predicate="dwithin", distance=1.0)
        for i, j in zip(idx[a], idx[b]):
            if i != j:
                nbrs[i].add(int(j))
    for i, c in (fixed or {}).items():
        if 0 <= i < n:
            out[i] = c
    order = sorted(range(n), key=lambda i: -len(nbrs[i]))
    counts = np.bincount(out[out >= 0], minlength=n_colours)
    for i in order:
        if out[i] >= 0:
            continue
        used = {out[j] for j in nbrs[i] if out[j] >= 0}
        free = [c for c in range(n_colours) if c not in used]
        # among the free colours, the least used so far keeps the map balanced
        out[i] = min(free, key=lambda c: (counts[c], c)) if free else i % n_colours
        counts[out[i]] += 1
    return out
