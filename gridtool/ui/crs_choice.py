"""The coordinate-system choice of an input file, as the import wizard offers it (自动识别, WGS84,
CGCS2000, GCJ-02 高德/腾讯, BD-09 百度, a few EPSG codes, or any code typed in): shared by the
wizard and the dialogs that read a file of their own (封控's 卡口), so that every place names the
same choices and passes the same value as ``--crs-in``."""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox

from .i18n import tr

#: "" is 自动识别 (the file's own CRS, or guessed from its numbers with a warning).
CRS_CHOICES = ("", "wgs84", "cgcs2000", "gcj02", "bd09", "EPSG:4490", "EPSG:4547", "EPSG:3857")
_NAMED = ("", "gcj02", "bd09", "wgs84", "cgcs2000")


def crs_box() -> QComboBox:
    """An editable list of :data:`CRS_CHOICES` (a code not listed may be typed in)."""
    box = QComboBox()
    box.setEditable(True)
    for c in CRS_CHOICES:
        box.addItem(tr(f"wizard.crs.{c}") if c in _NAMED else c, c)
    box.setMinimumWidth(150)
    return box


def crs_value(box: QComboBox) -> str:
    """What ``--crs-in`` would be given: the chosen entry's value, or the text typed in ("": 自动)."""
    data = box.currentData()
    text = box.currentText().strip()
    return data if data is not None and box.itemText(box.currentIndex()) == text else text
