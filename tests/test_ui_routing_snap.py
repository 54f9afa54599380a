"""线端吸附 in the coverage and seal dialogs (pytest-qt, offscreen), as ``--snap`` of ``gridtool
coverage`` and ``gridtool seal``: the same default (自动), the same graph, the same warning about a
lane stopping short of a street, and the figures the command prints with the same ``--snap``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

sys.path.insert(0, str(Path(__file__).parent))

from gridtool import cli  # noqa: E402
from gridtool.project import Project  # noqa: E402

from .test_routing_graph import GK108, X0, Y0, town  # noqa: E402


@pytest.fixture(scope="module")
def lane_project(tmp_path_factory):
    """A 6×6 street grid with a 500 m lane to the north that stops 2 m short of the top street, and
    15 households at the lane's far end: reached only when the gap is snapped."""
    d = tmp_path_factory.mktemp("ui-snap")
    roads = town(n=6)["roads"].drop(columns="src_id")
    lane = gpd.GeoDataFrame({"name": ["北巷"], "class": ["residential"]},
                            geometry=[LineString([(X0 + 250, Y0 + 1000), (X0 + 250, Y0 + 502)])], crs=GK108)
    roads = gpd.GeoDataFrame(gpd.pd.concat([roads, lane], ignore_index=True), crs=GK108)
    pts = lambda rows, **c: gpd.GeoDataFrame(c, geometry=[Point(X0 + x, Y0 + y) for x, y in rows], crs=GK108)  # noqa: E731
    layers = {"roads": roads, "stations": pts([(250, 250)], name=["城关所"]),
              "households": pts([(100, 100), (250, 1000)], hh=[10, 15]),
              "exits": pts([(250, 990), (500, 0)], name=["北巷口", "东口"])}
    gpkg = d / "town.gpkg"
    for role, gdf in layers.items():
        gdf.to_file(gpkg, layer=role, driver="GPKG")
    p = Project.from_sources({r: f"{gpkg}:{r}" for r in ("roads", "stations", "households")}, name="城关")
    return {"project": p.save(d / "project.gpkg"), "exits": f"{gpkg}:exits"}


def _cli(capsys, *argv) -> str:
    capsys.readouterr()
    args = cli.build_parser().parse_args(["--lang", "zh", *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


def _run(qtbot, w, dlg, snap):
    assert dlg.snap.text() == "自动（CAD 式图层 3 米，已在节点相接的路网 0）"  # the commands' default
    if snap is not None:
        dlg.snap.setValue(snap)
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    w.problems.log.clear()
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    return w.problems.log.toPlainText()


def _graph_lines(out: str) -> list[str]:
    """What the command printed about the road graph: its warnings and the snapping line."""
    return [x for x in out.splitlines() if "道路线端" in x or x.startswith("线端吸附")]


@pytest.mark.parametrize("snap", [None, 3.0])
def test_coverage_dialog_snaps_line_ends_as_the_coverage_command(qtbot, window, lane_project, tmp_path,
                                                                 capsys, snap):
    w = window
    w.open_project(str(lane_project["project"]))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    dlg = w.circles_dialog()
    dlg.minutes.setText("15")
    log = _run(qtbot, w, dlg, snap)
    text = w.analysis.text.toPlainText()
    out = _cli(capsys, "coverage", str(lane_project["project"]), "--minutes", "15", "--mode", "walk",
               *(["--snap", f"{snap:g}"] if snap is not None else []), "--out", str(tmp_path / "cli"))
    assert text in out  # the coverage the command prints with the same --snap
    said = _graph_lines(out)
    assert said and all(x in log for x in said)
    cov = w.session.project.parameters["coverage"][0]
    if snap is None:  # not joined: the lane's 15 households unreached, and the warning says why and the fix
        assert any("未相接" in x for x in said) and cov["covered_hh"] == 10
        assert "--snap 5（桌面程序：巡逻、服务圈、封控对话框的“线端吸附”设为 5 米）" in log
    else:
        assert "容差 3 米" in log and "连接缺口 1 处" in log and cov["covered_hh"] == 25


def test_seal_dialog_snaps_line_ends_as_the_seal_command(qtbot, window, lane_project, tmp_path, capsys):
    from gridtool.errors import GridtoolError
    w = window
    w.open_project(str(lane_project["project"]))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    argv = ["seal", str(lane_project["project"]), "--exits", lane_project["exits"], "--mode", "walk",
            "--out", str(tmp_path / "cli")]
    # 自动 (no snapping on a noded network): the exit at the lane's end has no road within reach,
    # the dialog's run stops and says which exit, as the command does
    dlg = w.seal_dialog()
    dlg.source.setCurrentIndex(dlg.source.findData("file"))
    dlg.file.setText(lane_project["exits"])
    log = _run(qtbot, w, dlg, None)
    assert "以下卡口 300 米内没有可用道路：北巷口" in log and "seal_paths" not in w.session.project.layers
    with pytest.raises(GridtoolError, match="北巷口"):
        _cli(capsys, *argv)
    # 3 m: the lane joins the streets; the plan and the graph's lines are the command's with --snap 3
    dlg = w.seal_dialog()
    dlg.source.setCurrentIndex(dlg.source.findData("file"))
    dlg.file.setText(lane_project["exits"])
    log = _run(qtbot, w, dlg, 3.0)
    text = w.analysis.text.toPlainText()
    out = _cli(capsys, *argv, "--snap", "3")
    assert text in out and "北巷口" in text
    said = _graph_lines(out)
    assert any("连接缺口 1 处" in x for x in said) and all(x in log for x in said)
