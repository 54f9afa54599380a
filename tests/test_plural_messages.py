"""English messages built from a count read right for one and for several (round 29): before, the
validation said "1 household feature(s) have a count of 0", the CAD reader "1 closed polyline(s)",
a sealing error "station(s) 湖心警务室 have no usable road". The Chinese text is unchanged."""

from __future__ import annotations

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
