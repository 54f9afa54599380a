"""The report, in the desktop app (pytest-qt, offscreen): paint 9 buildings into a grid with the brush,
lock it with the grid panel's 锁定 button, press 重绘未锁定网格 / "Redraw unlocked grids": the grid keeps
exactly its households and shape, also after saving and reopening.

Needs PyQt6 and pytest-qt; skipped without them. Three Liechtenstein villages (``locks_data``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402
from test_locks import PARAMS, _members, _pick_paint  # noqa: E402


def test_brush_lock_and_redraw_button_keep_the_painted_grid(qtbot, window, tmp_path):
    from gridtool.partition.output import partition_project
    p = cut_project("liechtenstein")
    partition_project(p, **PARAMS)
    path = p.save(tmp_path / "unterland.gpkg")
    w = window
    w.open_project(str(path))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    s = w.session
    a, _, feats = _pick_paint(s.plan, s.project.layers["grids"].gdf, s.edit.xy)
    before = s.plan.totals[a]
    # the brush, building by building, one stroke
    w.editor.set_target(a)
    assert w.editor.begin_stroke()
    for f in feats:
        x, y = s.edit.xy[f]
        w.editor.paint_at(float(x), float(y), 0.5)
    w.editor.end_stroke()
    assert s.plan.totals[a] == before + int(s.plan._hh[feats].sum())
    qtbot.mouseClick(w.grid_panel.lock, Qt.MouseButton.LeftButton)  # locks the target grid
    assert a in s.plan.locked
    members, total = _members(s.plan, a), s.plan.totals[a]
    shape = s.project.layers["grids"].gdf.set_index("code").geometry[a]
    qtbot.mouseClick(w.grid_panel.redraw, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert s.undo.undo_text().startswith("重绘未锁定网格")
    plan = s.plan
    assert a in plan.locked and plan.totals[a] == total and _members(plan, a) == members
    g = s.project.layers["grids"].gdf.set_index("code")
    assert shapely.symmetric_difference(g.geometry[a], shape).area < 1e-6
    assert int(g.loc[a, "hh"]) == total
    row = w.grid_panel.model.row_of[a]
    assert w.grid_panel.model.data(w.grid_panel.model.index(row, 2)) == total
    # saved and opened again
    out = tmp_path / "saved.gpkg"
    w.save_sync(str(out))
    w.open_project(str(out))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    plan = w.session.plan
    assert a in plan.locked and plan.totals[a] == total and _members(plan, a) == members
    hh = w.session.project.layers["households"].gdf["hh"].to_numpy()
    assert sum(plan.totals.values()) == int(np.nansum(hh))
