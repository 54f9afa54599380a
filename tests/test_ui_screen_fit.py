"""Windows fit the screens planners have: 1366×768, and 1920×1080 at 150 % scaling (1280×720
logical, less a 27-pixel taskbar and the title bar: about 1280×660 for a window's inside).

Before, the main window opened at 1500×950 and could not shrink below 691 pixels high, and the
new-project wizard not below 711: at 150 % their bottom rows (the wizard's 下一步/取消) were off
the screen.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, QRect, QSettings, QSize, Qt  # noqa: E402
from PyQt6.QtWidgets import QDialog  # noqa: E402

#: The inside of a window on 1920×1080 at 150 % (1280×720) less the taskbar and title bar.
SMALL = QSize(1280, 660)
#: The inside of a window on a 1366×768 laptop at 150 % (910×512) less the taskbar.
LAPTOP = QSize(910, 490)


def _fits(size: QSize, room: QSize) -> bool:
    return size.width() <= room.width() and size.height() <= room.height()


@pytest.fixture(autouse=True)
def _own_settings(isolated_settings):
    """Every window here opens with the first layout: none saved by another test or by the user."""
    return isolated_settings


@pytest.fixture
def main_window(qtbot, qapp):
    from gridtool.ui import fonts, i18n
    from gridtool.ui.main_window import MainWindow
    fonts.apply_app_font(qapp)
    i18n.set_language("zh")
    w = MainWindow(autosave=False)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.jobs.cancel()  # the wall map's preview
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    w.session.set_project(None)
    w.close()
    w.deleteLater()


def test_fitted_size_leaves_room_for_the_frame():
    from gridtool.ui.screen import FRAME, fitted_size
    assert fitted_size(QSize(1500, 950), QSize(1366, 728)) == QSize(1366 - FRAME.width(), 728 - FRAME.height())
    assert fitted_size(QSize(500, 300), QSize(1366, 728)) == QSize(500, 300)


def test_main_window_and_wizard_fit_a_small_screen(main_window, qtbot):
    from gridtool.ui.wizard import NewProjectWizard
    w = main_window
    room = w.screen().availableGeometry().size()
    assert _fits(w.size(), room), (w.size(), room)
    assert _fits(w.minimumSizeHint(), SMALL), w.minimumSizeHint()
    w.grid_panel.inf_box.setVisible(True)  # a village no grid fits: the panel grows a list
    assert _fits(w.minimumSizeHint(), SMALL), w.minimumSizeHint()

    wiz = NewProjectWizard(w)
    wiz.show()
    qtbot.waitExposed(wiz)
    assert _fits(wiz.size(), room), (wiz.size(), room)
    wiz.resize(SMALL)
    assert _fits(wiz.size(), SMALL), wiz.size()  # Next and Cancel stay on the screen
    wiz.reject()


def test_the_wizard_shows_four_layer_rows_on_a_1366_laptop_at_150_percent(main_window, qtbot):
    """At 910×490 the decoded-text preview (110 pixels) left under three of the twelve layer rows in
    view; it gives up height first now, and keeps its 110 pixels where there is room."""
    from gridtool.ui.wizard import NewProjectWizard
    wiz = NewProjectWizard(main_window)
    wiz.show()
    qtbot.waitExposed(wiz)
    page = wiz.layers_page
    row = page.rows["households"].path.height() + 6
    wiz.resize(QSize(910, 490))
    qtbot.waitUntil(lambda: page.rows_area.viewport().height() >= 4 * row, timeout=5000)
    assert page.preview.height() >= 3 * page.preview.fontMetrics().lineSpacing()  # still readable
    wiz.resize(QSize(1000, 720))
    qtbot.waitUntil(lambda: page.preview.height() == 110, timeout=5000)
    wiz.reject()


def test_wall_map_dialog_fits_a_small_screen(main_window, qtbot, tmp_path):
    from gridtool.samples import sample_sources
    from gridtool.project import Project
    from gridtool.ui.export_dialogs import WallMapDialog
    from gridtool.ui.screen import FRAME
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    main_window.open_project(str(p.save(tmp_path / "raw.gpkg")), background=False)
    dlg = WallMapDialog(main_window)
    room = dlg.screen().availableGeometry().size()
    size, least = QDialog.size(dlg), QDialog.minimumSizeHint(dlg)
    assert size.width() <= max(room.width() - FRAME.width(), least.width()), (size, room)
    assert size.height() <= max(room.height() - FRAME.height(), least.height()), (size, room)
    assert _fits(QDialog.minimumSizeHint(dlg), SMALL), QDialog.minimumSizeHint(dlg)
    dlg.reject()


def test_the_grid_panel_is_never_cut_off_at_the_windows_edge(main_window, qtbot, tmp_path):
    """The grid panel scrolls up and down on a short screen, but its width must follow what it
    holds: once a partitioned project was open, its buttons and target line (目标 …, 偏多) were cut
    off at the window's right edge, the dock kept to 27 % of the window (found in a newcomer run)."""
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0)
    main_window.resize(1500, 950)
    main_window.open_project(str(p.save(tmp_path / "plan.gpkg")), background=False)
    area = main_window.docks["grids"].widget()
    qtbot.waitUntil(lambda: area.viewport().width() >= area.widget().minimumSizeHint().width(), timeout=5000)
    assert area.widget().width() >= area.widget().minimumSizeHint().width()


