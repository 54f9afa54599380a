"""网格街巷巡查路线 in the app (pytest-qt, offscreen), the app's face of ``gridtool walk``: the same
walk as the command (lengths, streets covered, the summary lines), the same files where they are
deterministic, the walk in the project, on the map and in the routes panel in one undo step, and
Cancel leaving the project as it was."""

from __future__ import annotations

import os


import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from gridtool import cli  # noqa: E402
from gridtool.layers import Layer  # noqa: E402
from gridtool.project import Project  # noqa: E402

from .patrol_data import patrol_town  # noqa: E402
from .test_routing_graph import GK108, X0, Y0  # noqa: E402
from .test_ui_app import _open  # noqa: E402

CODES = ["500101001001-01", "500101001001-02"]


@pytest.fixture(scope="module")
def walk_project(tmp_path_factory):
    """The command's walk test town: a street grid, two base grids, a station in the first."""
    t = patrol_town()
    proj = Project(name="walktown")
    proj.add_layer(Layer("roads", t["roads"].assign(src_id=[f"FID {i}" for i in range(len(t["roads"]))])))
    grids = gpd.GeoDataFrame({"code": CODES, "hh": [400, 380]},
                             geometry=[box(X0 - 1, Y0 - 1, X0 + 301, Y0 + 201), box(X0 + 399, Y0 + 399, X0 + 801, Y0 + 801)],
                             crs=GK108)
    proj.add_layer(Layer("grids", grids))
    proj.add_layer(Layer("stations", t["stations"]))
    return proj.save(tmp_path_factory.mktemp("ui-walk") / "walk.gpkg")


def _cli(capsys, *argv) -> str:
    capsys.readouterr()
    args = cli.build_parser().parse_args(["--lang", "zh", *argv])
    assert args.func(args) == 0
    return capsys.readouterr().out


def _select(w, code):
    g = w.session.project.layers["grids"].gdf
    w.canvas.set_selection("grids", [int((g["code"] == code).to_numpy().nonzero()[0][0])])


def _walk(qtbot, w, walkers=1, codes=None):
    dlg = w.walk_dialog()
    if codes is not None:
        from PyQt6.QtCore import Qt
        for i in range(dlg.grids.count()):
            it = dlg.grids.item(i)
            it.setCheckState(Qt.CheckState.Checked if it.text() in codes else Qt.CheckState.Unchecked)
    dlg.walkers.setValue(walkers)
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    w.problems.log.clear()
    dlg.buttons.accepted.emit()
    return dlg


