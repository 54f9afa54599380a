"""The interface font: the CJK font bundled with gridtool, so Chinese never shows as boxes.

The font file is :func:`gridtool.maps.fonts.cjk_font_path` (shared with the print exports); it is
registered with Qt here, since only ``gridtool.ui`` imports Qt. The app font is the platform's default family with the bundled CJK family as a fallback
for every character it lacks, so Latin text keeps the system's look and Hanzi always render.
"""

from __future__ import annotations

import logging

from PyQt6.QtGui import QFont, QFontDatabase
from PyQt6.QtWidgets import QApplication

log = logging.getLogger("gridtool.ui")


_qt_family: str | None = None


def qt_font_family() -> str:
    """Load the bundled CJK font into Qt's application font database; return its family name.

    Call after the ``QGuiApplication``/``QApplication`` exists.

    Raises
    ------
    gridtool.errors.GridtoolError
        When Qt rejects the font file.
    """
    global _qt_family
    if _qt_family is not None:
        return _qt_family
    from ..errors import GridtoolError
    from ..maps.fonts import cjk_font_path
    path = cjk_font_path()
    fid = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
    if not families:
        raise GridtoolError(f"Qt 无法加载中文字体 {path}", f"Qt could not load the CJK font {path}",
                            fix_zh="确认已创建 QApplication，且字体文件完整",
                            fix_en="create the QApplication first and check the font file", file=str(path))
    _qt_family = families[0]
    return _qt_family


def cjk_family() -> str | None:
    """Register the bundled CJK font with Qt; its family, or an installed CJK family, or None."""
    try:
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


LOCK = "\U0001F512"
_lock_drawn: bool | None = None


def lock_drawn() -> bool:
    """Whether an installed font draws 🔒: the bundled CJK font has no emoji, and a system without an
    emoji font (many Kylin/UOS and server installs) shows a box where the lock was meant to be."""
    global _lock_drawn
    if _lock_drawn is None:
        from PyQt6.QtGui import QFontMetrics
        # Only families that may hold it: measuring every installed family is slow on a full system.
        likely = [f for f in QFontDatabase.families() if any(w in f.lower() for w in ("emoji", "symbol"))]
        _lock_drawn = any(QFontMetrics(QFont(f)).inFontUcs4(ord(LOCK)) for f in likely)
    return _lock_drawn


def lock_mark(what: str = "locked") -> str:
    """🔒 after a locked grid's code (``what="locked"``) or a personal column's name
    (``"sensitive"``); the words (锁定 / 敏感) in brackets where no font draws the emoji."""
    from .i18n import tr
    return LOCK if lock_drawn() else tr(f"mark.{what}")
