"""The map canvas: a QWidget that paints the layers with QPainter from cached images and paths.

Rendering is split into *groups*: runs of layers that rarely change are rendered together into one
image, and the layers an edit changes (households, grids) each into their own, so a brush stroke
re-renders only the households. A cached image remembers the view it was drawn for; while the
user pans or zooms the old images are drawn moved and scaled at once and re-rendered shortly after
the last movement, so interaction never waits for a full redraw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import shapely
from PyQt6.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import QWidget

from ..spatial import label_points
from . import i18n
from .geometry import bounds_of, pick, pick_box, rings_of
from .fonts import lock_mark
from .map_layers import LayerStack, MapLayer
from .qpaths import path_from_rings
from .render import (KeyStyle, Label, PointPainter, VectorPainter, argb32, draw_arrows, draw_labels,
                     make_pen, qcolor, view_transform)
from .styles import (CIRCLE_COLOURS, GRID_PALETTE, SPECIAL, STATE_COLOURS, TEAM_COLOURS, UNASSIGNED,
                     grid_palette_index)
from .viewport import Viewport

DYNAMIC_ROLES = frozenset({"households", "grids"})
SETTLE_MS = 120  # re-render this long after the last pan/zoom step
GRID_FILL_ALPHA = 140  # the HTML map's fillOpacity 0.55: the basemap layers show through


@dataclass
class _Cached:
    key: tuple
    vp: Viewport
    image: QImage


def household_colour(rgba) -> tuple:
    """A household's colour: its grid's fill, deeper and darker, so buildings stand out on the fill
    and neighbouring grids' buildings stay apart."""
    import colorsys
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgba[:3]))
    r, g, b = colorsys.hsv_to_rgb(h, min(1.0, s * 1.9 + 0.15), v * 0.72)
    return (int(r * 255), int(g * 255), int(b * 255), 255)


#: Household colours by grid palette index, then unassigned, then special grids (made once, used
#: at every paint step).
_HOUSEHOLD_PALETTE = np.array([household_colour(c) for c in GRID_PALETTE] + [UNASSIGNED, SPECIAL])


