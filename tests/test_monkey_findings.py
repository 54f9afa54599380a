"""Regression tests for what the random-user test (``tests/test_ui_monkey.py``) found, each at the
level where the rule lives (engine, plan, session), so that they fail fast and say what broke."""

from __future__ import annotations

import os

import pytest

from gridtool.partition.engine import GridPartitioner

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory):
    from gridtool.samples import sample_sources
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    p = Project.from_sources(sample_sources("nanjing-xuanwu"), name="nanjing-xuanwu")
    partition_project(p, corridor_width=0, subgrids=False)
    return p


def test_redraw_into_more_grids_gives_every_grid_its_own_code(nanjing):
    """A redraw with tighter bounds makes more grids than before; the grids left without a previous
    code used to keep their fresh reading-order code even when a carried one was the same
    (``320102900008-01`` twice), so two grids shared a code and the plan merged them."""
    prev = nanjing.layers["grids"].gdf
    params = dict(nanjing.parameters["partition"]["parameters"], min_hh=200, max_hh=300, target=250)
    locked = sorted(prev["code"].astype(str))[::9]
    gp = GridPartitioner(**params).fit(nanjing, previous=prev, locked=locked)
    codes = gp.grids_["code"].astype(str)
    assert len(codes) > len(prev)
    assert not codes.duplicated().any(), codes[codes.duplicated()].tolist()
    assert set(locked) <= set(codes) and len(set(prev["code"]) & set(codes)) >= len(prev) * 0.9  # codes carried
    hs = gp.households_
    special = gp.special_grids_["code"].astype(str) if gp.special_grids_ is not None else []
    assert set(hs["grid"].dropna()) <= set(codes) | set(special)
    # one total: households in = in grids + in special grids + unassigned
    in_special = int(gp.special_grids_["hh"].sum()) if gp.special_grids_ is not None else 0
    unassigned = int(hs.loc[hs["grid"].isna(), "hh"].sum())
    assert int(gp.grids_["hh"].sum()) + in_special + unassigned == int(hs["hh"].sum())


def _qt():
    pytest.importorskip("PyQt6.QtWidgets")
    pytest.importorskip("pytestqt")


def test_a_new_window_without_a_project_offers_no_grid_or_patrol_commands(qtbot, tmp_path, isolated_settings):
    """Ctrl+P before any project was open ran the partition on nothing: AttributeError in a slot."""
    _qt()
    from PyQt6.QtWidgets import QDialog

    from gridtool.ui.main_window import MainWindow
    w = MainWindow(autosave=False)
    qtbot.addWidget(w)
    for key in ("grid.partition", "grid.redraw", "grid.lock", "grid.split", "grid.validate_plan", "tool.brush",
                "tool.box", "patrol.plan", "patrol.circles", "file.save", "data.validate"):
        assert not w.actions_[key].isEnabled(), key
    assert not w.grid_panel.edit_box.isEnabled()
    w.actions_["grid.partition"].trigger()
    assert not [d for d in w.findChildren(QDialog) if d.isVisible()]
    assert w.actions_["file.open"].isEnabled() and w.actions_["file.new"].isEnabled()


def test_attribute_table_sorts_text_with_missing_values(qtbot):
    """Sorting a text column with empty cells raised TypeError (pandas 3 keeps NaN through astype(str))."""
    _qt()
    import geopandas as gpd
    import numpy as np
    from PyQt6.QtCore import Qt
    from shapely.geometry import Point

    from gridtool.ui.attribute_table import GeoTableModel
    gdf = gpd.GeoDataFrame({"name": ["乙", None, "甲", np.nan, "丙"], "mixed": ["a", 1.5, None, "b", 2]},
                           geometry=[Point(i, i) for i in range(5)])
    m = GeoTableModel()
    m.set_frame(gdf, role="rivers")
    m.sort(0, Qt.SortOrder.AscendingOrder)
    assert [gdf["name"].iloc[i] for i in m.order[:3]] == sorted(["乙", "甲", "丙"])  # missing ones last
    m.sort(1, Qt.SortOrder.DescendingOrder)
    assert sorted(m.order.tolist()) == list(range(5))


