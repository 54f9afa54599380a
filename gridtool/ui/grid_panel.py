"""The grids panel: the target grid with its live total, the editing tools, the grid table and the
villages that cannot be split with their remedies.

Totals come from the plan's running tallies (updated by each move, not recounted), so they change
while the brush moves; each total is coloured under / within / over its grid's bounds.
"""

from __future__ import annotations

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QColor
from PyQt6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QGridLayout, QGroupBox, QHBoxLayout,
                             QLabel, QMenu, QPushButton, QSlider, QSplitter, QTableView, QToolButton,
                             QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..partition.edit import EDITED_NOTE
from ..partition.report import remedy_of
from . import i18n
from .i18n import tr
from .fonts import lock_drawn, lock_mark
from .render import qcolor
from .styles import STATE_COLOURS

STATE_BG = {"under": QColor(222, 235, 247), "ok": QColor(229, 245, 224), "over": QColor(254, 224, 210)}


class GridTableModel(QAbstractTableModel):
    """One row per grid of the plan: code, village, live households, bounds, state, compactness, its
    sub-grids (drawn again after each edit of the grid), flags."""

    COLUMNS = ("code", "village", "hh", "bounds", "state", "compactness", "subgrids", "flags")

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.codes: list[str] = []
        self.row_of: dict[str, int] = {}
        self.attrs: dict[str, dict] = {}
        self.sort_col, self.sort_desc = None, False

    def reset(self) -> None:
        self.beginResetModel()
        plan = self.session.plan
        self.codes = list(plan.codes) if plan is not None else []
        p = self.session.project
        self.attrs = {}
        if p is not None and "grids" in p.layers:
            g = p.layers["grids"].gdf
            cols = [c for c in ("code", "polsby_popper", "status", "note", "hard_crossings", "n_subgrids") if c in g]
            for row in g[cols].itertuples(index=False):
                d = row._asdict()
                self.attrs[str(d.get("code"))] = d
        if self.sort_col is not None:
            self._sort_codes()
        self.row_of = {c: i for i, c in enumerate(self.codes)}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.codes)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(f"grids.col.{self.COLUMNS[section]}")
        return None

    def _value(self, code: str, col: str):
        plan = self.session.plan
        a = self.attrs.get(code, {})
        if col == "code":
            return code
        if col == "village":
            return plan.village.get(code, "")
        if col == "hh":
            return plan.totals.get(code, 0)
        if col == "bounds":
            lo, hi = plan.bounds.get(code, (plan.min_hh, plan.max_hh))
            return f"{lo}–{hi}"
        if col == "state":
            return tr(f"grids.state.{plan.state(code)}")
        if col == "compactness":
            v = a.get("polsby_popper")
            return "" if v is None or v != v else f"{float(v):.2f}"
        if col == "subgrids":
            v = a.get("n_subgrids")
            return "" if v is None or v != v else str(int(v))
        if col == "flags":
            flags = []
            note = str(a.get("note") or "")
            if "exclave" in note:
                flags.append(tr("grids.flag.exclave"))
            if code in plan.locked:
                flags.append((lock_mark() + " " if lock_drawn() else "") + tr("grids.flag.locked"))
            st = str(a.get("status") or "")
            if st and st != "ok":
                flags.append(tr(f"grids.flag.{st}") if st in ("exception", "stale", "emptied") else st)
            if EDITED_NOTE in note:
                flags.append(tr("grids.flag.edited"))
            if a.get("hard_crossings"):
                flags.append(tr("grids.flag.crossing", n=int(a["hard_crossings"])))
            return ", ".join(flags)
        return ""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.session.plan is None:
            return None
        code = self.codes[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._value(code, col)
        if role == Qt.ItemDataRole.BackgroundRole and col in ("hh", "state"):
            return STATE_BG[self.session.plan.state(code)]
        if role == Qt.ItemDataRole.ForegroundRole and col in ("hh", "state"):
            return qcolor(STATE_COLOURS[self.session.plan.state(code)])
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("hh", "compactness", "subgrids"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == "subgrids":
            return self._subgrid_tip(code)
        return None

    def _subgrid_tip(self, code: str) -> str | None:
        """The grid's sub-grids with their households, as the map shows them now."""
        p = self.session.project
        subs = p.layers["subgrids"].gdf if p is not None and "subgrids" in p.layers else None
        if subs is None or not {"grid", "code", "hh"} <= set(subs.columns):
            return None
        mine = subs[subs["grid"].astype(str) == code].sort_values("code")
        if not len(mine):
            return None
        items = ("，" if i18n.language() == "zh" else ", ").join(f"{c} {int(h)}" for c, h in zip(mine["code"].astype(str), mine["hh"].fillna(0)))
        return tr("grids.subgrids_tip", code=code, list=items)

    def refresh_codes(self, codes) -> None:
        """Live update of the rows of these grids (a move changed their totals)."""
        plan = self.session.plan
        if plan is None or set(plan.codes) != set(self.codes):
            self.reset()
            return
        for c in codes:
            r = self.row_of.get(c)
            if r is not None:
                self.dataChanged.emit(self.index(r, 2), self.index(r, len(self.COLUMNS) - 1))

    def sort(self, column, order=Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self.sort_col, self.sort_desc = column, order == Qt.SortOrder.DescendingOrder
        self._sort_codes()
        self.row_of = {c: i for i, c in enumerate(self.codes)}
        self.layoutChanged.emit()

    def _sort_codes(self) -> None:
        col = self.COLUMNS[self.sort_col]
        plan = self.session.plan
        if plan is None:
            return
        if col == "hh":
            key = lambda c: plan.totals.get(c, 0)  # noqa: E731
        elif col == "compactness":
            key = lambda c: float(self.attrs.get(c, {}).get("polsby_popper") or 0)  # noqa: E731
        elif col == "subgrids":
            key = lambda c: int(self.attrs.get(c, {}).get("n_subgrids") or 0)  # noqa: E731
        else:
            key = lambda c: str(self._value(c, col))  # noqa: E731
        self.codes.sort(key=key, reverse=self.sort_desc)


class GridPanel(QWidget):
    """Signals: ``toolChosen(name)`` (pan, brush, box, pick), ``gridActivated(code)`` (zoom to it),
    ``redrawRequested()``, ``validateRequested()``, ``remedyRequested(village, kind, value)``."""

    toolChosen = pyqtSignal(str)
    gridActivated = pyqtSignal(str)
    redrawRequested = pyqtSignal()
    validateRequested = pyqtSignal()
    remedyRequested = pyqtSignal(str, str, object)

    def __init__(self, session, editor, parent=None):
        super().__init__(parent)
        self.session = session
        self.editor = editor
        # -- target and totals
        self.target_label = QLabel()
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.target.activated.connect(lambda i: self.editor.set_target(self.target.itemText(i)))
        self.pick = QPushButton()
        self.pick.clicked.connect(lambda: self.toolChosen.emit("pick"))
        self.target_total = QLabel()
        self.target_total.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.target_total.setMinimumHeight(34)
        self.source_total = QLabel()
        self.source_total.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.source_total.setMinimumHeight(26)
        # -- tools
        self.tool_buttons = {}
        self.tool_group = QButtonGroup(self)
        self.tool_group.setExclusive(True)
        for name in ("pan", "brush", "box"):
            b = QToolButton()
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.clicked.connect(lambda _=False, n=name: self.toolChosen.emit(n))
            self.tool_group.addButton(b)
            self.tool_buttons[name] = b
        self.tool_buttons["pan"].setChecked(True)
        self.brush = QSlider(Qt.Orientation.Horizontal)
        self.brush.setRange(4, 120)
        self.brush.setValue(editor.brush_px)
        self.brush.valueChanged.connect(lambda v: setattr(self.editor, "brush_px", int(v)))
        self.brush_label = QLabel()
        self.unit_label = QLabel()
        self.unit = QComboBox()
        self.unit.currentIndexChanged.connect(self._unit_changed)
        # -- commands
        self.lock = QPushButton()
        self.lock.clicked.connect(self._toggle_lock)
        # QPushButtons with a menu: their size allows for the menu arrow (a QToolButton's arrow was
        # drawn over its text, cutting it).
        self.merge = QPushButton()
        self.merge_menu = QMenu(self.merge)
        self.merge.setMenu(self.merge_menu)
        self.merge_menu.aboutToShow.connect(self._fill_merge_menu)
        self.split = QPushButton()
        self.split.clicked.connect(lambda: self.editor.target and self.editor.split(self.editor.target))
        self.redraw = QPushButton()
        self.redraw.clicked.connect(self.redrawRequested.emit)
        self.validate = QPushButton()
        self.validate.clicked.connect(self.validateRequested.emit)
        # -- grid table
        self.model = GridTableModel(session, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # Qt's default indicator is descending
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.clicked.connect(self._row_clicked)
        self.table.doubleClicked.connect(lambda ix: self.gridActivated.emit(self.model.codes[ix.row()]))
        # -- infeasible villages
        self.infeasible = QTreeWidget()
        self.infeasible.setColumnCount(3)
        self.infeasible.setRootIsDecorated(False)
        self.infeasible.currentItemChanged.connect(lambda *_: self._update_remedy_buttons())
        self.r_merge = QPushButton()
        self.r_merge_menu = QMenu(self.r_merge)
        self.r_merge.setMenu(self.r_merge_menu)
        self.r_relax = QPushButton()
        self.r_keep = QPushButton()
        self.r_relax.clicked.connect(lambda: self._remedy("relax"))
        self.r_keep.clicked.connect(lambda: self._remedy("exception"))

        self.edit_box = QGroupBox()
        g = QGridLayout(self.edit_box)
        row = QHBoxLayout()  # its own row: the code box takes what the label and button leave
        row.addWidget(self.target_label)
        row.addWidget(self.target, 1)
        row.addWidget(self.pick)
        g.addLayout(row, 0, 0, 1, 4)
        g.addWidget(self.target_total, 1, 0, 1, 4)
        g.addWidget(self.source_total, 2, 0, 1, 4)
        tools = QHBoxLayout()
        for b in self.tool_buttons.values():
            tools.addWidget(b)
        tools.addWidget(self.unit_label)
        tools.addWidget(self.unit)
        g.addLayout(tools, 3, 0, 1, 4)
        g.addWidget(self.brush_label, 4, 0)
        g.addWidget(self.brush, 4, 1, 1, 3)
        cmds = QHBoxLayout()
        for b in (self.lock, self.merge, self.split):
            cmds.addWidget(b)
        g.addLayout(cmds, 5, 0, 1, 4)
        cmds2 = QHBoxLayout()
        cmds2.addWidget(self.redraw)
        cmds2.addWidget(self.validate)
        g.addLayout(cmds2, 6, 0, 1, 4)

        self.inf_box = QGroupBox()
        il = QVBoxLayout(self.inf_box)
        il.setContentsMargins(4, 4, 4, 4)
        il.addWidget(self.infeasible)
        rb = QHBoxLayout()
        for b in (self.r_merge, self.r_relax, self.r_keep):
            rb.addWidget(b)
        il.addLayout(rb)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.inf_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.edit_box)
        lay.addWidget(split, 1)

        session.plan_reset.connect(self.reload)
        session.project_changed.connect(self.reload)
        session.plan_changed.connect(self._plan_changed)
        session.layers_changed.connect(lambda roles: "grids" in roles and self.model.attrs is not None and self._attrs_changed())
        editor.targetChanged.connect(lambda _c: self.update_totals())
        editor.strokeFinished.connect(lambda _r: self.update_totals())
        self.retranslate()

    def set_compact(self, on: bool) -> None:
        """On a small screen the totals wrap (目标 320102900001-01: 368 户 on one line, its bounds on
        the next), the unit box shows as much of 住户（楼栋） as fits (its list shows it whole) and
        the pick button says 选取 so that the target box shows the whole code (at 910 pixels it
        showed 102900001-01 of 320102900001-01), instead of widening the panel until it scrolls
        sideways."""
        self._compact = on
        self._pick_text()

    def _pick_text(self) -> None:
        on = getattr(self, "_compact", False)
        self.target_label.setText(tr("grids.target_label_short" if on else "grids.target"))
        self.pick.setText(tr("grids.pick_short" if on else "grids.pick"))
        # a push button is at least 80 pixels wide in most styles, whatever its text
        self.pick.setMaximumWidth(self.pick.fontMetrics().horizontalAdvance(self.pick.text()) + 24 if on
                                  else 16777215)
        for label in (self.target_total, self.source_total):
            label.setWordWrap(on)
        # two characters and the arrow (a combo box caches its least size from its longest item)
        self.unit.setMinimumWidth(self.unit.fontMetrics().horizontalAdvance("住户") + 40 if on else 0)

    # -- language ----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.edit_box.setTitle(tr("grids.edit_box"))
        self.inf_box.setTitle(tr("grids.infeasible_box"))
        self._pick_text()
        self.pick.setToolTip(tr("grids.pick_tip"))
        for name, b in self.tool_buttons.items():
            b.setText(tr(f"tool.{name}"))
            b.setToolTip(tr(f"tool.{name}_tip"))
        self.brush_label.setText(tr("grids.brush_size"))
        self.unit_label.setText(tr("grids.unit"))
        cur = self.unit.currentIndex()
        self.unit.blockSignals(True)
        self.unit.clear()
        self.unit.addItem(tr("grids.unit.household"), "household")
        self.unit.addItem(tr("grids.unit.block"), "block")
        self.unit.setCurrentIndex(max(cur, 0))
        self.unit.blockSignals(False)
        self.merge.setText(tr("grids.merge"))
        self.merge.setToolTip(tr("grids.merge_tip"))
        self.split.setText(tr("grids.split"))
        self.split.setToolTip(tr("grids.split_tip"))
        self.redraw.setText(tr("grids.redraw"))
        self.redraw.setToolTip(tr("grids.redraw_tip"))
        self.validate.setText(tr("grids.validate"))
        self.validate.setToolTip(tr("grids.validate_tip"))
        self.infeasible.setHeaderLabels([tr("grids.inf.village"), tr("grids.inf.households"), tr("grids.inf.applied")])
        self.r_merge.setText(tr("grids.remedy.merge"))
        self.r_keep.setText(tr("grids.remedy.keep"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.model.COLUMNS) - 1)
        self.model.reset()
        self._fill_infeasible()
        self.update_totals()

    # -- updates -----------------------------------------------------------------------------------
    def reload(self) -> None:
        self.model.reset()
        if self.model.rowCount():
            self.table.resizeColumnToContents(0)
        plan = self.session.plan
        self.target.blockSignals(True)
        self.target.clear()
        if plan is not None:
            self.target.addItems(plan.codes)
        self.target.blockSignals(False)
        self._fill_infeasible()
        self._update_unit()
        self.update_totals()
        self.setEnabled(True)

    def _attrs_changed(self) -> None:
        # a completed edit rewrote the grids layer (shapes, compactness, notes)
        self.model.reset()

    def _plan_changed(self, codes, features) -> None:
        plan = self.session.plan
        if plan is not None and len(plan.codes) != self.target.count():
            self.target.blockSignals(True)
            self.target.clear()
            self.target.addItems(plan.codes)
            self.target.blockSignals(False)
        self.model.refresh_codes(codes)
        self.update_totals()

    def _total_html(self, code: str | None, prefix: str, big: bool) -> tuple[str, str]:
        plan = self.session.plan
        if plan is None or not code or code not in plan.totals:
            return "", ""
        st = plan.state(code)
        lo, hi = plan.bounds.get(code, (plan.min_hh, plan.max_hh))
        lock = " " + lock_mark() if code in plan.locked else ""
        c = STATE_COLOURS[st]
        size = "15pt" if big else "11pt"
        html = (f"<span style='font-size:{size}'>{prefix} <b>{code}</b>{lock}: "
                f"<b style='color:rgb({c[0]},{c[1]},{c[2]})'>{plan.totals[code]}</b> "
                f"{tr('grids.households_unit')} ({lo}–{hi}, {tr(f'grids.state.{st}')})</span>")
        bg = STATE_BG[st]
        return html, f"background: rgb({bg.red()},{bg.green()},{bg.blue()}); border-radius: 4px;"

    def update_totals(self) -> None:
        """The target's and the last source's totals (live, from the plan's running tallies)."""
        t = self.editor.target
        html, css = self._total_html(t, tr("grids.target_short"), True)
        self.target_total.setText(html or tr("grids.no_target"))
        self.target_total.setStyleSheet(css)
        s = self.editor.last_source if self.editor.last_source != t else None
        html, css = self._total_html(s, tr("grids.source_short"), False)
        self.source_total.setText(html)
        self.source_total.setStyleSheet(css)
        plan = self.session.plan
        if t and self.target.currentText() != t:
            i = self.target.findText(t)
            if i >= 0:
                self.target.setCurrentIndex(i)
        self.lock.setText(tr("grids.unlock") if plan is not None and t in plan.locked else tr("grids.lock"))
        self.lock.setToolTip(tr("grids.lock_tip"))
        self.r_relax.setText(tr("grids.remedy.relax"))

    def _update_unit(self) -> None:
        ok = self.editor.blocks_available
        item = self.unit.model().item(1)
        if item is not None:
            item.setEnabled(ok)
            item.setToolTip("" if ok else tr("grids.unit.block_unavailable"))
        if not ok and self.unit.currentIndex() == 1:
            self.unit.setCurrentIndex(0)

    def _unit_changed(self, i: int) -> None:
        self.editor.unit = self.unit.itemData(i) or "household"

    def _row_clicked(self, ix) -> None:
        code = self.model.codes[ix.row()]
        self.gridActivated.emit(code)

    def set_tool_checked(self, name: str) -> None:
        b = self.tool_buttons.get(name)
        if b is not None:
            b.setChecked(True)

    def _toggle_lock(self) -> None:
        code = self.editor.target
        plan = self.session.plan
        if code and plan is not None:
            self.editor.set_locked(code, code not in plan.locked)
            self.update_totals()

    def _fill_merge_menu(self) -> None:
        """Neighbours (grids of the same village) that the target can absorb."""
        self.merge_menu.clear()
        plan = self.session.plan
        t = self.editor.target
        if plan is None or not t:
            return
        v = plan.village.get(t)
        for c in sorted(plan.codes):
            if c != t and plan.village.get(c) == v:
                act = QAction(tr("grids.merge_item", other=c, n=plan.totals.get(c, 0), target=t), self.merge_menu)
                act.triggered.connect(lambda _=False, c=c: self.editor.merge(t, c))
                self.merge_menu.addAction(act)
        if self.merge_menu.isEmpty():
            a = self.merge_menu.addAction(tr("grids.merge_none"))
            a.setEnabled(False)

    # -- infeasible villages -----------------------------------------------------------------------
    def _fill_infeasible(self) -> None:
        self.infeasible.clear()
        rep = self.session.partition_report()
        for v in (rep.get("plan", {}) or {}).get("infeasible_villages", []):
            it = QTreeWidgetItem([str(v.get("label") or v["village"]), str(v["households"]),
                                  applied_text(v)])
            it.setData(0, Qt.ItemDataRole.UserRole, v)
            self.infeasible.addTopLevelItem(it)
        self.inf_box.setVisible(self.infeasible.topLevelItemCount() > 0)
        self._update_remedy_buttons()

    def _update_remedy_buttons(self) -> None:
        it = self.infeasible.currentItem()
        v = it.data(0, Qt.ItemDataRole.UserRole) if it is not None else None
        for b in (self.r_merge, self.r_relax, self.r_keep):
            b.setEnabled(v is not None)
        self.r_merge_menu.clear()
        if v is None:
            return
        rem = v.get("remedies", {})
        for m in rem.get("merge", [])[:6]:
            name = m.get("village") if isinstance(m, dict) else str(m)
            act = QAction(tr("grids.remedy.merge_with", village=name), self.r_merge_menu)
            act.triggered.connect(lambda _=False, n=name: self.remedyRequested.emit(v["village"], "merge", n))
            self.r_merge_menu.addAction(act)
        self.r_merge.setEnabled(bool(rem.get("merge")))
        relax = rem.get("relax")
        if relax:
            self.r_relax.setText(tr("grids.remedy.relax_to", lo=relax[0], hi=relax[1]))
        self.r_relax.setEnabled(bool(relax))

    def _remedy(self, kind: str) -> None:
        it = self.infeasible.currentItem()
        if it is None:
            return
        v = it.data(0, Qt.ItemDataRole.UserRole)
        value = v.get("remedies", {}).get("relax") if kind == "relax" else None
        self.remedyRequested.emit(v["village"], kind, value)


def applied_text(village: dict) -> str:
    """The remedy the partition applied to a village (an entry of the report's
    ``infeasible_villages``), in the interface language, from its fields (``remedy``,
    ``merged_into``, ``relaxed_to``; :func:`~gridtool.partition.report.remedy_of`)."""
    r = remedy_of(village)
    remedy = r["remedy"]
    if remedy == "merge":
        return tr("grids.applied.merged", village=r["merged_into"] or "")
    if remedy == "relax" and r["relaxed_to"]:
        lo, hi = r["relaxed_to"]
        return tr("grids.applied.relaxed", range=f"{lo}-{hi}")
    if remedy == "exception":
        return tr("grids.applied.exception")
    return str(village.get("applied") or "")
