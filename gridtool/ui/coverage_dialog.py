"""Service circles, coverage of households or key places, and station siting: the app's face of
``gridtool coverage`` (``--minutes``, ``--mode``, ``--demand``, ``--sites N|auto``, ``--candidates``,
``--time-limit``, ``--snap``).

The work is :func:`gridtool.routing.coverage.analyse_coverage` on the background runner; the
result enters the project as layers (``circles``, ``sites``, ``uncovered``) in one undo step and
its report goes to the analysis panel, which exports what the command writes.
"""

from __future__ import annotations

import copy

from PyQt6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLineEdit,
                             QSpinBox, QVBoxLayout)

from ..errors import GridtoolError
from ..layers import Layer
from . import i18n
from .i18n import tr
from .patrol_dialog import _categories, _category_name, _RoutingDialog, category_boxes, log_graph, snap_box, snap_value

#: Candidate categories ticked at first, as ``--candidates`` defaults (when the places have them).
DEFAULT_CANDIDATES = ("townhall", "school", "market")


def parse_minutes(text: str) -> list[float]:
    """``"10 15"`` (also with commas) as minutes in the order typed, repeats dropped: the first is
    the siting time, as on the command line."""
    out: list[float] = []
    try:
        for x in text.replace(",", " ").replace("，", " ").replace("、", " ").split():
            m = float(x)
            if m not in out:
                out.append(m)
    except ValueError:
        out = []
    if not out or min(out) <= 0:
        raise GridtoolError("分钟数应为正数，例如 10 15", "minutes must be positive numbers, e.g. 10 15",
                            fix_zh="用空格分隔多个时间；第一个时间用于选址。",
                            fix_en="separate several times with spaces; the first is used for siting.")
    return out


