"""A redraw from another system's plan: hand-drawn grid outlines (综治 platform, 奥维) with their
own codes, in another CRS, GBK, that miss buildings by a few metres.

Last year's plan of three Nanjing communities (real OpenStreetMap buildings, ``locks_data``) is
redrawn by hand as another system would hold it: outlines drawn 12 m inside the grids (gaps
between neighbours, buildings on the edges outside every outline), codes XW001 …, CGCS2000
geographic, a GBK shapefile. Before, every household outside the outlines was counted as new
(2,316 on the whole Xuanwu demo, which has none) and moved between grids as no previous grid held
it; a grid the redraw had to add was numbered 320102900012-01 among XW069–XW073.
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

from gridtool.cli import main  # noqa: E402

OPTS = ["--corridor-width", "0", "--no-subgrids", "--quiet"]


def _other_system(grids: gpd.GeoDataFrame, path: Path, inset: float) -> dict[str, str]:
    """``grids`` as hand-drawn outlines ``inset`` metres inside, coded XW001 … in reading order
    of their gridtool codes; returns gridtool code → XW code."""
    g = grids.sort_values("code").reset_index(drop=True)
    xw = {c: f"XW{i + 1:03d}" for i, c in enumerate(g["code"])}
    geom = shapely.buffer(shapely.simplify(g.geometry.values, 5.0), -inset) if inset else g.geometry.values
    gpd.GeoDataFrame({"网格编号": [xw[c] for c in g["code"]], "网格员": ["张三"] * len(g)}, geometry=geom,
                     crs=g.crs).to_crs(4490).to_file(path, encoding="gbk")
    return xw


@pytest.fixture(scope="module")
def last(tmp_path_factory):
    d = tmp_path_factory.mktemp("other-system")
    p = cut_project("nanjing-xuanwu")
    raw = p.save(d / "raw.gpkg")
    out = d / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(out), *OPTS]) == 0
    return {"dir": d, "raw": raw, "project": p, "grids": gpd.read_file(out, layer="grids")}


def _redraw(last, previous: Path, now: Path, name: str) -> dict:
    out, rep = last["dir"] / f"{name}.gpkg", last["dir"] / f"{name}.json"
    assert main(["partition", str(now), "--previous", str(previous), "--out", str(out), "--report", str(rep),
                 *OPTS]) == 0
    return json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]


def test_buildings_just_outside_hand_drawn_outlines_are_neither_new_nor_moved(last, capsys):
    shp = last["dir"] / "hand.shp"
    _other_system(last["grids"], shp, inset=12.0)
    exact = last["dir"] / "exact.shp"
    _other_system(last["grids"], exact, inset=0.0)
    capsys.readouterr()
    r = _redraw(last, shp, last["raw"], "hand")
    text = capsys.readouterr().out
    e = _redraw(last, exact, last["raw"], "exact")
    # Nobody is new: the roster is last year's (before: every household in a gap counted as new).
    assert r["households_new"] == 0 == e["households_new"]
    # Snapped, most to the grid they were in: the redraw moves few more households than from the
    # exact outlines (before: 131 against 79 on these three communities).
    assert r["features_snapped"] > 0 and r["households_snapped"] > 0
    assert r["households_moved"] - e["households_moved"] <= 0.1 * r["households_snapped"]
    assert f"{r['households_snapped']:,} 户（{r['features_snapped']:,} 个住户要素）不在上一版任何网格面内" in text
    assert "Traceback" not in text


def test_snapped_buildings_go_to_the_grid_that_held_them(last):
    """The match itself: each building outside every hand-drawn outline is placed in last year's
    grid of most of its households, nearly always (a building in the gap between two outlines may
    lie nearer the other one)."""
    from gridtool.partition.previous import match_previous
    shp = last["dir"] / "match.shp"
    xw = _other_system(last["grids"], shp, inset=12.0)
    prev = gpd.read_file(shp).rename(columns={"网格编号": "code"})
    hs = gpd.read_file(last["dir"] / "last.gpkg", layer="households")
    special = hs["grid"].astype(str).str.contains("-ZS") | ~hs["grid"].astype(str).isin(list(xw))
    pv = match_previous(prev, hs, hs["hh"].to_numpy(), crs=hs.crs, match="polygons",
                        village_of=np.where(special, -1, 0))
    snapped = np.flatnonzero((pv.inside < 0) & (pv.placed >= 0))
    assert pv.flags["features_snapped"] == len(snapped) > 5
    right = sum(pv.codes[pv.placed[f]] == xw.get(str(hs["grid"].iat[f])) for f in snapped)
    assert right >= 0.9 * len(snapped)


def test_a_grid_the_redraw_adds_continues_the_other_systems_numbering(last, capsys):
    """1,200 households in new buildings in one community force one more grid: it is numbered after the highest XW
    code, never with gridtool's own scheme, and no code is given twice."""
    shp = last["dir"] / "codes.shp"
    xw = _other_system(last["grids"], shp, inset=0.0)
    p = last["project"]
    hs = p.layers["households"].gdf
    g = last["grids"]
    vill = "长白街社区"
    poly = shapely.union_all(g[g["village"] == vill].geometry.values)
    spots = free_spots(poly, hs.geometry.values, 8, np.random.default_rng(5))
    new = gpd.GeoDataFrame({"hh": [150] * 8, "src_id": [f"新建 {i} 号楼" for i in range(8)]}, geometry=spots,
                           crs=hs.crs)
    p2 = cut_project("nanjing-xuanwu")
    p2.layers["households"].gdf = gpd.GeoDataFrame(gpd.pd.concat([hs, new], ignore_index=True), crs=hs.crs)
    now = p2.save(last["dir"] / "grown.gpkg")
    capsys.readouterr()
    r = _redraw(last, shp, now, "grown")
    text = capsys.readouterr().out
    out = gpd.read_file(last["dir"] / "grown.gpkg", layer="grids")
    codes = out["code"].astype(str).tolist()
    assert len(codes) == len(set(codes))
    assert r["codes_new"] >= 1 and r["new_codes"]
    top = max(int(c[2:]) for c in xw.values())
    for c in r["new_codes"]:
        assert re.fullmatch(r"XW\d{3}", c) and int(c[2:]) > top
    assert not any(c.startswith("32010") for c in codes)
    assert "新网格沿用上一版的编码方式（“XW”+3 位序号" in text
    # The ledger's 重绘变化 sheet says the same beside the code.
    import openpyxl
    xlsx = last["dir"] / "grown.xlsx"
    assert main(["export", str(last["dir"] / "grown.gpkg"), "--ledger", str(xlsx), "--quiet"]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["重绘变化"].iter_rows(values_only=True))
    said = [row for row in rows if row and row[0] == "编码方式"]
    assert sorted(row[3] for row in said) == sorted(r["new_codes"])


