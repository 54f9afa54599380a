"""Join a table to the grids (网格员台账, 考核得分): a thin Qt view over :func:`gridtool.join.join_table`.

The dialog picks the file (and sheet), shows the table's columns as the engine reads them (title
rows skipped), suggests the code column (the one whose values match most grid codes) and lets the
user tick the columns to join. The table is read on the app's job runner, with progress and a
Stop button in the dialog (a 50 000-row roster takes many seconds; the window never freezes);
another file or sheet chosen meanwhile stops that read and starts its own. The join runs on the
worker thread on a snapshot of the project;
its result goes in as one undoable step (:meth:`gridtool.ui.session.Session.apply_join`) and its
summary (matched, unmatched rows by number, cleared columns, personal data) to the log. Errors —
a duplicate code with its rows, a column that is not there — are the engine's, shown as they are.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QVBoxLayout)

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
        self._want = None  # (file, sheet) to show: read, being read or waiting for the runner
        self._job = None  # the runner's job reading ``_job_key`` for this dialog
        self._job_key = None
        self._waiting = False
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
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.stop = QPushButton(tr("join.stop"))
        self.stop.clicked.connect(self.stop_reading)
        reading = QHBoxLayout()
        reading.addWidget(self.bar, 1)
        reading.addWidget(self.stop)
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
        outer.addLayout(reading)
        outer.addWidget(self.error)
        outer.addWidget(self.buttons)
        self._show_reading(False)
        if path:
            self._load()

    # -- reading the table: the sheet list at once, the rows on the job runner --------------------
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
        """Show the table of the file and sheet chosen: read in the background, the columns and
        the suggested code column filled in when it is done."""
        self.error.clear()
        self.key.blockSignals(True)
        self.key.clear()
        self.key.blockSignals(False)
        self.columns.clear()
        self.table = None
        path = self.path.text().strip()
        self._want = (path, self.sheet.currentData()) if path else None
        self._start_read()

    @property
    def reading(self) -> bool:
        """A read for this dialog is under way or waits for the runner."""
        return self._want is not None and self.table is None and (self._job is not None or self._waiting)

    def _start_read(self) -> None:
        jobs = self.window.jobs
        if self._job is not None:
            if self._job_key != self._want:
                jobs.cancel()  # another file or sheet chosen: that read is of no use; its end starts this one
            self._show_reading(True)
            return
        if self._want is None:
            self._show_reading(False)
            return
        path, sheet = self._want
        name = Path(path).name
        if jobs.busy and jobs.current is not getattr(self.window, "_subgrid_job", None):
            self.info.setText(tr("join.waiting", job=jobs.current.title, name=name))
            if not self._waiting:
                self._waiting = True
                jobs.ended.connect(self._after_other_job)
            self._show_reading(True)
            return
        from ..join import grid_codes
        codes = grid_codes(self.window.session.project)  # the live project is read here, never on the worker
        key = self._want

        def work(progress, cancelled):
            from ..io.vector import read_table
            from ..join import suggest_key_column
            table = read_table(path, sheet=sheet, option="--table", progress=progress, cancelled=cancelled)
            progress(0.95, "")
            return table, suggest_key_column(None, table.frame, codes=codes)

        def ended() -> None:
            self._job = self._job_key = None
            if self._want != key:  # chosen since: read that now (the runner is free once this slot returns)
                QTimer.singleShot(0, self._start_read)
            else:
                self._show_reading(False)

        def done(result) -> None:
            ended()
            if self._want == key:
                self._show_table(*result)

        def failed(exc, tb) -> None:
            ended()
            if self._want != key:
                return
            if isinstance(exc, GridtoolError):
                self.error.setText(exc.format(i18n.language()))
            else:
                self.error.setText(f"{type(exc).__name__}: {exc}")
                (self.window.jobs.on_error or self.window._job_error_fallback)(exc, tb)

        def stopped() -> None:
            ended()
            if self._want == key:  # stopped by the user, not by another choice
                self._want = None
            if self._want is None:
                self.info.setText(tr("join.stopped", name=name))

        self._job_key = key
        self.info.setText(tr("join.reading", name=name))
        self.bar.setValue(0)
        self._job = self.window.run_job(tr("join.reading_job", name=name), work, done, on_error=failed,
                                        on_cancel=stopped)
        if self._job is None:  # the runner would not take it (status bar says busy): after its job
            self._job_key = None
            if not self._waiting:
                self._waiting = True
                self.window.jobs.ended.connect(self._after_other_job)
            return
        self._job.progress.connect(self._progress)
        self._show_reading(True)

    def _after_other_job(self, _job=None) -> None:
        if self.window.jobs.busy:
            return  # another job started meanwhile: wait for its end too
        self._waiting = False
        self.window.jobs.ended.disconnect(self._after_other_job)
        QTimer.singleShot(0, self._start_read)

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        msg = i18n.one_side(message or "")
        self.bar.setFormat(f"{fraction:.0%}  {msg}" if msg else "%p%")

    def _show_reading(self, on: bool) -> None:
        self.bar.setVisible(on)
        self.stop.setVisible(on)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not on)

    def stop_reading(self) -> None:
        """Stop button: the read is cancelled (nothing of the project was touched by it)."""
        if self._waiting:
            self._waiting = False
            self.window.jobs.ended.disconnect(self._after_other_job)
            name = Path(self._want[0]).name if self._want else ""
            self._want = None
            self.info.setText(tr("join.stopped", name=name))
            self._show_reading(False)
            return
        if self._job is not None and self.window.jobs.current is self._job:
            self._want = None
            self.window.jobs.cancel()

    def reject(self) -> None:
        self.stop_reading()  # closing the dialog stops its read
        super().reject()

    def _show_table(self, table, guess) -> None:
        self.table = table
        self.key.blockSignals(True)
        self.key.clear()
        cols = [str(c) for c in self.table.frame.columns]
        self.key.addItems(cols)
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
        if self.table is None or not self.key.currentText() or self._job is not None:
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
            table = read_table(path, sheet=sheet, find_header=lambda f: header_row_with(f, [on]), option="--table",
                               progress=progress, cancelled=cancelled)
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
