"""Autosave to a recovery copy, and the offer to restore it after a crash.

Every few minutes, when the project has unsaved changes and no job runs, a copy is written (on a
worker thread, atomically by :meth:`~gridtool.project.Project.save`) to the recovery folder of the
user's data directory, and listed in ``index.json`` with the project's own path. Saving or closing
normally removes the copy; a copy still listed when the app starts means it did not close normally,
and the app offers to restore it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import datetime
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from .. import settings
from ..atomic import write_json_atomic
from ..errors import GridtoolError
from . import i18n
from .i18n import tr
from .paths import recovery_dir

log = logging.getLogger("gridtool.ui")
INTERVAL_MS = settings.AUTOSAVE_MS  # default; the one in force: settings.current().autosave_ms


def _index_path() -> Path:
    return recovery_dir() / "index.json"


def read_index() -> dict:
    try:
        return json.loads(_index_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_index(index: dict) -> None:
    write_json_atomic(_index_path(), index)


def pending_recoveries() -> list[dict]:
    """Recovery copies left by a session that did not close normally (newest first)."""
    out = []
    for name, e in read_index().items():
        f = recovery_dir() / name
        if f.exists():
            out.append({**e, "file": str(f)})
    return sorted(out, key=lambda e: e.get("saved", ""), reverse=True)


def forget(file: str) -> None:
    """Delete a recovery copy and its index entry."""
    index = read_index()
    index.pop(Path(file).name, None)
    _write_index(index)
    Path(file).unlink(missing_ok=True)


class _SaveSignals(QObject):
    done = pyqtSignal(str, str)  # file, error ("" when saved)


class _Save:
    def __init__(self, project, path: Path, signals: _SaveSignals):
        self.project, self.path, self.signals = project, path, signals

    def __call__(self) -> None:
        try:
            self.project.save(self.path, force=True)
            self.signals.done.emit(str(self.path), "")
        except Exception as exc:  # noqa: BLE001 - an autosave failure must never disturb the user
            text = exc.format(i18n.language()) if isinstance(exc, GridtoolError) else f"{type(exc).__name__}: {exc}"
            self.signals.done.emit(str(self.path), text)


class Autosaver(QObject):
    """Writes recovery copies of the window's session every :data:`INTERVAL_MS`."""

    saved = pyqtSignal(str)
    failed = pyqtSignal(str)  # why a recovery copy could not be written (the next tick tries again)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        from .jobs import WorkerThread
        self.pool = WorkerThread("gridtool-autosave")  # a long-lived thread (see gridtool.ui.jobs)
        self._saving = False
        self._signals = _SaveSignals()
        self._signals.done.connect(self._done)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(settings.current().autosave_ms)
        self._token = f"{os.getpid()}-{id(self):x}"
        self._last_file: str | None = None

    def file_for(self) -> Path:
        s = self.window.session
        key = s.path or f"untitled-{self._token}"
        h = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        stem = Path(s.path).stem if s.path else (s.project.name if s.project else "project")
        safe = "".join(ch for ch in stem if ch.isalnum() or ch in "-_") or "project"
        return recovery_dir() / f"{safe}-{h}.gpkg"

    def tick(self) -> bool:
        """Write a recovery copy now if there is something to save; True when one was started."""
        s = self.window.session
        if self._saving or s.project is None or not s.dirty or self.window.jobs.busy or self.window.editor.stroking:
            return False
        self._saving = True
        self._file = self.file_for()
        self._entry = {"original": s.path or "", "name": s.project.name,
                       "saved": datetime.now().isoformat(timespec="seconds")}
        self.pool.submit(_Save(s.materialized(), self._file, self._signals))
        return True

    def _done(self, file: str, error: str) -> None:
        self._saving = False
        if not error:
            try:
                index = read_index()
                index[Path(file).name] = self._entry
                _write_index(index)
            except GridtoolError as exc:  # the recovery folder cannot be written: the copy cannot be found
                error = exc.format(i18n.language())
        if error:
            # Said in the status bar, not a dialog every few minutes: the work is still in the window,
            # and the next tick tries again.
            log.warning("autosave to %s failed: %s", file, error)
            first = error.splitlines()[0]
            self.window.statusBar().showMessage(tr("status.autosave_failed", error=first), 60000)
            self.failed.emit(error)
            return
        self._last_file = file
        self.saved.emit(file)

    def discard(self) -> None:
        """Remove this session's recovery copy (after a save or a normal close)."""
        self.pool.wait(30000)
        files = {self._last_file} if self._last_file else set()
        if self.window.session.project is not None:
            files.add(str(self.file_for()))  # usually the same file: forget it once
        self._last_file = None
        for f in files:
            forget(f)

    def stop(self) -> None:
        self.timer.stop()
        self.pool.wait(30000)
        self.pool.stop()
