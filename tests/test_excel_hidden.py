"""Excel rosters as clerks keep them: hidden rows and an AutoFilter, hidden columns, one sheet per
village. Hidden rows are imported (hidden is not deleted) and said once; sheets not read are named."""

from __future__ import annotations

import openpyxl
import pytest

from gridtool.layers import load_layer

HEADER = ["户主", "身份证号", "经度", "纬度", "户数"]


def _roster(path, rows=30, *, hidden_rows=(), hidden_cols=(), filter_ref=None, sheets=None):
    """A 住户 roster with a title row, the header on row 2 and ``rows`` households of 2 each;
    ``sheets`` adds further sheets ``{name: rows}`` with the same header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "村A"
    ws.append(["宣武村住户花名册"])
    ws.append(HEADER)
    for i in range(rows):
        ws.append([f"张{i}", f"11010119900307{i:04d}", 118.78 + i * 0.001, 32.05, 2])
    for r in hidden_rows:
        ws.row_dimensions[r].hidden = True
    for c in hidden_cols:
        ws.column_dimensions[c].hidden = True
    if filter_ref:
        ws.auto_filter.ref = filter_ref
        ws.auto_filter.add_filter_column(0, ["张0"])
    for name, n in (sheets or {}).items():
        other = wb.create_sheet(name)
        other.append(HEADER)
        for i in range(n):
            other.append([f"李{i}", "", 118.79 + i * 0.001, 32.06, 1])
    wb.save(path)
    return path


def _codes(layer):
    return {p.code: p for p in layer.problems}


def test_hidden_and_filtered_rows_are_counted_and_said_once(tmp_path):
    path = _roster(tmp_path / "住户.xlsx", hidden_rows=(5, 6, 7, 20), filter_ref="A2:E32")
    lyr = load_layer("households", str(path))
    assert len(lyr.gdf) == 30 and lyr.total_households == 60  # hidden is not deleted
    hidden = [p for p in lyr.problems if p.code == "excel_hidden_rows"]
    assert len(hidden) == 1
    p = hidden[0]
    assert p.severity == "warning" and p.file == str(path) and p.layer == "村A"
    assert "住户.xlsx" in p.zh and "“村A”" in p.zh and "4 行" in p.zh and "第 5–7、20 行" in p.zh
    assert "自动筛选 A2:E32" in p.zh
    assert "4 data rows are hidden" in p.en and "rows 5–7, 20" in p.en and "AutoFilter A2:E32" in p.en
    assert "取消隐藏" in p.fix_zh and "delete them" in p.fix_en


def test_a_roster_with_nothing_hidden_gets_no_such_warning(tmp_path):
    lyr = load_layer("households", str(_roster(tmp_path / "住户.xlsx")))
    assert not {"excel_hidden_rows", "excel_hidden_columns", "excel_filter", "excel_other_sheets"} & set(_codes(lyr))


def test_many_hidden_rows_are_listed_as_ranges_and_cut(tmp_path):
    rows = [r for r in range(3, 33) if r % 2]  # every other row: 15 single-row ranges
    lyr = load_layer("households", str(_roster(tmp_path / "住户.xlsx", hidden_rows=rows)))
    p = _codes(lyr)["excel_hidden_rows"]
    assert f"{len(rows)} 行" in p.zh and "第 3、5、7" in p.zh and " 等" in p.zh
    assert "AutoFilter" not in p.en and "rows 3, 5, 7" in p.en and "…" in p.en
    assert lyr.total_households == 60


def test_hidden_count_and_id_columns_are_named(tmp_path):
    lyr = load_layer("households", str(_roster(tmp_path / "住户.xlsx", hidden_cols=("B", "E"))))
    assert lyr.total_households == 60  # the hidden 户数 column is still read
    p = _codes(lyr)["excel_hidden_columns"]
    assert "2 列被隐藏" in p.zh
    assert "户数（E 列，用作户数）" in p.zh and "身份证号（B 列，个人信息：身份证号）" in p.zh
    assert "户数 (column E, read as households)" in p.en and "personal data: ID numbers" in p.en


def test_sheets_left_out_of_a_one_sheet_per_village_workbook_are_named(tmp_path):
    path = _roster(tmp_path / "一村一表.xlsx", sheets={"村B": 12, "村C": 7})
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("说明").append(["本表由村委会填报"])  # a note sheet is no roster: not named
    wb.save(path)
    lyr = load_layer("households", str(path))
    assert lyr.total_households == 60
    p = _codes(lyr)["excel_other_sheets"]
    assert "只读取了“村A”" in p.zh and "“村B”（12 行）、“村C”（7 行）" in p.zh and "19 行没有导入" in p.zh
    assert "说明" not in p.zh
    assert "'村B' (12 rows)" in p.en and "19 rows not imported" in p.en
    assert "--households 一村一表.xlsx:村B" in p.fix_zh
    # The sheet named by the user is read without the warning.
    chosen = load_layer("households", f"{path}:村B")
    assert chosen.total_households == 12 and "excel_other_sheets" not in _codes(chosen)


@pytest.mark.parametrize("hidden", [(4,), ()])
def test_the_sheet_view_is_read_from_the_xml(tmp_path, hidden):
    from gridtool.io.excel_hidden import sheet_view
    path = _roster(tmp_path / "r.xlsx", hidden_rows=hidden, hidden_cols=("C",), filter_ref="A2:E32")
    view = sheet_view(path, "村A")
    assert view.hidden_rows == list(hidden) and view.hidden_columns == [3]
    assert view.filter_ref == "A2:E32" and view.filter_active
    assert sheet_view(path, "没有这个表") is None


@pytest.mark.parametrize("quote", ["'", '"'])
def test_hidden_rows_are_found_whatever_quotes_the_writer_used(tmp_path, quote):
    """XML lets a writer other than Excel quote attributes with ' and space the '=': the hidden
    rows and column of such a sheet are said as for one Excel saved."""
    import re
    import zipfile
    src = _roster(tmp_path / "src.xlsx", hidden_rows=(5, 6), hidden_cols=("B",))
    path = tmp_path / "住户.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(path, "w") as zo:
        for item in zi.infolist():
            data = zi.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'(\w+)="([^"]*)"', rb"\1 = " + quote.encode() + rb"\2" + quote.encode(), data)
            zo.writestr(item, data)
    lyr = load_layer("households", str(path))
    assert lyr.total_households == 60
    assert "第 5–6 行" in _codes(lyr)["excel_hidden_rows"].zh
    assert "身份证号（B 列" in _codes(lyr)["excel_hidden_columns"].zh
