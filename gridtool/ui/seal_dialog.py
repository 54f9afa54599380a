"""Sealing an area (封控): the app's face of ``gridtool seal``. The exits are where the roads cross
the boundary of a village or grid chosen from the project
(:func:`gridtool.routing.sealing.exits_of_area`, as ``--area``), or the points of a file, as ``--exits`` takes them;
posts per exit, posts per station (automatic, N, or spread evenly), travel mode and the joining of road
line ends as ``--per-exit``, ``--posts-per-station`` (none, N, ``fewest``), ``--mode`` and ``--snap``.

The file is read by the command's reader (:func:`gridtool.routing.exits_file.read_exits`) in the
coordinate system chosen as the import wizard offers it (``--crs-in exits=…``); what the reading
found (a CRS assumed, no name column, a sheet copied from 高德 read as WGS84) is shown under the
form as soon as the file or the choice changes, and written to the log when the plan runs. A sheet
that looks copied from 高德 does not run at the first press while the note is not yet shown.

The plan is :func:`gridtool.routing.sealing.seal_exits` on the background runner; it enters the
project as layers (``seal_paths``, ``exits``) in one undo step and its report goes to the analysis
panel, which exports ``seal.csv`` and ``seal.gpkg``.
"""

from __future__ import annotations

import math

from PyQt6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox

from ..errors import GridtoolError
from ..layers import Layer
from . import i18n
from .crs_choice import crs_box, crs_value
from .i18n import tr
from .patrol_dialog import _RoutingDialog, log_graph, log_lines, snap_box, snap_value


def area_choices(project) -> list[tuple[str, str, int]]:
    """(label, role, row) of every village and base grid that can be sealed."""
    out = []
    for role, column, key in (("villages", "name", "seal.area_village"), ("grids", "code", "seal.area_grid")):
        lyr = project.layers.get(role)
        if lyr is None:
            continue
        gdf = lyr.gdf
        for i in range(len(gdf)):
            g = gdf.geometry.iloc[i]
            if g is None or g.is_empty:
                continue
            label = str(gdf[column].iloc[i]) if column in gdf else f"#{i + 1}"
            out.append((tr(key, name=label), role, i))
    return out


def area_label(project, role: str, row: int) -> str:
    """The chosen area as ``gridtool seal --area`` names it in its lines (the village's name,
    ``网格 CODE``), not the list's ``村（社区）：…``."""
    gdf = project.layers[role].gdf
    if role == "villages":
        return str(gdf["name"].iloc[row]) if "name" in gdf else f"#{row + 1}"
    return f"网格 {gdf['code'].iloc[row]}" if "code" in gdf else f"#{row + 1}"


