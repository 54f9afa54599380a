"""Tables in and out: ``gridtool join`` (grid-worker roster, scores), the Excel ledger, one household
total in every output, and the five-colour map's legend and refusals.

Excel files are read back with openpyxl, PDFs with pdftotext, the HTML as text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gridtool.cli import main

from .maps_data import GK108, NAMES, PHONE, X0, Y0, make_project
from .partition_data import make_villages

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def html_text(path) -> str:
    """The visible text of an HTML file (tags removed, entities kept as they are)."""
    return re.sub(r"<[^>]+>", " ", Path(path).read_text(encoding="utf-8"))


def write_xlsx(path, rows, *, title: str | None = None, sheet: str = "Sheet1") -> Path:
    """A workbook as township offices make them: a merged title row above the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(r) for r in rows))
    for r in rows:
        ws.append(r)
    wb.save(path)
    return Path(path)


def roster_rows(codes, *, duplicate: str | None = None, unmatched: str | None = None):
    rows = [["序号", "网格编码", "网格员", "联系电话", "职务"]]
    for i, c in enumerate(codes):
        rows.append([i + 1, c, f"{'张王李赵'[i % 4]}晓{'明红'[i % 2]}", f"1391234{i:04d}", "专职网格员"])
    if duplicate:
        rows.append([len(rows), duplicate, "重复者", "13900000000", "兼职网格员"])
    if unmatched:
        rows.append([len(rows), unmatched, "无此网格", "13900000001", "兼职网格员"])
    return rows


@pytest.fixture
def project_file(tmp_path):
    return make_project().save(tmp_path / "测试镇.gpkg")


# -- one total ------------------------------------------------------------------------------------
def test_household_totals_parts_are_disjoint_and_add_up():
    from gridtool.partition.totals import household_counts, household_totals

    hs = gpd.GeoDataFrame({
        "hh": [10, 20.4, None, -3, 7, 30, 5, 2, "4"],
        "grid": ["A-01", "A-02", "A-01", "A-01", "A-Z01", "A-01", None, "X-99", "A-02"],
        "grid_parts": ["", "", "", "", "", "A-01:12;A-02:8;X-99:6", "", "", ""]},
        geometry=[Point(i, 0) for i in range(9)], crs=GK108)
    grids = pd.DataFrame({"code": ["A-01", "A-02"], "status": ["ok", "exception"], "hh": [22, 32]})
    special = pd.DataFrame({"code": ["A-Z01"], "hh": [7]})
    assert household_counts(hs["hh"]).tolist() == [10, 20, 0, 0, 7, 30, 5, 2, 4]
    t = household_totals({"households": hs, "grids": grids, "special_grids": special})
    # 10 + 12 (part of the split building); A-02 (an exception grid): 20 + 8 + 4; A-Z01: 7;
    # unassigned: no grid (5), an unknown code (2), the split building's part in an unknown code (4 of 6
    # left after its 30 households were shared out as 12 + 8 + the rest).
    assert (t.base, t.exception, t.special) == (22, 32, 7)
    assert t.unassigned == 5 + 2 + 10
    assert t.imported == 78 == t.base + t.special + t.exception + t.unassigned
    assert t.stale == () and t.partitioned
    assert t.text_zh() == "住户 78 户 = 基础网格 22 + 专属网格 7 + 例外网格 32 + 未划入网格 17"
    assert household_totals({"households": hs}).text_zh() == "住户 78 户"