class CoverageDialog(_RoutingDialog):
    """Stations, minutes, travel mode, what to cover, and optionally new sites among candidates."""

    def __init__(self, window, *, siting: bool = False):
        super().__init__(window)
        p = self.project
        self.setWindowTitle(tr("coverage.title_siting" if siting else "coverage.title"))
        # 10 as `gridtool coverage` defaults to (the 10分钟服务圈 of the field); more rings typed: 10 30.
        self.minutes = QLineEdit("10")
        self.minutes.setPlaceholderText("10 30")
        self.demand = QComboBox()
        if "households" in p.layers and len(p.layers["households"].gdf):
            self.demand.addItem(tr("coverage.demand_households"), "households")
        if "places" in p.layers and len(p.layers["places"].gdf):
            self.demand.addItem(tr("coverage.demand_places"), "places")
            seen = set()  # categories match without regard to case, as on the command line
            for c in _categories(p):
                if c.lower() in seen:
                    continue
                seen.add(c.lower())
                self.demand.addItem(tr("coverage.demand_category", category=_category_name(c)), f"places:{c}")
        self.demand.addItem(tr("coverage.demand_none"), "")
        self.siting = QGroupBox(tr("coverage.siting"))
        self.siting.setCheckable(True)
        self.siting.setChecked(siting)
        self.sites_kind = QComboBox()
        self.sites_kind.addItem(tr("coverage.sites_n"), "n")
        self.sites_kind.addItem(tr("coverage.sites_auto"), "auto")
        if siting:
            self.sites_kind.setCurrentIndex(1)
        self.sites_n = QSpinBox()
        self.sites_n.setRange(1, 200)
        self.sites_n.setValue(3)
        self.sites_kind.currentIndexChanged.connect(lambda _: self.sites_n.setEnabled(self.sites_kind.currentData() == "n"))
        self.sites_n.setEnabled(self.sites_kind.currentData() == "n")
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(1, 600)
        self.time_limit.setValue(30)
        self.time_limit.setSuffix(" " + tr("common.seconds"))
        self.snap = snap_box()
        cats = _categories(p)
        some_default = any(c in DEFAULT_CANDIDATES for c in cats)
        self.candidates, grid = category_boxes(cats, lambda c: c in DEFAULT_CANDIDATES or not some_default)
        cand_box = QGroupBox(tr("coverage.candidates"))
        cand_box.setLayout(grid)
        sform = QFormLayout()
        sform.addRow(tr("coverage.sites"), self.sites_kind)
        sform.addRow(tr("coverage.sites_count"), self.sites_n)
        sform.addRow(tr("patrol.time_limit"), self.time_limit)
        slay = QVBoxLayout(self.siting)
        slay.addLayout(sform)
        slay.addWidget(cand_box)
        form = QFormLayout()
        form.addRow(tr("patrol.stations"), self.station_cat)
        form.addRow(tr("circles.minutes"), self.minutes)
        form.addRow(tr("patrol.mode"), self.mode)
        form.addRow(tr("patrol.snap"), self.snap)
        form.addRow(tr("patrol.speeds"), self.speed_row())
        form.addRow(tr("coverage.demand"), self.demand)
        self._finish_layout(form, self.siting)

    def sites(self) -> int | str | None:
        """``--sites``: None without siting, else N or ``"auto"``."""
        if not self.siting.isChecked():
            return None
        return "auto" if self.sites_kind.currentData() == "auto" else int(self.sites_n.value())

    def start(self) -> None:
        from ..routing.coverage import analyse_coverage
        from ..routing.demand import make_demand
        from ..routing.project_layers import candidate_sites
        w = self.window
        p = self.project
        mins = parse_minutes(self.minutes.text())
        stations = self._stations()
        spec = self.demand.currentData() or None
        sites = self.sites()
        if sites and spec is None:
            raise GridtoolError("选址需要覆盖对象：住户或重点场所", "siting needs demand: households or places",
                                fix_zh="在“覆盖对象”中选择住户或重点场所。", fix_en="choose households or places to cover.")
        demand = make_demand(p, spec) if spec else None
        cand = None
        if sites:
            ticked = [c for c, cb in self.candidates.items() if cb.isChecked()]
            if not ticked:
                raise GridtoolError("没有勾选候选点类别", "no candidate categories ticked",
                                    fix_zh="至少勾选一类重点场所作为候选点。", fix_en="tick at least one category of places.")
            cand = candidate_sites(p, ",".join(ticked))
        villages = p.layers["villages"].gdf if "villages" in p.layers else None
        build = self._graph_builder(snap_value(self.snap))
        time_limit = self.time_limit.value()

        def work(progress, cancelled):
            graph = build(progress, cancelled)
            return graph, analyse_coverage(graph, stations, minutes=mins, demand=demand, candidates=cand, sites=sites,
                                           time_limit=time_limit, villages=villages, progress=progress,
                                           cancelled=cancelled)

        def done(result):
            graph, coverage = result
            log_graph(w, graph, self.speed_lines)  # as gridtool coverage prints: the graph (--snap), then the coverage
            show_coverage(w, coverage)

        w.run_job(tr("job.siting" if sites else "job.circles"), work, done)


def show_coverage(window, result) -> None:
    """Put a coverage result into the project (one undo step), the analysis panel and the log."""
    w = window
    params = copy.deepcopy(w.session.project.parameters)
    d = result.demand
    if d is not None and d.kind == "households":
        # the routes panel's coverage lines (households only, as before)
        params["coverage"] = [{"minutes": c.minutes, "mode": result.mode, "share": c.share, "covered_hh": c.covered,
                               "total_hh": c.total} for c in result.per_minute]
    else:
        params.pop("coverage", None)
    from ..layer_deps import remade
    remade(params, ("circles",))  # drawn from today's inputs
    first = result.per_minute[0].uncovered if result.per_minute else None
    new = result.siting.new_sites if result.siting is not None else None  # the stations are drawn already
    layers = {"circles": Layer(role="circles", gdf=result.circles, source="gridtool coverage"),
              "sites": Layer(role="sites", gdf=new, source="gridtool coverage") if new is not None and len(new) else None,
              "uncovered": (Layer(role="uncovered", gdf=first, source="gridtool coverage")
                            if first is not None and len(first) else None)}
    w.session.replace_layers(layers, text="服务圈与覆盖 / coverage", parameters=params)
    w.analysis.show_coverage(result)
    if len(result.circles):
        w.canvas.zoom_to_bounds(tuple(result.circles.total_bounds), margin=0.05)
    for line in result.summary(i18n.language()).splitlines():
        w.log_message(line)
    w.docks["analysis"].raise_()
