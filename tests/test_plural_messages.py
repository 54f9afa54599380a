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
