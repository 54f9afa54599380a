"""The wizard's 字段… dialog: which source column is a layer's village, household id, name, code,
class…, as the command line's ``--field ROLE.KEY=COLUMN`` names it.

The loader guesses each by header and content and says what it guessed; when the guess is wrong
(``XZQMC`` read as the name where ``CJQYMC`` is, a 门牌号 column not taken as the id) the import's
messages name ``--field``: here an app user makes the same choice. Each box offers the file's own
columns, so a choice can never name a column that is not there."""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from ..field_keys import field_keys, key_words
from .i18n import language, role_name, tr
from .screen import scroll_when_tall


class ColumnsDialog(QDialog):
    """One box per key of ``role``: 自动识别 (the loader's guess) or one of ``columns``."""

    def __init__(self, role: str, columns: list[str], chosen: dict[str, str], *, table: bool, parent=None):
        super().__init__(parent)
        self.role = role
        self.setWindowTitle(tr("columns.title", role=role_name(role)))
        lay = QVBoxLayout(self)
        note = QLabel(tr("columns.note") if columns else tr("columns.unread"))
        note.setWordWrap(True)
        lay.addWidget(note)
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        zh = language() == "zh"
        for key in field_keys(role, table=table):
            box = QComboBox()
            box.addItem(tr("wizard.auto"), None)
            for c in columns:
                box.addItem(c, c)
            if chosen.get(key) in columns:
                box.setCurrentIndex(box.findData(chosen[key]))
            words = key_words(role, key)
            label = QLabel((words[0] if zh else words[1]) + "：")
            label.setToolTip(f"--field {role}.{key}=…")
            box.setToolTip(f"--field {role}.{key}=…")
            form.addRow(label, box)
            self.boxes[key] = box
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("common.ok"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        scroll_when_tall(self, buttons)

    def chosen(self) -> dict[str, str]:
        """``{key: column}`` of the boxes set to a column (``自动识别`` left out)."""
        return {k: b.currentData() for k, b in self.boxes.items() if b.currentData() is not None}


__all__ = ["ColumnsDialog"]
