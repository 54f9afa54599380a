"""Reading vector data in the formats planners hold, as a GeoDataFrame in the file's own coordinates.

GeoPackage, Shapefile (also zipped; encoding detected), GeoJSON, KML/KMZ (all folders), CAD drawings
as DXF (see ``dxf.py``), CSV and Excel tables with coordinate columns, and OpenStreetMap extracts (by
role, see ``osm.py``).
pyogrio does the reading; this module decides the format, layer and encoding, and turns tables
into points, so that every format ends up in the same shape.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import struct
import sys
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import limits, settings
from ..columns import find_column
from ..encoding import EncodingGuess, detect_shapefile_encoding, detect_text_file_encoding
from ..errors import (CancelledError, EmptyLayerError, EncodingError, GridtoolError, InputFileError,
                      LayerNotFoundError, MissingColumnError, UnsupportedFormatError)
from ..plurals import count_en, plural_en
from ..problems import Problem
from . import archive
from .raw_layer import RawLayer
from .files import check_exists, check_geopackage, check_not_in_use
from .excel_hidden import (hidden_problems, hidden_sheets, hidden_sheets_problem, other_sheets_problem,
                           sheet_names, sheet_view)
from .excel_sheets import ALL_SHEETS, SheetTable, merge_sheets
from .office import check_not_lock_file, ole2_workbook_error, open_in_office
from .files import plain_reason as _plain_reason
from .kml_description import expand_descriptions
from .sniff import ACCEPTS, NAMES, SUFFIX_OF_KIND, sniff
from .table_rows import row_label, said_totals, skipped_text, swapped_rows, total_rows, zero_rows

# The csv module's own cap (128 KB a field) would raise mid-file; gridtool's limit
# (limits.table_field_chars) is applied to what was read, naming the row.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

VECTOR_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml", ".kmz", ".csv", ".txt",
                   ".xlsx", ".xls", ".osm", ".pbf", ".fgb", ".gml", ".tab", ".dxf")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")


def split_path_layer(spec: str) -> tuple[str, str | None]:
    """Split ``PATH[:LAYER]``; a Windows drive letter (``C:\\x.gpkg``) is not a layer separator."""
    spec = str(spec)
    if Path(spec).exists():
        return spec, None
    # The last ":" whose left side is an existing file: the layer may hold anything (学校/幼儿园).
    for i in range(len(spec) - 1, 2, -1):
        if spec[i] == ":" and Path(spec[:i]).is_file():
            return spec[:i], spec[i + 1:]
    m = re.match(r"^(.*\.(?:gpkg|kml|kmz|xlsx|xls|zip|osm|pbf|gml|sqlite|geojson|json|shp))"
                 r":([^:/\\]+)$", spec, re.IGNORECASE)
    if m:
        return m.group(1), m.group(2)
    return spec, None


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".osm.pbf"):
        return ".pbf"
    return path.suffix.lower()


def list_layers(path: str | Path) -> list[str]:
    """Layer names in a file: GeoPackage tables, KML folders, Excel sheets; one name otherwise."""
    path = Path(path)
    sfx = suffix_of(path)
    if sfx in (".xlsx", ".xls"):
        # The sheet list only, no sheet loaded: a form lists them at once.
        kind = sniff(path)
        if kind == "ole2":
            import xlrd
            with xlrd.open_workbook(str(path), on_demand=True) as book:
                return list(book.sheet_names())
        names = sheet_names(path) if kind == "xlsx" else None
        if names:
            return names
        with pd.ExcelFile(path) as excel:
            return list(excel.sheet_names)
    if sfx in (".csv", ".txt"):
        return [path.stem]
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def read_vector(path: str | Path, *, layer: str | None = None, role: str | None = None,
                encoding: str | None = None, encoding_default: str | None = None,
                fields: dict[str, str] | None = None, seed: int = 0, progress=None, cancelled=None) -> RawLayer:
    """Read one layer of a vector file or table.

    Parameters
    ----------
    path
        The file. ``.osm``/``.osm.pbf`` need ``role`` to know which features to take.
    layer
        Layer, folder or sheet name; by default the only layer, or the one named like the role.
    role
        The layer's role (``households``, ``villages`` …), used to pick a layer and OSM features.
    encoding
        Text encoding of a shapefile or CSV (``gbk``, ``utf-8`` …), over its ``.cpg`` and detection.
        GeoPackage, GeoJSON and KML are UTF-8 by definition and ignore it.
    encoding_default
        Encoding for a shapefile without ``.cpg`` or a text file, instead of detecting it.
    fields
        Source column names chosen by the user, e.g. ``{"lon": "东经", "lat": "北纬"}``; a name
        that is not in the table is an error.
    progress, cancelled
        ``progress(fraction, message)`` and ``cancelled()`` of a background job: an Excel workbook
        is read sheet by sheet, said and stoppable between sheets (other formats ignore them).
    """
    path = Path(path)
    check_exists(path)
    check_not_lock_file(path)
    sfx = suffix_of(path)
    fields = fields or {}
    if sfx == ".dwg":
        from .dxf import dwg_error
        raise dwg_error(path, renamed=False)
    if sfx not in VECTOR_SUFFIXES:
        raise UnsupportedFormatError(
            f"不支持的文件格式：{path.suffix}", f"unsupported file format: {path.suffix}",
            fix_zh="使用 GeoPackage、Shapefile、GeoJSON、KML/KMZ、CAD 图纸 DXF、CSV、Excel 或 OSM 文件。",
            fix_en="use a GeoPackage, Shapefile, GeoJSON, KML/KMZ, CAD drawing (DXF), CSV, Excel or OSM file.",
            file=str(path))
    if path.is_file():
        kind = sniff(path)
        if kind == "empty":
            raise InputFileError(
                "文件是空的（0 字节）", "the file is empty (0 bytes)",
                fix_zh="文件可能没有保存完整或复制失败；重新导出或复制一次。",
                fix_en="it was probably not saved or copied completely; export or copy it again.", file=str(path))
        if kind == "sqlite":
            check_not_in_use(path)
            check_geopackage(path)
        if kind not in ACCEPTS.get(sfx, (kind,)):
            return _read_by_content(path, kind, layer=layer, role=role, encoding=encoding,
                                    encoding_default=encoding_default, fields=fields, seed=seed)
    if sfx in (".osm", ".pbf"):
        from .osm import read_osm_role
        if role is None:
            raise InputFileError("读取 OSM 文件需要指定图层角色", "reading an OSM file needs a role",
                                 fix_zh="用 --households、--roads 等参数传入 OSM 文件。",
                                 fix_en="pass the OSM file with --households, --roads, etc.",
                                 file=str(path))
        gdf = read_osm_role(path, role, seed=seed)
        return RawLayer(gdf, str(path), role, "OSM", problems=_osm_estimate_problems(gdf, path, role))
    if sfx == ".dxf":
        from .dxf import read_dxf
        return read_dxf(path, layer=layer, role=role, encoding=encoding, encoding_default=encoding_default)
    if sfx in TABLE_SUFFIXES:
        return _read_table(path, layer=layer, role=role, encoding=encoding, encoding_default=encoding_default,
                           fields=fields, progress=progress, cancelled=cancelled)
    if sfx == ".zip":
        return _read_zipped(path, layer=layer, role=role, encoding=encoding,
                            encoding_default=encoding_default, fields=fields)
    return _read_ogr(path, layer=layer, role=role, encoding=encoding, encoding_default=encoding_default)


def _osm_estimate_problems(gdf, path: Path, role: str) -> list[Problem]:
    """OSM buildings rarely say how many households live in them: those counts are estimated from
    footprint, levels and type (:func:`gridtool.io.osm.estimate_households`). Said, never silent,
    so that an estimate is not taken for the roster's count."""
    if role != "households" or "hh_method" not in gdf:
        return []
    est = (gdf["hh_method"] == "estimated").to_numpy()
    if not est.any():
        return []
    n, hh, total = int(est.sum()), int(gdf.loc[est, "hh"].sum()), int(gdf["hh"].sum())
    tagged = len(gdf) - n
    if tagged:
        zh = (f"OSM 建筑大多没有户数：{n:,} 栋楼的 {hh:,} 户（共 {total:,} 户）是按占地面积、层数和建筑类型估算的，"
              f"不是实际户数；另 {tagged:,} 栋按 building:flats 标注的套数计")
        en = (f"most OSM buildings give no household count: {hh:,} of the {count_en(total, 'household')} "
              f"({count_en(n, 'building')}) are estimated from footprint, levels and building type, not counted; "
              f"{count_en(tagged, 'more building')} by their building:flats tag")
    else:
        zh = f"OSM 建筑没有户数：全部 {n:,} 栋楼的 {hh:,} 户都是按占地面积、层数和建筑类型估算的，不是实际户数"
        en = (f"the OSM buildings give no household count: all {count_en(hh, 'household')} ({count_en(n, 'building')}) are "
              "estimated from footprint, levels and building type, not counted")
    return [Problem(
        "warning", "osm_hh_estimated", zh + "（户数来源列 hh_method）", en + " (column hh_method)",
        fix_zh="划分正式网格请用实际的住户花名册或带户数列的房屋图层作 --households；OSM 文件可继续用于道路、河流等图层。",
        fix_en="for the real grids give the household roster, or a buildings layer with a household column, as "
               "--households; the OSM file can still give the roads, rivers and other layers.",
        role=role, file=str(path), layer="households", field="hh")]


