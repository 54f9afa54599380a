"""A roster whose 户数 are formulas saved without results, as business systems export them (Java
POI stores no result, openpyxl an empty one, xlsxwriter 0 with "recompute on opening"): the cells
read as empty or 0 although Excel shows numbers. Before, import said only 户数为空或不是数字 and told
the planner to type numbers into a column that already shows them; now the formulas are named with
their cells and the fix (open and save once in Excel/WPS). Workbooks Excel saved, with results, say
nothing."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from gridtool.project import Project

SHEET = "xl/worksheets/sheet1.xml"


def _roster(path, *, style: str):
    """Ten buildings, 户数 = 常住户 + 流动户 as formulas (F2 = D2+E2 …), stored as ``style`` stores them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["户编号", "经度", "纬度", "常住户", "流动户", "户数", "备注"])
    for i in range(10):
        r = i + 2
        ws.append([f"H{i}", 118.78 + i * 0.001, 32.05, 3 + i, 1, f"=D{r}+E{r}", f'=IF(D{r}>100,"大户","")'])
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    xml = files[SHEET].decode()
    book = files["xl/workbook.xml"].decode()
    if style == "poi":  # no result at all
        xml = xml.replace("<v></v>", "").replace("<v />", "")
    elif style == "xlsxwriter":  # 0 as a placeholder, Excel asked to recompute (openpyxl's calcPr already does)
        xml = xml.replace("<v></v>", "<v>0</v>")
    elif style == "excel":  # results computed and stored, no recompute asked
        def computed(m):
            r = int(m.group(1))
            return f'<c r="F{r}"><f>D{r}+E{r}</f><v>{3 + r - 2 + 1}</v></c>'
        xml = re.sub(r'<c r="F(\d+)"><f>D\d+\+E\d+</f><v\s*>\s*</v></c>', computed, xml)
        xml = re.sub(r'<c r="G(\d+)"><f>(.*?)</f><v\s*>\s*</v></c>', r'<c r="G\1" t="str"><f>\2</f><v></v></c>', xml)
        book = re.sub(r'\s*fullCalcOnLoad="1"', "", book)
    files[SHEET], files["xl/workbook.xml"] = xml.encode(), book.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    return path


@pytest.mark.parametrize("style", ["openpyxl", "poi", "xlsxwriter"])
def test_formulas_without_results_are_named_with_the_fix(tmp_path, style):
    p = Project.from_sources({"households": str(_roster(tmp_path / "花名册.xlsx", style=style))})
    lyr = p.layers["households"]
    warn = next(x for x in lyr.problems if x.code == "excel_uncalculated")
    assert "F 列“户数”10 个（如 F2：=D2+E2）" in warn.zh and "column F '户数': 10" in warn.en
    assert "打开此文件，保存一次" in warn.fix_zh and warn.field == "户数,备注"  # every uncomputed column
    from gridtool.validate import validate
    problems = validate(p)
    if style != "xlsxwriter":  # empty cells: the count error now says why and how to fix it
        err = next(x for x in problems if x.code == "hh_not_numeric")
        assert "没有计算结果的公式" in err.fix_zh and "Excel 或 WPS" in err.fix_zh
    assert lyr.total_households != 55 + 10 * 1  # what Excel shows is not what was read: hence the warning


def test_a_workbook_excel_saved_reads_its_results_and_says_nothing(tmp_path):
    p = Project.from_sources({"households": str(_roster(tmp_path / "花名册.xlsx", style="excel"))})
    lyr = p.layers["households"]
    assert not [x for x in lyr.problems if x.code == "excel_uncalculated"]
    assert lyr.total_households == sum(3 + i + 1 for i in range(10))


def test_the_wizard_preview_shows_the_warning(tmp_path):
    from gridtool.io.vector import preview_table
    _df, problems = preview_table(_roster(tmp_path / "花名册.xlsx", style="poi"), role="households")
    assert any(x.code == "excel_uncalculated" for x in problems)
