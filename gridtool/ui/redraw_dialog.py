"""网格 → 按上一版重绘…: the partition's parameters plus what ``gridtool partition NEW --previous
LAST`` takes about the previous plan — its code column (``--field previous.code=``), grids to lock
(``--lock``) and its CRS (``--crs-in previous=``).

The code column is offered from the file's columns with the core's guess
(:func:`gridtool.io.previous.previous_columns`) chosen and said to be a guess. On OK the plan is
read and checked as the redraw will (:func:`gridtool.io.previous.read_previous`,
:func:`gridtool.io.previous.check_previous`): an unknown code to lock, a wrong column or CRS is
shown in the dialog, which stays open.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QComboBox, QDialogButtonBox, QFormLayout, QGroupBox, QLabel, QLineEdit

from ..errors import GridtoolError
from ..partition.redraw_words import lock_codes
from . import i18n
from .i18n import tr
from .partition_dialog import PartitionDialog


class RedrawDialog(PartitionDialog):
    """``params()`` as :class:`PartitionDialog`; ``code_field()``, ``locks()`` and ``crs_in()`` for
    :meth:`MainWindow.redraw_from_previous`; ``prev`` the plan as checked on OK."""

    def __init__(self, path: str, villages=None, previous: dict | None = None, parent=None):
        from ..io.previous import previous_columns
        cols, guess, how = previous_columns(str(path))  # a file it cannot read: the caller says why
        super().__init__(previous, parent)
        self.path, self.villages, self.prev, self.guess, self.how = str(path), villages, None, guess, how
        self.chosen = False  # the user picked a column (even the guessed one): --field previous.code=
        self.code = QComboBox()
        for c in cols:
            self.code.addItem(c, c)
        if guess is not None:
            self.code.setCurrentIndex(self.code.findData(guess))
        else:
            self.code.setCurrentIndex(-1)
        self.code_note = QLabel()
        self.code_note.setWordWrap(True)
        self.lock = QLineEdit()
        self.crs = QLineEdit()
        self.prev_box = QGroupBox()
        self.l_code, self.l_lock, self.l_crs = QLabel(), QLabel(), QLabel()
        f = QFormLayout(self.prev_box)
        f.addRow(self.l_code, self.code)
        f.addRow(self.code_note)
        f.addRow(self.l_lock, self.lock)
        f.addRow(self.l_crs, self.crs)
        self.layout().insertWidget(0, self.prev_box)
        self.error.setWordWrap(True)
        self.code.activated.connect(self._picked)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        if not hasattr(self, "prev_box"):
            return
        self.setWindowTitle(tr("redraw.title"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("redraw.run"))
        self.prev_box.setTitle(tr("redraw.box", file=Path(self.path).name))
        self.l_code.setText(tr("redraw.code_column"))
        self.l_lock.setText(tr("redraw.locks"))
        self.lock.setPlaceholderText(tr("redraw.locks_hint"))
        self.l_crs.setText(tr("redraw.crs"))
        self.crs.setPlaceholderText(tr("redraw.crs_hint"))
        self._note()

    def _picked(self, _index: int) -> None:
        self.chosen = True
        self._note()

    def _note(self) -> None:
        if self.code.currentIndex() < 0:
            self.code_note.setText(tr("redraw.code_none"))
        elif self.code_field() is None:
            self.code_note.setText(tr("redraw.code_guessed", how=tr(f"redraw.how.{self.how}")))
        else:
            self.code_note.setText(tr("redraw.code_given"))

    def code_field(self) -> str | None:
        """``--field previous.code=``: the column picked, None while the core's guess stands (it is then
        reported as guessed, as the command line reports it)."""
        c = self.code.currentData()
        return str(c) if c is not None and (self.chosen or c != self.guess) else None

    def locks(self) -> list[str]:
        """``--lock``: the codes typed, read as the command line reads them."""
        return lock_codes(self.lock.text())

    def crs_in(self) -> str | None:
        """``--crs-in previous=``: None for the file's own CRS."""
        return self.crs.text().strip() or None

    def _accept(self) -> None:
        from ..io.previous import check_previous, read_previous
        if self.code.currentIndex() < 0:
            self.error.setText(tr("redraw.code_none"))
            return
        try:
            prev = read_previous(self.path, code_field=self.code.currentData(), crs_in=self.crs_in())
            check_previous(prev, self.villages, self.locks())
        except GridtoolError as exc:
            self.error.setText(exc.format(i18n.language()))
            return
        self.prev = prev
        super()._accept()
