"""A planner's yearly redraw on the command line: last year's plan (partitioned, a grid locked with
``gridtool edit --lock``, a 网格员 ledger joined with ``gridtool join``), this year's roster imported
afresh (buildings gone, a building with fewer households, new buildings inside the locked grid, a
village renamed and recoded),
then ``gridtool partition NEW --previous LAST --out NEXT``.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``); 四条巷社区 is cut
down below one grid's minimum so that it stays one exceptional grid, and given a detached empty
piece of land.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project, free_spots  # noqa: E402

from gridtool.cli import main
from gridtool.project import Project

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]
SMALL = "四条巷社区"


def _last_year(d: Path) -> tuple[Project, Path]:
    p = cut_project("nanjing-xuanwu")
    hs = p.layers["households"].gdf
    v = p.layers["villages"].gdf
    small = v.geometry[v["name"] == SMALL].iat[0]
    inside = np.flatnonzero(shapely.contains(small, hs.geometry.representative_point().values))
    keep_in = inside[np.cumsum(hs["hh"].to_numpy()[inside]) <= 250]
    drop = np.setdiff1d(inside, keep_in)
    p.layers["households"].gdf = hs.drop(index=hs.index[drop]).reset_index(drop=True)
    # ... and it owns a detached piece of land where nobody lives (a field across the district)
    x0, y0, x1, y1 = shapely.union_all(v.geometry.values).bounds
    island = shapely.box(x1 + 300.0, y0, x1 + 400.0, y0 + 100.0)
    v.loc[v["name"] == SMALL, "geometry"] = [shapely.MultiPolygon([*shapely.get_parts(small), island])]
    return p, p.save(d / "last_raw.gpkg")


def _last_years_plan(d: Path, options=FAST) -> tuple[Project, Path]:
    """Last year's inputs (:func:`_last_year`) partitioned with ``options`` into ``d/last.gpkg``."""
    p, raw = _last_year(d)
    last = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), *options]) == 0
    return p, last


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    d = tmp_path_factory.mktemp("redraw-year")
    p, last = _last_years_plan(d)
    grids = gpd.read_file(last, layer="grids")
    ok = grids[(grids["status"] == "ok") & (grids["village"] == "长白街社区")]
    locked = ok["code"].iat[0]
    assert main(["edit", str(last), "--lock", locked]) == 0
    ledger = d / "ledger.csv"
    ledger.write_text("网格编码,网格员\n" + "".join(f"{c},员{c[-2:]}{i}\n" for i, c in enumerate(grids["code"])),
                      encoding="utf-8")
    assert main(["join", str(last), "--table", str(ledger), "--on", "网格编码"]) == 0
    workers = dict(zip(gpd.read_file(last, layer="grids")["code"], gpd.read_file(last, layer="grids")["worker"]))

    # This year's roster: 5 % of buildings gone, one building with 3 households fewer, three new
    # buildings of 20 households inside the locked grid (not its own: it keeps its households).
    hs = p.layers["households"].gdf
    hh_last = int(hs["hh"].sum())
    rng = np.random.default_rng(5)
    gone = rng.random(len(hs)) < 0.05
    fewer = int(np.flatnonzero(~gone & (hs["hh"].to_numpy() > 5))[0])
    hs.loc[hs.index[fewer], "hh"] = hs["hh"].iat[fewer] - 3
    poly = grids.set_index("code").geometry[locked]
    spots = free_spots(poly, hs.geometry.values, 3, rng)
    new = gpd.GeoDataFrame({"hh": [20, 20, 20], "src_id": ["new 1", "new 2", "new 3"]},
                           geometry=spots, crs=hs.crs)
    p.layers["households"].gdf = gpd.GeoDataFrame(gpd.pd.concat([hs[~gone], new], ignore_index=True),
                                                  crs=hs.crs)
    # ... and 五老村社区 renamed and recoded by the civil affairs bureau
    v = p.layers["villages"].gdf
    v.loc[v["code"] == "320102900009", ["name", "code"]] = ["五老新村社区", "320102900099"]
    now = p.save(d / "this_year.gpkg")
    out, rep = d / "next.gpkg", d / "next.json"
    before = last.read_bytes()
    assert main(["partition", str(now), "--previous", str(last), "--out", str(out), "--report", str(rep),
                 *FAST]) == 0
    assert last.read_bytes() == before  # the previous plan is not touched
    return {"last": last, "out": out, "locked": locked, "workers": workers,
            "report": json.loads(rep.read_text(encoding="utf-8")), "hh_last": hh_last}


