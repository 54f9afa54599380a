"""A remedy for one infeasible village, on the command line as in the app's grids panel
(无法按户数范围划分的村 → 与邻村合并 / 放宽户数范围 / 保留为例外): only that village's remedy changes.

``gridtool partition PROJECT --redraw --relax B=…`` used to replace the last partition's remedies
with the ones typed, so the relaxed bounds chosen earlier for village A were dropped (A went back to
one exceptional grid) where the app's button kept them; and the app's 保留为例外 had no command-line
way. Both faces now put the remedy into the parameters with
:func:`gridtool.partition.remedy_params.with_remedy`.

The Nanjing sample at 400–450 households has five villages no count of grids fits.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import geopandas as gpd
import pytest

from gridtool.cli import main
from gridtool.partition.remedy_params import RemedyPolicyError, with_remedy
from gridtool.partition.report import remedy_of
from gridtool.project import Project

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HAS_QT = all(importlib.util.find_spec(m) is not None for m in ("PyQt6", "pytestqt"))

A, B = "上海路社区", "珠江路社区"  # 1,024 and 1,092 households: relaxed to 341–450 and 364–450


def test_a_remedy_changes_its_village_only():
    last = {"min_hh": 400, "max_hh": 450, "infeasible": "exception", "merge": {"甲村": "乙村"},
            "relax": {"丙村": [300, 450]}}
    p = with_remedy(last, "丁村", "relax", (350, 450))
    assert p["merge"] == {"甲村": "乙村"} and p["relax"] == {"丙村": (300, 450), "丁村": (350, 450)}
    assert last["relax"] == {"丙村": [300, 450]}  # the stored parameters are not changed in place
    p = with_remedy(p, "丙村", "merge", "乙村")  # one remedy a village: the merge replaces its bounds
    assert p["merge"] == {"甲村": "乙村", "丙村": "乙村"} and "丙村" not in p["relax"]
    p = with_remedy(p, "甲村", "exception")
    assert p["merge"] == {"丙村": "乙村"} and p["relax"] == {"丁村": (350, 450)}
    with pytest.raises(RemedyPolicyError) as e:  # the policy would merge or relax it all the same
        with_remedy({**last, "infeasible": "relax"}, "甲村", "exception")
    assert "--infeasible exception" in e.value.format()


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The sample partitioned at 400–450 (no sub-grids), then village A relaxed by the command line."""
    from gridtool.partition.output import partition_project
    from gridtool.samples import sample_sources
    d = tmp_path_factory.mktemp("remedies")
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="玄武")
    partition_project(p, min_hh=400, max_hh=450, corridor_width=0, subgrids=False)
    base = p.save(d / "base.gpkg")
    one = d / "one.gpkg"
    assert main(["partition", str(base), "--redraw", "--relax", f"{A}=341-450", "--out", str(one), "--quiet"]) == 0
    return {"dir": d, "one": one}


def _applied(path: Path) -> dict:
    rep = Project.open(path).parameters["partition"]
    return {v["village"]: remedy_of(v)["remedy"] for v in rep["plan"]["infeasible_villages"]}


def test_relaxing_a_second_village_keeps_the_first_ones_remedy(plans, capsys):
    two = plans["dir"] / "two.gpkg"
    assert main(["partition", str(plans["one"]), "--redraw", "--relax", f"{B}=364-450", "--out", str(two),
                 "--quiet"]) == 0
    applied = _applied(two)
    assert applied[A] == "relax" and applied[B] == "relax"  # A was back to "exception"
    params = Project.open(two).parameters["partition"]["parameters"]
    assert {k: list(v) for k, v in params["relax"].items()} == {A: [341, 450], B: [364, 450]}
    # 保留为例外 for A: A only, B stays relaxed
    three = plans["dir"] / "three.gpkg"
    assert main(["partition", str(two), "--redraw", "--keep-exception", A, "--out", str(three), "--quiet"]) == 0
    applied = _applied(three)
    assert applied[A] == "exception" and applied[B] == "relax"
    assert list(Project.open(three).parameters["partition"]["parameters"]["relax"]) == [B]


def test_a_village_named_by_its_code_changes_the_remedy_stored_under_its_name(plans, capsys):
    # A was relaxed by name; typed by its division code (the check of names takes it) the remedy
    # stored under the name was kept before: exit 0, A still relaxed, nothing said.
    code = str(gpd.read_file(plans["one"], layer="villages").set_index("name").loc[A, "code"])
    out = plans["dir"] / "by-code.gpkg"
    assert main(["partition", str(plans["one"]), "--redraw", "--keep-exception", code, "--out", str(out),
                 "--quiet"]) == 0
    assert _applied(out)[A] == "exception"
    assert Project.open(out).parameters["partition"]["parameters"]["relax"] == {}
    fresh = plans["dir"] / "fresh-by-code.gpkg"  # typed in one run: the merge by name is dropped too
    assert main(["partition", str(plans["one"]), "--min", "400", "--max", "450", "--no-subgrids",
                 "--corridor-width", "0", "--merge", f"{A}={B}", "--keep-exception", code, "--out", str(fresh),
                 "--quiet"]) == 0
    assert _applied(fresh)[A] == "exception"
    assert Project.open(fresh).parameters["partition"]["parameters"]["merge"] == {}
    p = with_remedy({"merge": {"甲村": "乙村"}, "relax": {}}, "500101001001", "relax", (300, 450),
                    aliases=["甲村", "500101001001"])
    assert p["merge"] == {} and p["relax"] == {"500101001001": (300, 450)}  # one remedy a village


