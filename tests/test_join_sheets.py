"""A 网格员台账 kept one sheet per village (一村一表), joined with ``gridtool join --table FILE:*``
and the app's 合并所有工作表; without it, the sheets left out are said (before: ``FILE:*`` ended in
内部错误 ``invalid literal for int()``, and a plain join silently took the first sheet's rows only,
reporting the other villages' grids as 表中没有的网格)."""

from __future__ import annotations

import os

import openpyxl
import pytest

from gridtool.cli import main
from gridtool.join import join_table
from gridtool.partition.output import partition_project
from gridtool.project import Project

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory, township):
    d = tmp_path_factory.mktemp("join-sheets")
    src = d / "township.gpkg"
    for role, gdf in township.items():
        gdf.to_file(src, layer=role, driver="GPKG")
    p = Project.from_sources({r: f"{src}:{r}" for r in township}, name="镇")
    partition_project(p, min_hh=20, max_hh=60, target=40, sub_min=5, sub_max=15, corridor_width=0)
    return p.save(d / "grids.gpkg")


def _workbook(path, project, *, extra=()):
    """One sheet per village, each with a merged title row, 序号, 网格编码, 网格员, 联系电话."""
    g = project.layers["grids"].gdf
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for village, rows in g.groupby("village"):
        ws = wb.create_sheet(str(village))
        ws.append([f"{village}网格员台账"])
        ws.merge_cells("A1:D1")
        ws.append(["序号", "网格编码", "网格员", "联系电话"])
        for i, code in enumerate(rows["code"]):
            ws.append([i + 1, code, f"{village[:2]}员{i}", f"1380000{len(ws['A']):04d}"])
    for sheet, row in extra:
        wb[sheet].append(row)
    wb.save(path)
    return path


def _grids(path):
    return Project.open(path).layers["grids"].gdf.set_index("code")


def test_all_sheets_joined_rows_named_by_sheet(partitioned, tmp_path, capsys):
    p = Project.open(partitioned)
    sheets = p.layers["grids"].gdf["village"].unique().tolist()
    assert len(sheets) == 2
    book = _workbook(tmp_path / "台账.xlsx", p, extra=[(sheets[1], [99, "500101001002-99", "错号", "1"]),
                                                       (sheets[0], [100, None, "无号", "2"])])
    target = tmp_path / "g.gpkg"
    target.write_bytes(partitioned.read_bytes())
    assert main(["join", str(target), "--table", f"{book}:*", "--on", "网格编码"]) == 0
    out = capsys.readouterr().out
    g = _grids(target)
    assert g["worker"].notna().all()  # every village's grids, from its own sheet
    assert "工作表" not in g.columns  # the sheet a row came from is not joined as a column
    assert "2 个工作表合并为一个图层" in out
    assert f"工作表“{sheets[1]}”第" in out and "500101001002-99" in out  # unmatched, by sheet and row
    assert f"编码为空的行（未连接）：工作表“{sheets[0]}”第" in out
    assert "表中没有的网格" not in out


def test_a_notes_sheet_left_out_of_a_ledger_read_whole_is_not_called_households(partitioned, tmp_path, capsys):
    """A 说明 sheet beside the villages' sheets is left out and said; its fix spoke of households
    (若这些工作表也是住户) in a join of grid workers."""
    p = Project.open(partitioned)
    book = _workbook(tmp_path / "台账.xlsx", p)
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("说明").append(["本表由各村（社区）填报"])
    wb.save(book)
    target = tmp_path / "g.gpkg"
    target.write_bytes(partitioned.read_bytes())
    assert main(["--lang", "both", "join", str(target), "--table", f"{book}:*", "--on", "网格编码"]) == 0
    out = capsys.readouterr().out
    assert "没有合并：“说明”" in out and "were not merged: '说明'" in out
    assert "住户" not in out and "households" not in out
    assert _grids(target)["worker"].notna().all()


def test_one_sheet_of_many_says_which_were_left_out_and_how_to_join_them(partitioned, tmp_path, capsys):
    p = Project.open(partitioned)
    book = _workbook(tmp_path / "台账.xlsx", p)
    target = tmp_path / "g.gpkg"
    target.write_bytes(partitioned.read_bytes())
    assert main(["join", str(target), "--table", str(book), "--on", "网格编码"]) == 0
    out = capsys.readouterr().out
    assert "只读取了" in out and f"--table {book.name}:*" in out and "--households" not in out
    g = _grids(target)
    first = openpyxl.load_workbook(book).sheetnames[0]
    assert g["worker"].notna().sum() == (p.layers["grids"].gdf["village"] == first).sum()


def test_duplicate_codes_across_sheets_name_both_sheets(partitioned, tmp_path):
    from gridtool.join import JoinError
    p = Project.open(partitioned)
    code = p.layers["grids"].gdf["code"].iloc[0]
    sheets = p.layers["grids"].gdf["village"].unique().tolist()
    book = _workbook(tmp_path / "台账.xlsx", p, extra=[(sheets[1], [7, code, "又一个", "3"])])
    with pytest.raises(JoinError) as e:
        join_table(p, f"{book}:*", on="网格编码")
    assert f"工作表“{sheets[0]}”第 3 行" in e.value.zh and f"工作表“{sheets[1]}”第" in e.value.zh


def test_the_app_joins_all_sheets_as_the_command_line(qtbot, window, partitioned, tmp_path):
    pytest.importorskip("PyQt6.QtWidgets")
    pytest.importorskip("pytestqt")
    from gridtool.io.excel_sheets import ALL_SHEETS
    w = window
    w.open_project(str(partitioned))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    book = _workbook(tmp_path / "台账.xlsx", w.session.project)
    dlg = w.join_dialog(str(book))
    qtbot.waitUntil(lambda: dlg.table is not None, timeout=30000)  # read on the job runner
    assert dlg.sheet.currentData() is None and "只读取了" in dlg.info.text()  # told of the other sheet
    dlg.sheet.setCurrentIndex(dlg.sheet.findData(ALL_SHEETS))
    qtbot.waitUntil(lambda: dlg.table is not None and dlg.table.sheet == ALL_SHEETS, timeout=30000)
    assert dlg.key.currentText() == "网格编码" and "工作表" not in dlg.chosen_columns()
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    app = w.session.project.layers["grids"].gdf.set_index("code")
    cli = tmp_path / "cli.gpkg"
    cli.write_bytes(partitioned.read_bytes())
    assert main(["join", str(cli), "--table", f"{book}:*", "--on", "网格编码"]) == 0
    assert app["worker"].to_dict() == _grids(cli)["worker"].to_dict()
