"""A township's own layers (households, villages, roads) carry no stations and no places: the
routing dialogs that start from stations say so, in the dialog, instead of a program error.

Found driving the app on the government-style Liechtenstein layout (tools/make_government_layout.py):
巡逻 → 巡逻路线… raised ``KeyError: 'stations'`` while opening; 服务圈、选址 and 封控 raised it on 运行.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")


@pytest.fixture
def no_stations(tmp_path, written):
    from gridtool.project import Project
    p = Project.from_sources({r: written[r] for r in ("households", "villages", "roads")}, name="无站点")
    return p.save(tmp_path / "无站点.gpkg")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("which", ["patrol", "circles", "siting", "seal"])
def test_routing_dialogs_without_stations_say_what_to_add(qtbot, window, no_stations, which, lang):
    from gridtool.ui import errors, i18n
    w = window
    i18n.set_language(lang)
    w.open_project(str(no_stations))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    program_errors = []
    errors.reporter().shown.connect(program_errors.append)
    if which == "patrol":
        w.patrol_dialog()
        from gridtool.ui.patrol_dialog import PatrolDialog
        dlg = w.findChildren(PatrolDialog)[-1]
    elif which == "seal":
        dlg = w.seal_dialog()
    else:
        dlg = w.circles_dialog(siting=which == "siting")
    said = dlg.error.text()
    word = "站点" if lang == "zh" else "stations"
    assert word in said and ("新建项目" if lang == "zh" else "New project") in said  # at once, with the fix
    dlg.buttons.accepted.emit()  # 运行 anyway: said in the dialog, which stays for another choice
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20000)
    # (the patrol asks for its places first: "没有重点场所图层")
    assert dlg.isVisible() and (word if which != "patrol" else ("重点场所" if lang == "zh" else "places")) \
        in dlg.error.text()
    assert program_errors == [] and w.session.project.layers.keys() == {"households", "villages", "roads"}
    dlg.reject()


def test_the_walk_dialog_needs_no_stations(qtbot, window, no_stations):
    w = window
    w.open_project(str(no_stations))
    qtbot.waitUntil(lambda: w.session.project is not None and not w.jobs.busy, timeout=20000)
    dlg = w.walk_dialog()
    assert dlg.error.text() == ""
    dlg.reject()