def test_exports_take_a_grid_the_planner_emptied(tmp_path):
    """Painting every household out of a grid leaves it without a shape; the atlas raised
    ``ValueError: bad scale nan`` on its page. Every export now takes such a grid."""
    from shapely.geometry import Polygon

    from gridtool.maps import gis
    from gridtool.maps.atlas import write_atlas
    from gridtool.maps.html import write_html
    from gridtool.maps.wallmap import render_wall_map

    from .maps_data import make_project
    p = make_project()
    g = p.layers["grids"].gdf
    g.loc[g.index[1], "geometry"] = Polygon()
    g.loc[g.index[1], "hh"] = 0
    out = write_atlas(p, tmp_path / "atlas.pdf")
    from pypdf import PdfReader
    pages = PdfReader(out).pages
    assert len(pages) >= 3 + len(g)
    assert "500101001001-02" in "".join(pg.extract_text() for pg in pages)
    assert render_wall_map(p, tmp_path / "wall.pdf").stat().st_size > 10_000
    assert write_html(p, tmp_path / "map.html").counts["grids"] >= 3
    gis.write_gpkg(p, tmp_path / "g.gpkg")
    gis.write_kml(p, tmp_path / "g.kml")


def test_a_stroke_held_while_a_job_lands_is_kept_as_one_undo_step(qtbot, tmp_path, isolated_settings):
    """The mouse held down while a job ended: the plan was replaced under the open stroke, whose undo
    macro stayed open for good (undo disabled, the next stroke raised "a macro is already open").
    Now the stroke is closed as one undo step before the result lands, and no stroke starts while a
    job runs."""
    _qt()
    import threading
    from dataclasses import replace

    from gridtool.ui.main_window import MainWindow

    from .maps_data import make_project
    w = MainWindow(autosave=False)
    qtbot.addWidget(w)
    release = threading.Event()

    def work(progress, cancelled):
        release.wait(10)
        return 1

    def done(_):  # the job's result replaces the grids (as a partition or a redraw does)
        g = w.session.project.layers["grids"]
        w.session.replace_layers({"grids": replace(g, gdf=g.gdf.copy())}, text="替换 / replace")

    w.session.set_project(make_project())
    try:
        plan = w.session.plan
        a, b = plan.codes[0], plan.codes[1]  # two grids of the first village
        assert w.editor.set_locked(b, False)  # (the test township locks every second grid)
        before = dict(plan.totals)
        feats = [f for f in plan.features_of(b) if plan._hh[f] > 0]
        w.editor.set_target(a)
        assert w.editor.begin_stroke()
        w.editor.paint_at(*w.session.edit.xy[feats[0]], 1.0)
        assert plan.totals[a] > before[a]
        w.run_job("job", work, done)
        assert w.jobs.busy and w.editor.stroking
        release.set()
        qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)
        u = w.session.undo
        assert not w.editor.stroking and not u.in_macro and u.can_undo()
        assert u.undo_text().startswith("替换")
        u.undo()
        assert u.undo_text().startswith("涂刷")  # the stroke: its own step
        # no stroke starts while a job runs
        release.clear()
        w.run_job("job", work)
        assert not w.editor.begin_stroke()
        release.set()
        qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)
        assert w.editor.begin_stroke()
        w.editor.end_stroke()
    finally:  # no job left running, nothing to save: the window closes without asking
        release.set()
        w.jobs.wait(10000)
        qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)
        w.session.set_project(None)


def test_grid_labels_follow_a_new_grids_layer(qtbot, tmp_path, isolated_settings):
    """Open a partitioned project, then one without grids and partition it: the new grids layer
    starts at version 0 like the old one, and the labels' cached points (of the old grids) raised
    IndexError in paintEvent."""
    _qt()
    from gridtool.ui.main_window import MainWindow

    from .maps_data import make_project
    w = MainWindow(autosave=False)
    qtbot.addWidget(w)
    w.resize(900, 700)
    w.show()
    qtbot.waitExposed(w)
    try:
        p = make_project()
        p.layers["grids"].gdf = p.layers["grids"].gdf.iloc[:3].copy()  # 3 grids first
        w.session.set_project(p)
        w.canvas.zoom_full()
        assert w.canvas.labels_for(w.canvas.vp.copy())
        bare = make_project()
        grids = bare.layers.pop("grids")  # then a project without grids, partitioned into 4
        w.session.set_project(bare)
        w.session.replace_layers({"grids": grids}, text="划分 / partition")
        labels = w.canvas.labels_for(w.canvas.vp.copy())
        assert sum(1 for lab in labels if lab.bold is False and len(lab.lines) == 2) == 4  # code + households
        # the codes as the wall map prints them, whatever a grid's size on screen (the app mixed
        # 500154001005-09 on big grids with 03 on small ones)
        from gridtool.maps.grid_codes import map_codes
        want = set(map_codes(grids.gdf))
        got = {lab.lines[0][0].split(" ")[0] for lab in labels if lab.bold is False and len(lab.lines) == 2}
        assert got == want and all(len(c) <= 3 for c in got), (got, want)
        w.canvas.grab()
    finally:
        w.session.set_project(None)  # nothing to save: closes without asking
