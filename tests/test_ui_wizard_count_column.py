"""The new-project wizard shows which column it takes as the household count (户数) and lets the
planner choose another or "each row is one household"; the choice reaches the project as the
command line's ``--field households.hh=…`` does (pytest-qt, offscreen).

Needs PyQt6 and pytest-qt; skipped without them."""

from __future__ import annotations

import os

import openpyxl
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")



def _buildings(path, count_header):
    """Ten apartment buildings of 40–49 households each (445 in all) under ``count_header``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "楼栋"
    ws.append(["楼栋", "经度", "纬度", count_header, "楼层"])
    for i in range(10):
        ws.append([f"{i + 1}栋", 118.78 + i * 0.001, 32.05 + i * 0.0005, 40 + i, 6 + i % 3])
    wb.save(path)
    return path


def _load(qtbot, window, path, choose=None):
    """Run the wizard on the roster; ``choose`` picks an entry of the count box by its data."""
    from gridtool.ui.wizard import NewProjectWizard
    wiz = NewProjectWizard(window)
    page = wiz.layers_page
    page.rows["households"].path.setText(str(path))
    page.rows["households"].refresh()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)  # read on the job runner
    if choose is not None:
        page.hh_column.setCurrentIndex(page.hh_column.findData(choose))
    wiz.show()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.check_page.project is not None, timeout=20000)
    status = wiz.check_page.status.text()
    wiz.accept()
    return page, status, window.session.project


@pytest.mark.parametrize("header", ["户 数", "住户数（户）"])
def test_the_guessed_count_column_is_shown_and_decides_the_total(qtbot, window, tmp_path, header):
    page, status, p = _load(qtbot, window, _buildings(tmp_path / "楼栋.xlsx", header))
    assert page.hh_column.currentText() == f"自动：“{header}”"
    assert f"识别为“{header}”" in page.hh_note.text() and "40、41、42" in page.hh_note.text()
    assert p.layers["households"].total_households == 445
    assert "共 445 户" in status and header in status


def test_an_odd_header_is_chosen_in_the_wizard_as_on_the_command_line(qtbot, window, tmp_path):
    from gridtool.project import Project
    path = _buildings(tmp_path / "楼栋.xlsx", "hs")
    from gridtool.ui.wizard import NewProjectWizard
    probe = NewProjectWizard(window).layers_page
    probe.rows["households"].path.setText(str(path))
    probe.rows["households"].refresh()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)
    assert probe.hh_column.currentText() == "自动：未找到，每行 1 户"  # said, not hidden
    assert "每行（每个点）按 1 户计" in probe.hh_note.text()
    items = [probe.hh_column.itemText(i) for i in range(probe.hh_column.count())]
    assert {"hs", "楼层", "每行一户（不用户数列）"} <= set(items)
    page, status, p = _load(qtbot, window, path, choose="hs")
    assert "--field households.hh=hs" in page.hh_note.text()
    assert p.layers["households"].total_households == 445 and "共 445 户" in status
    cli = Project.from_sources({"households": str(path)}, fields={"households.hh": "hs"})
    assert p.layers["households"].columns_used["hh"] == cli.layers["households"].columns_used["hh"] == "hs"


def test_each_row_one_household_overrides_a_count_column(qtbot, window, tmp_path):
    from gridtool.project import Project
    path = _buildings(tmp_path / "楼栋.xlsx", "户数")
    page, status, p = _load(qtbot, window, path, choose="1")
    assert "按 1 户计" in page.hh_note.text()
    assert p.layers["households"].total_households == 10 and "共 10 户" in status
    cli = Project.from_sources({"households": str(path)}, fields={"households.hh": "1"})
    assert cli.layers["households"].total_households == 10
