"""Patrol routes, and the base of every routing dialog (stations, travel mode, the road graph built
on the worker): runs go to the background job runner.

The routing itself is :func:`gridtool.routing.patrol.plan_patrol`; the routes enter the project as
layers (``routes``/``route_stops``) in one undo step. Coverage and siting are in
:mod:`.coverage_dialog`, sealing exits in :mod:`.seal_dialog`.
"""

from __future__ import annotations

from PyQt6.QtCore import QTime
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                             QGridLayout, QGroupBox, QLabel, QLayout, QSpinBox, QTimeEdit, QVBoxLayout)

from ..errors import CancelledError, GridtoolError
from ..layers import Layer
from ..routing.modes import MODES
from . import i18n
from .i18n import tr


def _categories(project) -> list[str]:
    places = project.layers.get("places")
    if places is None or "category" not in places.gdf:
        return []
    return sorted({str(c) for c in places.gdf["category"].dropna()})


def _category_name(c: str) -> str:
    key = f"category.{c}"
    t = tr(key)
    return c if t == key else t


def category_boxes(categories, checked) -> tuple[dict[str, QCheckBox], QGridLayout]:
    """One check box per place category (3 a row; "School" and "school" once), ticked where
    ``checked(category)``: the patrol's places and the siting's candidates."""
    boxes: dict[str, QCheckBox] = {}
    grid = QGridLayout()
    seen: set[str] = set()
    for c in categories:
        if c.lower() in seen:
            continue
        seen.add(c.lower())
        cb = QCheckBox(_category_name(c))
        cb.setChecked(bool(checked(c)))
        grid.addWidget(cb, len(boxes) // 3, len(boxes) % 3)
        boxes[c] = cb
    return boxes, grid


class _RoutingDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.project = window.session.project
        self.mode = QComboBox()
        for m in MODES:
            self.mode.addItem(tr(f"mode.{m}"), m)
        self.station_cat = QComboBox()
        has_stations = "stations" in self.project.layers and len(self.project.layers["stations"].gdf)
        if has_stations:
            self.station_cat.addItem(tr("patrol.stations_layer"), "")
        for c in _categories(self.project):
            self.station_cat.addItem(_category_name(c), c)
        i = self.station_cat.findData("police")
        if not has_stations and i >= 0:
            self.station_cat.setCurrentIndex(i)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("common.run"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        self.buttons.accepted.connect(self._run)
        self.buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setStyleSheet("color: rgb(190,30,30)")
        self.error.setWordWrap(True)

    def _stations(self):
        from ..routing.project_layers import stations_of
        cat = self.station_cat.currentData()
        if not cat:
            return self.project.layers["stations"].gdf
        return stations_of(self.project if "stations" not in self.project.layers else _without_stations(self.project),
                           category=cat)

    def _finish_layout(self, *rows) -> None:
        lay = QVBoxLayout(self)
        for r in rows:
            (lay.addLayout if isinstance(r, QLayout) else lay.addWidget)(r)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)

    def _graph_builder(self, snap: float | None = None):
        """``build(progress, cancelled)`` for the worker: the road graph in the chosen mode (inputs read
        now); ``snap`` as ``--snap`` (None: the command's default for the layer)."""
        from ..routing.graph import build_graph
        roads, mode, dem = self.project.layers["roads"].gdf, self.mode.currentData(), self.project.dem

        def build(progress, cancelled):
            progress(0.05, tr("patrol.building_graph"))
            graph = build_graph(roads, mode=mode, dem=dem, snap_tolerance=snap)
            if cancelled():
                raise CancelledError()
            return graph
        return build

    def _run(self) -> None:
        try:
            self.start()
        except GridtoolError as exc:
            self.error.setText(exc.format(i18n.language()))
            return
        self.accept()


def _without_stations(project):
    from dataclasses import replace
    p = replace(project, layers={k: v for k, v in project.layers.items() if k != "stations"})
    return p


def snap_box() -> QDoubleSpinBox:
    """``--snap M`` as a spin box: metres, or 自动 (its lowest value) for the command's default."""
    box = QDoubleSpinBox()
    box.setRange(-1, 50)  # -1: auto (3 m for a CAD-like layer, 0 for a noded one)
    box.setDecimals(1)
    box.setSingleStep(1)
    box.setValue(-1)
    box.setSuffix(" " + tr("common.metres"))
    box.setSpecialValueText(tr("patrol.snap_auto"))
    box.setToolTip(tr("patrol.snap_tip"))
    return box


def snap_value(box: QDoubleSpinBox) -> float | None:
    """The ``snap`` of :func:`gridtool.routing.project_layers.road_graph`: None for 自动."""
    return None if box.value() < 0 else float(box.value())


def log_graph(window, graph) -> None:
    """As every routing command prints first: the road graph's warnings (line ends left open that
    ``--snap`` would join, gaps joined), then how it was noded and snapped."""
    for p in graph.problems:
        window.log_message(p.format(i18n.language()), "warning")
    for line in graph.report(i18n.language()).splitlines():
        window.log_message(line)


class PatrolDialog(_RoutingDialog):
    """Stations, places to visit, teams, shift, start, dwell, mode, snapping of CAD line ends."""

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle(tr("patrol.title"))
        self.teams = QSpinBox()
        self.teams.setRange(1, 50)
        self.teams.setValue(2)
        self.shift = QSpinBox()
        self.shift.setRange(10, 24 * 60)
        self.shift.setValue(240)
        self.shift.setSuffix(" " + tr("common.minutes"))
        self.start_time = QTimeEdit(QTime(8, 0))
        self.start_time.setDisplayFormat("HH:mm")
        self.dwell = QDoubleSpinBox()
        self.dwell.setRange(0, 240)
        self.dwell.setValue(5)
        self.dwell.setSuffix(" " + tr("common.minutes"))
        self.balance = QCheckBox(tr("patrol.balance"))
        self.balance.setChecked(True)
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(0.5, 120)
        self.time_limit.setValue(2.0)
        self.time_limit.setSuffix(" " + tr("common.seconds"))
        self.snap = snap_box()
        self.cats, grid = category_boxes([x for x in _categories(self.project) if x != "police"], lambda c: True)
        places = QGroupBox(tr("patrol.places"))
        places.setLayout(grid)
        form = QFormLayout()
        form.addRow(tr("patrol.stations"), self.station_cat)
        form.addRow(tr("patrol.teams"), self.teams)
        form.addRow(tr("patrol.shift"), self.shift)
        form.addRow(tr("patrol.start"), self.start_time)
        form.addRow(tr("patrol.dwell"), self.dwell)
        form.addRow(tr("patrol.mode"), self.mode)
        form.addRow(tr("patrol.snap"), self.snap)
        form.addRow(tr("patrol.time_limit"), self.time_limit)
        form.addRow(self.balance)
        self._finish_layout(form, places)

    def start(self) -> None:
        from ..routing.patrol import plan_patrol
        w = self.window
        p = self.project
        if "places" not in p.layers:
            raise GridtoolError("没有重点场所图层", "there is no places layer", fix_zh="先导入重点场所。",
                                fix_en="import the key places first.", layer="places")
        from ..routing.project_layers import places_to_visit
        stations = self._stations()
        keep = [c for c, cb in self.cats.items() if cb.isChecked()]
        if self.cats and not keep:
            raise GridtoolError("没有选中要巡查的场所", "no places chosen to visit", fix_zh="至少勾选一类场所。",
                                fix_en="tick at least one category.")
        # the ticked categories, as gridtool patrol --place-category takes them
        places = places_to_visit(p, keep if self.cats else None)
        build = self._graph_builder(snap_value(self.snap))
        kw = dict(teams=self.teams.value(), shift_minutes=float(self.shift.value()),
                  start=self.start_time.time().toString("HH:mm"), dwell_minutes=self.dwell.value(),
                  balance=self.balance.isChecked(), time_limit=self.time_limit.value(), strict=False)

        def work(progress, cancelled):
            graph = build(progress, cancelled)
            progress(0.3, tr("patrol.solving"))
            plan = plan_patrol(graph, stations, places, progress=progress, cancelled=cancelled, **kw)
            return plan, graph

        def done(result):
            plan, graph = result
            w.session.replace_layers(
                {"routes": Layer(role="routes", gdf=plan.routes, source="gridtool patrol"),
                 "route_stops": Layer(role="route_stops", gdf=plan.stops, source="gridtool patrol")},
                text="巡逻路线 / patrol routes")
            log_graph(w, graph)  # as gridtool patrol prints: the graph (--snap), then the plan
            for line in plan.summary(i18n.language()).splitlines():
                w.log_message(line)
            w.docks["routes"].raise_()

        w.run_job(tr("job.patrol"), work, done)
