"""Checks every reader makes first: the file is there, and what a driver's error means in plain words.

Shared by the vector and OSM readers (:mod:`.vector`, :mod:`.osm`), so neither imports the other
for them.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputFileError


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
    first = re.sub(r"sqlite3_\w+\(.*?\)\s*failed:\s*", "", text.splitlines()[0] if text else "")
    return f"无法读取（{first[:120]}）", f"it cannot be read ({first[:120]})"


__all__ = ["check_exists", "plain_reason"]
