"""The problems and log panel: data problems (validation, plan checks) with zoom-to, and a log."""

from __future__ import annotations

import time

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTabWidget, QTreeWidget,
                             QTreeWidgetItem, QVBoxLayout, QWidget)

from ..problems import Problem
from . import i18n
from .app_hints import app_fix
from .i18n import role_name, tr

# Where a list's --crs-in/--encoding fixes are made: only the import's own list (the wizard) may send
# the planner to the new-project wizard; an open project's layer is re-added with 文件 → 添加/替换图层.
_WHERE = {"add_layer": "add_layer", "data": "project", "plan": "project"}


class ProblemsPanel(QWidget):
    """Signals: ``zoomTo(problem)`` (double-click or the button)."""

    zoomTo = pyqtSignal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.problems: list[Problem] = []
        self.source = ""
        self.tabs = QTabWidget()
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.itemDoubleClicked.connect(lambda it, _c: self._zoom(it))
        self.summary = QLabel()
        self.zoom = QPushButton()
        self.zoom.clicked.connect(lambda: self._zoom(self.tree.currentItem()))
        pw = QWidget()
        pl = QVBoxLayout(pw)
        pl.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.zoom)
        pl.addLayout(top)
        pl.addWidget(self.tree)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.tabs.addTab(pw, "")
        self.tabs.addTab(self.log, "")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.tabs)
        self.retranslate()

    def retranslate(self) -> None:
        self.tabs.setTabText(0, tr("problems.tab"))
        self.tabs.setTabText(1, tr("log.tab"))
        self.tree.setHeaderLabels([tr("problems.severity"), tr("problems.message"), tr("problems.fix")])
        self.zoom.setText(tr("problems.zoom"))
        self.set_problems(self.problems, self.source)

    def set_problems(self, problems, source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        self.tree.clear()
        lang = i18n.language()
        order = ("error", "warning", "info")
        for i, p in enumerate(sorted(self.problems, key=lambda p: order.index(p.severity) if p.severity in order else 1)):
            sev = tr(f"problems.{p.severity}") if p.severity in order else tr("problems.warning")
            msg = p.zh if lang == "zh" else p.en
            where = p.where(lang)
            if p.role:
                msg = f"[{role_name(p.role)}] {msg}"
            it = QTreeWidgetItem([sev, msg + (f"\n{where}" if where else ""), app_fix(p.fix_zh, p.fix_en, _WHERE.get(source, "wizard"))])
            it.setData(0, Qt.ItemDataRole.UserRole, p)
            it.setForeground(0, QColor(190, 30, 30) if p.severity == "error" else QColor(90, 90, 90)
                             if p.severity == "info" else QColor(190, 120, 0))
            it.setToolTip(1, msg + (f"\n{where}" if where else ""))
            it.setToolTip(2, it.text(2))  # long fixes are cut at the column's edge
            self.tree.addTopLevelItem(it)
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(1, 420)
        errors = sum(p.severity == "error" for p in self.problems)
        what = tr(f"problems.source.{source}") if source else ""
        self.summary.setText(tr("problems.summary", what=what, errors=errors,
                                warnings=sum(p.severity == "warning" for p in self.problems)) if self.problems else tr("problems.none"))

    def _zoom(self, it) -> None:
        if it is not None:
            self.zoomTo.emit(it.data(0, Qt.ItemDataRole.UserRole))

    def append_log(self, text: str, level: str = "info") -> None:
        stamp = time.strftime("%H:%M:%S")
        mark = {"error": "✖ ", "warning": "⚠ "}.get(level, "")
        self.log.appendPlainText(f"{stamp}  {mark}{text}")
