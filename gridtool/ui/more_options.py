"""A 更多选项 section: options a planner rarely changes, folded under a button so that a dialog keeps
to a laptop's screen (910×490 at 150 %); the values are read whether it is open or not."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFormLayout, QToolButton, QVBoxLayout, QWidget

from .i18n import tr


class MoreOptions(QWidget):
    """A ▸ 更多选项 button over a form (``self.form``) that it shows and hides; closed at first."""

    def __init__(self, parent=None, *, title_key: str = "common.more_options"):
        super().__init__(parent)
        self.button = QToolButton()
        self.button.setText(tr(title_key))
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.setAutoRaise(True)
        self.body = QWidget()
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(12, 0, 0, 0)
        self.body.setVisible(False)
        self.button.toggled.connect(self.set_open)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.button)
        lay.addWidget(self.body)

    def set_open(self, on: bool) -> None:
        self.button.setChecked(on)
        self.button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)


__all__ = ["MoreOptions"]
