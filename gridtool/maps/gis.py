"""GIS exports of the plan: GeoPackage, Shapefile, GeoJSON, KML/KMZ and GPX.

For the county's GIS office (QGIS, ArcGIS) and for phones and GPS units: the layers ``grids``,
``subgrids``, ``special_grids``, ``corridors``, ``routes``, ``route_stops``, ``circles``,
``places`` and the party-member links (``party_links`` from member to household, ``party_members``
with their grid, households linked and why a member has none), in the CRS of the user's own boundaries (:func:`boundary_crs_label`; or ``crs=``), except the
formats that are WGS84 by definition (GeoJSON per RFC 7946, KML, GPX).

What the writers take care of, because GDAL alone would get it wrong silently:

- **Shapefiles**: a ``.cpg`` always (UTF-8, or GBK for older Chinese ArcGIS set-ups); field names
  cut to dBase's 10 *bytes* in that encoding without splitting a character, made unique, and listed
  in ``fields.csv`` (layer, field, shapefile field) so the mapping is predictable; text cut to 254
  bytes (counted); characters GBK lacks replaced by ``?`` (counted); a layer with mixed geometry
  (places as points and polygons) split into ``places_point.shp`` and ``places_polygon.shp``;
  geometry collections reduced to the layer's geometry type.
- **GeoPackage**: a mixed layer is split the same way (tables ``places_point``, ``places_polygon``),
  each with a QGIS style of its own geometry type (:mod:`gridtool.maps.qgis`); a table of one type
  opens in QGIS as one layer, not as sub-layers of which the areas wear the points' style.
- **Personal data**: columns of names, ID-card and phone numbers are dropped from GIS tables and
  masked in KML (a viewing format) unless ``include_personal``.
- **Text as text**: KML descriptions are HTML to Google Earth and 奥维, so they are HTML-escaped
  inside CDATA and every style's ``BalloonStyle`` shows only them
  (:class:`gridtool.io.kml.KmlWriter`); ``fields.csv`` goes through
  :func:`gridtool.cells.csv_bytes` (a field named ``=…`` is text in Excel).
- **Safety**: every file is written to a temporary name beside the target and renamed into place;
  no output may be the project file or one of its inputs (``outputs.check_not_input``), and no
  existing file that gridtool did not write is replaced without ``force`` (each file carries
  gridtool's mark: see :mod:`gridtool.ownership`).

KML is written by hand (``xml.etree``) rather than through GDAL's KML drivers so that grids carry
their map fill (the same colours as the wall map and the HTML map), folders have Chinese names and
popups (``description``) read like the HTML map's. GPX reuses :func:`gridtool.routing.export.write_gpx`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import __version__
from ..plurals import count_en, plural_en
from ..atomic import GPKG_OPTIONS, publish, publish_set, sweep, write_bytes_atomic, write_failure
from ..cells import csv_bytes
from ..crs import parse_crs, to_user_crs
from ..errors import GridtoolError
from ..geomtypes import split_by_family as _split_by_family
from ..ownership import MARK, check_replace, export_marker
from ..io.kml import KML_NS, KmlWriter, description_html, kml_colour, kml_geometry
from ..partition.totals import GRID_KINDS, grid_kind, household_totals
from .icons import category_text
from .outputs import check_not_input
from .paper import check_cancelled
from .plan_words import STATUS_ZH, apartment_parts_zh, note_zh
from .privacy import is_text_column, mask_layer
from .style import CIRCLE_COLOURS, LAYER_ZH, TEAM_COLOURS

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]
#: KML placemarks between two looks at ``cancelled()`` (a county's households run to 500,000).
FEATURES_PER_CHECK = 5000

#: Layers written by default, in this order.
GIS_LAYERS = ("grids", "subgrids", "special_grids", "corridors", "routes", "route_stops", "circles", "places",
              "stations", "hotspots", "party_links", "party_members", "ridges")
#: Layers exported only when named in ``--layers`` (incident records are police data: not by default).
GIS_LAYERS_ON_REQUEST = ("villages", "households", "incidents")
#: Chinese shapefile field names of gridtool's columns (``--lang zh``): at most three characters, so
#: that they fit dBase's 10 bytes in UTF-8 (3 bytes a character) as in GBK, uncut.
FIELD_ZH = {
    "code": "编码", "village": "村社区", "village_code": "村编码", "hh": "户数", "status": "状态", "note": "备注",
    "min_hh": "户数下", "max_hh": "户数上", "worker": "网格员", "worker_slots": "员额", "worker_phone": "员电话",
    "locked": "锁定", "area_m2": "面积", "polsby_popper": "紧凑度", "hard_crossings": "硬跨越",
    "soft_crossings": "软跨越", "max_dist_m": "最远距", "ridge_m": "山脊高", "places": "场所数", "place_names": "场所名",
    "n_subgrids": "子网格数", "grid": "网格", "subgrid": "子网格", "grid_parts": "网格段", "subgrid_parts": "子格段", "kind": "类型",
    "n_features": "要素数", "apartment_parts": "分户数", "category": "类别", "category_raw": "原类别", "name": "名称",
    "width_m": "宽度", "team": "队号", "station": "站点", "stops": "点数", "length_km": "里程", "minutes": "分钟",
    "start": "开始", "end": "结束", "mode": "方式", "seq": "顺序", "place": "场所", "visit": "次序", "must": "必到",
    "priority": "优先级", "arrive": "到达", "depart": "离开", "arrive_min": "到达分", "depart_min": "离开分",
    "dwell_min": "停留分", "wait_min": "等候分", "window": "时间窗", "src_id": "源编号", "kml_folder": "文件夹", "description": "描述",
    # 警情热点 (hotspots)
    "rank": "排名", "incidents": "警情数", "share": "占比", "expected": "期望数", "peak_hours": "高发时",
    "peak_incidents": "高发数", "types": "警情类", "street": "街道", "density_per_km": "密度", "not_visited": "未巡因",
    # 党员联户 (party_links, party_members)
    "member": "党员", "member_id": "党员行", "household": "住户", "distance_m": "距离",
    # 山脊线 (ridges)
    "length_m": "长度米", "dem": "高程源", "rise_m": "高差米",
}
#: Coded values written in Chinese in Chinese shapefiles (the GeoPackage keeps gridtool's codes).
VALUE_ZH = {
    "status": STATUS_ZH,
    "kind": {"special": "专属网格", "area": "片区", "apartment part": "楼栋分户", "river": "河流", "railway": "铁路",
             "forest": "田林"},
    "mode": {"walk": "步行", "bicycle": "自行车", "car": "驾车"},
}
SHP_ENCODINGS = {"utf-8": "UTF-8", "utf8": "UTF-8", "gbk": "GBK", "cp936": "GBK", "gb2312": "GBK", "gb18030": "GBK"}
_FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
           "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}


@dataclass
class Written:
    """One file written: its path, the layer it holds, its features, and notes (truncations …)."""

    path: Path
    layer: str
    features: int
    notes: list[str] = field(default_factory=list)


# -- preparing layers ---------------------------------------------------------------------------
def _plain_values(df: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can write: lists/dicts as JSON text, mixed objects as text."""
    out = df.copy()
    geom = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for col in out.columns:
        if col == geom:
            continue
        s = out[col]
        if is_text_column(s):
            vals = s.tolist()
            if any(isinstance(v, (list, dict, tuple, set)) for v in vals):
                out[col] = [json.dumps(sorted(v) if isinstance(v, set) else v, ensure_ascii=False, default=str)
                            if isinstance(v, (list, dict, tuple, set)) else v for v in vals]
            elif any(isinstance(v, (bytes, bytearray)) for v in vals):
                out[col] = [v.hex() if isinstance(v, (bytes, bytearray)) else v for v in vals]
            else:
                kinds = {type(v) for v in vals if v is not None and not (isinstance(v, float) and np.isnan(v))}
                if len(kinds) > 1:
                    out[col] = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in vals]
    return out


