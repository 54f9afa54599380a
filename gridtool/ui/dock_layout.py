"""The docks' first layout: on a big screen the map in the middle between the layers, the grid panel
and the attribute table; on a small one (1366×768 or 1280×720 at 150 %) the map gets most of the
window: the layers share the grid panel's column as a tab, the panels are narrow, and the attribute
table and the log stay closed until the planner selects a feature or a check has problems to list.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt

#: A window smaller than this (either way, in logical pixels) starts with the small-screen layout;
#: 1920×1080 at 100 % opens at 1500×950 and keeps the big one.
SMALL_WINDOW = QSize(1200, 700)


def is_small(size: QSize) -> bool:
    return size.width() < SMALL_WINDOW.width() or size.height() < SMALL_WINDOW.height()


def first_layout(win) -> bool:
    """Lay out ``win``'s docks for its size when it is first shown; True for the small layout."""
    d = win.docks
    w, h = win.width(), win.height()
    H = Qt.Orientation.Horizontal
    if not is_small(win.size()):
        # The map gets most of the window; docks start narrow (the user can widen them).
        win.resizeDocks([d["layers"], d["grids"]], [int(w * 0.13), int(w * 0.27)], H)
        win.resizeDocks([d["table"]], [int(h * 0.2)], Qt.Orientation.Vertical)
        return False
    win.layer_panel.set_compact(True)
    win.grid_panel.set_compact(True)
    win.tabifyDockWidget(d["grids"], d["layers"])  # one side column: 网格 | 巡逻与服务圈 | 分析结果 | 图层
    for key in ("table", "problems"):
        d[key].hide()  # the View menu, a selection or a check's problems open them
    d["grids"].raise_()
    win.resizeDocks([d["grids"]], [int(w * 0.3)], H)
    return True


def open_dock(win, key: str) -> None:
    """Show the dock ``key`` in front of its tabs; one the small layout kept closed opens at a third of
    the window's height, so the map keeps the rest."""
    dock = win.docks[key]
    if not dock.isVisible():
        dock.show()
        if win.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea:
            win.resizeDocks([dock], [win.height() // 3], Qt.Orientation.Vertical)
    dock.raise_()
