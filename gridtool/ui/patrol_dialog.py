"""Patrol routes, and the base of every routing dialog (stations, travel mode, the road graph built
on the worker): runs go to the background job runner.

The routing itself is :func:`gridtool.routing.patrol.plan_patrol`; the routes enter the project as
layers (``routes``/``route_stops``) in one undo step. Coverage and siting are in
:mod:`.coverage_dialog`, sealing exits in :mod:`.seal_dialog`.
"""

from __future__ import annotations

from PyQt6.QtCore import QTime
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                             QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLayout, QLineEdit, QSpinBox, QTimeEdit,
                             QVBoxLayout)

from ..errors import CancelledError, GridtoolError
from ..layers import Layer
from ..routing.modes import MODES
from . import i18n
from .i18n import tr
from .more_options import MoreOptions
from .screen import scroll_when_tall


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
    #: the dialog starts from stations (patrol, coverage, sealing; not the street walk)
    needs_stations = True

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
        # --speed CLASS=KMH (repeatable) and --no-maxspeed, as every routing command takes them
        self.speeds = QLineEdit()
        self.speeds.setPlaceholderText(tr("patrol.speeds_placeholder"))
        self.speeds.setToolTip(tr("patrol.speeds_tip"))
        self.maxspeed = QCheckBox(tr("patrol.maxspeed"))
        self.maxspeed.setChecked(True)
        self.maxspeed.setToolTip(tr("patrol.maxspeed_tip"))
        self.speed_lines: list[tuple[str, str]] = []
        if self.needs_stations and not self.station_cat.count():  # said at once, not after 运行
            self.error.setText(_no_stations().format(i18n.language()))
        scroll_when_tall(self, self.buttons)  # the layout comes from the subclass: wrapped when polished

    def speed_row(self) -> QHBoxLayout:
        """The speeds by road class and the use of the roads' speed limits, as one form row."""
        row = QHBoxLayout()
        row.addWidget(self.speeds, 1)
        row.addWidget(self.maxspeed)
        return row

    def _stations(self):
        from ..routing.project_layers import stations_of
        cat = self.station_cat.currentData()
        if not cat:
            if "stations" in self.project.layers and len(self.project.layers["stations"].gdf):
                return self.project.layers["stations"].gdf
            # no stations layer and no places to take them from (a township's 三调 layers alone)
            raise _no_stations()
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
        from ..routing.patrol_options import parse_speeds, speed_lines
        roads, mode, dem = self.project.layers["roads"].gdf, self.mode.currentData(), self.project.dem
        speeds = parse_speeds(self.speeds.text(), mode)  # a bad entry is refused here, before the job
        maxspeed = self.maxspeed.isChecked()
        self.speed_lines = speed_lines(speeds, mode, self.speeds.text())

        def build(progress, cancelled):
            progress(0.05, tr("patrol.building_graph"))
            graph = build_graph(roads, mode=mode, dem=dem, snap_tolerance=snap, speeds=speeds, maxspeed=maxspeed)
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


def _no_stations() -> GridtoolError:
    """Neither a stations layer nor places: the app's words for what ``stations_of`` says with
    command-line options."""
    return GridtoolError(
        "没有站点：项目中既无站点图层，也无可作站点的重点场所（如派出所）",
        "no stations: the project has neither a stations layer nor places to start from (a police station)",
        fix_zh="在“文件 → 新建项目”向导中连同其他图层加入站点图层（派出所、服务站）或含派出所的重点场所图层；"
               "已划好的网格可用“网格 → 按上一版重绘”从本项目带过去。",
        fix_en="load a stations layer (police or service stations), or places with police stations, with the other "
               "layers in the File → New project wizard; bring the grids drawn here over with Grid → Redraw from "
               "the previous plan.", layer="stations")


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


def log_graph(window, graph, speed_lines=()) -> None:
    """As every routing command prints first: the road graph's warnings (line ends left open that
    ``--snap`` would join, gaps joined), how it was noded and snapped, and the speeds set by class."""
    for p in graph.problems:
        window.log_message(p.format(i18n.language()), "warning")
    for line in graph.report(i18n.language()).splitlines():
        window.log_message(line)
    log_lines(window, speed_lines)


def log_lines(window, lines) -> None:
    """``(zh, en)`` lines of the core, as the command prints them in the app's language."""
    lang = i18n.language()
    for zh, en in lines:
        window.log_message(zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}")


