"""What the app's 网格 menu does, the command line does through the same core call, with the same
result, so a township's yearly script needs no hand work in the app:

- 检查网格 / Check grids → ``gridtool validate PROJECT --grids`` (``GridPlan.validate``);
- 划分网格 on a project with locked grids → ``gridtool partition PROJECT`` keeps them
  (``partition.output.fit_own_plan``);
- 重绘未锁定网格 / Redraw unlocked grids → ``gridtool partition PROJECT --redraw`` (the same call,
  with the last partition's parameters).

The app runs offscreen (pytest-qt); skipped without PyQt6 and pytest-qt. Three Liechtenstein
villages (``locks_data``), one grid given 9 buildings of its neighbour and locked by ``gridtool edit``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402
from test_locks import _pick_paint  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.partition.edit import EditState  # noqa: E402
from gridtool.project import Project  # noqa: E402

FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The cut partitioned by the command line, then 9 buildings moved into grid ``a`` and ``a``
    locked (``gridtool edit``): a plan no fresh partition would draw."""
    d = tmp_path_factory.mktemp("parity")
    raw = cut_project("liechtenstein").save(d / "raw.gpkg")
    first = d / "first.gpkg"
    assert main(["partition", str(raw), "--out", str(first), *FAST]) == 0
    p = Project.open(first)
    st = EditState.from_project(p)
    a, _b, feats = _pick_paint(st.plan, p.layers["grids"].gdf, st.xy)
    ids = ",".join(p.layers["households"].gdf["src_id"].iloc[list(feats)].astype(str))
    locked = d / "locked.gpkg"
    assert main(["edit", str(first), "--move", f"{ids}={a}", "--lock", a, "--out", str(locked)]) == 0
    hh = int(gpd.read_file(locked, layer="grids").set_index("code").loc[a, "hh"])
    return {"dir": d, "raw": raw, "first": first, "locked": locked, "a": a, "a_hh": hh}


def _open(qtbot, w, path) -> None:
    w.open_project(str(path))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)


def _same_plan(one: Path, other: Path) -> gpd.GeoDataFrame:
    """The two projects have the same grids (codes, households, locks, shapes) and every
    household in the same grid; returns the first one's grids by code."""
    g1 = gpd.read_file(one, layer="grids").set_index("code").sort_index()
    g2 = gpd.read_file(other, layer="grids").set_index("code").sort_index()
    assert list(g1.index) == list(g2.index)
    assert g1["hh"].astype(int).tolist() == g2["hh"].astype(int).tolist()
    assert g1["locked"].astype(bool).tolist() == g2["locked"].astype(bool).tolist()
    for code in g1.index:
        assert shapely.symmetric_difference(g1.geometry[code], g2.geometry[code]).area < 1e-3, code
    h1 = gpd.read_file(one, layer="households")
    h2 = gpd.read_file(other, layer="households")
    assert h1["grid"].astype(str).tolist() == h2["grid"].astype(str).tolist()
    return g1


def test_check_grids_on_the_command_line_lists_what_the_app_lists(qtbot, window, plans, capsys):
    capsys.readouterr()
    rc = main(["validate", str(plans["locked"]), "--grids", "--json"])
    cli = json.loads(capsys.readouterr().out)
    assert rc == 0  # warnings only: no household lost or counted twice
    assert cli and all(p["severity"] in ("warning", "info") and p["role"] == "grids" for p in cli)
    w = window
    _open(qtbot, w, plans["locked"])
    w.actions_["grid.validate_plan"].trigger()  # 网格 → 检查网格
    app = [p.to_dict() for p in w.problems.problems]
    assert w.problems.source == "plan"
    assert cli == json.loads(json.dumps(app, ensure_ascii=False, default=str))
    # the plain text names each grid as the app's problem list does
    main(["validate", str(plans["locked"]), "--grids"])
    out = capsys.readouterr().out
    assert "检查网格" in out
    for p in cli:
        assert p["zh"] in out


def test_check_grids_needs_grids(plans, capsys):
    assert main(["validate", str(plans["raw"]), "--grids"]) == 2
    err = capsys.readouterr().err
    assert "项目中还没有网格" in err and "gridtool partition" in err


def test_partition_keeps_the_locked_grids_as_the_app_does(qtbot, window, plans, capsys):
    d, a = plans["dir"], plans["a"]
    cli = d / "cli-partition.gpkg"
    assert main(["partition", str(plans["locked"]), "--out", str(cli), *FAST[:-1]]) == 0
    assert f"保持已锁定的网格 1 个不变：{a}" in capsys.readouterr().out
    w = window
    _open(qtbot, w, plans["locked"])
    assert w.session.plan.locked == {a}
    w.run_partition(w.session.partition_parameters())  # 网格 → 划分网格, the dialog's values unchanged
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=120000)
    app = d / "app-partition.gpkg"
    w.save_sync(str(app))
    grids = _same_plan(cli, app)
    assert bool(grids.loc[a, "locked"]) and int(grids.loc[a, "hh"]) == plans["a_hh"]


