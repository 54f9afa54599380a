"""网格街巷巡查路线 (street walk of grids): the app's face of ``gridtool walk``.

The grid(s) to walk (the selected grid ticked by default), the number of walkers, the start time
on the card, the travel mode and the joining of road line ends, as ``--grid``, ``--walkers``,
``--start``, ``--mode`` and ``--snap``. The walk starts where the command starts it: at a station
inside the grid, else at the junction nearest the grid's centre.

The walk is :func:`gridtool.routing.walks.plan_grid_walks` on the background runner, the same
function the command calls; it enters the project as layers ``walk`` and ``walk_steps`` in one
undo step, its summary lines (:func:`gridtool.routing.walks.walk_summary`, the console's wording)
go to the log, and the routes panel lists each walker's streets. 文件 → 导出 → 街巷巡查路线文件
writes the command's files (:func:`gridtool.maps.route_files.write_project_walks`).
"""

from __future__ import annotations

import math
from dataclasses import replace

from PyQt6.QtCore import Qt, QTime
from PyQt6.QtWidgets import QFormLayout, QLabel, QListWidget, QListWidgetItem, QSpinBox, QTimeEdit

from ..errors import CancelledError, GridtoolError
from . import i18n
from .i18n import tr
from .patrol_dialog import _RoutingDialog, log_graph, snap_box, snap_value


def grid_codes(project) -> list[str]:
    """The codes of the base grids and special grids a walk can be made of."""
    out: list[str] = []
    for role in ("grids", "special_grids"):
        lyr = project.layers.get(role)
        if lyr is not None and "code" in lyr.gdf:
            out += [c for c in lyr.gdf["code"].astype(str) if c not in out]
    return out


def selected_grid(window) -> str | None:
    """The grid the user has selected: the grid being edited, else the first grid selected on the map."""
    p = window.session.project
    target = getattr(window.editor, "target", None)
    if target:
        return str(target)
    idx = window.canvas.selection.get("grids")
    if p is not None and idx is not None and len(idx) and "grids" in p.layers and "code" in p.layers["grids"].gdf:
        return str(p.layers["grids"].gdf["code"].iat[int(idx[0])])
    return None


class WalkDialog(_RoutingDialog):
    """Grids (ticked in a list), walkers, start time, travel mode, snapping of CAD line ends."""

    needs_stations = False  # walkers start on the grid's own streets

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle(tr("walk.title"))
        self.grids = QListWidget()
        chosen = selected_grid(window)
        for code in grid_codes(self.project):
            it = QListWidgetItem(code)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if code == chosen else Qt.CheckState.Unchecked)
            self.grids.addItem(it)
            if code == chosen:
                self.grids.setCurrentItem(it)
        self.grids.setMinimumHeight(120)
        self.walkers = QSpinBox()
        self.walkers.setRange(1, 20)
        self.walkers.setValue(1)
        self.start_time = QTimeEdit(QTime(8, 0))
        self.start_time.setDisplayFormat("HH:mm")
        self.snap = snap_box()
        start = QLabel(tr("walk.start_point_text"))
        start.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("walk.grids"), self.grids)
        form.addRow(tr("walk.walkers"), self.walkers)
        form.addRow(tr("walk.start_time"), self.start_time)
        form.addRow(tr("walk.start_point"), start)
        form.addRow(tr("patrol.mode"), self.mode)
        form.addRow(tr("patrol.snap"), self.snap)
        form.addRow(tr("patrol.speeds"), self.speed_row())
        self._finish_layout(form)

    def chosen_codes(self) -> list[str]:
        return [self.grids.item(i).text() for i in range(self.grids.count())
                if self.grids.item(i).checkState() == Qt.CheckState.Checked]

    def start(self):
        from ..routing.project_layers import grid_areas
        from ..routing.walks import plan_grid_walks, walk_options
        w = self.window
        codes = self.chosen_codes()
        if not codes:
            raise GridtoolError("没有选择网格", "no grid chosen", fix_zh="在列表中至少勾选一个网格。",
                                fix_en="tick at least one grid in the list.", layer="grids")
        areas = grid_areas(self.project, codes)  # as --grid: an unknown code fails here
        if "roads" not in self.project.layers:
            raise GridtoolError("没有道路图层", "there is no roads layer", fix_zh="先导入道路。",
                                fix_en="import the roads first.", layer="roads")
        build = self._graph_builder(snap_value(self.snap))
        walkers = self.walkers.value()
        start = self.start_time.time().toString("HH:mm")
        mode = self.mode.currentData()
        project = replace(self.project, layers=dict(self.project.layers))  # the layers as they are now

        def work(progress, cancelled):
            graph = build(progress, cancelled)
            progress(0.3, tr("walk.solving"))
            walks = plan_grid_walks(project, graph, areas, walkers=walkers,
                                    progress=lambda f, m: progress(0.3 + 0.7 * f, m), cancelled=cancelled)
            if cancelled():
                raise CancelledError()
            return graph, walks

        def done(result):
            graph, walks = result
            show_walks(w, walks, graph, walk_options(grids=codes, walkers=walkers, start=start, mode=mode),
                       speed_lines=self.speed_lines)

        return w.run_job(tr("job.walk"), work, done)


def show_walks(window, walks, graph=None, settings: dict | None = None, *, speed_lines=()) -> None:
    """Put the walks into the project as ``gridtool walk`` stores them
    (:func:`gridtool.routing.walks.add_walks_to_project`: layers ``walk`` and ``walk_steps``, the
    ``settings`` of :func:`~gridtool.routing.walks.walk_options`; one undo step), the
    map, the routes panel and the log (the graph's lines, then the command's summary lines)."""
    import copy

    from ..routing.walks import add_walks_to_project, walk_summary
    w = window
    # the layers and parameters gridtool walk stores, made on a copy: the session applies them as one undo step
    p = w.session.project
    scratch = replace(p, layers={}, parameters=copy.deepcopy(p.parameters))
    add_walks_to_project(scratch, walks, dict(settings or {}))
    w.session.replace_layers(dict(scratch.layers), text="网格街巷巡查路线 / street walk", parameters=scratch.parameters)
    layers = {r: lyr.gdf for r, lyr in scratch.layers.items()}
    if graph is not None:
        log_graph(w, graph, speed_lines)  # as gridtool walk prints: the graph (--snap), then the walks
    lang = i18n.language()
    for gw in walks:
        for zh, en in walk_summary(gw):
            w.log_message(zh if lang == "zh" else en)
    b = layers["walk"].total_bounds
    if len(layers["walk"]) and all(map(math.isfinite, b)):
        w.canvas.zoom_to_bounds(tuple(b), margin=0.15)
    w.docks["routes"].raise_()