# -- join -----------------------------------------------------------------------------------------
def test_join_roster_title_row_duplicate_unmatched_then_replace(project_file, tmp_path, capsys):
    from gridtool.project import Project

    codes = Project.open(project_file).layers["grids"].gdf["code"].tolist()
    bad = write_xlsx(tmp_path / "网格员台账.xlsx", roster_rows(codes, duplicate=codes[1], unmatched="500101001009-01"),
                     title="测试镇网格员台账（2025年）", sheet="台账")
    before = project_file.read_bytes()
    assert main(["--lang", "both", "join", str(project_file), "--table", str(bad), "--on", "网格编码"]) == 2
    err = capsys.readouterr().err
    # Title row 1, header row 2: the second grid is on row 4, its duplicate on row 7.
    assert "重复" in err and codes[1] in err and "第 4、7 行" in err and "rows 4, 7" in err
    assert "解决办法" in err and "Fix" in err
    assert project_file.read_bytes() == before  # refused: the project is untouched

    good = write_xlsx(tmp_path / "台账改.xlsx", roster_rows(codes[:3], unmatched="500101001009-01"),
                      title="测试镇网格员台账（2025年）")
    assert main(["join", str(project_file), "--table", f"{good}:Sheet1", "--on", "网格编码"]) == 0
    out = capsys.readouterr().out
    assert "第 6 行 500101001009-01" in out  # the unmatched row, by the row number Excel shows
    assert "网格员→worker" in out and "联系电话→worker_phone" in out and codes[3] in out  # not in the table
    p = Project.open(project_file)
    g = p.layers["grids"].gdf.set_index("code")
    assert g.loc[codes[0], "worker"] == "张晓明" and g.loc[codes[2], "职务"] == "专职网格员"
    assert g.loc[codes[0], "worker_phone"] == "13912340000"  # a phone stays text, never 1.39e10
    assert pd.isna(g.loc[codes[3], "worker"])  # the 4th grid had 赵六 before; this roster does not name it
    assert p.layers["grids"].sensitive["worker"] == "name" and p.layers["grids"].sensitive["worker_phone"] == "phone"
    assert "序号" not in g.columns and "网格编码" not in g.columns
    assert p.parameters["joins"][-1]["rows_unmatched"] == [6]

    # Scores: a second table, numbers (one "缺考" reported); then the roster again with fewer grids.
    scores = write_xlsx(tmp_path / "得分.xlsx", [["网格编码", "考核得分"], [codes[0], 92], [codes[1], "缺考"],
                                                [codes[2], "58.5"], [codes[3], "77分"]])
    assert main(["join", str(project_file), "--table", str(scores), "--on", "网格编码"]) == 0
    out = capsys.readouterr().out
    assert "第 3 行 “缺考”" in out
    again = write_xlsx(tmp_path / "台账二.xlsx", [["网格编码", "网格员"], [codes[1], "周新"]])
    assert main(["join", str(project_file), "--table", str(again), "--on", "网格编码"]) == 0
    assert "2 个网格原有值" in capsys.readouterr().out  # codes[0] and codes[2] lost their worker, said so
    g = Project.open(project_file).layers["grids"].gdf.set_index("code")
    assert g["考核得分"].dtype.kind == "f"
    assert g.loc[codes[0], "考核得分"] == 92 and g.loc[codes[2], "考核得分"] == 58.5 and g.loc[codes[3], "考核得分"] == 77
    assert pd.isna(g.loc[codes[1], "考核得分"])
    assert g.loc[codes[1], "worker"] == "周新" and pd.isna(g.loc[codes[0], "worker"])
    assert not [c for c in g.columns if re.search(r"_(x|y)$", str(c))]
    assert g.loc[codes[0], "worker_phone"] == "13912340000"  # a column the second roster lacks stays


def test_join_subgrids_from_csv_and_errors(project_file, tmp_path, capsys):
    from gridtool.project import Project

    subs = Project.open(project_file).layers["subgrids"].gdf["code"].tolist()
    csv = tmp_path / "楼栋长.csv"
    csv.write_text("子网格楼栋长名单\n子网格编码,网格员,电话\n" + "".join(f"{c},楼长{i},1370000{i:04d}\n"
                                                               for i, c in enumerate(subs[:4])), encoding="gbk")
    assert main(["join", str(project_file), "--table", str(csv), "--on", "子网格编码"]) == 0
    assert "子网格" in capsys.readouterr().out
    s = Project.open(project_file).layers["subgrids"]
    assert s.gdf.set_index("code").loc[subs[2], "worker"] == "楼长2" and s.sensitive["worker_phone"] == "phone"

    cases = [(["--on", "编码"], ["没有列“编码”", "子网格编码", "网格员"]),
             (["--on", "子网格编码", "--columns", "网格员,职务"], ["职务", "现有列"]),
             (["--on", "网格员"], ["没有一个编码"])]
    for extra, words in cases:
        assert main(["join", str(project_file), "--table", str(csv), *extra]) == 2
        err = capsys.readouterr().err
        for w in words:
            assert w in err, (extra, w, err)
        assert "Traceback" not in err
    clash = write_xlsx(tmp_path / "clash.xlsx", [["网格编码", "status"], [subs[0][:15], "x"]])
    assert main(["join", str(project_file), "--table", str(clash), "--on", "网格编码"]) == 2
    assert "status" in capsys.readouterr().err


