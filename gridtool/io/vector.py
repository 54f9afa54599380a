"""Reading vector data in the formats planners hold, as a GeoDataFrame in the file's own coordinates.

GeoPackage, Shapefile (also zipped; encoding detected), GeoJSON, KML/KMZ (all folders), CSV and
Excel tables with coordinate columns, and OpenStreetMap extracts (by role, see ``osm.py``).
pyogrio does the reading; this module decides the format, layer and encoding, and turns tables
into points, so that every format ends up in the same shape.
"""

from __future__ import annotations

import re
import tempfile
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
from ..errors import (EncodingError, InputFileError, LayerNotFoundError, MissingColumnError,
                      UnsupportedFormatError)
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


def split_path_layer(spec: str) -> tuple[str, str | None]:
    """Split ``PATH[:LAYER]``; a Windows drive letter (``C:\\x.gpkg``) is not a layer separator."""
    spec = str(spec)
    if Path(spec).exists():
        return spec, None
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


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputFileError(
            f"找不到文件 {path}", f"file not found: {path}",
            fix_zh="检查路径和文件名（含扩展名）；Shapefile 需要 .shp、.shx、.dbf 放在一起。",
            fix_en="check the path and the file name with its extension; a shapefile needs its "
                   ".shp, .shx and .dbf side by side.",
            file=str(path))


def read_vector(path: str | Path, *, layer: str | None = None, role: str | None = None,
                encoding: str | None = None, fields: dict[str, str] | None = None,
                seed: int = 0) -> RawLayer:
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
        Override the detected text encoding of a shapefile or CSV (``gbk``, ``utf-8`` …).
    fields
        Source column names chosen by the user, e.g. ``{"lon": "东经", "lat": "北纬"}``.
    """
    path = Path(path)
    _check_exists(path)
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
        return _read_table(path, layer=layer, encoding=encoding, fields=fields)
    if sfx == ".zip":
        return _read_zipped(path, layer=layer, role=role, encoding=encoding, fields=fields)
    return _read_ogr(path, layer=layer, role=role, encoding=encoding)


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


def _read_ogr(path: Path, *, layer, role, encoding) -> RawLayer:
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
        enc = detect_shapefile_encoding(path, encoding)
        kwargs["encoding"] = enc.encoding
    elif encoding:
        kwargs["encoding"] = encoding
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
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"文本无法按 {kwargs.get('encoding')} 解码", f"text cannot be decoded as {kwargs.get('encoding')}",
            fix_zh="用 --encoding 指定编码（如 gbk 或 utf-8）；若字段名是被截断的中文（Shapefile 字段名最多 10 "
                   "字节），请在 QGIS 中改短字段名后另存。",
            fix_en="give the encoding with --encoding (e.g. gbk or utf-8); if Chinese field names were cut "
                   "(shapefile field names hold 10 bytes), shorten them in QGIS and save again.",
            file=str(path)) from exc
    if sfx in (".kml", ".kmz"):
        gdf = gdf.rename(columns={"Name": "name", "Description": "description"})
    return RawLayer(gdf, str(path), None if chosen == "*" else chosen, fmt, enc)


def _read_zipped(path: Path, *, layer, role, encoding, fields) -> RawLayer:
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
        tmp = Path(tempfile.mkdtemp(prefix="gridtool-zip-"))
        zf.extractall(tmp, members=[m for m in members if Path(m).stem == Path(shps[0]).stem])
    raw = read_vector(tmp / shps[0], role=role, encoding=encoding, fields=fields)
    raw.path = f"{path}!{shps[0]}"
    return raw


def _find_header_row(frame: pd.DataFrame) -> int | None:
    """Rosters often start with a title row; find the first row that holds coordinate headers."""
    for i in range(min(len(frame), 15)):
        row = [str(v) for v in frame.iloc[i].tolist() if pd.notna(v)]
        if (find_column(row, "lon") and find_column(row, "lat")) or find_column(row, "lonlat"):
            return i
    return None


def _read_table(path: Path, *, layer, encoding, fields) -> RawLayer:
    sfx = suffix_of(path)
    enc = None
    if sfx in (".xlsx", ".xls"):
        try:
            book = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        except Exception as exc:
            raise UnsupportedFormatError(
                f"无法读取 Excel 文件（{exc}）", f"cannot read the Excel file ({exc})",
                fix_zh="另存为 .xlsx 后重试。", fix_en="save it again as .xlsx and retry.",
                file=str(path)) from exc
        if layer is not None and layer not in book:
            raise LayerNotFoundError(
                f"没有工作表“{layer}”", f"no sheet {layer!r}",
                fix_zh="可选：" + ", ".join(book), fix_en="choose one of: " + ", ".join(book),
                file=str(path), layer=layer)
        names = [layer] if layer is not None else list(book)
        sheet, header = None, None
        for name in names:
            h = _find_header_row(book[name])
            if h is not None or (fields.get("lon") and fields.get("lat")):
                sheet, header = name, h or 0
                break
        if sheet is None:
            sheet, header = names[0], 0
        frame = book[sheet]
        df = frame.iloc[header + 1:].reset_index(drop=True)
        df.columns = [str(c).strip() if pd.notna(c) else f"col{i}" for i, c in
                      enumerate(frame.iloc[header])]
        df = df.dropna(how="all")
        row_offset = header + 2  # 1-based spreadsheet row of df.index 0
        layer_name = sheet
        fmt = "Excel"
    else:
        enc = detect_text_file_encoding(path, encoding)
        try:
            df = pd.read_csv(path, encoding=enc.encoding, dtype=str, sep=None, engine="python")
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"CSV 文本无法按 {enc.encoding} 解码", f"CSV text cannot be decoded as {enc.encoding}",
                fix_zh="用 --encoding 指定编码（如 gbk 或 utf-8）。",
                fix_en="give the encoding with --encoding (e.g. gbk or utf-8).", file=str(path)) from exc
        df.columns = [str(c).strip() for c in df.columns]
        row_offset = 2
        layer_name = path.stem
        fmt = "CSV"
    df.index = df.index + row_offset  # index = spreadsheet row number, for messages
    return _table_to_points(df, path, layer_name, fmt, enc, fields)


def _to_number(series: pd.Series) -> pd.Series:
    text = series.astype(str).str.strip().str.replace("°", "", regex=False)
    return pd.to_numeric(text.where(series.notna()), errors="coerce")


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
    if bad:
        field_name = used.get("wkt") or used.get("lonlat") or f"{used['lon']}/{used['lat']}"
        problems.append(Problem(
            "warning", "bad_coordinates",
            f"{len(bad)} 行坐标为空或不是数字，已跳过", f"{len(bad)} row(s) with empty or non-numeric "
            "coordinates were skipped",
            fix_zh="在表格中补全这些行的坐标。", fix_en="fill in the coordinates of these rows.",
            file=str(path), layer=layer, field=field_name, features=[f"row {r}" for r in bad]))
        gdf = gdf.drop(index=bad)
    return RawLayer(gdf, str(path), layer, fmt, enc, used, problems)