def test_the_grid_dock_keeps_no_room_for_a_scroll_bar_it_does_not_show(main_window, qtbot, tmp_path):
    """A tall window where the grid panel does not scroll: its dock is as wide as the panel needs,
    not a scroll bar wider (the map lost 14 pixels to a scroll bar that was never shown)."""
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0)
    main_window.resize(1280, 1000)
    main_window.open_project(str(p.save(tmp_path / "plan.gpkg")), background=False)
    area = main_window.docks["grids"].widget()
    need = area.widget().minimumSizeHint().width()
    qtbot.waitUntil(lambda: area.viewport().width() >= need, timeout=5000)
    assert not area.verticalScrollBar().isVisible()
    assert area.width() - need < area.verticalScrollBar().sizeHint().width(), (area.width(), need)


def test_main_window_with_a_plan_fits_a_1366_laptop_at_150_percent(main_window, qtbot, tmp_path):
    """1366×768 at 150 %: about 910×490 for the window. The routes, analysis and problems panels
    held the window at 525 pixels high (the status bar off the screen): they scroll too now."""
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0)
    main_window.open_project(str(p.save(tmp_path / "plan.gpkg")), background=False)
    main_window.grid_panel.inf_box.setVisible(True)
    main_window.resize(LAPTOP)
    qtbot.waitUntil(lambda: main_window.size() == LAPTOP, timeout=5000)
    assert _fits(main_window.minimumSizeHint(), LAPTOP), main_window.minimumSizeHint()
    assert main_window.canvas.height() > 0 and main_window.statusBar().geometry().bottom() < LAPTOP.height()


@pytest.fixture
def plan_path(tmp_path):
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0)
    return str(p.save(tmp_path / "plan.gpkg"))


def _window_of(qtbot, size: QSize, plan_path: str):
    """A main window opened at ``size`` (as on a screen that size: it starts at the screen's free
    area) with a partitioned project."""
    from gridtool.ui import fonts, i18n
    from gridtool.ui.main_window import MainWindow
    from PyQt6.QtWidgets import QApplication
    fonts.apply_app_font(QApplication.instance())
    i18n.set_language("zh")
    w = MainWindow(autosave=False)
    w.resize(size)
    w.show()
    qtbot.waitExposed(w)
    w.open_project(plan_path, background=False)
    qtbot.waitUntil(lambda: w.size() == size, timeout=5000)
    return w


def _close(w) -> None:
    w.session.set_project(None)
    w.close()
    w.deleteLater()


def test_the_map_gets_most_of_a_1366_laptop_at_150_percent(qtbot, plan_path):
    """At 910×490 the map was a 200×235 island (11 % of the window) between a layers dock held at
    342 pixels by its four buttons, a grid panel that scrolled sideways and the attribute table. Now
    the layers are a tab beside the grid panel, the table and the log wait until asked, and the
    target's total wraps onto two lines."""
    import numpy as np
    w = _window_of(qtbot, LAPTOP, plan_path)
    try:
        qtbot.wait(50)
        c = w.canvas
        assert c.width() * c.height() >= 0.5 * LAPTOP.width() * LAPTOP.height(), c.size()
        d = w.docks
        assert not d["table"].isVisible() and not d["problems"].isVisible()
        assert d["layers"] in w.tabifiedDockWidgets(d["grids"])
        area = d["grids"].widget()  # the grid panel: no sideways scrolling, the whole target line shown
        # (the scroll bar's visibility follows the layout's last pass, late on a loaded machine)
        qtbot.waitUntil(lambda: not area.horizontalScrollBar().isVisible(), timeout=3000)
        total = w.grid_panel.target_total
        assert "320102900001-01" in total.text() and total.wordWrap()
        code = w.grid_panel.target.lineEdit()  # the whole code in the target box (it showed 102900001-01)
        assert code.text() == "320102900001-01"
        assert code.width() >= code.fontMetrics().horizontalAdvance(code.text()) + 4, code.width()
        assert total.height() >= total.heightForWidth(total.width()), (total.height(), total.width())
        d["layers"].raise_()  # the layer buttons on two rows, all inside the narrow panel
        qtbot.waitUntil(lambda: w.layer_panel.isVisible(), timeout=5000)
        lp = w.layer_panel
        for b in (lp.up, lp.down, lp.colour, lp.zoom):
            assert lp.rect().contains(b.geometry()), (b.text(), b.geometry(), lp.rect())
        assert lp.up.y() == lp.down.y() < lp.colour.y() == lp.zoom.y()

        w.canvas.featuresPicked.emit("grids", np.array([0]), False)  # a click on a grid opens the table
        qtbot.waitUntil(lambda: d["table"].isVisible(), timeout=5000)
        assert w.table.role == "grids" and c.height() > 0
        assert _fits(w.minimumSizeHint(), LAPTOP), w.minimumSizeHint()
        w.validate_plan()  # a check's problems open the log
        assert d["problems"].isVisible()
    finally:
        _close(w)


