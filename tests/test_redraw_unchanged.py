"""A redraw of unchanged data changes nothing: last year's plan drawn again from the same roster
(``gridtool partition NEW --previous LAST`` and ``gridtool partition LAST --redraw``, the paths of
the app's 按上一版重绘 and 重绘未锁定网格) comes back with the same grid and sub-grid codes, the
same households in each, every apartment building divided as it was, and a change report of 0.
When one village's roster changed, the other villages' grids and sub-grids stay as they were.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``), whose apartment
blocks are divided between grids and sub-grids.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main

QUIET = ["--corridor-width", "0", "--quiet"]


def _plan(path: Path) -> dict:
    """What a planner reads of a plan: households per grid and per sub-grid (by code), and each
    building's grid, grid_parts, sub-grid and subgrid_parts."""
    g = gpd.read_file(path, layer="grids")
    s = gpd.read_file(path, layer="subgrids")
    h = gpd.read_file(path, layer="households")
    cols = ["grid", "grid_parts", "subgrid", "subgrid_parts"]
    return {"grids": dict(zip(g["code"], g["hh"])), "subgrids": dict(zip(s["code"], s["hh"])),
            "buildings": [tuple("" if v is None or v != v else str(v) for v in row) for row in h[cols].itertuples(index=False)],
            "grid_outlines": dict(zip(g["code"], g.geometry.normalize().to_wkb())),
            "subgrid_outlines": dict(zip(s["code"], s.geometry.normalize().to_wkb()))}


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    d = tmp_path_factory.mktemp("redraw-unchanged")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    last = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), *QUIET]) == 0
    return d, raw, last


def test_last_years_plan_has_buildings_divided_between_grids_and_sub_grids(last):
    plan = _plan(last[2])
    # The case the redraw must keep: apartment blocks split between grids and between sub-grids.
    assert any(b[1] for b in plan["buildings"])
    assert any(b[3] for b in plan["buildings"])


@pytest.mark.parametrize("how", ["previous", "redraw"])
def test_a_redraw_of_unchanged_data_gives_last_years_plan_and_says_nothing_changed(last, how, capsys):
    d, raw, last_path = last
    out, rep = d / f"again-{how}.gpkg", d / f"again-{how}.json"
    args = ["partition", str(raw), "--previous", str(last_path)] if how == "previous" else \
        ["partition", str(last_path), "--redraw"]
    capsys.readouterr()
    assert main([*args, "--out", str(out), "--report", str(rep), "--corridor-width", "0"]) == 0
    said = capsys.readouterr().out
    before, now = _plan(last_path), _plan(out)
    assert now["grids"] == before["grids"]
    assert now["subgrids"] == before["subgrids"]
    assert now["buildings"] == before["buildings"]
    assert now["grid_outlines"] == before["grid_outlines"]
    assert now["subgrid_outlines"] == before["subgrid_outlines"]
    redraw = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert redraw["households_moved"] == 0 and redraw["grids_changed"] == 0
    assert "0 户改变网格" in said and "0 个网格有变化" in said


def test_one_villages_new_roster_leaves_the_other_villages_grids_and_sub_grids_as_they_were(last):
    d, raw, last_path = last
    from gridtool.project import Project
    p = Project.open(raw)
    hs = p.layers["households"].gdf
    # 四条巷社区's roster: its first ten buildings gone.
    v = p.layers["villages"].gdf
    area = v.geometry[v["name"] == "四条巷社区"].iat[0]
    inside = hs.index[hs.geometry.representative_point().within(area)]
    p.layers["households"].gdf = hs.drop(index=inside[:10]).reset_index(drop=True)
    now_raw = p.save(d / "one_village_changed.gpkg")
    out = d / "one_village_changed_out.gpkg"
    assert main(["partition", str(now_raw), "--previous", str(last_path), "--out", str(out), *QUIET]) == 0
    before, now = _plan(last_path), _plan(out)
    grids = gpd.read_file(last_path, layer="grids")
    others = set(grids.loc[grids["village"] != "四条巷社区", "code"])
    assert others
    assert {c: now["grids"].get(c) for c in others} == {c: before["grids"][c] for c in others}
    subs = {c for c in before["subgrids"] if c.rsplit("-", 1)[0] in others}
    assert {c: now["subgrids"].get(c) for c in subs} == {c: before["subgrids"][c] for c in subs}
    assert {c: now["subgrid_outlines"].get(c) for c in subs} == {c: before["subgrid_outlines"][c] for c in subs}


def test_a_redraw_with_new_sub_grid_bounds_draws_the_unchanged_grids_sub_grids_within_them(last, capsys):
    """``--redraw --sub-max 34`` on last year's plan (sub-grids of 20–40): most grids hold what
    they held, but their sub-grids of 35–40 households are not kept: every sub-grid is within the
    bounds asked for (before, the unchanged grids kept 73 sub-grids of 35–40, said nowhere)."""
    d, _raw, last_path = last
    before = gpd.read_file(last_path, layer="subgrids")
    assert (before["hh"] > 34).any()  # the case: last year's sub-grids above the new bound
    out = d / "narrower.gpkg"
    assert main(["partition", str(last_path), "--redraw", "--sub-min", "20", "--sub-max", "34", "--sub-target", "27",
                 "--out", str(out), *QUIET]) == 0
    now = gpd.read_file(out, layer="subgrids")
    assert int(now["hh"].max()) <= 34


def test_a_divided_building_is_named_in_the_grid_holding_most_of_its_households():
    """A building divided between grids names, in ``grid``, the grid holding most of its households
    summed over its parts (as ``grid_parts`` and buildings.py say): on the Nanjing sample building
    255 had 248 households in one grid (eight parts) and 32 in another (one part), and ``grid``
    named the 32 — its outline not even covering the building."""
    from gridtool.values import parse_grid_parts
    from gridtool.partition import GridPartitioner
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources("nanjing-xuanwu"))
    gp = GridPartitioner(min_hh=300, max_hh=500, target=400, seed=0).fit(
        {r: lyr.gdf for r, lyr in p.layers.items()})
    hs = gp.households_
    divided = hs[hs["grid_parts"].astype(str) != ""]
    assert len(divided)
    for grid, parts in zip(divided["grid"], divided["grid_parts"]):
        parts = parse_grid_parts(parts)
        most = max(k for _, k in parts)
        assert grid == next(c for c, k in parts if k == most), (grid, parts)
