"""The desktop app under a random, hurried user (issue 16 item 5): ≥ 1,000 seeded random actions —
open, paint, box-select, undo/redo, lock, merge, split, redraw, check grids, switch language, export,
start and cancel jobs, close and reopen, crash and recover the autosave — with no crash, no unhandled
exception and the households conserved after every action (see ``benchmarks/monkey.py``).

A failure prints the seed and the action number; replay it with
``python benchmarks/monkey_bench.py --seed S --actions N --verbose``. Another seed or length:
``GRIDTOOL_MONKEY_SEED=7 GRIDTOOL_MONKEY_ACTIONS=3000 pytest tests/test_ui_monkey.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from PyQt6.QtCore import QSettings

SEED = int(os.environ.get("GRIDTOOL_MONKEY_SEED", "16"))
ACTIONS = int(os.environ.get("GRIDTOOL_MONKEY_ACTIONS", "1000"))
#: A redraw that changes a locked grid fails the run (locked means locked; the redraw keeps them
#: since the locks work). GRIDTOOL_MONKEY_STRICT_LOCKS=0 only lists them, to hunt other bugs first.
STRICT_REDRAW_LOCKS = os.environ.get("GRIDTOOL_MONKEY_STRICT_LOCKS", "1") == "1"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Settings, the log and recovery copies in a temporary folder, never the user's."""
    d = tmp_path_factory.mktemp("monkey-data")
    old = os.environ.get("GRIDTOOL_DATA_DIR")
    os.environ["GRIDTOOL_DATA_DIR"] = str(d)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(d / "settings"))
    yield d
    if old is None:
        os.environ.pop("GRIDTOOL_DATA_DIR", None)
    else:
        os.environ["GRIDTOOL_DATA_DIR"] = old


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    from monkey import make_sample_projects
    return make_sample_projects(tmp_path_factory.mktemp("monkey-sample"))


@pytest.mark.qt_no_exception_capture  # the monkey hooks every exception itself and fails on it
def test_a_thousand_random_actions(qapp, data_dir, projects, tmp_path):
    from monkey import Monkey

    from gridtool.ui import fonts, i18n
    fonts.apply_app_font(qapp)
    i18n.set_language("zh")
    m = Monkey(projects, tmp_path, seed=SEED, strict_redraw_locks=STRICT_REDRAW_LOCKS)
    try:
        res = m.run(ACTIONS)  # raises MonkeyFailure with the seed and the action number
    finally:
        m.close()
        i18n.set_language("zh")
    print(res.summary())
    assert res.actions == ACTIONS >= 1000 or os.environ.get("GRIDTOOL_MONKEY_ACTIONS")
    # every kind of action ran, and the ones that matter did something
    assert not {"paint", "box_paint", "box_select", "undo", "redo", "lock", "merge", "split", "redraw",
                "validate_plan", "language", "export", "cancel_job", "open", "close_reopen",
                "crash_recover"} - set(res.counts)
    assert res.jobs["done"] >= 5 and res.jobs["cancelled"] >= 1
    assert res.windows >= 2 and res.recoveries >= 1
    assert res.effects["stroke"] >= 50 and res.effects["merged"] >= 1 and res.effects["split"] >= 1
