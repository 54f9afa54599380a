"""A 派出所 officer planning a walking shift with must-visit places (session 29), and the coverage
of households whose 所属村 is a division code."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "nanjing-xuanwu.gpkg"


@pytest.fixture(scope="module")
def xuanwu():
    from gridtool.project import Project
    from gridtool.routing.project_layers import places_to_visit, road_graph, stations_of
    project = Project.from_sources({"households": f"{SAMPLE}:households", "roads": f"{SAMPLE}:roads",
                                    "places": f"{SAMPLE}:places"})
    return road_graph(project, "walk"), stations_of(project, category="police"), places_to_visit(project, None)


def test_must_visit_places_outside_the_shift_are_called_must_visit(xuanwu):
    """Before: an 08:00 shift left the schools (must-visit at their 07:30 gate) in "未安排 N 处"
    together with the optional places a plan may skip: nothing said they were must-visit."""
    from gridtool.routing.patrol import plan_patrol
    graph, stations, places = xuanwu
    plan = plan_patrol(graph, stations, places, teams=2, start="08:00", shift_minutes=240, seed=0)
    left = plan.unserved[plan.unserved["must"].astype(bool)]
    assert len(left) and set(left["category"]) == {"school"}
    text = plan.summary("both")
    line = next(s for s in text.splitlines() if "必到地点未安排" in s)
    assert f"必到地点未安排 {len(left)} 处" in line and all(p in line for p in left["place"])
    assert f"must-visit places not served, {len(left)}" in text
    optional = plan.unserved[~plan.unserved["must"].astype(bool)]
    assert not any(p in line for p in set(optional["place"]) - set(left["place"]))


def test_must_visit_places_that_do_not_fit_are_named_once_with_the_teams_they_need(xuanwu):
    """Before: the gate duty of 17 schools at 07:30 on foot with one team failed with advice
    "--teams 2", which fails again; unnamed places read 学校（FID 5） (FID 5)."""
    from gridtool.routing.patrol import plan_patrol
    from gridtool.routing.tours import InfeasibleError
    graph, stations, places = xuanwu
    kw = dict(start="07:00", shift_minutes=240, seed=0, depot="Wulaocun Police Station")
    with pytest.raises(InfeasibleError) as e:
        plan_patrol(graph, stations, places, teams=1, **kw)
    said = e.value.zh + e.value.fix_zh + e.value.en + e.value.fix_en
    left = list(e.value.stops)
    n = int(re.search(r"有 (\d+) 个必到地点排不进", e.value.zh).group(1))
    assert n == len(left) > 2 and all(p in e.value.zh and p in e.value.en for p in left)
    assert not re.search(r"（(FID \d+)）\s*\(\1\)", said)
    need = int(re.search(r"约需 --teams (\d+)", e.value.fix_zh).group(1))
    assert need > 2 and f"about --teams {need}" in e.value.fix_en
    # the number asked for serves most of what one team could not
    more = plan_patrol(graph, stations, places, teams=need, strict=False, **kw)
    still = more.unserved[more.unserved["must"].astype(bool) & (more.unserved["reason"] != "outside_shift")]
    assert len(still) <= n // 2


def test_coverage_labels_uncovered_households_by_village_name_with_the_code_beside(tmp_path, capsys):
    """Before: coverage.gpkg's uncovered households read 320102900008（FID 1）, village
    320102900008, while the console and the village table named the 社区."""
    from gridtool.cli import main
    out = tmp_path / "out"
    rc = main(["coverage", "--households", f"{SAMPLE}:households", "--villages", f"{SAMPLE}:villages",
               "--roads", f"{SAMPLE}:roads", "--places", f"{SAMPLE}:places", "--station-category", "police",
               "--minutes", "5", "--sites", "1", "--candidates", "school", "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert rc == 0
    villages = gpd.read_file(SAMPLE, layer="villages")
    names = dict(zip(villages["code"], villages["name"]))
    unc = gpd.read_file(out / "coverage.gpkg", layer="uncovered_5min")
    assert len(unc)
    assert (unc["village"] == unc["village_code"].map(names)).all()
    assert (unc["name"] == unc["village"] + "（" + unc["src_id"] + "）").all()
    assert not unc["name"].str.match(r"^\d{12}").any()
    # the siting lines list households as the layer does; the per-village lines and CSV agree on totals
    assert not re.search(r"\d{12}（FID", printed)
    table = (out / "coverage-5min-villages.csv").read_text(encoding="utf-8-sig").splitlines()
    uncovered_by_village = {row.split(",")[0]: int(row.split(",")[4]) for row in table[1:]}
    per = unc.groupby("village")["hh"].sum().round().astype(int).to_dict()
    assert per == {k: v for k, v in uncovered_by_village.items() if v}
