"""The routes panel: patrol routes per team and street walks per grid and walker, the ordered
stops (or streets) of the chosen one, and the service-circle coverage figures."""

from __future__ import annotations

import re

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QLabel, QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from .i18n import tr
from .render import qcolor
from .strings import STRINGS
from .styles import TEAM_COLOURS


class RoutePanel(QWidget):
    """Signals: ``zoomTo(bounds)``."""

    zoomTo = pyqtSignal(object)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.routes = QTreeWidget()
        self.routes.setRootIsDecorated(False)
        self.routes.currentItemChanged.connect(lambda *_: self._fill_stops())
        self.routes.itemDoubleClicked.connect(lambda it, _c: self.zoomTo.emit(it.data(0, Qt.ItemDataRole.UserRole + 1)))
        self.stops = QTreeWidget()
        self.stops.setRootIsDecorated(False)
        self.coverage = QLabel()
        self.coverage.setWordWrap(True)
        # the places the plan left out (must-visit ones in red): in the log alone, which a laptop's
        # layout keeps closed, an officer printed cards that skipped 17 schools without knowing
        self.unserved = QLabel()
        self.unserved.setWordWrap(True)
        self.unserved.setTextFormat(Qt.TextFormat.PlainText)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.routes)
        split.addWidget(self.stops)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        lay.addWidget(self.unserved)
        lay.addWidget(self.coverage)
        session.project_changed.connect(self.reload)
        session.layers_changed.connect(lambda roles: roles & {"routes", "route_stops", "circles", "walk", "walk_steps"} and self.reload())
        self.retranslate()

    def retranslate(self) -> None:
        self.routes.setHeaderLabels([tr("routes.team"), tr("routes.station"), tr("routes.stops"), tr("routes.km"),
                                     tr("routes.minutes"), tr("routes.time")])
        self.stops.setHeaderLabels([tr("routes.seq"), tr("routes.place"), tr("routes.category"), tr("routes.arrive"),
                                    tr("routes.depart"), tr("routes.must")])
        self.reload()

    def reload(self) -> None:
        p = self.session.project
        self.routes.clear()
        if p is not None and "routes" in p.layers:
            for r in p.layers["routes"].gdf.itertuples():
                team = int(getattr(r, "team", 0) or 0)
                it = QTreeWidgetItem([str(team), str(getattr(r, "station", "")), str(getattr(r, "stops", "")),
                                      f"{float(getattr(r, 'length_km', 0) or 0):.1f}",
                                      f"{float(getattr(r, 'minutes', 0) or 0):.0f}",
                                      f"{getattr(r, 'start', '')}–{getattr(r, 'end', '')}"])
                it.setData(0, Qt.ItemDataRole.UserRole, team)
                g = r.geometry
                it.setData(0, Qt.ItemDataRole.UserRole + 1, tuple(g.bounds) if g is not None and not g.is_empty else None)
                it.setForeground(0, qcolor(TEAM_COLOURS[(team - 1) % len(TEAM_COLOURS)]))
                self.routes.addTopLevelItem(it)
        if p is not None and "walk" in p.layers:
            self._add_walks(p)
        if self.routes.topLevelItemCount():
            for i in range(self.routes.columnCount()):
                self.routes.resizeColumnToContents(i)
            self.routes.setCurrentItem(self.routes.topLevelItem(0))
        self._fill_stops()
        self._fill_unserved()
        self._fill_coverage()

    def _fill_stops(self) -> None:
        self.stops.clear()
        p = self.session.project
        it = self.routes.currentItem()
        if p is None or it is None or ("route_stops" not in p.layers and "walk_steps" not in p.layers):
            return
        team = it.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(team, tuple):
            self._fill_streets(p, *team)
            return
        st = p.layers["route_stops"].gdf
        if "team" not in st:
            return
        st = st[st["team"] == team].sort_values("seq") if "seq" in st else st[st["team"] == team]
        for s in st.itertuples():
            must = bool(getattr(s, "must", False))
            row = QTreeWidgetItem([str(getattr(s, "seq", "")), str(getattr(s, "place", "")),
                                   _category_name(str(getattr(s, "category", ""))), str(getattr(s, "arrive", "")),
                                   str(getattr(s, "depart", "")), "✔" if must else ""])
            if must:
                row.setForeground(1, QColor(160, 30, 30))
            self.stops.addTopLevelItem(row)
        for i in range(self.stops.columnCount()):
            self.stops.resizeColumnToContents(i)

    def _add_walks(self, p) -> None:
        """One row per grid and walker of the street walk (``walk`` layer), coloured as on the map."""
        start = str((p.parameters.get("walk") or {}).get("start") or "08:00")
        from ..routing.patrol import clock, parse_clock
        t0 = parse_clock(start)
        for r in p.layers["walk"].gdf.itertuples():
            walker = int(getattr(r, "walker", 1) or 1)
            minutes = float(getattr(r, "minutes", 0) or 0)
            it = QTreeWidgetItem([tr("routes.walk_item", grid=str(r.grid), walker=walker),
                                  str(getattr(r, "start_name", "")), str(getattr(r, "streets", "")),
                                  f"{float(getattr(r, 'length_km', 0) or 0):.1f}", f"{minutes:.0f}",
                                  f"{clock(t0)}–{clock(t0 + minutes)}"])
            it.setData(0, Qt.ItemDataRole.UserRole, ("walk", str(r.grid), walker, t0))
            g = r.geometry
            it.setData(0, Qt.ItemDataRole.UserRole + 1, tuple(g.bounds) if g is not None and not g.is_empty else None)
            it.setForeground(0, qcolor(TEAM_COLOURS[(walker - 1) % len(TEAM_COLOURS)]))
            self.routes.addTopLevelItem(it)

    def _fill_streets(self, p, _kind, grid: str, walker: int, t0: float) -> None:
        """The chosen walker's streets in walking order, as on the walk's card."""
        if "walk_steps" not in p.layers:
            return
        from ..routing.postman import street_list
        from ..routing.walks import grid_steps
        for st in street_list(grid_steps(p.layers["walk_steps"].gdf, grid), walker, start_minutes=t0):
            row = QTreeWidgetItem([str(st["seq"]), str(st["place"]),
                                   tr("routes.repeat") if st["repeat"] else tr("routes.street"),
                                   st["arrive"], st["depart"], ""])
            if st["repeat"]:
                row.setForeground(1, QColor(120, 120, 120))
            self.stops.addTopLevelItem(row)
        for i in range(self.stops.columnCount()):
            self.stops.resizeColumnToContents(i)

    def _fill_unserved(self) -> None:
        from ..routing.patrol import unserved_lines
        from . import i18n
        p = self.session.project
        rec = (p.parameters.get("patrol_unserved") if p is not None and "routes" in p.layers else None) or []
        lines = unserved_lines(rec)
        lang = i18n.language()
        full = [_app_words(zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}") for zh, en, _m in lines]
        self.unserved.setText("\n".join(_few_names(t) for t in full))
        self.unserved.setToolTip("\n".join(full))  # every name; the panel shows the first few
        self.unserved.setVisible(bool(lines))
        red = any(m for _z, _e, m in lines)
        self.unserved.setStyleSheet("color: rgb(180,30,30)" if red else "")

    def _fill_coverage(self) -> None:
        p = self.session.project
        cov = (p.parameters.get("coverage") if p is not None else None) or []
        lines = [tr("routes.coverage_line", minutes=f"{c['minutes']:g}", mode=tr(f"mode.{c['mode']}"),
                    share=f"{c['share']:.1%}", covered=f"{c['covered_hh']:,.0f}", total=f"{c['total_hh']:,.0f}")
                 for c in cov]
        if p is not None and "circles" in p.layers and not lines:
            lines = [tr("routes.circles_only", n=len(p.layers["circles"].gdf))]
        self.coverage.setText("\n".join(lines))


def _app_words(text: str) -> str:
    """The command's options in a reason as the patrol dialog names them (出发时间, 班次时长)."""
    text = re.sub(r"--start (\d\d:\d\d)", lambda m: tr("routes.fix_start", start=m.group(1)), text)
    return re.sub(r"--shift (\d+)", lambda m: tr("routes.fix_shift", minutes=m.group(1)), text)


def _few_names(line: str, keep: int = 5) -> str:
    """A reason line with its first ``keep`` place names (the tool tip lists them all)."""
    head, sep, names = line.rpartition("：") if "：" in line else line.rpartition(": ")
    parts = re.split("、|, ", names) if sep else []
    if len(parts) <= keep:
        return line
    join = "、" if "、" in names else ", "
    return head + sep + join.join(parts[:keep]) + tr("routes.more_names", n=len(parts) - keep)


def _category_name(c: str) -> str:
    """A place category in the interface language (``school`` → 学校); unknown ones as they are."""
    return tr(f"category.{c}") if f"category.{c}" in STRINGS else c
