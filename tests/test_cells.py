"""Text from the data never becomes a formula in a CSV or XLSX written by gridtool."""

import io

import openpyxl
import pandas as pd

from gridtool.cells import csv_bytes, csv_text, write_rows

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3", "\t=1", "\r=1"]


def test_csv_cells_starting_a_formula_get_an_apostrophe_and_numbers_stay_numbers():
    df = pd.DataFrame({"名称": HOSTILE + ["石柱村"], "户数": [-5, 1, 2, 3, 4, 5, 6]})
    back = pd.read_csv(io.BytesIO(csv_bytes(df)), encoding="utf-8-sig")
    assert back["名称"][:-1].tolist() == ["'" + h for h in HOSTILE]
    assert back["名称"].iloc[-1] == "石柱村"
    assert back["户数"].tolist() == [-5, 1, 2, 3, 4, 5, 6]
    assert csv_text(-5) == -5 and csv_text("普通") == "普通"


def test_xlsx_cells_keep_the_text_and_are_never_formulas():
    wb = openpyxl.Workbook()
    write_rows(wb.active, [["名称", "户数"]] + [[h, i] for i, h in enumerate(HOSTILE)] + [["石柱村", float("nan")]])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    ws = openpyxl.load_workbook(buf).active
    rows = list(ws.iter_rows(min_row=2, values_only=False))
    # Without lxml, openpyxl's XML writer turns a carriage return into a line feed; every other
    # character is kept.
    assert [r[0].value.replace("\r", "\n") for r in rows[:len(HOSTILE)]] == [h.replace("\r", "\n") for h in HOSTILE]
    assert all(r[0].data_type == "s" for r in rows[:len(HOSTILE)])
    assert rows[-1][0].value == "石柱村" and rows[-1][1].value is None
