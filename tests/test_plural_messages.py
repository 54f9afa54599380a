"""English messages built from a count read right for one and for several (round 29): before, the
validation said "1 household feature(s) have a count of 0", the CAD reader "1 closed polyline(s)",
a sealing error "station(s) 湖心警务室 have no usable road". The Chinese text is unchanged."""

from __future__ import annotations

import re

import pandas as pd

from gridtool.code_digits import short_codes_warning
from gridtool.io.dxf import _counts_text
from gridtool.project import Project
from gridtool.validate import validate

from .corpus import data as D


def _zero_counts(tmp_path, rows: list[int]):
    """The ``hh_zero`` warning of the sample roster with 户数 0 in ``rows``."""
    tmp_path.mkdir()
    r = D.roster().copy()
    r.loc[rows, "户数"] = 0
    (tmp_path / "花名册.csv").write_bytes(D.csv_bytes(r))
    villages = D.write_vector(D.villages_gdf(), tmp_path / "villages.geojson")
    project = Project.from_sources({"households": str(tmp_path / "花名册.csv"), "villages": str(villages)})
    return next(p for p in validate(project) if p.code == "hh_zero")


def test_one_and_several_household_features_with_no_households(tmp_path):
    one = _zero_counts(tmp_path / "a", [4])
    assert one.en.startswith("1 household feature has a count of 0")
    assert one.zh.startswith("1 个住户要素的户数为 0")  # the Chinese as before
    three = _zero_counts(tmp_path / "b", [4, 7, 9])
    assert three.en.startswith("3 household features have a count of 0")
    assert "(s)" not in one.en + three.en


def test_short_codes_are_counted_in_the_singular_and_the_plural():
    codes = ["500101001001"] * 8 + ["50010100100"]
    ids = pd.Series([f"row {i + 2}" for i in range(len(codes))])
    one = short_codes_warning(pd.Series(codes), column="村代码", ids=ids, what_zh="村代码", what_en="village code",
                              where={})
    assert "1 village code in column '村代码' is shorter than the 12 digits" in one.en
    two = short_codes_warning(pd.Series(codes + ["5001010010"]), column="村代码",
                              ids=pd.Series([f"row {i + 2}" for i in range(len(codes) + 1)]),
                              what_zh="村代码", what_en="village code", where={})
    assert "2 village codes in column '村代码' are shorter" in two.en


def test_cad_entity_counts():
    assert _counts_text({"closed": 1, "text": 3}, "en") == "3 texts, 1 closed polyline"
    assert _counts_text({"area": 2, "paper": 1}, "en") == "2 hatch/solid fills, 1 paper-space (layout) entity"
    assert _counts_text({"closed": 1, "text": 3}, "zh") == "文字 3 个、闭合线 1 个"


def _incidents(tmp_path, calls: list[str]):
    """The incidents layer of a sheet of ``calls`` (序号,编号,时间,类别,地址,经度,纬度) with one household
    at 中山路13号, where the calls without coordinates there are placed."""
    lon, lat = 118.79, 32.05
    tmp_path.mkdir()
    (tmp_path / "住户.csv").write_text(f"户主,地址,户数,经度,纬度\n王明,中山路13号,1,{lon},{lat}\n", encoding="utf-8")
    (tmp_path / "警情.csv").write_text(
        "序号,案件编号,报警时间,警情类别,发案地址,经度,纬度\n"
        f"1,J101,2024-03-05 21:30,治安-盗窃,中山路13号楼下空地,{lon},{lat}\n" + "\n".join(calls) + "\n",
        encoding="utf-8")
    project = Project.from_sources({"incidents": str(tmp_path / "警情.csv"),
                                    "households": str(tmp_path / "住户.csv")})
    return {p.code: p for p in project.layers["incidents"].problems}


def test_counts_said_again_for_the_rows_left_agree_in_english(tmp_path):
    """Before (round 30): rows placed by address left the not-placed warning and its leading number
    was rewritten, so 3 rows became "1 rows with empty or non-numeric coordinates were skipped";
    a placed row merged with its twin left "1 incidents without coordinates placed by address"."""
    left = _incidents(tmp_path / "a", ["2,J102,2024-03-05 23:00,治安,中山路13号,,",
                                       "3,J103,2024-03-06 09:00,治安,中山路13号,,",
                                       "4,J104,2024-03-06 10:00,刑事,人民路1号,,"])
    assert left["bad_coordinates"].features == ["row 5"]
    assert left["bad_coordinates"].en == "1 row with empty or non-numeric coordinates was skipped"
    assert left["bad_coordinates"].zh == "1 行坐标为空或不是数字，已跳过"
    assert left["placed_by_address"].en.startswith("2 incidents without coordinates placed by address")

    merged = _incidents(tmp_path / "b", ["2,J101,2024-03-05 21:30,治安-盗窃,中山路13号,,",  # J101's twin
                                         "3,J103,2024-03-06 09:00,治安,中山路13号,,"])
    assert merged["placed_by_address"].features == ["row 4"]
    assert merged["placed_by_address"].en.startswith("1 incident without coordinates placed by address")
    assert merged["placed_by_address"].zh.startswith("1 条警情没有坐标")


def test_recount_changes_the_number_and_its_noun_only():
    from gridtool.plurals import recount_en
    assert recount_en("3 incidents without coordinates", 1, "incident") == "1 incident without coordinates"
    assert recount_en("1 incident placed", 1204, "incident") == "1,204 incidents placed"
    assert recount_en("incidents: 3 placed", 1, "incident") == "incidents: 3 placed"  # no leading count


