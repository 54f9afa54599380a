"""The layer list of the map: which project layers are drawn, in what order, in what style.

A :class:`MapLayer` wraps one project layer (by role) with the view's settings (visible, labels,
style) and its prepared geometry (:class:`~gridtool.ui.geometry.LayerGeometry`). ``version``
changes whenever the data changes so the canvas knows to drop its caches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd

from .events import Signal
from .geometry import LayerGeometry
from .styles import LayerStyle, default_style

#: Drawing order, top first.
DRAW_ORDER = ("route_stops", "routes", "walk", "exits", "sites", "stations", "uncovered", "seal_paths", "places", "hotspots", "incidents", "party_links",
              "party_members", "households",
              "special_grids", "subgrids", "ridges", "grids", "corridors", "circles", "railways", "rivers", "roads",
              "forest", "villages")
HIDDEN_BY_DEFAULT = frozenset({"subgrids", "corridors", "party_links", "party_members"})
LABELS_BY_DEFAULT = frozenset({"grids", "villages", "route_stops", "special_grids", "exits", "sites"})
#: Roles that are not drawn as map layers.
NOT_DRAWN = frozenset({"dem", "walk_steps"})  # a walk is drawn once, by its lines (``walk``)


def family_of(gdf: gpd.GeoDataFrame, role: str) -> str:
    """``"point"``, ``"line"`` or ``"polygon"`` by the layer's geometry (households are points on the map)."""
    if role in ("households", "places", "stations", "party_members", "route_stops"):
        return "point"
    types = set(gdf.geom_type.dropna().unique()) if len(gdf) else set()
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString", "LinearRing"}:
        return "line"
    if role in ("roads", "railways", "routes", "walk", "party_links", "ridges"):
        return "line"
    return "polygon"


@dataclass
class MapLayer:
    role: str
    gdf: gpd.GeoDataFrame
    visible: bool = True
    labels: bool = False
    style: LayerStyle = field(default_factory=LayerStyle)
    version: int = 0
    _geometry: LayerGeometry | None = None
    _family: str | None = None

    @property
    def family(self) -> str:
        # read on every render of the layer: the geometry types are looked at once per data
        if self._family is None:
            self._family = family_of(self.gdf, self.role)
        return self._family

    @property
    def geometry(self) -> LayerGeometry:
        if self._geometry is None:
            self._geometry = LayerGeometry(self.gdf.geometry.values, self.family)
        return self._geometry

    def set_data(self, gdf: gpd.GeoDataFrame) -> None:
        self.gdf = gdf
        self._geometry = None
        self._family = None
        self.version += 1


class LayerStack:
    """The ordered map layers (top first), kept in step with a project's layers."""

    def __init__(self) -> None:
        self.layers: list[MapLayer] = []
        #: ``(role, what)`` with what in ``"data"``, ``"style"``, ``"visible"``, ``"labels"``, ``"order"``,
        #: ``"reset"`` (role None).
        self.changed = Signal()

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def get(self, role: str) -> MapLayer | None:
        return next((m for m in self.layers if m.role == role), None)

    def roles(self) -> list[str]:
        return [m.role for m in self.layers]

    def sync(self, project, roles=None) -> None:
        """Add, refresh or drop map layers to match ``project.layers`` (``roles``: only these changed)."""
        if project is None:
            self.layers = []
            self.changed.emit(None, "reset")
            return
        present = {r: lyr for r, lyr in project.layers.items() if r not in NOT_DRAWN}
        keep = []
        for m in self.layers:
            if m.role in present:
                if roles is None or m.role in roles:
                    if m.gdf is not present[m.role].gdf:
                        m.set_data(present[m.role].gdf)
                keep.append(m)
        known = {m.role for m in keep}
        for role, lyr in present.items():
            if role not in known:
                keep.append(MapLayer(role=role, gdf=lyr.gdf, visible=role not in HIDDEN_BY_DEFAULT,
                                     labels=role in LABELS_BY_DEFAULT, style=default_style(role)))
        # New layers go to their place in the default order; user reordering of the others stays.
        rank = {r: i for i, r in enumerate(DRAW_ORDER)}
        old = [m for m in keep if m.role in {x.role for x in self.layers}]
        new = [m for m in keep if m not in old]
        for m in new:
            pos = len(old)
            for i, o in enumerate(old):
                if rank.get(o.role, 99) > rank.get(m.role, 99):
                    pos = i
                    break
            old.insert(pos, m)
        self.layers = old
        self.changed.emit(None, "reset")

    def move(self, role: str, delta: int) -> None:
        """Move a layer up (``delta`` < 0) or down the drawing order."""
        i = self.roles().index(role)
        j = max(0, min(len(self.layers) - 1, i + delta))
        if i != j:
            self.layers.insert(j, self.layers.pop(i))
            self.changed.emit(role, "order")

    def set_visible(self, role: str, on: bool) -> None:
        m = self.get(role)
        if m is not None and m.visible != on:
            m.visible = on
            self.changed.emit(role, "visible")

    def set_labels(self, role: str, on: bool) -> None:
        m = self.get(role)
        if m is not None and m.labels != on:
            m.labels = on
            self.changed.emit(role, "labels")

    def set_style(self, role: str, style: LayerStyle) -> None:
        m = self.get(role)
        if m is not None:
            m.style = style
            self.changed.emit(role, "style")