def _tidy_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Geometry collections (slivers of overlays) reduced to the layer's main geometry type."""
    kinds = gdf.geom_type
    if not (kinds == "GeometryCollection").any():
        return gdf
    fams = kinds.map(_FAMILY).dropna()
    main = fams.mode().iloc[0] if len(fams) else "polygon"
    out = gdf.copy()
    geoms = out.geometry.values.copy()
    for i in np.flatnonzero((kinds == "GeometryCollection").to_numpy()):
        parts = [p for p in shapely.get_parts(geoms[i]) if _FAMILY.get(p.geom_type) == main]
        geoms[i] = shapely.union_all(parts) if parts else None
    out[out.geometry.name] = geoms
    return out


def boundary_crs_label(project) -> str:
    """The CRS GIS files are written in by default: that of the user's own village boundaries (their
    input CRS, e.g. ``EPSG:4549`` for CGCS2000 GK CM 120°E), else what the households came in."""
    v = project.layers.get("villages")
    label = (v.crs_in if v is not None else "") or ""
    if not label or label.startswith("derived"):
        label = project.user_crs or ""
    return label


def prepare_layers(project, roles: Sequence[str] | None = None, *, include_personal: bool = False,
                   crs=None, wgs84: bool = False, drop_personal: bool = True,
                   cancelled: Cancelled | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The export layers of ``project``: personal data dropped (or masked), plain values, tidy
    geometry, in the user's CRS (``crs`` to choose another; ``wgs84`` for GeoJSON/KML/GPX).

    Parameters
    ----------
    project
        A :class:`gridtool.project.Project`.
    roles
        Layers to export (default :data:`GIS_LAYERS`, those present).
    include_personal
        Keep names, ID-card and phone numbers as they are.
    crs
        Output CRS (anything pyproj reads); default that of the user's village boundaries
        (:func:`boundary_crs_label`), so a CGCS2000 GK county gets its GK zone back, not WGS84.
    wgs84
        Plain WGS84 longitude/latitude (no GCJ-02/BD-09 offset): for the formats defined in WGS84.
    drop_personal
        Drop personal columns (GIS tables) rather than mask them (KML).
    cancelled
        Asked before each layer; once true, CancelledError.
    """
    roles = [r for r in (roles or GIS_LAYERS) if r in project.layers and project.layers[r].gdf is not None]
    # Read like every other CRS the user names (gcj02/bd09 too); CRSError says how to write it.
    target = parse_crs(crs) if crs is not None and not wgs84 else None
    out = {}
    for role in roles:
        check_cancelled(cancelled)
        lyr = project.layers[role]
        if not len(lyr.gdf):
            continue
        gdf = mask_layer(lyr, include_personal=include_personal, drop=drop_personal)
        if role == "party_members":  # each member's grid, households linked and why none
            from .party_layers import member_links
            gdf = member_links(project, gdf)
        gdf = _tidy_geometry(_plain_values(gdf))
        if wgs84:
            gdf = gdf.to_crs(4326)
        elif target is not None:
            gdf = to_user_crs(gdf, target)
        else:
            label = boundary_crs_label(project)
            gdf = to_user_crs(gdf, label) if label else gdf
        out[role] = gdf.reset_index(drop=True)
    if not out:
        raise GridtoolError(
            "项目中没有可导出的网格或路线图层", "the project has no grid or route layer to export",
            fix_zh="先运行 gridtool partition（网格）或 gridtool patrol（路线）。",
            fix_en="run gridtool partition (grids) or gridtool patrol (routes) first.")
    return out


# -- atomic helpers -----------------------------------------------------------------------------
def _temp_dir(target_dir: Path, target: Path | None = None) -> Path:
    """A temporary folder beside the targets, named with this process's id; those that killed
    exports left behind are removed first. A folder that cannot be written is told naming
    ``target`` (the file asked for; else the folder)."""
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        sweep(target_dir, "gridtool-export", "")
        return Path(tempfile.mkdtemp(prefix=f".gridtool-export.{os.getpid()}.", dir=target_dir))
    except OSError as exc:  # a read-only folder: say so, naming the folder
        plain = write_failure(exc, target or target_dir)
        if plain is None:
            raise
        raise plain from exc


def _step(progress: Progress | None, cancelled: Cancelled | None, f: float, role: str) -> None:
    """Between two layers: stop once ``cancelled()`` is true, else report the layer."""
    check_cancelled(cancelled)
    if progress:
        progress(f, f"GIS 导出：{LAYER_ZH.get(role, role)} / GIS export: {role}")


def _quiet_write(gdf, path, **kwargs) -> None:
    import pyogrio
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Normalized/laundered field name.*")
        pyogrio.write_dataframe(gdf, path, **kwargs)


# -- GeoPackage ---------------------------------------------------------------------------------
def write_gpkg(project, path: str | Path, *, roles: Sequence[str] | None = None, include_personal: bool = False,
               crs=None, force: bool = False, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> list[Written]:
    """All export layers in one GeoPackage (one table per layer; dataset metadata ``generator =
    gridtool …`` marks it as gridtool's), atomically. An existing GeoPackage that is not an
    export of gridtool (a user's, or a project) is not replaced unless ``force``. ``cancelled()``
    is asked between layers: once true, CancelledError and no file (nor temporary one) is left."""
    path = Path(path)
    check_not_input(project, [path])
    check_replace([path], force=force)
    layers = prepare_layers(project, roles, include_personal=include_personal, crs=crs, cancelled=cancelled)
    tmpdir = _temp_dir(path.parent, path)
    try:
        tmp = tmpdir / path.name
        written = []
        totals = household_totals(project)
        # A table per geometry family, as in the shapefiles: each opens in QGIS with a style of its type.
        parts = [(name, role, part) for role, gdf in layers.items() for name, part in _split_by_family(role, gdf)]
        for i, (name, role, gdf) in enumerate(parts):
            _step(progress, cancelled, 0.2 + 0.7 * i / len(parts), name)
            # gpkg_contents.description (QGIS: the layer's information): the grids by kind and the
            # households, in the words every other output uses.
            about = ({"DESCRIPTION": f"{totals.grids_written(len(gdf), unit=' 个')}；{totals.text_zh()}"}
                     if name == "grids" else {})
            _quiet_write(gdf, tmp, layer=name, driver="GPKG", promote_to_multi=_has_multi(gdf),
                         dataset_options=GPKG_OPTIONS, **about,
                         **({"dataset_metadata": export_marker(project)} if i == 0 else {}))
            written.append(Written(path, name, len(gdf)))
        check_cancelled(cancelled)
        from .qgis import wall_map_fills, write_layer_styles  # QGIS opens the layers as on the wall map
        write_layer_styles(tmp, {name: gdf for name, _, gdf in parts}, grid_fills=wall_map_fills(project, layers),
                           roles={name: role for name, role, _ in parts})
        check_cancelled(cancelled)
        publish(tmp, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return written


def _has_multi(gdf) -> bool:
    return bool(gdf.geom_type.str.startswith("Multi").any())


# -- Shapefile ----------------------------------------------------------------------------------
def _cut_bytes(text: str, limit: int, codec: str) -> str:
    """The longest prefix of ``text`` whose encoding fits ``limit`` bytes (characters kept whole)."""
    out, n = [], 0
    for ch in text:
        b = len(ch.encode(codec, errors="replace"))
        if n + b > limit:
            break
        out.append(ch)
        n += b
    return "".join(out)


def shapefile_field_names(columns: Iterable[str], encoding: str = "utf-8") -> dict[str, str]:
    """Column → dBase field name: at most 10 bytes in ``encoding``, unique ignoring case.

    Names that fit are kept; longer ones are cut at a character boundary; clashes get ``_1``,
    ``_2`` … (the stem shortened to make room). The same columns always map the same way.
    """
    codec = "gbk" if SHP_ENCODINGS.get(encoding.lower(), "UTF-8") == "GBK" else "utf-8"
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = _cut_bytes(str(col).replace(" ", "_"), 10, codec) or "field"
        k = 1
        while name.lower() in used:
            suffix = f"_{k}"
            name = _cut_bytes(str(col), 10 - len(suffix), codec) + suffix
            k += 1
        used.add(name.lower())
        out[col] = name
    return out


def _chinese_values(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """gridtool's coded values (status ok, category school …) in Chinese, for Chinese shapefiles."""
    from ..roles import PLACE_CATEGORIES, STOP_CATEGORIES
    out = gdf.copy()
    for col, table in (*VALUE_ZH.items(), ("category", {**PLACE_CATEGORIES, **STOP_CATEGORIES})):
        if col in out and is_text_column(out[col]):
            out[col] = out[col].map(lambda v, t=table: t.get(v, v) if isinstance(v, str) else v)
    for col, words in (("note", note_zh), ("apartment_parts", apartment_parts_zh)):  # too_small, row 9#1/3
        if col in out and is_text_column(out[col]):
            out[col] = out[col].map(lambda v, f=words: (f(v) or None) if isinstance(v, str) else v)
    return out


def _shapefile_frame(gdf: gpd.GeoDataFrame, codec: str,
                     lang: str = "zh") -> tuple[gpd.GeoDataFrame, dict[str, str], list[str]]:
    """Columns renamed for dBase (gridtool's own in Chinese under ``lang="zh"``), booleans as 0/1,
    text cut to 254 bytes / made encodable."""
    geom = gdf.geometry.name
    cols = [c for c in gdf.columns if c != geom]
    if lang != "en":
        gdf = _chinese_values(gdf)
        taken = {c for c in cols if c not in FIELD_ZH}  # the user's own columns keep their names
        zh = {c: FIELD_ZH[c] for c in cols if c in FIELD_ZH and FIELD_ZH[c] not in taken}
        cols_out = [zh.get(c, c) for c in cols]
        short = shapefile_field_names(cols_out, "gbk" if codec == "gbk" else "utf-8")
        names = {c: short[o] for c, o in zip(cols, cols_out)}
    else:
        names = shapefile_field_names(cols, "gbk" if codec == "gbk" else "utf-8")
    df = gdf.rename(columns=names)
    notes = []
    for src, col in names.items():
        s = df[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            df[col] = s.astype(int)
        elif is_text_column(s):
            cut = unencodable = 0
            vals = []
            for v in s.tolist():
                if isinstance(v, bool):
                    v = int(v)
                elif isinstance(v, str):
                    if codec == "gbk":
                        fixed = v.encode("gbk", errors="replace").decode("gbk")
                        unencodable += fixed != v
                        v = fixed
                    if len(v.encode(codec)) > 254:
                        v = _cut_bytes(v, 254, codec)
                        cut += 1
                vals.append(v)
            df[col] = pd.Series(vals, index=df.index, dtype=object)
            if cut:
                notes.append(f"{src}: {cut} 个值超过 254 字节已截断 / {count_en(cut, 'value')} cut to 254 bytes")
            if unencodable:
                notes.append(f"{src}: {unencodable} 个值含 GBK 以外的字符，已替换为 ? / {count_en(unencodable, 'value')} "
                             f"{plural_en(unencodable, 'has', 'had')} characters GBK lacks, replaced by ?")
        elif str(s.dtype).startswith("datetime"):
            df[col] = s.astype(str)
    return df, names, notes


def _set_paths(path: Path, names: Iterable[str], suffix: str) -> tuple[Path, dict[str, Path]]:
    """DIR → DIR/<name><suffix>; NAME<suffix> → NAME-<name><suffix> beside it."""
    if path.suffix.lower() == suffix:
        folder, stem = path.parent, path.stem
        return folder, {n: folder / f"{stem}-{n}{suffix}" for n in names}
    return path, {n: path / f"{n}{suffix}" for n in names}


def write_shapefiles(project, path: str | Path, *, roles: Sequence[str] | None = None, encoding: str = "utf-8",
                     include_personal: bool = False, crs=None, lang: str = "zh",
                     force: bool = False, progress: Progress | None = None,
                     cancelled: Cancelled | None = None) -> list[Written]:
    """One shapefile per layer (and geometry type) with ``.cpg``, plus ``fields.csv``.

    Parameters
    ----------
    path
        A folder (``DIR/grids.shp`` …), ``NAME.shp`` (``NAME-grids.shp`` … beside it) or ``NAME.zip``
        (the same files zipped, for e-mail).
    encoding
        ``"utf-8"`` (default) or ``"gbk"`` for older ArcGIS set-ups without ``.cpg`` support.
    lang
        ``"zh"`` (default): gridtool's fields with Chinese names (:data:`FIELD_ZH`, ``code`` → ``编码``)
        and its coded values in Chinese (``ok`` → ``正常``, ``school`` → ``学校``); ``"en"``: as in the
        project. ``fields.csv`` maps every shapefile field back to the project's column.
    cancelled
        Asked between layers; once true, CancelledError, and no file (nor temporary one) is left.
    """
    enc = SHP_ENCODINGS.get(encoding.lower().replace("_", "-"))
    if enc is None:
        raise GridtoolError(f"不支持的 Shapefile 编码：{encoding}", f"unsupported shapefile encoding: {encoding}",
                            fix_zh="用 utf-8 或 gbk。", fix_en="use utf-8 or gbk.")
    codec = "gbk" if enc == "GBK" else "utf-8"
    path = Path(path)
    layers = prepare_layers(project, roles, include_personal=include_personal, crs=crs, cancelled=cancelled)
    parts = [(name, part) for role, gdf in layers.items() for name, part in _split_by_family(role, gdf)]
    zipped = path.suffix.lower() == ".zip"
    folder, paths = _set_paths(path.with_suffix("") if zipped else path, [n for n, _ in parts], ".shp")
    if zipped:
        folder = path.parent
    members = [p.with_suffix(s) for p in paths.values() for s in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    fields_name = f"{path.stem}-fields.csv" if path.suffix.lower() == ".shp" else "fields.csv"
    check_not_input(project, [path] if zipped else members + [folder / fields_name])
    # Ours: the zip's comment, or the fields.csv beside the shapefiles that lists their layers.
    check_replace([path] if zipped else members + [folder / fields_name], force=force)
    tmpdir = _temp_dir(folder)
    written, rows = [], []
    try:
        for k, (name, gdf) in enumerate(parts):
            _step(progress, cancelled, 0.2 + 0.7 * k / len(parts), name)
            df, names, notes = _shapefile_frame(gdf, codec, lang)
            tmp = tmpdir / paths[name].name
            _quiet_write(df, tmp, driver="ESRI Shapefile", encoding=enc, promote_to_multi=_has_multi(df))
            cpg = tmp.with_suffix(".cpg")
            if not cpg.exists():  # GDAL writes it; make sure, readers guess wrong without it
                cpg.write_text(enc, encoding="ascii")
            layer_zh = LAYER_ZH.get(name, LAYER_ZH.get(name.rsplit("_", 1)[0], ""))  # places_point → 重点场所
            rows += [{"layer": name, "layer_zh": layer_zh, "field": src, "shapefile_field": dst}
                     for src, dst in names.items()]
            written.append(Written(paths[name], name, len(df), notes))
        fields_csv = tmpdir / fields_name
        table = pd.DataFrame(rows, columns=["layer", "layer_zh", "field", "shapefile_field"])
        if lang == "en":
            table = table.drop(columns="layer_zh")
        else:  # a Chinese reader's table: 图层, 图层名称, 项目字段, Shapefile 字段
            table = table[["layer", "layer_zh", "field", "shapefile_field"]].rename(columns={
                "layer": "图层文件", "layer_zh": "图层名称", "field": "项目字段", "shapefile_field": "Shapefile字段"})
        fields_csv.write_bytes(csv_bytes(table))
        check_cancelled(cancelled)
        if zipped:
            tmpzip = tmpdir / (path.name + ".part")
            with zipfile.ZipFile(tmpzip, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.comment = f"{MARK} {__version__} shapefiles".encode()
                for f in sorted(tmpdir.iterdir()):
                    if f != tmpzip:
                        zf.write(f, f.name)
            check_cancelled(cancelled)
            publish(tmpzip, path)
            for w in written:
                w.path = path
        else:
            publish_set((f, folder / f.name) for f in sorted(tmpdir.iterdir()))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return written


# -- GeoJSON ------------------------------------------------------------------------------------
def write_geojson(project, path: str | Path, *, roles: Sequence[str] | None = None,
                  include_personal: bool = False, force: bool = False, progress: Progress | None = None,
                  cancelled: Cancelled | None = None) -> list[Written]:
    """One RFC 7946 GeoJSON file per layer (WGS84 longitude/latitude, 7 decimals, UTF-8).

    ``path``: a folder (``DIR/grids.geojson`` …) or ``NAME.geojson`` (``NAME-grids.geojson`` … beside it).
    ``cancelled()`` is asked between layers: once true, CancelledError and none of the set is written.
    """
    path = Path(path)
    layers = prepare_layers(project, roles, include_personal=include_personal, wgs84=True, cancelled=cancelled)
    folder, paths = _set_paths(path, list(layers), ".geojson")
    check_not_input(project, paths.values())
    check_replace(paths.values(), force=force)
    tmpdir = _temp_dir(folder)
    written = []
    try:
        for k, (role, gdf) in enumerate(layers.items()):
            _step(progress, cancelled, 0.2 + 0.7 * k / len(layers), role)
            tmp = tmpdir / paths[role].name
            # The top-level "description" marks the file as gridtool's (a member RFC 7946 allows).
            _quiet_write(gdf, tmp, driver="GeoJSON", layer=role, RFC7946="YES", WRITE_NAME="NO",
                         DESCRIPTION=f"{MARK} {__version__} export: {role}")
            written.append(Written(paths[role], role, len(gdf)))
        # all written first, then put in place together: a failure or a Cancel replaces none of the set
        check_cancelled(cancelled)
        publish_set((tmpdir / paths[role].name, paths[role]) for role in layers)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return written


# -- KML / KMZ ----------------------------------------------------------------------------------
def _field(row: pd.Series, key: str) -> str:
    """A value of ``row`` as text; missing values (and the text "nan") as ``""``."""
    v = row.get(key)
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) or str(v) == "nan" else str(v)


def _label_of(role: str, row: pd.Series) -> str:
    def g(k):
        return _field(row, k)
    if role == "routes":
        return f"第{g('team')}队 {g('station')}".strip()
    if role == "route_stops":
        seq = g("seq")
        return f"{g('team')}-{int(float(seq)):02d} {g('place')}" if seq else g("place")
    if role == "circles":
        m = g("minutes")
        return f"{float(m):g} 分钟 {g('station')}" if m else g("station")
    if role == "corridors":
        return g("name") or g("code")
    if role == "party_links":
        return g("member")
    if role == "ridges":
        return f"山脊线 {g('village')}".strip()
    return g("code") or g("name") or g("place")


def _description(role: str, row: pd.Series) -> list[str]:
    """The lines of a placemark's balloon (plain text; escaped when written)."""
    def g(k):
        return _field(row, k)
    if role == "grids":  # an exception grid named as one, as the totals and the HTML map count it
        kind = GRID_KINDS["exception"][0] if grid_kind(g("status")) == "exception" else ""
        parts = [kind, g("village"), f"{g('hh')} 户" if g("hh") else "", f"网格员 {g('worker')}" if g("worker") else ""]
    elif role == "subgrids":
        parts = [f"所属网格 {g('grid')}", f"{g('hh')} 户" if g("hh") else ""]
    elif role == "route_stops":
        parts = [f"到达 {g('arrive')}", f"离开 {g('depart')}", f"时间窗 {g('window')}" if g("window") else ""]
    elif role == "routes":
        km = g("length_km")
        parts = [f"{float(km):.1f} 公里" if km else "", f"{g('start')}–{g('end')}" if g("start") else ""]
    elif role == "special_grids":
        parts = [g("name"), category_text(g("category")) if g("category") else "", g("village")]
    elif role == "stations":
        parts = [category_text(g("kind") or "police"), g("village")]
    elif role == "party_links":
        parts = [f"网格 {g('grid')}", f"联系 {g('hh')} 户", f"相距 {float(g('distance_m')):.0f} 米" if g("distance_m") else ""]
    elif role == "party_members":
        parts = [f"网格 {g('grid')}" if g("grid") else "", f"联系户 {g('hh') or 0} 户", g("note")]
    elif role == "ridges":
        parts = [f"{g('length_m')} 米" if g("length_m") else "", f"高程模型 {g('dem')}" if g("dem") else "",
                 "网格边界沿山脊划分"]
    else:  # places, route stops: the category as the map's legend says it (school → 学校)
        parts = [category_text(g("category")) if g("category") else "", g("village")]
    return [p for p in parts if p]


def _kml_styles(doc, E, layers: dict[str, gpd.GeoDataFrame], seed: int,
                kw: KmlWriter | None = None) -> dict[str, list[str]]:
    """Shared styles; returns per layer the style id of each feature."""
    import xml.etree.ElementTree as ET

    from .colours import grid_colours

    def style(sid: str, line: str, width: float, fill: str | None, fill_alpha: int = 0x99, label: float = 0.0):
        st = ET.SubElement(doc, E("Style"), {"id": sid})
        if label:  # KML 2.2 order: IconStyle, LabelStyle, LineStyle, PolyStyle
            ET.SubElement(ET.SubElement(st, E("LabelStyle")), E("scale")).text = f"{label:g}"
        ls = ET.SubElement(st, E("LineStyle"))
        ET.SubElement(ls, E("color")).text = kml_colour(line)
        ET.SubElement(ls, E("width")).text = f"{width:g}"
        ps = ET.SubElement(st, E("PolyStyle"))
        if fill is None:
            ET.SubElement(ps, E("fill")).text = "0"
        else:
            ET.SubElement(ps, E("color")).text = kml_colour(fill, fill_alpha)
        if kw is not None:  # after PolyStyle, as KML 2.2 orders them
            kw.balloon_style(st)

    out: dict[str, list[str]] = {}
    teams = sorted({int(t) for r in ("routes", "route_stops") if r in layers and "team" in layers[r]
                    for t in layers[r]["team"].dropna()})
    made: set[str] = set()
    if any(r in layers for r in ("routes", "route_stops")):
        style("team", TEAM_COLOURS[0], 4, None)  # features without a team
    for role, gdf in layers.items():
        if role == "grids":
            fills = grid_colours(gdf, seed=seed)
            ids = {}
            for c in sorted(set(fills)):
                ids[c] = f"grid{len(ids)}"
                style(ids[c], "#333333", 1.5, c)
            out[role] = [ids[c] for c in fills]
        elif role in ("routes", "route_stops"):
            for t in teams:
                if f"team{t}" not in made:
                    style(f"team{t}", TEAM_COLOURS[teams.index(t) % len(TEAM_COLOURS)], 4, None, label=0.9)
                    made.add(f"team{t}")
            out[role] = [f"team{int(t)}" if pd.notna(t) else "team" for t in gdf["team"]] if "team" in gdf \
                else ["team"] * len(gdf)
        elif role == "circles":
            mins = (pd.to_numeric(gdf["minutes"], errors="coerce") if "minutes" in gdf
                    else pd.Series(np.nan, index=gdf.index))
            levels = sorted(set(mins.dropna()))
            for i, m in enumerate(levels):
                style(f"circle{i}", CIRCLE_COLOURS[i % len(CIRCLE_COLOURS)], 2, None)
            out[role] = [f"circle{levels.index(m)}" if pd.notna(m) else "circle0" for m in mins]
        else:
            sid = role
            line, width, fill = {"subgrids": ("#555555", 1, None), "special_grids": ("#8e244d", 1.5, "#f06292"),
                                 "corridors": ("#1565c0", 1.2, "#64b5f6"), "places": ("#6a1b9a", 1, "#ce93d8"),
                                 "stations": ("#0d47a1", 1, "#1565c0"), "party_links": ("#c62828", 1, None),
                                 "party_members": ("#c62828", 1, "#c62828"), "ridges": ("#8c510a", 1, None)}.get(role, ("#333333", 1, None))
            style(sid, line, width, fill, 0x55)
            out[role] = [sid] * len(gdf)
    return out


#: Decimals of gridtool's measures in KML/GeoJSON attributes (10.6 公里, not 10.60356579050939).
DECIMALS = {"length_km": 2, "minutes": 1, "dwell_min": 1, "arrive_min": 1, "depart_min": 1, "area_m2": 0,
            "max_dist_m": 0, "ridge_m": 0, "width_m": 1, "polsby_popper": 3}


def _rounded(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """gridtool's float columns rounded for reading (:data:`DECIMALS`; others to 3 decimals)."""
    geom = gdf.geometry.name
    out = gdf.copy()
    for col in out.columns:
        if col != geom and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(DECIMALS.get(col, 3))
    return out


def _kml_fields(columns: Sequence[str], lang: str) -> dict[str, str]:
    """KML field names: gridtool's own columns in Chinese (:data:`FIELD_ZH`, as the Chinese
    shapefile) unless ``lang="en"``; the user's own columns keep their names."""
    if lang == "en":
        return {c: str(c) for c in columns}
    taken = {c for c in columns if c not in FIELD_ZH}
    return {c: FIELD_ZH[c] if c in FIELD_ZH and FIELD_ZH[c] not in taken else str(c) for c in columns}


def kml_document(project, *, roles: Sequence[str] | None = None, include_personal: bool = False,
                 seed: int = 0, lang: str = "zh", progress: Progress | None = None,
                 cancelled: Cancelled | None = None) -> tuple[bytes, dict[str, int]]:
    """The export layers as one KML 2.2 document (a folder per layer); bytes and feature counts.

    Under ``lang="zh"`` (the default) the attribute fields of gridtool's columns have their Chinese
    names (``length_km`` → ``里程``, :data:`FIELD_ZH`) and coded values are Chinese (驾车, 学校);
    ``lang="en"`` keeps the column names and codes. Measures are rounded (:data:`DECIMALS`).
    ``cancelled()`` is asked between layers and every :data:`FEATURES_PER_CHECK` placemarks."""
    import xml.etree.ElementTree as ET

    def E(tag: str) -> str:
        return f"{{{KML_NS}}}{tag}"

    layers = prepare_layers(project, roles, include_personal=include_personal, wgs84=True, drop_personal=False,
                            cancelled=cancelled)
    ET.register_namespace("", KML_NS)
    kw = KmlWriter(KML_NS)
    root = ET.Element(E("kml"))
    doc = ET.SubElement(root, E("Document"))
    from .titles import find_place
    ET.SubElement(doc, E("name")).text = f"{find_place(project).label}网格与路线"
    styles = _kml_styles(doc, E, layers, seed, kw)
    counts = {}
    folders = []  # KML 2.2 order in a Document: styles, every Schema, then the features
    for k, (role, gdf) in enumerate(layers.items()):
        _step(progress, cancelled, 0.2 + 0.7 * k / len(layers), role)
        geom = gdf.geometry.name
        cols = [c for c in gdf.columns if c != geom]
        # labels and descriptions read the codes (_label_of); the attribute table shows them in lang
        data = _rounded(gdf if lang == "en" else _chinese_values(gdf))
        fields = _kml_fields(cols, lang)
        schema = ET.SubElement(doc, E("Schema"), {"name": role, "id": f"schema_{role}"})
        for c in cols:
            kind = "bool" if pd.api.types.is_bool_dtype(data[c]) else \
                "int" if pd.api.types.is_integer_dtype(data[c]) else \
                "double" if pd.api.types.is_float_dtype(data[c]) else "string"
            ET.SubElement(schema, E("SimpleField"), {"name": fields[c], "type": kind})
        folder = ET.Element(E("Folder"))
        folders.append(folder)
        ET.SubElement(folder, E("name")).text = f"{LAYER_ZH.get(role, role)} {role}"
        n = 0
        values = data.drop(columns=geom).to_dict("records")
        for i, row in enumerate(gdf.drop(columns=geom).to_dict("records")):
            if i % FEATURES_PER_CHECK == FEATURES_PER_CHECK - 1:
                check_cancelled(cancelled)
            g = gdf.geometry.iloc[i]
            if g is None or g.is_empty:
                continue
            r = pd.Series(row)
            pm = ET.SubElement(folder, E("Placemark"))
            label = _label_of(role, r)
            ET.SubElement(pm, E("name")).text = label
            kw.set_description(pm, description_html(label or LAYER_ZH.get(role, role), _description(role, r)))
            ET.SubElement(pm, E("styleUrl")).text = f"#{styles[role][i]}"
            sd = ET.SubElement(ET.SubElement(pm, E("ExtendedData")), E("SchemaData"), {"schemaUrl": f"#schema_{role}"})
            for c in cols:
                v = values[i][c]
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    continue
                ET.SubElement(sd, E("SimpleData"), {"name": fields[c]}).text = \
                    ("1" if v else "0") if isinstance(v, (bool, np.bool_)) else str(v)
            kml_geometry(pm, g)
            n += 1
        counts[role] = n
    check_cancelled(cancelled)
    doc.extend(folders)
    return kw.tostring(root), counts


def write_kml(project, path: str | Path, *, roles: Sequence[str] | None = None, include_personal: bool = False,
              seed: int = 0, kmz: bool | None = None, force: bool = False, lang: str = "zh",
              progress: Progress | None = None, cancelled: Cancelled | None = None) -> list[Written]:
    """KML (or KMZ when ``kmz`` or the path ends in ``.kmz``): folders per layer, grids in map colours;
    attribute fields in ``lang`` (:func:`kml_document`)."""
    path = Path(path)
    check_not_input(project, [path])
    check_replace([path], force=force)
    data, counts = kml_document(project, roles=roles, include_personal=include_personal, seed=seed, lang=lang,
                                progress=progress, cancelled=cancelled)
    if kmz or (kmz is None and path.suffix.lower() == ".kmz"):
        import io
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.comment = f"{MARK} {__version__} export".encode()
            zf.writestr("doc.kml", data)
        data = buf.getvalue()
    check_cancelled(cancelled)
    write_bytes_atomic(path, data)
    return [Written(path, role, n) for role, n in counts.items()]


# -- GPX ----------------------------------------------------------------------------------------
def write_gpx(project, path: str | Path, *, include_personal: bool = False, force: bool = False,
              cancelled: Cancelled | None = None) -> list[Written]:
    """Patrol routes as GPX 1.1 (waypoints, one route and one track per team), WGS84."""
    from ..routing.export import write_gpx as gpx

    path = Path(path)
    check_not_input(project, [path])
    check_replace([path], force=force)
    from .needs import need_gpx
    need_gpx(project)
    layers = prepare_layers(project, ["routes", "route_stops"], include_personal=include_personal, wgs84=True,
                            cancelled=cancelled)
    routes = layers.get("routes", gpd.GeoDataFrame({"team": []}, geometry=[], crs=4326))
    stops = layers.get("route_stops", gpd.GeoDataFrame({"team": [], "seq": []}, geometry=[], crs=4326))
    from .route_files import route_title
    check_cancelled(cancelled)
    gpx(path, stops, routes, name=route_title(project))  # as gridtool patrol names its GPX
    return [Written(path, "routes", len(routes)), Written(path, "route_stops", len(stops))]


__all__ = ["GIS_LAYERS", "GIS_LAYERS_ON_REQUEST", "LAYER_ZH", "Written", "kml_document", "prepare_layers", "shapefile_field_names",
           "write_geojson", "write_gpkg", "write_gpx", "write_kml", "write_shapefiles"]
