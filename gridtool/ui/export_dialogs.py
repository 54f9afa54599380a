"""Export dialogs: wall map (with a preview drawn by the export code itself), five-colour map, atlas,
route cards, offline HTML map and GIS files.

Every export is a function of :mod:`gridtool.maps` run by the window's job runner on a snapshot of
the project (the hand edits written in). The wall-map preview is :func:`gridtool.maps.wallmap.draw_wall_map`
drawing onto a matplotlib ``FigureCanvasQTAgg``: the preview is the print. Personal data (names,
ID-card and phone numbers) is masked unless the user ticks the box.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                             QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                             QVBoxLayout, QWidget)

from ..errors import GridtoolError
from . import i18n
from .i18n import field_name, role_name, tr
from .more_options import MoreOptions
from .screen import fit_to_screen, scrolling

#: Export kinds: (key, needs) — needs is the layer the export cannot do without.
KINDS = (("wallmap", "grids"), ("assessment", "grids"), ("atlas", "grids"), ("cards", "routes"), ("walk", "walk"),
         ("html", None), ("gis", None), ("ledger", "grids"))
SIZES = ("A4", "A3", "A2", "A1", "A0")
GIS_FORMATS = (("gpkg", ".gpkg"), ("shp", ".zip"), ("geojson", ""), ("kml", ".kml"), ("kmz", ".kmz"), ("gpx", ".gpx"))


def fill_export_menu(window, menu) -> None:
    """One menu entry per export kind; entries are enabled when the project has what they need."""
    window.export_actions = {}
    for key, _needs in KINDS:
        a = menu.addAction("")
        a.setObjectName(f"export.{key}")
        a.triggered.connect(lambda _=False, k=key: open_export_dialog(window, k))
        window.export_actions[key] = a
    menu.aboutToShow.connect(lambda: _enable(window))
    menu.setEnabled(True)


def _enable(window) -> None:
    p = window.session.project
    for key, needs in KINDS:
        ok = p is not None and (needs is None or needs in p.layers) and not window.blocked
        window.export_actions[key].setEnabled(ok)


def retranslate_export_menu(window, menu) -> None:
    for key, a in getattr(window, "export_actions", {}).items():
        a.setText(tr(f"export.{key}"))


def export_name(kind: str) -> str:
    """The export's name for its dialog, job and log line: the menu text without its "…"."""
    return tr(f"export.{kind}").rstrip("…").rstrip()


def open_export_dialog(window, kind: str) -> QDialog:
    cls = {"wallmap": WallMapDialog, "assessment": AssessmentDialog, "atlas": AtlasDialog,
           "cards": CardsDialog, "walk": WalkFilesDialog, "html": HtmlDialog, "gis": GisDialog, "ledger": LedgerDialog}[kind]
    dlg = cls(window)
    dlg.open()
    return dlg


def sheet_canvas():
    """A matplotlib Qt canvas that shows its figure's whole sheet, scaled to fit the widget.

    ``draw_wall_map`` sizes the figure to the paper (inches); the stock canvas would crop it to the
    widget, or stretch it on resize. This one keeps the sheet and changes the dots per inch.
    """
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    from ..maps.fonts import register_matplotlib_font
    # Repaints happen outside any rc_context: the CJK font must be matplotlib's default here.
    register_matplotlib_font(set_default=True)

    class SheetCanvas(FigureCanvasQTAgg):
        def __init__(self):
            super().__init__(Figure(figsize=(11.7, 16.5)))
            self.setMinimumSize(240, 180)  # the sheet scales: a small screen keeps the buttons in view
            self.shown = False  # a drawn sheet is on show

        def show_figure(self, fig) -> None:
            """Show a figure drawn elsewhere (on the worker thread) on this canvas."""
            self.figure = fig
            fig.set_canvas(self)
            self.fit_sheet()
            self.shown = True

        def fit_sheet(self) -> None:
            w_in, h_in = self.figure.get_size_inches()
            w, h = max(self.width(), 1), max(self.height(), 1)
            dpi = max(10.0, min(w / w_in, h / h_in))
            ratio = self.device_pixel_ratio
            self.figure._original_dpi = dpi
            self.figure._set_dpi(dpi * ratio, forward=False)
            self.draw()
            self._drawn = True
            self.update()

        def paintEvent(self, event):
            # The figure covers only part of the widget: blit the rendered sheet ourselves and
            # clear the rest (the stock paint copies outside the buffer: stale pixels).
            import numpy as np
            from PyQt6.QtGui import QColor, QImage, QPainter
            p = QPainter(self)
            p.fillRect(self.rect(), QColor(225, 228, 232))
            if getattr(self, "_drawn", False):
                buf = np.asarray(self.buffer_rgba())
                img = QImage(buf.data, buf.shape[1], buf.shape[0], 4 * buf.shape[1], QImage.Format.Format_RGBA8888)
                img.setDevicePixelRatio(self.device_pixel_ratio)
                p.drawImage(0, 0, img)
            p.end()

        def resizeEvent(self, event):  # keep the sheet's size in inches; fit by dpi
            QWidget.resizeEvent(self, event)
            self.fit_sheet()

    return SheetCanvas()


