"""A merge of two grids that do not touch (``gridtool edit --merge A=B``, the app's 合并 menu): the
engine refuses it, naming both grids, the gap in metres and the grids that do touch the first, unless
the planner asks for it (``--allow-apart``, the app's confirmation); merges across parts of a village
(an exclave) stay allowed.

Three Liechtenstein villages (``locks_data``): Schellenberg's grids -01 and -02 lie 200 m apart."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, box

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402
from test_locks import PARAMS  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.project import Project  # noqa: E402


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    from gridtool.partition.output import partition_project
    p = cut_project("liechtenstein")
    partition_project(p, **PARAMS)
    return p.save(tmp_path_factory.mktemp("apart") / "unterland.gpkg")


def _apart_pair(path: Path):
    """Two grids of one village whose merge the contiguity rule refuses, their gap, and the grids of
    the village that touch the first (read from the polygons, not from the engine)."""
    from gridtool.partition.edit import GridPlan
    p = Project.open(path)
    g = p.layers["grids"].gdf
    geo = g.set_index("code").geometry
    plan = GridPlan.from_project(p)
    for v, rows in g.groupby("village"):
        codes = sorted(c for c in rows["code"] if c in plan.bounds)
        for a in codes:
            for b in codes:
                if a != b and shapely.distance(geo[a], geo[b]) > 50:
                    near = [c for c in codes if c not in (a, b) and shapely.distance(geo[a], geo[c]) < 0.01]
                    return a, b, float(shapely.distance(geo[a], geo[b])), near
    raise AssertionError("no two grids of one village 50 m apart")


def _copy(saved: Path, tmp_path: Path) -> Path:
    out = tmp_path / "plan.gpkg"
    out.write_bytes(saved.read_bytes())
    return out


def test_cli_refuses_a_merge_of_grids_apart_and_names_the_ones_that_touch(saved, tmp_path, capsys):
    path = _copy(saved, tmp_path)
    a, b, gap, near = _apart_pair(path)
    assert near, "the first grid should have a neighbour in its village"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["edit", str(path), "--merge", f"{a}={b}"]) == 2
    err = capsys.readouterr().err
    assert f"网格 {b} 与 {a} 不相连（相距 {gap:,.0f} 米）" in err
    assert f"与 {a} 相邻的同村网格：{'、'.join(near)}" in err and "--allow-apart" in err
    assert "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # nothing written
    # A neighbour it does touch merges as before.
    assert main(["edit", str(path), "--merge", f"{a}={near[0]}", "--dry-run"]) == 0
    capsys.readouterr()
    # Asked for, it is done, said to be apart, and the check says the grid is in pieces.
    hh = {c: int(n) for c, n in zip(*(Project.open(path).layers["grids"].gdf[k] for k in ("code", "hh")))}
    assert main(["edit", str(path), "--merge", f"{a}={b}", "--allow-apart"]) == 0
    out = capsys.readouterr().out
    assert f"两网格不相连，相距 {gap:,.0f} 米，按 --allow-apart 合并" in out
    assert f"网格 {a}" in out and "互不相连的土地上" in out
    g = Project.open(path).layers["grids"].gdf.set_index("code")
    assert b not in g.index and int(g.loc[a, "hh"]) == hh[a] + hh[b]


def _two_part_village():
    """Village V in two parts 300 m apart (an exclave); grids V-01 and V-03 in the main part, 100 m
    apart (V-02 between them), V-04 on the exclave."""
    main_part, exclave = box(0, 0, 300, 100), box(600, 0, 700, 100)
    grids = gpd.GeoDataFrame({"code": ["V-01", "V-02", "V-03", "V-04"], "village": ["V"] * 4},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100), exclave])
    xs = {"V-01": (20, 80), "V-02": (120, 180), "V-03": (220, 280), "V-04": (620, 680)}
    households = gpd.GeoDataFrame({"hh": [100] * 8, "grid": [c for c in xs for _ in range(2)]},
                                  geometry=[Point(x, 50) for c in xs for x in xs[c]])
    from gridtool.partition.edit import GridPlan
    plan = GridPlan(households, grids, min_hh=100, max_hh=500)
    plan.village_shapes = {c: shapely.MultiPolygon([main_part, exclave]) for c in plan.codes}
    return plan


def test_a_merge_with_the_villages_exclave_stays_allowed_one_apart_in_the_same_part_is_refused():
    from gridtool.partition.edit import ApartGridsError
    plan = _two_part_village()
    with pytest.raises(ApartGridsError) as exc:
        plan.merge("V-01", "V-03")
    assert exc.value.gap_m == pytest.approx(100, abs=0.5) and exc.value.touching == ["V-02"]
    assert "grids V-03 and V-01 do not touch (100 m apart)" in exc.value.en and "V-02" in exc.value.fix_en
    plan.merge("V-01", "V-04").do()  # the exclave: in pieces only as the village is
    assert "V-04" not in plan.codes and plan.totals["V-01"] == 400
    plan.merge("V-01", "V-03", allow_apart=True).do()
    assert plan.totals["V-01"] == 600


def test_app_merge_menu_asks_before_merging_grids_apart(qtbot, window, saved):
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication, QMessageBox
    a, b, gap, near = _apart_pair(saved)
    w = window
    w.open_project(str(saved))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    s = w.session
    messages: list[str] = []
    w.editor.message.connect(messages.append)
    w.editor.set_target(a)
    seen: list[str] = []

    def answer(button):
        def click():
            box = next(x for x in QApplication.topLevelWidgets()
                       if x.objectName() == "merge_apart" and x.isVisible())
            seen.append(box.text())
            box.button(button).click()
        QTimer.singleShot(200, click)

    def press_merge():
        w.grid_panel._fill_merge_menu()
        act = next(x for x in w.grid_panel.merge_menu.actions() if x.text().startswith(f"把 {b}"))
        act.trigger()

    total = s.plan.totals[a] + s.plan.totals[b]
    undo_before = s.undo.undo_text()
    answer(QMessageBox.StandardButton.Cancel)
    press_merge()
    assert seen and f"相距 {gap:,.0f} 米" in seen[0] and "、".join(near) in seen[0] and "仍要合并吗" in seen[0]
    assert b in s.plan.codes and s.undo.undo_text() == undo_before  # nothing done
    assert any(f"网格 {b} 与 {a} 不相连" in m for m in messages)  # the refusal in the status bar
    answer(QMessageBox.StandardButton.Yes)
    press_merge()
    assert len(seen) == 2
    assert b not in s.plan.codes and s.plan.totals[a] == total
    assert s.undo.undo_text().startswith(f"合并 {b} 到 {a}")
