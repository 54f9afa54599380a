"""The app never dies: every exception, in any thread, goes to the log file and to a dialog.

``sys.excepthook`` catches exceptions in the GUI thread (PyQt6 hands exceptions raised in slots
to it instead of aborting when it is set), ``threading.excepthook`` those of plain threads, and the
job runner reports its workers' failures here. A bad input (:class:`~gridtool.errors.GridtoolError`)
gets a plain message with its fix; anything else an "internal error" dialog with the traceback
and the log's path. Dialogs are window-modal (``open()``), never a nested event loop, so a burst of
errors cannot stack up blocking loops and the window stays usable.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QMessageBox

from ..errors import GridtoolError
from . import i18n
from .i18n import tr
from .paths import log_path

log = logging.getLogger("gridtool.ui")


def setup_logging() -> str:
    """Log to the user's data folder (rotating, UTF-8); returns the path."""
    path = log_path()
    root = logging.getLogger("gridtool")
    for h in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        # A log of another data folder (GRIDTOOL_DATA_DIR changed since): the message the user is
        # shown names this folder's log, so that is where the record must go.
        if Path(h.baseFilename) != Path(path).absolute():
            root.removeHandler(h)
            h.close()
    if not any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        h = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(h)
        root.setLevel(logging.INFO)
    return str(path)


class ErrorReporter(QObject):
    """Lives on the GUI thread; ``report`` may be emitted from any thread (queued to the GUI)."""

    report = pyqtSignal(object, str)  # exception, traceback text
    shown = pyqtSignal(str)  # the text of a dialog just shown (tests, the log panel)

    def __init__(self, parent_widget=None):
        super().__init__()
        self.parent_widget = parent_widget
        self.dialogs: list[QMessageBox] = []
        self.report.connect(self._show)

    def handle(self, exc: BaseException, tb: str = "") -> None:
        """Log and show (call from any thread)."""
        if not tb:
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if isinstance(exc, GridtoolError):
            log.warning("%s", exc.format())
        else:
            log.error("unhandled exception:\n%s", tb)
        self.report.emit(exc, tb)

    def _show(self, exc, tb: str) -> None:
        parent = self.parent_widget
        box = QMessageBox(parent)
        if isinstance(exc, GridtoolError):
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(tr("error.input_title"))
            text = exc.format(i18n.language())
        else:
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle(tr("error.internal_title"))
            text = tr("error.internal_text", error=f"{type(exc).__name__}: {exc}", log=str(log_path()))
            box.setDetailedText(tb)
        box.setText(text)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _=None, b=box: self.dialogs.remove(b) if b in self.dialogs else None)
        # a dialog goes with its window (tests and a second window): never keep a deleted one listed
        box.destroyed.connect(lambda _=None, b=box: self.dialogs.remove(b) if b in self.dialogs else None)
        self.dialogs.append(box)
        box.open()
        self.shown.emit(text)


_reporter: ErrorReporter | None = None


def reporter() -> ErrorReporter | None:
    return _reporter


def install(parent_widget=None) -> ErrorReporter:
    """Set the hooks (idempotent); dialogs are parented to ``parent_widget``."""
    global _reporter
    setup_logging()
    if _reporter is None:
        _reporter = ErrorReporter(parent_widget)
    else:
        _reporter.parent_widget = parent_widget

    def excepthook(etype, value, tb):
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        _reporter.handle(value, "".join(traceback.format_exception(etype, value, tb)))

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        _reporter.handle(args.exc_value, "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                                            args.exc_traceback)))

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    return _reporter
