"""Checks every reader makes first: the file is there, and what a driver's error means in plain words.

Shared by the vector and OSM readers (:mod:`.vector`, :mod:`.osm`), so neither imports the other
for them.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from ..errors import FileInUseError, InputFileError


def check_exists(path: Path) -> None:
    """Raise InputFileError naming the file when it is not there."""
    if not path.exists():
        raise InputFileError(
            f"找不到文件 {path}", f"file not found: {path}",
            fix_zh="检查路径和文件名（含扩展名）；Shapefile 需要 .shp、.shx、.dbf 放在一起。",
            fix_en="check the path and the file name with its extension; a shapefile needs its "
                   ".shp, .shx and .dbf side by side.",
            file=str(path))


def plain_reason(exc: BaseException) -> tuple[str, str]:
    """What a GDAL/driver error means, in plain words (its SQL and C-level detail left out)."""
    text = str(exc)
    low = text.lower()
    if "malformed" in low or "file is not a database" in low or "truncated" in low or "unexpected end" in low \
            or "unterminated" in low or "no element found" in low or "premature end" in low:
        return "文件已损坏或不完整（可能下载或复制时中断）", "the file is damaged or incomplete (a download or copy cut short?)"
    if "not recognized as being in a supported file format" in low or "not a valid" in low:
        return "文件内容不是可识别的地理数据格式", "the content is not a geographic data format gridtool reads"
    if "not well-formed" in low or "parsing" in low or "syntax error" in low or "failed to read" in low:
        return "文件内容格式有误（无法解析）", "the content is malformed (it cannot be parsed)"
    # GDAL built with its source paths puts them first ("/opt/vcpkg/…/ogrdxflayer.cpp, 3684: error at
    # line 12 of …"): of no use to a planner.
    text = re.sub(r"\S+\.(?:cpp|cc|c|h)(?:,\s*\d+)?:\s*", "", text)
    line = re.search(r"error at line (\d+)", text)
    if line:
        return (f"文件内容格式有误（第 {line.group(1)} 行附近，无法解析）",
                f"the content is malformed near line {line.group(1)} (it cannot be parsed)")
    first = re.sub(r"sqlite3_\w+\(.*?\)\s*failed:\s*", "", text.splitlines()[0] if text else "")
    return f"无法读取（{first[:120]}）", f"it cannot be read ({first[:120]})"


def sqlite_in_use(path: Path, *, writing: bool = False) -> bool:
    """True when another program holds the SQLite/GeoPackage file locked: for reading (``writing``
    False) a write under way that blocks readers; for writing, any other writer."""
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
        uri = Path(path).resolve().as_uri() + ("?mode=rw" if writing else "?mode=ro")
        con = sqlite3.connect(uri, uri=True, timeout=0.2, isolation_level=None)
    except (OSError, ValueError, sqlite3.Error):
        return False
    try:
        if writing:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        else:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc).lower() or "busy" in str(exc).lower()
    except sqlite3.Error:
        return False
    finally:
        con.close()
    return False


def check_geopackage(path: Path) -> None:
    """Refuse a SQLite database that is not a GeoPackage (an empty database, another program's
    file named .gpkg) naming what is missing, instead of GDAL's words about required tables."""
    try:
        with sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=0.2) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
    except (OSError, ValueError, sqlite3.Error):
        return  # locked or damaged: the callers' own checks and GDAL say so
    if "gpkg_contents" in tables:
        return
    if any(t.lower().startswith(("geometry_columns", "spatial_ref_sys")) for t in tables):
        return  # a SpatiaLite database: GDAL reads it
    zh = "空的 SQLite 数据库（没有任何表）" if not tables else f"SQLite 数据库，但不是 GeoPackage（有 {len(tables)} 个表，没有 gpkg_contents）"
    en = "an empty SQLite database (no tables)" if not tables else (
        f"a SQLite database but not a GeoPackage ({len(tables)} tables, no gpkg_contents)")
    raise InputFileError(
        f"{Path(path).name} 是一个{zh}，没有可读的图层", f"{Path(path).name} is {en}; it holds no layer to read",
        fix_zh="文件可能在保存完成前被复制，或来自其他软件：在 QGIS/ArcGIS 中重新导出为 GeoPackage。",
        fix_en="it was perhaps copied before it was saved, or comes from another program: export it again as a "
               "GeoPackage from QGIS/ArcGIS.", file=str(path))


def check_not_in_use(path: Path, *, writing: bool = False) -> None:
    """Raise :class:`FileInUseError` naming the file when another program holds it locked."""
    if sqlite_in_use(path, writing=writing):
        zh, en = ("写入", "written") if writing else ("读取", "read")
        raise FileInUseError(
            f"{Path(path).name} 正被其他程序打开并写入（被锁定），现在无法{zh}",
            f"{Path(path).name} is open in another program that is writing to it (locked); it cannot be {en} now",
            fix_zh="在 QGIS/ArcGIS 中保存并关闭这个文件（或等正在写它的另一个 gridtool 结束），然后重试"
                   + ("；或换一个输出文件名。" if writing else "。"),
            fix_en="save and close the file in QGIS/ArcGIS (or let the other gridtool writing it finish), then "
                   "try again" + ("; or choose another output name." if writing else "."), file=str(path))


__all__ = ["check_exists", "check_geopackage", "check_not_in_use", "plain_reason", "sqlite_in_use"]
