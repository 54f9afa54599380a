"""The wizard shows, before the import, what reading an Excel roster will say: the rows it will
import (合计 rows left out), hidden rows, the sheets not read; and reads a workbook with one sheet
per village as one layer when 合并所有工作表 is chosen, as ``PATH:*`` does (pytest-qt, offscreen).

Needs PyQt6 and pytest-qt; skipped without them."""

from __future__ import annotations

import os

import openpyxl
import pytest

from tests.test_excel_sheets import _book

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")


def _workbook(tmp_path):
    path = _book(tmp_path / "一村一表.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["石桥村"].row_dimensions[5].hidden = True
    wb.save(path)
    return path


def _read(qtbot, window):
    """Wait for the workbook to be read on the window's job runner (never on the GUI thread)."""
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)


def _page(qtbot, window, path):
    from gridtool.ui.wizard import NewProjectWizard
    wiz = NewProjectWizard(window)
    row = wiz.layers_page.rows["households"]
    row.path.setText(str(path))
    row.refresh()
    _read(qtbot, window)
    return wiz, row


def _choose(qtbot, window, row, data):
    i = row.layer.findData(data)
    row.layer.setCurrentIndex(i)
    row.layer.activated.emit(i)
    _read(qtbot, window)


def test_the_warnings_of_a_workbook_show_before_the_import(qtbot, window, tmp_path):
    wiz, row = _page(qtbot, window, _workbook(tmp_path))
    page = wiz.layers_page
    items = [row.layer.itemText(i) for i in range(row.layer.count())]
    assert items[0].startswith("自动") and items[-1] == "合并所有工作表（一村一表）" and "新华村" in items
    text = page.preview.toPlainText()
    assert "住户：将导入 12 行" in text  # the 合计 row is no household
    assert "只读取了“石桥村”" in text and "“新华村”（7 行）" in text
    assert "工作表“石桥村”中有 1 行数据被隐藏：第 5 行" in text
    # The count column offered is read from the rows imported: the 合计 row's 24 is no sample.
    assert "户数" in page.hh_note.text() and "24" not in page.hh_note.text()
    _choose(qtbot, window, row, "新华村")
    text = page.preview.toPlainText()
    assert "将导入 7 行" in text and "只读取了" not in text and "被隐藏" not in text


def test_all_sheets_chosen_in_the_wizard_import_as_on_the_command_line(qtbot, window, tmp_path):
    from gridtool.project import Project
    path = _workbook(tmp_path)
    wiz, row = _page(qtbot, window, path)
    _choose(qtbot, window, row, "*")
    text = wiz.layers_page.preview.toPlainText()
    assert "将导入 19 行" in text and "2 个工作表合并为一个图层" in text and "“汇总”" in text
    assert row.spec() == f"{path}:*"
    wiz.show()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.check_page.project is not None, timeout=20000)
    hl = wiz.check_page.project.layers["households"]
    assert hl.total_households == 45 and "共 45 户" in wiz.check_page.status.text()
    cli = Project.from_sources({"households": f"{path}:*"})
    assert cli.layers["households"].total_households == 45
    assert list(hl.gdf["src_id"]) == list(cli.layers["households"].gdf["src_id"])
    shown = [wiz.check_page.tree.topLevelItem(i).text(1) for i in range(wiz.check_page.tree.topLevelItemCount())]
    assert any("已把工作表名当作村名" in t for t in shown)
    wiz.reject()


def test_a_workbook_is_read_off_the_gui_thread_and_next_waits_for_no_read(qtbot, window, tmp_path):
    """The preview says the workbook is being read (the job runner reads it, the window stays
    usable); the counts it then shows are those of the import; Next at once cancels the read and
    imports the workbook all the same."""
    from gridtool.ui.wizard import NewProjectWizard
    path = _workbook(tmp_path)
    wiz = NewProjectWizard(window)
    page, row = wiz.layers_page, wiz.layers_page.rows["households"]
    row.path.setText(str(path))
    row.refresh()  # returns before the read: its result comes back as a queued signal
    assert window.jobs.busy and "正在读取 一村一表.xlsx" in page.preview.toPlainText()
    assert "正在读取文件" in page.hh_note.text()
    i = row.layer.findData("*")
    row.layer.setCurrentIndex(i)
    row.layer.activated.emit(i)  # another choice while reading: the first read is of no use
    _read(qtbot, window)
    assert "将导入 19 行" in page.preview.toPlainText() and "户数" in page.hh_note.text()
    i = row.layer.findData("新华村")
    row.layer.setCurrentIndex(i)
    row.layer.activated.emit(i)
    assert window.jobs.busy
    wiz.show()
    wiz.next()  # while the workbook is read for the preview
    qtbot.waitUntil(lambda: wiz.check_page.project is not None, timeout=20000)
    assert wiz.check_page.project.layers["households"].total_households == 21  # 新华村: 7 × 3
    wiz.reject()


def test_a_workbook_chosen_while_another_job_runs_is_read_after_it_and_a_cancel_is_said(qtbot, window, tmp_path,
                                                                                         monkeypatch):
    import threading
    import time
    from gridtool.errors import CancelledError
    from gridtool.io import vector
    from gridtool.ui.wizard import NewProjectWizard
    path = _workbook(tmp_path)
    release = threading.Event()
    window.run_job("分区", lambda progress, cancelled: release.wait(20))  # the planner's job, running
    wiz = NewProjectWizard(window)
    page, row = wiz.layers_page, wiz.layers_page.rows["households"]
    row.path.setText(str(path))
    row.refresh()
    assert "等“分区”完成后读取 一村一表.xlsx" in page.preview.toPlainText()
    release.set()
    qtbot.waitUntil(lambda: "将导入 12 行" in page.preview.toPlainText(), timeout=20000)
    _choose(qtbot, window, row, "*")
    read = vector.preview_table

    def slow(*a, cancelled=None, **k):  # a read that lasts until it is cancelled
        while not cancelled():
            time.sleep(0.01)
        raise CancelledError()
    monkeypatch.setattr(vector, "preview_table", slow)
    i = row.layer.findData("新华村")
    row.layer.setCurrentIndex(i)
    row.layer.activated.emit(i)
    window.jobs.cancel()  # the read stopped from elsewhere (the window's Cancel): said, not left "reading"
    _read(qtbot, window)
    assert "读取 一村一表.xlsx 已取消" in page.preview.toPlainText()
    monkeypatch.setattr(vector, "preview_table", read)
    row.path.editingFinished.emit()  # the file chosen again: read again
    _read(qtbot, window)
    assert "将导入 12 行" in page.preview.toPlainText()
    wiz.reject()
