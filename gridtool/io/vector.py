"""Reading vector data in the formats planners hold, as a GeoDataFrame in the file's own coordinates.

GeoPackage, Shapefile (also zipped; encoding detected), GeoJSON, KML/KMZ (all folders), CSV and
Excel tables with coordinate columns, and OpenStreetMap extracts (by role, see ``osm.py``).
pyogrio does the reading; this module decides the format, layer and encoding, and turns tables
into points, so that every format ends up in the same shape.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..columns import find_column
from ..encoding import EncodingGuess, detect_shapefile_encoding, detect_text_file_encoding
from ..errors import (EmptyLayerError, EncodingError, InputFileError, LayerNotFoundError,
                      MissingColumnError, UnsupportedFormatError)
from ..problems import Problem

VECTOR_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml", ".kmz", ".csv", ".txt",
                   ".xlsx", ".xls", ".osm", ".pbf", ".fgb", ".gml", ".tab")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")


@dataclass
class RawLayer:
    """What was read, before coordinate handling: geometry in the file's own coordinates."""

    gdf: gpd.GeoDataFrame
    path: str
    layer: str | None
    format: str
    encoding: EncodingGuess | None = None
    columns_used: dict[str, str] = field(default_factory=dict)  # e.g. {"lon": "经度"}
    problems: list[Problem] = field(default_factory=list)
    ids: pd.Series | None = None  # how a planner finds each feature in the source (default: FID n)


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
        return list(pd.ExcelFile(path).sheet_names)
    if sfx in (".csv", ".txt"):
        return [path.stem]
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def check_exists(path: Path) -> None:
    """Raise InputFileError naming the file when it is not there."""
    if not path.exists():
        raise InputFileError(
            f"找不到文件 {path}", f"file not found: {path}",
            fix_zh="检查路径和文件名（含扩展名）；Shapefile 需要 .shp、.shx、.dbf 放在一起。",
            fix_en="check the path and the file name with its extension; a shapefile needs its "
                   ".shp, .shx and .dbf side by side.",
            file=str(path))


