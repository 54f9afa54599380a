"""Grid editing for the view: the target grid, the brush, strokes, locks, merges and splits.

The logic is in :class:`~gridtool.ui.stroke.Stroke` and :class:`~gridtool.partition.edit.GridPlan`;
this object holds the tool state (target grid, brush size, households or blocks) and turns
refusals (a locked grid) into messages instead of exceptions.
"""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, pyqtSignal

from ..errors import GridtoolError
from ..partition.edit import ApartGridsError
from . import i18n
from .i18n import tr
from .stroke import HitIndex, Stroke, StrokeResult


class EditController(QObject):
    """Signals: ``targetChanged(code)``, ``strokeFinished(result)``, ``message(text)``,
    ``stepTimed(ms)`` (how long the last paint step took, for the benchmark and the status bar)."""

    targetChanged = pyqtSignal(str)
    strokeFinished = pyqtSignal(object)
    message = pyqtSignal(str)
    stepTimed = pyqtSignal(float)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.target: str | None = None
        self.brush_px = 22
        self.unit = "household"  # or "block"
        self.last_source: str | None = None
        #: set by the window while a job runs: its result replaces the plan, so no new stroke starts
        self.busy = False
        self._stroke: Stroke | None = None
        self._hits: HitIndex | None = None
        self._hits_for = None
        session.plan_reset.connect(self._on_reset)
        session.project_changed.connect(self._on_reset)

    def _on_reset(self) -> None:
        self._hits = None
        if self._stroke is not None and self.session.undo.in_macro:
            self._stroke.end()  # (the window ends strokes before a job's result lands; never left open)
        self._stroke = None
        plan = self.session.plan
        if plan is None or self.target not in plan.totals:
            self.set_target(plan.codes[0] if plan is not None and plan.codes else None)

    def hits(self) -> HitIndex | None:
        e = self.session.edit
        if e is None:
            return None
        if self._hits is None or self._hits_for is not e:
            self._hits = HitIndex(e.xy, e.blocks)
            self._hits_for = e
        return self._hits

    @property
    def blocks_available(self) -> bool:
        e = self.session.edit
        return e is not None and e.blocks is not None

    def set_target(self, code: str | None) -> None:
        if code != self.target:
            self.target = code
            self.targetChanged.emit(code or "")

    # -- strokes ---------------------------------------------------------------------------------
    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    def begin_stroke(self) -> bool:
        if self.busy:
            self.message.emit(tr("status.busy"))
            return False
        if self.target is None or self.session.plan is None:
            self.message.emit(tr("edit.no_target"))
            return False
        st = Stroke(self.session, self.target)
        self.hits()  # built now (tens of ms at county scale), not in the first brush step
        try:
            st.begin()
        except GridtoolError as exc:
            self.message.emit(i18n.pick(exc.zh, exc.en))
            return False
        self._stroke = st
        return True

    def _features(self, kind: str, *args):
        h = self.hits()
        if h is None:
            return []
        if self.unit == "block" and h.has_blocks:
            return h.block_circle(*args) if kind == "circle" else h.block_box(*args)
        return h.in_circle(*args) if kind == "circle" else h.in_box(*args)

    def paint_at(self, x: float, y: float, radius: float) -> int:
        """One brush step at world ``(x, y)`` with ``radius`` metres."""
        if self._stroke is None:
            return 0
        t = time.perf_counter()
        n = self._stroke.add(self._features("circle", x, y, radius))
        if n and self._stroke.result.sources:
            self.last_source = sorted(self._stroke.result.sources)[-1]
        self.stepTimed.emit((time.perf_counter() - t) * 1000)
        return n

    def paint_box(self, x0, y0, x1, y1) -> StrokeResult | None:
        """A box stroke: everything in the box into the target, one undo step."""
        if not self.begin_stroke():
            return None
        self._stroke.add(self._features("box", x0, y0, x1, y1))
        return self.end_stroke()

    def end_stroke(self) -> StrokeResult | None:
        st, self._stroke = self._stroke, None
        if st is None:
            return None
        res = st.end()
        if res.sources:
            self.last_source = sorted(res.sources)[-1]
        self._report(res)
        self.strokeFinished.emit(res)
        return res

    def cancel_stroke(self) -> None:
        st, self._stroke = self._stroke, None
        if st is not None:
            st.cancel()
            self.message.emit(tr("edit.stroke_cancelled"))

    def _report(self, res: StrokeResult) -> None:
        parts = [tr("edit.moved", n=res.moved, target=self.target)]
        if res.locked_skipped:
            parts.append(tr("edit.locked_skipped", n=res.locked_skipped))
        if res.other_village_skipped:
            parts.append(tr("edit.village_skipped", n=res.other_village_skipped))
        self.message.emit("；".join(parts) if i18n.language() == "zh" else "; ".join(parts))

    # -- grid commands ---------------------------------------------------------------------------
    def _run(self, make) -> bool:
        plan = self.session.plan
        if plan is None:
            self.message.emit(tr("edit.no_grids"))
            return False
        try:
            self.session.push(make(plan))
        except GridtoolError as exc:
            self.message.emit(i18n.pick(exc.zh, exc.en))
            return False
        return True

    def set_locked(self, code: str, locked: bool) -> bool:
        return self._run(lambda plan: plan.set_locked(code, locked))

    def merge(self, keep: str, other: str) -> bool:
        """Merge ``other`` into ``keep``; grids that do not touch only when the planner confirms
        (the engine refuses them: :class:`~gridtool.partition.edit.ApartGridsError`; cancelled, its
        message goes to the status bar as any refusal)."""
        def make(plan):
            try:
                return plan.merge(keep, other)
            except ApartGridsError as exc:
                if self.confirm_apart(exc):
                    return plan.merge(keep, other, allow_apart=True)
                raise

        ok = self._run(make)
        if ok:
            self.set_target(keep)
        return ok

    def confirm_apart(self, exc: ApartGridsError) -> bool:
        """Ask whether to merge two grids that do not touch (the engine's message, the grids that do
        touch the target, Cancel by default)."""
        from PyQt6.QtWidgets import QMessageBox
        near = (tr("grids.merge_apart.touching", target=exc.keep, codes="、".join(exc.touching)
                   if i18n.language() == "zh" else ", ".join(exc.touching)) if exc.touching
                else tr("grids.merge_apart.none", target=exc.keep))
        text = f"{i18n.pick(exc.zh, exc.en)}\n\n{near}\n\n{tr('grids.merge_apart.ask', target=exc.keep)}"
        parent = self.parent()
        box = QMessageBox(QMessageBox.Icon.Warning, tr("app.title"), text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          parent if parent is not None and parent.isWidgetType() else None)
        box.setObjectName("merge_apart")
        box.button(QMessageBox.StandardButton.Yes).setText(tr("grids.merge_apart.yes"))
        box.button(QMessageBox.StandardButton.Cancel).setText(tr("common.cancel"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def split(self, code: str) -> bool:
        return self._run(lambda plan: plan.split(code))
