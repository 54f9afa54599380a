"""The app measures grid ridges in its background job, never on the GUI thread (pytest-qt,
offscreen; the mountain village of ``test_partition_ridges``)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_ridges import _dem, _layers  # noqa: E402

from gridtool.layers import Layer  # noqa: E402
from gridtool.project import Project  # noqa: E402


def test_the_app_measures_ridges_off_the_gui_thread(qtbot, window, monkeypatch):
    """Found in review: the partition's result was applied with its ridges measured on the GUI
    thread, after the job had ended (a frozen window on a mountain plan with a DEM)."""
    import gridtool.partition.terrain as terrain
    threads = []
    real = terrain.grid_ridges

    def spy(*a, **k):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*a, **k)

    monkeypatch.setattr(terrain, "grid_ridges", spy)
    layers = _layers()
    p = Project(name="山区", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = _dem(600.0)
    w = window
    w.session.set_project(p, unsaved=True)
    w.run_partition({"min_hh": 300, "max_hh": 500, "corridor_width": 0, "subgrids": False})
    qtbot.waitUntil(lambda: not w.jobs.busy and "grids" in w.session.project.layers, timeout=60000)
    grids = w.session.project.layers["grids"].gdf
    assert 550 <= grids["ridge_m"].iloc[0] <= 600
    assert threads == [False]  # once, in the job


def _ridge_project(dem: bool) -> Project:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_partition_ridge_lines import _dem as _valleys_dem
    from test_partition_ridge_lines import _layers as _valleys
    layers = _valleys()
    p = Project(name="双河", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = _valleys_dem() if dem else None
    return p


def test_the_partition_dialog_offers_ridges_only_with_a_dem(qtbot):
    from gridtool.ui.partition_dialog import PartitionDialog
    plain = PartitionDialog({}, has_dem=False)
    qtbot.addWidget(plain)
    assert not plain.terrain.isEnabled() and not plain.terrain.isChecked()
    assert plain.terrain.text() == "沿山脊划分（需高程模型）" and "高程模型" in plain.terrain.toolTip()
    dlg = PartitionDialog({}, has_dem=True)
    qtbot.addWidget(dlg)
    assert dlg.terrain.isEnabled() and dlg.terrain.isChecked() and dlg.params()["terrain"] is True
    dlg.terrain.setChecked(False)  # the command line's --ignore-terrain
    assert dlg.params()["terrain"] is False
    again = PartitionDialog(dlg.params(), has_dem=True)  # the last partition's choice stays
    qtbot.addWidget(again)
    assert not again.terrain.isChecked()


def test_the_app_follows_ridges_shows_them_and_logs_the_console_line(qtbot, window):
    from gridtool.partition.report import terrain_words
    from gridtool.ui.partition_dialog import PartitionDialog
    w = window
    w.session.set_project(_ridge_project(dem=True), unsaved=True)
    w.partition_dialog()
    dlg = w.findChild(PartitionDialog)
    assert dlg is not None and dlg.terrain.isEnabled() and dlg.terrain.isChecked()
    params = {**dlg.params(), "corridor_width": 0, "subgrids": False}
    dlg.reject()
    w.run_partition(params)
    qtbot.waitUntil(lambda: not w.jobs.busy and "grids" in w.session.project.layers, timeout=60000)
    rep = w.session.partition_report()
    zh, _ = terrain_words(rep["plan"]["terrain"])
    assert zh.startswith("网格边界沿山脊：由高程模型 山区高程.tif") and zh in w.problems.log.toPlainText()
    shown = w.stack.get("ridges")  # on the map canvas, drawn
    assert shown is not None and shown.visible and len(shown.gdf) == rep["plan"]["terrain"]["ridge_lines"]
    # switched off in the dialog: the plan crosses the ridge, and the log says the DEM was not used
    w.run_partition({**params, "terrain": False})
    qtbot.waitUntil(lambda: not w.jobs.busy and "ridges" not in w.session.project.layers, timeout=60000)
    assert "未使用高程模型（山区高程.tif）中的山脊" in w.problems.log.toPlainText()
