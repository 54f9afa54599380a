"""Small defects a planner sees in the app and its outputs (round 29):

* English counts read ``1 exception grids`` / ``1 special grids``: every count takes its number.
* 保存 into a folder that cannot hold files (/proc, a "folder" that is a file) showed a program
  error dialog (``FileNotFoundError``); ``gridtool partition … --out /proc/x.gpkg`` an internal error
  after the whole partition had run.
"""

from __future__ import annotations

import os
import re
import shutil
import string
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

# the app tests' fixtures, used by name (ruff's F811 on the test functions below is that use)
from .test_ui_app import _isolated_settings, sample, window  # noqa: E402,F401

#: Nouns gridtool counts in its English messages; "1 <noun>s" is the defect.
_PLURALS = r"(?:grids|sub-grids|households|buildings|rows|layers|features|villages|errors|warnings|problems|" \
           r"exits|circles|crossings|stops|teams)"


def _filled(text: str, value) -> str:
    from gridtool.ui.i18n import _counts
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return _counts.format(text, **{n: "walking" if n == "mode" else value for n in names})  # a word, not a count


def test_no_english_string_of_the_app_says_one_of_a_plural():
    from gridtool.ui.strings import STRINGS
    wrong = []
    for key, (_zh, en) in STRINGS.items():
        one, many = _filled(en, 1), _filled(en, 3)
        if re.search(rf"\b1 (?:[a-z-]+ )?{_PLURALS}\b", one) or "(s)" in en:
            wrong.append((key, one))
        if re.search(rf"\b3 (?:[a-z-]+ )?(?:grid|household|building|row|layer|feature|village|error|warning)\b(?!s)",
                     many):
            wrong.append((key, many))
    assert not wrong, wrong


def test_grid_counts_by_kind_are_singular_for_one():
    from gridtool.partition.totals import HouseholdTotals, grid_kinds_text, grid_words
    t = HouseholdTotals(imported=900, base=800, exception=100, base_grids=2, exception_grids=1, partitioned=True)
    assert t.grids_en() == "2 base grids, 1 exception grid"
    assert grid_kinds_text(["ok", "exception"], lang="en") == "1 base grid, 1 exception grid"
    assert grid_words(None, 1)[1] == "1 grid" and grid_words(None, 4)[1] == "4 grids"
    assert t.grids_zh() == "基础网格 2 个、例外网格 1 个"  # Chinese unchanged


def test_the_partition_log_in_english_counts_one_special_grid(qtbot, window):  # noqa: F811
    from gridtool.ui import i18n
    i18n.set_language("en")
    try:
        lines = []
        window.log_message = lines.append
        totals = {"imported": 900, "base": 700, "special": 100, "exception": 100, "unassigned": 0,
                  "base_grids": 2, "exception_grids": 1, "partitioned": True}
        window._report_partition({"plan": {"grids": 3, "pct_within_bounds": 100.0, "subgrids": 1, "special_grids": 1,
                                           "mean_polsby_popper": 0.5}, "totals": totals})
        said = lines[0]
        assert "2 base grids, 1 exception grid (" in said and "1 sub-grid, 1 special grid;" in said, said
    finally:
        i18n.set_language("zh")


# -- saving where no file can be made -------------------------------------------------------------

def _unmakeable(tmp_path: Path) -> Path:
    """A project path in a "folder" that is a file: no folder can be made there, on any system."""
    (tmp_path / "笔记.txt").write_text("not a folder", encoding="utf-8")
    return tmp_path / "笔记.txt" / "方案" / "plan.gpkg"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_saving_where_no_file_can_be_made_says_so_and_keeps_the_work(qtbot, window, sample, tmp_path, lang):  # noqa: F811,E501
    from gridtool.ui import errors, i18n
    from .test_ui_app import _open, _pair
    path = tmp_path / "plan.gpkg"
    shutil.copy(sample["partitioned"], path)
    w = window
    _open(qtbot, w, path)
    a, _b = _pair(w)
    assert w.editor.set_locked(a, True)  # unsaved work
    i18n.set_language(lang)
    try:
        targets = [_unmakeable(tmp_path)] + ([Path("/proc/x.gpkg")] if Path("/proc/self").exists() else [])
        for target in targets:
            shown = []
            errors.reporter().shown.connect(shown.append)
            w._save_to(str(target))  # 另存为 with the path the file dialog gave
            qtbot.waitUntil(lambda: bool(shown) and not w.jobs.busy, timeout=30000)
            errors.reporter().shown.disconnect(shown.append)
            for d in list(errors.reporter().dialogs):
                d.done(0)
            text = shown[-1]
            assert str(target.parent) in text and "Traceback" not in text and "Errno" not in text, text
            assert ("换一个可写的文件夹" if lang == "zh" else "folder you can write to") in text, text
            # the work is still there, unsaved, and the project still belongs to its own file
            assert w.session.dirty and w.session.undo.can_undo() and a in w.session.plan.locked
            assert w.session.path == str(path)
    finally:
        i18n.set_language("zh")


