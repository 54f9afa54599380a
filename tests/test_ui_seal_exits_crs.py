"""The 封控 dialog reads a 卡口 sheet as ``gridtool seal --exits`` does (pytest-qt, offscreen).

Before: the dialog read the file with no coordinate-system choice and showed none of the loader's
warnings, so a sheet copied from 高德 was silently taken as WGS84 and the posts planned for the
wrong crossings, while the command line warned. Now the dialog has the import wizard's
coordinate-system choice (``--crs-in exits=…``), shows the same warnings under the form before
the run and in the log, and with GCJ-02 chosen plans the command's posts."""

from __future__ import annotations

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

from gridtool import cli  # noqa: E402
from gridtool.project import Project  # noqa: E402
from gridtool.samples import sample_sources  # noqa: E402

from .test_seal_exits_offset import _exit_sheet  # noqa: E402


@pytest.fixture(scope="module")
def xuanwu(tmp_path_factory):
    """The Xuanwu roads with two 派出所 on them, and eight 卡口 copied from 高德 (GCJ-02) as 经度/纬度."""
    d = tmp_path_factory.mktemp("ui-seal-crs")
    roads = sample_sources("nanjing-xuanwu")["roads"]
    p = Project.from_sources({"roads": roads}, name="xuanwu")
    g = p.layers["roads"].gdf
    x0, y0, x1, y1 = g.total_bounds
    pts = []
    for fx, fy in [(0.5, 0.5), (0.35, 0.6)]:
        q = shapely.Point(x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy)
        line = g.geometry.iloc[int(g.distance(q).argmin())]
        pts.append(line.interpolate(line.project(q)))
    gpd.GeoDataFrame({"name": ["玄武门派出所", "梅园新村派出所"]}, geometry=pts, crs=p.crs).to_file(
        d / "stations.gpkg", layer="stations")
    p = Project.from_sources({"roads": roads, "stations": f"{d / 'stations.gpkg'}:stations"}, name="xuanwu")
    sheet = d / "卡口.xlsx"
    _exit_sheet(sheet, p, gcj=True)
    return {"project": p.save(d / "project.gpkg"), "exits": str(sheet)}


def _cli(capsys, *argv) -> str:
    capsys.readouterr()
    args = cli.build_parser().parse_args(["--lang", "zh", *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


def _warnings(out: str) -> list[str]:
    """The command's lines about reading the 卡口 file: the loader's and the offset check's warnings."""
    lines = out.splitlines()
    return [x.strip() for i, x in enumerate(lines)
            if x.startswith("[警告]") and "卡口.xlsx" in x or i and lines[i - 1].startswith("[警告]")
            and "卡口.xlsx" in lines[i - 1]]


def _dialog(w, path, crs=None):
    dlg = w.seal_dialog()
    dlg.source.setCurrentIndex(dlg.source.findData("file"))
    dlg.file.setText(path)
    if crs is not None:
        dlg.crs.setCurrentIndex(dlg.crs.findData(crs))
    return dlg


def test_seal_dialog_warns_of_a_gaode_sheet_and_plans_the_command_posts_with_gcj02(qtbot, window, xuanwu,
                                                                                  tmp_path, capsys):
    w = window
    w.open_project(str(xuanwu["project"]))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    argv = ["seal", str(xuanwu["project"]), "--exits", xuanwu["exits"]]
    out = _cli(capsys, *argv, "--out", str(tmp_path / "cli-read"))
    said = _warnings(out)
    assert any("GCJ-02" in x for x in said) and any("选为“GCJ-02（高德/腾讯）”" in x for x in said)
    # the wizard's choices, 自动识别 first (as the command without --crs-in)
    dlg = _dialog(w, xuanwu["exits"])
    assert dlg.crs.currentText() == "自动识别" and dlg.crs.findData("gcj02") >= 0 and dlg.crs.findData("bd09") >= 0
    assert dlg.crs.findText("CGCS2000 国家大地坐标系") >= 0
    # the first press shows the command's warnings under the form and plans nothing
    w.problems.log.clear()
    dlg.buttons.accepted.emit()
    assert not w.jobs.busy and "seal_paths" not in w.session.project.layers and dlg.isVisible()
    assert "再按一次“运行”" in dlg.error.text()
    notes = dlg.notes.text()
    assert all(x in notes for x in said) and "坐标系 EPSG:4326（推定）" in notes
    # the second press plans as read (as the command does) and the log carries the same warnings
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    log = w.problems.log.toPlainText()
    assert all(x in log for x in said)
    assert w.analysis.text.toPlainText() in out
    # GCJ-02 chosen: no warning, it runs at the first press, and the posts are the command's with --crs-in exits=gcj02
    dlg = _dialog(w, xuanwu["exits"], "gcj02")
    assert "GCJ-02" not in dlg.notes.text() and "坐标系 gcj02" in dlg.notes.text()
    w.problems.log.clear()
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    fixed = _cli(capsys, *argv, "--crs-in", "exits=gcj02", "--out", str(tmp_path / "cli"))
    assert not _warnings(fixed) and "GCJ-02" not in w.problems.log.toPlainText()
    text = w.analysis.text.toPlainText()
    assert text.startswith("封控 8 个卡口") and text in fixed
    w.analysis.export_to(tmp_path / "app")
    assert (tmp_path / "app" / "seal.csv").read_bytes() == (tmp_path / "cli" / "seal.csv").read_bytes()
    # and the plan differs from the one on the sheet read as WGS84: other crossings
    assert (tmp_path / "cli" / "seal.csv").read_bytes() != (tmp_path / "cli-read" / "seal.csv").read_bytes()
