"""A patrol plan that leaves must-visit places out says so where the officer looks: under the routes.

Before, ``必到地点未安排 17 处`` (Nanjing Xuanwu demo, 巡逻 → 巡逻路线 at its defaults: the schools'
07:30-08:00 window is before the 08:00 start) went to the log alone, which the laptop layout keeps
closed: the routes panel listed three full routes and the printed cards skipped 17 schools. Now
the routes panel names them in red with the dialog's words for the fix (出发时间, 班次时长), the
project keeps them (saved, undone with the routes), and ``gridtool patrol`` stores the same list.

Also: the route-card export dialog showed the wall map's title (网格化管理分布图) as the heading
it would print; it shows the cards' own (… 巡逻路线卡).

Offscreen under pytest-qt; skipped without PyQt6 and pytest-qt.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from gridtool.cli import main  # noqa: E402
from gridtool.project import Project  # noqa: E402

from .patrol_data import patrol_town, write_layers  # noqa: E402


@pytest.fixture(scope="module")
def early_school(tmp_path_factory):
    """The patrol town without incidents; its first place a must-visit school open 07:00-07:30 only."""
    d = tmp_path_factory.mktemp("unserved")
    t = patrol_town()
    places = t["places"].copy()
    places["name"] = ["实验小学", "农贸市场", "中心医院", "银行"]
    places["category"] = ["school", "market", "hospital", "bank"]
    places["必到"] = ["是", "", "", ""]
    places["时间窗"] = ["07:00-07:30", "", "", ""]
    src = write_layers(d / "town.gpkg", {"roads": t["roads"], "places": places, "stations": t["stations"]})
    out = d / "project.gpkg"
    assert main(["import", *sum(([f"--{k}", v] for k, v in src.items()), []), "--out", str(out), "--quiet"]) == 0
    return out


def _open(qtbot, w, path) -> None:
    w.open_project(str(path))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=30000)


def _panel_text(w) -> str:
    lbl = w.routes.unserved
    return lbl.text() if lbl.isVisibleTo(w.routes) else ""


def test_routes_panel_names_the_must_visit_places_the_plan_left_out(qtbot, window, early_school, tmp_path):
    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, early_school)
    dlg = PatrolDialog(w)
    dlg.time_limit.setValue(0.5)
    dlg.start()  # 08:00, 240 minutes: the dialog's defaults
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert len(w.session.project.layers["routes"].gdf)  # the other places are planned
    text = _panel_text(w)
    assert "必到地点未安排 1 处" in text and "实验小学" in text
    assert "出发时间 " in text and "--start" not in text  # the dialog's field, not the command's option
    assert "180" in w.routes.unserved.styleSheet()  # red: a must-visit place
    # kept in the project: saved and shown again when it is opened
    saved = tmp_path / "saved.gpkg"
    w.save_sync(str(saved))
    assert [r["place"] for r in Project.open(saved).parameters["patrol_unserved"]] == ["实验小学"]
    # the options, as gridtool patrol stores them (the app stored none: a project did not say how its routes were made)
    assert Project.open(saved).parameters["patrol"] == {"teams": dlg.teams.value(), "shift": 240.0, "start": "08:00", "mode": "walk",
                                                        "depot": None, "dwell": 5.0}
    w.undo()  # the routes go, and what they left out with them
    qtbot.waitUntil(lambda: not _panel_text(w), timeout=5000)
    w.redo()
    qtbot.waitUntil(lambda: "实验小学" in _panel_text(w), timeout=5000)
    w.session.set_project(None)
    _open(qtbot, w, saved)
    assert "必到地点未安排 1 处" in _panel_text(w)


def test_a_plan_leaving_nothing_out_shows_no_line(qtbot, window, early_school):
    from PyQt6.QtCore import QTime

    from gridtool.ui.patrol_dialog import PatrolDialog
    w = window
    _open(qtbot, w, early_school)
    dlg = PatrolDialog(w)
    dlg.start_time.setTime(QTime(6, 50))  # the school's window lies in the shift
    dlg.time_limit.setValue(0.5)
    dlg.start()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)
    assert "routes" in w.session.project.layers
    assert _panel_text(w) == ""


def test_the_command_keeps_the_places_left_out_for_the_app(qtbot, window, early_school, tmp_path, capsys):
    import shutil
    proj = shutil.copy(early_school, tmp_path / "cli.gpkg")
    assert main(["patrol", str(proj), "--time-limit", "0.5", "--lenient", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "必到地点未安排 1 处" in printed
    kept = Project.open(proj).parameters["patrol_unserved"]
    assert [(r["place"], r["must"]) for r in kept] == [("实验小学", True)]
    _open(qtbot, window, proj)
    assert "实验小学" in _panel_text(window)


def test_route_card_dialog_shows_the_heading_the_cards_print(qtbot, window, early_school, tmp_path):
    import shutil

    from gridtool.ui.export_dialogs import CardsDialog, WallMapDialog
    w = window
    proj = shutil.copy(early_school, tmp_path / "routed.gpkg")
    assert main(["patrol", str(proj), "--time-limit", "0.5", "--lenient", "--out", str(tmp_path / "o")]) == 0
    _open(qtbot, w, proj)
    cards = CardsDialog(w).title.placeholderText()
    assert "巡逻路线卡" in cards and "网格化管理分布图" not in cards
    assert "城关派出所" in cards  # no township in the data: the cards are headed by their stations
    wall = WallMapDialog(w)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=60000)  # its preview
    assert "网格化管理分布图" in wall.title.placeholderText()