def test_outlines_drawn_a_few_metres_off_change_nothing_more_than_exact_ones(tmp_path, capsys):
    """The whole Xuanwu sample, last year's grids as another system holds them, once exactly and
    once drawn 3.6 m off (3 m east, 2 m south). Before, the offset put an empty lane of 中山南路社区
    in a grid of the next community; the redraw then made a sixth grid there out of 371 households
    of the five (every grid of the village changed). Now both redraws move the same households and
    keep each village's number of grids."""
    from gridtool.project import Project
    from gridtool.samples import sample_sources
    raw = Project.from_sources(sample_sources("nanjing-xuanwu"), name="xuanwu").save(tmp_path / "raw.gpkg")
    last = tmp_path / "last.gpkg"
    assert main(["partition", str(raw), "--out", str(last), *OPTS]) == 0
    g = gpd.read_file(last, layer="grids").sort_values("code").reset_index(drop=True)
    before = g.groupby("village").size().to_dict()
    out = {}
    for name, dx, dy in (("exact", 0.0, 0.0), ("offset", 3.0, -2.0)):
        geom = np.array([shapely.affinity.translate(x, dx, dy) for x in g.geometry.values])
        shp = tmp_path / f"{name}.shp"
        gpd.GeoDataFrame({"网格编号": [f"XW{i + 1:03d}" for i in range(len(g))]}, geometry=geom,
                         crs=g.crs).to_crs(4490).to_file(shp, encoding="gbk")
        rep = tmp_path / f"{name}.json"
        assert main(["partition", str(raw), "--previous", str(shp), "--out", str(tmp_path / f"{name}.gpkg"),
                     "--report", str(rep), *OPTS]) == 0
        out[name] = json.loads(rep.read_text(encoding="utf-8"))["plan"]["redraw"]
        now = gpd.read_file(tmp_path / f"{name}.gpkg", layer="grids")
        assert now.groupby("village").size().to_dict() == before
    assert out["offset"]["households_moved"] == out["exact"]["households_moved"]
    assert out["offset"]["codes_new"] == 0 and out["offset"]["households_new"] == 0