class PatrolDialog(_RoutingDialog):
    """Stations (and one depot), places to visit, incident hot spots, teams, shift, start, dwell, mode;
    under 更多选项 the workload limit, speeds by road class and snapping of CAD line ends — the options
    of ``gridtool patrol``, passed to the same core calls."""

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
        self.time_limit.setRange(0.5, 600)
        self.time_limit.setValue(30.0)  # a safety cap as gridtool patrol --time-limit: the search stops on iterations
        self.time_limit.setSuffix(" " + tr("common.seconds"))
        self.snap = snap_box()
        # --depot NAME: every team starts from one station of those chosen above
        self.depot = QComboBox()
        self.depot.setToolTip(tr("patrol.depot_tip"))
        self.station_cat.currentIndexChanged.connect(self._fill_depots)
        self._fill_depots()
        # --max-stops N: 0 is no limit
        self.max_stops = QSpinBox()
        self.max_stops.setRange(0, 1000)
        self.max_stops.setSpecialValueText(tr("patrol.no_limit"))
        self.cats, grid = category_boxes([x for x in _categories(self.project) if x != "police"], lambda c: True)
        places = QGroupBox(tr("patrol.places"))
        places.setLayout(grid)
        self.hot_box = self._hotspot_box()
        form = QFormLayout()
        form.addRow(tr("patrol.stations"), self.station_cat)
        form.addRow(tr("patrol.depot"), self.depot)
        form.addRow(tr("patrol.teams"), self.teams)
        form.addRow(tr("patrol.shift"), self.shift)
        form.addRow(tr("patrol.start"), self.start_time)
        form.addRow(tr("patrol.dwell"), self.dwell)
        form.addRow(tr("patrol.mode"), self.mode)
        self.more = MoreOptions()
        self.more.form.addRow(tr("patrol.max_stops"), self.max_stops)
        self.more.form.addRow(tr("patrol.speeds"), self.speed_row())
        self.more.form.addRow(tr("patrol.snap"), self.snap)
        self.more.form.addRow(tr("patrol.time_limit"), self.time_limit)
        self.more.form.addRow(self.balance)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.more)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(places)
        if self.hot_box is not None:
            right.addWidget(self.hot_box)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self._finish_layout(columns)

    def _fill_depots(self) -> None:
        """全部站点 and the names of the stations chosen (``--depot`` takes one)."""
        from ..routing.circles import _names
        self.depot.clear()
        self.depot.addItem(tr("patrol.all_stations"), None)
        try:
            stations = self._stations()
        except GridtoolError:
            return
        for name in dict.fromkeys(_names(stations, "站点")):
            self.depot.addItem(name, name)

    def _hotspot_box(self) -> QGroupBox | None:
        """Hot spots of the incidents layer (unticked: ``--no-hotspots``): bandwidth, how many and the
        categories (``--category``; all ticked: every call)."""
        from ..routing.patrol_options import incident_categories
        inc = self.project.layers.get("incidents")
        if inc is None or not len(inc.gdf):
            return None
        box = QGroupBox(tr("patrol.hotspots"))
        box.setCheckable(True)
        box.setChecked(True)  # as the command: hot spots whenever there are incidents
        box.setToolTip(tr("patrol.hotspots_tip"))
        self.bandwidth = QDoubleSpinBox()
        self.bandwidth.setRange(10, 5000)
        self.bandwidth.setSingleStep(10)
        self.bandwidth.setDecimals(0)
        self.bandwidth.setValue(150)
        self.bandwidth.setSuffix(" " + tr("common.metres"))
        self.max_hotspots = QSpinBox()
        self.max_hotspots.setRange(1, 500)
        self.max_hotspots.setValue(20)
        self.hotspot_dwell = QDoubleSpinBox()
        self.hotspot_dwell.setRange(0, 240)
        self.hotspot_dwell.setValue(12)
        self.hotspot_dwell.setSuffix(" " + tr("common.minutes"))
        self.hotspot_dwell.setToolTip(tr("patrol.hotspot_dwell_tip"))
        f = QFormLayout(box)
        f.addRow(tr("patrol.bandwidth"), self.bandwidth)
        f.addRow(tr("patrol.max_hotspots"), self.max_hotspots)
        f.addRow(tr("patrol.hotspot_dwell"), self.hotspot_dwell)
        self.incident_cats: dict[str, QCheckBox] = {}
        cats = incident_categories(inc)
        if cats:
            grid = QGridLayout()
            for i, c in enumerate(cats):
                cb = QCheckBox(c)
                cb.setChecked(True)
                self.incident_cats[c] = cb
                grid.addWidget(cb, i // 3, i % 3)
            f.addRow(QLabel(tr("patrol.incident_categories")))
            f.addRow(grid)
        return box

    def hotspot_category(self) -> str | None:
        """The ticked incident categories as ``--category`` takes them; None when all are ticked."""
        boxes = getattr(self, "incident_cats", {})
        keep = [c for c, cb in boxes.items() if cb.isChecked()]
        if len(keep) == len(boxes):
            return None
        if not keep:
            raise GridtoolError("没有选中警情类别", "no incident category chosen",
                                fix_zh="至少勾选一类警情，或取消“按警情热点巡逻”。",
                                fix_en="tick at least one category, or untick the hot spots.", layer="incidents")
        return ",".join(keep)

    def start(self) -> None:
        from ..routing.patrol import pick_depot, plan_patrol
        from ..routing.patrol_options import incident_share_line, patrol_hotspots
        from ..routing.project_layers import patrol_options, places_to_visit
        w = self.window
        p = self.project
        hot = self.hot_box is not None and self.hot_box.isChecked()
        if "places" not in p.layers and not hot:
            raise GridtoolError("没有重点场所图层", "there is no places layer", fix_zh="先导入重点场所。",
                                fix_en="import the key places first.", layer="places")
        stations = pick_depot(self._stations(), self.depot.currentData())
        keep = [c for c, cb in self.cats.items() if cb.isChecked()]
        if self.cats and not keep:
            raise GridtoolError("没有选中要巡查的场所", "no places chosen to visit", fix_zh="至少勾选一类场所。",
                                fix_en="tick at least one category.")
        # the ticked categories, as gridtool patrol --place-category takes them
        places = places_to_visit(p, keep if self.cats else None) if "places" in p.layers else None
        category = self.hotspot_category() if hot else None
        build = self._graph_builder(snap_value(self.snap))
        common = dict(teams=self.teams.value(), shift_minutes=float(self.shift.value()),
                      start=self.start_time.time().toString("HH:mm"), dwell_minutes=self.dwell.value(),
                      max_stops=self.max_stops.value() or None, balance=self.balance.isChecked(),
                      time_limit=self.time_limit.value())
        hot_kw = dict(bandwidth=self.bandwidth.value(), max_spots=self.max_hotspots.value(),
                      category=category) if hot else None
        hot_dwell = self.hotspot_dwell.value() if hot else 12.0
        # stored as gridtool patrol stores them (parameters["patrol"])
        options = patrol_options(teams=common["teams"], shift=common["shift_minutes"], start=common["start"],
                                 mode=self.mode.currentData(), depot=self.depot.currentData(), dwell=common["dwell_minutes"])
        project = p

        def work(progress, cancelled):
            graph = build(progress, cancelled)
            hs, incidents, lines = patrol_hotspots(project, graph, **hot_kw) if hot_kw else (None, None, [])
            if cancelled():
                raise CancelledError()
            progress(0.3, tr("patrol.solving"))
            plan = plan_patrol(graph, stations, places, hotspots=hs, hotspot_dwell=hot_dwell, strict=False,
                               progress=progress, cancelled=cancelled, **common)
            share = incident_share_line(graph, stations, places, plan, hs, incidents, common=common) if hs else None
            return plan, graph, hs, lines, share

        def done(result):
            plan, graph, hs, lines, share = result
            layers = {"routes": Layer(role="routes", gdf=plan.routes, source="gridtool patrol"),
                      "route_stops": Layer(role="route_stops", gdf=plan.stops, source="gridtool patrol"),
                      # as add_routes_to_project: the hot spots the plan visited, or none left stale
                      "hotspots": (Layer(role="hotspots", gdf=plan.hotspots, source="gridtool patrol")
                                   if plan.hotspots is not None else None)}
            params = _patrol_parameters(w.session.project.parameters, plan, hs, share, options)
            w.session.replace_layers(layers, text="巡逻路线 / patrol routes", parameters=params)
            log_graph(w, graph, self.speed_lines)  # as gridtool patrol prints: the graph, hot spots, the plan
            log_lines(w, lines)
            if hs is not None:
                for line in hs.summary(i18n.language()).splitlines():
                    w.log_message(line)
            for line in plan.summary(i18n.language()).splitlines():
                w.log_message(line)
            if share is not None:
                log_lines(w, [share[0]])
            w.docks["routes"].raise_()

        w.run_job(tr("job.patrol"), work, done)


def _patrol_parameters(parameters: dict, plan, hotspots, share, options: dict | None = None) -> dict:
    """The project's parameters after a patrol, as the command stores them: the options planned with
    (:func:`~gridtool.routing.project_layers.patrol_options`), the hot spots' figures (the HTML map
    states them) and the share of incidents near the routes."""
    import copy
    out = copy.deepcopy(parameters)
    if options is not None:
        out["patrol"] = options
    if plan.hotspots is not None and hotspots is not None:
        out["hotspots"] = hotspots.record()
    else:
        out.pop("hotspots", None)
    if share is not None:
        out["patrol_incident_share_100m"] = share[1]
    # as add_routes_to_project: the places left out, shown under the routes (the log is closed on a laptop)
    out["patrol_unserved"] = plan.unserved_record()
    from ..layer_deps import remade
    remade(out, ("routes", "route_stops", "hotspots"))  # planned on today's inputs
    return out
