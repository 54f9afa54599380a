"""The app measures grid ridges in its background job, never on the GUI thread (pytest-qt,
offscreen; the mountain village of ``test_partition_ridges``)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).parent))
from test_partition_ridges import _dem, _layers  # noqa: E402

from gridtool.layers import Layer  # noqa: E402
from gridtool.project import Project  # noqa: E402


def test_the_app_measures_ridges_off_the_gui_thread(qtbot, window, monkeypatch):
    """Found in review: the partition's result was applied with its ridges measured on the GUI
    thread, after the job had ended (a frozen window on a mountain plan with a DEM)."""
    import gridtool.partition.terrain as terrain
    threads = []
    real = terrain.grid_ridges

    def spy(*a, **k):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*a, **k)

    monkeypatch.setattr(terrain, "grid_ridges", spy)
    layers = _layers()
    p = Project(name="山区", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    p.dem = _dem(600.0)
    w = window
    w.session.set_project(p, unsaved=True)
    w.run_partition({"min_hh": 300, "max_hh": 500, "corridor_width": 0, "subgrids": False})
    qtbot.waitUntil(lambda: not w.jobs.busy and "grids" in w.session.project.layers, timeout=60000)
    grids = w.session.project.layers["grids"].gdf
    assert 550 <= grids["ridge_m"].iloc[0] <= 600
    assert threads == [False]  # once, in the job