def _read_by_content(path: Path, kind: str, **kw) -> RawLayer:
    """A file whose content is not what its extension says: read as what it is, with a warning,
    or refused with a message that says what the file holds."""
    sfx = suffix_of(path)
    real = SUFFIX_OF_KIND.get(kind)
    is_zh, is_en = NAMES.get(kind, NAMES["binary"])
    if (real is None or real in (".tif", ".zip", ".shp") or sfx in (".osm", ".pbf") or real in (".osm", ".pbf")
            or (kind == "text" and sfx not in TABLE_SUFFIXES)):
        fix_zh, fix_en = "确认选对了文件；文件可能已损坏，重新导出或复制一次。", ("check that this is the right file; "
                                                                  "it may be damaged: export or copy it again.")
        if kind == "html":
            fix_zh = "这是网页格式的“Excel”导出：用 Excel 打开后另存为 .xlsx 再导入。"
            fix_en = "this is a web-page \"Excel\" export: open it in Excel, save it as .xlsx and import that."
        raise UnsupportedFormatError(
            f"文件扩展名是 {sfx}，但内容是{is_zh}，无法读取", f"the file is named {sfx} but holds {is_en}; it cannot "
            "be read", fix_zh=fix_zh, fix_en=fix_en, file=str(path))
    with tempfile.TemporaryDirectory(prefix="gridtool-as-", dir=settings.temp_dir()) as tmp:
        alias = Path(tmp) / (path.stem + real)
        try:
            os.symlink(path.resolve(), alias)
        except OSError:
            shutil.copyfile(path, alias)
        try:
            raw = read_vector(alias, **kw)
        except InputFileError as exc:
            if exc.file and Path(exc.file).name == alias.name:
                exc.file = str(path)
                exc.args = (exc.format(),)
            raise
    raw.path = str(path)
    raw.problems.append(Problem(
        "warning", "format_mismatch", f"{path.name} 的扩展名是 {sfx}，内容却是{is_zh}，已按内容读取",
        f"{path.name} is named {sfx} but holds {is_en}; it was read as such",
        fix_zh=f"把文件改名为 {path.stem}{real}，以免其他软件读错。",
        fix_en=f"rename it {path.stem}{real} so that other programs read it right.", file=str(path),
        layer=raw.layer))
    return raw


_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*\[|<!ENTITY", re.IGNORECASE)
_XML_DECL_ENC = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9_\-]+)[\"']")
_EXPAT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin1", "us-ascii", "ascii"}


def _check_xml_head(head: bytes, path: Path, member: str | None = None) -> str | None:
    """Refuse XML that declares entities (XXE, "billion laughs"); return a declared encoding that
    GDAL's parser does not know (GBK, GB2312 …), else None."""
    if _DOCTYPE.search(head):
        raise UnsupportedFormatError(
            "KML/XML 文件声明了 XML 实体（<!DOCTYPE …[<!ENTITY …>]>），为安全起见不予读取",
            "the KML/XML file declares XML entities (<!DOCTYPE …[<!ENTITY …>]>); for safety it is not read",
            fix_zh="正常的 KML 不需要实体声明：删除文件开头的 <!DOCTYPE …> 部分，或用奥维/Google Earth 重新导出。",
            fix_en="real KML needs no entity declarations: delete the <!DOCTYPE …> block at the top, or export the "
                   "file again from Ovital/Google Earth.", file=str(path), layer=member)
    m = _XML_DECL_ENC.match(head)
    if m and m.group(2).decode("ascii").lower() not in _EXPAT_ENCODINGS:
        return m.group(2).decode("ascii")
    return None


