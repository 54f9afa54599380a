"""The interface font: the CJK font bundled with gridtool, so Chinese never shows as boxes.

The font file and its Qt registration live in :mod:`gridtool.maps.fonts` (shared with the print
exports). The app font is the platform's default family with the bundled CJK family as a fallback
for every character it lacks, so Latin text keeps the system's look and Hanzi always render.
"""

from __future__ import annotations

import logging

from PyQt6.QtGui import QFont, QFontDatabase
from PyQt6.QtWidgets import QApplication

log = logging.getLogger("gridtool.ui")


def cjk_family() -> str | None:
    """Register the bundled CJK font with Qt; its family, or an installed CJK family, or None."""
    try:
        from ..maps.fonts import qt_font_family
        return qt_font_family()
    except Exception as exc:  # a broken install: fall back to what the system has
        log.warning("bundled CJK font not loaded: %s", exc)
    fams = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    return fams[0] if fams else None


def apply_app_font(app: QApplication, point_size: float = 10.0) -> str | None:
    """Give the whole app a font that can show Chinese; returns the CJK family used."""
    fam = cjk_family()
    font = QFont(app.font())
    font.setPointSizeF(point_size)
    if fam:
        # The CJK family first: its Latin glyphs are good, and mixing families per character
        # would give labels two baselines.
        font.setFamilies([fam] + [f for f in font.families() if f != fam])
    app.setFont(font)
    return fam