def test_walk_dialog_makes_the_commands_walk_and_exports_its_files(qtbot, window, walk_project, tmp_path, capsys):
    w = window
    _open(qtbot, w, walk_project)
    assert w.actions_["patrol.walk"].isEnabled() and w.actions_["patrol.walk"].text() == "网格街巷巡查路线…"
    _select(w, CODES[1])
    dlg = _walk(qtbot, w, walkers=2)
    assert dlg.chosen_codes() == [CODES[1]]  # the selected grid, ticked by default
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    p = w.session.project
    assert {"walk", "walk_steps"} <= set(p.layers) and w.session.undo.can_undo()

    # --no-save: the module's project stays without a walk for the tests after this one
    out = _cli(capsys, "walk", str(walk_project), "--grid", CODES[1], "--walkers", "2", "--no-save",
               "--out", str(tmp_path / "cli"))
    stem = f"walk-{CODES[1]}"
    cli_lines = pyogrio.read_dataframe(tmp_path / "cli" / f"{stem}.gpkg", layer="walk")
    cli_steps = pyogrio.read_dataframe(tmp_path / "cli" / f"{stem}.gpkg", layer="walk_steps")
    app_lines, app_steps = p.layers["walk"].gdf, p.layers["walk_steps"].gdf
    assert list(app_lines["walker"]) == list(cli_lines["walker"]) == [1, 2]
    assert list(app_lines["length_km"]) == pytest.approx(list(cli_lines["length_km"]), abs=1e-9)
    assert list(app_lines["minutes"]) == pytest.approx(list(cli_lines["minutes"]), abs=1e-9)
    assert list(app_steps["piece"]) == list(cli_steps["piece"])      # the same streets, in the same order
    assert set(app_steps.loc[app_steps["required"], "piece"]) == set(cli_steps.loc[cli_steps["required"], "piece"])
    # the log says what the console says about the walk, word for word
    summary = [x for x in out.splitlines() if x.startswith(f"网格 {CODES[1]}：")]
    log = w.problems.log.toPlainText()
    assert len(summary) == 1 and summary[0] in log and "线端吸附" in log

    # on the map (coloured by walker) and in the routes panel with each walker's streets
    assert "walk" in {m.role for m in w.stack.layers} and "walk_steps" not in {m.role for m in w.stack.layers}
    tree = w.routes.routes
    assert tree.topLevelItemCount() == 2 and tree.topLevelItem(0).text(0) == f"网格 {CODES[1]} · 巡查人 1"
    assert tree.topLevelItem(0).text(2) == str(int(app_lines["streets"].iloc[0])) and w.routes.stops.topLevelItemCount() > 0
    tree.setCurrentItem(tree.topLevelItem(1))
    assert w.routes.stops.topLevelItemCount() == int(app_lines["streets"].iloc[1])

    # 导出 → 街巷巡查路线文件: the command's files; CSV, KML and GPX byte for byte, the card's text
    from gridtool.ui.export_dialogs import open_export_dialog
    exp = open_export_dialog(w, "walk")
    exp.path.setText(str(tmp_path / "app"))
    exp.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    for sfx in ("-streets.csv", ".kml", ".gpx"):
        assert (tmp_path / "app" / f"{stem}{sfx}").read_bytes() == (tmp_path / "cli" / f"{stem}{sfx}").read_bytes(), sfx
    for layer in ("walk", "walk_steps"):
        a = pyogrio.read_dataframe(tmp_path / "app" / f"{stem}.gpkg", layer=layer)
        b = pyogrio.read_dataframe(tmp_path / "cli" / f"{stem}.gpkg", layer=layer)
        assert list(a.columns) == list(b.columns) and a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert all(x.equals_exact(y, 1e-9) for x, y in zip(a.geometry, b.geometry))
    from pypdf import PdfReader

    def text(path):
        return "\n".join(pg.extract_text() for pg in PdfReader(path).pages)
    assert text(tmp_path / "app" / f"{stem}-card.pdf") == text(tmp_path / "cli" / f"{stem}-card.pdf")
    assert "街巷巡查路线卡 · 巡查人 2" in text(tmp_path / "app" / f"{stem}-card.pdf")

    # one undo step takes the walk out of the project, the map and the panel
    w.session.undo.undo()
    assert "walk" not in w.session.project.layers and "walk_steps" not in w.session.project.layers
    assert "walk" not in {m.role for m in w.stack.layers} and tree.topLevelItemCount() == 0


def test_walk_of_two_grids_logs_each_as_the_command(qtbot, window, walk_project, tmp_path, capsys):
    w = window
    _open(qtbot, w, walk_project)
    _walk(qtbot, w, codes=CODES)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    out = _cli(capsys, "walk", str(walk_project), "--grid", ",".join(CODES), "--no-save", "--out", str(tmp_path / "cli"))
    log = w.problems.log.toPlainText()
    lines = [x for x in out.splitlines() if x.startswith("网格 ") or x.startswith("  ")]
    assert len(lines) >= 2 and all(x.strip() in log for x in lines)
    assert sorted(set(w.session.project.layers["walk"].gdf["grid"])) == CODES


