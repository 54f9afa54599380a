"""The attribute table: any layer's columns in a QTableView, in step with the map's selection.

The model reads the GeoDataFrame lazily (only visible rows are formatted) and sorts with NumPy,
so a county's households (100,000 rows) scroll and sort without delay. Sensitive columns (names,
ID numbers, phones) are marked in the header.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from PyQt6.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel, QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QPushButton, QTableView,
                             QVBoxLayout, QWidget)

from .i18n import field_name, role_name, tr, value_text
from .fonts import lock_mark


class GeoTableModel(QAbstractTableModel):
    """Rows of a GeoDataFrame (without its geometry); ``order[row]`` is the feature shown at ``row``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.gdf = None
        self.role: str | None = None
        self.columns: list[str] = []
        self.sensitive: set[str] = set()
        self.order = np.zeros(0, dtype=np.int64)
        self.row_of = np.zeros(0, dtype=np.int64)
        self._arrays: dict[str, np.ndarray] = {}

    def set_frame(self, gdf, sensitive=(), role: str | None = None) -> None:
        self.beginResetModel()
        self.gdf = gdf
        self.role = role
        self.columns = [c for c in gdf.columns if c != gdf.geometry.name] if gdf is not None else []
        self.sensitive = set(sensitive)
        n = len(gdf) if gdf is not None else 0
        self.order = np.arange(n, dtype=np.int64)
        self.row_of = np.arange(n, dtype=np.int64)
        self._arrays = {}
        self.endResetModel()

    def label(self, c: str) -> str:
        """The column's header text: its translated name, with the field name added when another
        column shows the same text (a roster's own "户数" beside the normalised ``hh``)."""
        label = field_name(c, self.role)
        if label != c and any(o != c and (o == label or field_name(o, self.role) == label) for o in self.columns):
            return f"{label} ({c})"
        return label

    def _col(self, c: str) -> np.ndarray:
        a = self._arrays.get(c)
        if a is None:
            a = self._arrays[c] = self.gdf[c].to_numpy()
        return a

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            c = self.columns[index.column()]
            v = self._col(c)[self.order[index.row()]]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return ""
            coded = value_text(c, v)
            if coded is not None:
                return coded
            if isinstance(v, (float, np.floating)):
                return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
            return str(v)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            v = self._col(self.columns[index.column()])[self.order[index.row()]]
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                c = self.columns[section]
                label = self.label(c)
                return f"{label} {lock_mark('sensitive')}" if c in self.sensitive else label
            return str(int(self.order[section]) + 1)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            c = self.columns[section]  # the field's own name, as in the file and in exports
            return f"{c}\n{tr('table.sensitive_tip')}" if c in self.sensitive else c
        if role == Qt.ItemDataRole.ForegroundRole and orientation == Qt.Orientation.Horizontal:
            if self.columns[section] in self.sensitive:
                return QColor(170, 40, 40)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if self.gdf is None or not (0 <= column < len(self.columns)):
            return
        self.layoutAboutToBeChanged.emit()
        s = self.gdf[self.columns[column]]
        num = pd.to_numeric(s, errors="coerce")
        if num.notna().sum() >= max(1, int(0.9 * s.notna().sum())):
            keys = num.to_numpy(dtype=float)
            idx = np.argsort(np.where(np.isnan(keys), np.inf, keys), kind="stable")
        else:
            # as text, missing values last (pandas 3 keeps NaN through astype(str): float < str fails)
            idx = np.argsort(np.array([_sort_text(v) for v in s.tolist()], dtype=str), kind="stable")
        if order == Qt.SortOrder.DescendingOrder:
            idx = idx[::-1]
        self.order = idx.astype(np.int64)
        self.row_of = np.empty_like(self.order)
        self.row_of[self.order] = np.arange(len(self.order))
        self.layoutChanged.emit()


def _sort_text(value) -> str:
    try:
        missing = value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays in a cell
        missing = False
    return "\uffff" if missing else str(value)


