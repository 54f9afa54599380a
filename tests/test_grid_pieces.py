"""Grids in pieces, and grids after a re-import, on the bundled Liechtenstein sample (the demo's data).

- ``validate --grids`` (the app's 检查网格) and the partition say the same grids are in pieces, by
  one rule: a grid whose households lie on pieces of its land that only its village's own parts
  explain is a note, not a warning; a hand edit that leaves a grid in two pieces in one part of
  its village is a warning naming the grid, its village and the pieces.
- Households re-imported into a partitioned project: the grids' ``status`` says their counts are
  out of date, and a grid none of the new households lies in says it is empty — in the grid check,
  the ledger and the export, not ``ok``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gridtool.cli import main
from gridtool.partition.contiguity import land_pieces
from gridtool.partition.edit import GridPlan
from gridtool.project import Project
from gridtool.samples import sample_sources

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    d = tmp_path_factory.mktemp("pieces")
    proj = d / "li.gpkg"
    Project.from_sources(sample_sources("liechtenstein"), name="liechtenstein").save(proj)
    report = d / "report.json"
    assert main(["partition", str(proj), "--out", str(proj), "--report", str(report), *FAST]) == 0
    return {"proj": proj, "report": json.loads(report.read_text(encoding="utf-8"))}


def _copy(planned, tmp_path) -> Path:
    out = tmp_path / "copy.gpkg"
    shutil.copy(planned["proj"], out)
    return out


def _grid_check(path, capsys) -> list[dict]:
    capsys.readouterr()
    main(["validate", str(path), "--grids", "--json"])
    return json.loads(capsys.readouterr().out)


def test_the_grid_check_and_the_partition_name_the_same_grids_in_pieces(planned, capsys):
    problems = _grid_check(planned["proj"], capsys)
    plan = planned["report"]["plan"]
    split = [p for p in problems if p["code"] == "grid_not_contiguous"]
    apart = [p for p in problems if p["code"] == "grid_in_village_parts"]
    # One rule: what the partition's report says is what the check lists.
    assert [p["features"][0] for p in split] == [r["code"] for r in plan["grids_not_contiguous"]]
    assert [p["features"][0] for p in apart] == [r["code"] for r in plan["grids_in_village_parts"]]
    assert split == []  # the partition draws no grid in pieces its village does not explain
    assert apart, "the sample's villages with exclaves give grids in pieces"
    grids = pyogrio.read_dataframe(planned["proj"], layer="grids")
    villages = pyogrio.read_dataframe(planned["proj"], layer="villages")
    vgeom = dict(zip(villages["code"].astype(str), villages.geometry))
    for p, r in zip(apart, plan["grids_in_village_parts"]):
        row = grids[grids["code"] == r["code"]].iloc[0]
        # Said as what it is: a note, naming the grid, its village and the parts.
        assert p["severity"] == "info"
        assert p["zh"].startswith(f"网格 {r['code']}（{row['village']}）")
        assert f"{r['pieces']} 块土地" in p["zh"] and "不是划分错误" in p["zh"]
        assert f"grid {r['code']} ({row['village']})" in p["en"]
        # The grid is in pieces and so is its village, by the shapes themselves.
        assert len(land_pieces(row.geometry)) >= r["pieces"] > 1
        assert len(land_pieces(vgeom[str(row["village_code"])])) >= r["village_parts"] > 1
    # A grid in one piece is never said to be in pieces (the old check warned about such grids).
    whole = {c for c, g in zip(grids["code"], grids.geometry) if len(land_pieces(g)) == 1}
    assert not whole & {p["features"][0] for p in problems if p["code"].startswith("grid_in") or
                        p["code"] == "grid_not_contiguous"}
    # The console says it as the check does: a note, with the grids' codes.
    capsys.readouterr()
    main(["validate", str(planned["proj"]), "--grids"])
    out = capsys.readouterr().out
    assert f"{len(apart)} 条说明" in out and "[说明]" in out and "不连片" not in out.split("\n")[0]


def test_a_hand_edit_that_leaves_a_grid_in_two_pieces_is_a_warning(planned):
    project = Project.open(planned["proj"])
    plan = GridPlan.from_project(project)
    grids = project.layers["grids"].gdf
    assert not any(p.code == "grid_not_contiguous" for p in plan.validate())
    # Two grids of one village, in one part of it, not touching: the households of one painted
    # into the other leave that grid in two pieces with another grid's land between them.
    pair = None
    for village, g in grids[grids["status"] == "ok"].groupby("village"):
        if len(land_pieces(plan.village_shapes[g["code"].iat[0]])) != 1:
            continue
        for i in range(len(g)):
            for j in range(len(g)):
                if i != j and shapely.distance(g.geometry.iat[i], g.geometry.iat[j]) > 50:
                    pair = (g["code"].iat[i], g["code"].iat[j], village)
                    break
            if pair:
                break
        if pair:
            break
    assert pair, "the sample has a village in one part with two grids apart"
    a, c, village = pair
    plan.move(plan.features_of(c), a).do()
    found = [p for p in plan.validate() if p.code == "grid_not_contiguous"]
    assert [p.features for p in found] == [[a]]
    p = found[0]
    assert p.severity == "warning"
    assert p.zh.startswith(f"网格 {a}（{village}）的住户分在 2 块互不相连的土地上")
    assert p.en.startswith(f"grid {a} ({village}) has its households on 2 pieces of land")
    assert "刷入" in p.fix_zh and "paint" in p.fix_en
    assert plan.pieces()[a].kind == "split"


def test_households_re_imported_leave_the_grids_stale_and_a_grid_without_them_empty(planned, tmp_path, capsys):
    proj = _copy(planned, tmp_path)
    hh = pyogrio.read_dataframe(proj, layer="households")
    grids_before = pyogrio.read_dataframe(proj, layer="grids")
    gone = str(grids_before.loc[grids_before["status"] == "ok", "code"].iat[0])
    # This year's roster: the buildings of one grid pulled down, the rest as they were.
    keep = hh[hh["grid"].astype(str) != gone][["hh", "village", "geometry"]]
    gone_geom = grids_before.loc[grids_before["code"] == gone].geometry.iat[0]
    keep = keep[~keep.geometry.representative_point().within(gone_geom)]
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(keep.to_crs(4326), roster, layer="住户")
    assert main(["import", str(proj), "--households", str(roster), "--quiet"]) == 0
    capsys.readouterr()

    grids = pyogrio.read_dataframe(proj, layer="grids")
    status = dict(zip(grids["code"].astype(str), grids["status"].astype(str)))
    assert status[gone] == "emptied"
    assert set(status.values()) == {"stale", "emptied"}  # no grid is still "ok" on the old counts
    # Nothing else of the plan changed: codes, counts as drawn, notes and shapes are kept.
    cols = [c for c in grids_before.columns if c not in ("status", "geometry")]
    assert grids[cols].equals(grids_before[cols])

    problems = _grid_check(proj, capsys)
    emptied = [p for p in problems if p["code"] == "grid_emptied"]
    assert [p["features"] for p in emptied] == [[gone]]
    assert "没有住户" in emptied[0]["zh"] and "--redraw" in emptied[0]["fix_zh"]
    # No bounds warning on counts that are the old roster's.
    assert not [p for p in problems if p["code"] in ("grid_under", "grid_over")]

    from gridtool.maps.ledger import ledger_tables
    ledger = ledger_tables(Project.open(proj))
    sheets = {s.name: s for s in ledger.sheets}
    grid_sheet = next(s for n, s in sheets.items() if "状态" in s.columns and "网格编码" in s.columns)
    col, code_col = grid_sheet.columns.index("状态"), grid_sheet.columns.index("网格编码")
    words = {str(r[code_col]): r[col] for r in grid_sheet.rows}
    assert words[gone].startswith("无住户") and "重新导入" in words[gone]
    assert all(w.startswith("户数已过时") for c, w in words.items() if c != gone)
    issues = next(s for n, s in sheets.items() if "类型" in s.columns and "建议" in s.columns)
    kinds = [r[0] for r in issues.rows]
    assert "重新导入后无住户的网格" in kinds and "户数已过时的网格" in kinds

    # The export: the GeoPackage keeps the codes, Chinese shapefiles write the ledger's words.
    from gridtool.maps.gis import _chinese_values, write_gpkg
    gp = tmp_path / "export.gpkg"
    write_gpkg(Project.open(proj), gp, roles=["grids"])
    exported = gpd.read_file(gp, layer="grids")
    assert dict(zip(exported["code"].astype(str), exported["status"].astype(str))) == status
    zh = _chinese_values(exported)
    assert dict(zip(zh["code"].astype(str), zh["status"]))[gone] == words[gone]


def test_check_plan_counts_grids_in_pieces_as_the_partition_and_the_grid_check_do(capsys):
    from gridtool.partition.engine import GridPartitioner
    from gridtool.partition.geomcheck import check_plan
    project = Project.from_sources(sample_sources("liechtenstein"), name="liechtenstein")
    gp = GridPartitioner(subgrids=False, corridor_width=0).fit(project)
    plan = gp.report_["plan"]
    check = check_plan(gp)
    # The old check counted polygon pieces and trusted a note; now: the one rule, the same grids.
    assert check["not_contiguous_codes"] == [r["code"] for r in plan["grids_not_contiguous"]]
    assert check["multipart_unexplained"] == len(plan["grids_not_contiguous"])
    assert check["multipart_grids"] == len(plan["grids_not_contiguous"]) + len(plan["grids_in_village_parts"])
    assert check["multipart_grids"] > 0, "the sample's exclaves give grids in pieces"