def test_walk_dialog_without_a_grid_ticked_says_so(qtbot, window, walk_project):
    w = window
    _open(qtbot, w, walk_project)
    w.canvas.set_selection("grids", [])
    dlg = _walk(qtbot, w, codes=[])
    assert not w.jobs.busy and "没有选择网格" in dlg.error.text()
    assert "walk" not in w.session.project.layers


def test_cancelled_walk_leaves_the_project(qtbot, window, walk_project):
    w = window
    _open(qtbot, w, walk_project)
    before = dict(w.session.project.layers), w.session.undo.can_undo(), w.session.dirty
    _walk(qtbot, w, codes=CODES)
    job = w.jobs.current
    assert job is not None
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    assert job.state == "cancelled" and f"已取消：{job.title}" in w.problems.log.toPlainText()
    assert (dict(w.session.project.layers), w.session.undo.can_undo(), w.session.dirty) == before
    assert w.routes.routes.topLevelItemCount() == 0


def test_walk_dialog_in_english(qtbot, window, walk_project):
    from gridtool.ui import i18n
    w = window
    _open(qtbot, w, walk_project)
    w.set_language("en")
    try:
        assert w.actions_["patrol.walk"].text() == "Street walk of grids…"
        _select(w, CODES[0])
        _walk(qtbot, w)
        qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
        log = w.problems.log.toPlainText()
        assert f"grid {CODES[0]}: " in log and f"网格 {CODES[0]}" not in log
        assert w.routes.routes.topLevelItem(0).text(0) == f"Grid {CODES[0]} · walker 1"
    finally:
        w.set_language("zh")
        assert i18n.language() == "zh"


def test_walk_files_export_refuses_a_users_file(qtbot, window, walk_project, tmp_path):
    w = window
    _open(qtbot, w, walk_project)
    _select(w, CODES[0])
    _walk(qtbot, w)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    mine = tmp_path / "app" / f"walk-{CODES[0]}.kml"
    mine.parent.mkdir()
    mine.write_text("我的标注", encoding="utf-8")
    from gridtool.ui.export_dialogs import open_export_dialog
    exp = open_export_dialog(w, "walk")
    exp.path.setText(str(tmp_path / "app"))
    exp.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert mine.read_text(encoding="utf-8") == "我的标注"
    assert not (tmp_path / "app" / f"walk-{CODES[0]}-card.pdf").exists()


def test_export_walks_on_the_command_line_writes_the_apps_files(qtbot, window, walk_project, tmp_path, capsys):
    """导出 → 街巷巡查路线文件 had no command-line way: ``gridtool export PROJECT --walks DIR`` writes
    the same files from the walks the app kept in the project, the cards from the walk's start time."""
    w = window
    _open(qtbot, w, walk_project)
    _walk(qtbot, w, codes=CODES)
    dlg_start = "07:30"
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    w.session.project.parameters["walk"]["start"] = dlg_start  # as the dialog's start time stores it
    saved = tmp_path / "walked.gpkg"
    w.save_sync(str(saved))
    from gridtool.ui.export_dialogs import open_export_dialog
    exp = open_export_dialog(w, "walk")
    assert exp.start_time.time().toString("HH:mm") == dlg_start
    exp.path.setText(str(tmp_path / "app"))
    exp.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    out = _cli(capsys, "export", str(saved), "--walks", str(tmp_path / "cli"))
    assert "已导出 10 个文件" in out
    for code in CODES:
        stem = f"walk-{code}"
        for sfx in ("-streets.csv", ".kml", ".gpx"):
            assert (tmp_path / "app" / f"{stem}{sfx}").read_bytes() == (tmp_path / "cli" / f"{stem}{sfx}").read_bytes()
    from pypdf import PdfReader

    def text(path):
        return "\n".join(pg.extract_text() for pg in PdfReader(path).pages)
    card = f"walk-{CODES[0]}-card.pdf"
    assert text(tmp_path / "app" / card) == text(tmp_path / "cli" / card) and dlg_start in text(tmp_path / "cli" / card)
    _cli(capsys, "export", str(saved), "--walks", str(tmp_path / "later"), "--walk-start", "19:00")
    assert "19:00" in text(tmp_path / "later" / card) and dlg_start not in text(tmp_path / "later" / card)


