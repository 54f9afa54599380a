"""The layer panel: visibility, labels, drawing order, colour, and the active layer."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QIcon, QPixmap
from PyQt6.QtWidgets import (QColorDialog, QGridLayout, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                             QWidget)

from .i18n import language, role_name, tr
from .map_layers import LayerStack
from .render import qcolor


def _swatch(rgba) -> QIcon:
    pm = QPixmap(14, 14)
    pm.fill(qcolor(rgba) if rgba is not None else QColor(0, 0, 0, 0))
    return QIcon(pm)


class LayerPanel(QWidget):
    """Signals: ``activeChanged(role)``, ``zoomRequested(role)``."""

    activeChanged = pyqtSignal(str)
    zoomRequested = pyqtSignal(str)

    def __init__(self, stack: LayerStack, parent=None):
        super().__init__(parent)
        self.stack = stack
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemDoubleClicked.connect(lambda it, col: self.zoomRequested.emit(it.data(0, Qt.ItemDataRole.UserRole)))
        self.up = QPushButton()
        self.down = QPushButton()
        self.colour = QPushButton()
        self.zoom = QPushButton()
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        self.colour.clicked.connect(self._pick_colour)
        self.zoom.clicked.connect(lambda: self.current_role() and self.zoomRequested.emit(self.current_role()))
        self.buttons = QGridLayout()
        self.set_compact(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.tree)
        lay.addLayout(self.buttons)
        self._filling = False
        stack.changed.connect(self._on_stack)
        self.retranslate()

    def set_compact(self, on: bool) -> None:
        """The four buttons on two rows (``on``, a small screen: the panel needs half the width) or
        on one."""
        for i, b in enumerate((self.up, self.down, self.colour, self.zoom)):
            self.buttons.removeWidget(b)
            self.buttons.addWidget(b, *(divmod(i, 2) if on else (0, i)))

    def retranslate(self) -> None:
        self.tree.setHeaderLabels([tr("layers.layer"), tr("layers.labels")])
        self.up.setText(tr("layers.up"))
        self.down.setText(tr("layers.down"))
        self.colour.setText(tr("layers.colour"))
        self.zoom.setText(tr("layers.zoom"))
        self.up.setToolTip(tr("layers.up_tip"))
        self.down.setToolTip(tr("layers.down_tip"))
        self.colour.setToolTip(tr("layers.colour_tip"))
        self.zoom.setToolTip(tr("layers.zoom_tip"))
        self.refill()

    def current_role(self) -> str | None:
        it = self.tree.currentItem()
        return it.data(0, Qt.ItemDataRole.UserRole) if it is not None else None

    def set_current(self, role: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it.data(0, Qt.ItemDataRole.UserRole) == role:
                self.tree.setCurrentItem(it)
                return

    def _on_stack(self, role, what) -> None:
        if what in ("reset", "order", "style"):
            self.refill()

    def refill(self) -> None:
        cur = self.current_role()
        self._filling = True
        self.tree.clear()
        for ml in self.stack:
            it = QTreeWidgetItem([self._name(ml), ""])
            it.setData(0, Qt.ItemDataRole.UserRole, ml.role)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(0, Qt.CheckState.Checked if ml.visible else Qt.CheckState.Unchecked)
            it.setCheckState(1, Qt.CheckState.Checked if ml.labels else Qt.CheckState.Unchecked)
            it.setIcon(0, _swatch(ml.style.main_colour))
            self.tree.addTopLevelItem(it)
        self.tree.resizeColumnToContents(0)
        self._filling = False
        if cur:
            self.set_current(cur)

    @staticmethod
    def _name(ml) -> str:
        """``子网格  (946)``; the grids by kind when one is an exception grid (``基础网格 71、例外网格 1``),
        as the exports and the totals count them."""
        status = ml.gdf["status"] if ml.role == "grids" and "status" in ml.gdf else None
        if status is not None and (status.astype(str) == "exception").any():
            from ..partition.totals import grid_kinds_text
            return grid_kinds_text(status, unit="", lang=language())
        return f"{role_name(ml.role)}  ({len(ml.gdf):,})"

    def _item_changed(self, it, col) -> None:
        if self._filling:
            return
        role = it.data(0, Qt.ItemDataRole.UserRole)
        on = it.checkState(col) == Qt.CheckState.Checked
        if col == 0:
            self.stack.set_visible(role, on)
        else:
            self.stack.set_labels(role, on)

    def _current_changed(self, cur, prev) -> None:
        if cur is not None and not self._filling:
            self.activeChanged.emit(cur.data(0, Qt.ItemDataRole.UserRole))

    def _move(self, delta: int) -> None:
        role = self.current_role()
        if role:
            self.stack.move(role, delta)
            self.set_current(role)

    def _pick_colour(self) -> None:
        role = self.current_role()
        ml = self.stack.get(role) if role else None
        if ml is None:
            return
        c = QColorDialog.getColor(qcolor(ml.style.main_colour), self, tr("layers.colour_tip"))
        if c.isValid():
            self.stack.set_style(role, ml.style.with_colour((c.red(), c.green(), c.blue(), 255)))
