"""``gridtool import PROJECT.gpkg --ROLE FILE``: this month's 警情, a new roster or corrected roads
into a saved project, every other layer (grids, sub-grids, locks, edits) kept; layers beside a
project for one run (``validate``, ``patrol`` …); and a new import that would wipe a partitioned
project refused.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``), partitioned
once by the command line, one grid locked with ``gridtool edit``."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main
from gridtool.partition.output import locked_codes
from gridtool.project import Project

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]
PLAN = ("grids", "special_grids")


def _hash(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The cut partitioned, its first grid locked; and a 警情 sheet derived from its buildings:
    30 calls at 10 buildings (3 each), plus a row without coordinates and one at 0,0."""
    d = tmp_path_factory.mktemp("add-layer")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    plan = d / "plan.gpkg"
    assert main(["partition", str(raw), "--out", str(plan), *FAST]) == 0
    first = str(pyogrio.read_dataframe(plan, layer="grids")["code"].iloc[0])
    assert main(["edit", str(plan), "--lock", first]) == 0
    hh = pyogrio.read_dataframe(plan, layer="households").to_crs(4326).geometry.representative_point()
    wb = Workbook()
    ws = wb.active
    ws.title = "本月警情"
    ws.append(["警情编号", "经度", "纬度", "报警时间", "警情类别", "报警人", "联系电话"])
    for k in range(30):
        p = hh.iloc[(k % 10) * 7]
        ws.append([f"32010220261100{k:04d}", round(p.x, 6), round(p.y, 6), f"2026-11-{1 + k % 28:02d} 21:{k:02d}",
                   "治安-盗窃" if k % 2 else "治安-纠纷", "张三", f"138{k:08d}"])
    ws.append(["320102202611009998", None, None, "2026-11-03 10:00", "治安-纠纷", "李四", "13900000000"])
    ws.append(["320102202611009999", 0, 0, "2026-11-04 11:00", "治安-纠纷", "王五", "13900000001"])
    sheet = d / "本月警情.xlsx"
    wb.save(sheet)
    return {"dir": d, "plan": plan, "locked": first, "sheet": sheet}


def _copy(planned, tmp_path) -> Path:
    p = tmp_path / "项目.gpkg"
    shutil.copy(planned["plan"], p)
    return p


