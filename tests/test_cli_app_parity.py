"""What the app's 网格 menu does, the command line does through the same core call, with the same
result, so a township's yearly script needs no hand work in the app:

- 检查网格 / Check grids → ``gridtool validate PROJECT --grids`` (``GridPlan.validate``).

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
    assert cli and all(p["severity"] == "warning" and p["role"] == "grids" for p in cli)
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