class SealDialog(_RoutingDialog):
    """Stations, the area to seal (or a file of exits), posts per exit, travel mode."""

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle(tr("seal.title"))
        self.mode.setCurrentIndex(self.mode.findData("car"))  # as ``gridtool seal`` (police cars)
        self.source = QComboBox()
        self.source.addItem(tr("seal.from_area"), "area")
        self.source.addItem(tr("seal.from_file"), "file")
        self.area = QComboBox()
        for label, role, row in area_choices(self.project):
            self.area.addItem(label, (role, row))
        if not self.area.count():
            self.source.setCurrentIndex(1)
        self.file = QLineEdit()
        self.file.setPlaceholderText(tr("seal.file_hint"))
        self.file.setMinimumWidth(self.file.fontMetrics().horizontalAdvance(tr("seal.file_hint")) + 24)
        browse = QPushButton(tr("seal.browse"))
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        self.crs = crs_box()  # as --crs-in exits=…, the wizard's choices
        self.crs.setToolTip(tr("seal.crs_tip"))
        self.notes = QLabel()  # what reading the file found, before the run
        self.notes.setWordWrap(True)
        self.file.editingFinished.connect(self.check_file)
        self.crs.currentIndexChanged.connect(lambda _i: self.check_file())
        self.crs.lineEdit().editingFinished.connect(self.check_file)
        self.per_exit = QSpinBox()
        self.per_exit.setRange(1, 20)
        self.per_exit.setValue(1)
        # --posts-per-station: none (the command's default), N, or fewest (spread evenly)
        self.posts_how = QComboBox()
        self.posts_how.addItem(tr("seal.posts_auto"), "auto")
        self.posts_how.addItem(tr("seal.posts_number"), "number")
        self.posts_how.addItem(tr("seal.posts_fewest"), "fewest")
        self.posts_how.setToolTip(tr("seal.posts_tip"))
        self.posts = QSpinBox()  # N, when 每所人数 N is chosen
        self.posts.setRange(1, 200)
        self.posts.setValue(2)
        self.posts.setSuffix(tr("seal.posts_suffix"))
        posts_row = QHBoxLayout()
        posts_row.addWidget(self.posts_how, 1)
        posts_row.addWidget(self.posts)
        self.posts_how.currentIndexChanged.connect(lambda _i: self._enable())
        self.snap = snap_box()
        self.source.currentIndexChanged.connect(lambda _: self._enable())
        form = QFormLayout()
        form.addRow(tr("patrol.stations"), self.station_cat)
        form.addRow(tr("seal.exits"), self.source)
        form.addRow(tr("seal.area"), self.area)
        form.addRow(tr("seal.file"), file_row)
        form.addRow(tr("seal.crs"), self.crs)
        form.addRow(tr("seal.per_exit"), self.per_exit)
        form.addRow(tr("seal.posts_per_station"), posts_row)
        form.addRow(tr("patrol.mode"), self.mode)
        form.addRow(tr("patrol.snap"), self.snap)
        form.addRow(tr("patrol.speeds"), self.speed_row())
        self._browse_button = browse
        self._finish_layout(form, self.notes)
        self._enable()

    def _enable(self) -> None:
        area = self.source.currentData() == "area"
        self.area.setEnabled(area)
        self.file.setEnabled(not area)
        self._browse_button.setEnabled(not area)
        self.crs.setEnabled(not area)
        self.notes.setVisible(not area and bool(self.notes.text()))
        self.posts.setEnabled(self.posts_how.currentData() == "number")

    def posts_per_station(self) -> int | str | None:
        """What ``gridtool seal --posts-per-station`` gets: None (not given), N, or ``"fewest"``."""
        how = self.posts_how.currentData()
        return self.posts.value() if how == "number" else "fewest" if how == "fewest" else None

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("seal.file"), "", tr("seal.file_filter"))
        if path:
            self.file.setText(path)
            self.check_file()

    def _read_file(self):
        """The chosen file read as ``gridtool seal --exits PATH --crs-in exits=CHOICE`` reads it."""
        from ..routing.exits_file import read_exits
        text = self.file.text().strip()
        if not text:
            raise GridtoolError("没有选择卡口文件", "no exits file chosen", fix_zh="点“浏览…”选择卡口点图层。",
                                fix_en="press Browse… and choose the layer of exit points.", layer="exits")
        return read_exits(self.project, text, crs_in=crs_value(self.crs) or None)

    def _note_text(self, sheet) -> str:
        lang = i18n.language()
        zh, en = sheet.summary()
        head = zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"
        return "\n".join([head, *(p.format(lang) for p in sheet.problems)])

    def check_file(self) -> None:
        """Read the chosen file now and show under the form what reading it found (or why it cannot
        be read), so the officer sees a 高德 sheet before planning posts on it."""
        self.error.clear()
        self.notes.clear()
        if self.source.currentData() != "file" or not self.file.text().strip():
            self._enable()
            return
        try:
            self.notes.setText(self._note_text(self._read_file()))
        except GridtoolError as exc:
            self.error.setText(exc.format(i18n.language()))
        self._enable()

    def _file_exits(self):
        """The points of the chosen file (``PATH`` or ``PATH:LAYER``) in the project's CRS; what
        reading found goes to the log, as the command prints it. A sheet that looks copied from 高德
        whose warning the dialog has not shown yet is shown, and this press plans nothing."""
        sheet = self._read_file()
        note = self._note_text(sheet)
        if sheet.offset is not None and self.notes.text() != note:
            self.notes.setText(note)
            self._enable()
            raise GridtoolError(
                "卡口坐标很可能取自高德/腾讯或百度地图，按现在的坐标系规划，警力会派到别的路口（见上方说明）",
                "the exits were most likely picked on AMap/Tencent or Baidu maps: planned as read, the posts "
                "go to the wrong crossings (see the note above)",
                fix_zh="把“卡口坐标系”改为说明中的坐标系；确认要照现在的坐标系规划，再按一次“运行”。",
                fix_en="set the exits coordinate system as the note says; to plan as read anyway, press Run again.",
                layer="exits")
        self.notes.setText(note)
        w, lang = self.window, i18n.language()
        zh, en = sheet.summary()
        w.log_message(zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}")
        for p in sheet.problems:
            w.log_message(p.format(lang), "warning")
        return sheet.gdf

    def start(self) -> None:
        from ..routing.sealing import area_exits_line, exits_of_area, seal_exits
        w = self.window
        stations = self._stations()
        per_exit = self.per_exit.value()
        posts = self.posts_per_station()
        if self.source.currentData() == "area":
            if self.area.currentData() is None:
                raise GridtoolError("项目中没有村或网格可供封控", "the project has no villages or grids to seal",
                                    fix_zh="改用卡口点文件，或先导入村界。", fix_en="use a file of exits, or import villages.",
                                    layer="villages")
            role, row = self.area.currentData()
            shape, label = self.project.layers[role].gdf.geometry.iloc[row], area_label(self.project, role, row)
            exits = None
        else:
            shape, label, exits = None, "", self._file_exits()
        build = self._graph_builder(snap_value(self.snap))

        def work(progress, cancelled):
            graph = build(progress, cancelled)
            ex, found = exits, []
            if ex is None:
                progress(0.4, tr("seal.finding_exits"))
                ex = exits_of_area(graph, shape, label)  # as ``gridtool seal --area``
                found = [area_exits_line(label, len(ex))]
            return graph, found, seal_exits(graph, stations, ex, per_exit=per_exit, posts_per_station=posts,
                                            progress=progress, cancelled=cancelled)

        def done(result):
            graph, found, plan = result
            # as gridtool seal prints: the graph (--snap), the exits found on the boundary, then the plan
            log_graph(w, graph, self.speed_lines)
            log_lines(w, found)
            show_seal(w, plan, stations)

        w.run_job(tr("job.seal"), work, done)


def show_seal(window, plan, stations) -> None:
    """Put a sealing plan into the project (one undo step), the analysis panel and the log."""
    w = window
    w.session.replace_layers({"seal_paths": Layer(role="seal_paths", gdf=plan.paths, source="gridtool seal"),
                              "exits": Layer(role="exits", gdf=plan.exits, source="gridtool seal")},
                             text="封控卡口 / sealing exits")
    w.analysis.show_seal(plan, stations)
    b = plan.paths.total_bounds
    if len(plan.paths) and all(map(math.isfinite, b)):
        w.canvas.zoom_to_bounds(tuple(b), margin=0.15)
    for line in plan.summary(i18n.language()).splitlines():
        w.log_message(line)
    w.docks["analysis"].raise_()