def _kml_utf8_copy(path: Path, declared: str, tmp: Path) -> Path:
    """A KML declaring an encoding GDAL cannot read, re-encoded to UTF-8 (text that is valid UTF-8
    is taken as such whatever the declaration says)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030" if declared.lower() in ("gbk", "gb2312", "cp936") else declared)
        except (UnicodeDecodeError, LookupError) as exc:
            raise EncodingError(
                f"KML 声明的编码 {declared} 无法解码文件内容", f"the KML's declared encoding {declared} does not "
                "decode its content", fix_zh="用奥维/Google Earth 重新导出为 UTF-8 编码的 KML。",
                fix_en="export it again as UTF-8 KML.", file=str(path)) from exc
    text = re.sub(r"^(\ufeff)?\s*<\?xml[^>]*\?>", '<?xml version="1.0" encoding="UTF-8"?>', text, count=1)
    out = tmp / (path.stem + ".kml")
    out.write_bytes(text.encode("utf-8"))
    return out


def check_shapefile_parts(path: Path) -> None:
    """A .shp needs its .dbf (the attributes: without it every count would be a default 1) and
    .shx; a .dbf cut short loses its last records. Both are named with the fix."""
    for part, what_zh, what_en in ((".dbf", "属性表", "attribute table"), (".shx", "索引", "index")):
        if not any(path.with_suffix(s).exists() for s in (part, part.upper())):
            raise InputFileError(
                f"Shapefile 缺少 {path.stem}{part}（{what_zh}）", f"the shapefile lacks {path.stem}{part} (its "
                f"{what_en})", fix_zh=f"把 {path.stem}{part} 与 {path.name} 放在同一文件夹（复制时常被漏掉）。",
                fix_en=f"put {path.stem}{part} beside {path.name} (it is often left behind when copying).",
                file=str(path.with_suffix(part)))
    for part in (path, next(p for p in (path.with_suffix(".shx"), path.with_suffix(".SHX")) if p.exists())):
        with open(part, "rb") as fh:
            head = fh.read(28)
        declared = struct.unpack(">i", head[24:28])[0] * 2 if len(head) >= 28 else 0
        have = part.stat().st_size
        if head[:4] == b"\x00\x00\x27\x0a" and declared > have:
            raise InputFileError(
                f"{part.name} 不完整：文件头说有 {declared:,} 字节，实际只有 {have:,} 字节（被截断）",
                f"{part.name} is incomplete: its header says {declared:,} bytes, it holds {have:,} (cut short)",
                fix_zh="文件可能复制或下载不完整；重新复制或导出这个 Shapefile 的全部文件。",
                fix_en="it was probably copied or downloaded incompletely; copy or export all files of the "
                       "shapefile again.", file=str(part))
    dbf = next(p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists())
    size = dbf.stat().st_size
    with open(dbf, "rb") as fh:
        head = fh.read(32)
    if len(head) < 12:
        raise InputFileError(f"{dbf.name} 不完整（只有 {size} 字节）", f"{dbf.name} is incomplete ({size} bytes)",
                             fix_zh="重新复制或导出这个 Shapefile 的全部文件。",
                             fix_en="copy or export all files of the shapefile again.", file=str(dbf))
    n_rec, hdr, rec = struct.unpack("<IHH", head[4:12])
    if rec and size < hdr + n_rec * rec:
        have = max(0, (size - hdr) // rec)
        raise InputFileError(
            f"{dbf.name} 不完整：文件头说有 {n_rec} 条记录，实际只有 {have} 条完整记录（文件在第 {have + 1} 条记录处被截断）",
            f"{dbf.name} is incomplete: its header says {count_en(n_rec, 'record')}, it holds {have} whole {plural_en(have, 'one')} (cut off in "
            f"record {have + 1})",
            fix_zh="文件可能复制或下载不完整；重新复制或导出这个 Shapefile 的全部文件。",
            fix_en="it was probably copied or downloaded incompletely; copy or export all files of the shapefile again.",
            file=str(dbf), feature=f"FID {have}")
    shx = next(p for p in (path.with_suffix(".shx"), path.with_suffix(".SHX")) if p.exists())
    shapes = max(0, (shx.stat().st_size - 100) // 8)
    if shx.stat().st_size >= 100 and n_rec != shapes:
        # GDAL reads the shorter of the two silently: households without a row (or rows without a
        # shape) would vanish from every count.
        raise InputFileError(
            f"{dbf.name} 有 {n_rec} 条记录，而 {path.name} 有 {shapes} 个图形：属性表与图形对不上，"
            f"{abs(shapes - n_rec)} 个{'图形没有属性' if shapes > n_rec else '记录没有图形'}",
            f"{dbf.name} holds {count_en(n_rec, 'record')} but {path.name} holds {count_en(shapes, 'shape')}: the attribute table does not "
            f"match the shapes ({abs(shapes - n_rec)} {'shapes lack a row' if shapes > n_rec else 'rows lack a shape'})",
            fix_zh=f"{dbf.name} 可能来自另一版本的数据（只复制了部分文件，或在 Excel 中编辑过 .dbf）："
                   "从同一次导出中重新复制这个 Shapefile 的全部文件，或在 QGIS/ArcGIS 中重新导出。",
            fix_en=f"{dbf.name} probably comes from another version of the data (only some files copied, or the "
                   ".dbf edited in Excel): copy all files of the shapefile from one export, or export it again "
                   "from QGIS/ArcGIS.", file=str(dbf), feature=f"FID {min(n_rec, shapes)}")


def _read_cut_names(path: Path, layer, kwargs: dict) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """A shapefile whose field names were cut mid-character (dBase names hold 10 bytes; a writer
    cut 户主姓名 in UTF-8 to 户主姓 and half a character): names repaired, values decoded as usual."""
    enc = kwargs.get("encoding") or "utf-8"
    # "ISO-8859-1" (not "latin-1", which GDAL does not recode): every byte comes back as one character.
    gdf = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True, encoding="ISO-8859-1")
    names, renamed = {}, []
    for c in gdf.columns:
        if c == "geometry":
            continue
        raw = c.encode("latin-1")
        try:
            names[c] = raw.decode(enc)
        except UnicodeDecodeError:
            fixed = raw.decode(enc, errors="ignore") or "field"
            while fixed in names.values():
                fixed += "_"
            names[c] = fixed
            renamed.append(fixed)
    for c in names:
        if gdf[c].dtype == object or pd.api.types.is_string_dtype(gdf[c]):
            try:
                gdf[c] = gdf[c].map(lambda v: v.encode("latin-1").decode(enc) if isinstance(v, str) else v)
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"文本无法按 {enc} 解码", f"text cannot be decoded as {enc}",
                    fix_zh="用 --encoding 指定编码（如 gbk 或 utf-8）。", fix_en="give the encoding with --encoding "
                    "(e.g. gbk or utf-8).", file=str(path), field=names[c]) from exc
    gdf = gdf.rename(columns=names)
    problems = [Problem(
        "warning", "field_names_cut", f"{len(renamed)} 个字段名在写出时被从汉字中间截断，已去掉残字：{', '.join(renamed)}",
        f"{count_en(len(renamed), 'field name')} {plural_en(len(renamed), 'was')} cut inside a character by the program that wrote the file; the broken "
        f"byte was dropped: {', '.join(renamed)}",
        fix_zh="Shapefile 字段名最多 10 字节（UTF-8 下约 3 个汉字）：在 QGIS 中改短字段名，或改用 GeoPackage。",
        fix_en="shapefile field names hold 10 bytes (3 Chinese characters in UTF-8): shorten them in QGIS, or use a "
               "GeoPackage.", file=str(path))] if renamed else []
    return gdf, problems


def _choose_layer(path: Path, layers: list[str], layer: str | None, role: str | None) -> str | None:
    if layer is not None:
        if layer not in layers:
            raise LayerNotFoundError(
                f"文件中没有图层“{layer}”；现有图层：{', '.join(layers)}",
                f"no layer {layer!r} in the file; its layers are: {', '.join(layers)}",
                fix_zh="用 路径:图层名 指定其中一个图层。", fix_en="name one of them as PATH:LAYER.",
                file=str(path), layer=layer)
        return layer
    if len(layers) <= 1:
        return layers[0] if layers else None
    if role and role in layers:
        return role
    return None  # several layers and none named like the role: caller decides


def _read_ogr(path: Path, *, layer, role, encoding, encoding_default=None) -> RawLayer:
    sfx = suffix_of(path)
    if sfx == ".shp":
        check_shapefile_parts(path)
    if sfx in (".kml", ".kmz"):
        if sfx == ".kmz":
            with archive.open_zip(path) as zf:
                archive.check_archive(zf, path)
                docs = [i for i in zf.infolist() if i.filename.lower().endswith(".kml")]
                if not docs:
                    shown = ", ".join(archive.safe_name(i.filename) for i in zf.infolist()[:5] if not i.is_dir())
                    raise UnsupportedFormatError(
                        f"KMZ 里没有 .kml 文件（里面是：{shown or '空'}），没有可读的标注",
                        f"the KMZ holds no .kml file (it holds: {shown or 'nothing'}), so no placemarks to read",
                        fix_zh="在奥维互动地图/Google Earth 中重新导出 KMZ（或直接导出 KML）；确认选对了文件。",
                        fix_en="export the KMZ again from Ovital/Google Earth (or export KML); check that this is "
                               "the right file.", file=str(path))
                head = zf.open(docs[0]).read(65_536)
                member = docs[0].filename if docs else None
        else:
            with open(path, "rb") as fh:
                head = fh.read(65_536)
            member = None
        declared = _check_xml_head(head, path, member)
        if declared and sfx == ".kml":
            with tempfile.TemporaryDirectory(prefix="gridtool-kml-", dir=settings.temp_dir()) as tmp:
                raw = _read_ogr(_kml_utf8_copy(path, declared, Path(tmp)), layer=layer, role=role,
                                encoding=encoding, encoding_default=encoding_default)
            raw.path = str(path)
            return raw
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL gives DataSourceError with a C-level message
        zh, en = _plain_reason(exc)
        raise UnsupportedFormatError(
            f"无法读取文件：{zh}", f"cannot read the file: {en}",
            fix_zh="确认文件完整且格式与扩展名一致；可先在 QGIS 中打开检查。",
            fix_en="check that the file is complete and matches its extension; try opening it in QGIS.",
            file=str(path)) from exc
    enc = None
    kwargs = {}
    extra_problems: list[Problem] = []
    if sfx == ".shp":
        enc = detect_shapefile_encoding(path, encoding, default=encoding_default)
        kwargs["encoding"] = enc.encoding
        if enc.source == "detected (.cpg wrong)":  # the .cpg read without an error but wrongly
            from ..encoding import _normalise
            cpg = next(p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists())
            extra_problems.append(_cpg_wrong(path, _normalise(cpg.read_text(errors="replace")), enc.encoding))
        elif not encoding:
            unknown = _cpg_unknown(path, enc.encoding, role)
            if unknown is not None:
                extra_problems.append(unknown)
    chosen = _choose_layer(path, layers, layer, role)
    fmt = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".kml": "KML", ".kmz": "KMZ",
           ".geojson": "GeoJSON", ".json": "GeoJSON"}.get(sfx, sfx.lstrip(".").upper())
    try:
        if chosen is None and sfx in (".kml", ".kmz"):
            # KML keeps features in folders; a planner means all of them.
            parts = []
            for name in layers:
                part = pyogrio.read_dataframe(path, layer=name, **kwargs)
                if len(part):
                    part["kml_folder"] = name
                    part["_kml_id"] = [f"{name} #{i + 1}" for i in range(len(part))]
                    parts.append(part)
            gdf = (gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
                   if parts else pyogrio.read_dataframe(path, layer=layers[0], **kwargs))
            chosen = "*"
        elif chosen is None:
            raise LayerNotFoundError(
                f"文件有多个图层（{', '.join(layers)}），请指定一个",
                f"the file has several layers ({', '.join(layers)}); name one",
                fix_zh="用 路径:图层名 指定，例如 data.gpkg:households。",
                fix_en="name it as PATH:LAYER, e.g. data.gpkg:households.", file=str(path))
        else:
            try:
                gdf = pyogrio.read_dataframe(path, layer=chosen, fid_as_index=True, **kwargs)
            except UnicodeDecodeError:
                if sfx != ".shp":
                    raise
                if enc is not None and enc.source == "cpg":
                    # The .cpg says one encoding, the text is in another (a GBK file with a UTF-8
                    # .cpg): the bytes decide, and the user is told.
                    from ..encoding import dbf_text_bytes, guess_bytes_encoding
                    dbf = next(p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists())
                    guess = guess_bytes_encoding(dbf_text_bytes(dbf)[0])
                    if guess not in (enc.encoding, "latin-1"):
                        extra_problems.append(_cpg_wrong(path, enc.encoding, guess))
                        kwargs["encoding"] = guess
                        from dataclasses import replace
                        enc = replace(detect_shapefile_encoding(path, guess), source="detected (.cpg wrong)")
                try:
                    gdf = pyogrio.read_dataframe(path, layer=chosen, fid_as_index=True, **kwargs)
                except UnicodeDecodeError:
                    gdf, cut = _read_cut_names(path, chosen, kwargs)
                    extra_problems += cut
            if sfx in (".kml", ".kmz") and len(gdf):
                gdf["kml_folder"] = chosen  # one folder (学校): the places' category may be its name
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"文本无法按 {kwargs.get('encoding')} 解码", f"text cannot be decoded as {kwargs.get('encoding')}",
            fix_zh="用 --encoding 指定编码（如 gbk 或 utf-8）；若字段名是被截断的中文（Shapefile 字段名最多 10 "
                   "字节），请在 QGIS 中改短字段名后另存。",
            fix_en="give the encoding with --encoding (e.g. gbk or utf-8); if Chinese field names were cut "
                   "(shapefile field names hold 10 bytes), shorten them in QGIS and save again.",
            file=str(path)) from exc
    except GridtoolError:
        raise
    except Exception as exc:  # a damaged file that lists its layers but fails when read
        zh, en = _plain_reason(exc)
        raise UnsupportedFormatError(
            f"无法读取文件：{zh}", f"cannot read the file: {en}",
            fix_zh="确认文件完整；可先在 QGIS 中打开检查，或重新导出。",
            fix_en="check that the file is complete; try opening it in QGIS, or export it again.",
            file=str(path), layer=chosen if chosen != "*" else None) from exc
    ids = None
    if "_kml_id" in gdf:
        ids = gdf.pop("_kml_id")  # "folder #n": what a planner sees in Google Earth / Ovital
    if sfx in (".kml", ".kmz"):
        gdf = gdf.rename(columns={"Name": "name", "Description": "description"})
        # 奥维/ArcGIS keep attributes as an HTML table in the description: read them as columns.
        gdf, _ = expand_descriptions(gdf)
    return RawLayer(gdf, str(path), None if chosen == "*" else chosen, fmt, enc, ids=ids, problems=extra_problems)


#: KML containers that hold places of every kind (Google Earth's and 奥维's defaults, new folders).
_GENERIC_FOLDERS = frozenset({
    "我的收藏", "收藏", "收藏夹", "我的地点", "我的位置", "我的标注", "标注", "标记", "地标", "未命名",
    "未命名文件夹", "新建文件夹", "新文件夹", "默认", "默认文件夹", "临时", "临时位置", "图层", "导出",
    "重点场所", "场所", "地点", "兴趣点", "poi", "places", "key places",
    "my places", "temporary places", "untitled", "untitled folder", "new folder", "placemarks", "folder",
    "layer", "default", "export", "doc", "document"})


def kml_document_names(path: str | Path) -> set[str]:
    """Names of a KML/KMZ file's ``<Document>`` elements: GDAL's LIBKML driver lists a document's
    own placemarks as a layer of that name, which names the file, not a kind of place."""
    path = Path(path)
    try:
        if suffix_of(path) == ".kmz":
            with zipfile.ZipFile(path) as zf:
                docs = [n for n in zf.namelist() if n.lower().endswith(".kml")]
                text = zf.read(docs[0]).decode("utf-8", errors="replace") if docs else ""
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
    except (OSError, zipfile.BadZipFile):
        return set()
    import html
    out = set()
    for head in re.findall(r"<(?:\w+:)?Document\b[^>]*>(.*?)<(?:\w+:)?(?:Folder|Placemark)\b", text, flags=re.S):
        m = re.search(r"<(?:\w+:)?name>([^<]*)<", head)
        if m:
            out.add(html.unescape(m.group(1)).strip())
    return out


def category_folder(folder, path: str | Path, document_names: set[str] | None = None) -> str | None:
    """A KML folder name that can be the category of its places (学校, 医院, 路口), or None for
    containers that name nothing (the document, the file, 我的收藏, 新建文件夹 …)."""
    if folder is None or (isinstance(folder, float) and folder != folder):
        return None
    name = str(folder).strip()
    if not name or name.lower() in _GENERIC_FOLDERS or name == Path(path).stem:
        return None
    if document_names is None:
        document_names = kml_document_names(path)
    return None if name in document_names else name


def _read_zipped(path: Path, *, layer, role, encoding, encoding_default, fields, depth: int = 0) -> RawLayer:
    """A zipped shapefile (or other file): extracted to a temporary folder, never next to the input;
    member names reduced to their last part (no ``../``), sizes checked first (see ``archive.py``)."""
    with archive.open_zip(path) as zf:
        archive.check_archive(zf, path, [])
        infos = [i for i in zf.infolist() if not i.is_dir()]
        members = [i.filename for i in infos]
        inner = [m for m in members if suffix_of(Path(archive.safe_name(m))) in VECTOR_SUFFIXES and
                 suffix_of(Path(archive.safe_name(m))) != ".zip"]
        shps = [m for m in inner if m.lower().endswith(".shp")] or inner
        nested = [i for i in infos if i.filename.lower().endswith((".zip", ".kmz"))]
        if not shps and len(nested) == 1 and depth == 0:
            # A zip inside a zip (zipped twice by mistake): read the inner one.
            with tempfile.TemporaryDirectory(prefix="gridtool-zip-", dir=settings.temp_dir()) as tmp:
                got = archive.extract(zf, path, nested, Path(tmp))
                raw = read_vector(got[nested[0].filename], layer=layer, role=role, encoding=encoding,
                                  encoding_default=encoding_default, fields=fields) \
                    if not nested[0].filename.lower().endswith(".zip") else \
                    _read_zipped(got[nested[0].filename], layer=layer, role=role, encoding=encoding,
                                 encoding_default=encoding_default, fields=fields, depth=1)
            raw.path = f"{path}!{archive.safe_name(nested[0].filename)}"
            return raw
        if not shps:
            raise UnsupportedFormatError(
                "压缩包里没有可读的矢量文件", "the zip holds no vector file gridtool reads",
                fix_zh="压缩包中应包含 .shp/.dbf/.shx 或 .gpkg 等文件。",
                fix_en="the zip should hold a .shp with its .dbf/.shx, or a .gpkg etc.", file=str(path))
        if layer is not None:
            match = [m for m in shps if Path(archive.safe_name(m)).stem == layer]
            if not match:
                raise LayerNotFoundError(
                    f"压缩包中没有“{layer}”", f"no {layer!r} in the zip",
                    fix_zh="可选：" + ", ".join(Path(archive.safe_name(m)).stem for m in shps),
                    fix_en="choose one of: " + ", ".join(Path(archive.safe_name(m)).stem for m in shps),
                    file=str(path))
            shps = match
        elif len(shps) > 1:
            raise LayerNotFoundError(
                f"压缩包中有多个数据文件：{', '.join(Path(archive.safe_name(m)).stem for m in shps)}",
                f"the zip holds several data files: {', '.join(Path(archive.safe_name(m)).stem for m in shps)}",
                fix_zh="用 文件.zip:名称 指定其中一个。", fix_en="name one as FILE.zip:NAME.", file=str(path))
        chosen = shps[0]
        stem = Path(archive.safe_name(chosen)).stem
        folder = str(Path(chosen.replace("\\", "/")).parent)
        # The set of the chosen file: same folder and stem (a .shp with its .dbf, .shx, .prj, .cpg).
        parts = [i for i in infos if Path(archive.safe_name(i.filename)).stem == stem
                 and str(Path(i.filename.replace("\\", "/")).parent) == folder]
        with tempfile.TemporaryDirectory(prefix="gridtool-zip-", dir=settings.temp_dir()) as tmp:
            got = archive.extract(zf, path, parts, Path(tmp))
            try:
                raw = read_vector(got[chosen], role=role, encoding=encoding,
                                  encoding_default=encoding_default, fields=fields)
            except GridtoolError as exc:  # name the archive and the member, not the temporary folder
                if exc.file and str(exc.file).startswith(tmp):
                    exc.file = f"{path}!{Path(exc.file).name}"
                    exc.args = (exc.format(),)
                raise
            for problem in raw.problems:  # warnings name the archive and the member, not a folder now gone
                if problem.file and str(problem.file).startswith(tmp):
                    problem.file = f"{path}!{Path(problem.file).name}"
    if any(".." in PurePosixPath(m.replace("\\", "/")).parts or m.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", m)
           for m in (p.filename for p in parts)):  # a plain subfolder (住户数据/hh.shp) is normal
        raw.problems.append(Problem(
            "warning", "archive_paths", "压缩包中的文件带有目录路径（如 ../ 或绝对路径），已只按文件名解压",
            "files in the archive carry folder paths (such as ../ or absolute paths); they were unpacked by name only",
            fix_zh="这通常无害；若压缩包来源不明，请核对其内容。",
            fix_en="this is usually harmless; if the archive's origin is unknown, check its content.", file=str(path)))
    raw.path = f"{path}!{archive.safe_name(chosen)}"
    return raw


def _find_header_row(frame: pd.DataFrame, fields: dict[str, str]) -> int | None:
    """Rosters often start with a title row; find the first row that holds the coordinate headers."""
    wanted = [fields[k] for k in ("lon", "lat", "lonlat", "wkt") if fields.get(k)]
    for i in range(min(len(frame), 15)):
        row = [str(v).strip() for v in frame.iloc[i].tolist() if pd.notna(v)]
        if wanted:
            if all(w in row for w in wanted):
                return i
        elif ((find_column(row, "lon") and find_column(row, "lat")) or find_column(row, "lonlat")
              or find_column(row, "wkt")):
            return i
    return None


def _sniff_separator(lines: tuple[str, ...]) -> str:
    """The separator used on most of the first lines (title rows have none, so csv.Sniffer fails)."""
    counts = {sep: sum(1 for ln in lines if sep in ln) for sep in (",", "\t", ";", "|", "，")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _with_header(frame: pd.DataFrame, header: int) -> pd.DataFrame:
    df = frame.iloc[header + 1:].copy()
    df.columns = _header_names(frame, header)
    df.index = df.index + 1  # 1-based row number in the file or sheet, for messages
    return df.dropna(how="all")


def _text(value) -> str:
    return str(value).strip() if pd.notna(value) else ""


def _header_names(frame: pd.DataFrame, header: int) -> list[str]:
    """Column names from the header row. A header over two rows (户主信息 merged over 姓名 and 电话,
    户数 merged down over both rows) leaves the lower row empty under a cell merged down: such a
    column takes its name from the row above, when that row is a header too (two or more cells)."""
    row = [_text(c) for c in frame.iloc[header]]
    above = [_text(c) for c in frame.iloc[header - 1]] if header > 0 else []
    two_rows = sum(bool(c) for c in above) >= 2
    names: list[str] = []
    for i, name in enumerate(row):
        if not name and two_rows and above[i] and above[i] not in row and above[i] not in names:
            name = above[i]
        names.append(name or f"col{i}")
    return names


@dataclass
class Table:
    """A table read from CSV or Excel: ``frame`` indexed by the 1-based row number a spreadsheet
    program shows (title rows above the header skipped), with the sheet and header row found."""

    frame: pd.DataFrame
    path: str
    sheet: str
    header_row: int  # 1-based row number of the header in the file or sheet
    format: str
    encoding: EncodingGuess | None = None
    problems: list = field(default_factory=list)  # cells cut, mixed encodings (gridtool.problems.Problem)


def guess_header_row(frame: pd.DataFrame) -> int | None:
    """The first of the top rows that looks like a header: at least two filled cells and at least
    60 % as many as the widest of the first 50 rows (a title row above it fills one merged cell)."""
    if not len(frame):
        return None
    filled = frame.head(50).notna().sum(axis=1).to_numpy()
    widest = int(filled.max())
    for i in range(min(len(frame), 15)):
        if filled[i] >= 2 and filled[i] >= 0.6 * widest:
            return i
    return None


def header_row_with(frame: pd.DataFrame, names) -> int | None:
    """The first of the top 15 rows holding every one of ``names`` as a cell (stripped text)."""
    wanted = [str(n).strip() for n in names]
    for i in range(min(len(frame), 15)):
        row = {str(v).strip() for v in frame.iloc[i].tolist() if pd.notna(v)}
        if all(w in row for w in wanted):
            return i
    return None


def read_table(path: str | Path, *, sheet: str | None = None, encoding: str | None = None,
               encoding_default: str | None = None, find_header=None, progress=None, cancelled=None,
               option: str = "--households") -> Table:
    """Read a CSV or Excel table as text cells, with the row numbers a planner sees.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (encoding detected, separator sniffed, lines in two encodings each read in
        its own) or ``.xlsx``/``.xls``.
    sheet
        Excel sheet; by default the first sheet on which ``find_header`` finds a header.
    find_header
        ``find_header(frame) -> int | None``: the 0-based row of the header in the raw rows
        (default :func:`guess_header_row`); rows above it (titles, notes) are skipped.
    progress, cancelled
        ``progress(fraction, message)`` and ``cancelled()``: a workbook is read sheet by sheet (only
        the sheet named, when one is), each sheet said and Cancel heard between sheets.
    option
        The command-line option that names this table (``--villages``, ``--table`` …): the fix of
        the sheets-left-out warning names it.

    The table limits (:mod:`gridtool.limits`: columns, characters per cell) apply; cells cut to
    the limit and mixed encodings are reported in ``Table.problems``.

    Raises
    ------
    LayerNotFoundError, UnsupportedFormatError, EncodingError, EmptyLayerError, InputFileError
    """
    path = Path(path)
    check_exists(path)
    check_not_lock_file(path)
    sfx = suffix_of(path)
    find_header = find_header or guess_header_row
    enc = None
    problems: list[Problem] = []
    lim = limits.current()
    if sfx in (".xlsx", ".xls"):
        kind = sniff(path)  # what the bytes are, whatever the suffix says
        if kind == "xlsx":
            archive.check_zip_file(path)  # an .xlsx is a zip: no bombs
        try:
            book, xls_book = _read_sheets(path, kind, sheet, progress, cancelled)
        except CancelledError:
            raise
        except Exception as exc:
            zh, en = _plain_reason(exc)
            if isinstance(exc, (zipfile.BadZipFile, EOFError, struct.error, IndexError)) or "index out of range" in str(exc):
                zh, en = "文件已损坏或不完整", "the file is damaged or incomplete"
            if kind == "ole2":
                raise ole2_workbook_error(path, zh, en) from exc
            raise UnsupportedFormatError(
                f"无法读取 Excel 文件：{zh}", f"cannot read the Excel file: {en}",
                fix_zh="在 Excel 中打开后另存为 .xlsx 再试；若打不开，重新获取该文件。",
                fix_en="open it in Excel and save it again as .xlsx; if it does not open, get the file again.",
                file=str(path)) from exc
        if sheet is not None and sheet != ALL_SHEETS and sheet not in book:
            raise LayerNotFoundError(
                f"没有工作表“{sheet}”", f"no sheet {sheet!r}",
                fix_zh="可选：" + ", ".join(book), fix_en="choose one of: " + ", ".join(book),
                file=str(path), layer=sheet)
        names = [sheet] if sheet not in (None, ALL_SHEETS) else list(book)
        for n in names:
            _check_width(book[n].shape[1], path, n, 1)
        found = [(n, find_header(book[n])) for n in names]
        fmt = "Excel"
        if sheet in (None, ALL_SHEETS) and len(found) > 1:  # a hidden sheet is read only when named
            found, more = _shown_sheets(path, book, found, kind, xls_book)
            problems += more
        if sheet == ALL_SHEETS:  # one sheet per village (一村一表), read as one table
            df, name, header, more = _all_sheets(path, book, found, kind, xls_book)
            problems += more
        else:
            name, header = next(((n, h) for n, h in found if h is not None), (names[0], 0))
            frame = book[name]
            df = _with_header(frame, header) if len(frame) else pd.DataFrame()
            if sheet is None and len(df):  # one sheet per village: say which were not read
                others = {n: (_header_names(book[n], h), len(t) - said_totals(t))
                          for n, h in found if n != name and h is not None for t in [_with_header(book[n], h)]}
                problems += [p for p in (other_sheets_problem(path, name, list(df.columns), others, option=option),)
                             if p]
            if len(df):
                problems += hidden_problems(path, name, df, sheet_view(path, name, kind=kind, book=xls_book))
    elif sfx in (".csv", ".txt"):
        enc = detect_text_file_encoding(path, encoding, default=encoding_default)
        sep = _sniff_separator(enc.lines)
        first = enc.lines[:15]
        partial = path.stat().st_size > 2_000_000  # detection read the first 2 MB: the last line may be cut
        for i, row in enumerate(csv.reader(first, delimiter=sep)):
            _check_width(len(row), path, path.stem, i + 1, at_least=partial and i == len(first) - 1)
        text, lines, mixed = _decode_text(path, enc)
        if mixed:
            problems.append(mixed)
            sep = _sniff_separator(lines)
        header = find_header(_rows_frame(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))) or 0
        name, fmt = path.stem, "CSV"
        try:
            # Fast path: pandas' C parser from the header row on (title rows above it are skipped).
            # A row longer than the header would be cut (ParserWarning): take the slow path instead.
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                df = pd.read_csv(io.StringIO(text), sep=sep, header=0, skiprows=header, dtype=str,
                                 skip_blank_lines=False, engine="c", keep_default_na=False,
                                 na_values=[""], index_col=False)
            df.columns = [str(c).strip() for c in df.columns]
            df.index = df.index + header + 2  # 1-based line number in the file
            df = df.dropna(how="all")
        except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
            if "EOF inside string" in str(exc):
                raise _unclosed_quote(text, path) from None
            # Ragged rows or an empty file: the csv module takes rows as they come.
            frame = _rows_frame(csv.reader(io.StringIO(text), delimiter=sep)).replace("", None)
            df = _with_header(frame, header) if len(frame) else pd.DataFrame()
        del text
    else:
        raise UnsupportedFormatError(
            f"不是表格文件：{path.suffix}", f"not a table file: {path.suffix}",
            fix_zh="使用 .xlsx、.xls 或 .csv 文件。", fix_en="use an .xlsx, .xls or .csv file.", file=str(path))
    if len(df) == 0:
        raise EmptyLayerError("表格是空的", "the table is empty", fix_zh="检查是否选错了文件或工作表。",
                              fix_en="check that the right file and sheet were given.",
                              file=str(path), layer=name)
    problems += _cut_long_fields(df, path, name, lim.table_field_chars)
    problems += [p for p in (open_in_office(path),) if p is not None]
    return Table(df, str(path), ALL_SHEETS if sheet == ALL_SHEETS else name, int(header) + 1, fmt, enc, problems)


def _read_sheets(path: Path, kind: str, sheet: str | None, progress, cancelled) -> tuple[dict, object]:
    """The raw cells of the workbook's sheets by name (of ``sheet`` alone when one is named and
    exists), and the xlrd book of an .xls (None for an .xlsx).

    An .xls is opened once, with the formatting that holds its hidden rows, columns and sheets,
    and that book is read by pandas and :mod:`.excel_hidden` alike. Sheets are read one by one,
    each said through ``progress`` and Cancel heard between them (an .xlsx of 20 village sheets
    takes seconds)."""
    xls_book = None
    if kind == "ole2":
        import xlrd
        xls_book = xlrd.open_workbook(str(path), formatting_info=True)
        excel = pd.ExcelFile(xls_book, engine="xlrd")
    else:
        excel = pd.ExcelFile(path)
    try:
        names = list(excel.sheet_names)
        if sheet in (None, ALL_SHEETS):
            todo = names
        else:  # one sheet named; one not there is said by the caller, naming the others
            todo = [sheet] if sheet in names else []
        book = {n: None for n in names}
        for i, n in enumerate(todo):
            if cancelled is not None and cancelled():
                raise CancelledError()
            if progress is not None:
                progress(i / len(todo), f"读取工作表 {i + 1}/{len(todo)}：{n} / Reading sheet {i + 1} of "
                                        f"{len(todo)}: {n}")
            book[n] = pd.read_excel(excel, sheet_name=n, header=None, dtype=object)
    finally:
        if xls_book is None:
            excel.close()  # the .xlsx's zip; an .xls book is kept for its hidden rows and sheets
    return book, xls_book  # a sheet not read (another was named) is None


def _shown_sheets(path: Path, book: dict, found: list, kind: str, xls_book=None) -> tuple[list, list[Problem]]:
    """``found`` without the sheets Excel hides (all of them when every sheet is hidden), and a
    warning naming the hidden ones that hold rows."""
    hidden = set(hidden_sheets(path, kind=kind, book=xls_book))
    shown = [(n, h) for n, h in found if n not in hidden]
    if not hidden or not shown:
        return found, []
    rows = {n: (len(t) - said_totals(t) if h is not None else int(book[n].notna().any(axis=1).sum()))
            for n, h in found if n in hidden for t in [_with_header(book[n], h) if h is not None else None]}
    return shown, [p for p in (hidden_sheets_problem(path, rows),) if p]


def _all_sheets(path: Path, book: dict, found: list, kind: str,
                xls_book=None) -> tuple[pd.DataFrame, str, int, list[Problem]]:
    """Every sheet with rows under the first roster sheet's header, as one table indexed
    ``sheet!row``; hidden rows said sheet by sheet; sheets with another header listed."""
    tables, problems = [], []
    for n, h in found:
        frame = book[n]
        if not frame.notna().any().any():
            continue  # an empty sheet (Sheet2, Sheet3 of a new workbook) holds nothing to lose
        part = _with_header(frame, h) if h is not None and len(frame) else pd.DataFrame()
        tables.append(SheetTable(n, None if h is None else h + 1, part))
        if len(part) and h is not None:
            problems += hidden_problems(path, n, part, sheet_view(path, n, kind=kind, book=xls_book))
    df, merged = merge_sheets(path, tables)
    first = next((t for t in tables if t.header_row is not None and len(t.frame)), None)
    name = first.name if first else (found[0][0] if found else ALL_SHEETS)
    header = first.header_row - 1 if first else 0
    return df, name, header, merged + problems


def preview_table(path: str | Path, *, layer: str | None = None, encoding: str | None = None,
                  role: str = "households", progress=None, cancelled=None) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows of a CSV or Excel table that the loader imports (title, 合计 and unplaced rows left
    out; every sheet for ``layer="*"``), without geometry, and the reader's warnings (sheets not
    read or not merged, hidden rows and columns): what a form shows before the import. A workbook
    is read sheet by sheet with ``progress`` and ``cancelled`` (:func:`read_vector`): a form runs
    this in the background.

    Raises
    ------
    GridtoolError
        As :func:`read_vector` does.
    """
    raw = read_vector(path, layer=layer, role=role, encoding=encoding, progress=progress, cancelled=cancelled)
    return pd.DataFrame(raw.gdf.drop(columns=raw.gdf.geometry.name)), list(raw.problems)


