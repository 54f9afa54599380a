"""Build ``NotoSansSC-Regular-gridtool.ttf`` (family "Noto Sans SC Gridtool") from Noto Sans SC (OFL 1.1). Not imported by gridtool.

Why a converted copy rather than the upstream OpenType file: upstream Noto Sans SC is CFF-flavoured
(``.otf``). matplotlib embeds CFF fonts in PDF as "CID Type 0C" objects that poppler flags as
"Mismatch between font type and embedded font file", and its PostScript path refuses them; a
TrueType-outline font is embedded as Type 42 (CIDFontType2), which every reader handles. So the
font is subset to the characters maps need (Latin, punctuation, symbols, CJK Unified Ideographs with
Extension A and the CJK compatibility blocks: all of GB2312, GBK and GB18030's BMP Hanzi), its
vertical-writing and OpenType layout tables dropped (matplotlib lays text out by cmap and hmtx),
and its cubic outlines converted to quadratic ones (fontTools cu2qu, max error 1 unit of 1000).

Usage (fontTools is the only requirement)::

    pip download --no-deps pylopdf-fonts-zh-cn   # carries upstream NotoSansSC-Regular.otf, OFL
    python gridtool/maps/fontdata/build_font.py NotoSansSC-Regular.otf gridtool/maps/fontdata/
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

OUT_NAME = "NotoSansSC-Regular-gridtool.ttf"

RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x02B0, 0x02FF), (0x0391, 0x03C9), (0x0401, 0x045F),
    (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20CF), (0x2100, 0x218F), (0x2190, 0x21FF),
    (0x2200, 0x22FF), (0x2300, 0x23FF), (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF),
    (0x2600, 0x27BF), (0x2E80, 0x2FDF), (0x3000, 0x303F), (0x30FB, 0x30FB), (0x3200, 0x33FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE6F),
    (0xFF00, 0xFFEF), (0x20000, 0x2FA1F),
]


def _subset(src: Path) -> TTFont:
    font = TTFont(src)
    cmap = font.getBestCmap()
    wanted = [u for lo, hi in RANGES for u in range(lo, hi + 1) if u in cmap]
    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=wanted)
    sub.subset(font)
    return font


def _to_truetype(font: TTFont, max_err: float = 1.0) -> TTFont:
    """fontTools' otf2ttf recipe: quadratic glyf/loca in place of CFF, maxp 1.0, post format 3."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, g in glyf.glyphs.items():
        if hasattr(g, "xMin"):
            hmtx[name] = (hmtx[name][0], g.xMin)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = maxp.maxStorage = maxp.maxFunctionDefs = 0
    maxp.maxInstructionDefs = maxp.maxStackElements = maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = 0
    post = font["post"]
    post.formatType = 3.0
    font.sfntVersion = "\000\001\000\000"
    font["head"].glyphDataFormat = 0
    return font


FAMILY = "Noto Sans SC Gridtool"
POSTSCRIPT = "NotoSansSCGridtool-Regular"


def _rename(font: TTFont) -> TTFont:
    """A family name of its own, so that a system-wide Noto Sans SC (often the CFF build) is never
    picked in its place when matplotlib or Qt look the font up by family; the OFL asks modified
    fonts not to pass as the original, and 'Source', Noto CJK's only reserved name, is not used."""
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (1, 3, 4, 6, 16, 17, 21, 22):
            name.removeNames(nameID=rec.nameID)
    for nid, value in ((1, FAMILY), (2, "Regular"), (3, f"{POSTSCRIPT};gridtool subset of Noto Sans SC 2.004"),
                       (4, f"{FAMILY} Regular"), (6, POSTSCRIPT)):
        name.setName(value, nid, 3, 1, 0x409)
        name.setName(value, nid, 1, 0, 0)
    return font


def build(src: Path, out_dir: Path) -> Path:
    font = _rename(_to_truetype(_subset(src)))
    out = out_dir / OUT_NAME
    font.save(out)
    return out


if __name__ == "__main__":
    path = build(Path(sys.argv[1]), Path(sys.argv[2]))
    print(path, path.stat().st_size)
