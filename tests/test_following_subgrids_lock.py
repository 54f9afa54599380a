"""Sub-grids that follow hand edits are drawn one at a time in the process: a save or an export on
the GUI thread waits for the job runner's drawing instead of drawing beside it. Two drawings of
one plan prepare its shared geometries in place at once, which aborted the whole process in GEOS
(``Fatal Python error: Aborted`` in ``voronoi_polygons``, seen in CI: ``save_sync`` while the
runner redrew the sub-grids of a brush stroke) — the app gone with the planner's unsaved edit."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("PyQt6.QtCore")  # gridtool.ui needs PyQt6 installed (nothing is shown here)


def test_two_drawings_never_run_at_once(monkeypatch):
    from gridtool.partition.edit import redrawn_subgrids
    from gridtool.ui.following_subgrids import FollowingSubgrids
    inside, most = [0], [0]
    guard = threading.Lock()

    def slow_edited_layers(state, layers, params):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.2)  # a village's sub-grids take a few tenths of a second
        with guard:
            inside[0] -= 1
        return {"state": state}
    monkeypatch.setattr(redrawn_subgrids, "edited_layers", slow_edited_layers)
    state = SimpleNamespace(frozen=lambda: "frozen", plan=SimpleNamespace(fingerprint=lambda: "f"))
    session = SimpleNamespace(project=SimpleNamespace(layers={}, parameters={}), edit=state)
    follow = FollowingSubgrids(session)
    background = threading.Thread(target=follow._drawer(state))  # the job runner's drawing
    background.start()
    time.sleep(0.05)
    assert follow.layers() == {"state": "frozen"}  # the save's drawing, on this thread
    background.join()
    assert most[0] == 1