def sample_attributes(path: str | Path, *, layer: str | None = None, encoding: str | None = None,
                      rows: int = 2000) -> pd.DataFrame:
    """The attribute columns of a layer's first ``rows`` features, without geometry, with a table's
    header found as the loader finds it; for a form (the wizard) to offer the columns. Empty when
    the file cannot be read this way (OSM, DXF): the loader then reports what is wrong.
    """
    path = Path(path)
    sfx = suffix_of(path)
    try:
        if sfx in TABLE_SUFFIXES:
            return preview_table(path, layer=layer, encoding=encoding)[0]
        if sfx in (".osm", ".pbf", ".dxf"):
            return pd.DataFrame()
        return pd.DataFrame(pyogrio.read_dataframe(path, layer=layer, read_geometry=False, max_features=rows,
                                                   encoding=encoding))
    except (GridtoolError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError):
        return pd.DataFrame()


def _read_table(path: Path, *, layer, encoding, fields, encoding_default=None, role=None, progress=None,
                cancelled=None) -> RawLayer:
    t = read_table(path, sheet=layer, encoding=encoding, encoding_default=encoding_default,
                   find_header=lambda frame: _find_header_row(frame, fields), progress=progress,
                   cancelled=cancelled, option=f"--{(role or 'households').replace('_', '-')}")
    df = t.frame
    if "geometry" in df.columns:
        df = df.rename(columns={"geometry": "wkt"})  # a WKT text column, not yet a geometry
    raw = _table_to_points(df, path, None if t.sheet == ALL_SHEETS else t.sheet, t.format, t.encoding, fields,
                           role=role)
    raw.problems[:0] = t.problems
    return raw