def test_a_full_hd_screen_keeps_the_layout_it_had(qtbot, plan_path):
    """1920×1080 at 100 %: the layers on the left with their buttons on one row, the grid panel on
    the right with its totals on one line, the attribute table and the log below, as before."""
    w = _window_of(qtbot, QSize(1920, 1080), plan_path)
    try:
        d = w.docks
        assert all(d[k].isVisible() for k in ("layers", "grids", "table"))
        assert w.dockWidgetArea(d["layers"]) == w.dockWidgetArea(d["layers"]).LeftDockWidgetArea
        assert not w.tabifiedDockWidgets(d["layers"])
        lp = w.layer_panel
        assert lp.up.y() == lp.down.y() == lp.colour.y() == lp.zoom.y()
        assert not w.grid_panel.target_total.wordWrap()
        qtbot.waitUntil(lambda: 0.1 < d["table"].height() / 1080 < 0.25, timeout=5000)  # a fifth, as before
        w.canvas.featuresPicked.emit("grids", __import__("numpy").array([0]), False)
        assert d["table"].isVisible()
    finally:
        _close(w)


def test_the_panels_follow_the_window_when_it_is_made_small_and_large_again(qtbot, plan_path):
    """The narrow panels were chosen once, when the window first showed: a window opened on a
    monitor and then made small (or moved to the laptop's screen) kept four layer buttons on one row
    and a target line that pushed the grid panel sideways. The docks stay where the planner put them."""
    w = _window_of(qtbot, QSize(1920, 1080), plan_path)
    try:
        lp, total = w.layer_panel, w.grid_panel.target_total
        assert not w.compact and lp.up.y() == lp.zoom.y() and not total.wordWrap()
        w.resize(LAPTOP)
        qtbot.waitUntil(lambda: w.size() == LAPTOP, timeout=5000)
        assert w.compact and total.wordWrap()
        qtbot.waitUntil(lambda: lp.up.y() == lp.down.y() < lp.colour.y() == lp.zoom.y(), timeout=5000)
        assert not w.tabifiedDockWidgets(w.docks["layers"])  # not rearranged behind the planner's back
        w.resize(QSize(1600, 1000))
        qtbot.waitUntil(lambda: w.size() == QSize(1600, 1000), timeout=5000)
        assert not w.compact and not total.wordWrap()
        qtbot.waitUntil(lambda: lp.up.y() == lp.zoom.y(), timeout=5000)
    finally:
        _close(w)


