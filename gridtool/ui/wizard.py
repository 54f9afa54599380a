"""The new-project wizard: layers by role (file, layer, encoding with decoded preview, coordinate
system incl. GCJ-02/BD-09), then loading and checking in the background with every problem listed.

Loading is :meth:`gridtool.project.Project.from_sources` and checking :func:`gridtool.validate.validate`,
run by the main window's job runner; the finished project opens in the window (not yet saved) with
its problems in the problems panel, where each zooms to its place on the map.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                             QPlainTextEdit, QProgressBar, QPushButton, QTreeWidget, QTreeWidgetItem,
                             QVBoxLayout, QWidget, QWizard, QWizardPage)

from ..column_content import Found, describe
from ..errors import CancelledError, GridtoolError
from ..io.excel_sheets import SHEET_COLUMN
from ..layers import ONE_PER_ROW
from ..roles import VECTOR_ROLES
from . import i18n
from .app_hints import app_fix
from .crs_choice import CRS_CHOICES, crs_box, crs_value  # noqa: F401  (CRS_CHOICES: the wizard's, as before)
from .i18n import role_name, tr
from .screen import fit_to_screen, scrolling

ENCODINGS = ("", "utf-8", "gbk", "gb18030", "big5")
FILE_FILTER = "*.gpkg *.shp *.zip *.geojson *.json *.kml *.kmz *.csv *.txt *.xlsx *.xls *.osm *.pbf *.dxf"


class _RoleRow:
    """The widgets of one role: file, layer, encoding, coordinate system."""

    def __init__(self, page: "LayersPage", role: str, row: int, grid: QGridLayout):
        self.page = page
        self.role = role
        self.label = QLabel(role_name(role))
        self.path = QLineEdit()
        self.path.setPlaceholderText(tr("wizard.no_file"))
        self.path.editingFinished.connect(self.refresh)
        self.browse = QPushButton("…")
        self.browse.setMaximumWidth(32)
        self.browse.clicked.connect(self._browse)
        self.layer = QComboBox()
        self.layer.setMinimumWidth(110)
        self.encoding = QComboBox()
        for e in ENCODINGS:
            self.encoding.addItem(e or tr("wizard.auto"), e)
        self.encoding.currentIndexChanged.connect(lambda _i: self.page.show_preview(self))
        self.crs = crs_box()
        # --field ROLE.KEY=COLUMN for this layer (village, id, name, code …), chosen in a dialog.
        self.fields: dict[str, str] = {}
        self.fields_button = QPushButton()
        self.fields_button.clicked.connect(self.choose_fields)
        self._show_fields()
        for col, w in enumerate((self.label, self.path, self.browse, self.layer, self.encoding, self.crs,
                                 self.fields_button)):
            grid.addWidget(w, row, col)
        self.path.textChanged.connect(lambda _t: self.page.completeChanged.emit())
        for w in (self.path, self.layer, self.encoding, self.crs):
            w.installEventFilter(page)
            w.setProperty("role_row", role)
        self.layer.activated.connect(lambda _i: self.page.show_preview(self))  # another sheet: its warnings
        if role == "households":  # another sheet or encoding: other columns to offer for 户数
            self.layer.activated.connect(lambda _i: self.page.refresh_count_column())
            self.encoding.activated.connect(lambda _i: self.page.refresh_count_column())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.page, role_name(self.role), "",
                                              f"{tr('wizard.filter')} ({FILE_FILTER})")
        if path:
            self.path.setText(path)
            self.refresh()

    def _show_fields(self) -> None:
        n = len(self.fields)
        self.fields_button.setText(tr("wizard.fields_set", n=n) if n else tr("wizard.fields"))
        chosen = "、".join(f"{k}={c}" for k, c in self.fields.items()) or tr("wizard.auto")
        self.fields_button.setToolTip(tr("wizard.fields_tip", chosen=chosen))

    def columns(self) -> tuple[list[str] | None, bool]:
        """(The file's attribute columns as the import reads them — None while a table is being
        read in the background —, is it a table?)."""
        from ..io.vector import sample_attributes
        p = self.path.text().strip()
        if not p or not Path(p).exists():
            return [], False
        table = self.page._table_key(self) is not None
        if table:
            read = self.page.table_preview(self)
            if read is None:
                return None, True
            df = read[0]
        else:
            df = sample_attributes(p, layer=self.layer.currentData(), encoding=self.encoding.currentData() or None)
        cols = [str(c) for c in df.columns if c != "geometry"] if df is not None else []
        return cols, table

    def choose_fields(self) -> None:
        from .columns_dialog import ColumnsDialog
        cols, table = self.columns()
        if cols is None:  # still reading the workbook (off the UI thread): say so, do not block
            self.page.preview.appendPlainText(tr("columns.reading"))
            return
        dlg = ColumnsDialog(self.role, cols, self.fields, table=table, parent=self.page)
        if dlg.exec():
            self.fields = dlg.chosen()
            self._fields_for = self.path.text().strip()  # the file they name the columns of
            self._show_fields()

    def refresh(self) -> None:
        """List the file's layers and show its decoded text (a table: the warnings of its reading)."""
        from ..io.excel_sheets import ALL_SHEETS
        from ..io.vector import list_layers, suffix_of
        # Another file: its columns differ, the choices made for the old one go. The same file read
        # again (Enter pressed in the path box) keeps them.
        if self.fields and self.path.text().strip() != getattr(self, "_fields_for", None):
            self.fields = {}
            self._show_fields()
        self.layer.clear()
        p = self.path.text().strip()
        if p and Path(p).exists():
            try:
                names = list_layers(p)
            except Exception as exc:  # noqa: BLE001 - shown to the user, the wizard goes on
                self.page.preview.setPlainText(str(exc))
                names = []
            workbook = suffix_of(Path(p)) in (".xlsx", ".xls") and len(names) > 1
            if workbook:  # no sheet named: read as the command line does, and told of the others
                self.layer.addItem(tr("wizard.sheet_auto"), None)
            for n in names:
                self.layer.addItem(n, n)
            if workbook:  # 一村一表: every sheet as one layer (PATH:*)
                self.layer.addItem(tr("wizard.all_sheets"), ALL_SHEETS)
            i = self.layer.findText(self.role)
            if i >= 0:
                self.layer.setCurrentIndex(i)
        self.page.show_preview(self)
        if self.role == "households":
            self.page.refresh_count_column()

    def spec(self) -> str | None:
        p = self.path.text().strip()
        if not p:
            return None
        layer = self.layer.currentData()
        return f"{p}:{layer}" if layer and self.layer.count() > 1 else p

    def crs_value(self) -> str:
        return crs_value(self.crs)


