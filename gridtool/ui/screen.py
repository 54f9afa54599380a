"""Windows that fit the planner's screen: 1366×768 laptops and 1920×1080 at 150 % scaling
(1280×720 logical), less the taskbar and the title bar.

A window asks for the size it would like; :func:`fit_to_screen` gives it no more than the screen's
free area, and panels that cannot shrink (the grid panel, the wizard's list of layers) scroll inside
:func:`scrolling` instead of pushing the window's buttons off the screen.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PyQt6.QtWidgets import QFrame, QScrollArea, QWidget

#: Room for the title bar and the window frame, which the available geometry does not count.
FRAME = QSize(16, 40)


def fitted_size(wanted: QSize, available: QSize) -> QSize:
    """``wanted`` cut to ``available`` less the frame."""
    return QSize(max(1, min(wanted.width(), available.width() - FRAME.width())),
                 max(1, min(wanted.height(), available.height() - FRAME.height())))


def available_area(widget: QWidget) -> QRect | None:
    """The free area (less the taskbar) of the screen ``widget`` is on; None without a screen."""
    screen = widget.screen()
    return screen.availableGeometry() if screen is not None else None


def fit_to_screen(widget: QWidget, width: int, height: int) -> QSize:
    """Resize ``widget`` to ``width``×``height`` or the free area of its screen, whichever is less."""
    area = available_area(widget)
    size = QSize(width, height)
    if area is not None:
        size = fitted_size(size, area.size())
    widget.resize(size)
    return size


def fitted_position(pos: QPoint, size: QSize, available: QRect) -> QPoint:
    """Where a window of ``size`` (its inside) whose frame's corner is at ``pos`` goes so that its frame
    lies inside ``available``: a window saved on a second or a bigger monitor comes back on this one."""
    right = available.x() + available.width() - size.width() - FRAME.width()
    bottom = available.y() + available.height() - size.height() - FRAME.height()
    return QPoint(max(available.x(), min(pos.x(), right)), max(available.y(), min(pos.y(), bottom)))


def keep_on_screen(widget: QWidget) -> None:
    """Shrink and move a window whose saved geometry was restored into its screen's free area."""
    if widget.isMaximized() or widget.isFullScreen():  # the window system fits those itself
        return
    area = available_area(widget)
    if area is None:
        return
    size = fit_to_screen(widget, widget.width(), widget.height())
    pos = fitted_position(widget.pos(), size, area)
    if pos != widget.pos():  # moving a window to where it is can shift it by its frame
        widget.move(pos)


class _WantsWidth(QObject):
    """Calls ``wants(width)`` when the content of a scroll area needs more width than it has (the
    grid panel grows wider once a project's figures and lists are in it), so that its window can
    widen the dock while there is room; on a small screen it scrolls instead."""

    def __init__(self, area: QScrollArea, inner: QWidget, wants):
        super().__init__(area)
        self._area, self._inner, self._wants = area, inner, wants
        inner.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            least = self._inner.minimumSizeHint()
            need = least.width()
            if least.height() > self._area.viewport().height():  # it scrolls: room for the scroll bar
                need += self._area.verticalScrollBar().sizeHint().width()
            if self._area.width() < need:
                self._wants(need)
        return False


def scrolling(inner: QWidget, wants=None) -> QScrollArea:
    """``inner`` in a frameless scroll area: it keeps its natural size and scrolls when the window is
    smaller, so the window's own minimum height stays small. ``wants(width)``, if given, is called
    when the content needs more width than the area has."""
    area = QScrollArea()
    area.setWidget(inner)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    if wants is not None:
        _WantsWidth(area, inner, wants)
    return area


class _ScrollingBody(QObject):
    """See :func:`scroll_when_tall`."""

    def __init__(self, dialog: QWidget, keep: QWidget):
        super().__init__(dialog)
        self._dialog, self._keep, self._body = dialog, keep, None
        dialog.installEventFilter(self)

    def _wrap(self) -> None:
        from PyQt6.QtWidgets import QVBoxLayout
        lay = self._dialog.layout()
        if lay is None:
            return
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        stretches = [lay.stretch(i) for i in range(lay.count())]
        for stretch in stretches:
            item = lay.takeAt(0)
            if item.widget() is self._keep:
                continue
            if item.widget() is not None:
                inner.addWidget(item.widget(), stretch)
            elif item.layout() is not None:
                inner.addLayout(item.layout(), stretch)
            else:
                inner.addItem(item)
        lay.addWidget(scrolling(body), 1)
        lay.addWidget(self._keep)
        self._body = body
        body.installEventFilter(self)

    def _fit(self) -> None:
        """As big as the content wants, no bigger than the screen: it scrolls only when it must."""
        lay = self._dialog.layout()
        m = lay.contentsMargins()
        want = self._body.sizeHint()
        w = want.width() + m.left() + m.right() + 20  # 20: a vertical scroll bar, if it comes
        h = want.height() + self._keep.sizeHint().height() + lay.spacing() + m.top() + m.bottom()
        if self._dialog.width() < w or self._dialog.height() < h:
            fit_to_screen(self._dialog, max(w, self._dialog.width()), max(h, self._dialog.height()))

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if obj is self._dialog and kind == QEvent.Type.Polish and self._body is None:
            self._wrap()
        elif obj is self._dialog and kind == QEvent.Type.Show and self._body is not None:
            self._fit()
        elif obj is self._body and kind == QEvent.Type.LayoutRequest and self._dialog.isVisible():
            self._fit()  # a 更多选项 section opened: the dialog grows while there is room
        return False


def scroll_when_tall(dialog: QWidget, keep: QWidget) -> None:
    """Everything of ``dialog``'s layout but ``keep`` (its OK/Cancel buttons) scrolls when the
    screen is too low for it (the partition dialog needed 616 pixels, the redraw dialog 786, on a
    laptop that leaves 450), so the buttons stay on the screen; on a big screen the dialog opens at
    its whole size, without a scroll bar. The layout is wrapped when the dialog is first polished,
    after the subclasses added their rows."""
    _ScrollingBody(dialog, keep)