def _check_width(ncols: int, path: Path, layer: str, line: int, *, at_least: bool = False) -> None:
    lim = limits.current().table_columns
    if ncols > lim:
        n_zh, n_en = (f"至少 {ncols:,}", f"at least {ncols:,}") if at_least else (f"{ncols:,}", f"{ncols:,}")
        raise InputFileError(
            f"表格第 {line} 行有 {n_zh} 列，超过 {lim:,} 列的上限（花名册一般只有几十列）；可能选错了文件或分隔符有误",
            f"line {line} of the table has {n_en} {plural_en(ncols, 'column')}, more than the limit of {lim:,} (a roster has a few "
            "dozen); probably the wrong file or a wrong separator",
            fix_zh="检查文件内容；只保留需要的列后另存。若确实需要这么多列，用 --limit table_columns=数值 提高上限。",
            fix_en="check the file; keep only the columns needed and save it again. If it must be so, raise "
                   "--limit table_columns=N.", file=str(path), layer=layer, feature=f"line {line}")


def _decode_text(path: Path, enc: EncodingGuess) -> tuple[str, tuple[str, ...], Problem | None]:
    """The file's text, its first lines, and a warning when lines are in two encodings (rosters
    put together from two offices: UTF-8 lines among GBK ones are decoded each as what it is)."""
    legacy_enc = enc.encoding.lower().replace("-", "") in ("gb18030", "gbk", "gb2312", "latin1")
    try:
        text = path.read_text(encoding=enc.encoding)
    except UnicodeDecodeError as exc:
        if not (enc.source == "detected" and legacy_enc):
            raise EncodingError(
                f"CSV 文本无法按 {enc.encoding} 解码", f"CSV text cannot be decoded as {enc.encoding}",
                fix_zh="用 --encoding 指定编码（如 gbk 或 utf-8）。",
                fix_en="give the encoding with --encoding (e.g. gbk or utf-8).", file=str(path)) from exc
        text = None
    if enc.source != "detected" or not legacy_enc:
        return text, enc.lines, None
    out, utf8 = [], []
    for i, ln in enumerate(path.read_bytes().split(b"\n")):
        if max(ln, default=0) > 0x7F:
            try:
                out.append(ln.decode("utf-8"))
                utf8.append(i + 1)
                continue
            except UnicodeDecodeError:
                pass
        try:
            out.append(ln.decode("gb18030"))
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"CSV 第 {i + 1} 行既不是 UTF-8 也不是 GBK 编码，无法解码", f"line {i + 1} of the CSV is neither UTF-8 "
                "nor GBK text and cannot be decoded", fix_zh="用 --encoding 指定编码，或在 Excel 中打开后另存为 CSV UTF-8。",
                fix_en="give the encoding with --encoding, or open it in Excel and save it as CSV UTF-8.",
                file=str(path), feature=f"line {i + 1}") from exc
    legacy = sum(1 for ln in out if any(ord(c) > 0x7F for c in ln)) - len(utf8)
    if (not utf8 or legacy <= 0) and text is not None:
        return text, enc.lines, None
    text = "\n".join(out)
    shown = ", ".join(str(n) for n in utf8[:10]) + (" …" if len(utf8) > 10 else "")
    return text, tuple(text.splitlines()[:20]), Problem(
        "warning", "mixed_encoding",
        f"文件混用了两种编码：{len(utf8)} 行是 UTF-8（第 {shown} 行），{legacy} 行是 GBK；已逐行按各自的编码读取",
        f"the file mixes two encodings: {count_en(len(utf8), 'line')} in UTF-8 (lines {shown}), {legacy} in GBK; each line "
        "was read in its own", fix_zh="在 Excel 中打开后统一另存为一种编码（如 CSV UTF-8）。",
        fix_en="open it in Excel and save it in one encoding (e.g. CSV UTF-8).", file=str(path),
        features=[f"line {n}" for n in utf8])


