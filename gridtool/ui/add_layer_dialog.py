"""文件 → 添加/替换图层 (File → Add or replace a layer): the app's face of
``gridtool import PROJECT.gpkg --ROLE FILE``. One file by role (this month's 警情, a new party
roster, corrected roads) read into the open project by the same
:meth:`gridtool.project.Project.add_sources` and checked by :func:`gridtool.validate.validate`;
it enters the project as one undo step, every other layer (grids, locks, hand edits) untouched,
and the problems panel lists the new layer's problems and what the change leaves out of date.
"""

from __future__ import annotations

from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QPushButton)

from ..roles import VECTOR_ROLES
from . import i18n
from .crs_choice import crs_box, crs_value
from .i18n import role_name, tr
from .wizard import ENCODINGS, FILE_FILTER


class AddLayerDialog(QDialog):
    """Role, file (``PATH`` or ``PATH:LAYER``), encoding and coordinate system, as the wizard's row."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.setWindowTitle(tr("addlayer.title"))
        form = QFormLayout(self)
        self.role = QComboBox()
        for r in VECTOR_ROLES:
            self.role.addItem(role_name(r), r)
        self.role.addItem(role_name("dem"), "dem")  # as gridtool import 项目.gpkg --dem 高程.tif
        self.role.setCurrentIndex(VECTOR_ROLES.index("incidents"))
        self.path = QLineEdit()
        self.path.setPlaceholderText(tr("wizard.no_file"))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path)
        row.addWidget(browse)
        self.encoding = QComboBox()
        for e in ENCODINGS:
            self.encoding.addItem(e or tr("wizard.auto"), e)
        self.crs = crs_box()
        self.note = QLabel(tr("addlayer.note"))
        self.note.setWordWrap(True)
        form.addRow(tr("addlayer.role"), self.role)
        form.addRow(tr("addlayer.file"), row)
        form.addRow(tr("addlayer.encoding"), self.encoding)
        form.addRow(tr("addlayer.crs"), self.crs)
        form.addRow(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.run)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        dem = self.role.currentData() == "dem"
        path, _ = QFileDialog.getOpenFileName(self, tr("addlayer.title"), "",
                                              f"{tr('wizard.filter')} (*.tif *.tiff *.hgt *.zip *.asc *.img)" if dem
                                              else FILE_FILTER)
        if path:
            self.path.setText(path)

    def options(self) -> tuple[dict, dict]:
        """``({role: PATH[:LAYER]}, add_sources keyword arguments)`` as the command line's options give them."""
        role = self.role.currentData()
        crs, enc = crs_value(self.crs), self.encoding.currentData()
        if role == "dem":  # a raster: its own CRS, no text
            return {}, {"dem": self.path.text().strip()}
        return {role: self.path.text().strip()}, dict(crs_in={role: crs} if crs else None,
                                                      encoding={role: enc} if enc else None)

    def run(self) -> None:
        sources, kw = self.options()
        if not (next(iter(sources.values())) if sources else kw.get("dem")):
            self.note.setText(tr("addlayer.no_file"))
            return
        if add_layers(self.window, sources, **kw) is not None:
            self.accept()


def add_layers(window, sources: dict, **kw):
    """Read ``sources`` into a copy of the open project on the job runner, check it, then put the
    new layers in as one undo step and list their problems and what is now out of date."""
    from ..layer_deps import stored_out_of_date
    from ..validate import validate
    session = window.session
    if session.project is None:
        return None
    snapshot = session.materialized()

    def work(progress, cancelled):
        snapshot.add_sources(sources, progress=lambda f, m: progress(0.8 * f, m), cancelled=cancelled, **kw)
        progress(0.85, tr("job.validate"))
        problems = validate(snapshot)
        loaded = {id(p) for r in sources for p in snapshot.layers[r].problems}
        # what is out of date, by this change or an earlier one not redone yet: said once
        return [p for p in problems if (id(p) in loaded or p.role in sources) and p.code != "derived_out_of_date"] \
            + stored_out_of_date(snapshot)

    def done(problems):
        given = list(sources) + (["dem"] if kw.get("dem") else [])
        names = "、".join(role_name(r) for r in given) if i18n.language() == "zh" else ", ".join(given)
        session.replace_layers({r: snapshot.layers[r] for r in sources},
                               text=f"添加/替换图层 {names} / add or replace layer {names}",
                               parameters=snapshot.parameters, **({"dem": snapshot.dem} if kw.get("dem") else {}))
        window.problems.set_problems(problems, "add_layer")  # fixes point to this dialog
        window.open_dock("problems")

    return window.run_job(tr("job.load"), work, done)


__all__ = ["AddLayerDialog", "add_layers"]