def test_redraw_unlocked_grids_on_the_command_line_is_the_apps(qtbot, window, plans, capsys):
    d, a = plans["dir"], plans["a"]
    cli = d / "cli-redraw.gpkg"
    # no partition option: the last partition's parameters, as the app's button takes them
    assert main(["partition", str(plans["locked"]), "--redraw", "--out", str(cli), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "重绘：" in out and f"锁定网格保持不变（户、楼栋、形状）：{a}" in out
    w = window
    _open(qtbot, w, plans["locked"])
    app_params = w.session.partition_parameters()
    w.actions_["grid.redraw"].trigger()  # 网格 → 重绘未锁定网格
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=120000)
    assert w.session.undo.undo_text().startswith("重绘未锁定网格")
    app = d / "app-redraw.gpkg"
    w.save_sync(str(app))
    grids = _same_plan(cli, app)
    assert int(grids.loc[a, "hh"]) == plans["a_hh"]
    params = Project.open(cli).parameters["partition"]["parameters"]
    assert params == Project.open(app).parameters["partition"]["parameters"]
    assert params["corridor_width"] == app_params["corridor_width"] == 0 and params["subgrids"] is False
    # an option given on the command line goes over the last partition's value
    bigger = d / "cli-redraw-550.gpkg"
    assert main(["partition", str(plans["locked"]), "--redraw", "--max", "550", "--out", str(bigger), "--quiet"]) == 0
    p2 = Project.open(bigger).parameters["partition"]["parameters"]
    assert p2["max_hh"] == 550 and p2["corridor_width"] == 0 and p2["subgrids"] is False


def test_redraw_refuses_previous_and_lock(plans, capsys):
    out = plans["dir"] / "never.gpkg"
    assert main(["partition", str(plans["locked"]), "--redraw", "--lock", plans["a"], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--redraw" in err and "gridtool edit --lock" in err
    assert not out.exists()


def test_redraw_options_given_go_over_the_last_partition_even_at_their_defaults():
    """A last partition drawn with --min 200 --max 400: ``--redraw --max 500`` redraws with 500 (the
    default, given all the same; it was dropped for being the default), and ``--redraw --max 250``
    is checked against the last --min 200 (it was refused as below the default --min 300)."""
    from types import SimpleNamespace

    from gridtool.cli import build_parser
    from gridtool.commands.partition import _redraw_params

    last = dict(min_hh=200, max_hh=400, target=300, sub_min=20, sub_max=40, sub_target=30, corridor_width=0,
                subgrids=False, seed=7)
    project = SimpleNamespace(parameters={"partition": {"parameters": last}})

    def redraw(*opts):
        return _redraw_params(build_parser().parse_args(["partition", "p.gpkg", "--redraw", *opts, "--out", "o.gpkg"]),
                              project)

    assert redraw() == last  # nothing given: the last partition's parameters
    p = redraw("--max", "500", "--seed", "0")
    assert (p["min_hh"], p["max_hh"], p["target"], p["seed"]) == (200, 500, 350, 0)
    p = redraw("--max", "250")
    assert (p["min_hh"], p["max_hh"], p["target"]) == (200, 250, 225)
    assert p["subgrids"] is False and p["corridor_width"] == 0
    assert redraw("--min", "300", "--target", "320")["target"] == 320


def test_a_locked_grid_whose_village_was_removed_is_refused_not_given_to_a_neighbour(plans, capsys):
    """The village of the locked grid merged away (its households and boundary gone from the
    project): ``gridtool partition`` (the app's 划分网格, the same core call) used to keep the
    empty grid under a neighbouring village's next code (locked, 0 households) while saying it
    kept the grid unchanged; now it refuses, naming the grid and how to unlock it."""
    d, a = plans["dir"], plans["a"]
    p = Project.open(plans["locked"])
    village = str(p.layers["grids"].gdf.set_index("code").loc[a, "village"])
    codes = set(p.layers["grids"].gdf.loc[p.layers["grids"].gdf["village"] == village, "code"].astype(str))
    hh = p.layers["households"].gdf
    p.layers["households"].gdf = hh[~hh["grid"].astype(str).isin(codes)]
    v = p.layers["villages"].gdf
    p.layers["villages"].gdf = v[v["name"] != village]
    merged = p.save(d / "village-merged.gpkg")
    out = d / "village-merged-out.gpkg"
    capsys.readouterr()
    assert main(["partition", str(merged), "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert f"锁定网格 {a}" in err and f"--unlock {a}" in err
    assert not out.exists()


def test_a_locked_grid_the_roster_shrank_below_its_bounds_is_named(plans, capsys):
    """Households of the locked grid left the roster (moved away, deleted rows): the grid stays as
    locked, now below 300, and the console names it with the unlock fix, not only a flag in the
    grids table."""
    d, a = plans["dir"], plans["a"]
    p = Project.open(plans["locked"])
    hh = p.layers["households"].gdf
    mine = hh.index[hh["grid"].astype(str) == a]
    counts = hh.loc[mine, "hh"].astype(int).cumsum()
    gone = mine[: int((counts < plans["a_hh"] - 250).sum()) + 1]  # leaves fewer than 300
    p.layers["households"].gdf = hh.drop(index=gone)
    shrunk = p.save(d / "shrunk.gpkg")
    out = d / "shrunk-out.gpkg"
    capsys.readouterr()
    assert main(["partition", str(shrunk), "--out", str(out), *[f for f in FAST if f != "--quiet"]]) == 0
    said = capsys.readouterr().out
    left = int(gpd.read_file(out, layer="grids").set_index("code").loc[a, "hh"])
    assert left < 300
    assert f"锁定网格 {a} 现有 {left:,} 户，不在 300–500 户之内" in said and f"--unlock {a}" in said