def test_export_walks_without_a_walk_says_how_to_make_one(walk_project, tmp_path, capsys):
    capsys.readouterr()
    assert cli.main(["export", str(walk_project), "--walks", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert "项目中没有街巷巡查路线" in err and "gridtool walk" in err and "Traceback" not in err
    assert not (tmp_path / "w").exists()


def test_walk_stored_by_the_command_prints_as_the_apps(qtbot, window, walk_project, tmp_path, capsys):
    """``gridtool walk PROJECT`` stores the walk as the app's dialog does: the same layers and
    parameters (the start time too), a second walk replacing the first in both, so that ``gridtool
    export --walks`` prints the same files from either project."""
    import shutil

    from PyQt6.QtCore import QTime
    app_copy, cli_copy = tmp_path / "app.gpkg", tmp_path / "cli.gpkg"
    for path in (app_copy, cli_copy):
        shutil.copyfile(walk_project, path)
        _cli(capsys, "walk", str(path), "--grid", ",".join(CODES), "--out", str(tmp_path / "first"))  # both grids
    w = window
    _open(qtbot, w, app_copy)
    assert sorted(set(w.session.project.layers["walk"].gdf["grid"])) == CODES  # the command's walk, opened
    dlg = w.walk_dialog()
    from PyQt6.QtCore import Qt
    for i in range(dlg.grids.count()):
        it = dlg.grids.item(i)
        it.setCheckState(Qt.CheckState.Checked if it.text() == CODES[1] else Qt.CheckState.Unchecked)
    dlg.walkers.setValue(2)
    dlg.start_time.setTime(QTime(7, 30))
    dlg.mode.setCurrentIndex(dlg.mode.findData("walk"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    w.save_sync(str(app_copy))

    out = _cli(capsys, "walk", str(cli_copy), "--grid", CODES[1], "--walkers", "2", "--start", "07:30",
               "--out", str(tmp_path / "second"))
    assert f"街巷巡查路线已存入项目 {cli_copy}" in out and f"gridtool export {cli_copy} --walks" in out
    app_p, cli_p = Project.open(app_copy), Project.open(cli_copy)
    assert app_p.parameters["walk"] == cli_p.parameters["walk"] == {"grids": [CODES[1]], "walkers": 2,
                                                                     "start": "07:30", "mode": "walk"}
    for layer in ("walk", "walk_steps"):  # the second walk replaced the first, in the app and the command
        a, b = app_p.layers[layer].gdf, cli_p.layers[layer].gdf
        assert set(a["grid"]) == set(b["grid"]) == {CODES[1]}
        assert list(a.columns) == list(b.columns) and a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert all(x.equals_exact(y, 1e-9) for x, y in zip(a.geometry, b.geometry))
    assert app_p.layers["walk"].source == cli_p.layers["walk"].source

    for path, d in ((app_copy, "app"), (cli_copy, "cli")):
        assert "已导出 5 个文件" in _cli(capsys, "export", str(path), "--walks", str(tmp_path / d))
    stem = f"walk-{CODES[1]}"
    for sfx in ("-streets.csv", ".kml", ".gpx"):
        assert (tmp_path / "app" / f"{stem}{sfx}").read_bytes() == (tmp_path / "cli" / f"{stem}{sfx}").read_bytes(), sfx
    from pypdf import PdfReader

    def text(path):
        return "\n".join(pg.extract_text() for pg in PdfReader(path).pages)
    card = text(tmp_path / "cli" / f"{stem}-card.pdf")
    assert text(tmp_path / "app" / f"{stem}-card.pdf") == card and "07:30" in card and "巡查人 2" in card
