"""Cancel on every long job of the app's menus: the job stops, the log says 已取消, the project and
its undo stack are as they were, and an export leaves no file (not even a finished one) behind.

Each job is started as the menu starts it and cancelled at once, before its first step.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

# the app tests' fixtures, used by name (ruff's F811 on the test functions below is that use)
from .test_ui_app import _isolated_settings, _open, sample, town_project, window  # noqa: E402,F401

#: export kind, GIS format (None: not the GIS dialog), file name
EXPORTS = [("wallmap", None, "map.pdf"), ("assessment", None, "five.pdf"), ("atlas", None, "atlas.pdf"),
           ("ledger", None, "ledger.xlsx"), ("html", None, "map.html"), ("gis", "gpkg", "grids.gpkg"),
           ("gis", "shp", "grids.zip"), ("gis", "kml", "grids.kml"), ("gis", "kmz", "grids.kmz"),
           ("gis", "geojson", "geojson")]


def _cancel_at_once(qtbot, w, job):
    assert job is not None
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert job.state == "cancelled"
    assert f"已取消：{job.title}" in w.problems.log.toPlainText()


def _state(w):
    return dict(w.session.project.layers), w.session.undo.can_undo(), w.session.dirty


@pytest.mark.parametrize("kind,fmt,name", EXPORTS, ids=[f"{k}-{f}" if f else k for k, f, _n in EXPORTS])
def test_cancelled_export_writes_no_file(qtbot, window, sample, tmp_path, kind, fmt, name):  # noqa: F811
    from gridtool.ui.export_dialogs import open_export_dialog
    w = window
    _open(qtbot, w, sample["partitioned"])
    before = _state(w)
    dlg = open_export_dialog(w, kind)
    if fmt is not None:
        dlg.format.setCurrentIndex(dlg.format.findData(fmt))
    out = tmp_path / "out" / name
    out.parent.mkdir()
    dlg.path.setText(str(out))
    dlg.buttons.accepted.emit()  # 导出 (before the wall map's preview starts)
    _cancel_at_once(qtbot, w, w.jobs.current)
    # no output, no temporary file (the GeoJSON export's folder may stay, empty)
    assert [f.name for f in out.parent.rglob("*") if f.is_file()] == []
    assert _state(w) == before


def _partition(w, sample):  # noqa: F811
    return w.run_partition(dict(min_hh=300, max_hh=500, subgrids=True, corridor_width=0))


def _redraw(w, sample):  # noqa: F811
    w.redraw_unlocked()
    return w.jobs.current


def _redraw_previous(w, sample):  # noqa: F811
    return w.redraw_from_previous(str(sample["partitioned"]), params=dict(min_hh=300, max_hh=500, subgrids=True))


@pytest.mark.parametrize("start", [_partition, _redraw, _redraw_previous], ids=["partition", "redraw", "previous"])
def test_cancelled_partition_leaves_the_plan(qtbot, window, sample, start):  # noqa: F811
    w = window
    _open(qtbot, w, sample["partitioned"])
    before = _state(w)
    _cancel_at_once(qtbot, w, start(w, sample))
    assert _state(w) == before


def _dialog(w, which):
    from gridtool.ui.patrol_dialog import PatrolDialog
    dlg = {"patrol": lambda: PatrolDialog(w), "circles": w.circles_dialog,
           "siting": lambda: w.circles_dialog(siting=True), "seal": w.seal_dialog}[which]()
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    if which == "siting":
        dlg.demand.setCurrentIndex(dlg.demand.findData("households"))
    dlg.buttons.accepted.emit()
    return w.jobs.current


@pytest.mark.parametrize("which", ["patrol", "circles", "siting", "seal"])
def test_cancelled_routing_job_leaves_the_project(qtbot, window, town_project, which):  # noqa: F811
    w = window
    _open(qtbot, w, town_project["project"])
    before = _state(w)
    _cancel_at_once(qtbot, w, _dialog(w, which))
    assert _state(w) == before
    assert w.analysis.table.topLevelItemCount() == 0


def test_wizard_cancel_stops_the_load(qtbot, window):  # noqa: F811
    from gridtool.samples import sample_data_dir
    from gridtool.ui.wizard import NewProjectWizard
    w = window
    wiz = NewProjectWizard(w)
    page = wiz.layers_page
    for role in ("households", "villages", "roads"):
        page.rows[role].path.setText(str(sample_data_dir() / "nanjing-xuanwu.gpkg"))
        page.rows[role].refresh()
    page.rows["households"].crs.setCurrentIndex(page.rows["households"].crs.findData("wgs84"))
    wiz.show()
    wiz.next()  # the check page starts loading
    job = wiz.check_page.job
    assert job is not None and w.jobs.current is job
    wiz.reject()  # the wizard's 取消 while loading
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert job.state == "cancelled" and w.session.project is None
