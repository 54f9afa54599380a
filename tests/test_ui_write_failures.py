"""保存 and an export from the app when the file cannot be written (open in Excel/WPS, a full disk):
a dialog with the plain message, the file on disk as it was, no temporary file, and the project,
its unsaved changes and its undo stack as they were."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

# the app tests' fixtures, used by name (ruff's F811 on the test functions below is that use)
from .test_ui_app import _isolated_settings, _open, _pair, sample, window  # noqa: E402,F401

_real_replace = os.replace
_real_fsync = os.fsync


def _excel_holds_it(src, dst, *args, **kwargs):
    if Path(dst).exists() and not Path(dst).name.startswith("."):
        raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
    return _real_replace(src, dst, *args, **kwargs)


def _dialog_text(qtbot, shown) -> str:
    from gridtool.ui import errors
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    for d in list(errors.reporter().dialogs):
        d.done(0)
    return shown[-1]


def test_a_save_that_fails_keeps_the_work_and_says_why(qtbot, window, sample, tmp_path, monkeypatch):  # noqa: F811
    from gridtool.ui import errors
    w = window
    (tmp_path / "work").mkdir()
    path = tmp_path / "work" / "plan.gpkg"
    shutil.copy(sample["partitioned"], path)
    _open(qtbot, w, path)
    a, _b = _pair(w)
    assert w.editor.set_locked(a, True)
    before = path.read_bytes()
    shown = []
    errors.reporter().shown.connect(shown.append)
    monkeypatch.setattr(os, "replace", _excel_holds_it)
    w.save()  # 保存
    text = _dialog_text(qtbot, shown)
    assert "文件可能正在被 Excel/WPS 打开，请关闭后重试" in text and "plan.gpkg" in text and "Traceback" not in text
    assert path.read_bytes() == before and sorted(p.name for p in path.parent.iterdir()) == ["plan.gpkg"]
    assert w.session.dirty and w.session.undo.can_undo() and a in w.session.plan.locked  # the work is still there
    monkeypatch.setattr(os, "replace", _real_replace)
    w.save()  # closed in Excel: the same 保存 now works
    qtbot.waitUntil(lambda: not w.jobs.busy and not w.session.dirty, timeout=30000)
    assert path.read_bytes() != before


def test_an_export_to_a_full_disk_shows_a_dialog_and_leaves_the_old_ledger(qtbot, window, sample, tmp_path,  # noqa: F811
                                                                             monkeypatch):
    from gridtool.ui import errors
    from gridtool.ui.export_dialogs import open_export_dialog
    w = window
    _open(qtbot, w, sample["partitioned"])
    from gridtool.maps.ledger import write_ledger_xlsx
    from gridtool.project import Project
    (tmp_path / "out").mkdir()
    out = write_ledger_xlsx(Project.open(sample["partitioned"]), tmp_path / "out" / "ledger.xlsx")  # last month's
    before = out.read_bytes()
    state = (dict(w.session.project.layers), w.session.undo.can_undo(), w.session.dirty)
    shown = []
    errors.reporter().shown.connect(shown.append)

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    dlg = open_export_dialog(w, "ledger")
    dlg.path.setText(str(out))
    dlg.buttons.accepted.emit()
    text = _dialog_text(qtbot, shown)
    assert "磁盘空间不足" in text and "ledger.xlsx" in text and "内部错误" not in text
    qtbot.waitUntil(lambda: "已有的文件保持原样" in w.problems.log.toPlainText(), timeout=10000)  # said in the log too
    assert out.read_bytes() == before and [p.name for p in out.parent.iterdir()] == ["ledger.xlsx"]
    assert (dict(w.session.project.layers), w.session.undo.can_undo(), w.session.dirty) == state


def test_a_failed_autosave_says_so_and_the_next_one_works(qtbot, qapp, sample, monkeypatch):  # noqa: F811
    from gridtool.ui import autosave
    from gridtool.ui.main_window import MainWindow
    w = MainWindow(autosave=True)
    w.open_project(str(sample["partitioned"]), background=False)
    a, _b = _pair(w)
    w.editor.set_locked(a, True)
    failed = []
    w.autosaver.failed.connect(failed.append)

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    assert w.autosaver.tick()
    qtbot.waitUntil(lambda: bool(failed), timeout=30000)
    assert "磁盘空间不足" in failed[-1]
    assert "自动保存失败" in w.statusBar().currentMessage() and "磁盘空间不足" in w.statusBar().currentMessage()
    assert autosave.pending_recoveries() == [] and w.session.dirty
    monkeypatch.setattr(os, "fsync", _real_fsync)
    assert w.autosaver.tick()  # not stopped: the next tick writes the copy
    qtbot.waitUntil(lambda: any(e["original"] == str(sample["partitioned"]) for e in autosave.pending_recoveries()),
                    timeout=30000)
    w.autosaver.discard()
    w.session.set_project(None)
    w.close()
