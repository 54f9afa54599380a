"""One runner for every long job (partition, redraw, loading, patrols, saving, exports).

The job's function runs on a worker thread and receives ``progress(fraction, message)`` and
``cancelled()`` callables, the same ones the core's long functions accept (in the manner of
Orange's ``concurrent`` helpers). Progress, the result, a failure or the cancellation come back to
the GUI thread as queued Qt signals; the GUI thread is never blocked. One job runs at a time.

The worker is one long-lived Python thread, not a QThreadPool: PyQt gives a pool thread a fresh
Python thread state for every task, and PROJ (through pyproj) keeps per-thread contexts that do not
survive that churn — a CRS made in one task crashed PROJ in the next. A thread that lives as long as
the app keeps one thread state and one PROJ context.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from typing import Callable

from PyQt6.QtCore import QObject, pyqtSignal

from ..atomic import cancel_publishing
from ..errors import CancelledError

PROGRESS_EVERY_S = 0.05  # progress signals are thinned to this interval


class _Signals(QObject):
    progress = pyqtSignal(float, str)
    finished = pyqtSignal(object)
    failed = pyqtSignal(object, str)
    cancelled = pyqtSignal()


class Job(QObject):
    """A running job. ``cancel()`` asks the function to stop (it raises CancelledError at its next
    check); a result that arrives after Cancel is dropped."""

    progress = pyqtSignal(float, str)

    def __init__(self, title: str, fn: Callable, parent=None):
        super().__init__(parent)
        self.title = title
        self.fn = fn
        self._cancel = threading.Event()
        self.state = "running"  # then "done", "failed" or "cancelled"

    def cancel(self) -> None:
        self._cancel.set()


class WorkerThread:
    """A daemon thread running submitted callables one after another, for the app's lifetime."""

    def __init__(self, name: str = "gridtool-worker"):
        self._q: queue.Queue = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            task = self._q.get()
            if task is None:
                return
            try:
                task()
            finally:
                if self._q.empty():
                    self._idle.set()

    def submit(self, task: Callable[[], None]) -> None:
        self._idle.clear()
        self._q.put(task)

    def wait(self, ms: int = 30000) -> bool:
        return self._idle.wait(ms / 1000)

    def stop(self) -> None:
        """End the thread after the task at hand."""
        self._q.put(None)


class _Task:
    def __init__(self, job: Job, signals: _Signals):
        self.job = job
        self.signals = signals

    def __call__(self) -> None:
        last = [0.0]

        def progress(fraction: float, message: str = "") -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = now
                self.signals.progress.emit(float(fraction), str(message))

        def cancelled() -> bool:
            return self.job._cancel.is_set()

        try:
            with cancel_publishing(cancelled):  # a Cancel stops every file from being put in place
                result = self.job.fn(progress=progress, cancelled=cancelled)
        except CancelledError:
            self.signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI, never kills it
            if self.job._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.failed.emit(exc, traceback.format_exc())
        else:
            if self.job._cancel.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)


class JobRunner(QObject):
    """Runs jobs one at a time. Signals: ``started(job)``, ``ended(job)``."""

    started = pyqtSignal(object)
    ended = pyqtSignal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker = WorkerThread()
        self.current: Job | None = None
        self._signals: _Signals | None = None
        #: called with (exception, traceback text) for failures of jobs without their own handler
        self.on_error: Callable | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def submit(self, title: str, fn: Callable, *, on_done: Callable | None = None,
               on_error: Callable | None = None, on_cancel: Callable | None = None) -> Job | None:
        """Run ``fn(progress=, cancelled=)`` in the background; None if a job is already running."""
        if self.current is not None:
            return None
        job = Job(title, fn, self)
        sig = _Signals()  # lives on the GUI thread; the worker's emits are queued to it
        self._signals = sig  # kept until the next job (deleteLater does the rest)

        def finish(state):
            job.state = state
            self.current = None
            # The signal object is the sender of the slot running now: delete it later, never here.
            sig.deleteLater()
            self.ended.emit(job)

        def done(result):
            finish("done")
            if on_done is not None:
                on_done(result)

        def failed(exc, tb):
            finish("failed")
            handler = on_error or self.on_error
            if handler is not None:
                handler(exc, tb)

        def was_cancelled():
            finish("cancelled")
            if on_cancel is not None:
                on_cancel()

        sig.progress.connect(job.progress)
        sig.finished.connect(done)
        sig.failed.connect(failed)
        sig.cancelled.connect(was_cancelled)
        self.current = job
        self.started.emit(job)
        self.worker.submit(_Task(job, sig))
        return job

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()

    def wait(self, ms: int = 30000) -> bool:
        """Block until the worker thread is idle (tests and shutdown only)."""
        return self.worker.wait(ms)

    def shutdown(self) -> None:
        self.cancel()
        self.worker.stop()
