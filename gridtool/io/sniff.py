"""What a file holds, from its first bytes, whatever its extension says.

Offices rename files freely: government systems export "Excel" files that are CSV text, a KML is
saved as ``.txt``, a GeoPackage arrives as ``.geojson``. GDAL picks a driver by extension for some
formats and pandas by extension for tables, and then report a parser error that says nothing to a
planner. :func:`sniff` looks at the content, so the reader can read the file as what it is (with a
warning) or say plainly what the file is not.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

#: What each content kind is read as.
SUFFIX_OF_KIND = {"xlsx": ".xlsx", "ole2": ".xls", "sqlite": ".gpkg", "kml": ".kml", "kmz": ".kmz",
                  "json": ".geojson", "osm": ".osm", "pbf": ".pbf", "shp": ".shp", "text": ".csv", "zip": ".zip",
                  "tiff": ".tif", "gml": ".gml"}
#: Kinds each extension may hold as it is.
ACCEPTS = {
    # "zip" for .xlsx/.kmz: a zip that does not open (cut short) is read, and its reader says so.
    ".csv": ("text",), ".txt": ("text",), ".xlsx": ("xlsx", "ole2", "zip"), ".xls": ("ole2", "xlsx"),
    ".gpkg": ("sqlite",), ".shp": ("shp",), ".zip": ("zip", "kmz"), ".kml": ("kml",), ".kmz": ("kmz", "zip"),
    ".geojson": ("json", "sqlite"), ".json": ("json",), ".osm": ("osm",), ".pbf": ("pbf",), ".fgb": ("binary",),
    ".gml": ("gml", "xml"), ".tab": ("binary", "text"),
    # Binary DXF, or a DWG renamed .dxf: the DXF reader says which and what to do.
    ".dxf": ("text", "binary"),
}
NAMES = {"xlsx": ("Excel 工作簿 (.xlsx)", "an Excel workbook (.xlsx)"), "ole2": ("Excel 97-2003 工作簿 (.xls)",
         "an Excel 97-2003 workbook (.xls)"), "sqlite": ("GeoPackage/SQLite 数据库", "a GeoPackage/SQLite database"),
         "kml": ("KML 文件", "a KML file"), "kmz": ("KMZ 文件", "a KMZ file"), "json": ("GeoJSON/JSON 文本", "GeoJSON/JSON text"),
         "osm": ("OSM XML 文件", "an OSM XML file"), "pbf": ("OSM PBF 文件", "an OSM PBF file"),
         "shp": ("Shapefile 的 .shp", "a shapefile .shp"), "text": ("纯文本（CSV/TXT）", "plain text (CSV/TXT)"),
         "zip": ("zip 压缩包", "a zip archive"), "tiff": ("TIFF 图像", "a TIFF image"), "xml": ("XML 文件", "an XML file"),
         "gml": ("GML 文件", "a GML file"), "html": ("网页（HTML）", "a web page (HTML)"),
         "binary": ("无法识别的二进制数据（可能已损坏或是随机数据）", "unrecognised binary data (damaged or random)"),
         "empty": ("空文件（0 字节）", "an empty file (0 bytes)")}


def sniff(path: str | Path) -> str:
    """The kind of content: one of the keys of :data:`NAMES`."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(65_536)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n.lower() for n in zf.namelist()[:2000]]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return "zip"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.endswith(".kml") for n in names) and not any(n.endswith((".shp", ".gpkg")) for n in names):
            return "kmz"
        return "zip"
    if head.startswith(bytes.fromhex("D0CF11E0A1B11AE1")):
        return "ole2"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] == b"\x00\x00\x27\x0a" and len(head) >= 100:
        return "shp"
    if len(head) > 8 and head[4:14] == b"\n\tOSMHeader"[:10]:
        return "pbf"
    text = _as_text(head)
    if text is None:
        return "binary"
    t = text.lstrip("\ufeff \t\r\n")
    low = t[:4096].lower()
    if low.startswith("<?xml") or low.startswith("<"):
        if "<kml" in low:
            return "kml"
        if "<osm" in low:
            return "osm"
        if "<html" in low or "<!doctype html" in low or "<table" in low:
            return "html"
        if "gml" in low[:2000]:
            return "gml"
        return "xml"
    if t.startswith("{") or t.startswith("["):
        return "json"
    return "text"


def _as_text(head: bytes) -> str | None:
    """The bytes as text when they look like text in a common encoding, else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16", errors="strict" if len(head) % 2 == 0 else "ignore")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut at the end of the sample
                text = head[: exc.start].decode(enc, errors="replace")
                break
    else:
        # Lines in two encodings (a roster put together from two offices): text all the same.
        lines = head.split(b"\n")[:-1] or [head]
        bad = 0
        for ln in lines:
            try:
                ln.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    ln.decode("gb18030")
                except UnicodeDecodeError:
                    bad += 1
        if bad:
            return None
        text = head.decode("utf-8", errors="replace")
    ctrl = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n\f")
    return text if ctrl <= max(2, len(text[:20000]) // 200) else None


__all__ = ["ACCEPTS", "NAMES", "SUFFIX_OF_KIND", "sniff"]