class _PathEdit(QLineEdit):
    """The output file: room for a folder and a file name, narrower only on a small screen (1366×768
    at 150 %: 910 pixels for the options and the preview)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.setMinimumWidth(260)

    def sizeHint(self):
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), 380))
        return hint


class _ExportDialog(QDialog):
    """Output file, title, personal-data choice, and a Run button that starts the job."""

    kind = ""
    suffixes = ("",)
    file_filter = ""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.setWindowTitle(export_name(self.kind))
        p = window.session.project
        base = Path(window.session.path).with_suffix("") if window.session.path else Path.home() / p.name
        self.path = _PathEdit(str(base) + f"-{self.kind}{self.suffixes[0]}")
        browse = QPushButton("…")
        browse.setMaximumWidth(32)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        from ..maps.titles import KIND_TITLES, find_place, map_title
        place = find_place(p).label  # the township and county of the data: the defaults shown
        self.title = QLineEdit()
        # the heading this export prints when left empty (route cards: "…巡逻路线卡", not the wall map's)
        kind = {"wallmap": "wall"}.get(self.kind, self.kind)
        shown = map_title(p, kind if kind in KIND_TITLES else "wall",
                          lang="en" if i18n.language() == "en" and kind == "html" else "zh")
        self.title.setPlaceholderText(tr("export.default_title", title=shown))
        self.township = QLineEdit()
        self.township.setPlaceholderText(place or tr("export.no_township"))
        self.unit = QLineEdit()
        self.unit.setPlaceholderText(place or tr("export.no_unit"))
        self.personal = QCheckBox(tr("export.personal"))
        self.personal.setToolTip(tr("export.personal_tip"))
        self.form = QFormLayout()
        self.form.addRow(tr("export.file"), row)
        self.form.addRow(tr("export.title"), self.title)
        self.form.addRow(tr("export.township"), self.township)
        self.form.addRow(tr("export.unit"), self.unit)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: rgb(190,30,30)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("export.run"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        self.buttons.accepted.connect(self._run)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        self.columns = QHBoxLayout()
        self.body = QVBoxLayout()  # the options column; a preview may go beside it
        self.body.addLayout(self.form)
        self.body.setContentsMargins(0, 0, 0, 0)
        options = QWidget()
        options.setLayout(self.body)
        # The options scroll on a laptop (the five-colour map's needed 468 pixels where 450 are
        # left) instead of pushing 导出/取消 off the screen; the column keeps its content's width.
        self.options_area = scrolling(options, wants=lambda need: self.options_area.setMinimumWidth(need))
        self.columns.addWidget(self.options_area)
        outer.addLayout(self.columns, 1)
        outer.addWidget(self.error)
        outer.addWidget(self.buttons)

    def add_date(self) -> QLineEdit:
        """The printed date (the command line's ``--date``), folded under 更多选项: rarely changed."""
        date = QLineEdit()
        date.setPlaceholderText(tr("export.date_default"))
        self.more = MoreOptions()
        self.more.form.addRow(tr("export.date"), date)
        self.body.addWidget(self.more)
        return date

    def finish_layout(self) -> None:
        self.form.addRow(self.personal)
        self.body.addStretch(1)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, export_name(self.kind), self.path.text(), self.file_filter)
        if path:
            self.path.setText(path)

    def snapshot(self):
        # Counts as the households give them, as gridtool export writes them (a roster imported
        # again after the partition leaves the grids' stored counts stale): one total in every file.
        from ..partition.totals import with_household_counts
        return with_household_counts(self.window.session.materialized())[0]

    def names(self) -> dict:
        """``title``, ``township``, ``unit`` as typed (None: the default from the data)."""
        return dict(title=self.title.text().strip() or None, township=self.township.text().strip() or None,
                    unit=self.unit.text().strip() or None)

    def job(self):
        """The export as ``work(project, out, progress, cancelled)``: the dialog's choices are read
        here, on the GUI thread; ``work`` runs on the worker thread and touches no widget."""
        raise NotImplementedError

    def _run(self) -> None:
        out = self.path.text().strip()
        if not out:
            self.error.setText(tr("export.no_file"))
            return
        try:
            work = self.job()  # the choices read and checked (colours, thresholds, CRS)
        except GridtoolError as exc:
            self.error.setText(exc.format(i18n.language()))
            return
        project = self.snapshot()
        w = self.window

        def run(progress, cancelled):
            from ..atomic import publish_together
            with publish_together():  # every file of the export in place together, or none of them
                return work(project, out, progress=progress, cancelled=cancelled)

        def done(result):
            w.log_message(tr("export.done", what=export_name(self.kind), path=out))
            w.statusBar().showMessage(tr("export.done", what=export_name(self.kind), path=out), 8000)

        def kept() -> None:
            w.log_message(tr("export.kept", what=export_name(self.kind), path=out), "warning")

        def failed(exc, tb):
            (w.jobs.on_error or w._job_error_fallback)(exc, tb)
            kept()

        if w.run_job(export_name(self.kind), run, done, on_error=failed, on_cancel=kept) is not None:
            self.accept()


