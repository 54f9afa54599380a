"""One total everywhere, read back from the files: after this round's edit flows (lock, a polygon
drawn over part of a grid moved into another, a move into a locked grid refused) and after the
households are imported again into a partitioned project, every output — console, ledger sheets,
GeoPackage layers, wall map, web map — states the figures of :func:`household_totals`, per grid too.

Real data: three Nanjing communities cut from the bundled sample (``locks_data``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402

from gridtool.cli import main
from gridtool.partition.totals import household_totals, subgrid_counts
from gridtool.project import Project

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """Partitioned, a grid locked, then a polygon over two buildings of one grid and one of the
    locked grid moved into a third grid of the same village."""
    d = tmp_path_factory.mktemp("totals-readback")
    raw = cut_project("nanjing-xuanwu").save(d / "raw.gpkg")
    proj = d / "plan.gpkg"
    assert main(["partition", str(raw), "--out", str(proj), "--corridor-width", "0", "--quiet"]) == 0
    grids = pyogrio.read_dataframe(proj, layer="grids")
    village = grids["village"].value_counts().index[0]  # the village with the most grids
    locked, source, target = grids[grids["village"] == village]["code"].tolist()[:3]
    assert main(["edit", str(proj), "--lock", locked]) == 0
    hs = pyogrio.read_dataframe(proj, layer="households")
    whole = hs["grid_parts"].fillna("") == ""
    pick = [*hs[whole & (hs["grid"] == source)].index[:2], hs[whole & (hs["grid"] == locked)].index[0]]
    area = shapely.union_all(hs.geometry.iloc[pick].representative_point().buffer(1.0).values)
    poly = d / "范围.geojson"
    gpd.GeoDataFrame({"name": ["画的范围"]}, geometry=[area], crs=hs.crs).to_crs(4326).to_file(poly, driver="GeoJSON")
    return {"dir": d, "project": proj, "poly": poly, "locked": locked, "source": source, "target": target,
            "moved_hh": int(hs["hh"].iloc[pick[:2]].sum())}


def _export(proj: Path, out: Path, capsys) -> str:
    out.mkdir(exist_ok=True)
    capsys.readouterr()
    assert main(["export", str(proj), "--ledger", str(out / "台账.xlsx"), "--gpkg", str(out / "网格.gpkg"),
                 "--pdf", str(out / "挂图.pdf"), "--html", str(out / "网格图.html"), "--quiet"]) == 0
    return capsys.readouterr().out


def _rows(ws):
    return list(ws.iter_rows(min_row=2, values_only=True))


def _read_back(out: Path) -> dict:
    """The figures each file states: per grid, per sub-grid's grid, the footers."""
    wb = openpyxl.load_workbook(out / "台账.xlsx")
    ledger_grid = {r[1]: r[4] for r in _rows(wb["网格台账"]) if isinstance(r[0], int)}
    ledger_grid.update({r[1]: r[5] for r in _rows(wb["专属网格"]) if isinstance(r[0], int)})
    footer = {r[0]: r[4] for r in _rows(wb["网格台账"]) if isinstance(r[0], str)}
    ledger_sub = defaultdict(int)
    for r in _rows(wb["子网格"]):
        if isinstance(r[0], int):
            ledger_sub[r[2]] += r[4]
    sub_footer = next(r[4] for r in _rows(wb["子网格"]) if r[0] == "合计")
    list_footer = next(r[3] for r in _rows(wb["住户名单"]) if r[0] == "合计")
    g = out / "网格.gpkg"
    gpkg_grid = {c: int(h) for c, h in pyogrio.read_dataframe(g, layer="grids", read_geometry=False)[["code", "hh"]]
                 .itertuples(index=False)}
    if "special_grids" in {n for n, _ in pyogrio.list_layers(g)}:
        sp = pyogrio.read_dataframe(g, layer="special_grids", read_geometry=False)
        gpkg_grid.update({c: int(h) for c, h in zip(sp["code"], sp["hh"])})
    subs = pyogrio.read_dataframe(g, layer="subgrids", read_geometry=False)
    gpkg_sub = {k: int(v) for k, v in subs.groupby("grid")["hh"].sum().items()}
    return {"ledger_grid": ledger_grid, "footer": footer, "ledger_sub": dict(ledger_sub), "sub_footer": sub_footer,
            "list_footer": list_footer, "gpkg_grid": gpkg_grid, "gpkg_sub": gpkg_sub}


