"""The yearly redraw after the villages changed (撤村并居、村改社区): two neighbouring communities
merged into one under a new division code, a 村 renamed 社区 with its code kept, a grid of a merged
community locked; ``gridtool partition NEW --previous LAST --lock CODE``.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main
from gridtool.partition.previous import parse_parts
from gridtool.partition.redraw_words import redraw_lines
from gridtool.partition.village_changes import follow_village_codes

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]
BIG, SMALL, MERGED = ("五老村社区", "320102900009"), ("四条巷社区", "320102900014"), ("五老四条社区", "320102900099")


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    d = tmp_path_factory.mktemp("village-merge")
    p = cut_project("nanjing-xuanwu")
    v = p.layers["villages"].gdf
    v.loc[v["name"] == "长白街社区", "name"] = "长白街村"
    raw = p.save(d / "last_raw.gpkg")
    last = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), *FAST]) == 0
    grids = gpd.read_file(last, layer="grids")
    locked = sorted(grids.loc[grids["village"] == SMALL[0], "code"])[0]

    # This year: the two communities merged under a new code, 长白街村 became 长白街社区.
    v = p.layers["villages"].gdf
    both = v["name"].isin([BIG[0], SMALL[0]])
    merged = shapely.union_all(v.geometry[both].values)
    keep = v[~both].copy()
    row = v[v["name"] == BIG[0]].copy()
    row[["name", "code"]] = [MERGED]
    row = row.set_geometry([merged], crs=v.crs)
    v2 = gpd.GeoDataFrame(gpd.pd.concat([keep, row], ignore_index=True), crs=v.crs)
    v2.loc[v2["name"] == "长白街村", "name"] = "长白街社区"
    p.layers["villages"].gdf = v2
    now = p.save(d / "this_year.gpkg")
    out, rep = d / "next.gpkg", d / "next.json"
    code = main(["--lang", "zh", "partition", str(now), "--previous", str(last), "--lock", locked, "--out", str(out),
                 "--report", str(rep), *FAST])
    assert code == 0
    return {"last": grids, "locked": locked, "out": out, "report": json.loads(rep.read_text(encoding="utf-8"))}


def test_merged_villages_grids_are_renumbered_once_each_under_the_new_code_and_the_rule_is_kept(year):
    """Every grid code is unique and starts with its village's code; the merged community's grids
    keep their households; the larger community keeps its sequence numbers, the smaller one's
    grids are numbered on after them; the 村 renamed 社区 keeps every code."""
    g = gpd.read_file(year["out"], layer="grids")
    last = year["last"]
    assert not g["code"].duplicated().any()
    assert (g["code"].str[:12] == g["village_code"].astype(str)).all()
    recoded = {e["old"]: e["new"] for e in year["report"]["plan"]["redraw"]["recoded"]}
    big = sorted(last.loc[last["village"] == BIG[0], "code"])
    small = sorted(last.loc[last["village"] == SMALL[0], "code"])
    assert set(recoded) == set(big) | set(small)
    assert all(recoded[c] == c.replace(BIG[1], MERGED[1]) for c in big)
    n = max(int(c[-2:]) for c in big)
    assert sorted(recoded[c] for c in small) == [f"{MERGED[1]}-{n + i + 1:02d}" for i in range(len(small))]
    assert sorted(g.loc[g["village"] == "长白街社区", "code"]) == sorted(last.loc[last["village"] == "长白街村", "code"])
    # the merged community's grids hold the same households as last year's under their old codes
    hh_last = dict(zip(last["code"], last["hh"]))
    now = g[g["village"] == MERGED[0]].set_index("code")["hh"]
    assert {c: hh_last[c] for c in big + small} == {o: int(now[recoded[o]]) for o in big + small}


def test_a_locked_grid_of_a_merged_village_is_kept_and_its_new_code_is_said(year, capsys):
    g = gpd.read_file(year["out"], layer="grids").set_index("code")
    red = year["report"]["plan"]["redraw"]
    new = {e["old"]: e["new"] for e in red["recoded"]}[year["locked"]]
    assert bool(g.loc[new, "locked"]) and g.loc[new, "hh"] == year["last"].set_index("code").loc[year["locked"], "hh"]
    assert red["locked"] == [new]
    zh = [z for z, _ in redraw_lines(red, year["report"]["totals"])]
    assert any(f"{new}（原 {year['locked']}，编码随村代码变更）" in z for z in zh)


def test_the_merge_and_the_rename_are_named_in_both_languages_with_totals_that_add_up(year):
    red = year["report"]["plan"]["redraw"]
    kinds = {c["kind"]: c for c in red["village_changes"]}
    assert set(kinds) == {"merge", "rename"}
    lines = redraw_lines(red, year["report"]["totals"])
    zh = "\n".join(z for z, _ in lines)
    en = "\n".join(e for _, e in lines)
    big, small = (len(year["last"][year["last"]["village"] == v]) for v in (BIG[0], SMALL[0]))
    assert (f"{BIG[0]}（{BIG[1]}）、{SMALL[0]}（{SMALL[1]}） 合并为 {MERGED[0]}（{MERGED[1]}）：网格 {big + small} 个，"
            f"保留编码 0 个，改为新编码 {big + small} 个（顺序号不变 {big} 个，接续编号 {small} 个）") in zh
    assert "长白街村 更名为 长白街社区（代码 320102900007 不变）" in zh and "编码规则：" in zh
    assert f"{BIG[0]} ({BIG[1]}), {SMALL[0]} ({SMALL[1]}) merged into {MERGED[0]} ({MERGED[1]})" in en
    assert "长白街村 renamed 长白街社区 (code 320102900007 unchanged)" in en
    # renumbered codes are not counted as kept: kept + renumbered + new = grids
    assert red["codes_recoded"] == big + small
    assert red["codes_kept"] + red["codes_recoded"] + red["codes_new"] == red["grids"]
    t = year["report"]["totals"]
    assert t["imported"] == t["base"] + t["special"] + t["exception"] + t["unassigned"]
    ch = gpd.read_file(year["out"], layer="changes").set_index("village")
    assert ch.loc[MERGED[0], "division_change"].startswith(f"{BIG[0]}（{BIG[1]}）、{SMALL[0]}")
    assert ch.loc["长白街社区", "division_change"].startswith("长白街村 更名为 长白街社区")


def test_the_ledgers_change_sheet_names_the_merge_the_rule_and_the_locked_grids_new_code(year, tmp_path):
    import openpyxl
    xlsx = tmp_path / "台账.xlsx"
    assert main(["export", str(year["out"]), "--ledger", str(xlsx), "--quiet"]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True))
    merge = [r for r in rows if r[0] == "区划变化" and r[1] == MERGED[0]]
    assert len(merge) == 1 and "合并为" in merge[0][5]
    assert [r for r in rows if r[0] == "编码规则"]
    (lk,) = [r for r in rows if r[0] == "锁定网格"]
    assert lk[2] == year["locked"] and lk[3].startswith(MERGED[1]) and "编码随村（社区）代码变更" in lk[5]
    seq = {r[2]: r[5] for r in rows if r[0] == "改编码"}
    assert all(("接续编号" in seq[c]) for c in year["last"].loc[year["last"]["village"] == SMALL[0], "code"])


def test_codes_follow_the_village_never_twice_and_never_an_old_one():
    """The renumbering alone: a merge into a code that already has grids numbers the others on
    after its highest (retired ones included); a new grid of that village goes after them."""
    a, b = "320102001001", "320102001002"
    codes = np.array([f"{a}-01", f"{a}-02", f"{b}-01", f"{b}-03", f"{a}-04"], dtype=object)
    vcodes = [a] * 5
    previous = [f"{a}-01", f"{a}-02", f"{a}-03", f"{b}-01", f"{b}-03"]  # a-03 retired last year
    out = follow_village_codes(codes, vcodes, ["甲村"] * 5, previous)
    assert codes.tolist() == [f"{a}-01", f"{a}-02", f"{a}-04", f"{a}-05", f"{a}-06"]
    assert [(e["old"], e["new"], e["sequence_kept"]) for e in out] == [
        (f"{b}-01", f"{a}-04", False), (f"{b}-03", f"{a}-05", False)]
    # a new code for both: the village with more grids keeps its numbers, nothing is given twice
    c = "320102001099"
    codes = np.array([f"{a}-01", f"{a}-02", f"{b}-01", f"{b}-02", f"{b}-03", f"{c}-01"], dtype=object)
    follow_village_codes(codes, [c] * 6, ["新村"] * 6, [f"{a}-01", f"{a}-02", f"{b}-01", f"{b}-02", f"{b}-03"])
    assert codes.tolist() == [f"{c}-04", f"{c}-05", f"{c}-01", f"{c}-02", f"{c}-03", f"{c}-06"]


def test_a_split_village_is_named_and_a_locked_grid_across_the_new_border_is_kept_whole_and_said(tmp_path):
    """长白街社区 split in two at a street line through its middle, the east part under a new code;
    a locked grid with households on both sides stays whole (its households, its polygon) and the
    console says which village holds the rest of it."""
    p = cut_project("nanjing-xuanwu")
    raw = p.save(tmp_path / "last_raw.gpkg")
    last = tmp_path / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), *FAST]) == 0
    grids = gpd.read_file(last, layer="grids")
    hs = gpd.read_file(last, layer="households")
    v = p.layers["villages"].gdf
    geom = v.geometry[v["name"] == "长白街社区"].iat[0]
    x0, y0, x1, y1 = geom.bounds
    cx = float(shapely.centroid(geom).x)
    east_box = shapely.box(cx, y0 - 1, x1 + 1, y1 + 1)
    pts = hs.geometry.representative_point()
    east = shapely.contains(east_box, pts.values)
    # a building divided between grids counts its share in each (grid_parts)
    rows = [(c, int(h if n is None else n), e) for g_, gp, h, e in zip(hs["grid"], hs["grid_parts"], hs["hh"], east)
            for c, n in parse_parts(g_, gp)]
    side = gpd.pd.DataFrame(rows, columns=["grid", "hh", "east"])
    side = side[side["grid"].str.startswith("320102900007-")]
    both = side.groupby("grid").apply(lambda d: min(d.loc[d.east, "hh"].sum(), d.loc[~d.east, "hh"].sum()))
    locked = both.idxmax()
    assert both[locked] > 0
    west = v[v["name"] == "长白街社区"].copy()
    west = west.set_geometry([shapely.difference(geom, east_box)], crs=v.crs)
    new = v[v["name"] == "长白街社区"].copy()
    new[["name", "code"]] = ["长白街东社区", "320102900015"]
    new = new.set_geometry([shapely.intersection(geom, east_box)], crs=v.crs)
    p.layers["villages"].gdf = gpd.GeoDataFrame(
        gpd.pd.concat([v[v["name"] != "长白街社区"], west, new], ignore_index=True), crs=v.crs)
    now = p.save(tmp_path / "this_year.gpkg")
    out, rep = tmp_path / "next.gpkg", tmp_path / "next.json"
    assert main(["partition", str(now), "--previous", str(last), "--lock", locked, "--out", str(out),
                 "--report", str(rep), *FAST]) == 0
    red = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    (split,) = [c for c in red["village_changes"] if c["kind"] == "split"]
    assert [o["code"] for o in split["old"]] == ["320102900007"]
    assert [n["code"] for n in split["new"]] == ["320102900007", "320102900015"]
    g = gpd.read_file(out, layer="grids")
    assert not g["code"].duplicated().any() and (g["code"].str[:12] == g["village_code"].astype(str)).all()
    (lk,) = g[g["locked"].astype(bool)].itertuples()
    assert lk.hh == int(grids.set_index("code").loc[locked, "hh"])
    (across,) = red["locked_across"]
    assert across["code"] == lk.code and sum(across["others"].values()) == both[locked]
    zh = "\n".join(z for z, _ in redraw_lines(red, {}))
    assert f"注意：锁定网格 {lk.code} 跨越新的村（社区）界" in zh and "长白街社区（320102900007） 分为" in zh


def test_a_village_whose_code_is_left_blank_this_year_is_not_said_to_be_recoded(tmp_path):
    """This year's village layer leaves 五老村社区's code blank and renames 四条巷社区 with its code
    blank too: gridtool knows them as V002/V003 (row numbers, not codes). Their grids keep their
    codes; the console said ``五老村社区 代码 320102900009 改为 V002`` and called the rename's code
    ``V003`` unchanged."""
    p = cut_project("nanjing-xuanwu")
    last = tmp_path / "last.gpkg"
    assert main(["partition", str(p.save(tmp_path / "last_raw.gpkg")), "--out", str(last), *FAST]) == 0
    before = gpd.read_file(last, layer="grids")
    v = p.layers["villages"].gdf
    v["code"] = v["code"].astype(object)
    v.loc[v["name"].isin([BIG[0], SMALL[0]]), "code"] = None
    v.loc[v["name"] == SMALL[0], "name"] = "四条巷新社区"
    out, rep = tmp_path / "next.gpkg", tmp_path / "next.json"
    assert main(["partition", str(p.save(tmp_path / "this_year.gpkg")), "--previous", str(last), "--out", str(out),
                 "--report", str(rep), *FAST]) == 0
    g = gpd.read_file(out, layer="grids")
    assert sorted(g["code"]) == sorted(before["code"])
    red = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert [(c["kind"], c["old"][0]["name"], c["new"][0]["name"]) for c in red["village_changes"]] == [
        ("rename", SMALL[0], "四条巷新社区")]
    lines = redraw_lines(red, {})
    zh, en = "\n".join(z for z, _ in lines), "\n".join(e for _, e in lines)
    assert f"{SMALL[0]} 更名为 四条巷新社区：" in zh and f"{SMALL[0]} renamed 四条巷新社区:" in en
    assert "改为 V0" not in zh and "代码 V0" not in zh and "changed to V0" not in en
