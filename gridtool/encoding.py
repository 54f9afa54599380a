"""Text encodings of shapefiles and CSV files: UTF-8 or GBK/GB18030, detected, never guessed silently.

Chinese shapefiles from older ArcGIS/MapGIS setups are GBK-encoded and often ship without a .cpg,
so GDAL decodes them as Latin-1 or UTF-8 and village names come out as mojibake. A strict UTF-8
decode fails quickly on GBK bytes, and GB18030 (a superset of GBK) decodes what is left; the dBase
header's language driver byte confirms it when set. No library does this for .dbf files (charset
detectors are unreliable on the short strings of attribute tables), hence this small module.
"""

from __future__ import annotations

import codecs
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import EncodingError

# dBase language driver IDs (byte 29 of the header) that name a Chinese code page.
_LDID = {0x4D: "gb18030", 0x7A: "gb18030", 0x4E: "cp949", 0x4F: "big5", 0x78: "big5"}
_CPG_ALIASES = {"936": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030",
                "65001": "utf-8", "utf8": "utf-8", "utf-8": "utf-8", "950": "big5"}


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding to use, how it was found, and some decoded text to show the user."""

    encoding: str
    source: str  # "cpg", "detected", "ldid", "user", "default"
    sample: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()  # first lines of a text file, decoded


def _normalise(name: str) -> str | None:
    """A Python codec name for what a .cpg or a user says (``936``, ``GBK``, ``ANSI 1252`` …), or None."""
    key = name.strip().lower()
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    # ESRI writes code pages as "ANSI 1252", "88591", "8859_5", "OEM" ...
    m = re.fullmatch(r"(?:ansi|oem|cp)?\s*(\d{3,5})", key)
    if m:
        num = m.group(1)
        if num.startswith("8859") and len(num) > 4:
            key = f"iso8859_{num[4:].lstrip('_')}"
        else:
            key = _CPG_ALIASES.get(num, f"cp{num}")
    elif key.startswith("8859_"):
        key = "iso" + key
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def _user_encoding(name: str) -> str:
    enc = _normalise(name)
    if enc is None:
        raise EncodingError(
            f"未知的编码“{name}”", f"unknown text encoding {name!r}",
            fix_zh="常用编码：gbk、gb18030、utf-8、big5。", fix_en="common ones: gbk, gb18030, utf-8, big5.")
    return enc


def dbf_text_bytes(dbf: Path, max_records: int = 2000) -> tuple[list[bytes], int]:
    """The raw bytes of the field names and of the character fields of the first records of a .dbf,
    and its LDID byte."""
    with open(dbf, "rb") as fh:  # the header and the first records only: never a whole large .dbf
        data = fh.read(32)
        if len(data) < 32:
            return [], 0
        nrec, hdr_len, rec_len = struct.unpack("<IHH", data[4:12])
        fh.seek(0)
        data = fh.read(hdr_len + rec_len * min(nrec, max_records))
    ldid = data[29]
    fields = []
    out = []
    pos, offset = 32, 1  # each record starts with a deletion flag byte
    while pos + 32 <= hdr_len and data[pos] != 0x0D:
        name = data[pos:pos + 11].split(b"\x00", 1)[0]
        if name:
            out.append(name)  # field names are in the same code page (户数, 名称 …)
        ftype = chr(data[pos + 11])
        flen = data[pos + 16]
        if ftype in "CM":
            fields.append((offset, flen))
        offset += flen
        pos += 32
    for r in range(min(nrec, max_records)):
        base = hdr_len + r * rec_len
        for off, flen in fields:
            raw = data[base + off: base + off + flen].rstrip(b" \x00")
            if raw:
                out.append(raw)
    return out, ldid


def guess_bytes_encoding(chunks: list[bytes]) -> str:
    """``"utf-8"`` if every chunk decodes strictly as UTF-8, else ``"gb18030"`` if that decodes."""
    if all(_decodes(c, "utf-8") for c in chunks):
        return "utf-8"
    if all(_decodes(c, "gb18030") for c in chunks):
        return "gb18030"
    return "latin-1"


# Single-byte Western code pages a .cpg says when the file was exported on a non-Chinese system.
_WESTERN = {"cp1252", "latin-1", "iso8859-1", "iso8859-15", "cp437", "cp850", "ascii"}


def cpg_contradicted(chunks: list[bytes], said: str) -> str | None:
    """The encoding the bytes are in when a .cpg says another, else None.

    Two cases decode without an error and so give wrong names silently: a GBK .cpg on UTF-8 text
    (UTF-8 text decodes as GB18030 bytes too; GBK text almost never decodes as strict UTF-8, so
    text that does is UTF-8), and a Western .cpg (1252, written by ArcGIS on an English system)
    on GBK text, which is taken for GBK only when its two-byte characters are nearly all in the
    GB2312 range (both bytes A1–FE), as Chinese names are and Western accented letters are not.
    """
    high = [c for c in chunks if any(ch > 0x7F for ch in c)]
    if not high:
        return None
    if said != "utf-8" and _utf8_evidence(high):
        return "utf-8"
    if said in _WESTERN and not all(_decodes(c, "utf-8") for c in high) and all(
            _decodes(c, "gb18030") for c in high):
        pairs = gb = 0
        for c in high:
            i = 0
            while i < len(c):
                if c[i] > 0x7F:
                    pairs += 1
                    gb += i + 1 < len(c) and 0xA1 <= c[i] <= 0xFE and 0xA1 <= c[i + 1] <= 0xFE
                    i += 2
                else:
                    i += 1
        if pairs and gb >= 0.9 * pairs:
            return "gb18030"
    return None


def _utf8_evidence(high: list[bytes]) -> bool:
    """Every chunk decodes as UTF-8 and one holds a whole multi-byte character: a lone accented
    letter ending a value (1252 ``Café`` = ``Caf\\xe9``) passes the decoder as a character cut at the
    field's end, and alone is no sign of UTF-8 against the .cpg."""
    if not all(_decodes(c, "utf-8") for c in high):
        return False
    return any(any(ord(ch) > 0x7F for ch in codecs.getincrementaldecoder("utf-8")().decode(c, final=False))
               for c in high)