class WallMapDialog(_ExportDialog):
    """Wall map: sheet, orientation, scale, labels; a preview from the export's own drawing."""

    kind = "wallmap"
    suffixes = (".pdf", ".png", ".svg")
    file_filter = "PDF (*.pdf);;PNG (*.png);;SVG (*.svg)"

    def __init__(self, window):
        super().__init__(window)
        self.size = QComboBox()
        self.size.addItems(SIZES)
        self.size.setCurrentText("A3")
        # Orientation: automatic (the one that shows the data larger) unless the user picks one.
        self.orientation = QComboBox()
        for key, value in (("export.orientation_auto", None), ("export.portrait", False),
                           ("export.landscape", True)):
            self.orientation.addItem(tr(key), value)
        self.scale = QSpinBox()
        self.scale.setRange(0, 1_000_000)
        self.scale.setSingleStep(500)
        self.scale.setSpecialValueText(tr("export.scale_fit"))
        self.scale.setPrefix("1:")
        self.labels = QCheckBox(tr("export.labels"))
        self.labels.setChecked(True)
        self.dpi = QSpinBox()
        self.dpi.setRange(72, 600)
        self.dpi.setValue(200)
        sheet = QHBoxLayout()
        sheet.addWidget(self.size)
        sheet.addWidget(self.orientation)
        self.form.addRow(tr("export.sheet"), sheet)
        self.form.addRow(tr("export.scale"), self.scale)
        self.form.addRow(tr("export.dpi"), self.dpi)
        self.form.addRow(self.labels)
        # --subtitle, --date, --coord-grid: rarely changed, folded away
        self.subtitle = QLineEdit()
        self.subtitle.setPlaceholderText(tr("export.subtitle_default"))
        self.date = QLineEdit()
        self.date.setPlaceholderText(tr("export.date_default"))
        self.coord_grid = QComboBox()
        for key in ("auto", "gk", "lonlat", "none"):
            self.coord_grid.addItem(tr(f"export.coord_grid.{key}"), key)
        self.more = MoreOptions()
        self.more.form.addRow(tr("export.subtitle"), self.subtitle)
        self.more.form.addRow(tr("export.date"), self.date)
        self.more.form.addRow(tr("export.coord_grid"), self.coord_grid)
        self.body.addWidget(self.more)
        self.preview_box = QGroupBox(tr("export.preview"))
        pl = QVBoxLayout(self.preview_box)
        self.refresh = QPushButton(tr("export.refresh"))
        self.refresh.clicked.connect(self.draw_preview)
        self.canvas = None
        try:
            self.canvas = sheet_canvas()
            self.figure = self.canvas.figure
            pl.addWidget(self.canvas, 1)
        except ImportError as exc:  # matplotlib without its Qt backend
            pl.addWidget(QLabel(str(exc)))
        pl.addWidget(self.refresh)
        self.columns.addWidget(self.preview_box, 2)
        self.finish_layout()
        fit_to_screen(self, 1150, 760)
        if self.canvas is not None:
            from PyQt6.QtCore import QTimer
            QTimer.singleShot(0, self.draw_preview)

    def options(self) -> dict:
        coord = self.coord_grid.currentData()
        return dict(size=self.size.currentText(), landscape=self.orientation.currentData(),
                    scale=self.scale.value() or None, labels=self.labels.isChecked(),
                    include_personal=self.personal.isChecked(), subtitle=self.subtitle.text().strip() or None,
                    date=self.date.text().strip() or None, coord_grid=None if coord == "none" else coord,
                    **self.names())

    def draw_preview(self) -> None:
        """The wall map drawn by the export code (``draw_wall_map``) for the preview canvas.

        The drawing runs on the worker thread into a fresh figure, which then replaces the
        canvas's figure on the GUI thread, where only the rasterising at screen size is left.
        """
        if self.canvas is None:
            return
        self.refresh.setEnabled(False)
        project = self.snapshot()
        draw = self.drawer()

        def work(progress, cancelled):
            import matplotlib
            from matplotlib.figure import Figure

            from ..maps.fonts import export_rc
            fig = Figure()
            with matplotlib.rc_context(export_rc()):
                draw(fig, project, progress=progress, cancelled=cancelled)
            return fig

        def done(fig):
            self.refresh.setEnabled(True)
            self.error.setText("")
            self.canvas.show_figure(fig)

        def failed(exc, tb):
            self.refresh.setEnabled(True)
            if isinstance(exc, GridtoolError):
                self.error.setText(exc.format(i18n.language()))
            elif self.window.jobs.on_error is not None:
                self.window.jobs.on_error(exc, tb)

        if self.window.run_job(tr("export.preview"), work, done, on_error=failed,
                               on_cancel=lambda: self.refresh.setEnabled(True)) is None:
            self.refresh.setEnabled(True)

    def drawer(self):
        """The preview drawing as ``draw(fig, project, progress, cancelled)`` (choices read now)."""
        opts = self.options()

        def draw(fig, project, progress, cancelled):
            from ..maps.wallmap import draw_wall_map
            draw_wall_map(fig, project, progress=progress, cancelled=cancelled, **opts)
        return draw

    def job(self):
        opts, dpi = self.options(), self.dpi.value()

        def work(project, out, progress, cancelled):
            from ..maps.wallmap import render_wall_map
            return render_wall_map(project, out, dpi=dpi, progress=progress, cancelled=cancelled, **opts)
        return work


