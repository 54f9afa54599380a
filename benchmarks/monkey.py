"""A random, hurried user of the desktop app: seeded actions through the window's own controls, and
the invariants a planner relies on checked after every one.

Used by ``tests/test_ui_monkey.py`` (a short run in CI) and ``benchmarks/monkey_bench.py`` (long
runs). Actions go through what a user touches — menu and toolbar actions (a disabled action does
nothing, as on screen), mouse presses, moves and releases on the map, the grid panel's buttons,
combo boxes and menus, the export dialogs — never past them into the engine. A brush stroke may
span several actions (the mouse is held while other things happen: a job finishing, the language
switching). Modal questions (save changes?, restore the recovery copy?) and file dialogs are
answered at random by patched ``QMessageBox``/``QFileDialog`` functions; window-modal dialogs
(errors, exports, the partition dialog) are left open and closed later, as a user would.

After every action:

- no exception reached ``sys.excepthook``, a thread hook or the job runner other than a
  :class:`~gridtool.errors.GridtoolError` (an input problem shown with its fix);
- the households are conserved: total households = sum over grids + households in codes that are
  not grids of the plan (special grids) + unassigned, the running tallies equal a recount, every
  building's parts add up to its households, and the total equals the households layer's and the
  one of the project first opened;
- after a completed edit, the ``grids`` layer, the grid table and the plan agree;
- the undo stack is not left inside a paint stroke that no longer exists;
- a locked grid keeps its households through paint, box, merge and split (and through a redraw:
  checked and reported, see ``strict_redraw_locks``).

A failure raises :class:`MonkeyFailure` naming the seed and the action number, so the run can be
replayed with ``python benchmarks/monkey_bench.py --seed S --actions N``. Job timing makes a replay
close to, not always exactly, the original run.
"""

from __future__ import annotations

import os
import random
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox

#: Action weights (relative). Slow ones (jobs) are rarer; the edits a planner makes all day are common.
WEIGHTS = {
    "paint": 14, "paint_hold": 4, "paint_release": 6, "box_paint": 6, "box_select": 5, "click_select": 4,
    "pan_zoom": 6, "undo": 9, "redo": 6, "lock": 6, "merge": 4, "split": 4, "target": 5, "grid_table": 3,
    "attribute_table": 2, "layer_panel": 2, "validate_plan": 3, "language": 2, "redraw": 1.0, "partition": 0.6,
    "cancel_job": 1.5, "export": 1.6, "open": 0.7, "save": 0.6, "close_reopen": 0.5, "crash_recover": 0.6,
    "validate_data": 0.5, "dialogs": 2, "wait": 3,
}


class MonkeyFailure(AssertionError):
    """An invariant broke or an unhandled exception happened; the message names seed and action."""


@dataclass
class MonkeyResult:
    seed: int
    actions: int = 0
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)
    time_by_action: Counter = field(default_factory=Counter)  # seconds, checks included
    effects: Counter = field(default_factory=Counter)  # what actions did: stroke, merged, split, …
    jobs: Counter = field(default_factory=Counter)  # done / failed / cancelled
    input_errors: list[str] = field(default_factory=list)  # GridtoolError dialogs (expected)
    redraw_lock_changes: list[str] = field(default_factory=list)
    recoveries: int = 0
    windows: int = 0

    def summary(self) -> str:
        top = ", ".join(f"{k} {v} ({self.time_by_action[k]:.1f} s)" for k, v in self.counts.most_common())
        return (f"seed {self.seed}: {self.actions} actions in {self.seconds:.1f} s "
                f"({self.actions / max(self.seconds, 1e-9):.1f}/s), 0 crashes, 0 unhandled exceptions; "
                f"jobs {dict(self.jobs)}; windows {self.windows}; recoveries {self.recoveries}; "
                f"input errors shown {len(self.input_errors)}; redraws that changed a locked grid "
                f"{len(self.redraw_lock_changes)}\n  actions: {top}"
                + "".join(f"\n  input error shown: {e}" for e in sorted(set(self.input_errors))[:5]))


def households_of(project) -> int:
    """Total households of a project's households layer, counted as the grid plan counts them."""
    hh = project.layers["households"].gdf["hh"].to_numpy(dtype=float)
    return int(np.where(np.isfinite(hh) & (hh > 0), np.rint(hh), 0).sum())