def read_vector(path: str | Path, *, layer: str | None = None, role: str | None = None,
                encoding: str | None = None, encoding_default: str | None = None,
                fields: dict[str, str] | None = None, seed: int = 0) -> RawLayer:
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
    """
    path = Path(path)
    check_exists(path)
    sfx = suffix_of(path)
    fields = fields or {}
    if sfx not in VECTOR_SUFFIXES:
        raise UnsupportedFormatError(
            f"不支持的文件格式：{path.suffix}", f"unsupported file format: {path.suffix}",
            fix_zh="使用 GeoPackage、Shapefile、GeoJSON、KML/KMZ、CSV、Excel 或 OSM 文件。",
            fix_en="use a GeoPackage, Shapefile, GeoJSON, KML/KMZ, CSV, Excel or OSM file.",
            file=str(path))
    if sfx in (".osm", ".pbf"):
        from .osm import read_osm_role
        if role is None:
            raise InputFileError("读取 OSM 文件需要指定图层角色", "reading an OSM file needs a role",
                                 fix_zh="用 --households、--roads 等参数传入 OSM 文件。",
                                 fix_en="pass the OSM file with --households, --roads, etc.",
                                 file=str(path))
        gdf = read_osm_role(path, role, seed=seed)
        return RawLayer(gdf, str(path), role, "OSM")
    if sfx in TABLE_SUFFIXES:
        return _read_table(path, layer=layer, encoding=encoding, encoding_default=encoding_default,
                           fields=fields)
    if sfx == ".zip":
        return _read_zipped(path, layer=layer, role=role, encoding=encoding,
                            encoding_default=encoding_default, fields=fields)
    return _read_ogr(path, layer=layer, role=role, encoding=encoding, encoding_default=encoding_default)


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
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL gives DataSourceError with a C-level message
        raise UnsupportedFormatError(
            f"无法读取文件（{exc}）", f"cannot read the file ({exc})",
            fix_zh="确认文件完整且格式与扩展名一致；可先在 QGIS 中打开检查。",
            fix_en="check that the file is complete and matches its extension; try opening it in QGIS.",
            file=str(path)) from exc
    enc = None
    kwargs = {}
    if sfx == ".shp":
        enc = detect_shapefile_encoding(path, encoding, default=encoding_default)
        kwargs["encoding"] = enc.encoding
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
            gdf = pyogrio.read_dataframe(path, layer=chosen, fid_as_index=True, **kwargs)
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
    ids = None
    if "_kml_id" in gdf:
        ids = gdf.pop("_kml_id")  # "folder #n": what a planner sees in Google Earth / Ovital
    if sfx in (".kml", ".kmz"):
        gdf = gdf.rename(columns={"Name": "name", "Description": "description"})
    return RawLayer(gdf, str(path), None if chosen == "*" else chosen, fmt, enc, ids=ids)


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


def _read_zipped(path: Path, *, layer, role, encoding, encoding_default, fields) -> RawLayer:
    """A zipped shapefile (or other file): extracted to a temporary folder, never next to the input."""
    with zipfile.ZipFile(path) as zf:
        members = [m for m in zf.namelist() if not m.endswith("/")]
        inner = [m for m in members if suffix_of(Path(m)) in VECTOR_SUFFIXES and
                 suffix_of(Path(m)) != ".zip"]
        shps = [m for m in inner if m.lower().endswith(".shp")] or inner
        if not shps:
            raise UnsupportedFormatError(
                "压缩包里没有可读的矢量文件", "the zip holds no vector file gridtool reads",
                fix_zh="压缩包中应包含 .shp/.dbf/.shx 或 .gpkg 等文件。",
                fix_en="the zip should hold a .shp with its .dbf/.shx, or a .gpkg etc.", file=str(path))
        if layer is not None:
            match = [m for m in shps if Path(m).stem == layer]
            if not match:
                raise LayerNotFoundError(
                    f"压缩包中没有“{layer}”", f"no {layer!r} in the zip",
                    fix_zh="可选：" + ", ".join(Path(m).stem for m in shps),
                    fix_en="choose one of: " + ", ".join(Path(m).stem for m in shps), file=str(path))
            shps = match
        elif len(shps) > 1:
            raise LayerNotFoundError(
                f"压缩包中有多个数据文件：{', '.join(Path(m).stem for m in shps)}",
                f"the zip holds several data files: {', '.join(Path(m).stem for m in shps)}",
                fix_zh="用 文件.zip:名称 指定其中一个。", fix_en="name one as FILE.zip:NAME.", file=str(path))
        with tempfile.TemporaryDirectory(prefix="gridtool-zip-") as tmp:
            zf.extractall(tmp, members=[m for m in members if Path(m).stem == Path(shps[0]).stem])
            raw = read_vector(Path(tmp) / shps[0], role=role, encoding=encoding,
                              encoding_default=encoding_default, fields=fields)
    raw.path = f"{path}!{shps[0]}"
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
    df.columns = [str(c).strip() if pd.notna(c) else f"col{i}" for i, c in enumerate(frame.iloc[header])]
    df.index = df.index + 1  # 1-based row number in the file or sheet, for messages
    return df.dropna(how="all")


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
               encoding_default: str | None = None, find_header=None) -> Table:
    """Read a CSV or Excel table as text cells, with the row numbers a planner sees.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (encoding detected, separator sniffed) or ``.xlsx``/``.xls``.
    sheet
        Excel sheet; by default the first sheet on which ``find_header`` finds a header.
    find_header
        ``find_header(frame) -> int | None``: the 0-based row of the header in the raw rows
        (default :func:`guess_header_row`); rows above it (titles, notes) are skipped.

    Raises
    ------
    LayerNotFoundError, UnsupportedFormatError, EncodingError, EmptyLayerError
    """
    path = Path(path)
    check_exists(path)
    sfx = suffix_of(path)
    find_header = find_header or guess_header_row
    enc = None
    if sfx in (".xlsx", ".xls"):
        try:
            book = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        except Exception as exc:
            raise UnsupportedFormatError(
                f"无法读取 Excel 文件（{exc}）", f"cannot read the Excel file ({exc})",
                fix_zh="另存为 .xlsx 后重试。", fix_en="save it again as .xlsx and retry.",
                file=str(path)) from exc
        if sheet is not None and sheet not in book:
            raise LayerNotFoundError(
                f"没有工作表“{sheet}”", f"no sheet {sheet!r}",
                fix_zh="可选：" + ", ".join(book), fix_en="choose one of: " + ", ".join(book),
                file=str(path), layer=sheet)
        names = [sheet] if sheet is not None else list(book)
        found = [(n, find_header(book[n])) for n in names]
        name, header = next(((n, h) for n, h in found if h is not None), (names[0], 0))
        frame = book[name]
        df = _with_header(frame, header) if len(frame) else pd.DataFrame()
        fmt = "Excel"
    elif sfx in (".csv", ".txt"):
        enc = detect_text_file_encoding(path, encoding, default=encoding_default)
        try:
            text = path.read_text(encoding=enc.encoding)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"CSV 文本无法按 {enc.encoding} 解码", f"CSV text cannot be decoded as {enc.encoding}",
                fix_zh="用 --encoding 指定编码（如 gbk 或 utf-8）。",
                fix_en="give the encoding with --encoding (e.g. gbk or utf-8).", file=str(path)) from exc
        sep = _sniff_separator(enc.lines)
        header = find_header(_rows_frame(csv.reader(io.StringIO("\n".join(enc.lines)), delimiter=sep))) or 0
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
        except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
            # Ragged rows or an empty file: the csv module takes rows as they come.
            frame = _rows_frame(csv.reader(io.StringIO(text), delimiter=sep)).replace("", None)
            df = _with_header(frame, header) if len(frame) else pd.DataFrame()
    else:
        raise UnsupportedFormatError(
            f"不是表格文件：{path.suffix}", f"not a table file: {path.suffix}",
            fix_zh="使用 .xlsx、.xls 或 .csv 文件。", fix_en="use an .xlsx, .xls or .csv file.", file=str(path))
    if len(df) == 0:
        raise EmptyLayerError("表格是空的", "the table is empty", fix_zh="检查是否选错了文件或工作表。",
                              fix_en="check that the right file and sheet were given.",
                              file=str(path), layer=name)
    return Table(df, str(path), name, int(header) + 1, fmt, enc)


def _read_table(path: Path, *, layer, encoding, fields, encoding_default=None) -> RawLayer:
    t = read_table(path, sheet=layer, encoding=encoding, encoding_default=encoding_default,
                   find_header=lambda frame: _find_header_row(frame, fields))
    df = t.frame
    if "geometry" in df.columns:
        df = df.rename(columns={"geometry": "wkt"})  # a WKT text column, not yet a geometry
    return _table_to_points(df, path, t.sheet, t.format, t.encoding, fields)


def _rows_frame(rows) -> pd.DataFrame:
    """Rows of unequal length (title rows, ragged lines) as one frame, padded with None."""
    rows = list(rows)
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)


_DMS = re.compile(r"^([NSEW东西南北])?\s*(-?\d+(?:\.\d+)?)\s*(?:[°度d]\s*(?:(\d+(?:\.\d+)?)\s*"
                  r"[′'分m]\s*)?(?:(\d+(?:\.\d+)?)\s*[″\"秒s]?)?)?\s*([NSEW东西南北])?$", re.IGNORECASE)


def _parse_coordinate(value) -> float:
    """106.5, "106.5°", "E106.5", "106°30'15\"", "东经106度30分", full-width digits: to a float, else NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, (int, float, np.number)):
        return float(value)
    text = str(value).replace("″", '"').replace("′", "'")  # before NFKC, which splits ″ into ′′
    text = unicodedata.normalize("NFKC", text).strip().replace("东经", "E").replace("北纬", "N")
    text = text.replace("西经", "W").replace("南纬", "S")
    m = _DMS.match(text)
    if not m:
        return np.nan
    pre, deg, minutes, seconds, post = m.groups()
    out = abs(float(deg)) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    hemi = (pre or post or "").upper()
    negative = deg.startswith("-") or hemi in ("W", "S", "西", "南")
    return -out if negative else out