class AssessmentDialog(WallMapDialog):
    """The five-colour assessment map (五色图) of a rating column of the grids layer."""

    kind = "assessment"

    def __init__(self, window):
        self.field = QComboBox()
        super().__init__(window)
        g = window.session.project.layers["grids"].gdf
        skip = {"geometry", "code", "village", "village_code", "note", "worker", "place_names"}
        for c in g.columns:
            if c not in skip:
                label = field_name(c, "grids")
                self.field.addItem(label if label == c else f"{label} ({c})", c)
        for guess in ("rating", "assessment", "score", "考核", "评价", "等级"):
            i = self.field.findData(guess)
            if i >= 0:
                self.field.setCurrentIndex(i)
        from ..join import is_score_header
        joined = [c for c in g.columns if isinstance(c, str) and is_score_header(c)]
        if joined:  # a score column joined from a table (考核得分): the likely choice
            self.field.setCurrentIndex(self.field.findData(joined[-1]))
        self.form.insertRow(2, tr("export.field"), self.field)
        # the export always labels the grids with their rating: no choice to offer here
        self.labels.setVisible(False)
        # --classes NAME=#RRGGBB,… and --breaks A,B,C,D, read by the command's own parsers
        self.classes = QLineEdit()
        self.classes.setPlaceholderText(tr("export.classes_default"))
        self.classes.setToolTip(tr("export.classes_tip"))
        self.breaks = QLineEdit()
        self.breaks.setPlaceholderText(tr("export.breaks_default"))
        self.breaks.setToolTip(tr("export.breaks_tip"))
        self.form.insertRow(3, tr("export.classes"), self.classes)
        self.form.insertRow(4, tr("export.breaks"), self.breaks)
        # the command draws the five-colour map without a coordinate grid choice: none offered here
        self.coord_grid.setVisible(False)
        self.more.form.labelForField(self.coord_grid).setVisible(False)

    def rating_field(self) -> str:
        return self.field.currentData() or self.field.currentText()

    def options(self) -> dict:
        opts = super().options()
        opts.pop("coord_grid")  # as ``gridtool export --assessment``: the default grid
        return opts

    def scheme(self) -> dict:
        """``classes`` and ``breaks`` as typed (None: the defaults), refused here when malformed."""
        from ..maps.colours import parse_breaks, parse_classes
        classes, breaks = self.classes.text().strip(), self.breaks.text().strip()
        return dict(classes=parse_classes(classes) if classes else None,
                    breaks=parse_breaks(breaks) if breaks else None)

    def drawer(self):
        # The same drawing as render_assessment_map: title, subtitle, legend title and grid labels.
        opts = self.options()
        opts["labels"] = True
        title = opts.pop("title") or None
        subtitle = opts.pop("subtitle")
        field = self.rating_field()
        try:
            scheme = self.scheme()
        except GridtoolError:
            scheme = {}  # the preview in the default colours; Run says what is wrong

        def draw(fig, project, progress, cancelled):
            from ..maps.assessment import assessment_style
            from ..maps.wallmap import draw_wall_map
            style = assessment_style(project, field, title=title, subtitle=subtitle, township=opts.get("township"),
                                     **scheme)
            draw_wall_map(fig, project, progress=progress, cancelled=cancelled, **style, **opts)
        return draw

    def job(self):
        opts = self.options()
        opts.pop("labels", None)
        field, dpi = self.rating_field(), self.dpi.value()
        scheme = self.scheme()

        def work(project, out, progress, cancelled):
            from ..maps.assessment import render_assessment_map
            return render_assessment_map(project, out, field=field, dpi=dpi, progress=progress,
                                         cancelled=cancelled, **scheme, **opts)
        return work


