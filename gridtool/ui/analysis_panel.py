"""The analysis panel: the report of the last coverage, siting or sealing run (the lines
``gridtool coverage`` and ``gridtool seal`` print), a table of its figures, and Export, which writes
the files those commands write (``coverage.gpkg`` and the village tables; ``seal.csv`` and
``seal.gpkg``)."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTreeWidget,
                             QTreeWidgetItem, QVBoxLayout, QWidget)

from . import i18n
from .i18n import tr


class AnalysisPanel(QWidget):
    """Shows one result at a time: ``show_coverage(result)`` or ``show_seal(plan, stations)``."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.kind: str | None = None  # "coverage" or "seal"
        self.result = None
        self.stations = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self._export_dialog)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.text, 2)
        self.retranslate()

    # -- showing ----------------------------------------------------------------------------------
    def show_coverage(self, result) -> None:
        """A :class:`gridtool.routing.coverage.CoverageResult`."""
        self.kind, self.result, self.stations = "coverage", result, None
        self.retranslate()

    def show_seal(self, plan, stations) -> None:
        """A :class:`gridtool.routing.sealing.SealPlan` and the stations it drew on (``seal.gpkg`` holds both)."""
        self.kind, self.result, self.stations = "seal", plan, stations
        self.retranslate()

    def retranslate(self) -> None:
        self.export_button.setText(tr("analysis.export"))
        self.export_button.setEnabled(self.result is not None)
        self.table.clear()
        lang = i18n.language()
        if self.result is None:
            self.title.setText(tr("analysis.empty"))
            self.text.clear()
            self._headers([""])
            return
        self.text.setPlainText(self.result.summary(lang))
        if self.kind == "coverage":
            self._fill_coverage()
        else:
            self._fill_seal()
        for i in range(self.table.columnCount()):
            self.table.resizeColumnToContents(i)

    def _headers(self, labels: list[str]) -> None:
        self.table.setColumnCount(len(labels))  # setHeaderLabels alone keeps a longer earlier header
        self.table.setHeaderLabels(labels)

    def _fill_coverage(self) -> None:
        r = self.result
        d = r.demand
        unit = (d.unit_zh if i18n.language() == "zh" else d.unit_en) if d is not None else ""
        self.title.setText(tr("analysis.coverage_title", mode=tr(f"mode.{r.mode}"),
                              what=(d.label_zh if i18n.language() == "zh" else d.label_en) if d is not None
                              else tr("analysis.circles_only")))
        self._headers([tr("analysis.minutes"), tr("analysis.covered"), tr("analysis.total"), tr("analysis.share"),
                       tr("analysis.not_covered")])
        for c in r.per_minute:
            self.table.addTopLevelItem(QTreeWidgetItem([
                f"{c.minutes:g}", f"{c.covered:,.0f} {unit}", f"{c.total:,.0f} {unit}", f"{c.share:.1%}",
                f"{len(c.uncovered):,}"]))
        if r.siting is not None:
            for s in r.siting.new_sites.itertuples():
                self.table.addTopLevelItem(QTreeWidgetItem([
                    tr("analysis.new_site", name=str(s.name)), f"{float(s.covers):,.0f} {unit}", "", "",
                    tr("analysis.adds", n=f"{float(s.adds):,.0f} {unit}")]))

    def _fill_seal(self) -> None:
        plan = self.result
        self.title.setText(tr("analysis.seal_title", n=len(plan.exits), longest=f"{plan.longest_minutes:.1f}",
                              mean=f"{plan.mean_minutes:.1f}", total=f"{plan.total_minutes:.1f}"))
        self._headers([tr("analysis.exit"), tr("analysis.station"), tr("analysis.minutes"), tr("analysis.km")])
        for r in plan.table.sort_values(["exit_no", "minutes"]).itertuples():
            self.table.addTopLevelItem(QTreeWidgetItem([str(r.exit), str(r.station), f"{r.minutes:.1f}",
                                                        f"{r.km:.2f}"]))

    # -- export -----------------------------------------------------------------------------------
    def export_to(self, folder: str | Path, *, force: bool = False) -> list[Path]:
        """Write the files the command line writes into ``folder`` (refusing to replace files
        gridtool did not write, as the command line does without ``--force``)."""
        from ..maps.route_files import (coverage_output_paths, seal_output_paths, write_coverage_outputs,
                                        write_seal_outputs)
        from ..ownership import check_replace
        out = Path(folder)
        if self.kind == "coverage":
            check_replace(coverage_output_paths(out, [c.minutes for c in self.result.per_minute]), force=force)
            return write_coverage_outputs(self.result, out)
        check_replace(seal_output_paths(out), force=force)
        return write_seal_outputs(self.result, self.stations, out)

    def _export_dialog(self) -> None:
        if self.result is None:
            return
        folder = QFileDialog.getExistingDirectory(self, tr("analysis.export_title"))
        if folder:
            self.export_in_background(folder)

    def export_in_background(self, folder: str) -> None:
        w = self.window

        def work(progress, cancelled):
            progress(0.1, tr("job.saving"))
            return self.export_to(folder)

        def done(paths):
            w.log_message(tr("analysis.written", files="，".join(str(p) for p in paths)
                             if i18n.language() == "zh" else ", ".join(str(p) for p in paths)))

        w.run_job(tr("job.export_analysis"), work, done)