def _to_number(series: pd.Series) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce")  # fast path: plain numbers
    slow = out.isna() & series.notna()
    if slow.any():
        out[slow] = series[slow].map(_parse_coordinate)
    return out.astype(float)


def _table_to_points(df, path: Path, layer, fmt, enc, fields) -> RawLayer:
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
            raise MissingColumnError(
                "表中找不到坐标列（如 经度/纬度、lon/lat、X/Y）",
                "no coordinate columns found (such as 经度/纬度, lon/lat, X/Y)",
                fix_zh="给坐标列加上表头“经度”“纬度”，或用 --field lon=列名 --field lat=列名 指定。"
                       "现有列：" + ", ".join(map(str, df.columns)),
                fix_en="name the coordinate columns lon/lat, or pass --field lon=COLUMN --field lat=COLUMN. "
                       "The columns are: " + ", ".join(map(str, df.columns)),
                file=str(path), layer=layer)
    if "wkt" in used:
        geoms = shapely.from_wkt(df[used["wkt"]].astype(str).where(df[used["wkt"]].notna()),
                                 on_invalid="ignore")
        bad = df.index[pd.isna(geoms)].tolist()
    else:
        if "lonlat" in used:
            parts = df[used["lonlat"]].astype(str).str.replace("，", ",").str.split(r"[,\s]+",
                                                                                    n=1, expand=True)
            if parts.shape[1] < 2:
                parts[1] = np.nan
            x, y = _to_number(parts[0]), _to_number(parts[1])
        else:
            x, y = _to_number(df[used["lon"]]), _to_number(df[used["lat"]])
        bad = df.index[x.isna() | y.isna()].tolist()
        geoms = gpd.points_from_xy(x.fillna(0), y.fillna(0))
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs=None)
    field_name = used.get("wkt") or used.get("lonlat") or f"{used['lon']}/{used['lat']}"
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
        problems.append(Problem(
            "warning", "bad_coordinates",
            f"{len(bad)} 行坐标为空或不是数字，已跳过", f"{len(bad)} row(s) with empty or non-numeric "
            "coordinates were skipped",
            fix_zh="在表格中补全这些行的坐标。", fix_en="fill in the coordinates of these rows.",
            file=str(path), layer=layer, field=field_name, features=[f"row {r}" for r in bad]))
        gdf = gdf.drop(index=bad)
    return RawLayer(gdf, str(path), layer, fmt, enc, used, problems)