class LedgerDialog(_ExportDialog):
    """The Excel ledger (台账): grids, sub-grids, special grids, household list, exceptions."""

    kind = "ledger"
    suffixes = (".xlsx",)
    file_filter = "Excel (*.xlsx)"

    def __init__(self, window):
        super().__init__(window)
        self.title.setVisible(False)
        self.form.labelForField(self.title).setVisible(False)
        self.personal.setText(tr("export.ledger_personal"))
        self.finish_layout()

    def job(self):
        personal = self.personal.isChecked()

        def work(project, out, progress, cancelled):
            from ..maps.ledger import write_ledger_xlsx
            return write_ledger_xlsx(project, out, include_personal=personal, progress=progress, cancelled=cancelled)
        return work


class AtlasDialog(_ExportDialog):
    kind = "atlas"
    suffixes = (".pdf",)
    file_filter = "PDF (*.pdf)"

    def __init__(self, window):
        super().__init__(window)
        self.date = self.add_date()
        # --atlas-grids: one village's grids, the grid selected, or codes typed (empty: every grid)
        self.scope = QComboBox()
        self.scope.addItem(tr("export.atlas_all"), None)
        from .walk_dialog import selected_grid
        chosen = selected_grid(window)
        if chosen:
            self.scope.addItem(tr("export.atlas_selected", code=chosen), [chosen])
        for village, codes in self._village_codes().items():
            self.scope.addItem(tr("export.atlas_village", village=village, n=len(codes)), codes)
        self.codes = QLineEdit()
        self.codes.setPlaceholderText(tr("export.atlas_codes_hint"))
        self.scope.currentIndexChanged.connect(
            lambda _i: self.codes.setText(",".join(self.scope.currentData() or [])))
        self.more.form.addRow(tr("export.atlas_scope"), self.scope)
        self.more.form.addRow(tr("export.atlas_codes"), self.codes)
        self.finish_layout()

    def _village_codes(self) -> dict[str, list[str]]:
        """Each village's base-grid codes, in the plan's order (the atlas's pages)."""
        p = self.window.session.project
        g = p.layers["grids"].gdf if p is not None and "grids" in p.layers else None
        if g is None or "code" not in g or "village" not in g:
            return {}
        out: dict[str, list[str]] = {}
        for v, c in zip(g["village"].astype(str), g["code"].astype(str)):
            out.setdefault(v, []).append(c)
        return out

    def grid_codes(self) -> list[str] | None:
        """The codes as ``--atlas-grids`` takes them (comma, 、 or space separated); None: every grid."""
        import re
        codes = [c for c in re.split(r"[,，、\s]+", self.codes.text().strip()) if c]
        return codes or None

    def job(self):
        personal, names, date = self.personal.isChecked(), self.names(), self.date.text().strip() or None
        grids = self.grid_codes()
        if grids is not None:  # said in the dialog, the codes typed kept, before the job starts
            from ..maps.atlas import check_atlas_grids
            check_atlas_grids(self.window.session.project, grids)

        def work(project, out, progress, cancelled):
            from ..maps.atlas import write_atlas
            return write_atlas(project, out, include_personal=personal, date=date, grids=grids, progress=progress,
                               cancelled=cancelled, **names)
        return work