def test_keep_exception_under_another_policy_is_refused_with_the_fix(plans, capsys):
    out = plans["dir"] / "never.gpkg"
    capsys.readouterr()
    assert main(["--lang", "both", "partition", str(plans["one"]), "--redraw", "--infeasible", "relax",
                 "--keep-exception", A, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert A in err and "--infeasible exception" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.skipif(not HAS_QT, reason="the app's test needs PyQt6 and pytest-qt")
def test_the_apps_remedy_button_gives_the_command_lines_plan(qtbot, window, plans, capsys):
    cli = plans["dir"] / "cli-b.gpkg"
    assert main(["partition", str(plans["one"]), "--redraw", "--relax", f"{B}=364-450", "--out", str(cli),
                 "--quiet"]) == 0
    w = window
    w.open_project(str(plans["one"]))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    inf = {v["village"]: v for v in w.session.partition_report()["plan"]["infeasible_villages"]}
    w.apply_remedy(B, "relax", inf[B]["remedies"]["relax"])  # 放宽为 364–450 户 on village B's row
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=120000)
    app = plans["dir"] / "app-b.gpkg"
    w.save_sync(str(app))
    assert _applied(app) == _applied(cli)
    p_app = Project.open(app).parameters["partition"]["parameters"]
    p_cli = Project.open(cli).parameters["partition"]["parameters"]
    assert p_app == p_cli
    g1 = gpd.read_file(cli, layer="grids").set_index("code").sort_index()
    g2 = gpd.read_file(app, layer="grids").set_index("code").sort_index()
    assert list(g1.index) == list(g2.index) and g1["hh"].tolist() == g2["hh"].tolist()


def test_a_new_partition_says_when_it_leaves_the_bounds_chosen_last_time(plans, capsys):
    """A script's ``gridtool partition PROJECT`` (no --redraw) after bounds chosen in the app
    (400–450 here) draws at the defaults 300–500: said, with the options that keep the last ones;
    bounds given on the command line are the user's choice and not remarked on."""
    base, d = plans["dir"] / "base.gpkg", plans["dir"]
    capsys.readouterr()
    assert main(["partition", str(base), "--no-subgrids", "--out", str(d / "defaults.gpkg"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "注意：项目上次划分用 400–450 户" in out and "按默认 300–500 户" in out
    assert "--min 400 --max 450" in out and "--redraw" in out
    g = Project.open(d / "defaults.gpkg").layers["grids"].gdf
    assert g["hh"].max() > 450  # the defaults were used, as said
    assert main(["partition", str(base), "--no-subgrids", "--min", "300", "--max", "500", "--out", str(d / "given.gpkg"),
                 "--quiet"]) == 0
    assert "项目上次划分用" not in capsys.readouterr().out


def test_keeping_as_exception_a_village_the_bounds_fit_is_said(plans, capsys):
    """--keep-exception for a village that divides at 400–450 draws it into ordinary grids: said."""
    base = plans["dir"] / "base.gpkg"
    p = Project.open(base)
    infeasible = set(_applied(base))
    fits = next(n for n in p.layers["grids"].gdf["village"].astype(str).unique() if n not in infeasible)
    capsys.readouterr()
    assert main(["partition", str(base), "--redraw", "--keep-exception", fits, "--keep-exception", A,
                 "--out", str(plans["dir"] / "kept.gpkg"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"注意：{fits} 按户数范围可以划分，已划成普通网格" in out
    assert f"{A} 按户数范围可以划分" not in out  # the infeasible one is kept as asked, not remarked on


def test_bounds_typed_that_no_grid_count_fits_are_reported_as_infeasible(plans, capsys):
    """--relax V=lo-hi for a village the bounds fit, with bounds no count of grids fits: the village
    is kept whole as an exception, reported among the villages that cannot be divided (the ledger's
    note said the raw "ok" and no list of problems named it)."""
    base = plans["dir"] / "base.gpkg"
    g = Project.open(base).layers["grids"].gdf
    infeasible = set(_applied(base))
    fits = next(n for n in g["village"].astype(str).unique() if n not in infeasible)
    hh = int(g.loc[g["village"].astype(str) == fits, "hh"].sum())
    out = plans["dir"] / "typed.gpkg"
    assert main(["partition", str(base), "--redraw", "--relax", f"{fits}={hh + 1}-{hh + 50}", "--out", str(out),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert _applied(out).get(fits) == "relax"
    mine = Project.open(out).layers["grids"].gdf
    mine = mine[mine["village"].astype(str) == fits]
    assert len(mine) == 1 and mine["status"].iat[0] == "exception" and mine["note"].iat[0] == "too_small"