class LayersPage(QWizardPage):
    """Files by role. A table (CSV, Excel) is read as the import reads it on the window's job
    runner, never on the GUI thread: a workbook of 20 village sheets takes seconds, and the
    preview says it is being read meanwhile; ``window=None`` reads at once (no runner)."""

    def __init__(self, parent=None, window=None):
        super().__init__(parent)
        self.window = window
        self._reading = None  # the key of the table being read in the background
        self._preview_job = None
        self._active = True  # False once the import starts or the wizard ends: no more reads
        self._waiting = False  # for the runner's current job to end
        self.setTitle(tr("wizard.layers_title"))
        self.setSubTitle(tr("wizard.layers_sub"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("wizard.name_placeholder"))
        grid = QGridLayout()
        for col, key in enumerate(("role", "file", "", "layer", "encoding", "crs", "fields")):
            if key:
                h = QLabel(f"<b>{tr(f'wizard.col.{key}')}</b>")
                grid.addWidget(h, 0, col)
        self.rows = {}
        for i, role in enumerate(VECTOR_ROLES):
            self.rows[role] = _RoleRow(self, role, i + 1, grid)
        # The elevation model is a raster: a file only (GeoTIFF, .hgt, .hgt.zip), no layer or encoding.
        r = len(VECTOR_ROLES) + 1
        self.dem_path = QLineEdit()
        self.dem_path.setPlaceholderText(tr("wizard.dem_placeholder"))
        dem_browse = QPushButton("…")
        dem_browse.setMaximumWidth(32)
        dem_browse.clicked.connect(self._browse_dem)
        grid.addWidget(QLabel(role_name("dem")), r, 0)
        grid.addWidget(self.dem_path, r, 1)
        grid.addWidget(dem_browse, r, 2)
        grid.setColumnStretch(1, 1)
        # The household-count column decides every total: shown as guessed, and chosen here
        # (a column, or each row one household) as --field households.hh=… does on the command line.
        self.hh_column = QComboBox()
        self.hh_column.setMinimumWidth(220)
        self.hh_column.currentIndexChanged.connect(lambda _i: self._show_count_choice())
        self.hh_note = QLabel()
        self.hh_note.setWordWrap(True)
        self._hh_guess: tuple[str | None, str] = (None, "")
        self._tables: dict[tuple, tuple] = {}  # tables as the import reads them, by file, sheet, encoding
        self._shown: _RoleRow | None = None  # the row whose file the preview shows
        hh_row = QHBoxLayout()
        hh_row.addWidget(QLabel(tr("wizard.hh_column")))
        hh_row.addWidget(self.hh_column)
        hh_row.addWidget(self.hh_note, 1)
        self.preview_label = QLabel(tr("wizard.preview"))
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setMaximumHeight(110)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("wizard.name")))
        top.addWidget(self.name, 1)
        rows = QWidget()  # twelve rows: they scroll on a small screen, the wizard's buttons stay on it
        rows.setLayout(grid)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        self.rows_area = scrolling(rows)
        lay.addWidget(self.rows_area, 1)
        lay.addLayout(hh_row)
        lay.addWidget(self.preview_label)
        lay.addWidget(self.preview)

    def resizeEvent(self, event) -> None:
        # On a laptop (910×490 at 150 %) the preview's 110 pixels left two of the twelve layer rows
        # in view: it gives up height first (it scrolls), down to three lines.
        super().resizeEvent(event)
        line = self.preview.fontMetrics().lineSpacing()
        self.preview.setMaximumHeight(max(3 * line + 12, min(110, event.size().height() // 5)))

    def refresh_count_column(self) -> None:
        """Offer the households file's columns for the household count, the loader's guess first."""
        from ..io.vector import sample_attributes
        row = self.rows["households"]
        p = row.path.text().strip()
        df = None
        if p and Path(p).exists():
            if self._table_key(row) is not None:
                read = self.table_preview(row)
                if read is None:  # being read in the background: offered when it is done
                    self._offer_count_columns(None, reading=True)
                    return
                df = read[0]
            else:
                df = sample_attributes(p, layer=row.layer.currentData(), encoding=row.encoding.currentData() or None)
        self._offer_count_columns(df)

    def _offer_count_columns(self, df, *, reading: bool = False) -> None:
        from ..column_content import samples_of
        from ..layers import guess_count_column
        # The sheet column of a merged workbook is the village at most, never a count.
        cols = [str(c) for c in df.columns if c not in ("geometry", SHEET_COLUMN)] if df is not None else []
        guess = guess_count_column(df) if cols else None
        self._hh_guess = (guess, "、".join(samples_of(df[guess])) if guess else "")
        self.hh_column.blockSignals(True)
        self.hh_column.clear()
        self.hh_column.addItem(tr("wizard.hh_auto", col=guess) if guess else tr("wizard.hh_auto_none"), None)
        self.hh_column.addItem(tr("wizard.hh_per_row"), ONE_PER_ROW)
        for c in cols:
            self.hh_column.addItem(c, c)
        self.hh_column.blockSignals(False)
        self._show_count_choice(reading)

    def _show_count_choice(self, reading: bool = False) -> None:
        choice = self.hh_column.currentData()
        guess, samples = self._hh_guess
        if reading and choice is None:
            text = tr("wizard.hh_reading")
        elif choice == ONE_PER_ROW:
            text = tr("wizard.hh_one")
        elif choice is not None:
            text = tr("wizard.hh_chosen", col=choice)
        elif guess:
            text = tr("wizard.hh_guessed", col=guess, samples=samples)
        else:
            text = tr("wizard.hh_none") if self.rows["households"].path.text().strip() else ""
        self.hh_note.setText(text)

    def count_column(self) -> str | None:
        """The household-count column chosen, ``ONE_PER_ROW``, or None for the loader's own guess."""
        return self.hh_column.currentData()

    def fields(self) -> dict[str, str]:
        """``--field`` options of the choices made here: ``{"households.hh": column or "1",
        "villages.name": "CJQYMC", …}``."""
        col = self.count_column()
        out = {"households.hh": col} if col is not None and self.rows["households"].spec() else {}
        for role, r in self.rows.items():
            if r.spec():
                out.update({f"{role}.{k}": c for k, c in r.fields.items()})
        return out

    def _browse_dem(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, role_name("dem"), "",
                                              f"{tr('wizard.filter')} (*.tif *.tiff *.hgt *.zip *.asc *.img)")
        if path:
            self.dem_path.setText(path)

    def dem(self) -> str | None:
        return self.dem_path.text().strip() or None

    def eventFilter(self, obj, ev):
        from PyQt6.QtCore import QEvent
        if ev.type() == QEvent.Type.FocusIn:
            role = obj.property("role_row")
            if role in self.rows:
                self.show_preview(self.rows[role])
        return False

    def isComplete(self) -> bool:
        return bool(self.rows["households"].path.text().strip())

    def _table_key(self, row: _RoleRow) -> tuple | None:
        """What a table's reading depends on (role, file, sheet, encoding, file time); None for
        other files."""
        from ..io.vector import TABLE_SUFFIXES, suffix_of
        p = row.path.text().strip()
        if not p or not Path(p).is_file() or suffix_of(Path(p)) not in TABLE_SUFFIXES:
            return None
        return (row.role, p, row.layer.currentData(), row.encoding.currentData(), Path(p).stat().st_mtime_ns)

    def table_preview(self, row: _RoleRow) -> tuple | None:
        """``(rows, warnings, error)`` of a CSV or Excel file as the import reads it (the rows it
        keeps, the sheets not read or not merged, hidden rows), read once per file, sheet and
        encoding; None for other files, and while the table is being read in the background
        (the preview and the count column are filled in when it is done)."""
        key = self._table_key(row)
        if key is None:
            return None
        if key not in self._tables:
            if self.window is None:
                self._tables[key] = self._read(key)
            else:
                self._read_in_background(key)
                return None
        return self._tables[key]

    @staticmethod
    def _read(key, progress=None, cancelled=None) -> tuple:
        from ..io.vector import preview_table
        role, p, layer, enc, _mtime = key
        try:
            df, problems = preview_table(p, layer=layer, encoding=enc or None, role=role, progress=progress,
                                         cancelled=cancelled)
            return (df, problems, None)
        except CancelledError:
            raise
        except GridtoolError as exc:
            return (None, [], exc)

    def _read_in_background(self, key) -> None:
        """Read the table of ``key`` on the job runner; when another job runs (a read of another
        sheet, a partition), read it after that job."""
        if self._reading == key:
            return
        jobs = self.window.jobs
        if jobs.busy:
            if self._reading is not None and jobs.current is self._preview_job:
                jobs.cancel()  # another sheet or file was chosen: that read is of no use now
            self._wait_for_runner()
            return

        def over() -> None:
            if self._reading == key:  # not a read started since (the runner's ``ended`` comes first)
                self._reading = self._preview_job = None

        def stopped() -> None:
            mine = self._reading == key
            over()
            if mine and self._active and self._shown is not None and self._table_key(self._shown) == key:
                self.preview.setPlainText(tr("wizard.read_stopped", name=Path(key[1]).name))

        def done(result):
            self._tables[key] = result
            over()
            if self._active:
                self._refresh_current()

        def failed(exc, tb):
            self._tables[key] = (None, [], exc)
            over()
            if self._active:
                self._refresh_current()
            if not isinstance(exc, GridtoolError) and jobs.on_error:
                jobs.on_error(exc, tb)

        name = Path(key[1]).name
        self._reading = key
        self._preview_job = self.window.run_job(tr("job.preview", name=name),
                                                lambda progress, cancelled: self._read(key, progress, cancelled),
                                                done, on_error=failed, on_cancel=stopped)
        if self._preview_job is None:  # the runner would not take it: tried again after its job
            self._reading = None
            self._wait_for_runner()
            return
        self._preview_job.progress.connect(self._reading_progress)

    def _reading_progress(self, fraction: float, message: str) -> None:
        if self._reading is not None and self._shown is not None and self._table_key(self._shown) == self._reading:
            self.preview.setPlainText(tr("wizard.reading", name=Path(self._reading[1]).name) + "\n"
                                      + f"{fraction:.0%} {i18n.one_side(message or '')}")

    def _wait_for_runner(self) -> None:
        if not self._waiting:
            self._waiting = True
            self.window.jobs.ended.connect(self._after_job)

    def _after_job(self, _job=None) -> None:
        if self.window.jobs.busy:
            return  # another job started meanwhile: wait for its end too
        self._waiting = False
        self.window.jobs.ended.disconnect(self._after_job)
        if self._active:
            self._refresh_current()

    def stop_reading(self) -> bool:
        """Stop reading for the preview (the check page or the wizard's end): a read under way is
        cancelled, none is started until the page is used again; True when one was under way."""
        self._active = False
        if self.window is not None and self._preview_job is not None and self.window.jobs.current is self._preview_job:
            self.window.jobs.cancel()
            return True
        return False

    def _refresh_current(self) -> None:
        """Show what was read (or start the next read) for the row on show, and the count column."""
        if self._shown is not None:
            self.show_preview(self._shown)
        self.refresh_count_column()

    def _table_notes(self, row: _RoleRow) -> str:
        """The rows a table will give and every warning of its reading, in the user's language."""
        if self._table_key(row) is None:
            return ""
        read = self.table_preview(row)
        if read is None:
            name = Path(row.path.text().strip()).name
            other = self.window.jobs.current if self.window is not None else None
            if other is not None and other is not self._preview_job:  # the runner does one job at a time
                return tr("wizard.reading_after", name=name, job=other.title)
            return tr("wizard.reading", name=name)
        df, problems, error = read
        lang = i18n.language()
        if error is not None:
            return error.format(lang)
        head = tr("wizard.table_rows", role=role_name(row.role), rows=len(df))
        return "\n".join([head, *(p.format(lang) for p in problems)] if problems else
                         [head + tr("wizard.table_clean")])

    def show_preview(self, row: _RoleRow) -> None:
        """Decoded text of the file in the chosen (or detected) encoding, so a wrong guess shows;
        for a table, the rows it gives and the warnings of its reading (sheets, hidden rows)."""
        from ..encoding import detect_shapefile_encoding, detect_text_file_encoding
        self._shown = row
        self._active = True
        p = row.path.text().strip()
        if not p or not Path(p).exists():
            self.preview.setPlainText("")
            return
        sfx = Path(p).suffix.lower()
        enc = row.encoding.currentData() or None
        if sfx in (".xlsx", ".xls"):
            self.preview.setPlainText(self._table_notes(row))
            return
        try:
            if sfx == ".shp":
                g = detect_shapefile_encoding(p, enc)
                text = "\n".join(g.sample) or tr("wizard.ascii_only")
            elif sfx in (".csv", ".txt"):
                g = detect_text_file_encoding(p, enc)
                text = "\n".join(g.sample) + "\n\n" + self._table_notes(row)
            elif sfx == ".dxf":
                from ..io.dxf import dxf_encoding
                g = dxf_encoding(Path(p), enc)
                text = "\n".join(g.sample) or tr("wizard.ascii_only")
            else:
                self.preview.setPlainText(tr("wizard.preview_na", role=role_name(row.role)))
                return
        except GridtoolError as exc:
            self.preview.setPlainText(exc.format(i18n.language()))
            return
        self.preview.setPlainText(tr("wizard.preview_text", role=role_name(row.role), enc=g.encoding,
                                     source=tr(f"wizard.enc_source.{g.source}") if g.source in
                                     ("cpg", "detected", "ldid", "user", "default", "dwgcodepage") else g.source) + "\n" + text)

    def sources(self) -> tuple[dict, dict, dict]:
        src, crs, enc = {}, {}, {}
        for role, r in self.rows.items():
            spec = r.spec()
            if spec:
                src[role] = spec
                if r.crs_value():
                    crs[role] = r.crs_value()
                if r.encoding.currentData():
                    enc[role] = r.encoding.currentData()
        return src, crs, enc


class CheckPage(QWizardPage):
    """Loads and checks the layers in the background; lists every problem."""

    def __init__(self, wizard, parent=None):
        super().__init__(parent)
        self.wiz = wizard
        self.setTitle(tr("wizard.check_title"))
        self.setSubTitle(tr("wizard.check_sub"))
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels([tr("problems.severity"), tr("problems.message"), tr("problems.fix")])
        self.tree.itemDoubleClicked.connect(self._zoom)
        lay = QVBoxLayout(self)
        lay.addWidget(self.bar)
        lay.addWidget(self.status)
        lay.addWidget(self.tree)
        self.project = None
        self.problems = []
        self.job = None
        self._after_preview = False  # the load waits for a preview read to stop

    def initializePage(self) -> None:
        self.project = None
        self.tree.clear()
        if self.wiz.layers_page.stop_reading() or self._after_preview:  # the import reads the files anew
            self.status.setText(tr("wizard.loading"))
            if not self._after_preview:  # once, however often Back and Next are pressed meanwhile
                self._after_preview = True
                self.wiz.window.jobs.ended.connect(self._start_after_preview, Qt.ConnectionType.SingleShotConnection)
            return
        self._start()

    def _start_after_preview(self, _job=None) -> None:
        self._after_preview = False
        if self.wiz.currentPage() is self:
            self._start()

    def _start(self) -> None:
        from ..project import Project
        from ..validate import validate
        self.project = None
        self.tree.clear()
        layers = self.wiz.layers_page
        src, crs, enc = layers.sources()
        fields = layers.fields()
        name = layers.name.text().strip() or None
        dem = layers.dem()
        self.status.setText(tr("wizard.loading"))
        self.bar.setValue(0)
        self.bar.setFormat("%p%")

        def work(progress, cancelled):
            p = Project.from_sources(src, crs_in=crs or None, encoding=enc or None, fields=fields, name=name, dem=dem,
                                     progress=lambda f, m: progress(0.8 * f, m), cancelled=cancelled)
            progress(0.85, tr("job.validate"))
            problems = validate(p)
            p.problems = problems
            return p

        def failed(exc, tb):
            msg = exc.format(i18n.language()) if isinstance(exc, GridtoolError) else f"{type(exc).__name__}: {exc}"
            self.status.setText(tr("wizard.failed") + "\n" + msg)
            if not isinstance(exc, GridtoolError) and self.wiz.window.jobs.on_error:
                self.wiz.window.jobs.on_error(exc, tb)

        self.job = self.wiz.window.run_job(tr("job.load"), work, self._loaded, on_error=failed)
        if self.job is not None:
            self.job.progress.connect(lambda f, m: (self.bar.setValue(int(f * 1000)),
                                                    self.bar.setFormat(f"{f:.0%} {i18n.one_side(m or '')}")))
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        if self.job is not None and self.wiz.window.jobs.current is self.job:
            self.wiz.window.jobs.cancel()

    def _loaded(self, project) -> None:
        self.project = project
        self.problems = project.problems
        self.bar.setValue(1000)
        self.bar.setFormat("%p%")
        errors = sum(p.severity == "error" for p in self.problems)
        lang = i18n.language()
        status = tr("wizard.loaded", n=len(project.layers), errors=errors, warnings=len(self.problems) - errors)
        hl = project.layers.get("households")
        if hl is not None and hl.total_households is not None:  # the total the count column decided
            detail = hl.columns_detail.get("hh")
            column = describe(Found.from_dict("hh", detail), lang, role="households") if detail else ""
            status = tr("wizard.hh_total", features=len(hl.gdf), total=hl.total_households, column=column) + "\n" + status
        self.status.setText(status)
        for p in sorted(self.problems, key=lambda p: p.severity != "error"):
            it = QTreeWidgetItem([tr("problems.error") if p.severity == "error" else tr("problems.warning"),
                                  (p.zh if lang == "zh" else p.en) + (f"\n{p.where(lang)}" if p.where(lang) else ""),
                                  app_fix(p.fix_zh, p.fix_en)])
            it.setData(0, Qt.ItemDataRole.UserRole, p)
            it.setToolTip(1, it.text(1))  # the whole text where the column cuts it
            it.setToolTip(2, it.text(2))
            self.tree.addTopLevelItem(it)
        self.tree.setColumnWidth(1, 420)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.project is not None

    def _zoom(self, it, _col) -> None:
        """Finish the wizard and show this problem on the map."""
        self.wiz.zoom_after = it.data(0, Qt.ItemDataRole.UserRole)
        self.wiz.accept()


class NewProjectWizard(QWizard):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.zoom_after = None
        self.setWindowTitle(tr("wizard.title"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.layers_page = LayersPage(window=window)
        self.check_page = CheckPage(self)
        self.addPage(self.layers_page)
        self.addPage(self.check_page)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("wizard.next"))
        self.setButtonText(QWizard.WizardButton.BackButton, tr("wizard.back"))
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("wizard.finish"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("common.cancel"))
        fit_to_screen(self, 1000, 720)
        self.accepted.connect(self._finish)
        self.finished.connect(lambda _r: self.layers_page.stop_reading())

    def _finish(self) -> None:
        p = self.check_page.project
        if p is None:
            return
        w = self.window
        w.adopt_new_project(p)
        w.problems.set_problems(p.problems, "import")
        w.docks["problems"].raise_()
        if self.zoom_after is not None:
            w.zoom_to_problem(self.zoom_after)
