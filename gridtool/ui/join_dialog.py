"""Join a table to the grids (网格员台账, 考核得分): a thin Qt view over :func:`gridtool.join.join_table`.

The dialog picks the file (and sheet), shows the table's columns as the engine reads them (title
rows skipped), suggests the code column (the one whose values match most grid codes) and lets the
user tick the columns to join. The join runs on the worker thread on a snapshot of the project;
its result goes in as one undoable step (:meth:`gridtool.ui.session.Session.apply_join`) and its
summary (matched, unmatched rows by number, cleared columns, personal data) to the log. Errors —
a duplicate code with its rows, a column that is not there — are the engine's, shown as they are.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout)

from ..errors import GridtoolError
from . import i18n
from .i18n import tr

FILE_FILTER = "表格 / tables (*.xlsx *.xls *.csv *.txt)"


class JoinDialog(QDialog):
    """File, sheet, code column and columns to join; Run starts the join as a job."""

    def __init__(self, window, path: str | None = None):
        super().__init__(window)
        self.window = window
        self.table = None  # gridtool.io.vector.Table of the file as shown
        self.setWindowTitle(tr("join.title"))
        self.path = QLineEdit(path or "")
        self.path.setMinimumWidth(380)
        self.path.editingFinished.connect(self._load)
        browse = QPushButton("…")
        browse.setMaximumWidth(32)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.sheet = QComboBox()
        self.sheet.currentIndexChanged.connect(lambda _=0: self._read())
        self.key = QComboBox()
        self.key.currentIndexChanged.connect(lambda _=0: self._fill_columns())
        self.columns = QListWidget()
        self.columns.setMinimumHeight(140)
        self.info = QLabel(tr("join.hint"))
        self.info.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: rgb(190,30,30)")
        form = QFormLayout()
        form.addRow(tr("join.file"), row)
        form.addRow(tr("join.sheet"), self.sheet)
        form.addRow(tr("join.key"), self.key)
        form.addRow(tr("join.columns"), self.columns)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("join.run"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(self.info)
        outer.addWidget(self.error)
        outer.addWidget(self.buttons)
        if path:
            self._load()

    # -- reading the table (small files: on the GUI thread, as a file dialog's preview) -----------
    def _browse(self) -> None:
        start = self.path.text() or str(Path(self.window.session.path or Path.home()).parent)
        path, _ = QFileDialog.getOpenFileName(self, tr("join.title"), start, FILE_FILTER)
        if path:
            self.path.setText(path)
            self._load()

    def _load(self) -> None:
        from ..io.excel_sheets import ALL_SHEETS
        from ..io.vector import list_layers, suffix_of
        path = self.path.text().strip()
        self.sheet.blockSignals(True)
        self.sheet.clear()
        try:
            if suffix_of(Path(path)) in (".xlsx", ".xls"):
                names = list_layers(path)
                if len(names) > 1:  # as the command line reads it: the first sheet with a header, told of the others
                    self.sheet.addItem(tr("wizard.sheet_auto"), None)
                for n in names:
                    self.sheet.addItem(n, n)
                if len(names) > 1:  # 一村一表: every sheet as one table (--table FILE:*)
                    self.sheet.addItem(tr("wizard.all_sheets"), ALL_SHEETS)
        except Exception as exc:  # a file Excel cannot open: say so in the dialog
            self.error.setText(str(exc))
        self.sheet.setEnabled(self.sheet.count() > 1)
        self.sheet.blockSignals(False)
        self._read()

    def _read(self) -> None:
        from ..io.vector import read_table
        from ..join import suggest_key_column
        self.error.clear()
        self.key.blockSignals(True)
        self.key.clear()
        self.columns.clear()
        self.table = None
        path = self.path.text().strip()
        if not path:
            self.key.blockSignals(False)
            return
        try:
            self.table = read_table(path, sheet=self.sheet.currentData(), option="--table")
        except GridtoolError as exc:
            self.error.setText(exc.format(i18n.language()))
            self.key.blockSignals(False)
            return
        cols = [str(c) for c in self.table.frame.columns]
        self.key.addItems(cols)
        guess = suggest_key_column(self.window.session.project, self.table.frame)
        if guess is not None:
            self.key.setCurrentText(str(guess))
        self.key.blockSignals(False)
        notes = [p.zh if i18n.language() == "zh" else p.en for p in self.table.problems]  # other sheets, hidden rows
        self.info.setText("\n".join([tr("join.read", rows=len(self.table.frame), header=self.table.header_row,
                                        column=guess if guess is not None else "—"), *notes]))
        self._fill_columns()

    def _fill_columns(self) -> None:
        from ..join import SKIPPED, _squash
        self.columns.clear()
        if self.table is None:
            return
        from ..io.excel_sheets import ALL_SHEETS, SHEET_COLUMN
        key = self.key.currentText()
        for c in self.table.frame.columns:
            if str(c) == key or (c == SHEET_COLUMN and self.table.sheet == ALL_SHEETS):
                continue  # the sheet a merged row came from is not a column of the table
            item = QListWidgetItem(str(c))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if _squash(c) in SKIPPED else Qt.CheckState.Checked)
            self.columns.addItem(item)

    def chosen_columns(self) -> list[str]:
        return [self.columns.item(i).text() for i in range(self.columns.count())
                if self.columns.item(i).checkState() == Qt.CheckState.Checked]

    # -- running ------------------------------------------------------------------------------------
    def run(self) -> None:
        if self.table is None or not self.key.currentText():
            self.error.setText(tr("join.no_table"))
            return
        w = self.window
        snap = w.session.materialized()
        sheet = self.sheet.currentData()
        spec = self.path.text().strip() + (f":{sheet}" if sheet else "")
        on, columns = self.key.currentText(), self.chosen_columns()

        def work(progress, cancelled):
            from ..join import join_table
            from ..io.vector import header_row_with, read_table, split_path_layer
            path, sheet = split_path_layer(spec)
            table = read_table(path, sheet=sheet, find_header=lambda f: header_row_with(f, [on]), option="--table")
            return join_table(snap, table, on=on, columns=columns)

        def done(result):
            w.session.apply_join(result, snap)
            lines = result.summary_lines(i18n.language())
            for line in lines:
                w.log_message(line.strip())
            if result.unmatched or result.empty_rows:
                w.log_message(tr("join.unmatched", n=len(result.unmatched) + len(result.empty_rows)), "warning")
            w.statusBar().showMessage(lines[0], 10000)

        if w.run_job(tr("join.job"), work, done) is not None:
            self.accept()


def open_join_dialog(window, path: str | None = None) -> JoinDialog:
    dlg = JoinDialog(window, path)
    dlg.open()
    return dlg