def _pdf(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _assert_one_total(p: Project, got: dict, console: str, out: Path) -> None:
    t = household_totals(p)
    assert t.text_zh() in console
    f = got["footer"]
    assert (f["住户合计（导入）"], f["其中：基础网格"], f["其中：专属网格"], f["其中：例外网格"], f["其中：未划入网格"]) == \
        (t.imported, t.base, t.special, t.exception, t.unassigned)
    assert got["list_footer"] == t.imported
    assert got["ledger_grid"] == got["gpkg_grid"] == t.per_grid  # every grid and special grid, in both files
    in_grids = {c: n for c, n in t.per_grid.items() if c in got["gpkg_sub"] or c in got["ledger_sub"]}
    assert got["gpkg_sub"] == got["ledger_sub"] == {c: n for c, n in in_grids.items()}
    assert got["sub_footer"] == sum(got["ledger_sub"].values()) == t.in_grids
    assert t.text_zh() in re.sub(r"<[^>]+>", " ", (out / "网格图.html").read_text(encoding="utf-8"))
    if shutil.which("pdftotext"):
        wall = _pdf(out / "挂图.pdf")
        assert f"住户 {t.imported:,} 户" in wall
        # the grid labels: no count the households do not give (a stale stored hh)
        labels = [int(n) for n in re.findall(r"(\d+)户", wall)]
        assert labels and set(labels) <= set(t.per_grid.values()) | {t.imported}


@needs_pdftotext
def test_after_lock_area_move_and_a_refused_move_every_output_states_the_one_total(edited, capsys):
    d, proj = edited["dir"], edited["project"]
    before = household_totals(Project.open(proj))
    capsys.readouterr()
    assert main(["edit", str(proj), "--move-area", f"{edited['poly']}={edited['target']}"]) == 0
    said = capsys.readouterr().out
    assert f"2 栋（{edited['moved_hh']:,} 户）移入网格 {edited['target']}" in said
    assert "1 栋属于锁定网格或专属网格，未移动" in said  # the locked grid's building stays, counted
    p = Project.open(proj)
    t = household_totals(p)
    assert t.per_grid[edited["source"]] == before.per_grid[edited["source"]] - edited["moved_hh"]
    assert t.per_grid[edited["target"]] == before.per_grid[edited["target"]] + edited["moved_hh"]
    assert t.per_grid[edited["locked"]] == before.per_grid[edited["locked"]]
    assert t.imported == before.imported and t.stale == ()
    # A move into the locked grid is refused and nothing is saved.
    stamp = proj.stat().st_mtime_ns
    assert main(["edit", str(proj), "--move-area", f"{edited['poly']}={edited['locked']}"]) != 0
    said = capsys.readouterr()
    assert f"网格 {edited['locked']} 已锁定" in said.err + said.out
    assert proj.stat().st_mtime_ns == stamp and household_totals(Project.open(proj)) == t
    out = d / "out-edited"
    console = _export(proj, out, capsys)
    _assert_one_total(p, _read_back(out), console, out)
    capsys.readouterr()
    main(["validate", str(proj), "--grids"])
    # every count validate states for a grid is the one the totals give it
    for code, n in re.findall(r"网格 (\S+) 有 (\d+) 户", capsys.readouterr().out):
        assert t.per_grid[code] == int(n), code


@needs_pdftotext
def test_households_imported_again_are_counted_unassigned_in_every_output_until_the_redraw(edited, tmp_path, capsys):
    """Before: after ``import PROJECT --households NEW`` the wall map said 住户 N 户 while its grid
    labels, the GeoPackage's grids and sub-grids and the ledger's 子网格 sheet kept the old roster's
    counts (adding up to another total), and nothing said so. The new roster's buildings keep their
    grid by position (their old households: a re-import moves nobody); the one more household each
    building has this year is in no grid until the redraw, in every output alike."""
    proj = tmp_path / "项目.gpkg"
    shutil.copy(edited["project"], proj)
    hs = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "geometry"]]
    old = household_totals(Project.open(proj))
    old_sub = sum(subgrid_counts(Project.open(proj)).values())
    hs["hh"] = hs["hh"] + 1  # this year's roster: one more household in every building
    roster = tmp_path / "新住户.gpkg"
    pyogrio.write_dataframe(hs, roster, layer="住户")
    assert main(["import", str(proj), "--households", str(roster), "--field", "hh=hh", "--quiet"]) == 0
    p = Project.open(proj)
    t = household_totals(p)
    assert t.imported == int(hs["hh"].sum()) and t.unassigned == len(hs) and t.in_grids == old.in_grids
    assert t.per_grid == old.per_grid and t.stale == ()  # the grids hold what they held
    assert sum(subgrid_counts(p).values()) == old_sub
    out = tmp_path / "out"
    console = _export(proj, out, capsys)
    got = _read_back(out)
    _assert_one_total(p, got, console, out)
    assert sum(got["gpkg_grid"].values()) == old.imported - old.unassigned and got["sub_footer"] == old.in_grids
    assert t.text_zh().endswith(f"未划入网格 {len(hs):,}")  # in the console, as _assert_one_total read
    # The project file itself is not changed by the export: its old counts wait for the redraw.
    assert pyogrio.read_dataframe(proj, layer="grids", read_geometry=False)["hh"].sum() > 0
    assert main(["partition", str(proj), "--redraw", "--out", str(proj), "--corridor-width", "0", "--quiet"]) == 0
    t2 = household_totals(Project.open(proj))
    assert t2.imported == t.imported and t2.unassigned == 0 and t2.stale == ()
    console = _export(proj, tmp_path / "out2", capsys)
    assert "户数与住户不一致" not in console
    _assert_one_total(Project.open(proj), _read_back(tmp_path / "out2"), console, tmp_path / "out2")