class CardsDialog(_ExportDialog):
    kind = "cards"
    suffixes = (".pdf",)
    file_filter = "PDF (*.pdf)"

    def __init__(self, window):
        super().__init__(window)
        self.date = self.add_date()
        self.finish_layout()
        self.personal.setVisible(False)  # route cards carry places and times, no personal data

    def job(self):
        names, date = self.names(), self.date.text().strip() or None

        def work(project, out, progress, cancelled):
            from ..maps.cards import write_route_cards
            return write_route_cards(project, out, date=date, progress=progress, cancelled=cancelled, **names)
        return work


class WalkFilesDialog(_ExportDialog):
    """The street walks kept in the project as ``gridtool walk`` writes them, into a folder: per
    grid ``walk-<code>.gpkg``, ``.gpx``, ``.kml``, ``-streets.csv`` and ``-card.pdf``
    (:func:`gridtool.maps.route_files.write_project_walks`); a file of that name gridtool did not
    write is refused."""

    kind = "walk"
    suffixes = ("",)

    def __init__(self, window):
        from PyQt6.QtCore import QTime
        from PyQt6.QtWidgets import QTimeEdit
        super().__init__(window)
        self.form.itemAt(0, QFormLayout.ItemRole.LabelRole).widget().setText(tr("export.walk_folder"))
        for wdg in (self.title, self.township, self.unit):  # the cards are headed as the command heads them
            wdg.setVisible(False)
            self.form.labelForField(wdg).setVisible(False)
        from ..maps.route_files import stored_walk_start  # the start gridtool export --walks takes too
        self.start_time = QTimeEdit(QTime.fromString(stored_walk_start(window.session.project), "HH:mm"))
        self.start_time.setDisplayFormat("HH:mm")
        self.form.addRow(tr("export.walk_start"), self.start_time)
        self.finish_layout()
        self.personal.setVisible(False)  # streets, times and a station's name: no personal data

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, export_name(self.kind), self.path.text())
        if path:
            self.path.setText(path)

    def job(self):
        t = self.start_time.time()
        start = t.hour() * 60 + t.minute()
        lang = "zh" if i18n.language() == "zh" else "en"

        def work(project, out, progress, cancelled):
            from ..maps.route_files import write_project_walks
            return write_project_walks(project, Path(out), start_minutes=start, lang=lang, progress=progress,
                                       cancelled=cancelled)
        return work


class HtmlDialog(_ExportDialog):
    kind = "html"
    suffixes = (".html",)
    file_filter = "HTML (*.html)"

    def __init__(self, window):
        super().__init__(window)
        self.tiles = QLineEdit()
        self.tiles.setPlaceholderText(tr("export.tiles_placeholder"))
        self.form.addRow(tr("export.tiles"), self.tiles)
        self.finish_layout()

    def job(self):
        names, personal = self.names(), self.personal.isChecked()
        tiles = self.tiles.text().strip() or None
        lang = i18n.language()

        def work(project, out, progress, cancelled):
            from ..maps.html import write_html
            return write_html(project, out, include_personal=personal, tiles=tiles, progress=progress,
                              cancelled=cancelled, lang=lang, **names)
        return work


