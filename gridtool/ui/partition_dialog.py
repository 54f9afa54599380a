"""The partition dialog: bounds, target, sub-grids, barrier classes, ridges of the elevation model and
the infeasible-village policy; under 更多选项 the categories of special grids (``--special``), their
radius (``--special-radius``) and the seed (``--seed``)."""

from __future__ import annotations

from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                             QGridLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout)

from ..partition.barriers import DEFAULT_HARD
from ..partition.special import SPECIAL_CATEGORIES
from .i18n import tr
from .more_options import MoreOptions
from .screen import scroll_when_tall

#: Barrier classes offered as hard (never crossed when avoidable), in the order shown.
BARRIER_CLASSES = ("river", "stream", "railway", "motorway", "trunk", "primary", "secondary")


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(int(value))
    s.setSingleStep(10 if hi > 100 else 1)
    return s


class PartitionDialog(QDialog):
    """``params()`` gives the keyword arguments of :class:`~gridtool.partition.engine.GridPartitioner`.

    ``has_dem``: the project has an elevation model, so the checkbox "follow ridges" (``terrain``,
    the command line's ``--ignore-terrain`` when off) can be used; without one it is greyed out.
    ``categories``: the place categories of the project, offered (with the default ones) as
    categories of special grids.
    """

    def __init__(self, previous: dict | None = None, parent=None, *, has_dem: bool = False,
                 categories=()):
        super().__init__(parent)
        p = dict(previous or {})
        self.has_dem = bool(has_dem)
        self._terrain = bool(p.get("terrain", True))
        self.terrain = QCheckBox()
        self.terrain.setEnabled(self.has_dem)
        self.terrain.setChecked(self._terrain and self.has_dem)
        self.setWindowTitle(tr("partition.title"))
        self.min_hh = _spin(1, 100000, p.get("min_hh", 300))
        self.max_hh = _spin(1, 100000, p.get("max_hh", 500))
        self.target = _spin(1, 100000, p.get("target", 400))
        self.sub_min = _spin(1, 10000, p.get("sub_min", 20))
        self.sub_max = _spin(1, 10000, p.get("sub_max", 40))
        self.sub_target = _spin(1, 10000, p.get("sub_target", 30))
        self.subgrids = QCheckBox()
        self.subgrids.setChecked(bool(p.get("subgrids", True)))
        self.corridor = QDoubleSpinBox()
        self.corridor.setRange(0, 1000)
        self.corridor.setValue(float(p.get("corridor_width", 50.0)))
        self.corridor.setSuffix(" m")
        hard = set(p.get("hard_barriers", DEFAULT_HARD))
        self.barriers = {}
        bgrid = QGridLayout()
        for i, c in enumerate(BARRIER_CLASSES):
            cb = QCheckBox()
            cb.setChecked(c in hard)
            self.barriers[c] = cb
            bgrid.addWidget(cb, i // 4, i % 4)
        self.policy = QComboBox()
        for key in ("exception", "relax", "merge"):
            self.policy.addItem("", key)
        self.policy.setCurrentIndex(max(0, self.policy.findData(p.get("infeasible", "exception"))))
        self.pockets = QComboBox()
        for key in ("join", "exception"):
            self.pockets.addItem("", key)
        self.pockets.setCurrentIndex(max(0, self.pockets.findData(p.get("pockets", "join"))))
        self.l_pockets = QLabel()
        self.l_pockets.setWordWrap(True)
        self._keep = {k: p[k] for k in ("merge", "relax", "link_min", "link_max") if k in p}
        # --special: one box per category, the defaults and the project's own (ticked as last time)
        chosen = list(p.get("special_categories", SPECIAL_CATEGORIES))
        self.special = {}
        sgrid = QGridLayout()
        for c in dict.fromkeys([*SPECIAL_CATEGORIES, *chosen, *(str(x) for x in categories)]):
            cb = QCheckBox()
            cb.setChecked(c in chosen)
            self.special[c] = cb
            sgrid.addWidget(cb, (len(self.special) - 1) // 4, (len(self.special) - 1) % 4)
        self.special_radius = QDoubleSpinBox()
        self.special_radius.setRange(1, 1000)
        self.special_radius.setValue(float(p.get("special_radius", 30.0)))
        self.special_radius.setSuffix(" m")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(int(p.get("seed", 0)))
        self.more = MoreOptions()
        self.l_special, self.l_radius, self.l_seed = QLabel(), QLabel(), QLabel()
        self.more.form.addRow(self.l_special)
        self.more.form.addRow(sgrid)
        self.more.form.addRow(self.l_radius, self.special_radius)
        self.more.form.addRow(self.l_seed, self.seed)

        self.grids_box = QGroupBox()
        f = QFormLayout(self.grids_box)
        self.l_min, self.l_max, self.l_target = QLabel(), QLabel(), QLabel()
        f.addRow(self.l_min, self.min_hh)
        f.addRow(self.l_max, self.max_hh)
        f.addRow(self.l_target, self.target)
        self.sub_box = QGroupBox()
        fs = QFormLayout(self.sub_box)
        self.l_smin, self.l_smax, self.l_starget, self.l_corr = QLabel(), QLabel(), QLabel(), QLabel()
        fs.addRow(self.subgrids)
        fs.addRow(self.l_smin, self.sub_min)
        fs.addRow(self.l_smax, self.sub_max)
        fs.addRow(self.l_starget, self.sub_target)
        fs.addRow(self.l_corr, self.corridor)
        bgrid.addWidget(self.terrain, (len(BARRIER_CLASSES) + 3) // 4, 0, 1, 4)
        self.bar_box = QGroupBox()
        self.bar_box.setLayout(bgrid)
        self.pol_box = QGroupBox()
        pl = QVBoxLayout(self.pol_box)
        self.pol_note = QLabel()
        self.pol_note.setWordWrap(True)
        pl.addWidget(self.policy)
        pl.addWidget(self.pol_note)
        pl.addWidget(self.l_pockets)
        pl.addWidget(self.pockets)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setStyleSheet("color: rgb(190,30,30)")
        top = QHBoxLayout()
        top.addWidget(self.grids_box)
        top.addWidget(self.sub_box)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.bar_box)
        lay.addWidget(self.pol_box)
        lay.addWidget(self.more)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        scroll_when_tall(self, self.buttons)  # on a laptop the buttons stay on the screen
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("partition.title"))
        self.grids_box.setTitle(tr("partition.grids"))
        self.l_min.setText(tr("partition.min"))
        self.l_max.setText(tr("partition.max"))
        self.l_target.setText(tr("partition.target"))
        self.sub_box.setTitle(tr("partition.subgrids"))
        self.subgrids.setText(tr("partition.make_subgrids"))
        self.l_smin.setText(tr("partition.min"))
        self.l_smax.setText(tr("partition.max"))
        self.l_starget.setText(tr("partition.target"))
        self.l_corr.setText(tr("partition.corridor"))
        self.bar_box.setTitle(tr("partition.barriers"))
        for c, cb in self.barriers.items():
            cb.setText(tr(f"barrier.{c}"))
        self.terrain.setText(tr("partition.terrain"))
        self.terrain.setToolTip(tr("partition.terrain.tip" if self.has_dem else "partition.terrain.no_dem"))
        self.pol_box.setTitle(tr("partition.policy"))
        for i in range(self.policy.count()):
            self.policy.setItemText(i, tr(f"partition.policy.{self.policy.itemData(i)}"))
        self.pol_note.setText(tr("partition.policy_note"))
        self.l_pockets.setText(tr("partition.pockets"))
        for i in range(self.pockets.count()):
            self.pockets.setItemText(i, tr(f"partition.pockets.{self.pockets.itemData(i)}"))
        self.more.button.setText(tr("common.more_options"))
        self.l_special.setText(tr("partition.special"))
        for c, cb in self.special.items():
            key = f"category.{c}"
            cb.setText(c if tr(key) == key else tr(key))
        self.l_radius.setText(tr("partition.special_radius"))
        self.special_radius.setToolTip(tr("partition.special_radius_tip"))
        self.l_seed.setText(tr("partition.seed"))
        self.seed.setToolTip(tr("partition.seed_tip"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("partition.run"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))

    def _accept(self) -> None:
        if self.min_hh.value() > self.max_hh.value() or self.sub_min.value() > self.sub_max.value():
            self.error.setText(tr("partition.bad_bounds"))
            return
        self.accept()

    def params(self) -> dict:
        out = dict(self._keep)
        out.update(min_hh=self.min_hh.value(), max_hh=self.max_hh.value(),
                   target=min(max(self.target.value(), self.min_hh.value()), self.max_hh.value()),
                   sub_min=self.sub_min.value(), sub_max=self.sub_max.value(),
                   sub_target=min(max(self.sub_target.value(), self.sub_min.value()), self.sub_max.value()),
                   subgrids=self.subgrids.isChecked(), corridor_width=self.corridor.value(),
                   hard_barriers=[c for c, cb in self.barriers.items() if cb.isChecked()],
                   infeasible=self.policy.currentData(), pockets=self.pockets.currentData(),
                   special_categories=[c for c, cb in self.special.items() if cb.isChecked()],
                   special_radius=self.special_radius.value(), seed=self.seed.value(),
                   # without a DEM the box is greyed out: the last choice is kept for when there is one
                   terrain=self.terrain.isChecked() if self.has_dem else self._terrain)
        return out