# -- ledger ---------------------------------------------------------------------------------------
def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_ledger_workbook_sheets_totals_masking_and_cells(tmp_path, capsys):
    from gridtool.maps.ledger import SHEETS, write_ledger_csv, write_ledger_xlsx
    from gridtool.partition.totals import household_totals

    p = make_project()
    hs = p.layers["households"].gdf
    hs["地址"] = [f"东方广场社区{(i % 3) + 1}组{(i * 7) % 20 + 1}号" for i in range(len(hs))]
    hs.loc[hs.index[0], "地址"] = '=HYPERLINK("http://x","点我")'
    hs.loc[hs.index[1], "grid"] = None  # a household in no grid
    hs.loc[hs.index[2:6], "grid"] = p.layers["special_grids"].gdf["code"].iat[0]
    t = household_totals(p)
    path = write_ledger_xlsx(p, tmp_path / "台账.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
        assert all(c.font.b for c in ws[1])
    grid_rows = _rows(wb["网格台账"])
    head = grid_rows[0]
    assert head[:13] == ["序号", "网格编码", "村（社区）", "乡镇（街道）", "户数", "楼栋数", "子网格数", "网格员", "联系电话",
                         "面积（平方千米）", "状态", "锁定", "备注"]
    body = grid_rows[1:1 + len(p.layers["grids"].gdf)]
    assert [r[1] for r in body] == sorted(p.layers["grids"].gdf["code"])
    assert body[0][7] == "赵*" and body[0][8] == "138****1234"  # the worker masked
    assert body[0][3] == "500101001"  # township from the 12-digit code, said in the notes
    total_row = grid_rows[1 + len(body)]
    # The grids' households as their households count them (the stored hh is stale here), so the
    # 合计 row says what the totals below it say.
    assert total_row[0] == "合计" and total_row[4] == t.in_grids != int(p.layers["grids"].gdf["hh"].sum())
    labels = {r[0]: r[4] for r in grid_rows if r[0]}
    assert labels["住户合计（导入）"] == t.imported
    assert (labels["其中：基础网格"], labels["其中：专属网格"], labels["其中：例外网格"], labels["其中：未划入网格"]) == \
        (t.base, t.special, t.exception, t.unassigned)
    # Columns wide enough for their text, area as a number with three decimals.
    ws = wb["网格台账"]
    assert ws.column_dimensions["B"].width >= 16 and ws["J2"].number_format == "0.000"

    hh_rows = _rows(wb["住户名单"])
    assert hh_rows[0][:6] == ["网格编码", "子网格编码", "走访序号", "户数", "地址", "户主"]
    body = [r for r in hh_rows[1:] if r[0] != "合计" and any(v is not None for v in r)]
    assert sum(r[3] for r in body) == t.imported == next(r[3] for r in hh_rows if r[0] == "合计")
    assert body[-1][0] is None and "未划入网格" in body[-1][9]  # the household in no grid comes last
    names = {r[5] for r in body}
    assert "张*丰" in names and "张三丰" not in names and not any(PHONE in str(r[6]) for r in body)
    # Sorted by grid, then sub-grid, then address in natural order (2号 before 10号).
    keys = [(r[0] or "\uffff", r[1] or "\uffff") for r in body]
    assert keys == sorted(keys)
    for (g, s), grp in pd.DataFrame(body).groupby([0, 1]):
        nums = [int(re.search(r"(\d+)组(\d+)号", a).group(1)) * 100 + int(re.search(r"(\d+)号", a).group(1))
                for a in grp[4] if a and "组" in a]
        assert nums == sorted(nums), (g, s)
    # Formula-like text from the data is a text cell, shown as typed.
    cell = next(c for row in wb["住户名单"].iter_rows() for c in row if c.value == '=HYPERLINK("http://x","点我")')
    assert cell.data_type == "s"
    probs = _rows(wb["例外与问题"])
    assert any(r[0] == "未划入网格的住户" and r[3] == t.unassigned for r in probs)
    assert not any(r[0] == "锁定网格超出户数范围" for r in probs)  # the locked grid (360) is within 300–500
    g = p.layers["grids"].gdf
    g.loc[g["locked"], "hh"] = 620  # a locked grid painted past its bounds
    from gridtool.maps.ledger import ledger_tables
    rows = ledger_tables(p).sheet("例外与问题").rows
    locked = [r for r in rows if r[0] == "锁定网格超出户数范围"]
    assert [r[1] for r in locked] == sorted(g.loc[g["locked"], "code"]) and "620 户" in locked[0][4]
    assert any(r[0] == "网格户数与住户不一致" for r in rows)  # stored 620 ≠ its households, said so

    # With --include-personal the names are there; the CSV set holds the same sheets.
    wb2 = openpyxl.load_workbook(write_ledger_xlsx(p, tmp_path / "全.xlsx", include_personal=True))
    assert "张三丰" in {r[5] for r in _rows(wb2["住户名单"])}
    paths = write_ledger_csv(p, tmp_path / "csv")
    assert [q.stem for q in paths] == list(SHEETS)
    df = pd.read_csv(tmp_path / "csv" / "住户名单.csv", encoding="utf-8-sig", dtype=str)
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in df["地址"].tolist()
    assert (tmp_path / "csv" / "网格台账.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_ledger_export_command_and_walking_order(tmp_path, capsys):
    from gridtool.maps.ledger import walking_order

    rng = np.random.default_rng(0)
    xy = rng.random((40, 2)) * 300
    order = walking_order(xy)
    assert sorted(order.tolist()) == list(range(40)) and (walking_order(xy) == order).all()
    length = np.hypot(*np.diff(xy[order], axis=0).T).sum()
    shuffled = np.hypot(*np.diff(xy[rng.permutation(40)], axis=0).T).sum()
    assert length < 0.4 * shuffled  # a path a worker can walk, not a random tour

    proj = make_project().save(tmp_path / "p.gpkg")
    assert main(["export", str(proj), "--ledger", str(tmp_path / "台账.xlsx"), "--ledger-csv", str(tmp_path / "csv")]) == 0
    out = capsys.readouterr().out
    assert "台账" in out and "住户" in out and "没有地址列" in out and "步行路线" in out
    assert (tmp_path / "台账.xlsx").exists() and (tmp_path / "csv" / "例外与问题.csv").exists()
    assert main(["export", str(proj), "--ledger", str(proj)]) == 2  # never over the project


# -- five-colour map ------------------------------------------------------------------------------
@needs_pdftotext
def test_assessment_legend_ranges_and_refusals(tmp_path, capsys):
    from gridtool.maps.assessment import AssessmentError, assessment_fills, render_assessment_map

    p = make_project()
    g = p.layers["grids"].gdf
    g["考核得分"] = [55.0, 72.0, 95.0, 61.0]
    pdf = render_assessment_map(p, tmp_path / "五色图.pdf", field="考核得分", breaks=[60, 70, 80, 90], size="A4")
    text = pdf_text(pdf)
    for s in ("红 <60 分 · 1 个", "橙 60–69 分 · 1 个", "黄 70–79 分 · 1 个", "蓝 80–89 分 · 0 个", "绿 ≥90 分 · 1 个"):
        assert s in text, s
    g["考核得分"] = [55.5, 72.0, 95.0, np.nan]
    _, legend, _ = assessment_fills(g, "考核得分", breaks=[60, 70, 80, 90])
    labels = [t for _, t in legend]
    assert labels[1] == "橙 60–<70 分 · 0 个" and labels[-1] == "未评 · 1 个"
    _, legend, _ = assessment_fills(g, "考核得分")  # quintiles: every rated grid in one class
    assert sum(int(re.search(r"(\d+) 个$", t).group(1)) for _, t in legend) == len(g)

    proj = p.save(tmp_path / "p.gpkg")
    for values, words in (([None] * 4, ["是空的", "考核得分"]), (["甲", "乙", "", None], ["甲", "没有可识别"])):
        g["考核得分"] = values
        with pytest.raises(AssessmentError):
            render_assessment_map(p, tmp_path / "x.pdf", field="考核得分")
        p.save(proj)
        assert main(["export", str(proj), "--assessment", "考核得分", "--assessment-out", str(tmp_path / "x.pdf")]) == 2
        err = capsys.readouterr().err
        for w in words + ["gridtool join", "worker", "polsby_popper"]:
            assert w in err, (w, err)
        assert not (tmp_path / "x.pdf").exists()
    assert main(["export", str(proj), "--assessment", "得分"]) == 2
    assert "现有字段" in capsys.readouterr().err
    g["考核得分"] = [55, 72, 95, 61]
    p.save(proj)
    assert main(["export", str(proj), "--assessment", "考核得分", "--breaks", "60,70"]) == 2
    assert "4 个阈值" in capsys.readouterr().err



def test_breaks_that_do_not_increase_are_refused_before_any_file_is_written(tmp_path, capsys):
    """--breaks is read before the map, ledger and wall map are made: a slip (90,80,70,60) costs the
    planner nothing, and leaves no half of the files asked for (it was said after they were written)."""
    p = make_project()
    p.layers["grids"].gdf["考核得分"] = [55.0, 72.0, 95.0, 61.0]
    proj = p.save(tmp_path / "p.gpkg")
    outs = {k: tmp_path / n for k, n in (("--html", "图.html"), ("--ledger", "台账.xlsx"), ("--pdf", "挂图.pdf"),
                                          ("--assessment-out", "五色图.pdf"))}
    args = ["export", str(proj), *[x for k, v in outs.items() for x in (k, str(v))], "--assessment", "考核得分"]
    assert main([*args, "--breaks", "90,80,70,60"]) == 2
    assert "从小到大" in capsys.readouterr().err
    assert not [v.name for v in outs.values() if v.exists()]
    assert main([*args, "--classes", "优=green"]) == 2  # --classes likewise
    assert not [v.name for v in outs.values() if v.exists()]

# -- the planner's walkthrough: one total in every output ------------------------------------------
@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Import → partition → join of a township with a special grid (a school), a village too small to
    split (an exception grid) and households outside every village, through the command line."""
    d = tmp_path_factory.mktemp("walk")
    layers = make_villages(n_villages=3, households=800, river=False, apartments=1, seed=3)
    hs = layers["households"]
    x = hs.geometry.representative_point().x.to_numpy()
    third = x > X0 + 2 * 1200
    keep = np.cumsum(np.where(third, hs["hh"].to_numpy(), 0)) <= 240
    hs = hs[~third | keep]
    outside = gpd.GeoDataFrame({"hh": [3, 2], "户主姓名": ["外某", "外某"], "src_id": ["x1", "x2"]},
                               geometry=[Point(X0 + 100, Y0 - 200), Point(X0 + 2000, Y0 - 300)], crs=GK108)
    hs = gpd.GeoDataFrame(pd.concat([hs, outside], ignore_index=True), crs=GK108).drop(columns="src_id")
    # A school around the densest cluster of village 1.
    pts = hs[hs.geometry.geom_type == "Point"]
    v1 = pts[pts.geometry.x < X0 + 1200]
    xy = np.column_stack([v1.geometry.x, v1.geometry.y])
    dense = xy[np.argmax((np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) < 40).sum(axis=1))]
    places = gpd.GeoDataFrame({"name": ["实验小学"], "category": ["学校"]},
                              geometry=[box(dense[0] - 45, dense[1] - 45, dense[0] + 45, dense[1] + 45)], crs=GK108)
    src = d / "乡镇.gpkg"
    for role, gdf in (("households", hs), ("villages", layers["villages"]), ("roads", layers["roads"]),
                      ("places", places)):
        gdf.to_file(src, layer=role, driver="GPKG")
    proj = d / "项目.gpkg"
    assert main(["import", "--households", f"{src}:households", "--villages", f"{src}:villages", "--roads",
                 f"{src}:roads", "--places", f"{src}:places", "--out", str(proj)]) == 0
    return {"dir": d, "project": proj, "imported": int(hs["hh"].sum())}


def test_the_summary_per_village_adds_up_to_the_households_imported(planned):
    """One total in the summary too: its table of villages ends with the households outside every
    village and the total imported (they went missing from it: the rows fell 5 short of the
    layer's figure), and counts whole households per feature as every output does (ten buildings
    of 2.4 households are 20, as in the ledger, not 24)."""
    from gridtool.partition.summary import summary_markdown, village_totals
    from gridtool.partition.totals import household_totals
    from gridtool.project import Project

    p = Project.open(planned["project"])
    hs = p.layers["households"].gdf
    hs["hh"] = hs["hh"].astype(float)
    hs.loc[hs.index[:10], "hh"] = 2.4
    t = household_totals(p)
    vt = village_totals(p)
    assert int(vt["households"].sum()) + 5 == t.imported  # the two households outside: 3 + 2
    md = summary_markdown(p, vt, lang="zh")
    assert "| 不在任何村（社区）内 |  | 5 | — | 未划入网格 |" in md and f"| 合计 |  | {t.imported:,} |  |  |" in md
    assert f"| 住户 | {len(hs):,} | {t.imported:,} |" in md


@needs_pdftotext
def test_one_household_total_in_every_output(planned, capsys):
    from gridtool.partition.totals import household_totals
    from gridtool.project import Project

    d, proj, imported = planned["dir"], planned["project"], planned["imported"]
    capsys.readouterr()
    assert main(["partition", str(proj), "--out", str(proj), "--report", str(d / "report.json"), "--quiet"]) == 0
    console = capsys.readouterr().out
    t = household_totals(Project.open(proj))
    assert t.imported == imported
    assert t.special > 0 and t.exception > 0 and t.unassigned == 5 and t.base > 0, t
    text = t.text_zh()
    assert text in console  # the partition summary names the special grids' households too
    report = json.loads((d / "report.json").read_text(encoding="utf-8"))
    assert {k: report["totals"][k] for k in ("imported", "base", "special", "exception", "unassigned")} == \
        {"imported": imported, "base": t.base, "special": t.special, "exception": t.exception, "unassigned": 5}

    codes = Project.open(proj).layers["grids"].gdf["code"].tolist()
    write_xlsx(d / "网格员台账.xlsx", roster_rows(codes[1:], duplicate=codes[1], unmatched="500101001009-01"),
               title="网格员台账")
    assert main(["join", str(proj), "--table", str(d / "网格员台账.xlsx"), "--on", "网格编码"]) == 2
    write_xlsx(d / "网格员台账.xlsx", roster_rows(codes[1:], unmatched="500101001009-01"), title="网格员台账")
    assert main(["join", str(proj), "--table", str(d / "网格员台账.xlsx"), "--on", "网格编码"]) == 0
    scores = [["网格编码", "考核得分"]] + [[c, 50 + 9 * i] for i, c in enumerate(codes)]
    write_xlsx(d / "考核得分.xlsx", scores, title="网格考核得分")
    assert main(["join", str(proj), "--table", str(d / "考核得分.xlsx"), "--on", "网格编码"]) == 0
    capsys.readouterr()
    assert household_totals(Project.open(proj)) == t  # joins never touch households

    assert main(["export", str(proj), "--pdf", str(d / "挂图.pdf"), "--atlas", str(d / "图册.pdf"),
                 "--assessment", "考核得分", "--breaks", "60,70,80,90", "--assessment-out", str(d / "五色图.pdf"),
                 "--html", str(d / "网格图.html"), "--ledger", str(d / "台账.xlsx"), "--quiet"]) == 0
    assert text in capsys.readouterr().out
    head = f"住户 {imported:,} 户"
    for name in ("挂图.pdf", "五色图.pdf"):
        txt = pdf_text(d / name)
        assert head in txt, name
        for label, v in (("其中基础网格", t.base), ("专属网格", t.special), ("例外网格", t.exception),
                         ("未划入网格", t.unassigned)):
            assert f"{label} {v:,} 户" in txt, (name, label)
    cover = pdf_text(d / "图册.pdf").split("\f")[0]
    assert text in cover.replace("\n", " ")
    assert text in html_text(d / "网格图.html")
    wb = openpyxl.load_workbook(d / "台账.xlsx")
    labels = {r[0]: r[4] for r in _rows(wb["网格台账"]) if r[0]}
    assert labels["住户合计（导入）"] == imported
    assert labels["其中：专属网格"] == t.special and labels["其中：未划入网格"] == 5
    hh_total = next(r[3] for r in _rows(wb["住户名单"]) if r[0] == "合计")
    assert hh_total == imported
    sp_total = next(r[5] for r in _rows(wb["专属网格"]) if r[0] == "合计")
    assert sp_total == t.special
    kinds = {r[0] for r in _rows(wb["例外与问题"])}
    assert {"无法划分的村（社区）", "未划入网格的住户"} <= kinds
    five = pdf_text(d / "五色图.pdf")
    assert "红 <60 分 · 2 个" in five  # 50 and 59
    assert "网格员" in _rows(wb["网格台账"])[0] and any(r[7] and "*" in r[7] for r in _rows(wb["网格台账"])[1:])



# -- buildings: one count per level -----------------------------------------------------------------
def _building_sums(wb):
    """Per grid: its 楼栋数 on the grid sheet and the sum of its sub-grids' 楼栋数; the 合计 rows."""
    grid_rows, sub_rows = _rows(wb["网格台账"]), _rows(wb["子网格"])
    gh, sh = grid_rows[0], sub_rows[0]
    per_grid = {r[1]: r[gh.index("楼栋数")] for r in grid_rows[1:] if isinstance(r[0], int)}
    per_sub: dict[str, int] = {}
    for r in sub_rows[1:]:
        if isinstance(r[0], int):
            per_sub[r[2]] = per_sub.get(r[2], 0) + r[sh.index("楼栋数")]
    totals = (next(r[gh.index("楼栋数")] for r in grid_rows if r[0] == "合计"),
              next(r[sh.index("楼栋数")] for r in sub_rows if r[0] == "合计"))
    return per_grid, per_sub, totals


@needs_pdftotext
def test_ledger_counts_a_divided_building_once_in_grid_and_subgrid(tmp_path, capsys):
    """Apartment blocks of 50–120 households are divided between sub-grids of about 30: each block
    counts in one sub-grid's 楼栋数 only (the one holding most of it), so a grid's sub-grids add up
    to the grid, both 合计 rows agree with the buildings imported, and 跨子网格楼栋 shows the split
    blocks. The atlas roster prints the same figures. Projects saved before ``subgrid_parts`` agree too."""
    from gridtool.maps.ledger import write_ledger_xlsx
    from gridtool.project import Project

    layers = make_villages(n_villages=2, households=900, river=False, apartments=2, seed=5)
    src = tmp_path / "乡镇.gpkg"
    for role in ("households", "villages", "roads"):
        layers[role].to_file(src, layer=role, driver="GPKG")
    proj = tmp_path / "项目.gpkg"
    assert main(["import", "--households", f"{src}:households", "--villages", f"{src}:villages", "--roads",
                 f"{src}:roads", "--out", str(proj), "--quiet"]) == 0
    assert main(["partition", str(proj), "--out", str(proj), "--quiet"]) == 0
    hs = Project.open(proj).layers["households"].gdf
    divided = hs[hs["subgrid_parts"].fillna("") != ""]
    assert len(divided) >= 2  # the apartment blocks, each in several sub-grids
    for code, parts in zip(divided["subgrid"], divided["subgrid_parts"]):
        shares = dict(p.rsplit(":", 1) for p in parts.split(";"))
        assert int(shares[code]) == max(int(v) for v in shares.values())  # held where most of it lives
    code = Project.open(proj).layers["grids"].gdf["code"].iat[0]
    assert main(["export", str(proj), "--ledger", str(tmp_path / "台账.xlsx"), "--atlas", str(tmp_path / "图册.pdf"),
                 "--atlas-grids", code, "--quiet"]) == 0
    capsys.readouterr()
    wb = openpyxl.load_workbook(tmp_path / "台账.xlsx")
    per_grid, per_sub, (grid_total, sub_total) = _building_sums(wb)
    assert per_sub == {g: n for g, n in per_grid.items() if g in per_sub} and set(per_sub) == set(per_grid)
    assert grid_total == sub_total == sum(per_grid.values())
    labels = {r[0]: r[5] for r in _rows(wb["网格台账"]) if r[0]}
    assert labels["住户合计（导入）"] == len(hs)
    assert sum(labels[f"其中：{k}"] for k in ("基础网格", "专属网格", "例外网格", "未划入网格")) == len(hs)
    assert labels["其中：基础网格"] + labels["其中：例外网格"] == grid_total
    sub_rows = _rows(wb["子网格"])
    shared = sub_rows[0].index("跨子网格楼栋")
    assert sum(1 for r in sub_rows[1:] if isinstance(r[0], int) and r[shared]) >= 2 * len(divided) - 1
    assert next(r[shared] for r in sub_rows if r[0] == "合计") == len(divided)
    assert any(r[0] == "说明" and "住户最多的子网格" in r[11] for r in sub_rows)
    # The household list gives each sub-grid's worker its part of a divided block: per sub-grid, the
    # list's 户数 are the sub-grid sheet's.
    listed: dict[str, int] = {}
    for r in _rows(wb["住户名单"])[1:]:
        if r[1] and r[0] != "合计":
            listed[r[1]] = listed.get(r[1], 0) + r[3]
    assert listed == {r[1]: r[4] for r in sub_rows[1:] if isinstance(r[0], int)}
    # The HTML map's totals per sub-grid (a township's many households): the same 户数 and 楼栋数.
    from gridtool.maps.html import build_html

    page = build_html(Project.open(proj), max_household_points=10).html
    data = [json.loads(m.group(1)) for m in re.finditer(r"gridtool\.addLayer\(\w+, \w+, (.*?)\);\n", page)]
    cols = next(d["cols"] for d in data if "n" in d["cols"] and "k" in d["cols"])
    on_map = {k: (int(h), int(n)) for k, h, n in zip(cols["k"], cols["hh"], cols["n"]) if k != "—"}
    assert on_map == {r[1]: (r[4], r[5]) for r in sub_rows[1:] if isinstance(r[0], int)}
    # The atlas page of the grid: the roster's 楼栋数 as the sub-grid sheet states them, and the grid's.
    atlas = pdf_text(tmp_path / "图册.pdf")
    assert f"楼栋 {per_grid[code]} 栋" in atlas
    ours = {r[1]: r[5] for r in sub_rows[1:] if isinstance(r[0], int) and r[2] == code}
    printed = dict(re.findall(rf"^({re.escape(code)}-\d+)\s+\d+\s+\S+\s+(\d+)", pdf_text_layout(tmp_path / "图册.pdf"),
                              re.M))
    assert {k: int(v) for k, v in printed.items()} == ours

    # A project saved before subgrid_parts: the sub-grids' apartment parts say where the blocks are.
    p = Project.open(proj)
    p.layers["households"].gdf = p.layers["households"].gdf.drop(columns="subgrid_parts")
    old = openpyxl.load_workbook(write_ledger_xlsx(p, tmp_path / "旧.xlsx"))
    per_grid_old, per_sub_old, totals_old = _building_sums(old)
    assert per_grid_old == per_grid and per_sub_old == {g: n for g, n in per_grid.items() if g in per_sub_old}
    assert totals_old == (grid_total, sub_total)


def pdf_text_layout(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@needs_pdftotext
def test_one_grid_count_in_every_output(planned, capsys):
    """A plan with an exception grid: every output splits the grids layer as the totals do
    (基础网格 N 个、例外网格 M 个) — the export summary, the HTML map (title, layer name, legend,
    popups), the GeoPackage's layer description, the ledger's 合计 row, the wall map, atlas and
    five-colour map, and the project summary; none counts N + M base grids."""
    import sqlite3

    from gridtool.partition.summary import summary_markdown
    from gridtool.partition.totals import household_totals
    from gridtool.project import Project

    d = planned["dir"]
    plan = d / "一格例外.gpkg"
    assert main(["partition", str(planned["project"]), "--out", str(plan), "--quiet"]) == 0
    t = household_totals(Project.open(plan))
    n, m = t.base_grids, t.exception_grids
    assert n > 0 and m > 0 and t.exception > 0
    capsys.readouterr()
    out = d / "grids"
    assert main(["export", str(plan), "--html", str(out / "图.html"), "--gpkg", str(out / "网格.gpkg"),
                 "--kml", str(out / "网格.kml"), "--ledger", str(out / "台账.xlsx"), "--pdf", str(out / "挂图.pdf"),
                 "--atlas", str(out / "图册.pdf"), "--assessment", "hh", "--assessment-out", str(out / "五色图.pdf"),
                 "--quiet"]) == 0
    console = capsys.readouterr().out
    split = f"基础网格 {n}、例外网格 {m}"
    for what in ("网页地图", "GeoPackage", "KML"):
        assert f"{what}：{split}、" in console, (what, console)
    assert f"基础网格 {n + m}" not in console

    html = (out / "图.html").read_text(encoding="utf-8")
    assert t.grids_zh() in html_text(out / "图.html") and "基础网格、例外网格（相邻不同色）" in html
    control = [json.loads(f'"{s}"') for s in re.findall(r'"((?:[^"\\]|\\.)*)" : feature_group_', html)]
    assert "基础网格、例外网格" in control
    popups = next(json.loads(a) for a in re.findall(r'"kind":(\[[^\]]*\])', html) if "基础网格" in a)
    assert popups.count("例外网格") == m and popups.count("基础网格") == n

    kml = (out / "网格.kml").read_text(encoding="utf-8")
    grid_folder = kml.split("<name>基础网格 grids</name>", 1)[1].split("</Folder>", 1)[0]
    assert grid_folder.count("<br>例外网格<br>") == m  # the balloon of an exception grid says so

    with sqlite3.connect(out / "网格.gpkg") as con:
        about = dict(con.execute("select table_name, description from gpkg_contents"))
    assert about["grids"] == f"{t.grids_zh()}；{t.text_zh()}"

    wb = openpyxl.load_workbook(out / "台账.xlsx")
    total_row = next(r for r in _rows(wb["网格台账"]) if r[0] == "合计")
    assert total_row[1] == t.grids_zh() and total_row[4] == t.base + t.exception

    for name in ("挂图.pdf", "五色图.pdf"):
        text = pdf_text(out / name)
        assert t.grids_zh() in text and f"基础网格 {n + m} 个" not in text, name
    assert t.grids_zh() in pdf_text(out / "图册.pdf").split("\f")[0]
    g = Project.open(plan).layers["grids"].gdf
    some = [g.loc[g["status"] == "exception", "code"].iat[0], g.loc[g["status"] != "exception", "code"].iat[0]]
    assert main(["export", str(plan), "--atlas", str(out / "两格.pdf"), "--atlas-grids", ",".join(some), "--quiet"]) == 0
    assert "本册基础网格 1 个、例外网格 1 个" in pdf_text(out / "两格.pdf").split("\f")[0]

    md = summary_markdown(Project.open(plan), None, lang="zh")
    assert f"| 基础网格 | {n:,} | {t.base:,} |" in md and f"| 例外网格 | {m:,} | {t.exception:,} |" in md


@pytest.mark.parametrize("header", ["联系方式", "字段9"])
def test_household_list_shows_the_phone_column_import_flagged(header):
    """A roster's phone under 联系方式, or under a header that says nothing (字段9, found by its values at
    import), is the householder's phone: the household list shows it masked (the column was empty),
    in full with include_personal."""
    from gridtool.maps.ledger import ledger_tables
    p = make_project()
    lyr = p.layers["households"]
    lyr.gdf = lyr.gdf.rename(columns={"联系电话": header})
    lyr.sensitive = {(header if c == "联系电话" else c): k for c, k in lyr.sensitive.items()}
    for personal, want in ((False, PHONE[:3] + "****" + PHONE[-4:]), (True, PHONE)):
        sheet = ledger_tables(p, include_personal=personal).sheet("住户名单")
        col = sheet.columns.index("联系电话")
        phones = {r[col] for r in sheet.rows if r[0] is not None}
        assert phones == {want}, phones


def test_a_plan_without_problems_lists_none_and_counts_no_row(tmp_path, capsys):
    """The Nanjing sample has no exception grid and no household outside a grid (sub-grids left out):
    the 例外与问题
    sheet says 没有例外或问题 below its header, and the console counts 0 rows there (it said 1, the
    note counted as a row)."""
    from openpyxl import load_workbook

    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="玄武")
    partition_project(p, corridor_width=0, subgrids=False)  # (two sub-grids of 8 and 18 would be problems)
    proj = p.save(tmp_path / "p.gpkg")
    capsys.readouterr()
    assert main(["export", str(proj), "--ledger", str(tmp_path / "台账.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "例外与问题 0 行" in out
    cells = [c for row in _rows(load_workbook(tmp_path / "台账.xlsx")["例外与问题"]) for c in row if c]
    assert "没有例外或问题" in cells
