"""The join dialog reads its table on the app's job runner (before: on the GUI thread, so a
50 000-row roster froze the window with no progress and no way to stop it).

The table reader is held on a gate here, so the tests see the dialog while a read is under way
without depending on how fast the machine is: the GUI thread keeps handling events, the dialog
shows the reader's progress, and Stop (or Cancel of the join itself) leaves the project as it was.
"""

from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

# the app tests' fixtures, used by name (ruff's F811 on the test functions below is that use)
from .test_ui_app import _isolated_settings, _open, sample, window  # noqa: E402,F401


def _roster(path, codes):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["网格员台账"])
    ws.append(["序号", "网格员", "网格编码", "考核得分"])
    for i, c in enumerate(codes):
        ws.append([i + 1, f"员工{i}", c, 60 + i % 40])
    wb.save(path)
    return path


@pytest.fixture
def gated_reader(monkeypatch):
    """``read_table`` that says 40 %, then waits for ``gate`` (at most 30 s) before reading;
    ``threads`` records the thread each read ran on."""
    from gridtool.io import vector
    real = vector.read_table
    gate = threading.Event()
    threads = []

    def read(*a, progress=None, cancelled=None, **kw):
        threads.append(threading.current_thread())
        if progress is not None:
            progress(0.4, "读取工作表 1/1：Sheet / Reading sheet 1 of 1: Sheet")
        gate.wait(30)
        return real(*a, progress=progress, cancelled=cancelled, **kw)

    monkeypatch.setattr(vector, "read_table", read)
    return gate, threads


def _state(w):
    grids = w.session.project.layers["grids"].gdf
    return list(grids.columns), w.session.undo.can_undo(), w.session.dirty


def test_the_table_is_read_on_the_runner_with_progress_and_the_window_stays_usable(
        qtbot, window, sample, tmp_path, gated_reader):  # noqa: F811
    gate, threads = gated_reader
    w = window
    _open(qtbot, w, sample["partitioned"])
    codes = w.session.project.layers["grids"].gdf["code"].tolist()
    dlg = w.join_dialog(str(_roster(tmp_path / "台账.xlsx", codes)))
    # the dialog is up while the reader waits: it was not read on this (the GUI) thread
    assert dlg.reading and w.jobs.busy and "台账.xlsx" in w.jobs.current.title
    qtbot.waitUntil(lambda: dlg.bar.value() == 400, timeout=10000)  # the reader's progress, in the dialog
    assert dlg.stop.isVisible() and dlg.bar.isVisible() and "40%" in dlg.bar.format()
    from PyQt6.QtWidgets import QDialogButtonBox
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()  # no join of a half-read table
    dlg.columns.addItem("typed while reading")  # the dialog takes input meanwhile
    assert dlg.columns.count() == 1
    gate.set()
    qtbot.waitUntil(lambda: dlg.table is not None, timeout=30000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert dlg.key.currentText() == "网格编码" and dlg.chosen_columns() == ["网格员", "考核得分"]
    assert not dlg.stop.isVisible() and dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert "考核得分" in w.session.project.layers["grids"].gdf
    assert len(threads) == 2 and threads[1] is not threading.main_thread()  # the join's own read too


def test_stop_reading_leaves_the_project_unchanged_and_another_file_can_be_read(
        qtbot, window, sample, tmp_path, gated_reader):  # noqa: F811
    gate, _threads = gated_reader
    w = window
    _open(qtbot, w, sample["partitioned"])
    before = _state(w)
    codes = w.session.project.layers["grids"].gdf["code"].tolist()
    book = _roster(tmp_path / "台账.xlsx", codes)
    dlg = w.join_dialog(str(book))
    assert dlg.reading
    dlg.stop.click()
    gate.set()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert dlg.table is None and not dlg.reading and "已停止读取 台账.xlsx" in dlg.info.text()
    assert "已取消：读取表格 台账.xlsx" in w.problems.log.toPlainText()
    assert _state(w) == before
    dlg.path.setText(str(book))
    dlg.path.editingFinished.emit()  # chosen again: read again
    qtbot.waitUntil(lambda: dlg.table is not None, timeout=30000)
    assert dlg.key.currentText() == "网格编码"


def test_another_sheet_chosen_while_reading_stops_that_read(qtbot, window, sample, tmp_path, gated_reader):  # noqa: F811
    import openpyxl
    gate, threads = gated_reader
    w = window
    _open(qtbot, w, sample["partitioned"])
    codes = w.session.project.layers["grids"].gdf["code"].tolist()
    book = _roster(tmp_path / "台账.xlsx", codes)
    wb = openpyxl.load_workbook(book)
    other = wb.create_sheet("考核")
    other.append(["网格编码", "得分"])
    for c in codes:
        other.append([c, 90])
    wb.save(book)
    dlg = w.join_dialog(str(book))
    assert dlg.reading
    dlg.sheet.setCurrentIndex(dlg.sheet.findData("考核"))
    gate.set()
    qtbot.waitUntil(lambda: dlg.table is not None, timeout=30000)
    assert dlg.table.sheet == "考核" and dlg.key.currentText() == "网格编码" and dlg.chosen_columns() == ["得分"]
    assert len(threads) == 2  # the first read stopped, the second read the sheet chosen


def test_cancel_of_the_join_leaves_the_project_unchanged(qtbot, window, sample, tmp_path, gated_reader):  # noqa: F811
    gate, _threads = gated_reader
    w = window
    _open(qtbot, w, sample["partitioned"])
    before = _state(w)
    codes = w.session.project.layers["grids"].gdf["code"].tolist()
    dlg = w.join_dialog(str(_roster(tmp_path / "台账.xlsx", codes)))
    gate.set()
    qtbot.waitUntil(lambda: dlg.table is not None, timeout=30000)
    gate.clear()  # the join's own read waits: Cancel is pressed while it runs
    dlg.buttons.accepted.emit()
    assert w.jobs.busy and w.job_box.isVisibleTo(w)
    w.job_cancel.click()  # the status bar's Cancel
    gate.set()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert "已取消：连接表格" in w.problems.log.toPlainText()
    assert _state(w) == before
