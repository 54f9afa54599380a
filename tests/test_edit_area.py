"""The app's box and brush on the command line: ``gridtool edit PROJECT --move-area AREA=CODE`` moves
the buildings inside a polygon drawn in a GIS or a map app (any CRS) into grid CODE, with the rule
the brush follows (:meth:`GridPlan.movable`): buildings of locked or special grids and of other
villages stay where they are and are counted. Before, the command line moved buildings by id or a
whole sub-grid only.

Three Liechtenstein villages (``locks_data``), partitioned without sub-grids.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
from locks_data import cut_project  # noqa: E402
from test_locks import _pick_paint  # noqa: E402

from gridtool.cli import main  # noqa: E402
from gridtool.partition.edit import EditState  # noqa: E402
from gridtool.project import Project  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HAS_QT = all(importlib.util.find_spec(m) is not None for m in ("PyQt6", "pytestqt"))
FAST = ["--no-subgrids", "--corridor-width", "0", "--quiet"]


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    """The partitioned cut, two grids ``a`` and ``b`` of one village and a box (1 m round the
    buildings of ``b`` nearest ``a``) saved as a lon/lat GeoPackage, as a map app would give it."""
    d = tmp_path_factory.mktemp("area")
    raw = cut_project("liechtenstein").save(d / "raw.gpkg")
    first = d / "first.gpkg"
    assert main(["partition", str(raw), "--out", str(first), *FAST]) == 0
    p = Project.open(first)
    st = EditState.from_project(p)
    a, b, feats = _pick_paint(st.plan, p.layers["grids"].gdf, st.xy)
    x0, y0 = st.xy[feats].min(axis=0) - 1.0
    x1, y1 = st.xy[feats].max(axis=0) + 1.0
    box = gpd.GeoDataFrame({"名称": ["调整范围"]}, geometry=[shapely.box(x0, y0, x1, y1)], crs=p.crs)
    path = d / "范围.gpkg"
    box.to_crs("EPSG:4326").to_file(path, layer="area", driver="GPKG")
    inside = np.flatnonzero((st.xy[:, 0] >= x0) & (st.xy[:, 0] <= x1) & (st.xy[:, 1] >= y0) & (st.xy[:, 1] <= y1))
    return {"dir": d, "first": first, "a": a, "b": b, "box": (x0, y0, x1, y1), "path": path, "inside": inside,
            "plan": st.plan, "membership": st.membership}


def test_move_area_moves_the_buildings_inside_it(area, capsys):
    out = area["dir"] / "moved.gpkg"
    capsys.readouterr()
    assert main(["edit", str(area["first"]), "--move-area", f"{area['path']}={area['a']}", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    hh = gpd.read_file(out, layer="households")
    assert set(hh["grid"].astype(str).iloc[area["inside"]]) == {area["a"]}
    assert f"移入网格 {area['a']}" in said
    before = gpd.read_file(area["first"], layer="households")
    rest = np.setdiff1d(np.arange(len(hh)), area["inside"])
    assert hh["grid"].astype(str).iloc[rest].tolist() == before["grid"].astype(str).iloc[rest].tolist()


def test_move_area_leaves_a_locked_grids_buildings_and_counts_them(area, capsys):
    out = area["dir"] / "locked.gpkg"
    plan, m = area["plan"], area["membership"]
    in_b = [f for f in area["inside"] if m.of_feature[f] == m.index[area["b"]]]
    capsys.readouterr()
    assert main(["edit", str(area["first"]), "--lock", area["b"], "--move-area", f"{area['path']}={area['a']}",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"{len(in_b)} 栋属于锁定网格或专属网格，未移动" in said
    g = gpd.read_file(out, layer="grids").set_index("code")
    assert int(g.loc[area["b"], "hh"]) == plan.totals[area["b"]]


def test_an_area_with_no_household_or_no_polygon_is_refused_by_name(area, tmp_path, capsys):
    far = tmp_path / "远处.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 0.001, 0.001)], crs="EPSG:4326").to_file(far, driver="GPKG")
    capsys.readouterr()
    assert main(["edit", str(area["first"]), "--move-area", f"{far}={area['a']}", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "内没有住户" in err and "远处.gpkg" in err and "Traceback" not in err
    pts = tmp_path / "点.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(9.5, 47.1)], crs="EPSG:4326").to_file(pts, driver="GPKG")
    assert main(["edit", str(area["first"]), "--move-area", f"{pts}={area['a']}", "--dry-run"]) == 2
    assert "应为面" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_QT, reason="the app's test needs PyQt6 and pytest-qt")
def test_the_apps_box_tool_gives_the_same_plan(qtbot, window, area, capsys):
    cli = area["dir"] / "cli-box.gpkg"
    assert main(["edit", str(area["first"]), "--move-area", f"{area['path']}={area['a']}", "--out", str(cli)]) == 0
    w = window
    w.open_project(str(area["first"]))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)
    w.editor.set_target(area["a"])
    res = w.editor.paint_box(*area["box"])  # 框选 over the same box, into the same grid
    assert res is not None and res.moved > 0
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    app = area["dir"] / "app-box.gpkg"
    w.save_sync(str(app))
    h1 = gpd.read_file(cli, layer="households")
    h2 = gpd.read_file(app, layer="households")
    assert h1["grid"].astype(str).tolist() == h2["grid"].astype(str).tolist()
    g1 = gpd.read_file(cli, layer="grids").set_index("code").sort_index()
    g2 = gpd.read_file(app, layer="grids").set_index("code").sort_index()
    assert list(g1.index) == list(g2.index) and g1["hh"].astype(int).tolist() == g2["hh"].astype(int).tolist()


def test_an_area_drawn_crossing_itself_moves_the_buildings_inside_it(area, capsys):
    """A hand-drawn ring with a spike (invalid), with a second polygon in the same file: the union
    of the two stopped with an internal error (GEOS TopologyException); repaired, the buildings
    inside the drawn box move, and only they."""
    x0, y0, x1, y1 = area["box"]
    mx = (x0 + x1) / 2
    spiked = shapely.Polygon([(x0, y0), (x1, y0), (x1, y1), (mx, y1), (mx, y1 + 40), (mx, y1), (x0, y1)])
    assert not spiked.is_valid
    inner = shapely.box(x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4, mx, y1 - (y1 - y0) / 4)
    path = area["dir"] / "手绘范围.gpkg"
    gpd.GeoDataFrame(geometry=[spiked, inner], crs=Project.open(area["first"]).crs).to_file(path, driver="GPKG")
    out = area["dir"] / "spiked.gpkg"
    capsys.readouterr()
    assert main(["edit", str(area["first"]), "--move-area", f"{path}={area['a']}", "--out", str(out)]) == 0
    hh = gpd.read_file(out, layer="households")
    before = gpd.read_file(area["first"], layer="households")
    moved = np.flatnonzero(hh["grid"].astype(str).to_numpy() != before["grid"].astype(str).to_numpy())
    assert set(moved) <= set(area["inside"].tolist()) and len(moved)
    assert set(hh["grid"].astype(str).iloc[area["inside"]]) == {area["a"]}
    assert int(hh["hh"].sum()) == int(before["hh"].sum())


def test_an_empty_area_file_says_it_holds_no_area(area, tmp_path, capsys):
    empty = tmp_path / "空范围.gpkg"
    gpd.GeoDataFrame({"名称": []}, geometry=[], crs="EPSG:4326").to_file(empty, driver="GPKG")
    capsys.readouterr()
    assert main(["edit", str(area["first"]), "--move-area", f"{empty}={area['a']}", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "0 个要素" in err and "空范围.gpkg" in err and "Traceback" not in err


def test_an_area_without_a_crs_is_read_with_crs_in_area(area, tmp_path, capsys):
    """A shapefile without .prj: the reader's fix says ``--crs-in area=…``, which ``gridtool edit``
    did not take (argparse refused it). Declared, the area moves its buildings."""
    x0, y0, x1, y1 = area["box"]
    crs = Project.open(area["first"]).crs
    box = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x1, y1)], crs=crs).to_crs("EPSG:4326")
    shp = tmp_path / "无坐标系.shp"
    box.set_crs(None, allow_override=True).to_file(shp)
    capsys.readouterr()
    out = tmp_path / "declared.gpkg"
    assert main(["edit", str(area["first"]), "--move-area", f"{shp}={area['a']}", "--crs-in", "area=wgs84",
                 "--out", str(out)]) == 0
    assert f"移入网格 {area['a']}" in capsys.readouterr().out
    hh = gpd.read_file(out, layer="households")
    assert set(hh["grid"].astype(str).iloc[area["inside"]]) == {area["a"]}
    # Undeclared, the reader's guess is said with the file's name (it was dropped before).
    assert main(["edit", str(area["first"]), "--move-area", f"{shp}={area['a']}", "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "无坐标系.shp" in said and "--crs-in gcj02" in said, said


def test_a_remedy_for_a_village_the_project_lacks_is_refused_by_name(area, tmp_path, capsys):
    """``partition --redraw --keep-exception V`` (and ``--relax V=…``) for a village not in the
    project ran to the end and changed nothing, quietly; now refused, naming the nearest village."""
    villages = gpd.read_file(area["first"], layer="villages")
    real = str(villages["name"].iloc[0])
    out = tmp_path / "redrawn.gpkg"
    capsys.readouterr()
    assert main(["partition", str(area["first"]), "--redraw", "--keep-exception", real[:-1] + "X",
                 "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert "--keep-exception" in err and real in err and "Traceback" not in err
    assert not out.exists()
    assert main(["partition", str(area["first"]), "--redraw", "--relax", "没有这个村=200-600", "--out", str(out),
                 *FAST]) == 2
    assert "没有这个村" in capsys.readouterr().err and not out.exists()