def test_a_building_divided_between_two_grids_stays_divided_by_the_grids_household_counts(last, capsys):
    """Another system's plan with each grid's household count (户数): an apartment block its plan
    divided between two grids lies in one outline. Before, it was placed whole there, that grid
    was over its count and the neighbour under, and the redraw moved other households to even
    them out (79 households, 5 grids on these communities). Now the counts divide it as it was:
    nothing moves. Without the counts, or with counts of another roster, it is placed whole, as
    before, and the console says why."""
    plan = gpd.read_file(last["dir"] / "last.gpkg", layer="households")
    divided = plan.index[plan["grid_parts"].fillna("") != ""]
    assert len(divided) >= 2  # the data: apartment blocks divided between grids
    g = last["grids"].sort_values("code").reset_index(drop=True)
    xw = {c: f"XW{i + 1:03d}" for i, c in enumerate(g["code"])}
    out = {}
    # "stale": every count 3 off, as a roster of another year would be
    for name, counts in (("counted", 0), ("uncounted", None), ("stale", 3)):
        cols = {"网格编号": [xw[c] for c in g["code"]]}
        if counts is not None:
            cols["户数"] = (g["hh"].astype(int) + counts).tolist()
        shp = last["dir"] / f"{name}.shp"
        gpd.GeoDataFrame(cols, geometry=g.geometry.values, crs=g.crs).to_crs(4490).to_file(shp, encoding="gbk")
        capsys.readouterr()
        r = _redraw(last, shp, last["raw"], name)
        out[name] = (r, capsys.readouterr().out)
    r, text = out["counted"]
    assert r["households_moved"] == 0 and r["grids_changed"] == 0 and r["households_new"] == 0
    assert r["features_divided"] == len(divided)
    assert f"{len(divided)} 栋位于上一版两个网格边界上的楼按上一版各网格的户数分在两个网格" in text
    assert f"{len(divided)} buildings on the border of two previous grids" not in text  # one language on the console
    # Each divided block keeps last year's shares, under the other system's codes.
    now = gpd.read_file(last["dir"] / "counted.gpkg", layer="households")
    for f in divided:
        was = sorted((xw[c], n) for c, n in (x.split(":") for x in plan["grid_parts"].iat[f].split(";")))
        assert sorted(tuple(x.split(":")) for x in now["grid_parts"].iat[f].split(";")) == was
    r0, text0 = out["uncounted"]
    assert r0["households_moved"] > 0 and not r0.get("features_divided")
    assert "上一版网格没有户数字段，两个网格分住的楼栋无法看出，整栋归入所在网格" in text0
    r3, text3 = out["stale"]
    assert r3["households_moved"] == r0["households_moved"] and not r3.get("features_divided")
    assert re.search(r"上一版网格的户数只有 0/\d+ 个与现在归入的住户相符", text3)
    assert "Traceback" not in text + text0 + text3


def _two_grids_and_neighbours(counts):
    """Another system's grids A (0–100 m) and B (100–200 m) with C and D north of them, their
    household counts ``counts``; a block of 30 households 4 m from the border inside A, a house of
    2 households across it (mostly in A's outline), and one building in each of B, C and D."""
    box = shapely.box
    prev = gpd.GeoDataFrame({"code": ["A", "B", "C", "D"], "hh": counts},
                            geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 100, 200),
                                      box(100, 100, 200, 200)], crs=3857)
    homes = gpd.GeoDataFrame(
        {"hh": [30, 2, 10, 12, 8]},
        geometry=[box(60, 40, 96, 60), box(94, 80, 103, 90), box(150, 40, 170, 60), box(30, 140, 50, 160),
                  box(130, 140, 150, 160)], crs=3857)
    return prev, homes


def test_the_counts_divide_a_block_near_the_border_and_return_a_house_across_it():
    """A records 18 households, B 24 (C and D as they are): the house was B's and the block was
    divided 18/12 between A and B."""
    from gridtool.partition.previous import match_previous
    prev, homes = _two_grids_and_neighbours([18, 24, 12, 8])
    pv = match_previous(prev, homes, homes["hh"].to_numpy(), crs=homes.crs, match="polygons")
    named = [sorted((pv.codes[p], n) for p, n in ps) for ps in pv.parts]
    assert named == [[("A", 18), ("B", 12)], [("B", 2)], [("B", 10)], [("C", 12)], [("D", 8)]]
    assert pv.flags["features_divided"] == 1 and pv.flags["households_divided"] == 12
    assert pv.flags["features_whole_by_count"] == 1
    # Without the counts each lies whole in the outline holding most of it.
    pv0 = match_previous(prev.drop(columns="hh"), homes, homes["hh"].to_numpy(), crs=homes.crs, match="polygons")
    assert [sorted((pv0.codes[p], n) for p, n in ps) for ps in pv0.parts][:2] == [[("A", 30)], [("A", 2)]]
    assert pv0.flags.get("divided_needs_hh") and not pv0.flags.get("features_divided")


def test_counts_of_another_roster_divide_nothing():
    """Counts that mostly disagree with today's households (C and D off too: last year's roster)
    say nothing about which building was divided: every building stays whole."""
    from gridtool.partition.previous import match_previous
    prev, homes = _two_grids_and_neighbours([18, 24, 15, 5])
    pv = match_previous(prev, homes, homes["hh"].to_numpy(), crs=homes.crs, match="polygons")
    assert [sorted((pv.codes[p], n) for p, n in ps) for ps in pv.parts][:2] == [[("A", 30)], [("A", 2)]]
    assert pv.flags["divided_counts_agree"] == [0, 4] and not pv.flags.get("features_divided")
