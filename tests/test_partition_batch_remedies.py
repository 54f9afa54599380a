"""A batch's village too small for a grid is offered a merge with its neighbours wherever they are
(another chunk with ``--by village``, another township), or told why there is none."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_batch import _city, _save_project  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.partition.batch_remedies import add_neighbour_merges  # noqa: E402


def _small_wulong() -> dict:
    """The six-village city with 乌龙村 (township 500101001, between 东方村 and 石门村 of
    township 500101002) left with 137 households: too few for one grid of 300–500."""
    city = _city()
    hs = city["households"].reset_index(drop=True)
    inside = shapely.within(hs.geometry.values, city["villages"].geometry.iloc[1])
    city["households"] = hs[~inside | (np.cumsum(inside) <= 60)].reset_index(drop=True)
    return city


def test_by_village_names_the_neighbours_of_a_village_too_small_in_the_console_and_report(tmp_path, capsys):
    """With --by village every chunk holds one village, so its fit sees no neighbour: the
    suggestion used to read 与邻村合并（—）. It names 东方村 and 石门村 (another township), in the
    city's report and in its district file's report."""
    from gridtool.project import Project
    path = _save_project(_small_wulong(), tmp_path / "city.gpkg")
    out = tmp_path / "out"
    assert main(["partition", str(path), "--out-dir", str(out), "--workers", "1", "--no-subgrids", "--quiet",
                 "--by", "village"]) == 0
    text = capsys.readouterr().out
    assert "无法划分：乌龙村（500101001002，500101001），137 户" in text
    assert "与邻村合并（东方村、石门村）" in text and "（—）" not in text
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (v,) = rep["plan"]["infeasible_villages"]
    assert [(m["village"], m["households"], m["grids"]) for m in v["remedies"]["merge"]] == \
        [("东方村", 837, 2), ("石门村", 837, 2)]
    assert "与 东方村 合并（共 837 户，2 个网格）" in v["remedies_zh"]
    district = Project.open(out / "500101.gpkg").parameters["partition"]
    (dv,) = district["plan"]["infeasible_villages"]
    assert [m["village"] for m in dv["remedies"]["merge"]] == ["东方村", "石门村"]


def test_a_village_with_no_neighbour_or_none_that_fits_says_why():
    """An island village has no neighbour; one whose every merge is still too large says so."""
    from gridtool.commands.partition import _merge_words
    villages = gpd.GeoDataFrame({"name": ["岛村", "甲村", "乙村"], "code": ["1", "2", "3"]},
                                geometry=[shapely.box(0, 0, 100, 100), shapely.box(500, 0, 600, 100),
                                          shapely.box(600, 0, 700, 100)], crs="EPSG:32648")
    plan = {"infeasible_villages": [{"village": "岛村", "code": "1", "households": 137, "remedies": {"relax": [137, 500]}},
                                    {"village": "甲村", "code": "2", "households": 520, "remedies": {"relax": [260, 500]}}]}
    add_neighbour_merges(plan, villages, [{"code": "3", "households": 50}], (300, 500, 400))
    island, big = plan["infeasible_villages"]
    assert island["remedies"]["neighbours"] == [] and island["remedies"]["merge"] == []
    assert _merge_words(island["remedies"], 300, 500) == ("没有相邻的村（社区）", "no village borders it")
    assert big["remedies"]["neighbours"] == ["乙村"] and big["remedies"]["merge"] == []  # 570: no count fits
    assert _merge_words(big["remedies"], 300, 500)[0] == "与相邻的乙村合并后也分不成 300–500 户的网格"
