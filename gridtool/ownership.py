"""Which existing files gridtool may replace: its own, or any file when the user says ``--force``.

A planner's folder holds work that exists nowhere else (a GeoPackage edited in QGIS, a KML from
奥维, a PDF from the printing shop). Every writer checks its targets with :func:`check_replace`
before writing, and refuses a file that gridtool did not write, naming it and the ``--force`` fix.

How a file is recognised as gridtool's own (each writer leaves the mark; another program that
rewrites the file removes it, and then the file counts as the user's):

============================  ==========================================================================
file                          mark
============================  ==========================================================================
project ``.gpkg``             the ``gridtool_meta`` table (:data:`gridtool.project.META_TABLE`)
exported ``.gpkg``            dataset metadata (``gpkg_metadata``) ``generator = gridtool …``, with the
                              time and the project (a ``gridtool_export`` table counts too)
``.shp`` set (.shx .dbf …)    listed in the ``fields.csv`` (or ``NAME-fields.csv``) written beside it
``.zip`` / ``.kmz``           the archive comment starts with ``gridtool``
``.kml``                      an XML comment ``<!-- gridtool …`` before the root element
``.geojson``                  the top-level member ``"description": "gridtool …"``
``.gpx``                      ``creator="gridtool"`` on the root element
``.html``                     ``<meta name="generator" content="gridtool …">``
``.pdf`` ``.png`` ``.svg``    the file's creator/software metadata reads ``gridtool …``
``.xlsx``                     the workbook's creator (docProps/core.xml) reads ``gridtool``
``.json``                     a top-level ``"generator": "gridtool …"`` or a partition report's keys
``.csv``                      a header gridtool writes (``layer,field,shapefile_field``, the ledger sheets'
                              headers: :func:`register_csv_header`) or a ``gridtool`` comment line at the top
============================  ==========================================================================

Only the first (or, for PDF, the last) 64 KB of a file are read to decide.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Iterable

from .errors import OverwriteInputError

MARK = "gridtool"
PROJECT_TABLE = "gridtool_meta"
EXPORT_TABLE = "gridtool_export"
FIELDS_CSV_HEADER = "layer,field,shapefile_field"
#: The same table under ``--lang zh`` (maps/gis.py writes its Chinese header).
FIELDS_CSV_HEADER_ZH = "图层文件,图层名称,项目字段,Shapefile字段"
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".qix")
_HEAD = 65_536
#: Starts of CSV header lines that only gridtool writes (writers add theirs: :func:`register_csv_header`).
_CSV_HEADERS: set[str] = {FIELDS_CSV_HEADER, FIELDS_CSV_HEADER_ZH}


def export_marker(project=None) -> dict[str, str]:
    """The GeoPackage dataset metadata (``gpkg_metadata``; QGIS shows it in the layer properties)
    every gridtool export carries: how a later run knows the GeoPackage is its own, without a layer."""
    from datetime import datetime, timezone

    from . import __version__
    return {"generator": f"{MARK} {__version__}", "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "project": str(getattr(project, "name", "") or "")}


def register_csv_header(columns: Iterable[str]) -> None:
    """Declare that a CSV whose header line starts with ``columns`` (joined by commas) is one
    gridtool writes, so that a later run may replace it without ``--force``."""
    _CSV_HEADERS.add(",".join(columns))


class NotOwnFileError(OverwriteInputError):
    """An output path holds a file gridtool did not write (or a project, for an export)."""


def _head(path: Path, n: int = _HEAD) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def _tail(path: Path, n: int = _HEAD) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - n))
        return fh.read()


def _gpkg_kind(path: Path) -> str | None:
    if _head(path, 16) != b"SQLite format 3\x00":
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
            if PROJECT_TABLE in tables:
                return "project"
            if EXPORT_TABLE in tables:
                return "export"
            if "gpkg_metadata" in tables:
                for (md,) in con.execute("SELECT metadata FROM gpkg_metadata"):
                    if f'key="generator">{MARK}' in str(md):
                        return "export"
            return None
        finally:
            con.close()
    except sqlite3.Error:
        return None


def _listed_in_fields_csv(path: Path) -> bool:
    """A shapefile part is ours when a gridtool ``fields.csv`` beside it lists its layer."""
    stem = path.stem
    for csv in path.parent.glob("*fields.csv"):
        prefix = csv.name[: -len("fields.csv")]
        try:
            lines = csv.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        if not lines or lines[0].strip() not in (FIELDS_CSV_HEADER, FIELDS_CSV_HEADER_ZH):
            continue
        layers = {ln.split(",", 1)[0] for ln in lines[1:] if ln}
        if any(prefix + layer == stem for layer in layers):
            return True
    return False


def owner(path: str | Path) -> str | None:
    """What gridtool wrote at ``path``: ``"project"``, ``"export"``, or None (not its own, or absent)."""
    path = Path(path)
    if not path.is_file():
        return None
    sfx = path.suffix.lower()
    try:
        if sfx == ".gpkg":
            return _gpkg_kind(path)
        if sfx in SHAPEFILE_PARTS:
            return "export" if _listed_in_fields_csv(path) else None
        if sfx in (".zip", ".kmz"):
            if not zipfile.is_zipfile(path):
                return None
            with zipfile.ZipFile(path) as zf:
                return "export" if zf.comment.startswith(MARK.encode()) else None
        head = _head(path)
        if sfx == ".kml":
            return "export" if b"<!-- " + MARK.encode() in head[:4096] else None
        if sfx in (".geojson", ".json"):
            text = head.decode("utf-8", "replace")
            if f'"description": "{MARK}' in text or f'"generator": "{MARK}' in text:
                return "export"
            if sfx == ".json" and path.stat().st_size < 50_000_000:
                try:
                    obj = json.loads(path.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError):
                    return None
                if isinstance(obj, dict) and ({"plan", "parameters"} <= obj.keys()
                                              or str(obj.get("generator", "")).startswith(MARK)):
                    return "export"
            return None
        if sfx == ".gpx":
            return "export" if b'creator="gridtool' in head[:4096] else None
        if sfx in (".html", ".htm"):
            return "export" if b'name="generator" content="gridtool' in head else None
        if sfx == ".pdf":
            return "export" if b"(gridtool" in _tail(path) or b"(gridtool" in head else None
        if sfx in (".png", ".svg"):
            return "export" if MARK.encode() in head else None
        if sfx == ".xlsx":
            if not zipfile.is_zipfile(path):
                return None
            with zipfile.ZipFile(path) as zf:
                try:
                    core = zf.read("docProps/core.xml")
                except KeyError:
                    return None
            return "export" if b">gridtool" in core else None
        if sfx == ".csv":
            first = head.decode("utf-8-sig", "replace").splitlines()[:1]
            return "export" if first and (any(first[0].strip().startswith(h) for h in _CSV_HEADERS)
                                          or first[0].lstrip("#").strip().startswith(MARK)) else None
    except OSError:
        return None
    return None


def check_replace(paths: Iterable[str | Path], *, force: bool = False, kind: str = "export") -> None:
    """Refuse (:class:`NotOwnFileError`) to replace any existing file in ``paths`` that is not
    gridtool's own ``kind`` (``"export"`` or ``"project"``), unless ``force``.

    An export never replaces a project (it holds the plan; the export is made from it), and a
    project save never replaces an export or a foreign file, without ``force``.
    """
    if force:
        return
    for p in paths:
        path = Path(p)
        if not path.exists():
            continue
        if path.is_dir():
            raise NotOwnFileError(
                f"无法写入：输出路径是一个已有的文件夹：{path}",
                f"could not write the file: the output path is an existing folder: {path}",
                fix_zh="给出文件名（含扩展名），而不是文件夹。", fix_en="give a file name with its extension, not a folder.",
                file=str(path))
        got = owner(path)
        if got == kind:
            continue
        if got == "project":
            raise NotOwnFileError(
                f"{path.name} 是一个 gridtool 项目文件，导出不会覆盖它", f"{path.name} is a gridtool project; an "
                "export does not replace it",
                fix_zh="换一个输出文件名；确需覆盖请加 --force。",
                fix_en="choose another output name, or add --force if the project may be replaced.", file=str(path))
        what_zh = "gridtool 项目" if kind == "project" else "gridtool 导出的文件"
        what_en = "a gridtool project" if kind == "project" else "a file gridtool exported"
        raise NotOwnFileError(
            f"{path.name} 已存在且不是 {what_zh}（或已被其他程序修改），为免丢失其中的内容，不会覆盖",
            f"{path.name} exists and is not {what_en} (or another program has changed it); it is not "
            "replaced, so that nothing in it is lost",
            fix_zh="换一个输出文件名或文件夹；确认其中内容无用后可加 --force 覆盖。",
            fix_en="choose another output name or folder, or add --force if its content may be lost.",
            file=str(path))


__all__ = [
    "register_csv_header",
    "EXPORT_TABLE",
    "FIELDS_CSV_HEADER",
    "MARK",
    "PROJECT_TABLE",
    "NotOwnFileError",
    "check_replace",
    "owner",
]