def test_the_app_exports_the_households_counts_of_a_roster_imported_again(edited, tmp_path, qtbot, window):
    """The app's export dialogs draw on the same counts as ``gridtool export``: its GeoPackage of a
    project whose roster was imported again holds the grids the command writes: the households the
    new roster's buildings carried by position, not the old roster's stored counts (the one more
    household of each building is in no grid until the redraw)."""
    from gridtool.ui.export_dialogs import GisDialog
    proj = tmp_path / "项目.gpkg"
    shutil.copy(edited["project"], proj)
    hs = pyogrio.read_dataframe(proj, layer="households").to_crs(4326)[["hh", "geometry"]]
    hs["hh"] = hs["hh"] + 1
    pyogrio.write_dataframe(hs, tmp_path / "新住户.gpkg", layer="住户")
    assert main(["import", str(proj), "--households", str(tmp_path / "新住户.gpkg"), "--field", "hh=hh", "--quiet"]) == 0
    t = household_totals(Project.open(proj))
    assert t.unassigned == len(hs) and t.base > 0
    cli = tmp_path / "cli.gpkg"
    assert main(["export", str(proj), "--gpkg", str(cli), "--layers", "grids,subgrids", "--quiet"]) == 0
    w = window
    w.open_project(str(proj))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    dlg = GisDialog(w)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    for r, cb in dlg.roles.items():
        cb.setChecked(r in ("grids", "subgrids"))
    made = dlg.job()(dlg.snapshot(), str(tmp_path / "app.gpkg"), progress=lambda *a: None, cancelled=lambda: False)
    app = made[0].path if isinstance(made, list) else made
    for layer in ("grids", "subgrids"):
        a, b = (pyogrio.read_dataframe(f, layer=layer, read_geometry=False) for f in (cli, app))
        assert list(a["hh"]) == list(b["hh"]) and int(b["hh"].sum()) == t.base, layer
    assert pyogrio.read_dataframe(proj, layer="grids", read_geometry=False)["hh"].sum() > 0  # the project as it was
    dlg.reject()


def test_the_stale_counts_note_names_no_chinese_file_in_english(edited, capsys):
    # A project given without its path (the export run from sources) was named 项目.gpkg in the
    # English line too.
    import argparse

    from gridtool.commands.export import _counted
    p = Project.open(edited["project"])
    g = p.layers["grids"].gdf
    p.layers["grids"].gdf = g.assign(hh=g["hh"] + 1)  # every stored count off by one
    capsys.readouterr()
    _counted(argparse.Namespace(project=None, lang="both"), p)
    zh, en = capsys.readouterr().out.strip().splitlines()
    assert "gridtool partition 项目.gpkg --redraw" in zh
    assert "gridtool partition PROJECT.gpkg --redraw" in en and not re.search(r"[\u4e00-\u9fff]", en)