def test_the_ledger_and_the_locked_grids_worker_survive_a_redraw_from_last_years_project(year):
    """The 网格员 joined last year stay on every grid whose code is kept, the locked one first."""
    g = gpd.read_file(year["out"], layer="grids").set_index("code")
    assert g.loc[year["locked"], "worker"] == year["workers"][year["locked"]]
    old_code = {e["new"]: e["old"] for e in year["report"]["plan"]["redraw"]["recoded"]}
    kept = [c for c in g.index if old_code.get(c, c) in year["workers"]]
    assert len(kept) == len(g) and all(g.loc[c, "worker"] == year["workers"][old_code.get(c, c)] for c in kept)
    carried = year["report"]["joined_columns_carried"]["grids"]
    assert carried["columns"] == ["worker"] and carried["with_values"] == len(kept)
    # the ledger export reads the joined columns from the project's join log: it is carried too
    assert any("worker" in (j.get("columns") or {}).values()
               for j in Project.open(year["out"]).parameters.get("joins", []))


def test_new_households_inside_a_locked_grid_join_it_and_are_told(year):
    """The three new buildings inside the locked grid are in it (its 网格员 walks past them), its
    outline unchanged and no other grid drawn over it; they went to an unlocked neighbour whose
    outline then reached 8,000 m² into the locked grid."""
    red = year["report"]["plan"]["redraw"]
    g = gpd.read_file(year["out"], layer="grids").set_index("code")
    last = gpd.read_file(year["last"], layer="grids").set_index("code")
    locked = year["locked"]
    assert shapely.symmetric_difference(g.geometry[locked], last.geometry[locked]).area < 1e-6
    others = g.drop(index=locked)
    assert shapely.area(shapely.intersection(others.geometry.values, g.geometry[locked])).max() < 1.0
    hs = gpd.read_file(year["out"], layer="households")
    new = hs[hs["src_id"].str.startswith("new")]
    assert set(new["grid"]) == {locked}
    (entry,) = red["joined_locked"]
    assert entry["locked"] == locked and entry["households"] == 60
    assert entry["buildings"] == ["new 1", "new 2", "new 3"] and entry["hh"] == g.loc[locked, "hh"]
    assert not red["inside_locked"] and not red.get("households_inside_locked")


def test_a_village_too_small_for_a_grid_stays_an_exception_beside_a_lock_elsewhere(year):
    """One total: the exceptional grid of 四条巷社区 is counted as an exception, not a base grid."""
    g = gpd.read_file(year["out"], layer="grids")
    small = g[g["village"] == SMALL]
    assert len(small) == 1 and small["status"].iat[0] == "exception"
    t = year["report"]["totals"]
    assert t["exception"] == int(small["hh"].iat[0]) and t["exception_grids"] == 1
    assert t["imported"] == t["base"] + t["special"] + t["exception"] + t["unassigned"]