def test_partition_to_a_folder_that_cannot_hold_files_says_so_before_it_runs(tmp_path, capsys):
    from gridtool.cli import main
    from gridtool.samples import sample_sources
    src = sample_sources("nanjing-xuanwu")
    out = _unmakeable(tmp_path)
    code = main(["--lang", "en", "partition", "--households", src["households"], "--villages", src["villages"],
                 "--roads", src["roads"], "--out", str(out), "--quiet"])
    said = capsys.readouterr()
    text = said.out + said.err
    assert code != 0 and "internal error" not in text and str(out.parent) in text and "folder you can write to" in text
    assert not out.parent.exists() and (tmp_path / "笔记.txt").read_text(encoding="utf-8") == "not a folder"


def test_the_redraw_log_names_the_changes_layer_in_one_language():
    """The app's log after 按上一版重绘 said ``每个村（社区）的变化见输出中的 changes 图层``."""
    from gridtool.partition.redraw_words import redraw_lines
    r = {"households_moved": 12, "households_total": 900, "grids_changed": 2, "codes_kept": 3, "codes_new": 0,
         "codes_retired": 0, "households_new": 0}
    zh, en = redraw_lines(r, {"imported": 900})[-1]
    assert "重绘变化" in zh and not re.search(r"[A-Za-z]", zh), zh
    assert "changes layer" in en and not re.search(r"[\u4e00-\u9fff]", en), en


# -- the status bar on a 1366 × 768 office screen -------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_status_bar_fits_a_1366_pixel_window(qtbot, window, tmp_path, lang):  # noqa: F811
    """A save message naming a long project file, beside a running job's title and the cursor's
    coordinates, was cut at ``Exported ledger: /tmp,`` and squeezed the job's progress bar."""
    from gridtool.ui import i18n
    w = window
    i18n.set_language(lang)
    try:
        w.resize(1366, 768)
        qtbot.waitUntil(lambda: w.width() == 1366)
        path = str(tmp_path / "南京市玄武区新街口街道网格化管理项目_2026年度第二次调整_最终版.gpkg")
        w.coords.setText("X 412,345.6  Y 3,547,123.4 m  |  119.07195°E 32.04414°N")
        w.job_label.setText(i18n.tr("job.save", name=Path(path).name))
        w.job_bar.setFormat("40%  " + i18n.tr("job.saving"))
        w.job_box.setVisible(True)
        sb = w.statusBar()
        from gridtool.ui.export_dialogs import export_name
        message = i18n.tr("export.done", what=export_name("ledger"), path=path)
        sb.showMessage(message, 60000)
        qtbot.wait(50)
        shown = sb.shown_message()
        fm = sb.fontMetrics()
        assert sb.currentMessage() == message and sb.toolTip() == message  # the whole text, on hover
        assert shown != message and "…" in shown and shown.endswith("最终版.gpkg")  # the file name stays
        assert fm.horizontalAdvance(shown) <= sb.message_room()
        right = [x for x in (w.job_box, w.coords, w.scale, w.render_ms) if x.isVisible()]
        assert sum(x.width() for x in right) + fm.horizontalAdvance(shown) <= sb.width()
        assert w.job_bar.width() >= 150 and w.job_label.toolTip() == w.job_label.text()
        assert w.job_label.shown().endswith(".gpkg") and w.job_label.width() <= 260
        w.grab().save(str(tmp_path / f"status-{lang}.png"))  # (to look at: 1366 px wide)
        w.job_box.setVisible(False)
        sb.clearMessage()
        assert sb.currentMessage() == "" and sb.toolTip() == ""
        sb.showMessage(i18n.tr("status.busy"), 5000)  # a short message is shown whole, no tooltip
        assert sb.shown_message() == sb.currentMessage() == i18n.tr("status.busy") and sb.toolTip() == ""
    finally:
        i18n.set_language("zh")
