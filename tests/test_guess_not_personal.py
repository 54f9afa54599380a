"""A column of mobile numbers is never guessed as a key column (11 digits look like a code to a
digit-length test): before, ``gridtool info 花名册.xlsx`` printed ``代码：电话号（13800000000、
13800000001、13800000002…，11 位，按内容识别）`` — personal data on the console, and a wrong guess."""

from __future__ import annotations

import openpyxl

from gridtool.cli import main


def test_phone_numbers_are_not_taken_as_division_codes_nor_printed(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["户主", "电话号", "经度", "纬度", "户数", "村"])
    for i in range(10):
        ws.append([f"张{i}", f"1380000{i:04d}", 118.78 + i * 0.001, 32.05, 3, "石桥村"])
    wb.save(tmp_path / "r.xlsx")
    assert main(["info", str(tmp_path / "r.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "1380000" not in out and "代码：电话号" not in out
    assert "户数：户数" in out  # the real key columns are still found


def test_guess_skips_personal_columns_but_finds_the_code_beside_them():
    import pandas as pd

    from gridtool.column_content import guess
    df = pd.DataFrame({"联系": [f"1390000{i:04d}" for i in range(6)],
                       "DM": [f"5001010010{i:02d}" for i in range(6)]})
    found = guess(df, "code", role="villages")
    assert found is not None and found.column == "DM"