# -- every English count in the code agrees with its noun (round 30) ---------------------------------
# Before: about 80 f-strings wrote a number straight before a plural noun, so the partition's notes,
# the redraw and report lines and many errors read "1 households", "1 grids", "1 villages". They go
# through count_en now; this scan keeps new ones from coming back.

_COUNTED = ("households|grids|sub-grids|villages|rows|features|buildings|incidents|calls|stations|exits|posts|"
            "roads|lines|points|chunks|codes|places|teams|stops|parts|pieces|cells|columns|sheets|files|"
            "layers|values|names|polygons|sites|walkers|records|shapes|members|officers|vehicles|streets|"
            "digits|people|persons|entities|areas|communities|addresses|fields|items")
#: A plural noun right after a value, not a role name (``--crs-in households=gcj02``).
_NOUN_AFTER = __import__("re").compile(rf"^\s+({_COUNTED})\b(?!=|\.\w)")
#: Values before such a noun that are no count (file, expression, why).
_NOT_COUNTS = {("gridtool/lineclasses.py", "col")}  # "{col} codes read as …": a column's name


def _bare_counts() -> list[str]:
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted((root / "gridtool").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for before, value, after in zip([None, *node.values], node.values, [*node.values[1:], None]):
                if not (isinstance(value, ast.FormattedValue) and isinstance(after, ast.Constant)
                        and isinstance(after.value, str) and _NOUN_AFTER.match(after.value)):
                    continue
                expr = ast.unparse(value.value)
                spec = ast.unparse(value.format_spec) if value.format_spec else ""
                if (isinstance(value.value, ast.Constant) or "plural_en(" in expr
                        or (rel, expr) in _NOT_COUNTS
                        or re.search(r"\.[1-9]", spec)  # "1.0 households on average" is plural English
                        or (isinstance(before, ast.Constant) and str(before.value).endswith(("-", "–")))):  # a range
                    continue
                found.append(f"{rel}:{after.lineno}: {{{expr}}}{after.value[:30]!r}")
    return found


def test_no_count_is_written_straight_before_a_plural_noun():
    assert _bare_counts() == [], "use count_en(n, 'word') so that one reads '1 word':\n" + "\n".join(_bare_counts())


def test_partition_redraw_and_report_words_for_one():
    from gridtool.maps.plan_words import note_zh
    from gridtool.partition.locked_subgrids import locked_subgrid_lines
    from gridtool.partition.new_in_locked import joined_lines
    from gridtool.partition.redraw_words import redraw_lines
    from gridtool.partition.report import remedy_options
    from gridtool.partition.totals import HouseholdTotals

    v = {"households": 1, "remedies": {"merge": [{"village": "新华村", "households": 1, "grids": 1}]}}
    assert remedy_options(v, "en") == "keep as one exceptional grid of 1 household; merge with 新华村 (1 household, 1 grid)"
    assert remedy_options(v, "zh") == "保留为一个例外网格（1 户）；与 新华村 合并（共 1 户，1 个网格）"
    assert HouseholdTotals(imported=1).text_en() == "1 household"
    assert HouseholdTotals(imported=1204).text_en() == "1,204 households"
    # the grid note written by the engine for a locked grid of one household still reads in Chinese
    assert note_zh("locked, 1 household outside 300-500") == "已锁定，1 户超出 300–500 户"

    _, en = joined_lines([{"locked": "G-01", "households": 1, "hh": 1, "max_hh": 500, "buildings": ["row 3"]}])[0]
    assert "G-01: 1 new household inside it" in en and "(outline kept; 1 household now)" in en
    lines = locked_subgrid_lines([{"grid": "G-01", "bounds": (20, 40), "subgrids": 0, "codes": {}, "outside": [],
                                   "changed": [], "joined": {}, "retired": [{"code": "G-01-01", "into": ""}]}])
    assert "its 1 sub-grid code is retired" in lines[0][1]
    r = {"households_moved": 1, "households_total": 1, "grids_changed": 1, "codes_kept": 1, "codes_new": 0,
         "codes_retired": 0, "households_new": 0, "households_no_village": 1, "households_inside_locked": 1,
         "features_snapped": 1, "households_snapped": 1, "snap_m": 5, "features_by_overlap": 1,
         "features_divided": 1, "households_divided": 1, "features_whole_by_count": 1, "households_whole_by_count": 1}
    en = "\n".join(e for _, e in redraw_lines(r, {}))
    assert "1 building on the border of two previous grids was divided between them by the previous grids' " \
           "household counts (1 household to the neighbouring grid)" in en
    assert "1 building on the border of two previous grids was put whole in the neighbouring grid by the previous " \
           "grids' household counts (1 household)" in en
    assert "redraw: 1 of the 1 household of base" in en
    assert "note: 1 household in a grid in the previous plan is still on the roster" in en
    assert "note: 1 household lies inside locked grids but was in unlocked grids" in en
    assert "note: 1 household (1 feature) lay in no previous grid polygon and was put" in en
    assert "1 building across a previous grid's edge was put" in en
    assert "1 household in a grid in the previous plan is still on the roster but lies in no village" in en
    assert "it stays there (unlock the grid and redraw to take it in)" in en