def _unclosed_quote(text: str, path: Path) -> InputFileError:
    """The line where a quotation mark opens a field that never closes (it swallows the rest of
    the file into one cell, which would silently drop every row after it)."""
    start, open_ = 0, False
    for i, ln in enumerate(text.splitlines()):
        if ln.count('"') % 2:
            open_ = not open_
            if open_:
                start = i + 1
    return InputFileError(
        f"第 {start} 行有一个没有配对的引号（\"），它之后的所有行都会被当成一个单元格",
        f"line {start} opens a quotation mark (\") that never closes: every line after it would become one cell",
        fix_zh=f"在第 {start} 行补上或删去这个引号（可在记事本中查找 \"）后再导入。",
        fix_en=f"close or delete the quotation mark on line {start} (search for \" in a text editor) and import again.",
        file=str(path), feature=f"line {start}")


def _cut_long_fields(df: pd.DataFrame, path: Path, layer: str, limit: int) -> list[Problem]:
    """Cells over ``limit`` characters (Excel's own is 32,767) are cut, and named."""
    out = []
    for col in df.columns:
        s = df[col]
        if s.dtype != object and not pd.api.types.is_string_dtype(s):
            continue
        lens = pd.Series([len(v) if isinstance(v, str) else 0 for v in s.to_numpy()], index=s.index)
        over = lens > limit
        if not over.any():
            continue
        df[col] = s.where(~over, s.str.slice(0, limit))
        rows = [row_label(r) for r in df.index[over.to_numpy()]]
        out.append(Problem(
            "warning", "field_too_long",
            f"“{col}”列有 {int(over.sum())} 个单元格超过 {limit:,} 个字符（最长 {int(lens.max()):,}），已截断",
            f"{count_en(int(over.sum()), 'cell')} of column {col!r} {plural_en(int(over.sum()), 'holds', 'hold')} more than "
            f"{count_en(limit, 'character')} (the longest "
            f"{int(lens.max()):,}); they were cut", fix_zh="检查这些单元格：常见原因是粘贴了大段文字，或少了一个引号。",
            fix_en="check these cells: usually a long text pasted in, or a missing quotation mark.",
            file=str(path), layer=layer, field=str(col), features=rows))
    return out