def _decodes(b: bytes, enc: str) -> bool:
    # final=False: a character cut in two at the end of a fixed-width dBase field is not an error.
    try:
        codecs.getincrementaldecoder(enc)().decode(b, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _sample(chunks: list[bytes], enc: str, n: int = 5) -> tuple[str, ...]:
    seen: list[str] = []
    for c in chunks:
        if any(ch > 0x7F for ch in c):  # show non-ASCII text first: that is what can go wrong
            s = c.decode(enc, errors="replace")
            if s not in seen:
                seen.append(s)
        if len(seen) >= n:
            break
    return tuple(seen)


def detect_shapefile_encoding(shp: str | Path, override: str | None = None, *,
                              default: str | None = None) -> EncodingGuess:
    """Encoding of a shapefile's attributes.

    In order: the user's ``override``; the ``.cpg``; the user's ``default`` (for files without
    .cpg); detection from the bytes (strict UTF-8, else GB18030).
    """
    shp = Path(shp)
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    chunks, ldid = dbf_text_bytes(dbf) if dbf else ([], 0)
    if override:
        enc = _user_encoding(override)
        return EncodingGuess(enc, "user", _sample(chunks, enc))
    cpg = next((p for p in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")) if p.exists()), None)
    if cpg is not None:
        enc = _normalise(cpg.read_text(errors="replace"))
        if enc:  # an unreadable .cpg falls through to detection
            wrong = cpg_contradicted(chunks, enc)
            if wrong:
                return EncodingGuess(wrong, "detected (.cpg wrong)", _sample(chunks, wrong))
            return EncodingGuess(enc, "cpg", _sample(chunks, enc))
    if not any(any(ch > 0x7F for ch in c) for c in chunks):
        # Pure ASCII decodes the same in every candidate; prefer the LDID hint if any.
        enc = _LDID.get(ldid, "utf-8")
        return EncodingGuess(enc, "ldid" if ldid in _LDID else "default", ())
    enc = guess_bytes_encoding(chunks)
    if enc != "utf-8" and default:
        # Text that decodes as UTF-8 is UTF-8 (GBK bytes almost never do); otherwise the user's
        # default says which legacy code page it is.
        enc = _user_encoding(default)
        return EncodingGuess(enc, "user", _sample(chunks, enc))
    return EncodingGuess(enc, "detected", _sample(chunks, enc))


def detect_text_file_encoding(path: str | Path, override: str | None = None, *,
                              default: str | None = None) -> EncodingGuess:
    """Encoding of a CSV/TXT file: the override; a BOM; strict UTF-8; else ``default`` or GB18030."""
    with open(path, "rb") as fh:  # the start is enough: never the whole of a large file in memory
        raw = fh.read(2_000_000)
    source = "detected"
    if override:
        enc, source = _user_encoding(override), "user"
    elif raw.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"  # Excel's "Unicode text" export
    else:
        # Cut at the last newline so that a multi-byte character is never split.
        cut = raw[: raw.rfind(b"\n") + 1] or raw
        enc = guess_bytes_encoding([cut])
        if enc != "utf-8" and default:
            enc, source = _user_encoding(default), "user"
    lines = tuple(raw.decode(enc, errors="replace").splitlines()[:20])
    # Only the first non-empty line (usually the title or the header) is shown: rows hold personal data.
    shown = next((ln for ln in lines if ln.strip()), "")
    return EncodingGuess(enc, source, (shown,) if shown else (), lines)
