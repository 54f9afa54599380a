"""A workbook with one sheet per village (一村一表) read as one layer with ``PATH:*``: every row
named by its sheet and Excel row, title and 合计 rows handled as on one sheet, headers that differ
a little matched and said, sheets with another header listed and left out; and an .xls roster's
hidden rows said as an .xlsx's are."""

from __future__ import annotations

import openpyxl
import pytest

from gridtool.io.vector import split_path_layer
from gridtool.layers import load_layer
from tests.corpus.xls import xls_workbook_bytes


def _village(ws, title, header, n, *, lon, hh="2", extra=None, total=True):
    """A village's sheet as a clerk fills it: a title merged over the header, ``n`` households
    (counts typed as text), a blank row and a 合计 row."""
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for i in range(n):
        row = [f"{ws.title[0]}{i}", f"50010119900307{i:04d}", lon + i * 0.001, 29.5, hh]
        ws.append(row + ([extra] if extra else []))
    if total:
        ws.append([])
        ws.append(["合计", None, None, None, str(int(hh) * n)])


def _book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "石桥村"
    _village(ws, "石桥村住户花名册", ["户主姓名", "身份证号", "经度", "纬度", "户数"], 12, lon=106.50)
    _village(wb.create_sheet("新华村"), "新华村住户花名册", ["户主", "身份证号", "经度", "纬度", "户数", "备注"], 7,
             lon=106.52, hh="3", extra="外出务工")
    summary = wb.create_sheet("汇总")  # the township's summary: no roster
    summary.append(["村", "户数"])
    summary.append(["石桥村", 24])
    wb.create_sheet("Sheet3")  # left empty by Excel: not worth a word
    wb.save(path)
    return path


def _codes(layer):
    return {p.code: p for p in layer.problems}


def test_every_village_sheet_is_read_as_one_layer_with_its_rows_named(tmp_path):
    path = _book(tmp_path / "一村一表.xlsx")
    lyr = load_layer("households", f"{path}:*")
    assert len(lyr.gdf) == 19 and lyr.total_households == 12 * 2 + 7 * 3  # text counts read as numbers
    ids = list(lyr.gdf["src_id"])
    assert ids[0] == "石桥村!3" and ids[12] == "新华村!3" and "新华村!9" in ids
    # One total everywhere: the merged layer holds what each sheet gives alone.
    alone = [load_layer("households", f"{path}:{s}").total_households for s in ("石桥村", "新华村")]
    assert sum(alone) == lyr.total_households
    p = _codes(lyr)
    merged = p["excel_sheets_merged"]
    assert "2 个工作表合并为一个图层，共 19 行" in merged.zh
    assert "“石桥村”（12 行，另有 1 行合计）、“新华村”（7 行，另有 1 行合计）" in merged.zh
    assert "“新华村”的 户主 作 户主姓名" in merged.zh and "备注（“新华村”）" in merged.zh
    assert "户主 as 户主姓名 on '新华村'" in merged.en
    assert p["totals_row"].features == ["石桥村!16", "新华村!11"]  # title, header, 12 rows, a blank row
    skipped = p["excel_sheets_skipped"]
    assert "“汇总”" in skipped.zh and "Sheet3" not in skipped.zh and "'汇总'" in skipped.en
    # The column matched by meaning is one column, never two half-filled ones.
    assert "户主" not in lyr.gdf.columns and lyr.gdf["户主姓名"].notna().all()


def test_the_sheet_names_stand_in_for_a_missing_village_column_and_are_said(tmp_path):
    lyr = load_layer("households", f"{_book(tmp_path / 'r.xlsx')}:*")
    assert lyr.gdf.groupby("village")["hh"].sum().to_dict() == {"石桥村": 24, "新华村": 21}
    assert lyr.columns_detail["village"]["by"] == "sheet"
    p = _codes(lyr)["village_from_sheet"]
    assert "已把工作表名当作村名：石桥村（12 行）、新华村（7 行）" in p.zh
    assert "sheet names were taken as village names" in p.en