def _rows_frame(rows) -> pd.DataFrame:
    """Rows of unequal length (title rows, ragged lines) as one frame, padded with None."""
    rows = list(rows)
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)


# Degrees, then minutes only after a degree sign, seconds only after a minute sign; the last number
# may lack its sign ("118°47" is 47 minutes, "118°47'30" 30 seconds).
_DMS = re.compile(r"^([NSEWnsew])?\s*:?\s*(-?\d+(?:\.\d+)?)\s*(?:[°度dD]\s*(?:(\d+(?:\.\d+)?)\s*(?:['分mM]\s*"
                  r"(?:(\d+(?:\.\d+)?)\s*[\"秒s]?)?)?)?)?\s*([NSEWnsew])?$")  # "36.5S" is south, "36.5s" seconds
# Degrees, minutes and seconds parted by spaces or colons only, as GPS units and survey sheets write
# them ("118 47 30", "118:47:30.5"); degrees whole, so "118.78 32.06" (a pair) is never read as one.
_DMS_PARTED = re.compile(r"^([NSEWnsew])?\s*:?\s*(-?\d+)(?:\s*:\s*|\s+)(\d+(?:\.\d+)?)"
                         r"(?:(?:\s*:\s*|\s+)(\d+(?:\.\d+)?))?\s*([NSEWnsew])?$")
# Signs typed for degrees, minutes and seconds: º/˚ (Word, Excel), curly quotes (autocorrect), primes.
_SIGNS = str.maketrans({"º": "°", "˚": "°", "′": "'", "’": "'", "‘": "'", "´": "'",
                        "″": '"', "”": '"', "“": '"'})


