"""The CJK font gridtool ships, for matplotlib (every print export); the desktop app registers the
same file with Qt in :mod:`gridtool.ui.fonts` (only ``gridtool.ui`` imports Qt).

Why a bundled font: a fresh machine, or a locked-down township office PC, often has no CJK font that
matplotlib finds, and Chinese then prints as empty boxes (tofu) or, in a PDF without an embedded
font, as whatever the reader substitutes. ``gridtool/maps/fontdata/`` holds a TrueType subset of
Noto Sans SC (OFL 1.1; provenance and changes in its README); PDFs embed it as TrueType (Type 42)
and SVGs carry text as paths, so outputs render the same on any machine.

``GRIDTOOL_CJK_FONT`` may name another TrueType font file to use instead (e.g. a house font).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

FONT_FILE = "NotoSansSC-Regular-gridtool.ttf"
FAMILY = "Noto Sans SC Gridtool"
FONT_DIR = Path(__file__).resolve().parent / "fontdata"

#: matplotlib settings every export renders under (``matplotlib.rc_context``): TrueType embedding
#: in PDF/PS (Type 3 would make text unsearchable), text as paths in SVG (renders without the font).
EXPORT_RC: dict[str, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "axes.unicode_minus": False,  # U+2212 is in the font, but a plain hyphen copies better from PDFs
    "agg.path.chunksize": 20000,  # Agg strokes very long paths (a county's roads) in chunks
}


def cjk_font_path() -> Path:
    """Path of the CJK font file: ``$GRIDTOOL_CJK_FONT`` when set, else the bundled Noto Sans SC.

    Raises
    ------
    gridtool.errors.GridtoolError
        When the file is missing (a broken install), with the fix.
    """
    from gridtool.errors import GridtoolError

    from gridtool import settings
    path = settings.current().cjk_font or FONT_DIR / FONT_FILE
    if not path.is_file():
        raise GridtoolError(
            f"找不到中文字体文件 {path}", f"CJK font file not found: {path}",
            fix_zh="重新安装 gridtool（pip install -e .），或把 GRIDTOOL_CJK_FONT 设为一个 TrueType 中文字体文件",
            fix_en="reinstall gridtool (pip install -e .), or set GRIDTOOL_CJK_FONT to a TrueType CJK font file",
            file=str(path))
    return path


@lru_cache(maxsize=4)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as f:
        return frozenset(f.getBestCmap())


def missing_glyphs(text: str, path: Path | None = None) -> list[str]:
    """Characters of ``text`` the font has no glyph for (whitespace and controls ignored)."""
    cmap = _cmap(str(path or cjk_font_path()))
    seen = []
    for ch in dict.fromkeys(text):
        if ch.isprintable() and not ch.isspace() and ord(ch) not in cmap:
            seen.append(ch)
    return seen


@lru_cache(maxsize=4)
def _register(path: str) -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def register_matplotlib_font(*, set_default: bool = False) -> str:
    """Add the CJK font to matplotlib's font manager; return its family name.

    With ``set_default`` the family also goes first in ``font.sans-serif`` and ``font.family`` is
    set to sans-serif, for code (e.g. the desktop app's charts) that draws with rcParams rather
    than under :func:`export_rc`.
    """
    family = _register(str(cjk_font_path()))
    if set_default:
        import matplotlib

        sans = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
        matplotlib.rcParams["font.sans-serif"] = [family, *sans]
        matplotlib.rcParams["font.family"] = "sans-serif"
    return family


def export_rc() -> dict[str, Any]:
    """``rcParams`` for ``matplotlib.rc_context``: the CJK font plus :data:`EXPORT_RC`."""
    family = register_matplotlib_font()
    return {**EXPORT_RC, "font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}