def test_a_village_column_or_default_sheet_names_are_not_overridden(tmp_path):
    wb = openpyxl.Workbook()
    for k, name in enumerate(("Sheet1", "Sheet2")):
        ws = wb.active if k == 0 else wb.create_sheet(name)
        ws.title = name
        ws.append(["户主", "经度", "纬度", "户数", "村"])
        for i in range(3):
            ws.append([f"王{i}", 106.5 + i * 0.001, 29.5 + k * 0.01, 1, "龙潭村"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    lyr = load_layer("households", f"{path}:*")
    assert set(lyr.gdf["village"]) == {"龙潭村"} and "village_from_sheet" not in _codes(lyr)
    assert lyr.total_households == 6
    # Without a 村 column, Sheet1/Sheet2 are no village names: nothing is made up.
    wb2 = openpyxl.load_workbook(path)
    for ws in wb2.worksheets:
        ws.delete_cols(5)
    wb2.save(path)
    lyr = load_layer("households", f"{path}:*")
    assert "village_from_sheet" not in _codes(lyr) and lyr.columns_detail.get("village", {}).get("by") != "sheet"


def test_a_sheet_without_the_count_column_is_listed_not_merged(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "石桥村"
    _village(ws, "石桥村", ["户主", "身份证号", "经度", "纬度", "户数"], 4, lon=106.5, total=False)
    other = wb.create_sheet("新华村")  # no 户数: merging it would count each row as one household
    other.append(["户主", "身份证号", "经度", "纬度"])
    other.append(["李一", "", 106.6, 29.5])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    lyr = load_layer("households", f"{path}:*")
    assert lyr.total_households == 8 and set(lyr.gdf["village"]) == {"石桥村"}
    p = _codes(lyr)["excel_sheets_skipped"]
    assert "“新华村”：表头不同，缺少列：户数" in p.zh and "without 户数" in p.en


def test_hidden_rows_of_a_merged_sheet_name_that_sheet(tmp_path):
    path = _book(tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["新华村"].row_dimensions[4].hidden = True
    wb.save(path)
    lyr = load_layer("households", f"{path}:*")
    hidden = [p for p in lyr.problems if p.code == "excel_hidden_rows"]
    assert len(hidden) == 1 and hidden[0].layer == "新华村" and "第 4 行" in hidden[0].zh
    assert lyr.total_households == 45


def test_path_star_is_every_sheet_and_a_sheet_name_still_one(tmp_path):
    path = _book(tmp_path / "r.xlsx")
    assert split_path_layer(f"{path}:*") == (str(path), "*")
    assert split_path_layer(f"{path}:新华村") == (str(path), "新华村")
    one = load_layer("households", f"{path}:新华村")
    assert one.total_households == 21 and list(one.gdf["src_id"][:1]) == ["row 3"]
    # Without a sheet named, the others are named and the fix says how to read them all.
    first = load_layer("households", str(path))
    assert f"{path.name}:*" in _codes(first)["excel_other_sheets"].fix_zh


@pytest.mark.parametrize("spec", ["", ":*"])
def test_hidden_rows_and_columns_of_an_xls_are_said_as_for_an_xlsx(tmp_path, spec):
    rows = [["石桥村住户花名册"], ["户主", "经度", "纬度", "户数"]]
    rows += [[f"张{i}", 106.5 + i * 0.001, 29.5, 2] for i in range(10)]
    path = tmp_path / "住户.xls"
    path.write_bytes(xls_workbook_bytes({"石桥村": rows}, hidden_rows={"石桥村": [5, 6, 9]},
                                        hidden_cols={"石桥村": [4]}))
    lyr = load_layer("households", f"{path}{spec}")
    assert lyr.total_households == 20  # hidden is not deleted
    p = _codes(lyr)
    assert "工作表“石桥村”中有 3 行数据被隐藏：第 5–6、9 行" in p["excel_hidden_rows"].zh
    assert "rows 5–6, 9" in p["excel_hidden_rows"].en
    assert "户数（D 列，用作户数）" in p["excel_hidden_columns"].zh


def test_a_group_subtotal_row_is_a_totals_row_not_a_household(tmp_path):
    from gridtool.io.table_rows import is_total_cell
    assert is_total_cell("一组小计") and is_total_cell("本页合计：") and is_total_cell("合 计")
    assert not is_total_cell("合计村") and not is_total_cell("关于户数合计的说明请见第二页附表")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "万寿村"
    _village(ws, "万寿村", ["户主姓名", "身份证号", "经度", "纬度", "户数"], 3, lon=107.2, hh="1", total=False)
    ws.append([None, "一组小计", None, None, "3"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    lyr = load_layer("households", f"{path}:*")
    assert lyr.total_households == 3 and _codes(lyr)["totals_row"].features == ["万寿村!6"]


def _hidden_old_roster(path, *, first: bool):
    """A township's workbook with last year's roster kept as a hidden sheet (旧名单)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "旧名单" if first else "石桥村"
    sheets = ["旧名单", "新华村"] if first else ["石桥村", "旧名单", "新华村"]
    for k, name in enumerate(sheets):
        ws = wb.active if k == 0 else wb.create_sheet(name)
        _village(ws, name, ["户主", "身份证号", "经度", "纬度", "户数"], 5, lon=106.5 + k * 0.02, total=False)
    wb["旧名单"].sheet_state = "hidden"
    wb.active = wb.sheetnames.index("新华村")
    wb.save(path)
    return path


@pytest.mark.parametrize("first", [False, True])
def test_a_hidden_sheet_is_neither_merged_nor_read_by_default_and_is_said(tmp_path, first):
    path = _hidden_old_roster(tmp_path / "r.xlsx", first=first)
    merged = load_layer("households", f"{path}:*")
    shown = 1 if first else 2  # the 新华村 sheet, and 石桥村 before it
    assert merged.total_households == 10 * shown and "旧名单" not in set(merged.gdf["village"])
    p = _codes(merged)["excel_hidden_sheets"]
    assert "1 个隐藏的工作表没有读取：“旧名单”（5 行）" in p.zh and "'旧名单' (5 rows)" in p.en
    assert "旧名单" not in _codes(merged)["excel_sheets_merged"].zh
    # Without a sheet named, the first sheet shown in Excel is read, not the hidden one before it.
    default = load_layer("households", str(path))
    assert default.total_households == 10 and "excel_hidden_sheets" in _codes(default)
    assert set(default.gdf["户主"].str[0]) == {"新" if first else "石"}
    # Named, a hidden sheet is read as asked.
    assert load_layer("households", f"{path}:旧名单").total_households == 10


def test_a_householder_or_address_ending_in_a_total_word_is_a_household(tmp_path):
    """王小计 (a person) and 某某路合计 (an address) without coordinates are households to place by
    address, not totals rows dropped from the count; 一组小计, 石桥村合计 still are totals."""
    from gridtool.io.table_rows import is_total_cell
    assert is_total_cell("第2页小计") and is_total_cell("石桥村合计") and is_total_cell("3组合计")
    assert not is_total_cell("王小计") and not is_total_cell("某某路合计")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "石桥村"
    ws.append(["户主", "地址", "经度", "纬度", "户数"])
    ws.append(["李四", "石桥村1号", 106.5, 29.5, 2])
    ws.append(["王小计", "石桥村2号", None, None, 3])
    ws.append(["张三", "某某路合计", None, None, 1])
    ws.append(["一组小计", None, None, None, 6])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    for spec, row in (("", "row {}"), (":*", "石桥村!{}")):
        p = _codes(load_layer("households", f"{path}{spec}"))
        assert p["bad_coordinates"].features == [row.format(3), row.format(4)]  # to be placed, not lost
        assert p["totals_row"].features == [row.format(5)]


def test_a_sheet_copied_in_excel_is_found_as_a_repeated_roster(tmp_path):
    """Excel's 移动或复制 makes 石桥村 (2): its rows differ from 石桥村's only by the sheet (and the
    village taken from it), and would count 24 households twice."""
    from gridtool.validate import _check_duplicate_rows
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "石桥村"
    _village(ws, "石桥村", ["户主", "身份证号", "经度", "纬度", "户数"], 12, lon=106.5, total=False)
    wb.copy_worksheet(ws).title = "石桥村 (2)"
    path = tmp_path / "r.xlsx"
    wb.save(path)
    lyr = load_layer("households", f"{path}:*")
    problems, repeated = _check_duplicate_rows(lyr)
    assert int(repeated.sum()) == 12
    p = next(q for q in problems if q.code == "roster_repeated")
    assert "24 户会被重复计数" in p.zh
    # Rows named as a planner reads them, not as 第 石桥村 (2)!3 – 石桥村 (2)!14 行.
    assert "工作表“石桥村 (2)”第 3–14 行重复了工作表“石桥村”第 3–14 行" in p.zh and "!" not in p.zh
    assert "sheet '石桥村 (2)' rows 3–14 repeat sheet '石桥村' rows 3–14" in p.en


def test_rows_of_a_run_read_as_a_sentence_says_them():
    from gridtool.errors import feature_id_zh, rows_span
    assert rows_span("row 302", "row 601") == "第 302–601 行"
    assert rows_span("row 302", "row 601", "en") == "rows 302–601"
    assert rows_span("新华村!9", "新华村!9") == "工作表“新华村”第 9 行"
    assert rows_span("石桥村!14", "新华村!3") == "工作表“石桥村”第 14 行至工作表“新华村”第 3 行"
    assert rows_span("石桥村!14", "新华村!3", "en") == "sheet '石桥村' row 14 to sheet '新华村' row 3"
    assert rows_span("FID 3", "FID 9") == "FID 3 至 FID 9" and feature_id_zh("石桥村!5") == "工作表“石桥村”第5行"


def test_a_village_column_on_some_sheets_only_leaves_no_sheet_without_its_village(tmp_path):
    """新华村's clerk added a 村 column, 石桥村's did not: 石桥村's households get their sheet's name
    as their village, said, instead of no village at all."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "石桥村"
    _village(ws, "石桥村", ["户主", "身份证号", "经度", "纬度", "户数"], 3, lon=106.5, total=False)
    _village(wb.create_sheet("新华村"), "新华村", ["户主", "身份证号", "经度", "纬度", "户数", "村"], 4, lon=106.6,
             hh="1", extra="新华村", total=False)
    path = tmp_path / "r.xlsx"
    wb.save(path)
    lyr = load_layer("households", f"{path}:*")
    assert lyr.gdf.groupby("village")["hh"].sum().to_dict() == {"石桥村": 6, "新华村": 4}
    p = _codes(lyr)["village_from_sheet"]
    assert "“村”列只在部分工作表中有" in p.zh and "石桥村（3 行）" in p.zh and "新华村" not in p.zh
    assert "on some sheets only" in p.en


def _xls_roster(path):
    """An .xls (Excel 97–2003, written by :mod:`tests.corpus.xls`) with last year's roster as a
    hidden sheet between two villages, a title row and a 合计 row on each sheet."""
    def village(name, n, lon):
        rows = [[f"{name}住户花名册"], ["户主", "身份证号", "经度", "纬度", "户数"]]
        rows += [[f"{name[0]}{i}", f"50010119900307{i:04d}", lon + i * 0.001, 29.5, 2] for i in range(n)]
        return rows + [["合计", None, None, None, 2 * n]]
    sheets = {"石桥村": village("石桥村", 4, 106.5), "旧名单": village("旧名单", 6, 106.52),
              "新华村": village("新华村", 3, 106.54)}
    path.write_bytes(xls_workbook_bytes(sheets, hidden_sheets=("旧名单",), hidden_rows={"新华村": [4]}))
    return path


def test_a_hidden_sheet_of_an_xls_is_left_out_and_said_and_the_file_opened_once(tmp_path, monkeypatch):
    import xlrd
    path = _xls_roster(tmp_path / "住户.xls")
    opened = []
    real = xlrd.open_workbook
    monkeypatch.setattr(xlrd, "open_workbook", lambda *a, **k: opened.append(a[0]) or real(*a, **k))
    merged = load_layer("households", f"{path}:*")
    assert len(opened) == 1  # one read: the rows, the hidden sheet and the hidden rows from one book
    assert merged.total_households == 14 and set(merged.gdf["village"]) == {"石桥村", "新华村"}
    p = _codes(merged)
    assert "1 个隐藏的工作表没有读取：“旧名单”（6 行）" in p["excel_hidden_sheets"].zh
    assert "工作表“新华村”中有 1 行数据被隐藏：第 4 行" in p["excel_hidden_rows"].zh
    default = load_layer("households", str(path))  # the first sheet shown; the others said
    assert default.total_households == 8 and "excel_hidden_sheets" in _codes(default)
    assert "“新华村”（3 行）" in _codes(default)["excel_other_sheets"].zh
    assert load_layer("households", f"{path}:旧名单").total_households == 12  # named: read as asked
    from gridtool.io.vector import list_layers
    assert list_layers(path) == ["石桥村", "旧名单", "新华村"]  # the wizard's choices, no sheet loaded


def test_info_says_the_villages_of_a_merged_workbook_come_from_its_sheet_names(tmp_path):
    from gridtool.column_content import Found, describe
    from gridtool.fileinfo import file_info
    path = _book(tmp_path / "一村一表.xlsx")
    found = Found.from_dict("village_name", file_info(f"{path}:*")["layers"]["*"]["columns_detail"]["village_name"])
    assert describe(found, "zh") == "村名：工作表（石桥村、新华村，取自工作表名）"
    assert describe(found, "en") == "village name: 工作表 (石桥村, 新华村; from the sheet names)"
    # Sheets named as Excel names them (Sheet1, Sheet2) name no village: none is said.
    wb = openpyxl.load_workbook(path)
    wb["石桥村"].title, wb["新华村"].title = "Sheet1", "Sheet2"
    wb.save(path)
    assert "village_name" not in file_info(f"{path}:*")["layers"]["*"]["columns_detail"]
