"""Painting map layers with QPainter from cached paths (no geometry is rebuilt per paint).

* Polygons and lines: one QPainterPath per (level of detail, spatial chunk, colour key), built
  once from the layer's arrays (:mod:`.geometry`, :mod:`.qpaths`) and drawn through the view's
  transform; only chunks on screen are drawn.
* Points (households, places): when many are on screen they are stamped into an image with NumPy
  (each household a dot in its grid's colour, larger households drawn last, so a zoomed-out county
  reads as areas of colour); when few are, each is drawn as a symbol, households as their building
  footprint when they have one.
* Labels: one pass over all layers at the end, with simple collision avoidance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath,
                         QPen, QPolygonF, QTransform)

from .geometry import Rings
from .map_layers import MapLayer
from .qpaths import path_from_rings
from .viewport import Viewport

#: Above this many points on screen, points are stamped into an image instead of drawn one by one.
RASTER_POINTS = 2500
#: Households are drawn as building footprints when a typical building is this many pixels wide.
FOOTPRINT_PX = 4.0
MAX_LABELS = 400


def qcolor(rgba) -> QColor:
    return QColor(int(rgba[0]), int(rgba[1]), int(rgba[2]), int(rgba[3]))


def argb32(rgba: np.ndarray) -> np.ndarray:
    """(n×4) RGBA 0–255 → premultiplied ARGB32 words."""
    rgba = np.asarray(rgba, dtype=np.uint32)
    a = rgba[:, 3]
    r, g, b = (rgba[:, i] * a // 255 for i in range(3))
    return (a << 24) | (r << 16) | (g << 8) | b


def view_transform(vp: Viewport) -> QTransform:
    m11, m22, dx, dy = vp.transform()
    return QTransform(m11, 0.0, 0.0, m22, dx, dy)


@dataclass
class KeyStyle:
    fill: QColor | None
    pen: QPen | None


def make_pen(rgba, width: float, dash: bool = False) -> QPen | None:
    if rgba is None or width <= 0:
        return None
    pen = QPen(qcolor(rgba))
    pen.setWidthF(width)
    pen.setCosmetic(True)  # width in pixels whatever the zoom
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    if dash:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


#: Antialiased strokes wider than one pixel go through Qt's general stroker, ~10× slower than
#: the one-pixel cosmetic path; such strokes are smoothed only when the path is short.
SMOOTH_WIDE_MAX_ELEMENTS = 1500


def smooth_stroke(pen: QPen, path: QPainterPath) -> bool:
    """Whether to antialias this stroke (see :data:`SMOOTH_WIDE_MAX_ELEMENTS`)."""
    if pen.style() != Qt.PenStyle.SolidLine:
        return False  # dashes do not need smoothing and are slow with it
    return pen.widthF() == 1.0 or path.elementCount() <= SMOOTH_WIDE_MAX_ELEMENTS


class VectorPainter:
    """Polygons or lines of one layer, drawn from cached paths per level, chunk and colour key.

    ``keys`` (one int per feature) and ``styles`` (key → :class:`KeyStyle`) give per-feature
    colours (grids by palette index, roads by class); by default every feature has key 0.
    """

    def __init__(self, layer: MapLayer):
        self.layer = layer
        self.version = layer.version
        self.keys: np.ndarray | None = None
        self.styles: dict[int, KeyStyle] = {}
        self._paths: dict[int, dict[tuple[int, int], QPainterPath]] = {}

    def set_keys(self, keys: np.ndarray | None, styles: dict[int, KeyStyle]) -> None:
        if keys is None or self.keys is None or len(keys) != len(self.keys) or (keys != self.keys).any():
            self._paths.clear()
        self.keys = None if keys is None else np.asarray(keys, dtype=np.int64)
        self.styles = styles

    def _level_paths(self, level: int) -> dict[tuple[int, int], QPainterPath]:
        paths = self._paths.get(level)
        if paths is not None:
            return paths
        geo = self.layer.geometry
        rings: Rings = geo.rings(level)
        chunks, _ = geo.chunks()
        chunk_of = np.full(geo.n, -1, dtype=np.int64)
        for ci, feats in enumerate(chunks):
            chunk_of[feats] = ci
        keys = self.keys if self.keys is not None else np.zeros(geo.n, dtype=np.int64)
        rc = chunk_of[rings.feature]
        rk = keys[rings.feature]
        order = np.lexsort((rk, rc))
        paths = {}
        if len(order):
            pair = np.column_stack([rc[order], rk[order]])
            cut = np.flatnonzero((pair[1:] != pair[:-1]).any(axis=1)) + 1
            for grp in np.split(order, cut):
                c, k = int(rc[grp[0]]), int(rk[grp[0]])
                paths[(c, k)] = path_from_rings(rings.select(grp), closed=geo.family == "polygon")
        self._paths[level] = paths
        return paths

    def paint(self, p: QPainter, vp: Viewport) -> None:
        geo = self.layer.geometry
        if geo.total_bounds is None:
            return
        level = geo.usable_level(vp.res)
        paths = self._level_paths(level)
        visible = set(geo.visible_chunks(vp.extent()))
        p.save()
        p.setTransform(view_transform(vp))
        polygon = geo.family == "polygon"
        todo = [(path, self.styles.get(k) or self.styles.get(0)) for (c, k), path in paths.items() if c in visible]
        todo = [(path, st) for path, st in todo if st is not None]
        # Fills without antialiasing (the edge is covered by the outline anyway): antialiased
        # fills of large areas are ~6× slower in Qt's raster engine.
        if polygon:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            for path, st in todo:
                if st.fill is not None:
                    p.fillPath(path, st.fill if isinstance(st.fill, QBrush) else QBrush(st.fill))
        p.setBrush(Qt.BrushStyle.NoBrush)
        for path, st in todo:
            if st.pen is not None:
                p.setRenderHint(QPainter.RenderHint.Antialiasing, smooth_stroke(st.pen, path))
                p.setPen(st.pen)
                p.drawPath(path)
        p.restore()


class PointPainter:
    """Points of one layer (households, places, stops): symbols when few, stamped dots when many.

    ``colours``: premultiplied ARGB32 per feature; ``order``: drawing order (last on top).
    """

    def __init__(self, layer: MapLayer):
        self.layer = layer
        self.version = layer.version
        self.colours: np.ndarray | None = None
        self.outline = QColor(255, 255, 255)
        self.order: np.ndarray | None = None
        self.size = layer.style.point_size
        self._rings = None  # building footprints as flat rings (households given as polygons)
        self.numbers: np.ndarray | None = None  # text drawn inside the symbol (route stop order)

    def _footprint_size(self) -> float:
        """Median width of the layer's polygons in metres (0 when the layer holds points)."""
        if not hasattr(self, "_fp_size"):
            geo = self.layer.geometry
            poly = geo.valid & (shapely.get_type_id(geo.geoms) >= 3)
            b = geo.bounds[poly]
            self._fp_size = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))) if len(b) else 0.0
        return self._fp_size

    def _colours(self) -> np.ndarray:
        if self.colours is None:
            n = self.layer.geometry.n
            self.colours = np.full(n, argb32(np.array([self.layer.style.main_colour]))[0], dtype=np.uint32)
        return self.colours

    def paint(self, p: QPainter, vp: Viewport, dpr: float = 1.0) -> None:
        geo = self.layer.geometry
        if geo.n == 0 or geo.total_bounds is None:
            return
        sx, sy = vp.world_to_screen(geo.xy[:, 0], geo.xy[:, 1])
        on = np.isfinite(sx) & (sx >= -20) & (sx <= vp.width + 20) & (sy >= -20) & (sy <= vp.height + 20)
        idx = np.flatnonzero(on)
        if not len(idx):
            return
        if self.order is not None:
            idx = self.order[on[self.order]]
        col = self._colours()
        if len(idx) > RASTER_POINTS:
            self._stamp(p, vp, sx[idx], sy[idx], col[idx], dpr)
            return
        footprints = self.layer.role == "households" and self._footprint_size() / vp.res >= FOOTPRINT_PX
        if footprints:
            self._paint_footprints(p, vp, idx, col)
            return
        self._paint_symbols(p, sx, sy, idx, col)

    def _stamp(self, p, vp, sx, sy, col, dpr) -> None:
        w, h = int(vp.width * dpr), int(vp.height * dpr)
        buf = np.zeros((h, w), dtype=np.uint32)
        ix = (sx * dpr).astype(np.int64)
        iy = (sy * dpr).astype(np.int64)
        dot = max(1, int(round(2 * dpr))) if len(sx) > 20000 else max(2, int(round(3 * dpr)))
        for dy in range(dot):
            for dx in range(dot):
                x, y = ix + dx - dot // 2, iy + dy - dot // 2
                ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
                buf[y[ok], x[ok]] = col[ok]
        img = QImage(buf.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        p.drawImage(QPointF(0, 0), img)

    def _paint_symbols(self, p, sx, sy, idx, col) -> None:
        st = self.layer.style
        r = self.size / 2
        pen = make_pen(st.stroke, st.width) if st.stroke is not None else QPen(Qt.PenStyle.NoPen)
        if self.layer.role == "households" and "hh" in self.layer.gdf:
            hh = np.nan_to_num(np.asarray(self.layer.gdf["hh"], dtype=float), nan=1.0)
            radius = np.clip(1.5 + np.sqrt(np.maximum(hh, 0)) * 0.5, 2.0, 6.0)
        else:
            radius = None
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(pen)
        font = QFont(p.font())
        font.setPointSizeF(max(6.0, self.size * 0.55))
        font.setBold(True)
        for i in idx:
            c = int(col[i])
            p.setBrush(QColor((c >> 16) & 255, (c >> 8) & 255, c & 255, (c >> 24) & 255))
            rr = float(radius[i]) if radius is not None else r
            p.drawEllipse(QPointF(float(sx[i]), float(sy[i])), rr, rr)
            if self.numbers is not None:
                p.save()
                p.setFont(font)
                p.setPen(QColor(20, 20, 20))
                p.drawText(QRectF(sx[i] - rr, sy[i] - rr, 2 * rr, 2 * rr), Qt.AlignmentFlag.AlignCenter,
                           str(self.numbers[i]))
                p.restore()
        p.restore()

    def _paint_footprints(self, p, vp, idx, col) -> None:
        """Buildings as their footprints, one path per colour (drawn without per-building calls)."""
        geo = self.layer.geometry
        if self._rings is None:
            from .geometry import rings_of
            poly = geo.valid & (shapely.get_type_id(geo.geoms) >= 3)
            self._rings = rings_of(np.where(poly, geo.geoms, None), "polygon")
        rings = self._rings
        on = np.zeros(geo.n, dtype=bool)
        on[idx] = True
        sel = np.flatnonzero(on[rings.feature])
        p.save()
        p.setTransform(view_transform(vp))
        c = col[rings.feature[sel]]
        order = np.argsort(c, kind="stable")
        cuts = np.flatnonzero(np.diff(c[order])) + 1
        outline = make_pen((40, 40, 40, 170), 1.0)
        for grp in np.split(order, cuts):
            if not len(grp):
                continue
            v = int(c[grp[0]])
            path = path_from_rings(rings.select(sel[grp]), closed=True)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.fillPath(path, QColor((v >> 16) & 255, (v >> 8) & 255, v & 255, 235))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(outline)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
        # points among the buildings (a roster mixed with footprints) as dots
        pts = idx[~np.isin(idx, rings.feature)]
        p.restore()
        if len(pts):
            sx, sy = vp.world_to_screen(geo.xy[:, 0], geo.xy[:, 1])
            self._paint_symbols(p, sx, sy, pts, col)


def draw_arrows(p: QPainter, vp: Viewport, geoms, colours, spacing_px: float = 110.0) -> None:
    """Arrowheads along lines every ``spacing_px`` pixels, showing the direction of travel."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    ext = shapely.box(*vp.extent())
    for g, col in zip(geoms, colours):
        if g is None or shapely.is_empty(g):
            continue
        step = spacing_px * vp.res
        for part in shapely.get_parts(g):
            length = shapely.length(part)
            if length < step * 0.5:
                continue
            for d in np.arange(step / 2, length, step):
                a = shapely.line_interpolate_point(part, d)
                if not shapely.intersects(a, ext):
                    continue
                b = shapely.line_interpolate_point(part, min(length, d + vp.res * 4))
                ax, ay = vp.world_to_screen(a.x, a.y)
                bx, by = vp.world_to_screen(b.x, b.y)
                ang = math.atan2(float(by - ay), float(bx - ax))
                tip = QPointF(float(ax) + 6 * math.cos(ang), float(ay) + 6 * math.sin(ang))
                left = QPointF(float(ax) + 7 * math.cos(ang + 2.5), float(ay) + 7 * math.sin(ang + 2.5))
                right = QPointF(float(ax) + 7 * math.cos(ang - 2.5), float(ay) + 7 * math.sin(ang - 2.5))
                p.setPen(QPen(QColor(255, 255, 255), 1.0))
                p.setBrush(col)
                p.drawPolygon(QPolygonF([tip, left, right]))
    p.restore()


_HALO = ((-1, -1), (-1, 1), (1, -1), (1, 1), (0, -1.5), (0, 1.5), (-1.5, 0), (1.5, 0))


@dataclass
class Label:
    x: float
    y: float
    lines: list[tuple[str, QColor]]
    priority: float = 0.0
    bold: bool = False


def draw_labels(p: QPainter, labels: list[Label], font: QFont, width: int, height: int) -> int:
    """Draw labels centred on their points, highest priority first, skipping those that would
    overlap one already drawn. Returns how many were drawn."""
    fm = QFontMetricsF(font)
    taken: list[QRectF] = []
    drawn = 0
    p.save()
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    white = QColor(255, 255, 255, 235)
    bold = QFont(font)
    bold.setBold(True)
    for lab in sorted(labels, key=lambda lb: -lb.priority):
        if drawn >= MAX_LABELS:
            break
        f = bold if lab.bold else font
        fmx = QFontMetricsF(f)
        w = max(fmx.horizontalAdvance(t) for t, _ in lab.lines) + 4
        h = fm.height() * len(lab.lines)
        rect = QRectF(lab.x - w / 2, lab.y - h / 2, w, h)
        if rect.right() < 0 or rect.left() > width or rect.bottom() < 0 or rect.top() > height:
            continue
        if any(rect.intersects(r) for r in taken):
            continue
        taken.append(rect)
        p.setFont(f)
        y = rect.top() + fm.ascent()
        for text, colour in lab.lines:
            x = lab.x - fmx.horizontalAdvance(text) / 2
            # A halo of the text drawn around itself: 6× faster than stroking a text path.
            p.setPen(white)
            for dx, dy in _HALO:
                p.drawText(QPointF(x + dx, y + dy), text)
            p.setPen(colour)
            p.drawText(QPointF(x, y), text)
            y += fm.height()
        drawn += 1
    p.restore()
    return drawn