def _parse_coordinate(value) -> float:
    """106.5, "106.5°", "E106.5", "106°30'15\"", "东经106度30分", full-width digits: to a float, else NaN.

    A cell that is not one of these, or whose minutes or seconds cannot be (60 or more, decimals
    followed by a smaller unit: "118.5°30'"), is NaN: its row is then named, never placed wrongly."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, (int, float, np.number)):
        return float(value)
    text = str(value).translate(_SIGNS)  # before NFKC, which splits ″ into ′′ and makes º an "o"
    text = unicodedata.normalize("NFKC", text).strip()
    for word, hemi in (("东经", "E"), ("北纬", "N"), ("西经", "W"), ("南纬", "S"),
                       ("东", "E"), ("北", "N"), ("西", "W"), ("南", "S")):
        text = text.replace(word, hemi)
    m = _DMS.match(text) or _DMS_PARTED.match(text)
    if not m:
        return np.nan
    pre, deg, minutes, seconds, post = m.groups()
    if minutes is not None and ("." in deg or float(minutes) >= 60):
        return np.nan
    if seconds is not None and ("." in minutes or float(seconds) >= 60):
        return np.nan
    if pre and post and pre.upper() != post.upper():
        return np.nan  # "E118°N": which one is meant is unknown
    out = abs(float(deg)) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    hemi = (pre or post or "").upper()
    negative = deg.startswith("-") or hemi in ("W", "S")
    return -out if negative else out


def _to_number(series: pd.Series) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce")  # fast path: plain numbers
    slow = out.isna() & series.notna()
    if slow.any():
        out[slow] = series[slow].map(_parse_coordinate)
    return out.astype(float)


def _table_to_points(df, path: Path, layer, fmt, enc, fields, role=None) -> RawLayer:
    """Points of a table with coordinates. Rows without coordinates and 合计 rows are skipped and
    named. In a table of records (``incidents``: a 110 export where many calls were never located)
    0,0 rows are rows without coordinates too and rows typed latitude first are exchanged; in a
    roster they stay, to be named as errors by validation (a household must not vanish)."""
    records = role == "incidents"
    used: dict[str, str] = {}
    problems: list[Problem] = []
    for key in ("lon", "lat", "lonlat", "wkt"):
        if fields.get(key):
            if fields[key] not in df.columns:
                raise MissingColumnError(
                    f"表中没有列“{fields[key]}”", f"no column {fields[key]!r} in the table",
                    fix_zh="现有列：" + ", ".join(map(str, df.columns)),
                    fix_en="the columns are: " + ", ".join(map(str, df.columns)),
                    file=str(path), layer=layer, field=fields[key])
            used[key] = fields[key]
    if not ({"lon", "lat"} <= used.keys() or "lonlat" in used or "wkt" in used):
        lon, lat = find_column(df.columns, "lon"), find_column(df.columns, "lat")
        if lon and lat:
            used.update(lon=lon, lat=lat)
        elif find_column(df.columns, "lonlat"):
            used["lonlat"] = find_column(df.columns, "lonlat")
        elif find_column(df.columns, "wkt"):
            used["wkt"] = find_column(df.columns, "wkt")
        else:
            # a 派出所's list of its stations often gives only their addresses: nothing here geocodes
            has_address = any("地址" in str(c) or "address" in str(c).lower() for c in df.columns)
            addressed = role == "stations" and has_address
            # a 警情 export with 案发地址 only: the 接处警 system can export the call's 经纬度 too
            calls = role == "incidents" and has_address
            raise MissingColumnError(
                "表中找不到坐标列（如 经度/纬度、lon/lat、X/Y）" + ("；只有地址的站点无法落图" if addressed else "")
                + ("；只有案发地址的警情无法落图，也就找不出热点" if calls else ""),
                "no coordinate columns found (such as 经度/纬度, lon/lat, X/Y)"
                + ("; stations given by address alone cannot be placed" if addressed else "")
                + ("; incidents given by address alone cannot be placed, nor hot spots found" if calls else ""),
                fix_zh="给坐标列加上表头“经度”“纬度”，或用 --field lon=列名 --field lat=列名 指定。"
                       + ("只有地址时：在地图上取点补上经纬度（取自高德/腾讯地图的加 --crs-in stations=gcj02），"
                          "或不传 --stations、用重点场所中的派出所作站点（--station-category police）。" if addressed else "")
                       + ("只有地址时：从接处警系统重新导出，勾选报警位置的经度、纬度（百度坐标的加 --crs-in incidents=bd09，"
                          "高德的加 --crs-in incidents=gcj02）；gridtool 不按地址查坐标。" if calls else "")
                       + "现有列：" + ", ".join(map(str, df.columns)),
                fix_en="name the coordinate columns lon/lat, or pass --field lon=COLUMN --field lat=COLUMN. "
                       + ("With addresses only: pick each station on a map and fill in its lon/lat (from AMap/Tencent: "
                          "add --crs-in stations=gcj02), or leave out --stations and use the police stations among the "
                          "key places (--station-category police). " if addressed else "")
                       + ("With addresses only: export the calls again from the dispatch system with the caller's "
                          "longitude and latitude (Baidu coordinates: add --crs-in incidents=bd09; AMap: "
                          "--crs-in incidents=gcj02); gridtool does not look addresses up. " if calls else "")
                       + "The columns are: " + ", ".join(map(str, df.columns)),
                file=str(path), layer=layer)
    if "wkt" in used:
        geoms = shapely.from_wkt(df[used["wkt"]].astype(str).where(df[used["wkt"]].notna()),
                                 on_invalid="ignore")
        bad = df.index[pd.isna(geoms)].tolist()
        zeros = pd.Index([])
    else:
        if "lonlat" in used:
            parts = df[used["lonlat"]].astype(str).str.replace("，", ",").str.split(r"[,\s]+",
                                                                                    n=1, expand=True)
            if parts.shape[1] < 2:
                parts[1] = np.nan
            x, y = _to_number(parts[0]), _to_number(parts[1])
        else:
            x, y = _to_number(df[used["lon"]]), _to_number(df[used["lat"]])
        zeros = zero_rows(x, y) if records else pd.Index([])
        x, y = x.mask(x.index.isin(zeros)), y.mask(y.index.isin(zeros))
        swapped = swapped_rows(x, y) if records else pd.Index([])
        if len(swapped):  # latitude typed first: unambiguous, so exchanged back, and said
            label = used.get("lonlat") or f"{used['lon']}/{used['lat']}"
            x.loc[swapped], y.loc[swapped] = y.loc[swapped].to_numpy(), x.loc[swapped].to_numpy()
            problems.append(Problem(
                "warning", "lonlat_swapped_rows",
                f"{len(swapped)} 行经度、纬度写反，已按对调后的位置读入",
                f"{count_en(len(swapped), 'row')} had longitude and latitude swapped; read with the two exchanged",
                fix_zh=f"在表格中对调这些行“{label}”的经度、纬度值。",
                fix_en=f"exchange these rows' longitude and latitude ({label}) in the table.",
                file=str(path), layer=layer, field=label,
                features=[row_label(r) for r in swapped]))
        bad = df.index[x.isna() | y.isna()].tolist()
        geoms = gpd.points_from_xy(x.fillna(0), y.fillna(0))
    field_name = used.get("wkt") or used.get("lonlat") or f"{used['lon']}/{used['lat']}"
    totals = total_rows(df, pd.Series(df.index.isin(bad), index=df.index))
    if len(totals):  # a 合计 row is not a record: dropped, said, never counted as unplaced
        problems.append(Problem(
            "warning", "totals_row", f"{len(totals)} 行是合计行（不是记录），已跳过",
            f"{count_en(len(totals), 'totals row')} (合计/总计, not records) {plural_en(len(totals), 'was')} skipped",
            fix_zh="如果这些行其实是记录，把第一列的“合计”改成实际内容。",
            fix_en="if these rows are records, replace 合计 in their first column.",
            file=str(path), layer=layer, features=[row_label(r) for r in totals]))
        keep = ~df.index.isin(totals)
        df, geoms = df[keep], geoms[keep]
        bad = [r for r in bad if r not in set(totals)]
        zeros = zeros[~zeros.isin(totals)]
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs=None)
    if bad and len(bad) == len(df):
        cols = [c for c in (used.get("wkt"), used.get("lonlat"), used.get("lon"), used.get("lat")) if c]
        examples = "; ".join(str(v) for v in df[cols[0]].dropna().astype(str).head(3))
        raise InputFileError(
            f"坐标列“{field_name}”中没有一行能读成坐标（例如：{examples}）",
            f"no row of column {field_name!r} could be read as coordinates (e.g. {examples})",
            fix_zh="坐标应为十进制度（如 106.55）、度分秒（如 106°33′）或米；检查是否选错了列。",
            fix_en="coordinates must be decimal degrees (106.55), degrees-minutes-seconds (106°33′) or "
                   "metres; check that the right columns were chosen.",
            file=str(path), layer=layer, field=field_name)
    if bad:
        zero = set(zeros)
        empty = [r for r in bad if r not in zero]
        if empty:
            problems.append(Problem(
                "warning", "bad_coordinates", *skipped_text("bad_coordinates", len(empty)),
                fix_zh="在表格中补全或改正这些行的坐标：十进制度（如 118.78、东经118.78度）或度分秒"
                       "（如 118°47′30″ 或 118 47 30，分、秒小于 60）。",
                fix_en="fill in or correct these rows' coordinates: decimal degrees (118.78, 东经118.78度) or "
                       "degrees-minutes-seconds (118°47′30″ or 118 47 30, minutes and seconds under 60).",
                file=str(path), layer=layer, field=field_name, features=[row_label(r) for r in empty]))
        if zero:
            problems.append(Problem(
                "warning", "zero_coordinates", *skipped_text("zero_coordinates", len(zero)),
                fix_zh="在表格中补上这些行的实际坐标（可按地址在地图上取点）。",
                fix_en="fill in these rows' real coordinates (pick them on a map by their address).",
                file=str(path), layer=layer, field=field_name, features=[row_label(r) for r in sorted(zero)]))
        unlocated = pd.DataFrame(df.loc[bad])
        gdf = gdf.drop(index=bad)
        return RawLayer(gdf, str(path), layer, fmt, enc, used, problems, unlocated=unlocated)
    return RawLayer(gdf, str(path), layer, fmt, enc, used, problems)


def _cpg_unknown(path: Path, read_as: str, role: str | None) -> Problem | None:
    """A warning when the shapefile's .cpg names no codepage Python knows (``CP9999``): the text was
    read by detection instead, which may be wrong, so the user is told what was used."""
    from ..encoding import _normalise
    cpg = next((p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None)
    if cpg is None:
        return None
    said = cpg.read_text(errors="replace").strip()
    if not said or _normalise(said) is not None:
        return None  # an empty .cpg says nothing; a known one was used (or found wrong and said)
    # What the file says is shown, but only printable and short: a .cpg may hold any bytes.
    said = "".join(ch if ch.isprintable() else "?" for ch in said[:40]) + ("…" if len(said) > 40 else "")
    flag = f"--encoding {role or 'ROLE'}=gbk"
    return Problem(
        "warning", "cpg_unknown",
        f"{cpg.name} 声明的编码“{said}”无法识别，已自动检测并按 {read_as} 读取",
        f"the encoding \"{said}\" in {cpg.name} is unknown; the text was detected and read as {read_as}",
        fix_zh=f"检查属性文字是否正确；把 {cpg.name} 的内容改为正确的编码（如 GBK 或 UTF-8），或用 {flag} 指定编码。",
        fix_en=f"check that the attribute text reads right; change {cpg.name} to the right encoding (e.g. GBK "
               f"or UTF-8), or give it with {flag}.",
        file=str(cpg))


def _cpg_wrong(path: Path, said: str | None, read_as: str) -> Problem:
    """A shapefile's .cpg names another encoding than its text's: read by the text, said."""
    return Problem(
        "warning", "cpg_wrong", f"{path.stem}.cpg 声明编码为 {said}，但文本是 {read_as}，已按 {read_as} 读取",
        f"{path.stem}.cpg says {said} but the text is {read_as}; it was read as {read_as}",
        fix_zh=f"把 {path.stem}.cpg 的内容改为 {read_as.upper()}，以免其他软件显示乱码。",
        fix_en=f"change {path.stem}.cpg to {read_as.upper()} so that other programs show the text right.",
        file=str(path.with_suffix(".cpg")))