def test_the_redraw_states_last_years_total_those_gone_and_those_new(year, tmp_path, capsys):
    red = year["report"]["plan"]["redraw"]
    assert red["households_previous"] == year["hh_last"]
    # three fewer in one building count as gone, the three new buildings as new
    t = year["report"]["totals"]
    assert red["households_previous"] - red["households_gone"] + red["households_new"] == t["imported"]
    assert red["households_total"] == t["base"] + t["exception"]
    assert red["households_new"] == 60
    out = tmp_path / "again.gpkg"
    now = year["out"].parent / "this_year.gpkg"
    assert main(["partition", str(now), "--previous", str(year["last"]), "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert (f"上一版 {red['households_previous']:,} 户 − 已不在名册 {red['households_gone']:,} 户 + 新增 60 户 = "
            f"本次 {t['imported']:,} 户") in text
    assert f"住户 {t['imported']:,} 户 = 基础网格" in text
    assert f"锁定网格 {year['locked']} 内新增 60 户（楼栋 new 1、new 2、new 3），已计入该网格" in text
    # the same inputs give the same plan
    a = gpd.read_file(year["out"], layer="households")
    b = gpd.read_file(out, layer="households")
    assert a["grid"].tolist() == b["grid"].tolist()


def test_a_previous_plan_of_another_county_or_an_unknown_lock_is_refused_in_both_languages(year, tmp_path,
                                                                                          capsys):
    """Nothing is written, and the message names the file, the layer, the code column and a fix."""
    now = year["out"].parent / "this_year.gpkg"
    other = tmp_path / "另一个区县网格.shp"
    g = gpd.read_file(year["last"], layer="grids")[["code", "hh", "geometry"]]
    g.set_geometry(g.geometry.translate(0.0, 250_000.0)).to_file(other, encoding="utf-8")
    out = tmp_path / "x.gpkg"
    assert main(["partition", str(now), "--previous", str(other), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert "没有任何重叠" in err and other.name in err and "解决办法" in err and "--crs-in previous" in err
    assert not out.exists()
    assert main(["--lang", "en", "partition", str(now), "--previous", str(year["last"]), "--lock",
                 "320102900007-99", "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert "320102900007-99" in err and "last.gpkg" in err and "layer=grids" in err and "field=code" in err
    assert "320102900007-01" in err and "Fix:" in err and "Traceback" not in err and not out.exists()
    # --lock alone (the project's own plan): last year's code of the recoded village
    old_code = year["report"]["plan"]["redraw"]["recoded"][0]["old"]
    assert main(["partition", str(year["out"]), "--lock", old_code, "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert old_code in err and "next.gpkg" in err and "图层：grids" in err and "解决办法" in err


def test_a_recoded_villages_grids_follow_its_new_code_and_the_table_says_old_to_new(year):
    """Grid codes start with the village's division code: 五老村社区 recoded 320102900009 →
    320102900099 has its grids renumbered under the new code, sequence kept, households not moved;
    the report, the changes layer and the ledger's values follow."""
    g = gpd.read_file(year["out"], layer="grids")
    last = gpd.read_file(year["last"], layer="grids")
    was = sorted(last.loc[last["village_code"] == "320102900009", "code"])
    now = g[g["village"] == "五老新村社区"]
    assert sorted(now["code"]) == sorted(c.replace("320102900009-", "320102900099-") for c in was)
    red = year["report"]["plan"]["redraw"]
    assert sorted((e["old"], e["new"]) for e in red["recoded"]) == \
        [(c, c.replace("320102900009-", "320102900099-")) for c in was]
    assert not any(c.startswith("320102900009") for c in red["new_codes"] + red["retired_codes"])
    ch = gpd.read_file(year["out"], layer="changes").set_index("village")
    row = ch.loc["五老新村社区"]
    # renumbered, not kept: the doorplates change
    assert row["codes_recoded"] == len(was) and row["codes_kept"] == 0
    assert row["codes_new"] == 0 and row["codes_retired"] == 0
    assert row["households_moved"] <= 0.05 * row["households"]
    assert row["recoded_codes"].count("→") == len(was)
    workers = now.set_index("code")["worker"]
    assert all(workers[c.replace("320102900009-", "320102900099-")] == year["workers"][c] for c in was)


def test_the_ledger_has_the_change_report_in_chinese_with_the_same_totals(year, tmp_path):
    """``gridtool export --ledger`` after the redraw: a 重绘变化 sheet with the old → new code table,
    the locked grid and the new households counted in it, and last year − gone + new = the total
    the 网格台账 states."""
    import openpyxl
    xlsx = tmp_path / "台账.xlsx"
    assert main(["export", str(year["out"]), "--ledger", str(xlsx), "--quiet"]) == 0
    wb = openpyxl.load_workbook(xlsx)
    rows = list(wb["重绘变化"].iter_rows(values_only=True))
    assert rows[0] == ("类型", "村（社区）", "旧编码", "新编码", "户数", "说明")
    red = year["report"]["plan"]["redraw"]
    recoded = {(r[2], r[3]) for r in rows if r[0] == "改编码"}
    assert recoded == {(e["old"], e["new"]) for e in red["recoded"]} and len(recoded) >= 2
    (inside,) = [r for r in rows if r[0] == "锁定网格内新增住户"]
    assert inside[3] == year["locked"] and inside[4] == 60 and "new 1、new 2、new 3" in inside[5]
    assert [r[3] for r in rows if r[0] == "锁定网格"] == [year["locked"]]
    total = year["report"]["totals"]["imported"]
    (line,) = [r for r in rows if r[0] == "住户"]
    assert line[4] == total and line[5].endswith(f"= 本次 {total:,} 户")
    assert f"上一版 {red['households_previous']:,} 户" in line[5]
    grid_rows = list(wb["网格台账"].iter_rows(values_only=True))
    assert [r[4] for r in grid_rows if r[0] == "住户合计（导入）"] == [total]
    # every cell in Chinese: no English words from the report
    assert not any(isinstance(c, str) and any(w in c for w in ("households", "grid", "locked"))
                   for r in rows for c in r)


def test_locking_last_years_code_of_a_recoded_village_names_its_new_code(year, tmp_path, capsys):
    """``--lock`` with a code the recode renumbered: the message names the code it has now and the
    fix with it, in both languages, whether the plan is the project's own or given as --previous."""
    e = sorted(year["report"]["plan"]["redraw"]["recoded"], key=lambda e: e["old"])[0]
    out = tmp_path / "x.gpkg"
    for extra in ([], ["--previous", str(year["out"])]):
        assert main(["partition", str(year["out"]), *extra, "--lock", e["old"], "--out", str(out), *FAST]) == 2
        err = capsys.readouterr().err
        assert f"{e['old']} 现为 {e['new']}" in err and f"--lock {e['new']}" in err and "解决办法" in err
        assert "recoded_codes" in err and not out.exists()
    assert main(["--lang", "en", "partition", str(year["out"]), "--lock", e["old"], "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert f"{e['old']} is now {e['new']}" in err and f"--lock {e['new']}" in err and "Fix:" in err


def test_a_previous_plan_from_a_shapefile_carries_its_grid_workers_and_phones(year, tmp_path, capsys):
    """Last year's grids kept as a shapefile from the county's platform (GBK, 网格编码 / 网格员 /
    联系电话 columns, no households layer): the 网格员 and phones go to the new grids by code, the
    recoded village's grids included, flagged as personal data."""
    last = gpd.read_file(year["last"], layer="grids")
    phones = {c: f"1380000{i:04d}" for i, c in enumerate(last["code"])}
    shp = gpd.GeoDataFrame({"网格编码": last["code"], "网格员": last["worker"],
                            "联系电话": last["code"].map(phones), "户数": last["hh"]},
                           geometry=last.geometry.values, crs=last.crs)
    path = tmp_path / "去年网格.shp"
    shp.to_file(path, encoding="gbk")
    now = year["out"].parent / "this_year.gpkg"
    out = tmp_path / "from_shp.gpkg"
    assert main(["partition", str(now), "--previous", str(path), "--field", "previous.code=网格编码",
                 "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    p = Project.open(out)
    g = p.layers["grids"].gdf.set_index("code")
    old_code = {e["new"]: e["old"] for e in p.parameters["partition"]["plan"]["redraw"]["recoded"]}
    assert old_code and set(old_code.values()) <= set(phones)
    kept = [c for c in g.index if old_code.get(c, c) in phones]
    assert len(kept) >= len(g) - 2
    assert all(g.loc[c, "worker"] == year["workers"][old_code.get(c, c)] for c in kept)
    assert all(g.loc[c, "worker_phone"] == phones[old_code.get(c, c)] for c in kept)
    assert p.layers["grids"].sensitive.get("worker") == "name"
    assert p.layers["grids"].sensitive.get("worker_phone") == "phone"
    carried = p.parameters["partition"]["joined_columns_carried"]["grids"]
    assert sorted(carried["columns"]) == ["worker", "worker_phone"] and carried["with_values"] == len(kept)


def test_what_no_grid_count_fits_beside_a_lock_is_an_exception_named_in_chinese_and_listed():
    """A village of two grids of 450, one locked, the other grown to 550 (between one grid's 500 and
    two grids' 600): the redraw keeps it as one exceptional grid. Its note says why in the
    ledger's words (it said "ok", a code in a Chinese ledger) and 例外与问题 lists it (it was in no
    sheet but the grid table)."""
    from partition_data import make_villages

    from gridtool.maps.ledger import ledger_tables
    from gridtool.maps.plan_words import note_zh
    from gridtool.partition.engine import GridPartitioner
    from gridtool.partition.output import apply_to_project
    from gridtool.project import Layer

    params = dict(min_hh=300, max_hh=500, subgrids=False, corridor_width=0)
    layers = make_villages(households=900, river=False, apartments=0, seed=3)
    first = GridPartitioner(**params).fit(layers)
    g = first.grids_
    assert sorted(g["hh"]) == [450, 450]
    a, b = g["code"].tolist()
    hs = first.households_.copy()
    grow = 100
    for i in hs.index[hs["grid"] == b]:
        if grow <= 0:
            break
        hs.loc[i, "hh"] += min(10, grow)
        grow -= 10
    edited = dict(layers, households=hs)
    again = GridPartitioner(**params).fit(edited, previous=g, locked=[a])
    grids = again.grids_.set_index("code")
    assert grids.loc[a, "hh"] == 450 and grids.loc[b, "hh"] == 550 and grids.loc[b, "status"] == "exception"
    note = str(grids.loc[b, "note"])
    words = note_zh(note)
    assert note not in ("", "ok") and words and not re.search(r"[A-Za-z]", words), (note, words)
    project = Project(layers={r: Layer(role=r, gdf=v) for r, v in edited.items()})
    apply_to_project(project, again)
    ledger = ledger_tables(project)
    (problems,) = [s for s in ledger.sheets if s.name == "例外与问题"]
    listed = [r for r in problems.rows if r[1] == b]
    assert listed and "锁定" in listed[0][0] + listed[0][4] + listed[0][5], listed
    (grid_sheet,) = [s for s in ledger.sheets if s.name == "网格台账"]
    assert not any(c == "ok" for r in grid_sheet.rows for c in r)


def test_the_change_sheet_says_when_hand_edits_came_after_the_redraw(year, tmp_path):
    """The 重绘变化 sheet is the redraw's record: after the locked grid is unlocked and two grids
    are merged by hand, it says so at the top and names what no longer holds, instead of reading as
    today's plan (it listed the unlocked grid as 锁定网格 … 保持不变)."""
    import shutil

    import openpyxl
    edited = tmp_path / "edited.gpkg"
    shutil.copy(year["out"], edited)
    xlsx = tmp_path / "before.xlsx"
    assert main(["export", str(edited), "--ledger", str(xlsx), "--quiet"]) == 0
    assert not [r for r in openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True) if r[0] == "注意"]
    assert main(["edit", str(edited), "--unlock", year["locked"]]) == 0
    xlsx = tmp_path / "after.xlsx"
    assert main(["export", str(edited), "--ledger", str(xlsx), "--quiet"]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True))
    assert rows[1][0] == "注意" and year["locked"] in rows[1][5] and "网格台账" in rows[1][5]


def test_a_locked_grid_that_lost_a_building_from_the_roster_is_not_called_unchanged(year, tmp_path, capsys):
    """Locked means locked, but a building gone from this year's roster cannot stay in it: the
    redraw keeps the locked grid's shape and its other buildings, and the console, the report and
    the ledger's 重绘变化 sheet give its households from last year's figure to this year's (they
    said 锁定网格保持不变（户、楼栋、形状） of a grid that had lost 50 households)."""
    import openpyxl
    locked = year["locked"]
    last = gpd.read_file(year["last"], layer="grids").set_index("code")
    now = Project.open(year["out"].parent / "this_year.gpkg")
    hs = now.layers["households"].gdf
    inside = shapely.contains(last.geometry[locked], hs.geometry.representative_point().values)
    own = hs.index[inside & (hs["hh"].to_numpy() > 0) & ~hs["src_id"].astype(str).str.startswith("new")]
    now.layers["households"].gdf = hs.drop(index=own[0]).reset_index(drop=True)
    fewer = now.save(tmp_path / "fewer.gpkg")
    out, rep = tmp_path / "next.gpkg", tmp_path / "next.json"
    capsys.readouterr()
    assert main(["partition", str(fewer), "--previous", str(year["last"]), "--out", str(out), "--report", str(rep),
                 *FAST]) == 0
    text = capsys.readouterr().out
    g = gpd.read_file(out, layer="grids").set_index("code")
    before, after = int(last.loc[locked, "hh"]), int(g.loc[locked, "hh"])
    # the 60 new households inside it are counted in it, the building gone is not
    assert after <= before - int(hs.loc[own[0], "hh"]) + 60 and bool(g.loc[locked, "locked"])
    assert shapely.symmetric_difference(g.geometry[locked], last.geometry[locked]).area < 1e-6
    red = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert red["locked_changed"] == [{"code": locked, "before": before, "now": after}]
    assert f"锁定网格保持不变（户、楼栋、形状）：{locked}" not in text and "已锁定的网格保持不变" not in text
    assert f"锁定网格 {locked}：形状和仍在名册的楼栋不变，户数随名册由 {before:,} 户变为 {after:,} 户" in text
    xlsx = tmp_path / "ledger.xlsx"
    assert main(["export", str(out), "--ledger", str(xlsx), "--quiet"]) == 0
    rows = [r for r in openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True) if r[0] == "锁定网格"]
    assert rows == [("锁定网格", "长白街社区", locked, locked, after,
                     f"形状和仍在名册的楼栋不变；户数随名册由 {before:,} 户变为 {after:,} 户")]
