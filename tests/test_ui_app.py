"""The desktop app under pytest-qt, offscreen: open the sample, partition, paint with live totals,
undo, locks, Cancel, a failing worker, the language switch, autosave and the screenshot command.

Needs PyQt6 and pytest-qt (``pip install -e ".[gui,test]"``); skipped without them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, Qt  # noqa: E402
from PyQt6.QtWidgets import (QAbstractButton, QDockWidget, QGroupBox, QLabel, QMenu,  # noqa: E402
                             QTabWidget, QTreeWidget)

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _isolated_settings(isolated_settings):
    """Settings, the log and recovery copies in each test's own folder, never the user's nor another
    test's (a window opens with the docks as the last one closed with them)."""
    return isolated_settings


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The Nanjing sample as a project, once without grids and once partitioned (≈3 s)."""
    from gridtool.samples import sample_sources
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    d = tmp_path_factory.mktemp("ui-sample")
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    raw = p.save(d / "raw.gpkg")
    partition_project(p, corridor_width=0)
    return {"raw": raw, "partitioned": p.save(d / "sample.gpkg")}


@pytest.fixture
def window(qtbot, qapp):
    from gridtool.ui import errors, fonts, i18n
    from gridtool.ui.main_window import MainWindow
    fonts.apply_app_font(qapp)
    i18n.set_language("zh")
    w = MainWindow(autosave=False)
    errors.install(w)
    w.jobs.on_error = errors.reporter().handle
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)  # the end of a job arrives as an event
    w.session.set_project(None)  # nothing left to save: close without the prompt
    w.close()
    w.deleteLater()


def _open(qtbot, w, path):
    w.open_project(str(path))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)


def _pair(w):
    """Two grids of one village (a painting target and a source)."""
    plan = w.session.plan
    by_v = {}
    for c in plan.codes:
        by_v.setdefault(plan.village[c], []).append(c)
    a, b = next(v for v in by_v.values() if len(v) >= 2)[:2]
    return a, b


def _screen_pos_of_feature(w, f):
    """Zoom the map onto household feature ``f`` and return its pixel position."""
    x, y = w.session.edit.xy[f]
    w.canvas.zoom_to_bounds((x - 40, y - 40, x + 40, y + 40), margin=0)
    sx, sy = w.canvas.vp.world_to_screen(x, y)
    return QPoint(int(round(float(sx))), int(round(float(sy))))


def _lone_feature(w, code):
    """A feature of ``code`` with households and no other feature within 12 m (a clean brush hit)."""
    e = w.session.edit
    feats = [int(f) for f in e.membership.features_in(code) if e.plan._hh[f] > 0]
    xy = e.xy
    for f in feats:
        d = np.hypot(*(xy - xy[f]).T)
        if (d < 12).sum() == 1:
            return f
    return feats[0]


def test_open_sample_project(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["partitioned"])
    p = w.session.project
    assert {"households", "villages", "roads", "grids", "subgrids"} <= set(p.layers)
    assert w.grid_panel.model.rowCount() == len(p.layers["grids"].gdf) > 10
    assert "grids" in w.stack.roles() and "households" in w.stack.roles()
    assert "nanjing-xuanwu" in w.windowTitle()
    # the map is drawn: many colours, not just the background
    img = w.canvas.grab().toImage()
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 30
    assert w.canvas.last_render_ms > 0
    # selecting a grid in the attribute table selects it on the map, and back
    w.table.show_layer("grids")
    w.table.view.selectRow(3)
    assert w.canvas.selection.get("grids") is not None and len(w.canvas.selection["grids"]) == 1
    f = int(w.canvas.selection["grids"][0])
    w._picked("grids", np.array([f + 1]), False)
    assert int(w.table.selected_features()[0]) == f + 1


def test_run_partition_in_the_background(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["raw"])
    assert w.session.plan is None and "grids" not in w.session.project.layers
    w.run_partition(dict(min_hh=300, max_hh=500, target=400, subgrids=False, corridor_width=0))
    assert w.jobs.busy and w.job_box.isVisibleTo(w)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    p = w.session.project
    assert "grids" in p.layers and w.session.plan is not None
    assert w.grid_panel.model.rowCount() == len(p.layers["grids"].gdf) > 10
    assert "grids" in w.stack.roles()
    assert w.session.dirty and w.actions_["edit.undo"].isEnabled()
    w.actions_["edit.undo"].trigger()  # the partition is one undo step
    assert "grids" not in w.session.project.layers and w.session.plan is None


def test_paint_changes_both_totals_live_and_undo_restores(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["partitioned"])
    plan = w.session.plan
    a, b = _pair(w)
    ta, tb = plan.totals[a], plan.totals[b]
    w.editor.set_target(a)
    w.editor.brush_px = 3
    w.set_tool("brush")
    f = _lone_feature(w, b)
    pos = _screen_pos_of_feature(w, f)
    seen = []
    w.session.plan_changed.connect(lambda codes, feats: seen.append((plan.totals[a], plan.totals[b])))
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert w.editor.stroking
    assert seen and seen[0][0] > ta and seen[0][1] < tb  # live, before the button is released
    assert str(plan.totals[a]) in w.grid_panel.target_total.text()
    qtbot.mouseMove(w.canvas, pos + QPoint(1, 1))
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=pos + QPoint(1, 1))
    moved = plan.totals[a] - ta
    assert moved > 0 and plan.totals[b] == tb - moved
    assert str(plan.totals[b]) in w.grid_panel.source_total.text()
    row = w.grid_panel.model.row_of[a]
    assert w.grid_panel.model.data(w.grid_panel.model.index(row, 2)) == plan.totals[a]
    g = w.session.project.layers["grids"].gdf.set_index("code")
    assert g.loc[a, "hh"] == plan.totals[a]  # the layer follows once the stroke ends
    w.actions_["edit.undo"].trigger()
    assert (plan.totals[a], plan.totals[b]) == (ta, tb)
    assert str(ta) in w.grid_panel.target_total.text()
    w.actions_["edit.redo"].trigger()
    assert plan.totals[a] == ta + moved


def test_escape_cancels_a_stroke(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["partitioned"])
    plan = w.session.plan
    a, b = _pair(w)
    ta = plan.totals[a]
    w.editor.set_target(a)
    w.editor.brush_px = 3
    w.set_tool("brush")
    pos = _screen_pos_of_feature(w, _lone_feature(w, b))
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert plan.totals[a] > ta
    qtbot.keyPress(w.canvas, Qt.Key.Key_Escape)
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert plan.totals[a] == ta and not w.session.undo.can_undo()


def test_lock_prevents_painting(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["partitioned"])
    plan = w.session.plan
    a, b = _pair(w)
    assert w.editor.set_locked(b, True)
    ta, tb = plan.totals[a], plan.totals[b]
    w.editor.set_target(a)
    w.editor.brush_px = 3
    w.set_tool("brush")
    messages = []
    w.editor.message.connect(messages.append)
    pos = _screen_pos_of_feature(w, _lone_feature(w, b))
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert (plan.totals[a], plan.totals[b]) == (ta, tb)
    assert any("锁定" in m for m in messages)
    # a locked target refuses the stroke outright
    w.editor.set_target(b)
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert not w.editor.stroking
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=pos)
    w.actions_["edit.undo"].trigger()  # unlock is undoable like any edit
    assert b not in plan.locked


def test_locked_grid_mark_is_drawn_or_said_in_words(qtbot, window, sample, monkeypatch):
    # The bundled CJK font has no 🔒: on a system without an emoji font it showed as a box after the
    # target grid's code. There the mark is the word 锁定; with such a font, the emoji.
    from gridtool.ui import fonts
    w = window
    _open(qtbot, w, sample["partitioned"])
    a, _ = _pair(w)
    assert w.editor.set_locked(a, True)
    for drawn, mark in ((False, "（锁定）"), (True, "\U0001F512")):
        monkeypatch.setattr(fonts, "_lock_drawn", drawn)
        html, _ = w.grid_panel._total_html(a, "目标", True)
        assert f"<b>{a}</b> {mark}" in html
        assert ("\U0001F512" in html) == drawn
    # on this machine: the emoji only where some installed font has its glyph
    monkeypatch.setattr(fonts, "_lock_drawn", None)
    from PyQt6.QtGui import QFont, QFontDatabase, QFontMetrics
    has = any(QFontMetrics(QFont(f)).inFontUcs4(0x1F512) for f in QFontDatabase.families())
    assert fonts.lock_mark() != "\U0001F512" or has  # never a box


def test_cancel_stops_a_running_job(qtbot, window, sample):
    from gridtool.errors import CancelledError
    w = window
    _open(qtbot, w, sample["raw"])
    before = dict(w.session.project.layers)

    def slow(progress, cancelled):
        for i in range(2000):
            if cancelled():
                raise CancelledError()
            progress(i / 2000, f"step {i}")
            time.sleep(0.005)
        return "finished"

    results = []
    job = w.run_job("slow", slow, results.append)
    qtbot.waitUntil(lambda: w.job_bar.value() > 0, timeout=5000)
    t = time.perf_counter()
    qtbot.mouseClick(w.job_cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=5000)
    assert job.state == "cancelled" and results == []
    assert time.perf_counter() - t < 2.0
    assert not w.job_box.isVisibleTo(w)
    # a real partition, cancelled at once, leaves the project as it was
    job = w.run_partition(dict(min_hh=300, max_hh=500, subgrids=True, corridor_width=0))
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert job.state == "cancelled"
    assert w.session.project.layers == before and not w.session.undo.can_undo()


def test_worker_exception_shows_a_dialog_and_the_window_survives(qtbot, window, sample):
    from gridtool.ui import errors
    from gridtool.ui.paths import log_path
    w = window
    _open(qtbot, w, sample["partitioned"])
    rep = errors.reporter()
    shown = []
    rep.shown.connect(shown.append)

    def boom(progress, cancelled):
        raise ZeroDivisionError("boom in a worker")

    w.run_job("boom", boom)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "ZeroDivisionError" in shown[-1]
    assert rep.dialogs and rep.dialogs[-1].isVisible()
    assert "boom in a worker" in log_path().read_text(encoding="utf-8")
    for d in list(rep.dialogs):
        d.done(0)
    # still usable: a job runs, an edit works
    out = []
    w.run_job("ok", lambda progress, cancelled: 42, out.append)
    qtbot.waitUntil(lambda: out == [42], timeout=5000)
    a, _b = _pair(w)
    assert w.editor.set_locked(a, True) and a in w.session.plan.locked


@pytest.mark.qt_no_exception_capture
def test_exception_in_the_gui_thread_shows_a_dialog(qtbot, window):
    from PyQt6.QtCore import QTimer

    from gridtool.ui import errors
    rep = errors.reporter()
    shown = []
    rep.shown.connect(shown.append)

    def bad_slot():
        raise RuntimeError("bad slot")

    QTimer.singleShot(0, bad_slot)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "bad slot" in shown[-1]
    for d in list(rep.dialogs):
        d.done(0)
    assert window.isVisible()


def _chrome_texts(w) -> list[str]:
    """Every interface text (not data) of the window."""
    out = [w.windowTitle().split(" — ")[-1]]
    for a in w.findChildren(type(w.actions_["file.open"])):
        if a.objectName().startswith("lang.") or a.text() in ("中文", "English"):
            continue
        out.append(a.text())
    out += [m.title() for m in w.findChildren(QMenu)]
    out += [d.windowTitle() for d in w.findChildren(QDockWidget)]
    for b in w.findChildren(QAbstractButton):
        out += [b.text(), b.toolTip()]
    for lab in w.findChildren(QLabel):
        if lab is w.grid_panel.target_total or lab is w.grid_panel.source_total:
            continue  # grid codes and numbers (checked below through the unit word)
        out.append(re.sub("<[^>]+>", "", lab.text()))
    out += [g.title() for g in w.findChildren(QGroupBox)]
    for t in w.findChildren(QTabWidget):
        out += [t.tabText(i) for i in range(t.count())]
    for tree in w.findChildren(QTreeWidget):
        h = tree.headerItem()
        out += [h.text(i) for i in range(h.columnCount())]
        if tree is w.layer_panel.tree:
            out += [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    m = w.grid_panel.model
    out += [m.headerData(i, Qt.Orientation.Horizontal) for i in range(m.columnCount())]
    return [t for t in out if t]


def test_language_switch_changes_the_labels(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["partitioned"])
    assert w.menus["file"].title() == "文件"
    assert w.docks["layers"].windowTitle() == "图层"
    w.actions_["lang.en"].trigger()
    assert w.menus["file"].title() == "File"
    assert w.docks["layers"].windowTitle() == "Layers"
    assert w.grid_panel.split.text() == "Split"
    assert "households" in w.grid_panel.target_total.text()
    leftovers = [t for t in _chrome_texts(w) if HAN.search(t)]
    assert not leftovers, leftovers
    from PyQt6.QtCore import QCoreApplication
    yes = lambda: QCoreApplication.translate("QPlatformTheme", "&Yes")  # noqa: E731 - Qt's own button text
    assert yes() == "&Yes"
    w.actions_["lang.zh"].trigger()
    assert w.menus["file"].title() == "文件" and w.grid_panel.split.text() == "拆分"
    from gridtool.ui import qt_translations
    if qt_translations._installed:  # PyQt6 ships Qt's catalogues: message-box buttons in Chinese too
        assert yes() != "&Yes"


def test_attribute_table_headers_follow_the_language(qtbot, window, sample):
    """Known fields show translated headers (raw name in the tooltip); unknown ones stay as they are."""
    w = window
    _open(qtbot, w, sample["partitioned"])
    t = w.table
    H, D, T = Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole

    def choose(role):  # as the user does, through the table's layer list
        t.combo.setCurrentIndex(t.combo.findData(role))
        assert t.role == role

    def headers():
        m = t.model
        return {m.columns[i]: m.headerData(i, H, D) for i in range(m.columnCount())}

    choose("grids")
    zh = headers()
    assert zh["village"] == "村（社区）" and zh["hh"] == "户数" and zh["village_code"] == "村（社区）编码"
    assert zh["status"] == "状态" and zh["min_hh"] == "最少户数" and zh["polsby_popper"] == "紧凑度"
    assert zh["hard_crossings"] == "跨硬边界"
    i = t.model.columns.index("polsby_popper")
    assert t.model.headerData(i, H, T) == "polsby_popper"
    hv = t.view.horizontalHeader()
    assert hv.sectionSize(i) >= hv.fontMetrics().horizontalAdvance(zh["polsby_popper"])  # not elided
    w.actions_["lang.en"].trigger()
    en = headers()
    assert en["village"] == "Village" and en["hh"] == "Households" and en["min_hh"] == "Min households"
    assert en["polsby_popper"] == "Compactness" and en["hard_crossings"] == "Hard crossings"
    assert not [h for h in en.values() if HAN.search(h)], en
    # role-specific meanings and other layers
    choose("subgrids")
    assert headers()["grid"] == "Base grid"
    choose("households")
    assert headers()["grid"] == "Grid" and headers()["hh"] == "Households"
    choose("villages")
    assert headers()["code"] == "Admin code"
    w.actions_["lang.zh"].trigger()
    assert headers()["code"] == "区划代码" and headers()["name"] == "村（社区）名称"
    # a column gridtool does not know keeps its name
    lyr = w.session.project.layers["villages"]
    t.model.set_frame(lyr.gdf.assign(备用字段=1, extra_col=2), role="villages")
    assert headers()["备用字段"] == "备用字段" and headers()["extra_col"] == "extra_col"
    # a roster's own column named like a translated one: the field name tells them apart
    t.model.set_frame(lyr.gdf.assign(户数=1), role="villages")
    assert headers()["户数"] == "户数" and headers()["hh"] == "户数 (hh)"


def test_attribute_table_shows_coded_values_in_the_language(qtbot, window, sample):
    w = window
    _open(qtbot, w, sample["partitioned"])
    t = w.table
    t.combo.setCurrentIndex(t.combo.findData("grids"))
    m = t.model
    cells = lambda c: {m.data(m.index(r, m.columns.index(c))) for r in range(m.rowCount())}  # noqa: E731
    assert cells("locked") == {"否"} and "正常" in cells("status")
    w.actions_["lang.en"].trigger()
    assert cells("locked") == {"no"} and "ok" in cells("status")
    w.actions_["lang.zh"].trigger()
    # the stored values are untouched
    assert set(w.session.project.layers["grids"].gdf["status"]) <= {"ok", "exception"}


def test_autosave_and_recovery_copy(qtbot, qapp, sample):
    from gridtool.ui import autosave
    from gridtool.ui.main_window import MainWindow
    w = MainWindow(autosave=True)
    w.open_project(str(sample["partitioned"]), background=False)
    assert not w.autosaver.tick()  # nothing to save yet
    a, _b = _pair(w)
    w.editor.set_locked(a, True)
    assert w.autosaver.tick()
    qtbot.waitUntil(lambda: any(e["original"] == str(sample["partitioned"])
                                for e in autosave.pending_recoveries()), timeout=20000)
    entry = next(e for e in autosave.pending_recoveries() if e["original"] == str(sample["partitioned"]))
    from gridtool.project import Project
    copy = Project.open(entry["file"])
    assert bool(copy.layers["grids"].gdf.set_index("code").loc[a, "locked"])
    w.autosaver.discard()
    assert not Path(entry["file"]).exists()
    w.session.set_project(None)
    w.close()


def test_save_writes_the_edits(qtbot, window, sample, tmp_path):
    from gridtool.project import Project
    w = window
    _open(qtbot, w, sample["partitioned"])
    a, b = _pair(w)
    e = w.session.edit
    w.editor.set_target(a)
    assert w.editor.begin_stroke()
    w.editor.paint_at(*e.xy[_lone_feature(w, b)], 1.0)
    w.editor.end_stroke()
    out = tmp_path / "edited.gpkg"
    w.save_sync(str(out))
    assert not w.session.dirty and "*" not in w.windowTitle()
    p = Project.open(out)
    g = p.layers["grids"].gdf.set_index("code")
    assert g.loc[a, "hh"] == w.session.plan.totals[a]
    hh = p.layers["households"].gdf
    assert int(hh.loc[hh["grid"] == a, "hh"].sum()) <= w.session.plan.totals[a]


def _subgrid_bytes(gdf) -> list:
    """Every row of a layer as it would be written: attribute values and WKB geometry."""
    return [tuple(r) for r in gdf.to_wkb().itertuples(index=False)]


def test_split_redraws_the_changed_grids_subgrids_at_once_and_undo_restores_them(qtbot, window, sample, tmp_path,
                                                                                 monkeypatch):
    import shapely

    from gridtool.partition.edit import redrawn_subgrids
    from gridtool.project import Project
    from gridtool.values import parse_grid_parts
    w = window
    _open(qtbot, w, sample["partitioned"])
    s = w.session
    old = s.project.layers["subgrids"].gdf
    old_bytes = _subgrid_bytes(old)
    draws = []
    real = redrawn_subgrids.edited_layers
    monkeypatch.setattr(redrawn_subgrids, "edited_layers", lambda *a, **k: draws.append(1) or real(*a, **k))
    plan = s.plan
    code = max((c for c in plan.codes if c in plan.bounds), key=lambda c: plan.totals[c])
    w.editor.set_target(code)
    w.actions_["grid.split"].trigger()
    new = next(c for c in plan.codes if c not in set(old["grid"].astype(str)))
    qtbot.waitUntil(lambda: not w.jobs.busy and not s.subgrids.pending, timeout=60000)
    # the map draws the sub-grids of the two grids now, each inside its grid
    drawn = w.stack.get("subgrids").gdf
    assert drawn is s.project.layers["subgrids"].gdf and len(draws) == 1
    grids = s.project.layers["grids"].gdf.set_index("code")
    for c in (code, new):
        mine = drawn[drawn["grid"].astype(str) == c]
        assert len(mine) >= 2 and int(mine["hh"].sum()) == plan.totals[c]
        outside = shapely.area(shapely.difference(mine.geometry.values, grids.loc[c, "geometry"].buffer(0.5)))
        assert outside.max() < 1.0  # m²: no sub-grid crosses the new boundary
        # the grids panel counts them
        row = w.grid_panel.model.row_of[c]
        col = w.grid_panel.model.COLUMNS.index("subgrids")
        assert w.grid_panel.model.data(w.grid_panel.model.index(row, col)) == str(len(mine))
    # every sub-grid's households are in one grid, the sub-grid's (the save writes them, drawn once)
    out = tmp_path / "split.gpkg"
    w.save_sync(str(out))
    assert len(draws) == 1
    saved = Project.open(out)
    hh = saved.layers["households"].gdf
    subs = saved.layers["subgrids"].gdf
    grid_of_sub = dict(zip(subs["code"].astype(str), subs["grid"].astype(str)))
    for g, gp, sub, sp in zip(hh["grid"], hh["grid_parts"].fillna(""), hh["subgrid"], hh["subgrid_parts"].fillna("")):
        in_grids = {c for c, _ in parse_grid_parts(gp)} or {g}  # a building shared by grids has parts
        in_subs = {c for c, _ in parse_grid_parts(sp)} or ({sub} if isinstance(sub, str) and sub else set())
        assert {grid_of_sub[c] for c in in_subs} <= in_grids
    assert set(subs["grid"].astype(str)) >= {code, new}
    # undo: the sub-grids before the split, byte for byte, at once
    w.actions_["edit.undo"].trigger()
    qtbot.waitUntil(lambda: not w.jobs.busy and not s.subgrids.pending, timeout=60000)
    assert new not in plan.codes and len(draws) == 2
    assert _subgrid_bytes(s.project.layers["subgrids"].gdf) == old_bytes
    assert _subgrid_bytes(w.stack.get("subgrids").gdf) == old_bytes
    w.actions_["edit.redo"].trigger()  # the split's sub-grids again, without drawing them again
    assert s.project.layers["subgrids"].gdf is drawn and len(draws) == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshot_command(sample, tmp_path, lang):
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-m", "gridtool", "gui", str(sample["partitioned"]), "--screenshot", str(out),
                        "--size", "1300x850", "--lang", lang], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    from PyQt6.QtGui import QImage
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1300, 850)
    colours = {img.pixel(x, y) for x in range(0, 1300, 9) for y in range(0, 850, 9)}
    assert len(colours) > 50


def test_new_project_wizard_loads_and_lists_problems(qtbot, window):
    from gridtool.samples import sample_data_dir
    from gridtool.ui.wizard import NewProjectWizard
    w = window
    src = sample_data_dir() / "nanjing-xuanwu.gpkg"
    wiz = NewProjectWizard(w)
    page = wiz.layers_page
    for role in ("households", "villages", "roads"):
        page.rows[role].path.setText(str(src))
        page.rows[role].refresh()
        assert page.rows[role].layer.currentText() == role  # the layer named after the role is chosen
    page.rows["households"].crs.setCurrentIndex(page.rows["households"].crs.findData("wgs84"))
    page.name.setText("南京测试")
    assert page.isComplete()
    wiz.show()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.check_page.project is not None, timeout=20000)
    assert wiz.check_page.isComplete()
    assert "3" in wiz.check_page.status.text()
    wiz.accept()
    p = w.session.project
    assert p.name == "南京测试" and set(p.layers) == {"households", "villages", "roads"}
    assert w.session.dirty  # a new project is unsaved until saved
    assert w.problems.source == "import"


def test_new_project_wizard_takes_an_elevation_model(qtbot, window, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from gridtool.samples import sample_data_dir
    from gridtool.ui.wizard import NewProjectWizard
    src = sample_data_dir() / "nanjing-xuanwu.gpkg"
    # A small GeoTIFF over Xuanwu (WGS84 degrees), rising west to east.
    tif = tmp_path / "玄武高程.tif"
    arr = np.tile(np.linspace(10, 60, 40, dtype="float32"), (40, 1))
    with rasterio.open(tif, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(118.76, 32.09, 0.002, 0.002)) as ds:
        ds.write(arr, 1)
    wiz = NewProjectWizard(window)
    page = wiz.layers_page
    for role in ("households", "villages"):
        page.rows[role].path.setText(str(src))
        page.rows[role].refresh()
    page.dem_path.setText(str(tif))
    wiz.show()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.check_page.project is not None, timeout=20000)
    wiz.accept()
    p = window.session.project
    assert p.dem is not None and p.parameters.get("dem_source") == str(tif)


def test_export_dialogs_preview_and_write(qtbot, window, sample, tmp_path):
    from gridtool.ui.export_dialogs import open_export_dialog
    w = window
    _open(qtbot, w, sample["partitioned"])
    dlg = open_export_dialog(w, "wallmap")  # the preview is drawn by the export's draw_wall_map
    qtbot.waitUntil(lambda: dlg.canvas.shown, timeout=30000)
    assert dlg.canvas.figure.axes and not w.jobs.busy
    # The sheet's orientation follows the data's shape unless chosen (portrait, landscape).
    assert dlg.options()["landscape"] is None
    dlg.orientation.setCurrentIndex(1)
    assert dlg.options()["landscape"] is False and dlg.orientation.currentText() == "纵向"
    img = dlg.canvas.grab().toImage()
    assert len({img.pixel(x, y) for x in range(0, img.width(), 5) for y in range(0, img.height(), 5)}) > 20
    dlg.reject()
    dlg = open_export_dialog(w, "gis")
    out = tmp_path / "grids.gpkg"
    dlg.path.setText(str(out))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    import pyogrio
    assert "grids" in [str(n) for n, _ in pyogrio.list_layers(out)]


def test_join_table_action_and_ledger_export(qtbot, window, sample, tmp_path):
    """Grid menu → join a roster (title row; the code column suggested), undo it; export the ledger."""
    import openpyxl
    w = window
    _open(qtbot, w, sample["partitioned"])
    act = w.actions_["grid.join"]
    assert act.isEnabled() and act in w.menus["grid"].actions() and HAN.search(act.text())
    codes = w.session.project.layers["grids"].gdf["code"].tolist()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["玄武区网格员台账"])
    ws.append(["序号", "网格员", "网格编码", "联系电话", "考核得分"])
    for i, c in enumerate(codes):
        ws.append([i + 1, f"员工{i}", c, f"1390000{i:04d}", 60 + i % 40])
    wb.save(tmp_path / "台账.xlsx")
    dlg = w.join_dialog(str(tmp_path / "台账.xlsx"))
    qtbot.waitUntil(lambda: dlg.table is not None, timeout=30000)  # read on the job runner
    assert dlg.key.currentText() == "网格编码"  # suggested from the codes, not the first column
    assert dlg.chosen_columns() == ["网格员", "联系电话", "考核得分"]  # 序号 left out
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    g = w.session.project.layers["grids"].gdf.set_index("code")
    assert g.loc[codes[0], "worker"] == "员工0" and g["考核得分"].dtype.kind == "f"
    assert w.session.dirty and "连接表格" in w.actions_["edit.undo"].text()
    w.actions_["edit.undo"].trigger()
    assert "考核得分" not in w.session.project.layers["grids"].gdf
    w.actions_["edit.redo"].trigger()
    from gridtool.ui.export_dialogs import open_export_dialog
    d = open_export_dialog(w, "ledger")
    d.path.setText(str(tmp_path / "台账输出.xlsx"))
    d.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    book = openpyxl.load_workbook(tmp_path / "台账输出.xlsx")
    head = [c.value for c in book["网格台账"][1]]
    assert "考核得分" in head and book["网格台账"].cell(row=2, column=head.index("网格员") + 1).value.count("*") == 1


# -- coverage, siting and sealing from the app: the figures of the command line ------------------

@pytest.fixture(scope="session")
def town_project(tmp_path_factory):
    """The small street-grid town of the coverage/seal command tests as a project, with one village
    (城关村) that four streets leave; the exits layer stays in the source file, as ``--exits`` takes it."""
    import geopandas as gpd
    from shapely.geometry import box

    from gridtool.project import Project

    from .test_routing_graph import GK108, X0, Y0
    from .test_routing_siting import _project_files
    d = tmp_path_factory.mktemp("ui-town")
    gpkg = _project_files(d)
    gpd.GeoDataFrame({"name": ["城关村"], "code": ["500101001001"]},
                     geometry=[box(X0 + 150, Y0 + 150, X0 + 250, Y0 + 250)], crs=GK108).to_file(
        gpkg, layer="villages", driver="GPKG")
    p = Project.from_sources({r: f"{gpkg}:{r}" for r in ("roads", "stations", "places", "households", "villages")},
                             name="城关")
    return {"project": p.save(d / "project.gpkg"), "exits": f"{gpkg}:exits"}


def _cli(capsys, *argv) -> str:
    from gridtool import cli
    capsys.readouterr()
    args = cli.build_parser().parse_args(["--lang", "zh", *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


def _layers(path) -> dict:
    import pyogrio
    return {str(n): pyogrio.read_dataframe(path, layer=str(n)) for n, _ in pyogrio.list_layers(path)
            if str(n) != "layer_styles"}  # the QGIS styles table


def test_siting_dialog_reports_and_exports_what_the_coverage_command_does(qtbot, window, town_project, tmp_path,
                                                                          capsys):
    w = window
    _open(qtbot, w, town_project["project"])
    act = w.actions_["patrol.siting"]
    assert act.isEnabled() and act in w.menus["patrol"].actions() and HAN.search(act.text())
    dlg = w.circles_dialog(siting=True)
    assert dlg.sites() == "auto"
    dlg.minutes.setText("3 10")
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.demand.setCurrentIndex(dlg.demand.findData("places:Intersection"))
    for c, cb in dlg.candidates.items():
        cb.setChecked(c in ("school", "market"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    text = w.analysis.text.toPlainText()
    out = _cli(capsys, "coverage", str(town_project["project"]), "--minutes", "3", "10", "--mode", "walk",
               "--demand", "places:Intersection", "--sites", "auto", "--candidates", "school,market",
               "--out", str(tmp_path / "cli"))
    assert "需新增 1 处：市场" in text and "步行 3 分钟服务圈覆盖 2 / 4 处（50.0%）" in text
    assert text in out  # every line the command prints about coverage, in its order
    rows = [[w.analysis.table.topLevelItem(i).text(c) for c in range(5)]
            for i in range(w.analysis.table.topLevelItemCount())]
    assert rows[:2] == [["3", "2 处", "4 处", "50.0%", "2"], ["10", "3 处", "4 处", "75.0%", "1"]]
    # on the map: circles, the new site, the places left uncovered at the first time
    p = w.session.project
    assert {"circles", "sites", "uncovered"} <= set(w.stack.roles())
    assert p.layers["sites"].gdf["name"].tolist() == ["市场"] and len(p.layers["uncovered"].gdf) == 2
    # the export writes the command's GeoPackage: the same layers, names and minutes
    files = w.analysis.export_to(tmp_path / "app")
    mine, theirs = _layers(files[0]), _layers(tmp_path / "cli" / "coverage.gpkg")
    assert set(mine) == set(theirs) == {"circles", "sites", "uncovered_3min", "uncovered_10min"}
    for name in ("sites", "uncovered_3min", "uncovered_10min"):
        a, b = mine[name].drop(columns="geometry"), theirs[name].drop(columns="geometry")
        assert a.astype(str).values.tolist() == b.astype(str).values.tolist()
    w.actions_["edit.undo"].trigger()  # one undo step takes the whole result off the map
    assert not {"circles", "sites", "uncovered"} & set(w.session.project.layers)


def test_coverage_dialog_counts_households_as_the_command_and_the_village_table(qtbot, window, town_project,
                                                                                tmp_path, capsys):
    import csv
    w = window
    _open(qtbot, w, town_project["project"])
    dlg = w.circles_dialog()
    assert dlg.sites() is None and dlg.demand.currentData() == "households"
    dlg.minutes.setText("abc")
    dlg.buttons.accepted.emit()  # a wrong entry: the dialog says why and stays open, nothing runs
    assert "分钟数应为正数" in dlg.error.text() and not w.jobs.busy and "circles" not in w.session.project.layers
    dlg.minutes.setText("3")
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    text = w.analysis.text.toPlainText()
    out = _cli(capsys, "coverage", str(town_project["project"]), "--minutes", "3", "--mode", "walk",
               "--out", str(tmp_path / "cli"))
    assert "共 30 户" in text and text in out
    cov = w.session.project.parameters["coverage"]
    assert [c["total_hh"] for c in cov] == [30] and "/ 30 户" in w.routes.coverage.text()
    files = w.analysis.export_to(tmp_path / "app")
    with open(tmp_path / "app" / "coverage-3min-villages.csv", encoding="utf-8-sig") as fh:
        assert sum(int(r["户数"]) for r in csv.DictReader(fh)) == 30
    assert (tmp_path / "app" / "coverage-3min-villages.csv").read_bytes() == \
        (tmp_path / "cli" / "coverage-3min-villages.csv").read_bytes()
    assert len(files) == 2


def test_seal_dialog_from_a_file_and_from_a_village(qtbot, window, town_project, tmp_path, capsys):
    from shapely.geometry import box

    from gridtool.routing.project_layers import road_graph
    from gridtool.routing.sealing import area_exits, seal_exits

    from .test_routing_graph import X0, Y0
    w = window
    _open(qtbot, w, town_project["project"])
    dlg = w.seal_dialog()
    assert dlg.mode.currentData() == "car"  # as gridtool seal
    dlg.source.setCurrentIndex(dlg.source.findData("file"))
    dlg.file.setText(town_project["exits"])
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    text = w.analysis.text.toPlainText()
    out = _cli(capsys, "seal", str(town_project["project"]), "--exits", town_project["exits"], "--mode", "walk",
               "--out", str(tmp_path / "cli"))
    assert text.startswith("封控 3 个卡口") and text in out
    assert w.analysis.table.topLevelItemCount() == 3 and {"seal_paths", "exits"} <= set(w.stack.roles())
    w.analysis.export_to(tmp_path / "app")
    assert (tmp_path / "app" / "seal.csv").read_bytes() == (tmp_path / "cli" / "seal.csv").read_bytes()
    assert len(_layers(tmp_path / "app" / "seal.gpkg")["seal_paths"]) == 3
    # sealing 城关村: its exits are where the streets cross its boundary, the plan the engine's
    dlg = w.seal_dialog()
    dlg.source.setCurrentIndex(dlg.source.findData("area"))
    assert dlg.area.currentText() == "村（社区）：城关村"
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    exits = w.session.project.layers["exits"].gdf
    village = box(X0 + 150, Y0 + 150, X0 + 250, Y0 + 250)
    assert len(exits) == 4 and (exits.distance(village.boundary) < 1).all()
    graph = road_graph(w.session.project, "walk")
    plan = seal_exits(graph, w.session.project.layers["stations"].gdf, area_exits(graph, village))
    assert plan.summary("zh") == w.analysis.text.toPlainText()
    assert f"全部封控 {plan.longest_minutes:.1f} 分钟，平均到达 {plan.mean_minutes:.1f} 分钟" in w.analysis.title.text()
    # posts per station, as --posts-per-station: 4 posts from each station
    dlg = w.seal_dialog()
    assert dlg.posts_how.currentText() == "自动：每个卡口由最快到达的派出所派出" and dlg.posts_per_station() is None
    dlg.source.setCurrentIndex(dlg.source.findData("area"))
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.posts_how.setCurrentIndex(dlg.posts_how.findData("number"))
    dlg.posts.setValue(4)
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    four = seal_exits(graph, w.session.project.layers["stations"].gdf, area_exits(graph, village), posts_per_station=4)
    assert four.summary("zh") == w.analysis.text.toPlainText()


def test_seal_dialog_spreads_posts_evenly_as_posts_per_station_fewest(qtbot, window, town_project, tmp_path,
                                                                      capsys):
    """Before: the dialog offered 自动 or N per station only, so the even spread of ``gridtool seal
    --posts-per-station fewest`` could not be chosen in the app. Now the three choices are there,
    自动 by default as the command without the flag, N only asked for when chosen, and 平均分配
    plans what the command plans."""
    w = window
    _open(qtbot, w, town_project["project"])
    dlg = w.seal_dialog()
    assert [dlg.posts_how.itemText(i) for i in range(dlg.posts_how.count())] == \
        ["自动：每个卡口由最快到达的派出所派出", "每所人数 N", "平均分配"]
    assert dlg.posts_per_station() is None and not dlg.posts.isEnabled()
    assert "--posts-per-station" in dlg.posts_how.toolTip()
    dlg.posts_how.setCurrentIndex(dlg.posts_how.findData("number"))
    assert dlg.posts.isEnabled() and dlg.posts_per_station() == dlg.posts.value()
    dlg.posts_how.setCurrentIndex(dlg.posts_how.findData("fewest"))
    assert not dlg.posts.isEnabled() and dlg.posts_per_station() == "fewest"
    dlg.source.setCurrentIndex(dlg.source.findData("file"))
    dlg.file.setText(town_project["exits"])
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    text = w.analysis.text.toPlainText()
    even = _cli(capsys, "seal", str(town_project["project"]), "--exits", town_project["exits"], "--mode", "walk",
                "--posts-per-station", "fewest", "--out", str(tmp_path / "even"))
    fastest = _cli(capsys, "seal", str(town_project["project"]), "--exits", town_project["exits"], "--mode", "walk",
                   "--out", str(tmp_path / "fastest"))
    assert text in even and "平均分派" in text and text not in fastest
    w.analysis.export_to(tmp_path / "app")
    assert (tmp_path / "app" / "seal.csv").read_bytes() == (tmp_path / "even" / "seal.csv").read_bytes()


def test_seal_dialog_logs_the_lines_the_seal_command_prints(qtbot, window, town_project, tmp_path, capsys):
    """Before: sealing a village in the app left out the command's "城关村：边界上有 4 个卡口" line, so
    the log did not say how many exits the boundary gave. Now every line ``gridtool seal --area``
    prints about the graph, the exits and the plan is in the log, in the same order."""
    w = window
    _open(qtbot, w, town_project["project"])
    w.problems.log.clear()
    dlg = w.seal_dialog()
    dlg.source.setCurrentIndex(dlg.source.findData("area"))
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    out = _cli(capsys, "seal", str(town_project["project"]), "--area", "城关村", "--mode", "walk",
               "--out", str(tmp_path / "cli"))
    log = w.problems.log.toPlainText()
    said = [line for line in out.splitlines() if line.strip() and not line.startswith(("已写入", "已加载"))]
    assert "城关村：边界上有 4 个卡口（道路穿过边界处）" in said
    at = [log.find(line) for line in said]
    assert -1 not in at, [line for line, i in zip(said, at) if i < 0]
    assert at == sorted(at)


@pytest.mark.parametrize("snap", [None, 0.0, 5.0])
def test_patrol_dialog_snaps_line_ends_as_the_patrol_command(qtbot, window, town_project, snap):
    from gridtool.routing.patrol import plan_patrol
    from gridtool.routing.project_layers import places_to_visit, road_graph
    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, town_project["project"])
    dlg = PatrolDialog(w)
    assert dlg.snap.text() == "自动（CAD 式图层 3 米，已在节点相接的路网 0）"  # the command's default
    if snap is not None:
        dlg.snap.setValue(snap)
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    p = w.session.project
    # the route gridtool patrol --snap plans: its graph (road_graph, as the command) and solver
    graph = road_graph(p, "walk", snap=snap)
    # the ticked boxes as gridtool patrol --place-category takes them: one box for "Intersection"
    # and "intersection" visits both spellings
    places = places_to_visit(p, list(dlg.cats))
    assert len(places) == len(p.layers["places"].gdf[p.layers["places"].gdf["category"].str.lower() != "police"])
    plan = plan_patrol(graph, dlg._stations(), places, teams=dlg.teams.value(), shift_minutes=float(dlg.shift.value()),
                       start="08:00", dwell_minutes=dlg.dwell.value(), balance=True,
                       time_limit=dlg.time_limit.value(), strict=False)
    mine = p.layers["routes"].gdf
    assert mine.drop(columns="geometry").astype(str).values.tolist() == \
        plan.routes.drop(columns="geometry").astype(str).values.tolist()
    assert mine.geometry.to_wkb().tolist() == plan.routes.geometry.to_wkb().tolist()
    # the log states the snapping as the command prints it
    log = w.problems.log.toPlainText()
    line = next(x for x in graph.report("zh").splitlines() if x.startswith("线端吸附"))
    assert line in log
    assert (f"容差 {snap:g} 米" in line) if snap else ("未启用" in line or "容差 3 米" in line)