def test_wall_map_dialog_keeps_its_buttons_on_a_1366_laptop_at_150_percent(main_window, qtbot, plan_path):
    """The wall-map dialog could not shrink below 1073×519: on 910×490 its 导出/取消 were off the
    screen. Its preview scales down instead."""
    from gridtool.ui.export_dialogs import WallMapDialog
    from gridtool.ui.screen import FRAME
    main_window.open_project(plan_path, background=False)
    dlg = WallMapDialog(main_window)
    room = LAPTOP - FRAME
    assert _fits(QDialog.minimumSizeHint(dlg), room), QDialog.minimumSizeHint(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.resize(room)
    qtbot.waitUntil(lambda: QDialog.size(dlg) == room, timeout=5000)
    corner = dlg.buttons.mapTo(dlg, dlg.buttons.rect().bottomRight())
    assert corner.x() < room.width() and corner.y() < room.height(), corner
    dlg.reject()


# -- the planner's own layout, kept from one start to the next ---------------------------------------
# The offscreen screen is 800×800: every window that fits it starts with the small layout.

def _new_window(qtbot):
    from gridtool.ui.main_window import MainWindow
    w = MainWindow(autosave=False)
    w.show()
    qtbot.waitExposed(w)
    return w


def _arrangement(w) -> dict:
    """Each dock: open or closed (as the View menu shows it), its area and the docks in its tabs."""
    return {k: (d.toggleViewAction().isChecked(), w.dockWidgetArea(d),
                sorted(t.objectName() for t in w.tabifiedDockWidgets(d))) for k, d in w.docks.items()}


def _arrange(w, qtbot) -> None:
    """What a planner does to the small layout: opens the attribute table and the log, closes the
    table again, takes the layers out of the side column to the left and makes the log taller."""
    d = w.docks
    w.open_dock("table")
    w.open_dock("problems")
    d["table"].close()
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, d["layers"])
    w.resizeDocks([d["problems"]], [180], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: d["problems"].height() == 180, timeout=5000)


def test_the_window_opens_as_the_planner_left_it(qtbot):
    """Docks moved, closed or resized came back as they first were at the next start."""
    w = _new_window(qtbot)
    w.resize(760, 720)
    qtbot.waitUntil(lambda: w.size() == QSize(760, 720), timeout=5000)
    _arrange(w, qtbot)
    arranged = _arrangement(w)
    assert not arranged["table"][0] and arranged["problems"][0]
    assert arranged["layers"][1] == Qt.DockWidgetArea.LeftDockWidgetArea and not arranged["layers"][2]
    _close(w)

    again = _new_window(qtbot)
    try:
        assert _arrangement(again) == arranged
        assert again.size() == QSize(760, 720)
        qtbot.waitUntil(lambda: again.docks["problems"].height() == 180, timeout=5000)
        assert again.compact  # still a small window: a selection opens the closed table
    finally:
        _close(again)


def test_a_window_saved_on_a_full_hd_monitor_fits_a_1366_laptop_at_150_percent(qtbot, monkeypatch):
    """A window closed at 1920×1080 on the office's monitor and opened on a 1366×768 laptop at 150 %
    (910×490 free) is shrunk and moved onto the laptop's screen, its docks as they were."""
    from gridtool.ui import screen
    w = _new_window(qtbot)
    w.resize(1920, 1080)
    w.move(300, 200)
    qtbot.waitUntil(lambda: w.size() == QSize(1920, 1080), timeout=5000)
    w.docks["table"].close()
    _close(w)

    laptop = QRect(0, 0, LAPTOP.width(), LAPTOP.height())
    monkeypatch.setattr(screen, "available_area", lambda widget: laptop)
    again = _new_window(qtbot)
    try:
        frame = QRect(again.pos(), again.size() + screen.FRAME)
        assert laptop.contains(frame), (frame, laptop)
        assert again._layout_restored and not again.docks["table"].toggleViewAction().isChecked()
        assert again.compact
    finally:
        _close(again)


def test_fitted_position_brings_a_window_back_onto_the_screen():
    from gridtool.ui.screen import FRAME, fitted_position
    laptop = QRect(0, 0, 910, 490)
    size = QSize(894, 450)
    # saved on a monitor to the right of this one, and below the laptop's bottom
    assert fitted_position(QPoint(2500, 900), size, laptop) == QPoint(910 - 894 - FRAME.width(), 0)
    assert fitted_position(QPoint(-800, -50), QSize(400, 300), laptop) == QPoint(0, 0)
    assert fitted_position(QPoint(100, 60), QSize(400, 300), laptop) == QPoint(100, 60)  # on screen: kept


def test_reset_layout_gives_the_first_layout_for_this_screen(qtbot):
    """视图 → 恢复默认布局 forgets the saved arrangement and lays the docks out as a first start does."""
    from gridtool.ui.i18n import tr
    first = _new_window(qtbot)
    first.resize(760, 720)
    qtbot.waitUntil(lambda: first.size() == QSize(760, 720), timeout=5000)
    default = _arrangement(first)
    _arrange(first, qtbot)
    _close(first)

    w = _new_window(qtbot)
    try:
        assert _arrangement(w) != default
        reset = w.actions_["view.reset_layout"]
        assert reset in w.menus["view"].actions() and reset.text() == tr("action.view.reset_layout") == "恢复默认布局"
        reset.trigger()
        assert _arrangement(w) == default
        assert not QSettings("gridtool", "gridtool").contains("window/state")
        assert w.compact and w.docks["grids"].isVisible()
    finally:
        _close(w)


