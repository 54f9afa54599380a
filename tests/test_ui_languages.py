"""The app's two interface languages as a user sees them: every menu action and every dialog speaks
the chosen language only (English: no Chinese but place names; Chinese: no English words but the
file formats and key names a Chinese interface uses too), and the standard buttons of message boxes
read 确定/取消/是/否/保存/不保存 — also on a Qt that lacks its own translations.
"""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from PyQt6.QtWidgets import (QAbstractButton, QGroupBox, QLabel, QMenu, QMessageBox,  # noqa: E402
                             QTabWidget, QTreeWidget)

# the app tests' fixtures, used by name (ruff's F811 on the test functions below is that use)
from .test_ui_app import _isolated_settings, _open, sample, window  # noqa: E402,F401

HAN = re.compile(r"[\u4e00-\u9fff]")
#: English words a Chinese interface keeps: formats, programs, key names, units, sheet sizes.
ZH_ALLOWED = {"GIS", "KML", "KMZ", "GPX", "HTML", "Excel", "DEM", "PDF", "PNG", "SVG", "CSV", "GPKG", "SHP",
              "GeoJSON", "GeoTIFF", "GeoPackage", "Shapefile", "QGIS", "EPSG", "CAD", "Esc", "Shift", "Alt", "Ctrl",
              "Google", "Earth", "WGS", "CGCS", "dpi", "gridtool", "OSM"}


def _english_words(text: str) -> list[str]:
    text = re.sub(r"--[\w-]+(=\S*)?", "", text)  # a command-line flag quoted for the command's users
    text = re.sub(r"\b[A-Z]\d\b", "", text)  # A0–A4
    text = re.sub(r"[\w/\\:-]*\.[A-Za-z]\w*", "", text)  # a file name or suffix (sample.gpkg, .gpkg)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ZH_ALLOWED]


def _texts(widget) -> list[str]:
    """The interface texts of a dialog's visible widgets (not the data in fields and lists)."""
    out = [widget.windowTitle()]
    for x in widget.findChildren(QAbstractButton) + widget.findChildren(QLabel):
        if x.isVisibleTo(widget):
            out += [re.sub("<[^>]+>", "", x.text()), x.toolTip()]
    out += [g.title() for g in widget.findChildren(QGroupBox) if g.isVisibleTo(widget)]
    for t in widget.findChildren(QTabWidget):
        out += [t.tabText(i) for i in range(t.count())]
    for tree in widget.findChildren(QTreeWidget):
        h = tree.headerItem()
        out += [h.text(i) for i in range(h.columnCount())]
    return [t for t in out if t]


def _dialogs(w, previous: str):
    from gridtool.ui.export_dialogs import KINDS, open_export_dialog
    from gridtool.ui.partition_dialog import PartitionDialog
    from gridtool.ui.patrol_dialog import PatrolDialog
    from gridtool.ui.wizard import NewProjectWizard
    makers = {f"export.{k}": (lambda k=k: open_export_dialog(w, k)) for k, needs in KINDS
              if needs is None or needs in w.session.project.layers}
    makers.update({"partition": lambda: PartitionDialog(w.session.partition_parameters(), w),
                   "patrol": lambda: PatrolDialog(w), "circles": w.circles_dialog,
                   "siting": lambda: w.circles_dialog(siting=True), "seal": w.seal_dialog, "join": w.join_dialog,
                   "redraw_previous": lambda: w.redraw_previous_dialog(previous),
                   "wizard": lambda: NewProjectWizard(w)})
    for name, make in makers.items():
        dlg = make()
        dlg.show()
        yield name, dlg
        w.jobs.cancel()  # the wall map's preview
        w.jobs.wait()
        dlg.reject()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_menus_and_dialogs_speak_the_chosen_language(qtbot, window, sample, lang):  # noqa: F811
    w = window
    _open(qtbot, w, sample["partitioned"])
    w.actions_[f"lang.{lang}"].trigger()
    places = set(w.session.project.layers["villages"].gdf["name"].astype(str))
    wrong = []

    def check(where, texts):
        for t in texts:
            if lang == "en":
                t = re.sub("|".join(map(re.escape, sorted(places, key=len, reverse=True))), "", t)
                if HAN.search(t):
                    wrong.append((where, t))
            elif _english_words(t.split(" — ")[0] if where == "window" else t):
                wrong.append((where, t))

    for m in w.findChildren(QMenu):
        check("menu", [m.title()] + [a.text() for a in m.actions()
                                      if not a.objectName().startswith("lang.") and a.text() not in ("中文", "English")])
        check("tooltip", [a.toolTip() for a in m.actions() if a.toolTip() != a.text().replace("&", "")])
    for name, dlg in _dialogs(w, str(sample["partitioned"])):
        check(name, _texts(dlg))
        assert not dlg.windowTitle().endswith("…"), name  # a dialog's title is no menu item
    assert not wrong, wrong
    w.actions_["lang.zh"].trigger()


@pytest.mark.parametrize("catalogue", [True, False], ids=["qt-catalogue", "without-qt-catalogue"])
def test_message_box_buttons_in_the_interface_language(qapp, monkeypatch, catalogue):
    from gridtool.ui import qt_translations
    if not catalogue:  # a Qt packaged without its translations
        monkeypatch.setitem(qt_translations.CATALOGUES, "zh", "no-such-catalogue")
    SB = QMessageBox.StandardButton

    def buttons():
        box = QMessageBox()
        box.setStandardButtons(SB.Ok | SB.Cancel | SB.Yes | SB.No | SB.Save)
        return {box.standardButton(b): re.sub(r"\(&\w\)", "", b.text()).replace("&", "") for b in box.buttons()}

    try:
        qt_translations.apply("zh")
        assert buttons() == {SB.Ok: "确定", SB.Cancel: "取消", SB.Yes: "是", SB.No: "否", SB.Save: "保存"}
        qt_translations.apply("en")
        assert buttons() == {SB.Ok: "OK", SB.Cancel: "Cancel", SB.Yes: "Yes", SB.No: "No", SB.Save: "Save"}
    finally:
        qt_translations.apply("zh")


def test_an_export_is_logged_by_its_name(qtbot, window, sample, tmp_path):  # noqa: F811
    from gridtool.ui.export_dialogs import open_export_dialog
    w = window
    _open(qtbot, w, sample["partitioned"])
    dlg = open_export_dialog(w, "ledger")
    dlg.path.setText(str(tmp_path / "台账.xlsx"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)
    log = w.problems.log.toPlainText().splitlines()
    assert any(line.endswith("开始：台账（Excel）") for line in log)
    assert any(line.endswith(f"已导出台账（Excel）：{tmp_path / '台账.xlsx'}") for line in log)
    assert not [line for line in log if "…" in line]


def test_import_check_fixes_name_the_app_controls_in_english(sample):  # noqa: F811
    """The import check's fix for road ends that nearly meet points to the dialogs' snap control by
    the name the English interface shows it under."""
    from gridtool.project import Project
    from gridtool.ui.strings import STRINGS
    from gridtool.validate import validate
    problems = validate(Project.open(sample["raw"]))
    snap = next(p for p in problems if "--snap" in p.fix_en)
    zh, en = STRINGS["patrol.snap"]
    assert en in snap.fix_en and zh in snap.fix_zh
    assert not [p.fix_en for p in problems if HAN.search(p.fix_en)]