class MapCanvas(QWidget):
    """The map. Signals: ``cursorMoved(x, y)`` in the project CRS, ``viewChanged()``,
    ``featuresPicked(role, features, add)`` (a click or a shift-drag box on the active layer)."""

    cursorMoved = pyqtSignal(float, float)
    viewChanged = pyqtSignal()
    featuresPicked = pyqtSignal(str, object, bool)
    rendered = pyqtSignal(float)

    def __init__(self, session, stack: LayerStack, parent=None):
        super().__init__(parent)
        self.session = session
        self.stack = stack
        self.vp = Viewport()
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self.setAutoFillBackground(False)
        self.background = QColor(236, 240, 243)
        self.active_role: str | None = None
        self.selection: dict[str, np.ndarray] = {}
        self._sel_path: dict[str, QPainterPath] = {}
        self._painters: dict[str, object] = {}
        self._rev: dict[str, int] = {}
        self._cache: dict[int, _Cached] = {}
        self._labels: _Cached | None = None
        self._plan_rev = 0
        self.grid_palette = np.zeros(0, dtype=np.int64)  # membership code index -> palette index (-1: none yet)
        self._fills: tuple[object, dict[str, int]] = (None, {})  # (grids GeoDataFrame, code -> palette index)
        self._special_code = np.zeros(0, dtype=bool)  # membership code index -> a special grid's code
        self._grid_label_pts: tuple | None = None  # (layer signature, label points, their geometries, codes shown)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self._settled)
        self._interacting = False
        self._fit: tuple | None = None  # (bounds, margin) of the last zoom-to, until the user moves
        self.last_render_ms = 0.0
        from .canvas_tools import PanTool
        self.tool = PanTool(self)
        stack.changed.connect(self._on_stack)
        session.plan_reset.connect(self._on_plan_reset)
        session.plan_changed.connect(self._on_plan_changed)
        session.layers_changed.connect(self._on_layers_changed)
        session.project_changed.connect(self._on_project)

    # -- model events ----------------------------------------------------------------------------
    def _on_project(self) -> None:
        self.stack.sync(self.session.project)
        self.selection.clear()
        self._sel_path.clear()
        self._on_plan_reset()
        self.zoom_full()

    def _on_layers_changed(self, roles) -> None:
        before = {r: len(m.gdf) for r in roles if (m := self.stack.get(r)) is not None}
        self.stack.sync(self.session.project, roles)
        for r in roles:
            self._sel_path.pop(r, None)
            m = self.stack.get(r)
            # an edit rewrites the grids layer row for row: the selection still means the same grids
            if m is None or before.get(r) != len(m.gdf):
                self.selection.pop(r, None)
        if "grids" in roles and self.session.edit is not None:
            # the grids as edited: their fills are recomputed as the wall map would colour them
            self._colour_grids()
            p = self._painters.get("households")
            if isinstance(p, PointPainter) and p.colours is not None:
                p.colours = self._household_colours()
            self._bump("households")
        self.update()

    def _on_stack(self, role, what) -> None:
        if role is None:
            alive = set(self.stack.roles())
            self._painters = {r: p for r, p in self._painters.items() if r in alive}
        else:
            self._bump(role)
            if what == "style":
                self._painters.pop(role, None)
        self._labels = None
        self.update()

    def _on_plan_reset(self) -> None:
        self._colour_grids()
        self._bump("households")
        self._bump("grids")
        self._plan_rev += 1
        self.update()

    def _on_plan_changed(self, codes, features) -> None:
        e = self.session.edit
        if e is None:
            return
        if len(e.membership.codes) > len(self.grid_palette):
            # a split's new grid: no fill until the edit ends and the grids layer is rewritten
            grow = len(e.membership.codes) - len(self.grid_palette)
            self.grid_palette = np.concatenate([self.grid_palette, np.full(grow, -1, dtype=np.int64)])
            self._special_code = np.concatenate([self._special_code, np.zeros(grow, dtype=bool)])
        p = self._painters.get("households")
        if isinstance(p, PointPainter) and p.colours is not None and len(features):
            p.colours[features] = self._household_colours(features)
        self._bump("households")
        self._plan_rev += 1
        self.update()

    def _bump(self, role: str) -> None:
        self._rev[role] = self._rev.get(role, 0) + 1

    # -- colours ---------------------------------------------------------------------------------
    def _grid_fills(self, grids) -> dict[str, int]:
        """Code -> palette index of the grids layer ``grids`` (the wall map's colouring), cached
        for the layer last coloured (the project's layer is replaced, never changed in place)."""
        if self._fills[0] is not grids:
            self._fills = (grids, grid_palette_index(grids))
        return self._fills[1]

    def _colour_grids(self) -> None:
        """Palette index per membership code: the fill the wall map and the HTML map give the grid
        (:func:`gridtool.maps.colours.grid_colours` of the project's grids layer)."""
        e = self.session.edit
        lyr = self.session.project.layers.get("grids") if self.session.project is not None else None
        if e is None or lyr is None:
            self.grid_palette = np.zeros(0, dtype=np.int64)
            return
        codes = e.membership.codes
        self._special_code = np.array([c not in e.plan.bounds for c in codes], dtype=bool)
        fills = self._grid_fills(lyr.gdf)
        self.grid_palette = np.array([fills.get(c, -1) for c in codes], dtype=np.int64)

    def _household_colours(self, feats=None) -> np.ndarray:
        e = self.session.edit
        ml = self.stack.get("households")
        n = ml.geometry.n if ml is not None else 0
        if e is None or len(e.membership.of_feature) != n:
            base = argb32(np.array([ml.style.main_colour])) if ml is not None else np.array([0], np.uint32)
            return np.full(n if feats is None else len(feats), base[0], dtype=np.uint32)
        of = e.membership.of_feature if feats is None else e.membership.of_feature[feats]
        pal = _HOUSEHOLD_PALETTE
        gp = self.grid_palette
        if len(gp):
            fill = gp[np.clip(of, 0, len(gp) - 1)]
            idx = np.where((of >= 0) & (fill >= 0), fill, len(GRID_PALETTE))
        else:
            idx = np.full(len(of), len(GRID_PALETTE))
        idx = np.where(self._special_code[np.clip(of, 0, len(self._special_code) - 1)] & (of >= 0),
                       len(GRID_PALETTE) + 1, idx) if len(self._special_code) else idx
        return argb32(pal[idx])

    # -- painters --------------------------------------------------------------------------------
    def painter_for(self, ml: MapLayer):
        p = self._painters.get(ml.role)
        if p is not None and p.version == ml.version and getattr(p, "layer", None) is ml:
            if ml.role == "grids":
                self._style_grids(p)
            return p
        if ml.family == "point":
            p = PointPainter(ml)
            self._style_points(ml, p)
        else:
            p = VectorPainter(ml)
            self._style_vectors(ml, p)
        self._painters[ml.role] = p
        return p

    def _style_points(self, ml: MapLayer, p: PointPainter) -> None:
        gdf = ml.gdf
        if ml.role == "households":
            p.colours = self._household_colours()
            if "hh" in gdf:
                p.order = np.argsort(np.nan_to_num(np.asarray(gdf["hh"], dtype=float)), kind="stable")
        elif ml.role == "route_stops" and "team" in gdf:
            teams = np.asarray(gdf["team"], dtype=float)
            cols = np.array([TEAM_COLOURS[int(t - 1) % len(TEAM_COLOURS)] if np.isfinite(t) else (80, 80, 80, 255)
                             for t in teams])
            light = np.column_stack([255 - (255 - cols[:, :3]) // 3, cols[:, 3]]) if len(cols) else cols
            p.colours = argb32(light) if len(cols) else None
            p.numbers = np.asarray(gdf["seq"]) if "seq" in gdf else None
            p.size = ml.style.point_size
        else:
            p.colours = None

    def _style_vectors(self, ml: MapLayer, p: VectorPainter) -> None:
        st = ml.style
        gdf = ml.gdf
        if ml.role == "grids":
            self._style_grids(p)
            return
        if st.class_field and st.classes and st.class_field in gdf:
            cls = gdf[st.class_field].astype(str).str.lower().str.removesuffix("_link").to_numpy()
            names = sorted({v for v in st.classes.values()}, key=lambda v: v[1])
            key_of = {c: 1 + names.index(v) for c, v in st.classes.items()}
            keys = np.array([key_of.get(c, 0) for c in cls], dtype=np.int64)
            styles = {0: KeyStyle(None, make_pen(st.stroke, st.width, st.dash))}
            for i, (rgba, w) in enumerate(names):
                styles[1 + i] = KeyStyle(None, make_pen(rgba, w, st.dash))
            p.set_keys(keys, styles)
            return
        team_col = {"routes": "team", "walk": "walker"}.get(ml.role)
        if team_col is not None and team_col in gdf:  # a patrol team's or a walker's colour
            teams = np.nan_to_num(np.asarray(gdf[team_col], dtype=float)).astype(np.int64)
            keys = np.maximum(teams - 1, 0) % len(TEAM_COLOURS)
            p.set_keys(keys, {k: KeyStyle(None, make_pen(TEAM_COLOURS[k], st.width)) for k in range(len(TEAM_COLOURS))})
            return
        if ml.role == "circles" and "minutes" in gdf:
            mins = np.asarray(gdf["minutes"], dtype=float)
            uniq = sorted(set(mins[np.isfinite(mins)].tolist()))
            keys = np.array([uniq.index(m) if m in uniq else 0 for m in mins], dtype=np.int64)
            styles = {k: KeyStyle(QBrush(qcolor(CIRCLE_COLOURS[min(k, len(CIRCLE_COLOURS) - 1)])),
                                  make_pen(st.stroke, st.width)) for k in range(max(1, len(uniq)))}
            p.set_keys(keys, styles)
            return
        fill = QBrush(qcolor(st.fill)) if st.fill is not None and ml.family == "polygon" else None
        p.set_keys(None, {0: KeyStyle(fill, make_pen(st.stroke, st.width, st.dash))})

    def _style_grids(self, p: VectorPainter) -> None:
        """Grids in palette colours (neighbours apart), locked grids hatched."""
        ml = p.layer
        e = self.session.edit
        codes = ml.gdf["code"].astype(str).tolist() if "code" in ml.gdf else []
        fills = self._grid_fills(ml.gdf)
        pal = [fills.get(c, 0) for c in codes]
        if e is not None:
            locked = [c in e.plan.locked for c in codes]
        else:
            locked = [bool(v) for v in ml.gdf["locked"]] if "locked" in ml.gdf else [False] * len(codes)
        keys = np.array([k + (100 if lk else 0) for k, lk in zip(pal, locked)], dtype=np.int64)
        key_sig = (tuple(keys.tolist()),)
        if getattr(p, "_key_sig", None) == key_sig:
            return
        p._key_sig = key_sig
        st = ml.style
        pen = make_pen(st.stroke, st.width)
        lpen = make_pen((20, 20, 20, 255), st.width * 2.2)
        styles = {}
        for k, c in enumerate(GRID_PALETTE):
            fill = QBrush(QColor(c[0], c[1], c[2], GRID_FILL_ALPHA))
            styles[k] = KeyStyle(fill, pen)
            styles[k + 100] = KeyStyle(QBrush(QColor(c[0], c[1], c[2], GRID_FILL_ALPHA + 40)), lpen)
        p.set_keys(keys, styles)

    # -- view ------------------------------------------------------------------------------------
    def resizeEvent(self, ev) -> None:
        self.vp.resize(self.width(), self.height())
        if self._fit is not None:  # still showing a whole extent the user asked for: keep it whole
            self.vp.zoom_to(*self._fit)
        self.viewChanged.emit()
        super().resizeEvent(ev)

    def full_extent(self):
        b = None
        for ml in self.stack:
            if not ml.visible and ml.role not in ("villages", "households"):
                continue
            tb = ml.geometry.total_bounds
            if tb is None:
                continue
            b = tb if b is None else (min(b[0], tb[0]), min(b[1], tb[1]), max(b[2], tb[2]), max(b[3], tb[3]))
        return b

    def zoom_full(self) -> None:
        self.vp.resize(self.width(), self.height())
        b = None
        for role in ("villages", "households"):
            ml = self.stack.get(role)
            if ml is not None and ml.geometry.total_bounds is not None:
                b = ml.geometry.total_bounds
                break
        b = b or self.full_extent()
        if b is not None:
            self.vp.zoom_to(b, margin=0.03)
            self._fit = (b, 0.03)
        self._view_moved(settle=False)

    def zoom_to_bounds(self, bounds, margin: float = 0.15) -> None:
        if bounds is None:
            return
        self.vp.zoom_to(bounds, margin=margin)
        self._fit = (tuple(bounds), margin)
        self._view_moved(settle=False)

    def zoom_to_layer(self, role: str) -> None:
        ml = self.stack.get(role)
        if ml is not None:
            self.zoom_to_bounds(ml.geometry.total_bounds, margin=0.05)

    def zoom_to_selection(self) -> None:
        role = self.active_role
        if role in self.selection and self.stack.get(role) is not None:
            self.zoom_to_bounds(bounds_of(self.stack.get(role).geometry, self.selection[role]))

    def zoom_by(self, factor: float) -> None:
        self.vp.zoom_at(factor, self.vp.width / 2, self.vp.height / 2)
        self._view_moved()

    def _view_moved(self, settle: bool = True) -> None:
        self._interacting = settle
        if settle:
            self._fit = None
            self._settle.start(SETTLE_MS)
        self.viewChanged.emit()
        self.update()

    def _settled(self) -> None:
        self._interacting = False
        self.update()

    # -- selection -------------------------------------------------------------------------------
    def set_selection(self, role: str, feats, add: bool = False) -> None:
        feats = np.asarray(feats, dtype=np.int64)
        if add and role in self.selection:
            feats = np.union1d(self.selection[role], feats)
        self.selection = {role: np.unique(feats)} if len(feats) else {}
        self._sel_path.clear()
        self.update()

    def features_at(self, role: str, sx: float, sy: float, tol_px: float = 5.0) -> np.ndarray:
        ml = self.stack.get(role)
        if ml is None:
            return np.zeros(0, dtype=np.int64)
        x, y = self.vp.screen_to_world(sx, sy)
        return pick(ml.geometry, float(x), float(y), tol_px * self.vp.res)

    def features_in_box(self, role: str, sx0, sy0, sx1, sy1) -> np.ndarray:
        ml = self.stack.get(role)
        if ml is None:
            return np.zeros(0, dtype=np.int64)
        x0, y0 = self.vp.screen_to_world(sx0, sy0)
        x1, y1 = self.vp.screen_to_world(sx1, sy1)
        return pick_box(ml.geometry, float(x0), float(y0), float(x1), float(y1))

    # -- rendering -------------------------------------------------------------------------------
    def groups(self) -> list[list[MapLayer]]:
        """Visible layers bottom first, in groups rendered together (dynamic layers alone)."""
        out: list[list[MapLayer]] = []
        for ml in reversed(self.stack.layers):
            if not ml.visible:
                continue
            if ml.role in DYNAMIC_ROLES or not out or out[-1][-1].role in DYNAMIC_ROLES:
                out.append([ml])
            else:
                out[-1].append(ml)
        return out

    def _group_key(self, group, dpr) -> tuple:
        return (dpr,) + tuple((ml.role, ml.version, self._rev.get(ml.role, 0), id(ml.style)) for ml in group)

    def render_group(self, group, vp: Viewport, dpr: float = 1.0) -> QImage:
        img = QImage(max(1, int(vp.width * dpr)), max(1, int(vp.height * dpr)),
                     QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for ml in group:
            painter = self.painter_for(ml)
            if isinstance(painter, PointPainter):
                painter.paint(p, vp, dpr)
            else:
                painter.paint(p, vp)
                if ml.role in ("routes", "walk"):  # which way to go
                    cols = [qcolor(TEAM_COLOURS[int(k) % len(TEAM_COLOURS)])
                            for k in (painter.keys if painter.keys is not None else np.zeros(len(ml.gdf), int))]
                    draw_arrows(p, vp, ml.gdf.geometry.values, cols)
        p.end()
        return img

    def render(self, p: QPainter, vp: Viewport | None = None, dpr: float = 1.0, *, use_cache: bool = True) -> float:
        """Paint the whole map (background, layers, labels, selection) onto ``p``; returns ms taken.

        With ``use_cache`` a group whose cached image fits the view and content is reused; while the
        view moves, stale images are drawn moved/scaled and the re-render waits until it settles.
        """
        t0 = time.perf_counter()
        vp = vp or self.vp
        p.fillRect(QRectF(0, 0, vp.width, vp.height), self.background)
        groups = self.groups()
        alive = set()
        drew = False
        for group in groups:
            gid = id(group[0])
            alive.add(gid)
            key = self._group_key(group, dpr)
            c = self._cache.get(gid) if use_cache else None
            if c is not None and c.key == key and c.vp.key() == vp.key():
                p.drawImage(QPointF(0, 0), c.image)
                continue
            if c is not None and self._interacting and use_cache and c.key == key:
                self._draw_reprojected(p, c, vp)
                continue
            img = self.render_group(group, vp, dpr)
            drew = True
            if use_cache:
                self._cache[gid] = _Cached(key, vp.copy(), img)
            p.drawImage(QPointF(0, 0), img)
        if use_cache:
            self._cache = {k: v for k, v in self._cache.items() if k in alive}
        self._paint_labels(p, vp, dpr, use_cache)
        self._paint_selection(p, vp)
        ms = (time.perf_counter() - t0) * 1000
        if drew:  # the status bar shows the last real redraw, not a repaint from cached images
            self.last_render_ms = ms
        return ms

    def _draw_reprojected(self, p: QPainter, c: _Cached, vp: Viewport) -> None:
        """An image drawn for another view, moved and scaled to this one (while panning/zooming)."""
        k = c.vp.res / vp.res
        x0, y0 = vp.world_to_screen(*c.vp.screen_to_world(0, 0))
        p.save()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(QRectF(float(x0), float(y0), c.vp.width * k, c.vp.height * k), c.image)
        p.restore()

    def paintEvent(self, ev) -> None:
        p = QPainter(self)
        try:
            self.render(p, self.vp, self.devicePixelRatioF())
            self.tool.paint_overlay(p)
        finally:
            p.end()
        self.rendered.emit(self.last_render_ms)

    # -- labels ----------------------------------------------------------------------------------
    def _labels_key(self, vp, dpr) -> tuple:
        roles = tuple((ml.role, ml.version, self._rev.get(ml.role, 0)) for ml in self.stack if ml.visible and ml.labels)
        return (vp.key(), dpr, roles, self._plan_rev, i18n.language(), self.font().family())

    def _paint_labels(self, p: QPainter, vp: Viewport, dpr: float, use_cache: bool) -> None:
        key = self._labels_key(vp, dpr)
        if use_cache and self._labels is not None and self._labels.key == key:
            p.drawImage(QPointF(0, 0), self._labels.image)
            return
        if use_cache and self._interacting and self._labels is not None:
            return  # labels come back when the view settles (scaled text would be unreadable)
        img = QImage(max(1, int(vp.width * dpr)), max(1, int(vp.height * dpr)), QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        img.fill(Qt.GlobalColor.transparent)
        q = QPainter(img)
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF()))
        draw_labels(q, self.labels_for(vp), font, vp.width, vp.height)
        q.end()
        if use_cache:
            self._labels = _Cached(key, vp.copy(), img)
        p.drawImage(QPointF(0, 0), img)

    def labels_for(self, vp: Viewport) -> list[Label]:
        out: list[Label] = []
        ext = vp.extent()
        for rank, ml in enumerate(self.stack):
            if not ml.visible or not ml.labels or ml.geometry.total_bounds is None:
                continue
            if ml.role == "grids":
                out += self._grid_labels(ml, vp)
                continue
            if ml.role == "route_stops":
                continue  # their order is drawn inside the symbol
            field = ml.style.label_field
            if not field or field not in ml.gdf:
                continue
            geo = ml.geometry
            b = geo.bounds
            on = np.flatnonzero((b[:, 0] <= ext[2]) & (b[:, 2] >= ext[0]) & (b[:, 1] <= ext[3]) & (b[:, 3] >= ext[1]))
            if len(on) > 3000:
                continue  # too many to read; zoom in
            if geo.family == "polygon":
                # a polygon smaller than its label on screen would be drowned by it
                size = np.maximum(b[on, 2] - b[on, 0], b[on, 3] - b[on, 1]) / vp.res
                on = on[size > 40]
                pts = shapely.point_on_surface(geo.geoms[on]) if len(on) else []
                xs, ys = shapely.get_x(pts), shapely.get_y(pts)
                pri = -rank * 1e6 + size[size > 40]
            elif geo.family == "line":
                pts = shapely.line_interpolate_point(geo.geoms[on], 0.5, normalized=True) if len(on) else []
                xs, ys = shapely.get_x(pts), shapely.get_y(pts)
                pri = -rank * 1e6 + shapely.length(geo.geoms[on]) / vp.res if len(on) else []
            else:
                xs, ys = geo.xy[on, 0], geo.xy[on, 1]
                pri = np.full(len(on), -rank * 1e6)
            vals = ml.gdf[field].to_numpy()
            sx, sy = vp.world_to_screen(np.asarray(xs), np.asarray(ys))
            colour = QColor(60, 40, 30) if ml.role == "villages" else QColor(30, 30, 30)
            for k, f in enumerate(on):
                v = vals[f]
                if v is None or (isinstance(v, float) and not np.isfinite(v)) or str(v) in ("", "nan", "None"):
                    continue
                text = f"{v:g}" if isinstance(v, float) else str(v)
                dy = -12 if geo.family == "point" else 0
                out.append(Label(float(sx[k]), float(sy[k]) + dy, [(text, colour)], float(pri[k]),
                                 bold=ml.role == "villages"))
        return out

    def _grid_labels(self, ml: MapLayer, vp: Viewport) -> list[Label]:
        """Grid code and live household total, coloured under / within / over the bounds."""
        e = self.session.edit
        # the layer object and its rows too: a new grids layer (after a project without grids) starts
        # at version 0 again, and stale points of other grids raised IndexError in paintEvent
        sig = (id(ml), id(ml.gdf), ml.version, len(ml.gdf))
        if self._grid_label_pts is None or self._grid_label_pts[0] != sig:
            # Where the wall map and the HTML map put the label (inside an L-shaped or thin grid);
            # after an edit only the grids whose shape changed are placed again.
            geoms = np.asarray(ml.gdf.geometry.values, dtype=object)
            ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
            pts = np.full((len(geoms), 2), np.nan)
            todo = ok.copy()
            old = self._grid_label_pts
            if old is not None and len(old[2]) == len(geoms):
                same = ok & np.asarray(shapely.equals_exact(old[2], geoms, 0.0), dtype=bool)
                pts[same], todo = old[1][same], ok & ~same
            if todo.any():
                rp = label_points(geoms[todo])
                pts[todo] = np.column_stack([shapely.get_x(rp), shapely.get_y(rp)])
            # One rule with the wall map and HTML map (maps.grid_codes): the number in the village where
            # the grid's village is named, so one view never mixes 500154001005-09 and 03.
            from ..maps.grid_codes import map_codes
            shown = map_codes(ml.gdf).to_numpy() if "code" in ml.gdf else np.array([])
            self._grid_label_pts = (sig, pts, geoms, shown)
        pts, shown = self._grid_label_pts[1], self._grid_label_pts[3]
        codes = ml.gdf["code"].astype(str).to_numpy() if "code" in ml.gdf else np.array([])
        hh = ml.gdf["hh"].to_numpy() if "hh" in ml.gdf else np.zeros(len(codes))
        sx, sy = vp.world_to_screen(pts[:, 0], pts[:, 1])
        size = (ml.geometry.bounds[:, 2] - ml.geometry.bounds[:, 0]) / vp.res
        out = []
        for i, code in enumerate(codes):
            if not np.isfinite(sx[i]) or not (-50 < sx[i] < vp.width + 50 and -50 < sy[i] < vp.height + 50):
                continue
            if size[i] < 28:
                continue
            short = str(shown[i])
            if e is not None and code in e.plan.totals:
                total = e.plan.totals[code]
                state = e.plan.state(code)
            else:
                total = int(hh[i]) if np.isfinite(hh[i]) else 0
                state = "ok"
            lock = " " + lock_mark() if e is not None and code in e.plan.locked else ""
            out.append(Label(float(sx[i]), float(sy[i]), [(short + lock, QColor(25, 25, 25)),
                                                          (f"{total}", qcolor(STATE_COLOURS[state]))],
                             priority=1e7 + size[i], bold=False))
        return out

    def _paint_selection(self, p: QPainter, vp: Viewport) -> None:
        if not self.selection:
            return
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        hi = QColor(255, 200, 0)
        for role, feats in self.selection.items():
            ml = self.stack.get(role)
            if ml is None or not len(feats):
                continue
            geo = ml.geometry
            if geo.family == "point":
                sx, sy = vp.world_to_screen(geo.xy[feats, 0], geo.xy[feats, 1])
                p.setPen(QPen(hi, 2.5))
                p.setBrush(Qt.BrushStyle.NoBrush)
                for x, y in zip(sx[:5000], sy[:5000]):
                    if np.isfinite(x):
                        p.drawEllipse(QPointF(float(x), float(y)), 6.0, 6.0)
                continue
            path = self._sel_path.get(role)
            if path is None:
                sub = np.asarray(geo.geoms[feats], dtype=object)
                path = path_from_rings(rings_of(sub, geo.family), closed=geo.family == "polygon")
                self._sel_path[role] = path
            p.setTransform(view_transform(vp))
            pen = make_pen((255, 200, 0, 255), 3.5)
            p.setPen(pen)
            p.setBrush(QBrush(QColor(255, 220, 0, 50)) if geo.family == "polygon" else Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            p.resetTransform()
        p.restore()

    # -- input (delegated to the current tool) -------------------------------------------------
    def set_tool(self, tool) -> None:
        if self.tool is not None:
            self.tool.deactivate()
        self.tool = tool
        self.setCursor(tool.cursor())
        self.update()

    def mousePressEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.MiddleButton or (ev.button() == Qt.MouseButton.RightButton and self.tool.pans_with_right):
            self._pan_from = ev.position()
            return
        self.tool.press(ev)

    def mouseMoveEvent(self, ev) -> None:
        pos = ev.position()
        x, y = self.vp.screen_to_world(pos.x(), pos.y())
        self.cursorMoved.emit(float(x), float(y))
        if getattr(self, "_pan_from", None) is not None:
            d = pos - self._pan_from
            self._pan_from = pos
            self.vp.pan_pixels(d.x(), d.y())
            self._view_moved()
            return
        self.tool.move(ev)

    def mouseReleaseEvent(self, ev) -> None:
        if getattr(self, "_pan_from", None) is not None:
            self._pan_from = None
            return
        self.tool.release(ev)

    def wheelEvent(self, ev) -> None:
        steps = ev.angleDelta().y() / 120.0
        if steps:
            pos = ev.position()
            self.vp.zoom_at(1.25 ** steps, pos.x(), pos.y())
            self._view_moved()

    def keyPressEvent(self, ev) -> None:
        if not self.tool.key(ev):
            super().keyPressEvent(ev)

    def leaveEvent(self, ev) -> None:
        self.tool.leave()
        super().leaveEvent(ev)
