"""What the mouse does on the map: pan and select, paint with a brush or a box, pick a grid.

Every tool pans with the middle button and zooms with the wheel (handled by the canvas).
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QCursor, QPainter, QPen

from .i18n import tr

DRAG_PX = 4


class Tool:
    pans_with_right = False

    def __init__(self, canvas):
        self.canvas = canvas

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.ArrowCursor)

    def press(self, ev) -> None: ...

    def move(self, ev) -> None: ...

    def release(self, ev) -> None: ...

    def key(self, ev) -> bool:
        return False

    def leave(self) -> None: ...

    def deactivate(self) -> None: ...

    def paint_overlay(self, p: QPainter) -> None: ...


class PanTool(Tool):
    """Drag to pan; click to select the feature under the cursor on the active layer (Ctrl adds);
    Shift-drag to select with a box."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self._press = None
        self._last = None
        self._box = None
        self._dragging = False

    def cursor(self):
        return QCursor(Qt.CursorShape.OpenHandCursor)

    def press(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        self._press = self._last = ev.position()
        self._dragging = False
        self._box = (self._press, self._press) if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier else None

    def move(self, ev):
        if self._press is None:
            return
        pos = ev.position()
        if not self._dragging and (pos - self._press).manhattanLength() > DRAG_PX:
            self._dragging = True
        if self._box is not None:
            self._box = (self._press, pos)
            self.canvas.update()
            return
        if self._dragging:
            d = pos - self._last
            self._last = pos
            self.canvas.vp.pan_pixels(d.x(), d.y())
            self.canvas._view_moved()

    def release(self, ev):
        if self._press is None:
            return
        c = self.canvas
        add = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        role = c.active_role
        if self._box is not None and self._dragging and role:
            a, b = self._box
            feats = c.features_in_box(role, a.x(), a.y(), b.x(), b.y())
            c.featuresPicked.emit(role, feats, add)
        elif not self._dragging and role:
            feats = c.features_at(role, self._press.x(), self._press.y())
            c.featuresPicked.emit(role, feats[:1], add)
        self._press = None
        self._box = None
        self._dragging = False
        c.update()

    def paint_overlay(self, p):
        if self._box is not None and self._dragging:
            a, b = self._box
            p.setPen(QPen(QColor(30, 100, 200), 1.2, Qt.PenStyle.DashLine))
            p.setBrush(QBrush(QColor(30, 100, 200, 40)))
            p.drawRect(QRectF(a, b).normalized())


class BrushTool(Tool):
    """Paint households (or blocks) into the target grid; one press-to-release is one undo step;
    Esc cancels the stroke; Alt-click picks the grid under the cursor as the target."""

    pans_with_right = True

    def __init__(self, canvas, editor):
        super().__init__(canvas)
        self.editor = editor
        self._pos: QPointF | None = None

    def cursor(self):
        return QCursor(Qt.CursorShape.CrossCursor)

    def _radius(self) -> float:
        return self.editor.brush_px * self.canvas.vp.res

    def _world(self, pos):
        x, y = self.canvas.vp.screen_to_world(pos.x(), pos.y())
        return float(x), float(y)

    def press(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        if ev.modifiers() & Qt.KeyboardModifier.AltModifier:
            pick_grid_at(self.canvas, self.editor, ev.position())
            return
        if self.editor.begin_stroke():
            self.editor.paint_at(*self._world(ev.position()), self._radius())

    def move(self, ev):
        self._pos = ev.position()
        if self.editor.stroking:
            self.editor.paint_at(*self._world(ev.position()), self._radius())
        self.canvas.update()

    def release(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton and self.editor.stroking:
            self.editor.end_stroke()

    def key(self, ev):
        if ev.key() == Qt.Key.Key_Escape and self.editor.stroking:
            self.editor.cancel_stroke()
            return True
        return False

    def leave(self):
        self._pos = None
        self.canvas.update()

    def deactivate(self):
        if self.editor.stroking:
            self.editor.end_stroke()

    def paint_overlay(self, p):
        if self._pos is None:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(20, 20, 20, 220), 1.5))
        p.setBrush(QBrush(QColor(255, 255, 255, 50)))
        r = float(self.editor.brush_px)
        p.drawEllipse(self._pos, r, r)
        if self.editor.target:
            p.setPen(QColor(20, 20, 20))
            p.drawText(self._pos + QPointF(r + 4, -4), self.editor.target)


class BoxPaintTool(Tool):
    """Drag a box: everything in it goes to the target grid in one step."""

    pans_with_right = True

    def __init__(self, canvas, editor):
        super().__init__(canvas)
        self.editor = editor
        self._a = self._b = None

    def cursor(self):
        return QCursor(Qt.CursorShape.CrossCursor)

    def press(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            if ev.modifiers() & Qt.KeyboardModifier.AltModifier:
                pick_grid_at(self.canvas, self.editor, ev.position())
                return
            self._a = self._b = ev.position()

    def move(self, ev):
        if self._a is not None:
            self._b = ev.position()
            self.canvas.update()

    def release(self, ev):
        if self._a is None:
            return
        a, b = self._a, self._b
        self._a = self._b = None
        vp = self.canvas.vp
        if (b - a).manhattanLength() > DRAG_PX:
            x0, y0 = vp.screen_to_world(a.x(), a.y())
            x1, y1 = vp.screen_to_world(b.x(), b.y())
            self.editor.paint_box(float(x0), float(y0), float(x1), float(y1))
        self.canvas.update()

    def key(self, ev):
        if ev.key() == Qt.Key.Key_Escape and self._a is not None:
            self._a = self._b = None
            self.canvas.update()
            return True
        return False

    def paint_overlay(self, p):
        if self._a is not None:
            p.setPen(QPen(QColor(200, 60, 20), 1.5, Qt.PenStyle.DashLine))
            p.setBrush(QBrush(QColor(200, 60, 20, 40)))
            p.drawRect(QRectF(self._a, self._b).normalized())


class PickGridTool(Tool):
    """Click a grid on the map to make it the target of painting."""

    def __init__(self, canvas, editor, then=None):
        super().__init__(canvas)
        self.editor = editor
        self.then = then

    def cursor(self):
        return QCursor(Qt.CursorShape.PointingHandCursor)

    def press(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton and pick_grid_at(self.canvas, self.editor, ev.position()):
            if self.then is not None:
                self.then()


def pick_grid_at(canvas, editor, pos) -> bool:
    """Make the grid under ``pos`` the target; True when there was one."""
    feats = canvas.features_at("grids", pos.x(), pos.y())
    ml = canvas.stack.get("grids")
    if ml is None or not len(feats):
        editor.message.emit(tr("edit.no_grid_here"))
        return False
    code = str(ml.gdf["code"].iat[int(feats[0])])
    editor.set_target(code)
    return True
