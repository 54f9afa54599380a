"""Last year's plan edited by hand (``gridtool edit``: the app's rules) — two grids merged, one
split, the results locked — then the yearly redraw:

- ``gridtool partition LAST --redraw`` with the roster unchanged: the locked grids outside the
  household bounds are named, and the roster is not blamed (the planner's merge and split made them
  so); the same with ``--previous``;
- this year's roster without the buildings of one locked grid: the grid keeps its outline with no
  household, and its sub-grid codes are said to be retired (it said "0 sub-grids kept").

Real data: three Nanjing communities cut from the bundled sample (``locks_data``).
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

FAST = ["--corridor-width", "0"]
VILLAGE = "长白街社区"


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    d = tmp_path_factory.mktemp("hand-edited")
    p = cut_project("nanjing-xuanwu")
    raw = p.save(d / "raw.gpkg")
    plan = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(plan), "--quiet", *FAST]) == 0
    g = gpd.read_file(plan, layer="grids")
    mine = g[(g["village"] == VILLAGE) & (g["status"] == "ok")].sort_values("code")
    # two neighbouring grids merged (over the maximum), and a third split (below the minimum)
    geo = mine.set_index("code").geometry
    a = mine["code"].iat[0]
    b = next(c for c in mine["code"] if c != a and geo[a].intersection(geo[c]).length > 0)
    c = next(x for x in mine["code"] if x not in (a, b))
    before = set(g["code"])
    assert main(["edit", str(plan), "--merge", f"{a}={b}", "--split", c]) == 0
    g = gpd.read_file(plan, layer="grids").set_index("code")
    (new_half,) = set(g.index) - before
    locked = [a, c, new_half]
    assert main(["edit", str(plan), "--lock", ",".join(locked)]) == 0
    g = gpd.read_file(plan, layer="grids").set_index("code")
    off = [x for x in locked if not 300 <= g.at[x, "hh"] <= 500]
    assert a in off and len(off) >= 2
    return {"dir": d, "plan": plan, "project": p, "locked": locked, "off": off, "merged": a, "half": c,
            "hh": {x: int(g.at[x, "hh"]) for x in locked}}


def test_locked_grids_made_out_of_bounds_by_hand_are_named_without_blaming_the_roster(last, capsys):
    out = last["dir"] / "redrawn.gpkg"
    capsys.readouterr()
    assert main(["partition", str(last["plan"]), "--redraw", "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    for x in last["off"]:
        assert f"锁定网格 {x} 现有 {last['hh'][x]:,} 户，不在 300–500 户之内；解锁后重绘" in text
    assert "名册有变化" not in text
    # the same plan as last year's, from its file: the same words
    again = last["dir"] / "from_previous.gpkg"
    assert main(["partition", str(last["dir"] / "raw.gpkg"), "--previous", str(last["plan"]), "--out", str(again),
                 *FAST]) == 0
    text = capsys.readouterr().out
    for x in last["off"]:
        assert f"锁定网格 {x} 现有 {last['hh'][x]:,} 户，不在 300–500 户之内；解锁后重绘" in text
    assert "名册有变化" not in text


def test_a_locked_grid_whose_buildings_all_left_the_roster_retires_its_sub_grid_codes(last, capsys):
    half = last["half"]
    hs = gpd.read_file(last["plan"], layer="households")
    subs = sorted(gpd.read_file(last["plan"], layer="subgrids").query("grid == @half")["code"])
    assert subs
    gone = set(hs.loc[hs["grid"] == half, "src_id"])
    # buildings divided between this grid and another would keep households in it: leave them
    assert not (hs["src_id"].isin(gone) & (hs["grid"] != half)).any()
    p = last["project"]
    roster = p.layers["households"].gdf
    p.layers["households"].gdf = roster[~roster["src_id"].isin(gone)].reset_index(drop=True)
    now = p.save(last["dir"] / "this_year.gpkg")
    p.layers["households"].gdf = roster
    out, rep = last["dir"] / "next.gpkg", last["dir"] / "next.json"
    capsys.readouterr()
    assert main(["partition", str(now), "--previous", str(last["plan"]), "--out", str(out), "--report", str(rep),
                 *FAST]) == 0
    text = capsys.readouterr().out
    assert f"锁定网格 {half} 已没有住户：其 {len(subs)} 个子网格编码撤销（形状保留）" in text
    assert all(f"子网格 {c} 已没有住户，撤销该编码" in text for c in subs)
    assert f"锁定网格 {half} 的 0 个子网格" not in text
    assert f"锁定网格 {half} 现有 0 户，不在 300–500 户之内（名册有变化）" in text
    red = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    (entry,) = [e for e in red["locked_subgrids"] if e["grid"] == half]
    assert sorted(x["code"] for x in entry["retired"]) == subs and entry["subgrids"] == 0
    g = gpd.read_file(out, layer="grids").set_index("code")
    assert int(g.at[half, "hh"]) == 0 and bool(g.at[half, "locked"])
    assert half not in set(gpd.read_file(out, layer="subgrids")["grid"])