class AttributeTable(QWidget):
    """Signals: ``selectionChanged(role, features)``, ``zoomRequested()``, ``layerChosen(role)``."""

    selectionChanged = pyqtSignal(str, object)
    zoomRequested = pyqtSignal()
    layerChosen = pyqtSignal(str)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.role: str | None = None
        self.combo = QComboBox()
        self.combo.currentIndexChanged.connect(self._combo_changed)
        self.count = QLabel()
        self.zoom = QPushButton()
        self.clear = QPushButton()
        self.zoom.clicked.connect(self.zoomRequested.emit)
        self.clear.clicked.connect(lambda: self.select_features(np.zeros(0, dtype=np.int64), emit=True))
        self.model = GeoTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.selectionModel().selectionChanged.connect(self._view_selection)
        self.view.doubleClicked.connect(lambda _: self.zoomRequested.emit())
        top = QHBoxLayout()
        self.layer_label = QLabel()
        top.addWidget(self.layer_label)
        top.addWidget(self.combo, 1)
        top.addWidget(self.count)
        top.addWidget(self.zoom)
        top.addWidget(self.clear)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self._syncing = False
        session.project_changed.connect(self.reload)
        session.layers_changed.connect(self._layers_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.layer_label.setText(tr("table.layer"))
        if self.model.columnCount():
            self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1)
            if self.model.rowCount():  # coded values (是/否, 正常 …) are shown in the language too
                self.model.dataChanged.emit(self.model.index(0, 0),
                                            self.model.index(self.model.rowCount() - 1, self.model.columnCount() - 1))
            self._fit_columns()
        self.zoom.setText(tr("table.zoom"))
        self.clear.setText(tr("table.clear"))
        self._fill_combo()
        self._update_count()

    def _fill_combo(self) -> None:
        p = self.session.project
        self._syncing = True
        self.combo.clear()
        if p is not None:
            for role in p.layers:
                self.combo.addItem(role_name(role), role)
        if self.role is not None:
            i = self.combo.findData(self.role)
            if i >= 0:
                self.combo.setCurrentIndex(i)
        self._syncing = False

    def reload(self) -> None:
        p = self.session.project
        if p is None or self.role not in p.layers:
            self.role = "grids" if p is not None and "grids" in p.layers else (next(iter(p.layers), None) if p else None)
        self._fill_combo()
        self.show_layer(self.role)

    def _layers_changed(self, roles) -> None:
        self._fill_combo()
        if self.role in roles or self.role is None:
            self.show_layer(self.role if self.session.project and self.role in self.session.project.layers else None)

    def _combo_changed(self, i: int) -> None:
        if self._syncing or i < 0:
            return
        self.show_layer(self.combo.itemData(i))
        self.layerChosen.emit(self.role or "")

    def show_layer(self, role: str | None) -> None:
        p = self.session.project
        if role is None or p is None or role not in p.layers:
            self.role = None
            self.model.set_frame(None)
        else:
            self.role = role
            lyr = p.layers[role]
            self.model.set_frame(lyr.gdf, sensitive=lyr.sensitive.keys(), role=role)
            self._fit_columns()
            i = self.combo.findData(role)
            if i >= 0 and i != self.combo.currentIndex():
                self._syncing = True
                self.combo.setCurrentIndex(i)
                self._syncing = False
        self._update_count()

    MAX_COLUMN_WIDTH = 240

    def _fit_columns(self) -> None:
        """Columns as wide as their header and first rows (Qt samples a bounded number of rows),
        long texts capped so that one column cannot take the whole table."""
        hv = self.view.horizontalHeader()
        for i in range(self.model.columnCount()):
            self.view.resizeColumnToContents(i)
            if hv.sectionSize(i) > self.MAX_COLUMN_WIDTH:
                hv.resizeSection(i, self.MAX_COLUMN_WIDTH)

    def _update_count(self) -> None:
        n = self.model.rowCount()
        sel = len(self.selected_features())
        self.count.setText(tr("table.count", n=f"{n:,}", sel=f"{sel:,}"))

    def selected_features(self) -> np.ndarray:
        rows = sorted({ix.row() for ix in self.view.selectionModel().selectedRows()}) if self.model.rowCount() else []
        return self.model.order[np.asarray(rows, dtype=np.int64)] if rows else np.zeros(0, dtype=np.int64)

    def _view_selection(self, *_) -> None:
        self._update_count()
        if not self._syncing and self.role:
            self.selectionChanged.emit(self.role, self.selected_features())

    def select_features(self, feats, emit: bool = False) -> None:
        """Select these features' rows (from the map) and scroll to the first."""
        feats = np.asarray(feats, dtype=np.int64)
        sm = self.view.selectionModel()
        self._syncing = not emit
        sel = QItemSelection()
        rows = np.sort(self.model.row_of[feats[(feats >= 0) & (feats < len(self.model.row_of))]]) if len(feats) else []
        # contiguous runs become one range each (fast for big selections)
        if len(rows):
            cuts = np.flatnonzero(np.diff(rows) != 1) + 1
            last = self.model.columnCount() - 1
            for run in np.split(rows, cuts):
                sel.select(self.model.index(int(run[0]), 0), self.model.index(int(run[-1]), last))
        sm.select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if len(rows):
            self.view.scrollTo(self.model.index(int(rows[0]), 0))
        self._syncing = False
        self._update_count()