class Monkey:
    """Drives :class:`gridtool.ui.main_window.MainWindow` at random (see the module docstring).

    Parameters
    ----------
    projects
        Project files to open: ``{"raw": …, "partitioned": …}`` (copies are made in ``workdir``).
    workdir
        Folder for saves and exports (and the copies of the projects).
    seed
        Seed of the action sequence.
    strict_redraw_locks
        Fail when a redraw changes a locked grid (the lock rule lives in the engine); otherwise such
        redraws are listed in :attr:`MonkeyResult.redraw_lock_changes`.
    log
        Called with one line per action when ``verbose``.
    """

    def __init__(self, projects: dict[str, Path], workdir: Path, *, seed: int = 0,
                 strict_redraw_locks: bool = True, verbose: bool = False, log=print):
        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        import shutil
        self.projects = {}
        for k, v in projects.items():  # copies: a save writes over the file it came from
            self.projects[k] = self.workdir / f"{k}{Path(v).suffix}"
            shutil.copyfile(v, self.projects[k])
        self.rng = random.Random(seed)
        self.seed = seed
        self.strict_redraw_locks = strict_redraw_locks
        self._offering_recovery = False  # a recovery question is being asked (see _new_window)
        self.verbose = verbose
        self.log = log
        self.result = MonkeyResult(seed)
        self.w = None
        self.h0: int | None = None
        self.history: list[str] = []
        self._errors: list[tuple[BaseException, str]] = []
        self._patches: list[tuple[object, str, object]] = []
        self._saves = 0
        self._last_open: Path | None = None

    # -- set-up -----------------------------------------------------------------------------------
    def _patch(self, owner, name, value) -> None:
        self._patches.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _unpatch(self) -> None:
        for owner, name, old in reversed(self._patches):
            setattr(owner, name, old)
        self._patches.clear()

    def _answer(self, buttons) -> QMessageBox.StandardButton:
        """A random one of the buttons a modal question offers."""
        choices = [b for b in QMessageBox.StandardButton if b and int(buttons) & int(b.value)]
        return self.rng.choice(choices) if choices else QMessageBox.StandardButton.Ok

    def _install_patches(self) -> None:
        m = self

        def box_exec(box):
            return m._answer(box.standardButtons())

        def question(parent, title, text, buttons=QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                     *a, **k):
            r = m.rng.choice([QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Yes,
                              QMessageBox.StandardButton.No])
            # The first recovery copy offered is always restored, so that every run checks one
            # (the draw above still happens: the rest of the run is the same as before). Declining
            # it at random made the run's 'recoveries >= 1' depend on the map's width in pixels
            # (where random clicks land decides what the random stream is used for).
            if m._offering_recovery and m.result.recoveries == 0:
                return QMessageBox.StandardButton.Yes
            return r

        def info(*a, **k):
            return QMessageBox.StandardButton.Ok

        def open_name(*a, **k):
            return str(m._open_choice()), ""

        def save_name(*a, **k):
            if m.rng.random() < 0.15:
                return "", ""  # the user closes the file dialog
            m._saves += 1
            return str(m.workdir / f"saved-{m._saves % 3}.gpkg"), ""

        def folder(*a, **k):
            return str(m.workdir / "export-folder")

        self._patch(QMessageBox, "exec", box_exec)
        self._patch(QMessageBox, "question", staticmethod(question))
        for name in ("information", "warning", "critical", "about"):
            self._patch(QMessageBox, name, staticmethod(info))
        self._patch(QFileDialog, "getOpenFileName", staticmethod(open_name))
        self._patch(QFileDialog, "getSaveFileName", staticmethod(save_name))
        self._patch(QFileDialog, "getExistingDirectory", staticmethod(folder))

    def _open_choice(self) -> Path:
        saved = sorted(self.workdir.glob("saved-*.gpkg"))
        pool = list(self.projects.values()) + saved
        p = self.rng.choice(pool)
        self._last_open = p
        return p

    def _hook_errors(self) -> None:
        """Every exception the app reports (``sys.excepthook``, thread hook, failed jobs) goes through
        the reporter's ``handle``: recorded here, then shown and logged by the app as usual."""
        import threading

        from gridtool.ui import errors
        self._hooks = (sys.excepthook, threading.excepthook)
        rep = errors.install()
        m = self
        original = rep.handle

        def handle(exc, tb=""):
            m._errors.append((exc, tb or "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
            original(exc, tb)
        rep.handle = handle
        self._patches.append((rep, "handle", original))
        from gridtool.ui.paths import log_path
        self._log = log_path()
        self._log_start = self._log.stat().st_size if self._log.exists() else 0

    def _restore_hooks(self) -> None:
        import threading
        sys.excepthook, threading.excepthook = self._hooks

    def _check_log(self) -> None:
        """The app's own log of the run: no "unhandled exception" entry."""
        if not self._log.exists():
            return
        with open(self._log, "rb") as fh:
            fh.seek(self._log_start if self._log.stat().st_size >= self._log_start else 0)
            text = fh.read().decode("utf-8", errors="replace")
        if "unhandled exception" in text:
            i = text.index("unhandled exception")
            raise MonkeyFailure(self._where("the app's log has an unhandled exception:\n" + text[i:i + 2000]))

    def _new_window(self, *, recover: bool = False):
        from gridtool.ui import errors
        from gridtool.ui.main_window import MainWindow
        w = MainWindow(autosave=True)
        errors.install(w)
        rep = errors.reporter()
        w.jobs.on_error = rep.handle
        w.jobs.ended.connect(lambda job: self.result.jobs.update([job.state]))
        w.resize(1280, 860)
        w.show()
        QTest.qWaitForWindowExposed(w)
        self.w = w
        self.result.windows += 1
        if recover:
            from gridtool.ui.app import offer_recovery
            self._offering_recovery = True
            try:
                if offer_recovery(w):
                    self.result.recoveries += 1
            finally:
                self._offering_recovery = False
        return w

    # -- helpers ----------------------------------------------------------------------------------
    def pump(self, ms: int = 0) -> None:
        QTest.qWait(ms) if ms else self.app.processEvents()

    def wait_idle(self, timeout_s: float = 60.0) -> None:
        t = time.monotonic()
        while self.w is not None and self.w.jobs.busy:
            if time.monotonic() - t > timeout_s:
                raise MonkeyFailure(self._where(f"a job did not end within {timeout_s:.0f} s (hang?)"))
            QTest.qWait(10)
        self.pump()

    def trigger(self, key: str) -> bool:
        a = self.w.actions_[key]
        if a.isEnabled():
            a.trigger()
            return True
        return False

    def _plan(self):
        return self.w.session.plan if self.w is not None else None

    def _canvas_point(self) -> QPoint:
        c = self.w.canvas
        return QPoint(self.rng.randrange(5, max(6, c.width() - 5)), self.rng.randrange(5, max(6, c.height() - 5)))

    def _zoom_somewhere(self) -> None:
        """Zoom onto a random household (a planner works close in), sometimes keep the view."""
        e = self.w.session.edit
        if e is None or not len(e.xy) or self.rng.random() < 0.25:
            return
        x, y = e.xy[self.rng.randrange(len(e.xy))]
        if not (np.isfinite(x) and np.isfinite(y)):
            return
        half = self.rng.choice([40, 80, 150, 300, 600])
        self.w.canvas.zoom_to_bounds((x - half, y - half, x + half, y + half), margin=0)

    def _where(self, what: str) -> str:
        tail = "\n    ".join(self.history[-12:])
        return (f"monkey seed {self.seed}, action {self.result.actions}: {what}\n  last actions:\n    {tail}\n"
                f"  replay: python benchmarks/monkey_bench.py --seed {self.seed} --actions {self.result.actions}")

    # -- actions ----------------------------------------------------------------------------------
    def act_paint(self, *, hold: bool = False) -> str:
        if self._plan() is None:
            return "no plan"
        self.trigger("tool.brush")
        if self.rng.random() < 0.4:
            self._pick_target()
        if self.rng.random() < 0.3:
            self.w.grid_panel.brush.setValue(self.rng.randrange(4, 121))
        if self.rng.random() < 0.2 and self.w.grid_panel.unit.count() > 1:
            self.w.grid_panel.unit.setCurrentIndex(self.rng.randrange(self.w.grid_panel.unit.count()))
        self._zoom_somewhere()
        c = self.w.canvas
        pos = self._canvas_point()
        QTest.mousePress(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        for _ in range(self.rng.randrange(0, 8)):
            pos = pos + QPoint(self.rng.randrange(-40, 41), self.rng.randrange(-40, 41))
            QTest.mouseMove(c, pos)
            if self.rng.random() < 0.2:
                self.pump(self.rng.randrange(1, 30))  # a job may end mid-stroke
        if hold:
            return "stroke held"
        if self.rng.random() < 0.1:
            QTest.keyClick(c, Qt.Key.Key_Escape)
            QTest.mouseRelease(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
            return "stroke cancelled"
        QTest.mouseRelease(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        self.result.effects["stroke"] += 1
        return "stroke"

    def act_paint_release(self) -> str:
        c = self.w.canvas
        pos = self._canvas_point()
        QTest.mouseMove(c, pos)
        QTest.mouseRelease(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        return "release"

    def _drag(self, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        c = self.w.canvas
        a = self._canvas_point()
        b = a + QPoint(self.rng.randrange(-300, 301), self.rng.randrange(-300, 301))
        QTest.mousePress(c, Qt.MouseButton.LeftButton, modifiers, a)
        for k in range(1, 4):
            QTest.mouseMove(c, a + (b - a) * k / 3)
        QTest.mouseRelease(c, Qt.MouseButton.LeftButton, modifiers, b)

    def act_box_paint(self) -> str:
        if self._plan() is None:
            return "no plan"
        self.trigger("tool.box")
        if self.rng.random() < 0.3:
            self._pick_target()
        self._zoom_somewhere()
        self._drag()
        return "box"

    def act_box_select(self) -> str:
        self.trigger("tool.pan")
        self._drag(Qt.KeyboardModifier.ShiftModifier)
        return f"select {self.w.canvas.active_role}"

    def act_click_select(self) -> str:
        self.trigger("tool.pan")
        c = self.w.canvas
        pos = self._canvas_point()
        mod = Qt.KeyboardModifier.ControlModifier if self.rng.random() < 0.3 else Qt.KeyboardModifier.NoModifier
        QTest.mouseClick(c, Qt.MouseButton.LeftButton, mod, pos)
        return "click"

    def act_pan_zoom(self) -> str:
        r = self.rng.random()
        if r < 0.25:
            self.trigger("view.full")
        elif r < 0.45:
            self.trigger(self.rng.choice(["view.in", "view.out", "view.selection", "view.layer"]))
        elif r < 0.7:
            self.trigger("tool.pan")
            self._drag()
        else:
            c = self.w.canvas
            pos = QPointF(self._canvas_point())
            from PyQt6.QtGui import QWheelEvent
            ev = QWheelEvent(pos, QPointF(c.mapToGlobal(pos.toPoint())), QPoint(0, 0),
                             QPoint(0, self.rng.choice([-240, -120, 120, 240])), Qt.MouseButton.NoButton,
                             Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
            QApplication.sendEvent(c, ev)
        return "view"

    def act_undo(self) -> str:
        n = self.rng.choice([1, 1, 1, 2, 3, 6])
        return f"undo x{sum(self.trigger('edit.undo') for _ in range(n))}"

    def act_redo(self) -> str:
        n = self.rng.choice([1, 1, 2, 4])
        return f"redo x{sum(self.trigger('edit.redo') for _ in range(n))}"

    def _pick_target(self) -> None:
        plan = self._plan()
        if plan is None or not plan.codes:
            return
        gp = self.w.grid_panel
        r = self.rng.random()
        if r < 0.5 and gp.target.count():  # the combo box, as a user picks from it
            i = self.rng.randrange(gp.target.count())
            gp.target.setCurrentIndex(i)
            gp.target.activated.emit(i)
        elif r < 0.75:  # Alt-click on the map
            QTest.mouseClick(self.w.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier,
                             self._canvas_point())
        else:  # the pick tool
            self.trigger("tool.pick")
            QTest.mouseClick(self.w.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             self._canvas_point())

    def act_target(self) -> str:
        self._pick_target()
        return f"target {self.w.editor.target}"

    def act_lock(self) -> str:
        if self.rng.random() < 0.5:
            self._pick_target()
        if self.rng.random() < 0.5:
            ok = self.trigger("grid.lock")
        else:
            b = self.w.grid_panel.lock
            ok = b.isEnabled() and b.isVisible()
            if ok:
                QTest.mouseClick(b, Qt.MouseButton.LeftButton)
        return f"lock toggle {self.w.editor.target} ({'done' if ok else 'disabled'})"

    def act_merge(self) -> str:
        gp = self.w.grid_panel
        if not gp.merge.isEnabled() or self._plan() is None:
            return "disabled"
        if self.rng.random() < 0.4:
            self._pick_target()
        gp._fill_merge_menu()  # what aboutToShow does when the menu opens
        acts = [a for a in gp.merge_menu.actions() if a.isEnabled()]
        if not acts:
            return "nothing to merge"
        a = self.rng.choice(acts)
        n = len(self._plan().codes)
        a.trigger()
        if self._plan() is not None and len(self._plan().codes) < n:
            self.result.effects["merged"] += 1
        return f"merge {a.text()}"

    def act_split(self) -> str:
        if self.rng.random() < 0.4:
            self._pick_target()
        n = len(self._plan().codes) if self._plan() is not None else 0
        if self.rng.random() < 0.5:
            ok = self.trigger("grid.split")
        else:
            b = self.w.grid_panel.split
            ok = b.isEnabled()
            if ok:
                QTest.mouseClick(b, Qt.MouseButton.LeftButton)
        if self._plan() is not None and len(self._plan().codes) > n:
            self.result.effects["split"] += 1
        return f"split {self.w.editor.target} ({'done' if ok else 'disabled'})"

    def act_grid_table(self) -> str:
        gp = self.w.grid_panel
        m = gp.model
        if self.rng.random() < 0.3:
            m.sort(self.rng.randrange(m.columnCount()),
                   self.rng.choice([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder]))
            return "sort grids"
        if not m.rowCount() or not gp.table.isEnabled():
            return "no rows"
        ix = m.index(self.rng.randrange(m.rowCount()), 0)
        gp.table.clicked.emit(ix) if self.rng.random() < 0.7 else gp.table.doubleClicked.emit(ix)
        return "grid row"

    def act_attribute_table(self) -> str:
        t = self.w.table
        if t.combo.count():
            t.combo.setCurrentIndex(self.rng.randrange(t.combo.count()))
        m = t.view.model()
        if m is not None and m.rowCount():
            if self.rng.random() < 0.3 and m.columnCount():
                t.view.sortByColumn(self.rng.randrange(m.columnCount()),
                                    self.rng.choice([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder]))
            t.view.selectRow(self.rng.randrange(m.rowCount()))
        return f"table {t.role}"

    def act_layer_panel(self) -> str:
        tree = self.w.layer_panel.tree
        n = tree.topLevelItemCount()
        if not n:
            return "no layers"
        it = tree.topLevelItem(self.rng.randrange(n))
        r = self.rng.random()
        if r < 0.5:
            tree.setCurrentItem(it)
        else:
            col = 0 if r < 0.8 else 1
            st = it.checkState(col)
            it.setCheckState(col, Qt.CheckState.Unchecked if st == Qt.CheckState.Checked else Qt.CheckState.Checked)
        return "layers"

    def act_validate_plan(self) -> str:
        return "validate" if self.trigger("grid.validate_plan") else "disabled"

    def act_validate_data(self) -> str:
        return "validate data" if self.trigger("data.validate") else "disabled"

    def act_language(self) -> str:
        from gridtool.ui import i18n
        lang = "en" if i18n.language() == "zh" else "zh"
        self.w.actions_[f"lang.{lang}"].trigger()
        return f"language {lang}"

    def act_redraw(self) -> str:
        if self.rng.random() < 0.5:
            ok = self.trigger("grid.redraw")
        else:
            b = self.w.grid_panel.redraw
            ok = b.isEnabled() and self.w.grid_panel.edit_box.isEnabled()
            if ok:
                QTest.mouseClick(b, Qt.MouseButton.LeftButton)
        if ok and self.rng.random() < 0.7:
            self.wait_idle()
        return "redraw" if ok else "disabled"

    def _open_partition_dialog(self):
        if not self.trigger("grid.partition"):
            return None
        from gridtool.ui.partition_dialog import PartitionDialog
        dlgs = [d for d in self.w.findChildren(PartitionDialog) if d.isVisible()]
        return dlgs[-1] if dlgs else None

    def act_partition(self) -> str:
        dlg = self._open_partition_dialog()
        if dlg is None:
            return "disabled"
        if self.rng.random() < 0.2:
            dlg.reject()
            return "partition dialog closed"
        lo = self.rng.choice([250, 300, 350])
        dlg.min_hh.setValue(lo)
        dlg.max_hh.setValue(lo + self.rng.choice([100, 200, 250]))
        dlg.subgrids.setChecked(self.rng.random() < 0.3)
        dlg.corridor.setValue(0)
        dlg._accept()
        if self.rng.random() < 0.7:
            self.wait_idle()
        return "partition"

    def act_cancel_job(self) -> str:
        r = self.rng.random()
        started = False
        if r < 0.4:
            started = self.trigger("grid.redraw")
        elif r < 0.7:
            dlg = self._open_partition_dialog()
            if dlg is not None:
                dlg._accept()
                started = True
        else:
            started = self.trigger("data.validate")
        if not started or not self.w.jobs.busy:
            return "no job to cancel"
        self.pump(self.rng.choice([0, 0, 5, 30, 150, 400]))
        if self.w.job_cancel.isVisible():
            QTest.mouseClick(self.w.job_cancel, Qt.MouseButton.LeftButton)
            self.result.effects["cancel clicked"] += 1
        self.wait_idle()
        return "job cancelled"

    def act_export(self) -> str:
        from gridtool.ui.export_dialogs import GIS_FORMATS, _enable
        _enable(self.w)
        kinds = [k for k, a in self.w.export_actions.items() if a.isEnabled()]
        # the wall map, assessment and atlas are the slow ones: rarer
        kinds = [k for k in kinds if k in ("gis", "html") or self.rng.random() < 0.25]
        if not kinds:
            return "no export"
        kind = self.rng.choice(kinds)
        self.w.export_actions[kind].trigger()
        dlgs = [d for d in self.w.findChildren(QDialog) if d.isVisible() and getattr(d, "kind", None) == kind]
        if not dlgs:
            return f"export {kind}: no dialog"
        dlg = dlgs[-1]
        if kind == "gis":
            dlg.format.setCurrentIndex(self.rng.randrange(len(GIS_FORMATS)))
        sfx = Path(dlg.path.text()).suffix
        dlg.path.setText(str(self.workdir / "exports" / f"{kind}-{self.result.actions}{sfx}"))
        (self.workdir / "exports").mkdir(exist_ok=True)
        if hasattr(dlg, "personal"):
            dlg.personal.setChecked(self.rng.random() < 0.2)
        if self.rng.random() < 0.15:
            dlg.reject()
            return f"export {kind} closed"
        dlg.buttons.accepted.emit()
        self.result.effects[f"export {kind}"] += 1
        if self.rng.random() < 0.15 and self.w.jobs.busy:  # changed their mind
            QTest.mouseClick(self.w.job_cancel, Qt.MouseButton.LeftButton)
        if self.rng.random() < 0.8:
            self.wait_idle(120)
        if dlg.isVisible():
            dlg.reject()
        return f"export {kind}"

    def act_open(self) -> str:
        self.trigger("file.open")
        if self.rng.random() < 0.8:
            self.wait_idle()
        return f"open {self._last_open.name if self._last_open else '?'}"

    def act_save(self) -> str:
        ok = self.trigger(self.rng.choice(["file.save", "file.save", "file.save_as"]))
        if ok and self.rng.random() < 0.7:
            self.wait_idle()
        return "save"

    def act_dialogs(self) -> str:
        """Close whatever dialogs are open (errors, exports, partition), as a user clicks them away."""
        from gridtool.ui import errors
        rep = errors.reporter()
        n = 0
        for d in list(rep.dialogs if rep else []):
            d.done(0)
            n += 1
        for d in self.w.findChildren(QDialog):
            if d.isVisible():
                d.reject()
                n += 1
        return f"closed {n} dialog(s)"

    def act_wait(self) -> str:
        self.pump(self.rng.choice([5, 20, 60]))
        return "wait"

    def act_close_reopen(self) -> str:
        """Close the window (the save question answered at random) and start the app again."""
        w = self.w
        path = w.session.path
        w.close()
        self.pump()
        if w.isVisible():
            return "close refused (job or Cancel)"
        self._retire(w)
        w = self._new_window(recover=True)
        if w.session.project is None and path and Path(path).exists():
            w.open_project(path)
            self.wait_idle()
        return "closed and reopened"

    def act_crash_recover(self) -> str:
        """Autosave, then the app dies (no close, no clean-up) and starts again offering the copy."""
        w = self.w
        s = w.session
        if s.project is None or not s.dirty:
            return "nothing to autosave"
        if w.editor.stroking:
            self.act_paint_release()
        self.wait_idle()
        if not w.autosaver.tick():
            return "autosave not started"
        t = time.monotonic()
        file = str(w.autosaver.file_for())
        from gridtool.ui import autosave
        while not any(e["file"] == file for e in autosave.pending_recoveries()):
            if time.monotonic() - t > 60:
                raise MonkeyFailure(self._where("autosave did not finish within 60 s"))
            QTest.qWait(10)
        before = s.materialized()
        totals = dict(s.plan.totals) if s.plan is not None else None
        codes = list(s.plan.codes) if s.plan is not None else None
        # the crash: nothing of the old window runs any more
        w.autosaver.timer.stop()
        w.autosaver.pool.stop()
        w.jobs.shutdown()
        self._retire(w, crashed=True)
        w = self._new_window(recover=True)
        p = w.session.project
        if p is None:
            return "recovery declined"
        if households_of(p) != households_of(before):
            raise MonkeyFailure(self._where("the recovered project has other households than the autosaved one"))
        if totals is not None:
            plan = w.session.plan
            if plan is None or list(plan.codes) != codes or any(plan.totals.get(c) != totals[c] for c in codes):
                raise MonkeyFailure(self._where("the recovered grids differ from the autosaved ones"))
        return "crashed and recovered"

    def _retire(self, w, *, crashed: bool = False) -> None:
        """Take a window out of the run (closed, or dead in a crash)."""
        from gridtool.ui import i18n
        i18n.remove_listener(w._language_changed)
        if crashed:  # what the death of the process does: no close event, nothing saved or asked
            from gridtool.ui import errors
            try:
                errors.reporter().shown.disconnect(w._error_shown)
            except TypeError:
                pass
            w.session.set_project(None)
            w.hide()
        w.deleteLater()
        self.pump()

    # -- invariants -------------------------------------------------------------------------------
    def _locked_state(self) -> dict[str, frozenset]:
        plan = self._plan()
        if plan is None:
            return {}
        out: dict[str, set] = {c: set() for c in plan.locked}
        for f, parts in enumerate(plan._parts):
            for c, n in parts:
                if c in out:
                    out[c].add((f, n))
        return {c: frozenset(v) for c, v in out.items()}

    def check(self, action: str, locked_before: dict[str, frozenset], plan_before) -> None:
        errs = [(e, tb) for e, tb in self._errors if not _is_input_error(e)]
        for e, _tb in self._errors:
            if _is_input_error(e):
                self.result.input_errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:120]}")
        self._errors.clear()
        if errs:
            e, tb = errs[0]
            raise MonkeyFailure(self._where(f"unhandled {type(e).__name__}: {e}\n{tb}"))
        w = self.w
        s = w.session
        p = s.project
        if p is None or "households" not in p.layers:
            return
        h = households_of(p)
        if self.h0 is None:
            self.h0 = h
        if h != self.h0:
            raise MonkeyFailure(self._where(f"the households layer holds {h} households, the project had {self.h0}"))
        plan = s.plan
        if plan is None:
            return
        hh = plan._hh
        recount: Counter = Counter()
        unassigned = 0
        for f, parts in enumerate(plan._parts):
            if not parts:
                unassigned += int(hh[f])
                continue
            if sum(n for _, n in parts) != int(hh[f]):
                raise MonkeyFailure(self._where(f"building {f} holds {hh[f]} households but its parts {parts}"))
            for c, n in parts:
                recount[c] += n
        codes = set(plan.codes)
        drift = {c: (plan.totals.get(c, 0), recount.get(c, 0)) for c in set(plan.totals) | set(recount)
                 if plan.totals.get(c, 0) != recount.get(c, 0)}
        if drift:
            raise MonkeyFailure(self._where(f"running totals differ from a recount (total, recount): {drift}"))
        in_grids = sum(recount[c] for c in codes)
        elsewhere = sum(n for c, n in recount.items() if c not in codes)  # special grids
        if in_grids + elsewhere + unassigned != self.h0 or int(hh.sum()) != self.h0:
            raise MonkeyFailure(self._where(
                f"households not conserved: {in_grids} in grids + {elsewhere} in special grids + {unassigned} "
                f"unassigned != {self.h0}"))
        if len(codes) != len(plan.codes):
            raise MonkeyFailure(self._where("a grid code appears twice in the plan"))
        stroking = w.editor.stroking
        if s.undo.in_macro and not stroking:
            raise MonkeyFailure(self._where("the undo stack is inside a paint stroke that no longer exists"))
        if not stroking and not w.jobs.busy:
            g = p.layers["grids"].gdf
            layer_codes = g["code"].astype(str).tolist()
            if sorted(layer_codes) != sorted(plan.codes):
                raise MonkeyFailure(self._where("the grids layer and the plan have different grids"))
            layer_hh = int(g["hh"].fillna(0).astype(float).sum())
            if layer_hh != in_grids:
                raise MonkeyFailure(self._where(f"the grids layer sums to {layer_hh}, the plan to {in_grids}"))
            m = w.grid_panel.model
            if m.rowCount() != len(plan.codes):
                raise MonkeyFailure(self._where(f"the grid table has {m.rowCount()} rows for {len(plan.codes)} grids"))
        # Locked means locked: paint, box, merge and split never change a locked grid's households.
        if plan is plan_before and action in ("paint", "paint_hold", "paint_release", "box_paint", "merge", "split"):
            after = self._locked_state()
            changed = [c for c, v in locked_before.items() if c in after and after[c] != v]
            if changed:
                raise MonkeyFailure(self._where(f"{action} changed locked grid(s) {changed}"))
        if action in ("redraw",) and plan is not plan_before and locked_before:
            after = self._locked_state()
            changed = [c for c, v in locked_before.items() if after.get(c) != v]
            if changed:
                msg = f"redraw changed locked grid(s) {changed[:5]}"
                if self.strict_redraw_locks:
                    raise MonkeyFailure(self._where(msg))
                self.result.redraw_lock_changes.append(msg)

    # -- the run ----------------------------------------------------------------------------------
    def run(self, n_actions: int) -> MonkeyResult:
        t0 = time.perf_counter()
        self._install_patches()
        self._hook_errors()
        names = list(WEIGHTS)
        weights = [WEIGHTS[n] for n in names]
        try:
            w = self._new_window(recover=True)
            w.open_project(str(self.projects.get("partitioned") or next(iter(self.projects.values()))))
            self.wait_idle()
            for _ in range(n_actions):
                name = self.rng.choices(names, weights)[0]
                if self.w.editor.stroking and name not in ("paint_release", "wait", "language", "undo", "redo",
                                                            "pan_zoom", "dialogs", "save"):  # keys: Ctrl+S …
                    name = "paint_release"  # a held stroke ends before the next click elsewhere
                t_act = time.perf_counter()
                locked = self._locked_state()
                plan_before = self._plan()
                self.result.actions += 1
                fn = getattr(self, f"act_{name}") if name != "paint_hold" else (lambda: self.act_paint(hold=True))
                try:
                    what = fn()
                except MonkeyFailure:
                    raise
                except Exception as exc:  # noqa: BLE001 - an exception in the app, raised through a direct call
                    self._errors.append((exc, traceback.format_exc()))
                    what = f"raised {type(exc).__name__}"
                self.pump()
                self.result.counts[name] += 1
                self.history.append(f"#{self.result.actions} {name}: {what}")
                if self.verbose:
                    self.log(self.history[-1])
                self.check(name, locked, plan_before)
                self.result.time_by_action[name] += time.perf_counter() - t_act
            if self.w.editor.stroking:
                self.act_paint_release()
            self.wait_idle(120)
            self.check("end", {}, None)
            self._check_log()
        finally:
            self._unpatch()
            self._restore_hooks()
            self.result.seconds = time.perf_counter() - t0
        return self.result

    def close(self) -> None:
        """Close the last window without questions (end of the run)."""
        w = self.w
        if w is None:
            return
        w.jobs.cancel()
        w.jobs.wait(30000)
        self.pump()
        if w.autosaver is not None:
            w.autosaver.stop()
            w.autosaver.discard()
        w.session.set_project(None)
        w.close()
        w.deleteLater()
        self.pump()
        self.w = None


def _is_input_error(exc) -> bool:
    from gridtool.errors import GridtoolError
    return isinstance(exc, GridtoolError)


def make_sample_projects(folder: Path, sample: str = "nanjing-xuanwu") -> dict[str, Path]:
    """A bundled sample (real OSM data) as a project without grids and partitioned (with sub-grids),
    in ``folder``."""
    from gridtool.samples import sample_sources
    from gridtool.partition.output import partition_project
    from gridtool.project import Project
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    raw, part = folder / f"{sample}-raw.gpkg", folder / f"{sample}-partitioned.gpkg"
    if not (raw.exists() and part.exists()):
        p = Project.from_sources(sample_sources(sample), name=sample)
        p.save(raw, force=True)
        partition_project(p, corridor_width=0)
        p.save(part, force=True)
    return {"raw": raw, "partitioned": part}


__all__ = ["WEIGHTS", "Monkey", "MonkeyFailure", "MonkeyResult", "households_of", "make_sample_projects"]