def test_a_layout_saved_for_other_docks_is_not_restored(qtbot, monkeypatch):
    """A state saved before the docks changed (another layout version) gives the first layout."""
    from gridtool.ui import dock_layout
    w = _new_window(qtbot)
    w.resize(760, 720)
    qtbot.waitUntil(lambda: w.size() == QSize(760, 720), timeout=5000)
    default = _arrangement(w)
    _arrange(w, qtbot)
    _close(w)

    monkeypatch.setattr(dock_layout, "LAYOUT_VERSION", dock_layout.LAYOUT_VERSION + 1)
    again = _new_window(qtbot)
    try:
        assert not again._layout_restored
        assert _arrangement(again) == default
    finally:
        _close(again)


@pytest.mark.parametrize("kind", ["partition", "redraw", "patrol", "coverage", "walk", "assessment"])
def test_option_dialogs_keep_their_buttons_on_a_1366_laptop_at_150_percent(main_window, qtbot, plan_path, kind):
    """The partition dialog needed 616 pixels, the redraw dialog 786 and the coverage dialog 556 where a
    laptop at 150 % leaves about 450, the five-colour map's 468: 确定/取消 were off the screen. Their
    options scroll now; the buttons stay."""
    from gridtool.ui.export_dialogs import AssessmentDialog
    from gridtool.ui.coverage_dialog import CoverageDialog
    from gridtool.ui.partition_dialog import PartitionDialog
    from gridtool.ui.patrol_dialog import PatrolDialog
    from gridtool.ui.redraw_dialog import RedrawDialog
    from gridtool.ui.screen import FRAME
    from gridtool.ui.walk_dialog import WalkDialog
    main_window.open_project(plan_path, background=False)
    make = {"partition": lambda: PartitionDialog({}, main_window, has_dem=True, categories=("school",)),
            "redraw": lambda: RedrawDialog(plan_path, None, {}, main_window),
            "patrol": lambda: PatrolDialog(main_window), "coverage": lambda: CoverageDialog(main_window),
            "walk": lambda: WalkDialog(main_window), "assessment": lambda: AssessmentDialog(main_window)}
    dlg = make[kind]()
    room = LAPTOP - FRAME
    dlg.show()
    qtbot.waitExposed(dlg)
    if hasattr(dlg, "more"):
        dlg.more.set_open(True)  # the rarely used options open: the dialog is at its tallest
    assert _fits(QDialog.minimumSizeHint(dlg), room), QDialog.minimumSizeHint(dlg)
    dlg.resize(room)
    qtbot.waitUntil(lambda: QDialog.size(dlg) == room, timeout=5000)
    corner = dlg.buttons.mapTo(dlg, dlg.buttons.rect().bottomRight())
    assert corner.x() < room.width() and corner.y() < room.height(), corner
    dlg.reject()


def test_an_option_dialog_opens_whole_where_the_screen_has_room(main_window, qtbot, plan_path):
    """On a screen with room (the test screen is 800×800) the partition dialog opens at its whole
    size: nothing scrolls."""
    from gridtool.ui.partition_dialog import PartitionDialog
    main_window.open_project(plan_path, background=False)
    dlg = PartitionDialog({}, main_window)
    dlg.show()
    qtbot.waitExposed(dlg)
    area = dlg.findChild(__import__("PyQt6.QtWidgets", fromlist=["QScrollArea"]).QScrollArea)
    assert area is not None
    qtbot.waitUntil(lambda: not area.verticalScrollBar().isVisible(), timeout=3000)  # after the last layout pass
    assert area.widget().height() <= area.viewport().height()
    assert dlg.buttons.isVisible() and dlg.grids_box.isVisible()
    dlg.reject()


@pytest.mark.parametrize("size", [QSize(1366, 705), QSize(1366, 740)])
def test_a_1366_laptop_at_100_percent_shows_the_grid_list(qtbot, plan_path, size):
    """A 1366×768 laptop at 100 %, the window maximised under the desktop's bars: the big layout left
    the grid panel's list one row high (the editing tools above it, the unsplittable villages below,
    the attribute table under both). Now it is the small layout: the map, and the grid panel with
    ten and more grids in its list."""
    w = _window_of(qtbot, size, plan_path)
    try:
        qtbot.wait(50)
        table = w.grid_panel.table
        rows = (table.viewport().height()) // table.rowHeight(0)
        assert rows >= 8, (rows, table.viewport().height())
        assert not w.docks["table"].isVisible()  # the attribute table waits for a selection
    finally:
        _close(w)