def test_incidents_added_to_a_partitioned_project_keep_its_plan(planned, tmp_path, capsys):
    """Before: ``import PROJECT.gpkg --incidents F`` was a usage error (--out required) and the only
    way in was a rebuild from every source file, the grids lost. Now the project is reopened with
    the calls in it, checked as a fresh import checks them, and the plan is the same to the byte."""
    proj = _copy(planned, tmp_path)
    before = Project.open(proj)
    assert main(["import", str(proj), "--incidents", str(planned["sheet"]), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "已加入警情（incidents）：30 个要素" in out
    assert "第32行" in out and "第33行" in out  # the two rows not placed, named as a fresh import names them
    after = Project.open(proj)
    assert set(after.layers) == set(before.layers) | {"incidents"}
    for role in before.layers:  # grids, sub-grids, households with their grid codes, roads …
        a, b = before.layers[role].gdf, after.layers[role].gdf
        assert list(a.columns) == list(b.columns) and len(a) == len(b), role
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry")), role
        assert a.geometry.geom_equals_exact(b.geometry, 1e-6).all(), role
    assert locked_codes(after) == locked_codes(before) == [planned["locked"]]
    assert after.parameters["partition"] == before.parameters["partition"]
    assert after.crs.equals(before.crs)
    inc = after.layers["incidents"]
    assert len(inc.gdf) == 30 and inc.sensitive.get("联系电话") == "phone"
    assert after.parameters["layers_replaced"][-1]["role"] == "incidents"
    assert main(["info", str(proj), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layers"]["incidents"]["placement"]["placed"] == 30
    assert info["layers"]["grids"]["features"] == len(before.layers["grids"].gdf)

    # The same engine as a new project reads the sheet with: same rows, same positions.
    fresh = Project.from_sources({"households": str(planned["plan"]) + ":households",
                                  "incidents": str(planned["sheet"])})
    fresh_inc = fresh.layers["incidents"].gdf.to_crs(after.crs)
    assert np.allclose(np.c_[fresh_inc.geometry.x, fresh_inc.geometry.y], np.c_[inc.gdf.geometry.x, inc.gdf.geometry.y],
                       atol=0.01)

    # A second month replaces the first: still one incidents layer, the plan still untouched.
    assert main(["import", str(proj), "--incidents", str(planned["sheet"]), "--quiet"]) == 0
    assert "已替换警情（incidents）：原 30 个要素 → 现 30 个" in capsys.readouterr().out
    again = Project.open(proj)
    assert len(again.layers["incidents"].gdf) == 30
    assert again.layers["grids"].gdf.drop(columns="geometry").equals(before.layers["grids"].gdf.drop(columns="geometry"))


def test_replacing_households_says_the_grids_are_out_of_date_and_redraw_brings_them_back(planned, tmp_path, capsys):
    """A new roster: the grids are kept (hand edits, locks), the planner is told their counts are
    those of the old roster and which command redraws them; after that redraw one total holds."""
    proj = _copy(planned, tmp_path)
    grids_before = pyogrio.read_dataframe(proj, layer="grids")
    hh = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "village", "geometry"]]
    hh.loc[hh.index[:5], "hh"] = hh.loc[hh.index[:5], "hh"] + 4
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hh, roster, layer="住户")
    assert main(["import", str(proj), "--households", str(roster), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "网格户数已过时" in out and f"gridtool partition {proj} --redraw --out {proj}" in out
    assert "锁定和手工修改都仍在项目中" in out
    kept = pyogrio.read_dataframe(proj, layer="grids")
    assert kept.drop(columns=["geometry", "status"]).equals(grids_before.drop(columns=["geometry", "status"]))
    assert set(kept["status"]) == {"stale"}  # the same buildings: every grid holds some, counts out of date
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), *FAST]) == 0
    redrawn = Project.open(proj)
    total = int(hh["hh"].sum())
    assert redrawn.layers["households"].total_households == total
    g, s = redrawn.layers["grids"].gdf, redrawn.layers["special_grids"].gdf
    assert int(g["hh"].sum()) + int(s["hh"].sum()) == total
    assert locked_codes(redrawn) == [planned["locked"]]
    assert not {"stale", "emptied"} & set(g["status"])  # drawn again: their status is theirs again


