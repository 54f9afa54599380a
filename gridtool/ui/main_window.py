"""The main window: map canvas, docks (layers, grids, table, problems/log, routes), menus and jobs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QHBoxLayout, QLabel, QMainWindow,
                             QMessageBox, QProgressBar, QPushButton, QSizePolicy, QToolBar, QWidget)

from ..errors import GridtoolError
from . import i18n, qt_translations
from .attribute_table import AttributeTable
from .autosave import Autosaver
from .canvas import MapCanvas
from .canvas_tools import BoxPaintTool, BrushTool, PanTool, PickGridTool
from .edit_controller import EditController
from .grid_panel import GridPanel
from .i18n import tr
from .jobs import JobRunner
from .layer_panel import LayerPanel
from .map_layers import LayerStack
from .problems_panel import ProblemsPanel
from .screen import fit_to_screen, scrolling
from .session import Session

log = logging.getLogger("gridtool.ui")
MAX_RECENT = 8


def settings() -> QSettings:
    return QSettings("gridtool", "gridtool")


class MainWindow(QMainWindow):
    """The app's window over one :class:`~gridtool.ui.session.Session`."""

    def __init__(self, session: Session | None = None, *, autosave: bool = True, remember_layout: bool = True):
        """``remember_layout``: open with the docks as the last window closed with them, and keep them
        so when this one closes (not for ``gridtool-app --screenshot``, whose pictures stay the same)."""
        super().__init__()
        self.session = session or Session()
        self.stack = LayerStack()
        self.jobs = JobRunner(self)
        self.editor = EditController(self.session, self)
        self.session.subgrids.background = self._draw_subgrids_in_background
        self._subgrid_job = None  # the job drawing sub-grids after an edit: it blocks no edit
        self.canvas = MapCanvas(self.session, self.stack, self)
        self.setCentralWidget(self.canvas)
        fit_to_screen(self, 1500, 950)  # no larger than a 1366×768 screen or 1920×1080 at 150 %

        # -- docks
        self.layer_panel = LayerPanel(self.stack)
        self.grid_panel = GridPanel(self.session, self.editor)
        self.table = AttributeTable(self.session)
        self.problems = ProblemsPanel()
        from .route_panel import RoutePanel
        self.routes = RoutePanel(self.session)
        from .analysis_panel import AnalysisPanel
        self.analysis = AnalysisPanel(self)
        self.docks = {}
        for key, widget in (("layers", self.layer_panel), ("grids", self.grid_panel), ("routes", self.routes),
                            ("analysis", self.analysis), ("table", self.table), ("problems", self.problems)):
            d = QDockWidget(self)
            d.setObjectName(f"dock_{key}")
            # Panels with rows of buttons are taller than a small screen (1366×768 at 150 %: about
            # 910×490) leaves the docks: they scroll; the side ones widen their dock as they grow.
            if key in ("grids", "routes", "analysis"):
                widget = scrolling(widget, wants=lambda need, d=d: self._widen_dock(d, need))
            elif key == "problems":
                widget = scrolling(widget)
            d.setWidget(widget)
            self.docks[key] = d
        from .dock_layout import place_docks, restore_layout
        place_docks(self)
        self.compact = False  # the small-screen layout (set when first shown)

        self._make_actions()
        self._make_menus()
        # the arrangement saved when the window last closed (after the toolbar: it is part of it)
        self._remember_layout = remember_layout
        self._layout_restored = remember_layout and restore_layout(self, settings())
        self._make_status()
        self._connect()
        self.autosaver = Autosaver(self) if autosave else None
        i18n.on_language_change(self._language_changed)
        qt_translations.apply(i18n.language())
        self.retranslate()
        self._update_actions()  # no project yet: Partition, Redraw, Patrol … start disabled

    def open_dock(self, key: str) -> None:
        """Show a dock in front of its tabs (on a small screen the table and the log start closed)."""
        from .dock_layout import open_dock
        open_dock(self, key)

    def _widen_dock(self, dock, width: int) -> None:
        """Widen ``dock`` to ``width`` (its content grew: the grid panel with a project in it), taking
        the room from the map; on a small screen the map keeps its minimum and the panel scrolls."""
        self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if not getattr(self, "_sized", False):
            self._sized = True
            from .dock_layout import first_layout, is_small, set_compact
            if self._layout_restored:  # the docks stay where the planner put them
                self.compact = is_small(self.size())
                set_compact(self, self.compact)
            else:
                self.compact = first_layout(self)  # a small screen: the map gets most of the window
            handle = self.windowHandle()
            if handle is not None:  # dragged onto a smaller monitor (a projector): back inside it
                from .screen import keep_on_screen
                handle.screenChanged.connect(lambda _screen: keep_on_screen(self))

    def resizeEvent(self, ev) -> None:
        """The panels narrow or widen with the window (made small, moved to a laptop's screen, or
        maximised on a monitor); the docks stay where they are: that is the planner's arrangement."""
        super().resizeEvent(ev)
        if getattr(self, "_sized", False):
            from .dock_layout import is_small, set_compact
            small = is_small(self.size())
            if small != self.compact:
                self.compact = small
                set_compact(self, small)

    def reset_layout(self) -> None:
        """视图 → 恢复默认布局: forget the saved arrangement, the docks as a first start lays them out."""
        from .dock_layout import default_layout, forget_layout
        forget_layout(settings())
        self._layout_restored = False
        self.compact = default_layout(self)

    # -- actions ----------------------------------------------------------------------------------
    def _act(self, key: str, slot=None, shortcut=None, checkable: bool = False) -> QAction:
        a = QAction(self)
        a.setObjectName(key)
        if shortcut is not None:
            a.setShortcut(shortcut)
        a.setCheckable(checkable)
        if slot is not None:
            a.triggered.connect(lambda _=False, s=slot: s())
        self.actions_[key] = a
        return a

    def _make_actions(self) -> None:
        self.actions_: dict[str, QAction] = {}
        K = QKeySequence.StandardKey
        self._act("file.new", self.new_project, K.New)
        self._act("file.open", self.open_dialog, K.Open)
        self._act("file.add_layer", self.add_layer_dialog)
        self._act("file.save", self.save, K.Save)
        self._act("file.save_as", self.save_as, K.SaveAs)
        self._act("file.quit", self.close, K.Quit)
        self._act("edit.undo", self.undo, K.Undo)
        self._act("edit.redo", self.redo, K.Redo)
        self._act("view.full", self.canvas.zoom_full, "Home")
        self._act("view.in", lambda: self.canvas.zoom_by(1.5), K.ZoomIn)
        self._act("view.out", lambda: self.canvas.zoom_by(1 / 1.5), K.ZoomOut)
        self._act("view.layer", lambda: self.canvas.zoom_to_layer(self.layer_panel.current_role() or "villages"))
        self._act("view.selection", self.canvas.zoom_to_selection, "Ctrl+J")
        self._act("view.reset_layout", self.reset_layout)
        self._act("grid.partition", self.partition_dialog, "Ctrl+P")
        self._act("grid.redraw", self.redraw_unlocked)
        self._act("grid.redraw_previous", self.redraw_previous_dialog)
        self._act("grid.validate_plan", self.validate_plan)
        self._act("grid.join", self.join_dialog)
        self._act("data.validate", self.validate_data)
        self._act("grid.lock", lambda: self.grid_panel._toggle_lock(), "Ctrl+L")
        self._act("grid.split", lambda: self.editor.target and self.editor.split(self.editor.target))
        self.tool_group = QActionGroup(self)
        for name, key in (("pan", "P"), ("brush", "B"), ("box", "R"), ("pick", "G")):
            a = self._act(f"tool.{name}", lambda n=name: self.set_tool(n), key, checkable=True)
            self.tool_group.addAction(a)
        self.actions_["tool.pan"].setChecked(True)
        self._act("patrol.plan", self.patrol_dialog)
        self._act("patrol.circles", self.circles_dialog)
        self._act("patrol.siting", lambda: self.circles_dialog(siting=True))
        self._act("patrol.seal", self.seal_dialog)
        self._act("patrol.walk", self.walk_dialog)
        self._act("help.about", self.about)
        self._act("help.log", self.show_log_path)
        self.lang_group = QActionGroup(self)
        for code in i18n.LANGUAGES:
            a = QAction(i18n.LANGUAGES[code], self)
            a.setCheckable(True)
            a.setChecked(code == i18n.language())
            a.triggered.connect(lambda _=False, c=code: self.set_language(c))
            self.lang_group.addAction(a)
            self.actions_[f"lang.{code}"] = a

    def _make_menus(self) -> None:
        mb = self.menuBar()
        self.menus = {}
        a = self.actions_

        def menu(key, items):
            m = mb.addMenu("")
            self.menus[key] = m
            for it in items:
                if it is None:
                    m.addSeparator()
                elif isinstance(it, str):
                    m.addAction(a[it])
                else:
                    m.addMenu(it)
            return m

        self.recent_menu = self._submenu("file.recent")
        self.export_menu = self._submenu("file.export")
        menu("file", ["file.new", "file.open", self.recent_menu, "file.add_layer", None, "file.save", "file.save_as", None,
                      self.export_menu, None, "file.quit"])
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        menu("edit", ["edit.undo", "edit.redo"])
        menu("view", ["view.full", "view.in", "view.out", "view.layer", "view.selection", None])
        for d in self.docks.values():
            self.menus["view"].addAction(d.toggleViewAction())
        self.menus["view"].addSeparator()
        self.menus["view"].addAction(a["view.reset_layout"])
        menu("grid", ["grid.partition", "grid.redraw", "grid.redraw_previous", None, "tool.pan", "tool.brush", "tool.box", "tool.pick", None,
                      "grid.lock", "grid.split", None, "grid.validate_plan", "data.validate", None, "grid.join"])
        menu("patrol", ["patrol.plan", "patrol.walk", None, "patrol.circles", "patrol.siting", None, "patrol.seal"])
        lm = menu("lang", [])
        for code in i18n.LANGUAGES:
            lm.addAction(a[f"lang.{code}"])
        menu("help", ["help.about", "help.log"])
        tb = QToolBar(self)
        tb.setObjectName("main_toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(tb)
        self.toolbar = tb
        for k in ("file.open", "file.save", None, "edit.undo", "edit.redo", None, "tool.pan", "tool.brush", "tool.box",
                  "tool.pick", None, "view.full", None, "grid.partition", "grid.redraw"):
            if k is None:
                tb.addSeparator()
            else:
                tb.addAction(a[k])
        from .export_dialogs import fill_export_menu
        fill_export_menu(self, self.export_menu)

    def _submenu(self, key):
        from PyQt6.QtWidgets import QMenu
        m = QMenu(self)
        m.setObjectName(key)
        return m

    def _make_status(self) -> None:
        from .status_bar import ElidedLabel, StatusBar
        sb = StatusBar(self)  # messages elided to fit beside the job and the coordinates (1366 px)
        self.setStatusBar(sb)
        self.coords = ElidedLabel(least=120)
        self.scale = QLabel()
        self.render_ms = QLabel()
        self.job_label = ElidedLabel(least=80)  # "保存 <long file name>.gpkg": the bar stays readable
        self.job_label.setMaximumWidth(260)
        self.job_bar = QProgressBar()
        self.job_bar.setRange(0, 1000)
        self.job_bar.setMaximumWidth(220)
        self.job_bar.setMinimumWidth(150)  # its step ("正在写入") readable however long the message
        self.job_cancel = QPushButton()
        self.job_cancel.clicked.connect(self.jobs.cancel)
        self.job_cancel.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.job_box = QWidget()
        jl = QHBoxLayout(self.job_box)
        jl.setContentsMargins(0, 0, 0, 0)
        jl.addWidget(self.job_label)
        jl.addWidget(self.job_bar)
        jl.addWidget(self.job_cancel)
        self.job_box.setVisible(False)
        sb.addPermanentWidget(self.job_box)
        sb.addPermanentWidget(self.coords)
        sb.addPermanentWidget(self.scale)
        sb.addPermanentWidget(self.render_ms)

    def _connect(self) -> None:
        s = self.session
        s.project_changed.connect(self._project_changed)
        s.dirty_changed.connect(lambda _d: self._update_title())
        s.undo.listeners.append(self._update_undo)  # re-attached on project change
        s.message.connect(lambda level, zh, en: self.log_message(i18n.pick(zh, en), level))
        s.layers_changed.connect(self._layers_changed)
        s.plan_reset.connect(self._update_actions)
        self.canvas.cursorMoved.connect(self._cursor)
        self.canvas.viewChanged.connect(self._view_changed)
        self.canvas.rendered.connect(self._rendered)
        self.canvas.featuresPicked.connect(self._picked)
        self.layer_panel.activeChanged.connect(self._active_layer)
        self.layer_panel.zoomRequested.connect(self.canvas.zoom_to_layer)
        self.table.selectionChanged.connect(self._table_selection)
        self.table.zoomRequested.connect(self.canvas.zoom_to_selection)
        self.table.layerChosen.connect(lambda r: r and self.layer_panel.set_current(r))
        self.problems.zoomTo.connect(self.zoom_to_problem)
        self.routes.zoomTo.connect(self.canvas.zoom_to_bounds)
        self.grid_panel.toolChosen.connect(self.set_tool)
        self.grid_panel.gridActivated.connect(self._grid_activated)
        self.grid_panel.redrawRequested.connect(self.redraw_unlocked)
        self.grid_panel.validateRequested.connect(self.validate_plan)
        self.grid_panel.remedyRequested.connect(self.apply_remedy)
        self.editor.message.connect(lambda t: self.statusBar().showMessage(t, 8000))
        self.editor.message.connect(lambda t: self.log_message(t))
        self.editor.targetChanged.connect(lambda _c: self.canvas.update())
        self.jobs.started.connect(self._job_started)
        self.jobs.ended.connect(self._job_ended)
        from . import errors
        rep = errors.reporter()
        if rep is not None:
            rep.parent_widget = self
            self.jobs.on_error = rep.handle
            rep.shown.connect(self._error_shown)  # the reporter outlives windows: disconnected on close
        else:
            self.jobs.on_error = self._job_error_fallback

    # -- language ---------------------------------------------------------------------------------
    def set_language(self, lang: str) -> None:
        i18n.set_language(lang)
        settings().setValue("language", lang)

    def _language_changed(self, lang: str) -> None:
        qt_translations.apply(lang)
        self.retranslate()

    def retranslate(self) -> None:
        for key, a in self.actions_.items():
            if key.startswith("lang."):
                a.setChecked(key == f"lang.{i18n.language()}")
                continue
            a.setText(tr(f"action.{key}"))
            tip = tr(f"action.{key}.tip")
            a.setToolTip(tip if tip != f"action.{key}.tip" else a.text())
        for key, m in self.menus.items():
            m.setTitle(tr(f"menu.{key}"))
        self.recent_menu.setTitle(tr("menu.recent"))
        self.export_menu.setTitle(tr("menu.export"))
        for key, d in self.docks.items():
            d.setWindowTitle(tr(f"dock.{key}"))
        self.toolbar.setWindowTitle(tr("toolbar.main"))
        self.job_cancel.setText(tr("common.cancel"))
        for w in (self.layer_panel, self.grid_panel, self.table, self.problems, self.routes, self.analysis):
            w.retranslate()
        from .export_dialogs import retranslate_export_menu
        retranslate_export_menu(self, self.export_menu)
        self._update_undo()
        self._update_title()
        self._view_changed()
        self.canvas.update()

    # -- state ------------------------------------------------------------------------------------
    def _update_title(self) -> None:
        s = self.session
        name = s.project.name if s.project is not None else tr("app.no_project")
        path = f" — {s.path}" if s.path else ""
        star = " *" if s.dirty else ""
        self.setWindowTitle(f"{name}{star}{path} — {tr('app.title')}")

    def _update_undo(self) -> None:
        u = self.session.undo
        a = self.actions_
        busy = self.blocked
        a["edit.undo"].setEnabled(u.can_undo() and not busy)
        a["edit.redo"].setEnabled(u.can_redo() and not busy)
        sep = "：" if i18n.language() == "zh" else ": "
        for key, can, text in (("edit.undo", u.can_undo(), u.undo_text), ("edit.redo", u.can_redo(), u.redo_text)):
            # command texts are "中文 / English"
            a[key].setText(tr(f"action.{key}") + (f"{sep}{i18n.one_side(text())}" if can else ""))

    def _update_actions(self) -> None:
        s = self.session
        busy = self.blocked  # (the sub-grids drawn after an edit block nothing)
        has = s.project is not None
        plan = s.plan is not None
        a = self.actions_
        for k in ("file.save", "file.save_as", "file.add_layer", "view.layer", "data.validate"):
            a[k].setEnabled(has and not busy)
        a["grid.partition"].setEnabled(has and "households" in s.project.layers and "villages" in s.project.layers
                                       and not busy)
        a["grid.redraw_previous"].setEnabled(a["grid.partition"].isEnabled())
        for k in ("grid.redraw", "grid.validate_plan", "grid.lock", "grid.split", "tool.brush", "tool.box", "tool.pick"):
            a[k].setEnabled(plan and not busy)
        for k in ("patrol.plan", "patrol.circles", "patrol.siting", "patrol.seal"):
            a[k].setEnabled(has and "roads" in s.project.layers and not busy)
        a["grid.join"].setEnabled(has and "grids" in s.project.layers and not busy)
        a["patrol.walk"].setEnabled(a["patrol.plan"].isEnabled() and "grids" in s.project.layers)
        self.grid_panel.edit_box.setEnabled(plan and not busy)
        self.editor.busy = busy
        self.grid_panel.inf_box.setEnabled(not busy)  # a remedy re-runs the partition
        self._update_undo()

    def _project_changed(self) -> None:
        s = self.session
        if self._update_undo not in s.undo.listeners:
            s.undo.listeners.append(self._update_undo)
        p = s.project
        self.problems.set_problems(p.problems if p is not None else [], "data")
        self.layer_panel.refill()
        if p is not None and "grids" in p.layers:
            self.layer_panel.set_current("grids")
            self.canvas.active_role = "grids"
        self._update_title()
        self._update_actions()
        if p is not None:
            self.log_message(tr("log.opened", name=p.name, n=len(p.layers)))

    def _layers_changed(self, roles) -> None:
        self._update_actions()
        if "routes" in roles and self.session.project is not None and "routes" in self.session.project.layers:
            self.docks["routes"].raise_()

    # -- status bar -------------------------------------------------------------------------------
    def _cursor(self, x: float, y: float) -> None:
        p = self.session.project
        text = f"X {x:,.1f}  Y {y:,.1f} m"
        if p is not None and p.crs is not None:
            try:
                lon, lat = self._to_lonlat(x, y)
                text += f"  |  {lon:.5f}°E {lat:.5f}°N"
            except Exception:  # noqa: BLE001 - a coordinate outside the projection's domain
                pass
        self.coords.setText(text)

    def _to_lonlat(self, x, y):
        p = self.session.project
        key = id(p.crs)
        if getattr(self, "_tf_key", None) != key:
            import pyproj
            self._tf = pyproj.Transformer.from_crs(p.crs, 4326, always_xy=True)
            self._tf_key = key
        return self._tf.transform(x, y)

    def _view_changed(self) -> None:
        n = self.canvas.vp.scale_denominator(self.logicalDpiX() or 96)
        self.scale.setText(tr("status.scale", n=f"{n:,.0f}"))
        self._rendered(self.canvas.last_render_ms)

    def _rendered(self, ms: float) -> None:
        self.render_ms.setText(tr("status.render", ms=f"{ms:.0f}"))

    def log_message(self, text: str, level: str = "info") -> None:
        if text:
            self.problems.append_log(text, level)
            (log.warning if level in ("warning", "error") else log.info)(text)

    # -- selection --------------------------------------------------------------------------------
    def _active_layer(self, role: str) -> None:
        self.canvas.active_role = role
        if self.table.role != role:
            self.table.show_layer(role)

    def _picked(self, role: str, feats, add: bool) -> None:
        self.canvas.set_selection(role, feats, add)
        if self.compact and len(feats) and not self.docks["table"].isVisible():  # closed on a small screen
            self.open_dock("table")
        if self.table.role != role:
            self.table.show_layer(role)
        self.table.select_features(self.canvas.selection.get(role, np.zeros(0, dtype=np.int64)))
        if role == "grids" and len(feats):
            code = str(self.session.project.layers["grids"].gdf["code"].iat[int(feats[0])])
            if self.session.plan is not None and code in self.session.plan.totals:
                self.editor.set_target(code)

    def _table_selection(self, role: str, feats) -> None:
        self.canvas.active_role = role
        self.canvas.set_selection(role, feats)

    def _grid_activated(self, code: str) -> None:
        p = self.session.project
        if p is None or "grids" not in p.layers:
            return
        g = p.layers["grids"].gdf
        idx = np.flatnonzero(g["code"].astype(str).to_numpy() == code)
        self.editor.set_target(code)
        if len(idx):
            self.canvas.active_role = "grids"
            self.canvas.set_selection("grids", idx)
            self.canvas.zoom_to_selection()

    def zoom_to_problem(self, problem) -> None:
        if problem is None:
            return
        p = self.session.project
        role = problem.role
        if p is not None and role in p.layers and problem.features:
            gdf = p.layers[role].gdf
            col = "code" if role == "grids" else "src_id" if "src_id" in gdf else None
            if col is not None:
                want = {str(f) for f in problem.features}
                idx = np.flatnonzero(gdf[col].astype(str).isin(want).to_numpy())
                if len(idx):
                    self.canvas.active_role = role
                    self.canvas.set_selection(role, idx)
                    if problem.bounds is None:
                        self.canvas.zoom_to_selection()
        if problem.bounds is not None:
            self.canvas.zoom_to_bounds(problem.bounds)

    # -- tools ------------------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        c = self.canvas
        if name == "brush":
            tool = BrushTool(c, self.editor)
        elif name == "box":
            tool = BoxPaintTool(c, self.editor)
        elif name == "pick":
            tool = PickGridTool(c, self.editor, then=lambda: self.set_tool("brush"))
        else:
            tool = PanTool(c)
            name = "pan"
        c.set_tool(tool)
        self.actions_[f"tool.{name}"].setChecked(True)
        self.grid_panel.set_tool_checked(name)
        c.setFocus()

    def undo(self) -> None:
        if not self.blocked and not self.editor.stroking:
            self.session.undo.undo()

    def redo(self) -> None:
        if not self.blocked and not self.editor.stroking:
            self.session.undo.redo()

    # -- jobs -------------------------------------------------------------------------------------
    @property
    def blocked(self) -> bool:
        """A job runs whose result replaces the plan or reads it (everything but the sub-grids drawn
        after an edit, which are drawn from a copy): no edit, undo or other job starts."""
        return self.jobs.busy and self.jobs.current is not self._subgrid_job

    def _job_started(self, job) -> None:
        self.job_label.setText(job.title)
        self.job_bar.setValue(0)
        self.job_box.setVisible(True)
        job.progress.connect(self._job_progress)
        if self._subgrid_job is True:
            self._subgrid_job = job
        if job is not self._subgrid_job:  # (one after every edit: not logged)
            self.log_message(tr("log.job_started", title=job.title))
        self._update_actions()

    def _job_progress(self, f: float, msg: str) -> None:
        self.job_bar.setValue(int(f * 1000))
        msg = i18n.one_side(msg or "")  # core steps are "中文 / English"
        if msg:
            self.job_bar.setFormat(f"{f:.0%}  {msg}")
            self.job_bar.setToolTip(msg)

    def _job_ended(self, job) -> None:
        if self.editor.stroking:  # a stroke held since before the job: one undo step before the result lands
            self.editor.end_stroke()
        self.job_box.setVisible(False)
        self.job_label.clear()
        key = {"done": "log.job_done", "failed": "log.job_failed", "cancelled": "log.job_cancelled"}[job.state]
        if job is self._subgrid_job:
            self._subgrid_job = None
            if job.state != "done":
                self.log_message(tr(key, title=job.title), "warning")
        else:
            self.log_message(tr(key, title=job.title), "warning" if job.state != "done" else "info")
            if self.session.project is not None:
                self.session.subgrids.follow()  # a drawing this job put off
        self._update_actions()

    def _error_shown(self, text: str) -> None:
        self.log_message(text.splitlines()[0] if text else "", "error")

    def _job_error_fallback(self, exc, tb) -> None:
        self.log_message(f"{type(exc).__name__}: {exc}", "error")

    def _draw_subgrids_in_background(self, draw, done, failed) -> bool:
        """Draw the sub-grids of the grids an edit changed on the job runner (a few tenths of a
        second per changed grid in a large village); False when another job runs."""
        def error(exc, tb):
            failed()
            (self.jobs.on_error or self._job_error_fallback)(exc, tb)

        if self.jobs.busy:
            return False
        self._subgrid_job = True  # (``blocked`` and the log know it from its start)
        self._subgrid_job = self.jobs.submit(tr("job.subgrids"), lambda progress, cancelled: draw(), on_done=done,
                                             on_error=error, on_cancel=failed)
        return self._subgrid_job is not None

    def _stop_subgrid_job(self) -> None:
        """Drop the sub-grids being drawn (drawn again when the next job ends, or by the save)."""
        if self.jobs.busy and self.jobs.current is self._subgrid_job:
            self.jobs.cancel()
            self.jobs.wait(30000)
            QApplication.processEvents()  # deliver the job's end

    def run_job(self, title: str, fn, on_done=None, **kw):
        self._stop_subgrid_job()  # the planner's job goes first
        job = self.jobs.submit(title, fn, on_done=on_done, **kw)
        if job is None:
            self.statusBar().showMessage(tr("status.busy"), 5000)
        return job

    # -- projects ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, tr("file.open_title"), settings().value("last_dir", ""),
                                              tr("file.filter_project"))
        if path:
            self.open_project(path)

    def open_project(self, path: str, *, background: bool = True) -> None:
        from ..project import Project
        path = str(path)

        def done(project):
            self.session.set_project(project)
            self._remember(path)

        def failed(exc, tb):
            from ..errors import NotAProjectError
            if isinstance(exc, NotAProjectError) and self.offer_import(path):
                return
            (self.jobs.on_error or self._job_error_fallback)(exc, tb)

        if not background:
            done(Project.open(path))
            return
        self.run_job(tr("job.open", name=Path(path).name), lambda progress, cancelled: Project.open(path), done,
                     on_error=failed)

    def offer_import(self, path: str) -> bool:
        """A GeoPackage of data opened as a project (the township's layers, a bundled sample): offer
        the new-project wizard with the file in it, instead of a message naming ``gridtool import``.
        False when the file shows no layers (the error is said as it is)."""
        import pyogrio
        try:
            layers = [str(n) for n, g in pyogrio.list_layers(path) if g]
        except Exception:  # noqa: BLE001 - unreadable: the open's own message says so
            return False
        if not layers:
            return False
        shown = ", ".join(layers[:8]) + (" …" if len(layers) > 8 else "")
        box = QMessageBox(QMessageBox.Icon.Question, tr("app.title"), tr("file.not_project", name=Path(path).name,
                                                                         layers=shown),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText(tr("file.import_it"))
        box.button(QMessageBox.StandardButton.No).setText(tr("common.cancel"))
        if box.exec() != QMessageBox.StandardButton.Yes:
            return True
        from .wizard import NewProjectWizard
        wiz = NewProjectWizard(self)
        page = wiz.layers_page
        # layers named by role (the samples) fill their rows; else the households row, to choose from
        for role in [r for r in page.rows if r in layers] or ["households"]:
            page.rows[role].path.setText(path)
            page.rows[role].refresh()
        page.name.setText(Path(path).stem)
        wiz.open()
        self.import_wizard = wiz
        return True

    def new_project(self) -> None:
        if not self.maybe_save():
            return
        from .wizard import NewProjectWizard
        wiz = NewProjectWizard(self)
        wiz.open()

    def adopt_new_project(self, project) -> None:
        """A project built by the wizard (not yet saved)."""
        self.session.set_project(project, unsaved=True)

    def save(self) -> bool:
        s = self.session
        if s.project is None:
            return False
        if not s.path or s._unsaved:
            return self.save_as()
        self._save_to(s.path)
        return True

    def save_as(self) -> bool:
        s = self.session
        if s.project is None:
            return False
        path = self._ask_save_path(s.path or str(Path(settings().value("last_dir", "")) / f"{s.project.name}.gpkg"))
        if not path:
            return False
        self._save_to(path)
        return True

    def _ask_save_path(self, start: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, tr("file.save_title"), start, tr("file.filter_project"))
        if not path:
            return None
        return path if path.lower().endswith(".gpkg") else path + ".gpkg"

    def _save_to(self, path: str) -> None:
        snap = self.session.materialized()
        force = Path(path).exists()  # the user confirmed the overwrite in the file dialog

        def work(progress, cancelled):
            progress(0.1, tr("job.saving"))
            return snap.save(path, force=force)

        def done(_):
            self._saved(path)
            self.statusBar().showMessage(tr("status.saved", path=path), 6000)

        self.run_job(tr("job.save", name=Path(path).name), work, done)

    def save_sync(self, path: str) -> None:
        """Save on this thread (tests, and closing when the user chose Save)."""
        self.session.materialized().save(path, force=Path(path).exists())
        self._saved(path)

    def _saved(self, path: str) -> None:
        self.session.mark_saved(path)
        self._remember(path)
        if self.autosaver is not None:
            self.autosaver.discard()

    def _remember(self, path: str) -> None:
        st = settings()
        recent = [p for p in (st.value("recent", []) or []) if p != path]
        st.setValue("recent", [path] + recent[: MAX_RECENT - 1])
        st.setValue("last_dir", str(Path(path).parent))

    def _fill_recent(self) -> None:
        m = self.recent_menu
        m.clear()
        recent = [p for p in (settings().value("recent", []) or []) if p]
        for p in recent:
            a = m.addAction(p)
            a.triggered.connect(lambda _=False, p=p: self.maybe_save() and self.open_project(p))
            a.setEnabled(Path(p).exists())
        if not recent:
            a = m.addAction(tr("file.no_recent"))
            a.setEnabled(False)

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels."""
        if not self.session.dirty:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, tr("app.title"), tr("file.unsaved"),
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Save).setText(tr("common.save"))
        box.button(QMessageBox.StandardButton.Discard).setText(tr("common.discard"))
        box.button(QMessageBox.StandardButton.Cancel).setText(tr("common.cancel"))
        r = box.exec()
        if r == QMessageBox.StandardButton.Cancel:
            return False
        if r == QMessageBox.StandardButton.Save:
            s = self.session
            path = s.path if s.path and not s._unsaved else self._ask_save_path("")
            if not path:
                return False
            try:
                self.save_sync(path)
            except GridtoolError as exc:
                QMessageBox.warning(self, tr("app.title"), exc.format(i18n.language()))
                return False
        if self.autosaver is not None:
            self.autosaver.discard()
        return True

    def closeEvent(self, ev) -> None:
        self._stop_subgrid_job()
        if self.jobs.busy:
            r = QMessageBox.question(self, tr("app.title"), tr("app.job_running"))
            if r != QMessageBox.StandardButton.Yes:
                ev.ignore()
                return
            self.jobs.cancel()
            self.jobs.wait(10000)
            QApplication.processEvents()  # deliver the job's end (its result is dropped)
        if not self.maybe_save():
            ev.ignore()
            return
        if self.autosaver is not None:
            self.autosaver.stop()
            self.autosaver.discard()
        i18n.remove_listener(self._language_changed)
        from . import errors
        rep = errors.reporter()
        if rep is not None:
            try:
                rep.shown.disconnect(self._error_shown)
            except TypeError:  # not connected
                pass
        self.jobs.shutdown()
        if self._remember_layout and getattr(self, "_sized", False):  # a window never shown has none
            from .dock_layout import save_layout
            save_layout(self, settings())
        ev.accept()

    # -- partition --------------------------------------------------------------------------------
    def partition_dialog(self) -> None:
        from .partition_dialog import PartitionDialog
        project = self.session.project
        places = project.layers.get("places") if project is not None else None
        cats = sorted({str(c) for c in places.gdf["category"].dropna()}) if (
            places is not None and "category" in places.gdf) else []
        dlg = PartitionDialog(self.session.partition_parameters(), self,
                              has_dem=getattr(project, "dem", None) is not None, categories=cats)
        dlg.accepted.connect(lambda: self.run_partition(dlg.params()))
        dlg.open()

    def run_partition(self, params: dict, *, redraw: bool = False, title: str | None = None,
                      undo_text: str = "划分网格 / partition"):
        """Fit the partition in the background and put the result in the project (one undo step).
        Locked grids are kept exactly by a new partition and a redraw alike (the engine draws the
        other grids around them); ``redraw`` repairs the other grids instead of drawing them anew."""
        from ..partition.engine import GridPartitioner
        from ..partition.output import fit_own_plan
        GridPartitioner(**params)  # parameters the engine refuses are said here, before the job
        snap, _grids, locked = self.session.redraw_inputs()
        title = title or tr("job.partition")

        def work(progress, cancelled):
            # ``gridtool partition PROJECT [--redraw]`` calls the same; ridges are measured there,
            # not on the GUI thread when the result is applied
            return fit_own_plan(snap, params, redraw=redraw, locked=locked, progress=progress, cancelled=cancelled)

        def done(fitted):
            self.session.apply_partition(fitted, text=undo_text)
            self._report_partition(fitted.report_)

        return self.run_job(title, work, done)

    def _report_partition(self, rep: dict) -> None:
        from ..partition.totals import grid_words
        plan = rep["plan"]
        grids = i18n.pick(*grid_words(rep.get("totals"), plan["grids"]))  # 基础网格 71 个、例外网格 1 个
        self.log_message(tr("log.partition", grids=grids, pct=plan.get("pct_within_bounds"),
                            sub=plan.get("subgrids", 0), special=plan.get("special_grids", 0),
                            pp=plan.get("mean_polsby_popper")))
        if rep.get("totals"):  # the one household total every output states
            from ..partition.totals import HouseholdTotals
            t = HouseholdTotals.from_dict(rep["totals"])
            self.log_message(i18n.pick(t.text_zh(), t.text_en()))
        from ..partition.report import terrain_words
        ridges = terrain_words(plan.get("terrain"))  # the line gridtool partition prints
        if ridges is not None:
            self.log_message(i18n.pick(*ridges))
        if plan.get("redraw"):
            r = plan["redraw"]
            if {"households_total", "codes_kept"} <= set(r):  # the lines gridtool partition --previous prints
                from ..partition.redraw_words import redraw_lines
                for zh, en in redraw_lines(r, rep.get("totals") or {}):
                    self.log_message(i18n.pick(zh, en))
            else:
                self.log_message(tr("log.redraw", hh=r.get("households_moved", r.get("households_changed", "?")),
                                    grids=r.get("grids_changed", "?")))
        from ..partition.report import remedy_of
        from .grid_panel import applied_text
        for v in plan.get("infeasible_villages", []):
            name = v.get("label") or v["village"]
            if remedy_of(v)["remedy"] in ("merge", "relax"):  # dealt with: say how, not "cannot be split"
                self.log_message(tr("log.remedied", village=name, n=v["households"], applied=applied_text(v)))
            else:
                self.log_message(tr("log.infeasible", village=name, n=v["households"]), "warning")
        if plan.get("infeasible_villages"):
            self.docks["grids"].raise_()

    def redraw_unlocked(self) -> None:
        s = self.session
        if s.plan is None:
            return
        self.run_partition(s.partition_parameters(), redraw=True, title=tr("job.redraw", n=len(s.plan.locked)),
                           undo_text="重绘未锁定网格 / redraw unlocked grids")

    def redraw_previous_dialog(self, path: str | None = None, *, params: dict | None = None):
        """网格 → 按上一版重绘…: last year's plan (a gridtool project, or grids from the county's
        platform), then its code column, grids to lock, CRS and the partition's parameters; the same
        redraw as ``gridtool partition --previous PATH --field previous.code=… --lock … --crs-in
        previous=…``. ``path``/``params``: skip the file dialog / start from these parameters."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, tr("redraw.previous_title"), settings().value("last_dir", ""),
                                                  tr("file.filter_previous"))
        if not path:
            return None
        path = self._previous_layer(str(path))
        if not path:
            return None
        from .redraw_dialog import RedrawDialog
        villages = self.session.project.layers.get("villages")
        try:
            dlg = RedrawDialog(path, villages.gdf if villages is not None else None,
                               params if params is not None else self.session.partition_parameters(), self)
        except GridtoolError as exc:  # a file that is no plan: say which and why
            QMessageBox.warning(self, tr("app.title"), exc.format(i18n.language()))
            return None
        dlg.accepted.connect(lambda: self.redraw_from_previous(
            path, params=dlg.params(), lock=dlg.locks(), code_field=dlg.code_field(), crs_in=dlg.crs_in()))
        dlg.open()
        return dlg

    def _previous_layer(self, path: str) -> str | None:
        """``PATH`` or ``PATH:LAYER``: a file of several layers where none is plainly the grids (a
        county platform's export with its grids and more polygons) asks which layer holds them, as
        ``--previous PATH:LAYER`` names it; None when the user cancels."""
        from ..errors import LayerNotFoundError
        from ..io.previous import _choose_layer
        from ..io.vector import split_path_layer
        file, layer = split_path_layer(path)
        if layer:
            return path
        try:
            _choose_layer(Path(file))
            return path
        except LayerNotFoundError:
            pass
        import pyogrio
        from PyQt6.QtWidgets import QInputDialog
        polygons = [str(n) for n, g in pyogrio.list_layers(file) if g and "polygon" in str(g).lower()]
        if not polygons:  # no polygon layer at all: the dialog's reading says so
            return path
        name, ok = QInputDialog.getItem(self, tr("redraw.previous_title"), tr("redraw.pick_layer", file=Path(file).name),
                                        polygons, 0, False)
        return f"{file}:{name}" if ok and name else None

    def redraw_from_previous(self, path: str, *, params: dict, lock=(), code_field: str | None = None,
                             crs_in: str | None = None):
        """Redraw this project's grids from the plan in ``path`` (``gridtool partition NEW
        --previous PATH``): :func:`gridtool.partition.yearly.fit_redraw` in the background, the
        ledger joined to that plan carried by code (one undo step). The log shows what the command
        prints about the previous plan and the redraw (:mod:`gridtool.partition.redraw_words`)."""
        from ..io.previous import read_previous
        from ..partition.redraw_words import previous_lines
        from ..partition.yearly import fit_redraw
        snap = self.session.materialized()
        lock = list(lock)

        def work(progress, cancelled):
            from ..partition.output import measure_ridges
            prev = read_previous(str(path), code_field=code_field, crs_in=crs_in)
            fitted = fit_redraw(snap, prev, params=params, lock=lock, progress=progress, cancelled=cancelled)
            measure_ridges(snap, fitted)  # here, not on the GUI thread when the result is applied
            return prev, fitted

        def done(result):
            prev, fitted = result
            self.session.apply_partition(fitted, text="按上一版重绘 / redraw from the previous plan", previous=prev)
            lines = previous_lines(prev, given_by=("在对话框中指定", "chosen in the dialog"))
            self.log_message(i18n.pick(*lines[0]))
            for p in prev.problems:
                self.log_message(p.format(i18n.language()), "warning")
            for zh, en in lines[1:]:
                self.log_message(i18n.pick(zh, en))
            self._report_partition(fitted.report_)

        return self.run_job(tr("job.redraw_previous"), work, done)

    def apply_remedy(self, village: str, kind: str, value) -> None:
        """Re-run the partition with a remedy for one village (merge / relax / keep as exception)."""
        # the rule is the engine's: ``gridtool partition --redraw --merge/--relax/--keep-exception`` uses it too
        from ..partition.remedy_params import RemedyPolicyError, with_remedy
        try:
            params = with_remedy(self.session.partition_parameters(), village, kind, value)
        except RemedyPolicyError:
            QMessageBox.information(self, tr("app.title"), tr("grids.remedy.keep_needs_policy"))
            return
        self.log_message(tr(f"log.remedy.{kind}", village=village, value=value if not isinstance(value, (list, tuple))
                            else f"{value[0]}–{value[1]}"))
        # A remedy for one village repairs the plan (as 重绘未锁定网格) instead of drawing every grid
        # anew: a new partition threw away the hand edits of every other village (2,014 households
        # of three villages changed grid on the Liechtenstein layout for one 268-household village).
        redraw = "grids" in self.session.project.layers
        self.run_partition(params, redraw=redraw, undo_text=f"处理 {village} / remedy for {village}")

    def join_dialog(self, path: str | None = None):
        """Join a table (网格员台账, 考核得分) to the grids: file, sheet, code column, columns."""
        from .join_dialog import open_join_dialog
        return open_join_dialog(self, path)

    def validate_plan(self) -> None:
        plan = self.session.plan
        if plan is None:
            return
        from ..layer_deps import PLAN, stored_out_of_date
        # a layer replaced since the grids were drawn: repeated here until they are redrawn
        problems = plan.validate() + stored_out_of_date(self.session.project, layers=PLAN)
        self.problems.set_problems(problems, "plan")
        self.open_dock("problems")
        self.log_message(tr("log.validated", n=len(problems)))

    def add_layer_dialog(self) -> None:
        """文件 → 添加/替换图层: ``gridtool import PROJECT.gpkg --ROLE FILE`` (:mod:`.add_layer_dialog`)."""
        from .add_layer_dialog import AddLayerDialog
        AddLayerDialog(self).open()

    def validate_data(self) -> None:
        from ..validate import validate
        p = self.session.project
        if p is None:
            return

        def work(progress, cancelled):
            return validate(p)

        def done(problems):
            p.problems = problems
            self.problems.set_problems(problems, "data")
            self.open_dock("problems")

        self.run_job(tr("job.validate"), work, done)

    # -- patrols ----------------------------------------------------------------------------------
    def patrol_dialog(self) -> None:
        from .patrol_dialog import PatrolDialog
        PatrolDialog(self).open()

    def circles_dialog(self, *, siting: bool = False):
        """Service circles and coverage (``gridtool coverage``); with ``siting`` new sites as well."""
        from .coverage_dialog import CoverageDialog
        dlg = CoverageDialog(self, siting=siting)
        dlg.open()
        return dlg

    def walk_dialog(self):
        """The street walk of grids (``gridtool walk``): the selected grid, or grids ticked in a list."""
        from .walk_dialog import WalkDialog
        dlg = WalkDialog(self)
        dlg.open()
        return dlg

    def seal_dialog(self):
        """Sealing the exits of an area (``gridtool seal``)."""
        from .seal_dialog import SealDialog
        dlg = SealDialog(self)
        dlg.open()
        return dlg

    # -- help -------------------------------------------------------------------------------------
    def about(self) -> None:
        from .. import __version__
        QMessageBox.about(self, tr("app.title"), tr("help.about_text", version=__version__))

    def show_log_path(self) -> None:
        from .paths import log_path
        QMessageBox.information(self, tr("app.title"), tr("help.log_text", path=str(log_path())))
