"""New buildings inside a locked grid join it, through the command line and the engine alike.

Last year's plan of three Nanjing communities (real OpenStreetMap buildings, ``locks_data``) with
sub-grids, one grid locked; this year's roster adds three buildings inside the locked outline, enough
to push it over the 500 upper bound. They went to an unlocked neighbour, whose outline then reached
into the locked grid (overlapping grids on the wall map). Now they are counted in the locked grid,
in the locked sub-grid they stand in, the outline is kept, and the console, report and ledger say
so, with the fix for the upper bound.
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
from locks_data import cut_project, free_spots  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.partition.engine import GridPartitioner  # noqa: E402
from gridtool.partition.redraw_words import redraw_lines  # noqa: E402
from gridtool.project import Project  # noqa: E402

OPTS = ["--corridor-width", "0"]
NEW = ["新建 1 号楼", "新建 2 号楼", "新建 3 号楼"]


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    d = tmp_path_factory.mktemp("locked-new")
    p = cut_project("nanjing-xuanwu")
    raw = p.save(d / "raw.gpkg")
    last = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), "--quiet", *OPTS]) == 0
    grids = gpd.read_file(last, layer="grids")
    ok = grids[(grids["status"] == "ok") & (grids["village"] == "长白街社区")].sort_values("hh")
    locked = ok["code"].iat[-1]
    assert main(["edit", str(last), "--lock", locked]) == 0
    # Three buildings inside the locked outline, away from every other building, each with a
    # third of what takes the grid past 500.
    poly = grids.set_index("code").geometry[locked]
    hs = p.layers["households"].gdf
    per = (500 - int(ok["hh"].iat[-1])) // 3 + 5
    rng = np.random.default_rng(11)
    spots = free_spots(poly, hs.geometry.values, 3, rng)
    new = gpd.GeoDataFrame({"hh": [per] * 3, "src_id": NEW}, geometry=spots, crs=hs.crs)
    p.layers["households"].gdf = gpd.GeoDataFrame(gpd.pd.concat([hs, new], ignore_index=True), crs=hs.crs)
    now = p.save(d / "this_year.gpkg")
    out, rep = d / "next.gpkg", d / "next.json"
    assert main(["partition", str(now), "--previous", str(last), "--out", str(out), "--report", str(rep),
                 *OPTS]) == 0
    return {"last": last, "now": now, "out": out, "locked": locked, "per": per, "poly": poly,
            "report": json.loads(rep.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def console(year, tmp_path_factory):
    """What ``gridtool partition --previous`` prints (run once more, to read its output)."""
    import contextlib
    import io
    buf = io.StringIO()
    out = tmp_path_factory.mktemp("again") / "again.gpkg"
    with contextlib.redirect_stdout(buf):
        assert main(["partition", str(year["now"]), "--previous", str(year["last"]), "--out", str(out),
                     *OPTS]) == 0
    return buf.getvalue()


def test_the_command_line_and_the_engine_put_the_new_buildings_in_the_locked_grid(year):
    """The same answer from ``gridtool partition --previous`` and ``GridPartitioner.fit``."""
    last = Project.open(year["last"])
    gp = GridPartitioner(corridor_width=0).fit(
        Project.open(year["now"]), previous=last.layers["grids"].gdf, locked=[year["locked"]],
        previous_households=last.layers["households"].gdf, previous_subgrids=last.layers["subgrids"].gdf)
    cli = gpd.read_file(year["out"], layer="households")
    for hs in (cli, gp.households_):
        new = hs[hs["src_id"].isin(NEW)]
        assert len(new) == 3 and set(new["grid"]) == {year["locked"]}
    for col in ("grid", "subgrid"):  # a blank cell reads back from the file as NaN
        assert cli[col].fillna("").tolist() == gp.households_[col].fillna("").tolist()
    api = gp.report_["plan"]["redraw"]["joined_locked"]
    assert api == year["report"]["plan"]["redraw"]["joined_locked"]


def test_the_locked_outline_is_kept_and_no_grid_reaches_into_it(year):
    g = gpd.read_file(year["out"], layer="grids").set_index("code")
    locked = year["locked"]
    assert shapely.symmetric_difference(g.geometry[locked], year["poly"]).area < 1e-6
    others = g.drop(index=locked)
    assert shapely.area(shapely.intersection(others.geometry.values, g.geometry[locked])).max() < 1.0
    # every new building lies in the grid and the sub-grid that count it
    hs = gpd.read_file(year["out"], layer="households")
    subs = gpd.read_file(year["out"], layer="subgrids").set_index("code")
    for _, r in hs[hs["src_id"].isin(NEW)].iterrows():
        assert g.geometry[r["grid"]].contains(r.geometry)
        assert r["subgrid"].startswith(f"{locked}-") and subs.geometry[r["subgrid"]].contains(r.geometry)


def test_over_the_upper_bound_it_is_an_exception_said_with_the_fix(year, console):
    locked, per = year["locked"], year["per"]
    g = gpd.read_file(year["out"], layer="grids").set_index("code")
    assert g.loc[locked, "hh"] > 500 and g.loc[locked, "status"] == "exception" and bool(g.loc[locked, "locked"])
    (e,) = year["report"]["plan"]["redraw"]["joined_locked"]
    assert e == {"locked": locked, "households": 3 * per, "buildings": NEW, "hh": int(g.loc[locked, "hh"]),
                 "min_hh": 300, "max_hh": 500}
    assert (f"锁定网格 {locked} 内新增 {3 * per} 户（楼栋 新建 1 号楼、新建 2 号楼、新建 3 号楼），已计入该网格"
            in console)
    assert "超过上限 500 户" in console and f"gridtool edit 项目.gpkg --unlock {locked}" in console
    en = "\n".join(en for _, en in redraw_lines(year["report"]["plan"]["redraw"], year["report"]["totals"]))
    assert f"locked grid {locked}: {3 * per} new households inside it" in en
    assert "above the maximum of 500" in en and f"--unlock {locked}" in en
    # the households inside it are not also said to have gone elsewhere
    assert "仍留在原网格" not in console and "归入：" not in console


def test_one_total_in_the_report_the_console_the_grids_and_the_ledger(year, console, tmp_path):
    import openpyxl
    t = year["report"]["totals"]
    hs = gpd.read_file(year["now"], layer="households")
    assert t["imported"] == int(hs["hh"].sum())
    assert t["imported"] == t["base"] + t["special"] + t["exception"] + t["unassigned"]
    g = gpd.read_file(year["out"], layer="grids")
    assert int(g.loc[g["status"] == "ok", "hh"].sum()) == t["base"]
    assert int(g.loc[g["status"] == "exception", "hh"].sum()) == t["exception"]
    assert (f"住户 {t['imported']:,} 户 = 基础网格 {t['base']:,} + 专属网格 {t['special']:,} + "
            f"例外网格 {t['exception']:,} + 未划入网格 {t['unassigned']:,}") in console
    red = year["report"]["plan"]["redraw"]
    assert red["households_previous"] - red["households_gone"] + red["households_new"] == t["imported"]
    assert red["households_new"] == 3 * year["per"]
    xlsx = tmp_path / "台账.xlsx"
    assert main(["export", str(year["out"]), "--ledger", str(xlsx), "--quiet"]) == 0
    wb = openpyxl.load_workbook(xlsx)
    rows = list(wb["重绘变化"].iter_rows(values_only=True))
    (row,) = [r for r in rows if r[0] == "锁定网格内新增住户"]
    assert row[3] == year["locked"] and row[4] == 3 * year["per"]
    assert "已计入该网格" in row[5] and "超过上限 500 户" in row[5] and "解锁该网格后重绘" in row[5]
    (line,) = [r for r in rows if r[0] == "住户"]
    assert line[4] == t["imported"] and line[5].endswith(f"= 本次 {t['imported']:,} 户")
    grid_rows = list(wb["网格台账"].iter_rows(values_only=True))
    assert [r[4] for r in grid_rows if r[0] == "住户合计（导入）"] == [t["imported"]]


def test_a_new_building_on_the_border_of_two_locked_grids_joins_the_first_code(tmp_path):
    """A building standing on the shared border of two locked grids (a corner of both outlines) is
    new this year: it joins the locked grid whose code sorts first. It went to an unlocked grid
    squeezed between them, and the console said it had been in that grid last year."""
    fast = ["--corridor-width", "0", "--no-subgrids", "--quiet"]
    p = cut_project("nanjing-xuanwu")
    last = tmp_path / "last.gpkg"
    assert main(["partition", str(p.save(tmp_path / "raw.gpkg")), "--out", str(last), *fast]) == 0
    g = gpd.read_file(last, layer="grids")
    g = g[g["status"] == "ok"].set_index("code")
    hs = p.layers["households"].gdf
    taken = shapely.union_all(shapely.buffer(hs.geometry.values, 2.0))
    pair = None
    for a in sorted(g.index):  # a corner of one grid's outline on another's, away from every building
        xy = shapely.get_coordinates(shapely.boundary(g.geometry[a]))
        free = ~shapely.intersects_xy(taken, xy[:, 0], xy[:, 1])
        for b in sorted(g.index[(g["village"] == g.at[a, "village"]) & (g.index > a)]):
            on = np.flatnonzero(free & shapely.intersects_xy(g.geometry[b], xy[:, 0], xy[:, 1]))
            if len(on):
                pair = (a, b, xy[on[len(on) // 2]])
                break
        if pair:
            break
    first, second, pt = pair
    assert main(["edit", str(last), "--lock", first, "--lock", second]) == 0
    new = gpd.GeoDataFrame({"hh": [7], "src_id": ["界上新楼"]}, geometry=[shapely.Point(pt)], crs=hs.crs)
    p.layers["households"].gdf = gpd.GeoDataFrame(gpd.pd.concat([hs, new], ignore_index=True), crs=hs.crs)
    out, rep = tmp_path / "next.gpkg", tmp_path / "next.json"
    assert main(["partition", str(p.save(tmp_path / "now.gpkg")), "--previous", str(last), "--out", str(out),
                 "--report", str(rep), *fast]) == 0
    h = gpd.read_file(out, layer="households")
    assert h.loc[h["src_id"] == "界上新楼", "grid"].tolist() == [first]
    red = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
    assert [(e["locked"], e["households"], e["buildings"]) for e in red["joined_locked"]] == [(first, 7, ["界上新楼"])]
    now = gpd.read_file(out, layer="grids").set_index("code")
    assert now.at[first, "hh"] == g.at[first, "hh"] + 7 and now.at[second, "hh"] == g.at[second, "hh"]