def test_a_new_roster_saved_as_a_copy_is_told_to_redraw_the_copy(planned, tmp_path, capsys):
    """``import P --households new --out P2``: the redraw the planner is told to run is of P2, the
    project holding the new roster (before: of P, whose roster is the old one)."""
    proj = _copy(planned, tmp_path)
    hh = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "village", "geometry"]]
    hh.loc[hh.index[:3], "hh"] = hh.loc[hh.index[:3], "hh"] + 2
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hh, roster, layer="住户")
    copy = tmp_path / "今年.gpkg"
    assert main(["import", str(proj), "--households", str(roster), "--out", str(copy), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"gridtool partition {copy} --redraw --out {copy}" in out
    assert f"partition {proj} " not in out


def test_a_layer_beside_the_project_is_for_this_run_only(planned, tmp_path, capsys):
    """``validate PROJECT --incidents F`` checks the sheet with the project, writing nothing;
    ``partition`` (which saves the plan) points to ``import PROJECT`` instead of mixing the two."""
    proj = _copy(planned, tmp_path)
    h = _hash(proj)
    assert main(["validate", str(proj), "--incidents", str(planned["sheet"])]) == 0
    out = capsys.readouterr().out
    assert "第32行" in out and "第33行" in out
    assert _hash(proj) == h
    assert main(["partition", str(proj), "--incidents", str(planned["sheet"]), "--out", str(tmp_path / "b.gpkg")]) == 2
    err = capsys.readouterr().err
    assert f"gridtool import {proj} --incidents {planned['sheet']}" in err and "Traceback" not in err
    assert _hash(proj) == h and not (tmp_path / "b.gpkg").exists()


def test_a_new_import_over_a_partitioned_project_is_refused(planned, tmp_path, capsys):
    """Before: ``import --incidents F --out PROJECT.gpkg`` replaced the whole project with one
    holding only the calls — grids, locks and edits gone without a word. Now it is refused, naming
    what would be lost and the command that adds the layer instead; --force still rebuilds."""
    proj = _copy(planned, tmp_path)
    h = _hash(proj)
    assert main(["import", "--incidents", str(planned["sheet"]), "--out", str(proj)]) == 2
    err = capsys.readouterr().err
    assert "基础网格（grids）" in err and f"gridtool import {proj} --incidents" in err and "--force" in err
    assert _hash(proj) == h
    assert main(["import", str(proj), "--incidents", str(tmp_path / "没有这个.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "没有这个.xlsx" in err and "Traceback" not in err
    assert _hash(proj) == h  # a file that cannot be read changes nothing
    assert main(["import", str(proj)]) == 2
    assert "--incidents" in capsys.readouterr().err


def test_the_app_adds_the_layer_as_the_command_line_does(planned, tmp_path, qtbot, window, capsys):
    """文件 → 添加/替换图层 in the app: the same calls in the same places as ``gridtool import
    PROJECT.gpkg --incidents``, the grids untouched, one undo step, saved and reopened."""
    from gridtool.ui.add_layer_dialog import AddLayerDialog
    cli_proj = _copy(planned, tmp_path)
    assert main(["import", str(cli_proj), "--incidents", str(planned["sheet"]), "--quiet"]) == 0
    capsys.readouterr()
    app_proj = tmp_path / "app.gpkg"
    shutil.copy(planned["plan"], app_proj)
    w = window
    w.open_project(str(app_proj))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    assert w.actions_["file.add_layer"].isEnabled()
    grids_before = w.session.project.layers["grids"].gdf.copy()
    dlg = AddLayerDialog(w)
    dlg.path.setText(str(planned["sheet"]))
    dlg.run()
    qtbot.waitUntil(lambda: not w.jobs.busy and "incidents" in w.session.project.layers, timeout=60000)
    texts = [p.zh for p in w.problems.problems]
    assert any("坐标为 0,0" in t for t in texts)  # the sheet's problems listed, as the command prints them
    w._save_to(str(app_proj))
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    a, b = Project.open(app_proj), Project.open(cli_proj)
    ga, gb = a.layers["incidents"].gdf, b.layers["incidents"].gdf
    assert len(ga) == len(gb) == 30
    assert np.allclose(np.c_[ga.geometry.x, ga.geometry.y], np.c_[gb.geometry.x, gb.geometry.y])
    assert list(ga["type"]) == list(gb["type"])
    assert a.layers["grids"].gdf.drop(columns="geometry").equals(grids_before.drop(columns="geometry"))
    w.undo()
    assert "incidents" not in w.session.project.layers


def test_the_app_replacing_households_lists_the_grids_as_out_of_date(planned, tmp_path, qtbot, window):
    """A new roster in the app: the grids stay on the map and the problems panel says their counts
    are the old roster's, with the redraw to run."""
    from gridtool.ui.add_layer_dialog import add_layers
    proj = _copy(planned, tmp_path)
    hh = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "village", "geometry"]]
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hh, roster, layer="住户")
    w = window
    w.open_project(str(proj))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    n_grids = len(w.session.project.layers["grids"].gdf)
    add_layers(w, {"households": str(roster)})
    qtbot.waitUntil(lambda: not w.jobs.busy and w.session.project.layers["households"].source.endswith("新住户.gpkg"),
                    timeout=60000)
    assert len(w.session.project.layers["grids"].gdf) == n_grids
    stale = [p for p in w.problems.problems if p.code == "derived_out_of_date"]
    assert stale and "网格户数已过时" in stale[0].zh and "--redraw" in stale[0].fix_zh


def test_commands_without_layer_options_point_to_import(planned, tmp_path, capsys):
    """``walk PROJECT --households F`` (a walk is drawn on the grids, roads and stations only): the
    usage error says how to put the roster into the project, not "did you mean --mode"."""
    with pytest.raises(SystemExit) as e:
        main(["walk", str(planned["plan"]), "--grid", planned["locked"], "--households", str(tmp_path / "户.shp"),
              "--out", str(tmp_path / "w")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "gridtool import 项目.gpkg --households 文件" in err and "--mode" not in err.split("解决办法")[-1]


def _walk_km(folder: Path) -> float:
    (f,) = folder.glob("walk-*.gpkg")
    w = pyogrio.read_dataframe(f, layer=pyogrio.list_layers(f)[0][0])
    return float(w.geometry.length.sum())


def test_walk_takes_corrected_roads_for_one_run_as_patrol_does(planned, tmp_path, capsys):
    """Before: ``walk PROJECT --roads F`` was refused (import the roads first). Now the walk is drawn
    on the roads given, for this run only: a shorter walk on half the streets, the project file
    unchanged and the command that would store them named."""
    proj = _copy(planned, tmp_path)
    grids = pyogrio.read_dataframe(proj, layer="grids")
    roads = pyogrio.read_dataframe(proj, layer="roads")
    # the grid with the most streets, and the roads without every other one of its streets
    inside = [np.flatnonzero(roads.intersects(g)) for g in grids.geometry]
    k = int(np.argmax([len(i) for i in inside]))
    code = str(grids["code"].iloc[k])
    half = tmp_path / "道路修正.gpkg"
    pyogrio.write_dataframe(roads.drop(index=roads.index[inside[k][1::2]]).to_crs(4326), half, layer="道路")
    assert main(["walk", str(proj), "--grid", code, "--out", str(tmp_path / "all"), "--quiet"]) == 0
    h = _hash(proj)  # the walk on the project's own roads is stored in it; the one-run walk below is not
    assert "街巷巡查路线已存入项目" in capsys.readouterr().out
    assert main(["walk", str(proj), "--grid", code, "--roads", str(half), "--out", str(tmp_path / "half"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"项目文件 {proj} 不会改动" in out and f"gridtool import {proj} --roads {half}" in out
    assert "街巷巡查路线未存入项目" in out
    assert 0 < _walk_km(tmp_path / "half") < _walk_km(tmp_path / "all")
    assert _hash(proj) == h


def test_export_takes_places_and_incidents_for_one_run(planned, tmp_path, capsys):
    """``export PROJECT --html M --places F --incidents F``: the map shows the places and calls
    given, the project file is not changed, ``--encoding`` is still the shapefiles' own."""
    proj = _copy(planned, tmp_path)
    h = _hash(proj)
    places = pyogrio.read_dataframe(proj, layer="places").to_crs(4326).iloc[:2].copy()
    places["name"] = ["新设警务室甲", "新设警务室乙"]
    pf = tmp_path / "新场所.gpkg"
    pyogrio.write_dataframe(places, pf, layer="场所")
    html, shp = tmp_path / "图.html", tmp_path / "shp"
    assert main(["export", str(proj), "--html", str(html), "--shp", str(shp), "--encoding", "gbk", "--layers", "places",
                 "--places", str(pf), "--incidents", str(planned["sheet"]), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"项目文件 {proj} 不会改动" in out
    text = html.read_text(encoding="utf-8")
    assert "新设警务室甲" in text and "新设警务室乙" in text
    assert "治安-盗窃" in text  # this month's calls on the map
    (cpg,) = shp.glob("*.cpg")
    assert cpg.read_text().strip().upper() in ("GBK", "CP936")
    assert len(pyogrio.read_dataframe(next(shp.glob("*.shp")))) == 2
    assert _hash(proj) == h


def test_the_out_of_date_warning_is_repeated_by_validate_until_the_grids_are_redrawn(planned, tmp_path, capsys):
    """Before: said once by ``import``, then ``gridtool validate P`` (and the grid check) said
    nothing, so a planner who missed the line printed the old roster's counts. Now the project
    keeps it: validate and validate --grids repeat it, naming the redraw, until the redraw."""
    proj = _copy(planned, tmp_path)
    hh = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "village", "geometry"]]
    hh.loc[hh.index[:5], "hh"] = hh.loc[hh.index[:5], "hh"] + 4
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hh, roster, layer="住户")
    assert main(["import", str(proj), "--households", str(roster), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert said.count("网格户数已过时") == 1
    redraw = f"gridtool partition {proj} --redraw --out {proj}"
    # a warning: the data check still passes (the grid check fails on the new roster in no grid)
    assert main(["validate", str(proj)]) == 0
    capsys.readouterr()
    for cmd in (["validate", str(proj)], ["validate", str(proj), "--grids"]):
        main(cmd)
        out = capsys.readouterr().out
        assert out.count("网格户数已过时") == 1 and redraw in out, cmd
    assert main(["--lang", "en", "validate", str(proj), "--json"]) == 0
    stale = [p for p in json.loads(capsys.readouterr().out) if p["code"] == "derived_out_of_date"]
    assert len(stale) == 1 and stale[0]["role"] == "households" and stale[0]["layer"] == "grids"
    # incidents added later: the grids are still out of date, and import says so again
    assert main(["import", str(proj), "--incidents", str(planned["sheet"]), "--quiet"]) == 0
    assert "网格户数已过时" in capsys.readouterr().out
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), *FAST]) == 0
    capsys.readouterr()
    for cmd in (["validate", str(proj)], ["validate", str(proj), "--grids"]):
        main(cmd)
        assert "已过时" not in capsys.readouterr().out, cmd


def test_the_stored_warning_of_a_copy_names_the_copy_and_the_original_has_none(planned, tmp_path, capsys):
    proj = _copy(planned, tmp_path)
    hh = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "village", "geometry"]]
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hh, roster, layer="住户")
    copy = tmp_path / "今年.gpkg"
    assert main(["import", str(proj), "--households", str(roster), "--out", str(copy), "--quiet"]) == 0
    capsys.readouterr()
    main(["validate", str(copy)])
    assert f"gridtool partition {copy} --redraw --out {copy}" in capsys.readouterr().out
    main(["validate", str(proj)])
    assert "已过时" not in capsys.readouterr().out


def test_the_apps_checks_repeat_the_stored_warning(planned, tmp_path, qtbot, window, capsys):
    """A project whose roster was replaced on the command line, opened in the app: 检查数据 and
    检查网格 list the grids as out of date with the redraw to run."""
    proj = _copy(planned, tmp_path)
    hh = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "village", "geometry"]]
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hh, roster, layer="住户")
    assert main(["import", str(proj), "--households", str(roster), "--quiet"]) == 0
    capsys.readouterr()
    w = window
    w.open_project(str(proj))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    w.validate_plan()
    stale = [p for p in w.problems.problems if p.code == "derived_out_of_date"]
    assert len(stale) == 1 and "网格户数已过时" in stale[0].zh and "--redraw" in stale[0].fix_zh
    w.problems.set_problems([], "plan")
    w.validate_data()
    qtbot.waitUntil(lambda: not w.jobs.busy and any(p.code == "derived_out_of_date" for p in w.problems.problems),
                    timeout=30000)


