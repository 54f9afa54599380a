"""Validation of what makes household counts wrong (issue 15, item 4): duplicate ID numbers,
duplicate rows, a roster pasted more than once (named by spreadsheet rows), absurd and non-finite
counts, villages of millions; and the partition refusing to run on them (exit 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from gridtool import limits
from gridtool.cli import main
from gridtool.partition.engine import GridPartitioner
from gridtool.project import Project
from gridtool.validate import BlockingDataError, partition_blockers, validate

from .corpus import data as D


def _project(tmp_path, roster: pd.DataFrame, name: str = "花名册.csv") -> Project:
    csv = tmp_path / name
    csv.write_bytes(D.csv_bytes(roster))
    villages = D.write_vector(D.villages_gdf(), tmp_path / "villages.geojson")
    return Project.from_sources({"households": str(csv), "villages": str(villages)})


def _codes(problems):
    return {p.code: p for p in problems}


def test_clean_roster_has_no_blockers(tmp_path):
    project = _project(tmp_path, D.roster())
    assert partition_blockers(project) == []
    assert not [p for p in validate(project) if p.severity == "error"]


def test_roster_pasted_three_times_names_the_rows_and_stops_the_partition(tmp_path, capsys):
    r = D.roster()
    project = _project(tmp_path, pd.concat([r, r, r], ignore_index=True))
    got = _codes(validate(project))
    p = got["roster_repeated"]
    assert p.severity == "error"
    # Spreadsheet rows: the header is row 1, the first paste rows 2–301.
    assert "302–601" in p.zh and "602–901" in p.zh and "2–301" in p.zh
    assert "rows 302–601 repeat rows 2–301" in p.en and "pasted 3 times" in p.en
    assert f"{2 * D.TOTAL_HH:,}" in p.zh  # the households that would be counted again
    assert p.features[0] == "row 302" and len(p.features) == 600
    assert "duplicate_id" not in got  # the ID numbers repeat because the rows do: said once
    with pytest.raises(BlockingDataError) as info:
        GridPartitioner(min_hh=100, max_hh=250).fit(project)
    msg = str(info.value)
    assert "花名册.csv" in msg and "302–601" in msg and "Fix:" in msg and "解决办法" in msg
    # The command line: validate exits 1 naming the rows, partition exits 2, nothing written.
    out = tmp_path / "p.gpkg"
    project.save(out)
    assert main(["--lang", "both", "validate", str(out)]) == 1
    assert "302–601" in capsys.readouterr().out
    assert main(["--lang", "both", "partition", str(out), "--out", str(tmp_path / "g.gpkg"), "--quiet"]) == 2
    assert "302–601" in capsys.readouterr().err and not (tmp_path / "g.gpkg").exists()


def test_identical_and_scattered_rows(tmp_path):
    r = D.roster()
    rows = pd.concat([r.iloc[:100], pd.DataFrame([r.iloc[100]] * 400), r.iloc[[3, 50]]], ignore_index=True)
    got = _codes(validate(_project(tmp_path, rows)))
    assert "roster_repeated" not in got
    p = got["duplicate_rows"]
    assert p.severity == "error" and "401 行" in p.zh and "401 rows are exact copies" in p.en
    assert "row 102 repeated 399 times (rows 103–501)" in p.en and "row 502 = row 5" in p.en and "row 503 = row 52" in p.en
    # A real apartment block given row by row, identical rows and all: the user may say so.
    with limits.override(duplicates="warning"):
        project = _project(tmp_path, rows)
        assert _codes(validate(project))["duplicate_rows"].severity == "warning"
        assert partition_blockers(project) == []


def test_duplicate_id_numbers_on_different_rows(tmp_path):
    r = D.roster().copy()
    r.loc[[10, 20], "身份证号"] = r.loc[5, "身份证号"]
    project = _project(tmp_path, r)
    p = _codes(validate(project))["duplicate_id"]
    assert p.field == "身份证号" and set(p.features) == {"row 7", "row 12", "row 22"} and p.severity == "error"
    assert [b.code for b in partition_blockers(project)] == ["duplicate_id"]


@pytest.mark.parametrize("value, code", [("inf", "hh_not_finite"), ("-inf", "hh_not_finite"),
                                         ("1e400", "hh_not_finite"), (1e12, "hh_absurd"), ("NaN", "hh_not_numeric"),
                                         (-3, "hh_not_positive")])
def test_absurd_and_non_finite_counts_are_errors_that_stop_the_partition(tmp_path, value, code):
    r = D.roster().copy()
    r["户数"] = r["户数"].astype(object)
    r.at[4, "户数"] = value
    project = _project(tmp_path, r)
    if code in ("hh_not_finite", "hh_not_numeric"):
        assert project.layers["households"].total_households <= D.TOTAL_HH  # inf/NaN never reach a total
    p = _codes(validate(project))[code]
    assert p.severity == "error" and p.features == ["row 6"] and p.field == "户数"
    assert code in [b.code for b in partition_blockers(project)]
    with pytest.raises(BlockingDataError):
        GridPartitioner(min_hh=100, max_hh=250).fit(project)


def test_zero_counts_warn_but_do_not_block(tmp_path):
    r = D.roster().copy()
    r.at[4, "户数"] = 0
    project = _project(tmp_path, r)
    p = _codes(validate(project))["hh_zero"]
    assert p.severity == "warning" and p.features == ["row 6"]
    assert partition_blockers(project) == []


def test_limits_per_point_and_per_village_are_configurable(tmp_path):
    r = D.roster().copy()
    r["户数"] = 600  # 180,000 households in three villages of about 60,000
    project = _project(tmp_path, r)
    assert partition_blockers(project) == []
    with limits.override(hh_per_point=500):
        assert [b.code for b in partition_blockers(project)] == ["hh_absurd"]
    with limits.override(hh_per_village=50_000):
        blockers = partition_blockers(project)
        assert [b.code for b in blockers] == ["village_too_large"] and "花名册.csv" in blockers[0].zh


def test_the_engine_refuses_dict_layers_too(tmp_path):
    """The API without a project (layers as GeoDataFrames) is held to the same rules."""
    r = D.roster()
    project = _project(tmp_path, pd.concat([r, r], ignore_index=True))
    layers = {role: lyr.gdf for role, lyr in project.layers.items()}
    with pytest.raises(BlockingDataError):
        GridPartitioner(min_hh=100, max_hh=250).fit(layers)


def test_the_engine_names_a_village_over_the_limit(tmp_path):
    """The fit hands the check its own household points (made once): the village that holds too
    many households is still found and named, for a project and for bare layers alike."""
    r = D.roster().copy()
    r["户数"] = 600
    project = _project(tmp_path, r)
    layers = {role: lyr.gdf for role, lyr in project.layers.items()}
    with limits.override(hh_per_village=50_000):
        blockers = partition_blockers(project)
        assert [b.code for b in blockers] == ["village_too_large"]
        # the villages over the limit and their households, as the check names them
        line = blockers[0].format("zh").splitlines()[0].split("；")[0]
        for data in (project, layers):
            with pytest.raises(BlockingDataError) as err:
                GridPartitioner(min_hh=100, max_hh=250).fit(data)
            assert line in str(err.value)
