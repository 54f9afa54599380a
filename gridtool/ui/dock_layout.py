"""The docks' first layout: on a big screen the map in the middle between the layers, the grid panel
and the attribute table; on a small one (1366×768 or 1280×720 at 150 %) the map gets most of the
window: the layers share the grid panel's column as a tab, the panels are narrow, and the attribute
table and the log stay closed until the planner selects a feature or a check has problems to list.

The planner's own arrangement (docks moved, closed or resized, the window's size and place) is saved
when the window closes and comes back at the next start instead of the first layout; 视图 → 恢复默认布局
forgets it.
"""

from __future__ import annotations

from PyQt6.QtCore import QSettings, QSize, Qt
from PyQt6.QtWidgets import QMainWindow

from .screen import keep_on_screen

#: A window smaller than this (either way, in logical pixels) starts with the small-screen layout;
#: 1920×1080 at 100 % opens at 1500×950 and keeps the big one. Every window on a 1366×768 screen is
#: small: maximised under a 27-pixel top bar (1366×705) it had the big layout, and the grid panel's
#: list showed one grid between the editing tools and the unsplittable villages.
SMALL_WINDOW = QSize(1200, 770)


#: The version of the docks' arrangement that :func:`save_layout` writes. Raise it when docks are
#: added, removed or renamed: a state saved with another version is not restored (Qt would put
#: the docks it does not know nowhere), the first layout is used instead.
LAYOUT_VERSION = 1
VERSION_KEY, GEOMETRY_KEY, STATE_KEY = "window/layout_version", "window/geometry", "window/state"

L, R, B = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
           Qt.DockWidgetArea.BottomDockWidgetArea)
#: Each dock's place at first: its area, and the dock it shares as a tab.
PLACES = {"layers": (L, None), "grids": (R, None), "routes": (R, "grids"), "analysis": (R, "routes"),
          "table": (B, None), "problems": (B, "table")}


def is_small(size: QSize) -> bool:
    return size.width() < SMALL_WINDOW.width() or size.height() < SMALL_WINDOW.height()


def place_docks(win: QMainWindow) -> None:
    """Put every dock of ``win`` in its first place (:data:`PLACES`), open, docked and in front of
    its tabs where it is the first; moves them back there after the planner moved them."""
    d = win.docks
    for key, (area, _) in PLACES.items():
        d[key].setFloating(False)
        win.addDockWidget(area, d[key])  # moves a dock already in the window
        d[key].show()
    for key, (_, beside) in PLACES.items():
        if beside is not None:
            win.tabifyDockWidget(d[beside], d[key])
    d["grids"].raise_()
    d["table"].raise_()


def first_layout(win) -> bool:
    """Lay out ``win``'s docks for its size when it is first shown; True for the small layout."""
    d = win.docks
    w, h = win.width(), win.height()
    H = Qt.Orientation.Horizontal
    small = is_small(win.size())
    set_compact(win, small)
    if not small:
        # The map gets most of the window; docks start narrow (the user can widen them).
        win.resizeDocks([d["layers"], d["grids"]], [int(w * 0.13), int(w * 0.27)], H)
        win.resizeDocks([d["table"]], [int(h * 0.2)], Qt.Orientation.Vertical)
        return False
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


def set_compact(win, on: bool) -> None:
    """The panels narrow (buttons on two rows, totals wrapped) for a small window, or not."""
    win.layer_panel.set_compact(on)
    win.grid_panel.set_compact(on)


def save_layout(win: QMainWindow, st: QSettings) -> None:
    """Keep the window's size and place and its docks' arrangement for the next start."""
    st.setValue(VERSION_KEY, LAYOUT_VERSION)
    st.setValue(GEOMETRY_KEY, win.saveGeometry())
    st.setValue(STATE_KEY, win.saveState(LAYOUT_VERSION))


def restore_layout(win: QMainWindow, st: QSettings) -> bool:
    """Bring back what :func:`save_layout` kept, the window inside its screen's free area (a layout
    saved on a 1920×1080 monitor opens on a 1366×768 laptop); False when nothing of this version was
    saved, and the window keeps its first size for its first layout."""
    state = st.value(STATE_KEY)
    if not state or st.value(VERSION_KEY, 0, int) != LAYOUT_VERSION:
        return False
    geometry = st.value(GEOMETRY_KEY)
    if geometry:
        win.restoreGeometry(geometry)
        keep_on_screen(win)
    # before the docks: a panel still wide (four buttons on one row) would widen its dock
    set_compact(win, is_small(win.size()))
    return win.restoreState(state, LAYOUT_VERSION)


def forget_layout(st: QSettings) -> None:
    st.remove(VERSION_KEY)
    st.remove(GEOMETRY_KEY)
    st.remove(STATE_KEY)


def default_layout(win: QMainWindow) -> bool:
    """视图 → 恢复默认布局: the docks as a first start lays them out for the window's size, the
    window inside its screen; True for the small layout."""
    keep_on_screen(win)
    place_docks(win)
    return first_layout(win)