class GisDialog(_ExportDialog):
    """GeoPackage, shapefiles (zip), GeoJSON (folder), KML/KMZ, GPX; which layers; shapefile encoding."""

    kind = "gis"
    suffixes = (".gpkg",)

    def __init__(self, window):
        super().__init__(window)
        self.format = QComboBox()
        for key, _sfx in GIS_FORMATS:
            self.format.addItem(tr(f"export.gis.{key}"), key)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.encoding = QComboBox()
        self.encoding.addItems(["utf-8", "gbk"])
        self.form.insertRow(0, tr("export.format"), self.format)
        self.form.addRow(tr("export.encoding"), self.encoding)
        # --gis-crs: the coordinate system of the GeoPackage and shapefiles (default the boundaries')
        from ..maps.gis import boundary_crs_label
        self.crs = QLineEdit()
        self.crs.setPlaceholderText(tr("export.gis_crs_default", crs=boundary_crs_label(window.session.project)
                                       or window.session.project.user_crs or "—"))
        self.crs.setToolTip(tr("export.gis_crs_tip"))
        self.form.addRow(tr("export.gis_crs"), self.crs)
        box = QGroupBox(tr("export.layers"))
        grid = QGridLayout(box)
        self.roles = {}
        from ..maps.gis import GIS_LAYERS
        p = window.session.project
        for i, role in enumerate(r for r in GIS_LAYERS if r in p.layers):
            cb = QCheckBox(role_name(role))
            cb.setChecked(True)
            self.roles[role] = cb
            grid.addWidget(cb, i // 3, i % 3)
        self.body.addWidget(box)
        for w in (self.title, self.township, self.unit):  # GIS files carry no title
            w.setVisible(False)
            self.form.labelForField(w).setVisible(False)
        self.finish_layout()
        self._format_changed()

    def _format_changed(self) -> None:
        key = self.format.currentData()
        sfx = dict(GIS_FORMATS)[key]
        stem = str(Path(self.path.text()).with_suffix("")) if Path(self.path.text()).suffix else self.path.text()
        self.path.setText(stem + sfx)
        self.encoding.setEnabled(key == "shp")
        self.crs.setEnabled(key in ("gpkg", "shp"))  # GeoJSON, KML and GPX are WGS84 by their standards
        for role, cb in self.roles.items():
            cb.setEnabled(key != "gpx")

    def _browse(self) -> None:
        key = self.format.currentData()
        if key == "geojson":
            d = QFileDialog.getExistingDirectory(self, export_name("gis"), self.path.text())
            if d:
                self.path.setText(d)
            return
        super()._browse()

    def job(self):
        key = self.format.currentData()
        roles = [r for r, cb in self.roles.items() if cb.isChecked()] or None
        personal = self.personal.isChecked()
        encoding = self.encoding.currentText()
        step = export_name("gis")
        lang = i18n.language()
        crs = self.crs.text().strip() or None
        if crs and key in ("gpkg", "shp"):
            from ..crs import parse_crs
            parse_crs(crs)  # an unknown CRS is refused here, in the dialog, as the command refuses it

        def work(project, out, progress, cancelled):
            from ..maps import gis
            progress(0.1, step)
            check = dict(progress=progress, cancelled=cancelled)
            if key == "gpkg":
                return gis.write_gpkg(project, out, roles=roles, include_personal=personal, crs=crs, **check)
            if key == "shp":
                return gis.write_shapefiles(project, out, roles=roles, encoding=encoding, include_personal=personal,
                                            lang=lang, crs=crs, **check)
            if key == "geojson":
                return gis.write_geojson(project, out, roles=roles, include_personal=personal, **check)
            if key in ("kml", "kmz"):
                return gis.write_kml(project, out, roles=roles, include_personal=personal, kmz=key == "kmz", **check)
            return gis.write_gpx(project, out, include_personal=personal, cancelled=cancelled)
        return work
