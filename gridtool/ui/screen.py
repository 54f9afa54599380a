"""Windows that fit the planner's screen: 1366×768 laptops and 1920×1080 at 150 % scaling
(1280×720 logical), less the taskbar and the title bar.

A window asks for the size it would like; :func:`fit_to_screen` gives it no more than the screen's
free area, and panels that cannot shrink (the grid panel, the wizard's list of layers) scroll inside
:func:`scrolling` instead of pushing the window's buttons off the screen.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtWidgets import QFrame, QScrollArea, QWidget

#: Room for the title bar and the window frame, which the available geometry does not count.
FRAME = QSize(16, 40)


def fitted_size(wanted: QSize, available: QSize) -> QSize:
    """``wanted`` cut to ``available`` less the frame."""
    return QSize(max(1, min(wanted.width(), available.width() - FRAME.width())),
                 max(1, min(wanted.height(), available.height() - FRAME.height())))


def fit_to_screen(widget: QWidget, width: int, height: int) -> QSize:
    """Resize ``widget`` to ``width``×``height`` or the free area of its screen, whichever is less."""
    screen = widget.screen()
    size = QSize(width, height)
    if screen is not None:
        size = fitted_size(size, screen.availableGeometry().size())
    widget.resize(size)
    return size


def scrolling(inner: QWidget) -> QScrollArea:
    """``inner`` in a frameless scroll area: it keeps its natural size and scrolls when the window is
    smaller, so the window's own minimum height stays small."""
    area = QScrollArea()
    area.setWidget(inner)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area
