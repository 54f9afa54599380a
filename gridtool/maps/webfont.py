"""The HTML map's own font: the characters the page uses, cut from the bundled CJK font and embedded
as an ``@font-face`` data URL, so that Chinese renders on any machine, offline.

A township office PC, a police laptop or a fresh Linux desktop may have no CJK font the browser
finds; the map's labels, legend and tooltips then show as empty boxes. The bundled Noto Sans SC
subset (:mod:`gridtool.maps.fonts`, 9.4 MB) is far too big to embed whole, so fontTools' subsetter
keeps only the glyphs of the characters found in the finished page (its text, the JSON of its
layers, ``\\uXXXX`` escapes and character references decoded) plus printable ASCII, and writes
them as WOFF (zlib; WOFF2 would need brotli, which gridtool does not depend on). A village map
uses a few hundred characters: some tens of kilobytes; a county's, with every village and place
name, a few hundred.
"""

from __future__ import annotations

import base64
import html as _html
import io
import re
from functools import lru_cache

#: The family name pages use for the embedded font (never a system font's name).
WEB_FAMILY = "Gridtool CJK"
#: Always embedded: printable ASCII and the symbols Leaflet and gridtool write themselves.
_ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "−×–—·…°²、，。：；（）《》“”‘’？！"
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def page_characters(text: str) -> set[str]:
    """Every character a page can show: its text with entities and ``\\uXXXX`` escapes decoded."""
    chars = set(text)
    chars |= set(_html.unescape(text))
    chars |= {chr(int(h, 16)) for h in set(_ESCAPE.findall(text))}
    chars |= set(_ALWAYS)
    return {c for c in chars if c.isprintable() and not (0xD800 <= ord(c) <= 0xDFFF)}


@lru_cache(maxsize=2)
def _font_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def subset_woff(chars, path=None) -> bytes:
    """The bundled CJK font (or ``path``) cut to ``chars``, as WOFF bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from .fonts import _cmap, cjk_font_path

    path = str(path or cjk_font_path())
    opts = subset.Options()
    opts.flavor = "woff"
    opts.hinting = False  # screen rendering hints are not needed by browsers; a third smaller
    opts.notdef_outline = True
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # keep the OFL copyright and the names
    opts.layout_features = ["*"]
    font = TTFont(io.BytesIO(_font_bytes(path)), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    sub = subset.Subsetter(opts)
    cmap = _cmap(path)  # cached across pages
    sub.populate(unicodes=[ord(c) for c in chars if ord(c) in cmap])
    sub.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def font_face_css(chars, path=None) -> str:
    """``@font-face`` for :data:`WEB_FAMILY` with the subset as a data URL, and the page's text
    in that family first (system fonts only for characters the bundled font lacks)."""
    b64 = base64.b64encode(subset_woff(chars, path)).decode("ascii")
    return (f'@font-face{{font-family:"{WEB_FAMILY}";src:url(data:font/woff;base64,{b64}) format("woff");'
            "font-weight:normal;font-style:normal;font-display:block}\n"
            f'html,body,.leaflet-container,.gt-stop span,input{{font-family:"{WEB_FAMILY}","Microsoft YaHei",'
            '"PingFang SC","Noto Sans CJK SC",sans-serif}\n')


def embed_font_face(page: str, path=None) -> str:
    """``page`` with the font subset of its own characters embedded at the end of ``<head>``."""
    css = font_face_css(page_characters(page), path)
    tag = f'<style id="gt-font">{css}</style>\n'
    i = page.find("</head>")
    return page[:i] + tag + page[i:] if i >= 0 else tag + page


__all__ = ["WEB_FAMILY", "embed_font_face", "font_face_css", "page_characters", "subset_woff"]