def _dem_over(proj: Path, path: Path) -> Path:
    """A 30 m elevation model over the project's villages, rising east and north (in its CRS)."""
    import rasterio
    from affine import Affine
    v = pyogrio.read_dataframe(proj, layer="villages")
    x0, y0, x1, y1 = v.total_bounds + np.array([-200, -200, 200, 200])
    w, h = int((x1 - x0) / 30) + 1, int((y1 - y0) / 30) + 1
    yy, xx = np.mgrid[0:h, 0:w]
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       transform=Affine(30.0, 0, x0, 0, -30.0, y1), crs=v.crs) as dst:
        dst.write((20 + 0.5 * xx + 0.2 * yy).astype("float32"), 1)
    return path


def test_an_elevation_model_alone_is_added_to_a_project_as_the_other_layers_are(planned, tmp_path, capsys):
    """Before: ``gridtool import P.gpkg --dem X`` was refused ("no layer given"). Now the DEM goes
    in like any role: every layer kept, the grids named as drawn without it (with the redraw), in
    place or to ``--out COPY``; an unreadable DEM changes nothing."""
    proj = _copy(planned, tmp_path)
    dem = _dem_over(proj, tmp_path / "高程.tif")
    grids_before = pyogrio.read_dataframe(proj, layer="grids")
    h = _hash(proj)
    assert main(["import", str(proj), "--dem", str(tmp_path / "没有这个.tif")]) == 2
    err = capsys.readouterr().err
    assert "没有这个.tif" in err and "Traceback" not in err
    assert _hash(proj) == h
    copy = tmp_path / "加高程.gpkg"
    assert main(["import", str(proj), "--dem", str(dem), "--out", str(copy), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "已加入高程模型（dem）" in out and "未按山脊划分" in out
    assert f"gridtool partition {copy} --redraw --out {copy}" in out
    assert _hash(proj) == h and Project.open(proj).dem is None
    p = Project.open(copy)
    assert p.dem is not None and p.parameters["dem_source"] == str(dem)
    assert set(p.layers) == set(Project.open(proj).layers)
    assert p.layers["grids"].gdf.drop(columns="geometry").equals(grids_before.drop(columns="geometry"))
    main(["validate", str(copy)])
    assert "未按山脊划分" in capsys.readouterr().out
    # a second DEM replaces it; the grids still predate any: said once
    dem2 = _dem_over(proj, tmp_path / "高程2.tif")
    assert main(["import", str(copy), "--dem", str(dem2), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "已替换高程模型（dem）" in out and out.count("高程模型已") == 1
    assert Project.open(copy).parameters["dem_source"] == str(dem2)
    assert main(["partition", str(copy), "--redraw", "--out", str(copy), *FAST]) == 0
    capsys.readouterr()
    main(["validate", str(copy)])
    assert "高程模型已" not in capsys.readouterr().out


def test_the_app_adds_an_elevation_model_as_import_does(planned, tmp_path, qtbot, window):
    """文件 → 添加/替换图层 with 高程: the DEM goes into the project (saved with it), the problems
    panel says the grids were drawn without it, and undo takes it out again."""
    from gridtool.ui.add_layer_dialog import AddLayerDialog
    proj = _copy(planned, tmp_path)
    dem = _dem_over(proj, tmp_path / "高程.tif")
    w = window
    w.open_project(str(proj))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    assert w.session.project.dem is None
    dlg = AddLayerDialog(w)
    dlg.role.setCurrentIndex(dlg.role.findData("dem"))
    dlg.path.setText(str(dem))
    dlg.run()
    qtbot.waitUntil(lambda: not w.jobs.busy and w.session.project.dem is not None, timeout=60000)
    stale = [p for p in w.problems.problems if p.code == "derived_out_of_date"]
    assert len(stale) == 1 and "未按山脊划分" in stale[0].zh and "--redraw" in stale[0].fix_zh
    w._save_to(str(proj))
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    saved = Project.open(proj)
    assert saved.dem is not None and saved.parameters["dem_source"] == str(dem)
    w.undo()
    assert w.session.project.dem is None and "out_of_date" not in w.session.project.parameters


def test_a_crs_fix_after_adding_a_layer_points_to_the_add_layer_box(planned, tmp_path, qtbot, window):
    """A 警情 sheet of 经度/纬度 added with 文件 → 添加/替换图层: the CRS problem's fix says to choose
    the coordinate system in that dialog's 坐标系 box, where the layer is read again, not in the
    new-project wizard (which would start another project)."""
    from gridtool.ui.add_layer_dialog import AddLayerDialog
    w = window
    w.open_project(str(_copy(planned, tmp_path)))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    dlg = AddLayerDialog(w)
    dlg.path.setText(str(planned["sheet"]))
    dlg.run()
    qtbot.waitUntil(lambda: not w.jobs.busy and "incidents" in w.session.project.layers, timeout=60000)
    tree = w.problems.tree
    rows = [(tree.topLevelItem(i).data(0, 256), tree.topLevelItem(i).text(2)) for i in range(tree.topLevelItemCount())]
    fix = next(text for p, text in rows if p.code == "missing_crs")
    assert "--crs-in gcj02" in fix  # the command line's words stay
    where = fix.split("本程序中")[1]
    assert "添加/替换图层" in where and "“坐标系”框" in where
    assert "向导" not in fix
    assert "添加图层检查" in w.problems.summary.text()


def test_a_crs_fix_in_the_data_check_of_an_open_project_points_to_re_adding_the_layer(planned, tmp_path, qtbot, window):
    """A 警情 sheet of 经度/纬度 brought into the project by ``gridtool import P --incidents F``, the
    project then opened in the app and 检查数据 run: the CRS fix says to add the layer again with
    文件 → 添加/替换图层 and its 坐标系 box (grids and edits kept). Before it sent the planner to the
    new-project wizard's first page, which starts another project without the grids."""
    proj = _copy(planned, tmp_path)
    assert main(["import", str(proj), "--incidents", str(planned["sheet"]), "--quiet"]) == 0
    w = window
    w.open_project(str(proj))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    w.validate_data()
    qtbot.waitUntil(lambda: not w.jobs.busy and w.problems.source == "data", timeout=60000)
    tree = w.problems.tree
    rows = [(tree.topLevelItem(i).data(0, 256), tree.topLevelItem(i).text(2)) for i in range(tree.topLevelItemCount())]
    fix = next(text for p, text in rows if p.code == "missing_crs" and p.role == "incidents")
    assert "--crs-in" in fix  # the command line's words stay
    where = fix.split("本程序中")[1]
    assert "添加/替换图层" in where and "重新添加该图层" in where and "“坐标系”框" in where
    assert "向导" not in fix
    assert "数据检查" in w.problems.summary.text()


def test_crs_and_encoding_fixes_name_the_place_for_each_list(qtbot, window):
    """The same layers_far_apart problem, in each problems list: only the import's own list (made by
    the wizard) points to the wizard; the grid check of an open project points to re-adding the layer,
    in Chinese and in English; a --field fix stays with the wizard, the only place columns are chosen."""
    from gridtool.problems import Problem
    from gridtool.ui import i18n
    p = Problem("error", "layers_far_apart", "“道路”图层与“住户”图层相距 900 公里",
                "the roads layer lies 900 km from the households layer",
                fix_zh="检查两个文件的坐标系，用 --crs-in 声明正确的坐标系；或用 --encoding 指定编码。",
                fix_en="check both files' CRS and declare the right one with --crs-in; or give --encoding.",
                role="roads")
    panel = window.problems
    panel.set_problems([p], "import")
    assert "“新建项目”向导第一页" in panel.tree.topLevelItem(0).text(2)
    panel.set_problems([p], "plan")
    fix = panel.tree.topLevelItem(0).text(2)
    assert "重新添加该图层" in fix and "“坐标系”框、“编码”框" in fix and "向导" not in fix
    assert "网格检查" in panel.summary.text()
    i18n.set_language("en")
    try:
        panel.retranslate()
        fix = panel.tree.topLevelItem(0).text(2)
        assert "add the layer again with File → Add or replace a layer" in fix
        assert "“Coordinate system” box" in fix and "wizard" not in fix
    finally:
        i18n.set_language("zh")
        panel.retranslate()
    field = Problem("error", "missing_field", "村图层缺少名称列", "the villages layer has no name column",
                    fix_zh="用 --field villages.name=CJQYMC 指定。", fix_en="name it with --field villages.name=CJQYMC.",
                    role="villages")
    panel.set_problems([field], "data")
    assert "“新建项目”向导第一页" in panel.tree.topLevelItem(0).text(2)
