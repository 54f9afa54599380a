"""Loading one layer by role: read the file, settle its coordinates, normalise its key columns.

Every role ends up with the columns of ``docs/DESIGN.md`` (``hh`` for households, ``name``/``code``
for villages, ``class``/``oneway`` for roads, ``category`` for places …), the source columns kept
beside them, a ``src_id`` that points back to the feature in the input file, and a record of which
source column fed which key column and which columns hold personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .columns import (find_column, normalise_category, oneway_reversed, sensitive_columns,
                      to_oneway)
from .crs import (WGS84, CrsSpec, check_fits, guess_crs, in_china, lonlat_swapped, offset_to_wgs84,
                  parse_crs, robust_bounds)
from .errors import CRSError, EmptyLayerError, GeometryTypeError, MissingColumnError
from .io.vector import RawLayer, read_vector, split_path_layer, suffix_of
from .personal import name_columns
from .problems import Problem
from .roles import ROLES, geometry_family


@dataclass
class Layer:
    """A layer of the project: its role, data, and where it came from."""

    role: str
    gdf: gpd.GeoDataFrame
    source: str = ""
    source_layer: str | None = None
    format: str = ""
    crs_in: str = ""  # the CRS the input was in, as declared or detected (exports return to it)
    encoding: str | None = None
    encoding_source: str = ""  # "cpg", "detected", "user" …
    encoding_sample: tuple[str, ...] = ()  # decoded text, to show the user it came out right
    columns_used: dict[str, str] = field(default_factory=dict)
    sensitive: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def meta(self) -> dict:
        return {"role": self.role, "source": self.source, "source_layer": self.source_layer,
                "format": self.format, "crs_in": self.crs_in, "encoding": self.encoding,
                "encoding_source": self.encoding_source,
                "columns_used": self.columns_used, "sensitive": self.sensitive,
                "features": int(len(self.gdf)), "problems": [p.to_dict() for p in self.problems]}

    @property
    def total_households(self) -> int | None:
        if "hh" not in self.gdf:
            return None
        return int(pd.to_numeric(self.gdf["hh"], errors="coerce").fillna(0).clip(lower=0).sum())


def _feature_ids(raw: RawLayer) -> pd.Series:
    idx = raw.gdf.index
    if raw.ids is not None:
        return pd.Series(raw.ids.values, index=idx)
    if raw.format in ("CSV", "Excel"):
        return pd.Series([f"row {i}" for i in idx], index=idx)
    if raw.format == "OSM" and "osm_id" in raw.gdf:
        return raw.gdf["osm_id"].astype(str)
    return pd.Series([f"FID {i}" for i in idx], index=idx)


def _settle_crs(gdf: gpd.GeoDataFrame, spec: CrsSpec | None, raw: RawLayer, role: str,
                problems: list[Problem]) -> tuple[gpd.GeoDataFrame, str]:
    """Give the layer a true CRS (undoing GCJ-02/BD-09) and say what it was.

    ``spec`` is what the user declared for this layer (None: the file's own CRS, else a guess).
    """
    # The middle 98 % of the coordinates: one stray row (0,0 or swapped) must not decide the CRS;
    # validation names such rows instead.
    bounds = robust_bounds(gdf.geometry.values)
    where = dict(file=raw.path, layer=raw.layer)
    if spec is not None and spec.offset:
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise CRSError(
                f"声明为 {spec.offset.upper()}，但文件是投影坐标（{gdf.crs.name}）",
                f"declared {spec.offset.upper()} but the file is projected ({gdf.crs.name})",
                fix_zh="GCJ-02/BD-09 只适用于经纬度数据；只对经纬度图层声明，如 --crs-in households=gcj02。",
                fix_en="GCJ-02/BD-09 apply to lon/lat data only; declare it for the lon/lat layer alone, "
                       "e.g. --crs-in households=gcj02.", **where)
        check_fits(bounds, WGS84, **where)
        xy = shapely.get_coordinates(gdf.geometry.values)
        if len(xy) and not in_china(xy[:, 0], xy[:, 1]).all():
            problems.append(Problem(
                "warning", "offset_outside_china",
                f"数据声明为 {spec.offset.upper()}，但有坐标在中国境外；境外坐标没有偏移",
                f"data declared {spec.offset.upper()} but lie (partly) outside China, where no offset "
                "exists", fix_zh="确认坐标来源；境外数据一般是 WGS84。",
                fix_en="check where the coordinates came from; data outside China are usually WGS84.",
                role=role, **where))
        if gdf.crs is not None and not gdf.crs.equals(WGS84):
            gdf = gdf.to_crs(WGS84)  # CGCS2000 lon/lat differs from WGS84 by centimetres
        gdf = gdf.set_geometry(offset_to_wgs84(gdf.geometry.values, spec.offset), crs=WGS84)
        return gdf, spec.offset
    if spec is not None:
        if gdf.crs is not None and not gdf.crs.equals(spec.crs):
            problems.append(Problem(
                "warning", "crs_overridden",
                f"文件自带坐标系 {gdf.crs.name}，已按您的声明改用 {spec}",
                f"the file says {gdf.crs.name}; used {spec} as you declared",
                fix_zh="如果文件自带的坐标系是对的，请去掉对这个图层的 --crs-in。",
                fix_en="if the file's own CRS is right, drop --crs-in for this layer.", role=role, **where))
        check_fits(bounds, spec.crs, **where)
        return gdf.set_crs(spec.crs, allow_override=True), str(spec)
    if gdf.crs is None:
        if lonlat_swapped(bounds):
            check_fits(bounds, WGS84, **where)  # raises the "swapped" error with its fix
        guess = guess_crs(bounds)
        if guess is None:
            raise CRSError(
                "文件没有坐标系信息，且无法从坐标值判断",
                "the file has no coordinate system and the coordinates do not tell which it is",
                fix_zh="用 --crs-in 声明坐标系，如 EPSG:4547（CGCS2000 高斯-克吕格 114°E）或 gcj02。",
                fix_en="declare it with --crs-in, e.g. EPSG:4547 (CGCS2000 GK CM 114E) or gcj02.",
                **where)
        problems.append(Problem(
            "warning", "missing_crs",
            f"文件没有坐标系信息，按坐标值假定为 {guess}", f"the file has no CRS; assumed {guess} "
            "from the coordinate values",
            fix_zh="如果坐标来自高德/腾讯或百度地图，请用 --crs-in gcj02 或 bd09 声明，否则会偏移数百米。",
            fix_en="if the coordinates were picked on AMap/Tencent or Baidu maps, declare --crs-in "
                   "gcj02 or bd09, or they will be hundreds of metres off.", role=role, **where))
        check_fits(bounds, guess.crs, **where)
        return gdf.set_crs(guess.crs), f"{guess} (assumed)"
    check_fits(bounds, gdf.crs, **where)
    epsg = gdf.crs.to_epsg()
    return gdf, f"EPSG:{epsg}" if epsg else gdf.crs.to_string()


def _check_geometry(gdf, role: str, raw: RawLayer, problems: list[Problem], ids) -> gpd.GeoDataFrame:
    allowed = ROLES[role].geometry
    fam = gdf.geometry.geom_type.map(geometry_family)
    wrong = ~fam.isin(allowed)
    if wrong.all():
        found = ", ".join(sorted(set(fam.dropna())))
        raise GeometryTypeError(
            f"“{ROLES[role].zh}”图层应为 {'/'.join(allowed)}，但文件里是 {found}",
            f"a {role} layer needs {'/'.join(allowed)} geometries, the file has {found}",
            fix_zh="检查是否把文件传给了错误的参数（例如把道路线传给了 --villages）。",
            fix_en="check that the file went to the right option (e.g. road lines given as --villages).",
            file=raw.path, layer=raw.layer)
    if wrong.any():
        problems.append(Problem(
            "warning", "wrong_geometry_type",
            f"{int(wrong.sum())} 个要素的几何类型不适合“{ROLES[role].zh}”，已忽略",
            f"{int(wrong.sum())} feature(s) have a geometry type a {role} layer cannot use; ignored",
            fix_zh=f"该图层只接受 {'/'.join(allowed)}。", fix_en=f"this layer takes {'/'.join(allowed)} only.",
            role=role, file=raw.path, layer=raw.layer, features=ids[wrong].tolist()))
        gdf = gdf[~wrong]
    return gdf


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    out = pd.to_numeric(series, errors="coerce")
    slow = out.isna() & series.notna()
    if slow.any():  # "3户", " 2 " and the like
        text = series[slow].astype(str).str.strip().str.replace(r"[户套]$", "", regex=True)
        out[slow] = pd.to_numeric(text, errors="coerce")
    return out.astype(float)


def _code_text(value) -> str | None:
    """Division codes read as numbers from Excel (5.00101e+11) back to their digits."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() or None


def _normalise_columns(gdf: gpd.GeoDataFrame, role: str, fields: dict[str, str], raw: RawLayer,
                       used: dict[str, str], loose: dict[str, str]) -> gpd.GeoDataFrame:
    gdf = gdf.copy()

    def pick(key: str, what: str | None = None) -> str | None:
        name = fields.get(key)
        if not name and loose.get(key) in gdf.columns:
            name = loose[key]  # a column named for every layer: used where the layer has it
        if name:
            if name not in gdf.columns:
                raise MissingColumnError(
                    f"图层中没有列“{name}”", f"no column {name!r} in the layer",
                    fix_zh="现有列：" + ", ".join(c for c in gdf.columns if c != "geometry"),
                    fix_en="the columns are: " + ", ".join(c for c in gdf.columns if c != "geometry"),
                    file=raw.path, layer=raw.layer, field=name)
        else:
            name = find_column(gdf.columns, what or key)
        if name:
            used[key] = name
        return name

    if role == "households" and fields.get("name"):
        pick("name")  # the householder's name column (--field households.name=户主): flagged personal
    if role in ("households", "party_members"):
        col = pick("hh") if role == "households" else None
        if role == "households":
            if col is None:
                gdf["hh"] = 1.0
                used["hh"] = "(default 1)"
            else:
                gdf["hh"] = _numeric(gdf[col])
        vcol = pick("village")
        if vcol and vcol != "village":
            gdf["village"] = gdf[vcol].astype("string")
    if role in ("villages", "roads", "rivers", "railways", "places", "stations", "party_members"):
        ncol = pick("name")
        if ncol and ncol != "name":
            gdf["name"] = gdf[ncol]
        elif ncol is None:
            gdf["name"] = None
    if role == "villages":
        ccol = pick("code")
        gdf["code"] = gdf[ccol].map(_code_text) if ccol else None
        if gdf["name"].isna().all() and ccol:
            gdf["name"] = gdf["code"]
    if role == "roads":
        ccol = pick("class")
        gdf["class"] = gdf[ccol].astype("string").str.lower() if ccol else "unclassified"
        ocol = pick("oneway")
        if ocol:
            rev = gdf[ocol].map(oneway_reversed).astype(bool)
            if rev.any():
                gdf.loc[rev, "geometry"] = shapely.reverse(gdf.geometry[rev].values)
            gdf["oneway"] = gdf[ocol].map(to_oneway).astype(bool)
        else:
            gdf["oneway"] = False
    if role in ("forest", "rivers", "railways", "stations"):
        kcol = pick("kind")
        if kcol and kcol != "kind":
            gdf["kind"] = gdf[kcol]
        elif kcol is None and "kind" not in gdf:
            gdf["kind"] = role if role != "stations" else "police"
    if role == "places":
        ccol = pick("category")
        if ccol:
            gdf["category_raw"] = gdf[ccol]
            gdf["category"] = gdf[ccol].map(normalise_category)
        else:
            # No category column: the name often says it (XX小学, XX派出所).
            gdf["category"] = gdf["name"].map(normalise_category)
            used["category"] = "(from name)"
        pcol = pick("priority")
        if pcol and pcol != "priority":
            gdf["priority"] = _numeric(gdf[pcol])
    return gdf


def _shareable_sample(raw: RawLayer, role: str) -> tuple[str, ...]:
    """Decoded text to show that the encoding is right, without a household head's name in it."""
    if raw.encoding is None:
        return ()
    if ROLES[role].personal and raw.format == "Shapefile":
        return tuple(c for c in raw.gdf.columns if not c.isascii())[:8]  # field names, not values
    return raw.encoding.sample


_KEY_COLUMNS = ("hh", "village", "name", "code", "class", "oneway", "kind", "category",
                "category_raw", "priority", "src_id")
_RESERVED = ("fid", "geom")  # GeoPackage's own column names


def _safe_column_names(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage (SQLite) column names ignore case: keep ours, rename clashing source columns.

    An ArcGIS shapefile's ``NAME`` or ``HH`` stays beside our ``name``/``hh`` as ``NAME_src``.
    """
    taken = {c.lower() for c in gdf.columns if c in _KEY_COLUMNS or c == "geometry"} | set(_RESERVED)
    renames = {}
    for col in gdf.columns:
        if col in _KEY_COLUMNS or col == "geometry":
            continue
        if col.lower() in taken:
            new, n = f"{col}_src", 2
            while new.lower() in taken or new in gdf.columns:
                new, n = f"{col}_src{n}", n + 1
            renames[col] = new
            taken.add(new.lower())
        else:
            taken.add(col.lower())
    return gdf.rename(columns=renames)


def load_layer(role: str, path: str, *, crs_in: str | CrsSpec | None = None,
               encoding: str | None = None, fields: dict[str, str] | None = None,
               layer: str | None = None, seed: int = 0, crs_default: str | CrsSpec | None = None,
               encoding_default: str | None = None,
               fields_default: dict[str, str] | None = None) -> Layer:
    """Load one layer for a role, in its own (true) CRS, with normalised key columns.

    Parameters
    ----------
    role
        One of ``gridtool.roles.VECTOR_ROLES``.
    path
        ``PATH`` or ``PATH:LAYER``.
    crs_in
        The coordinate system the user declares for this layer (``gcj02``, ``bd09``,
        ``EPSG:4490`` …); overrides the file's own.
    crs_default
        The coordinate system for a file that has none of its own (a CSV, a shapefile without
        .prj). Without either, the file's CRS is used, or guessed from the values with a warning.
    encoding, encoding_default
        Text encoding of a shapefile/CSV: over its .cpg and detection, or only where it has no .cpg.
    fields
        Source columns for key columns, e.g. ``{"hh": "户数", "lon": "东经"}``; must exist.
    fields_default
        The same, used only where the layer has such a column (options given for every layer).

    Raises
    ------
    InputFileError, UnsupportedFormatError, LayerNotFoundError, EncodingError
        The file cannot be read as asked.
    CRSError, GeometryTypeError, EmptyLayerError, MissingColumnError
        The data do not fit the role.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    fields = dict(fields or {})
    loose = {k: v for k, v in (fields_default or {}).items() if k not in fields}
    p, lyr = split_path_layer(path)
    read = dict(path=p, layer=layer or lyr, role=role, encoding=encoding,
                encoding_default=encoding_default, seed=seed)
    coords = {k: loose[k] for k in ("lon", "lat", "lonlat", "wkt") if k in loose}
    if (coords and suffix_of(Path(p)) in (".csv", ".txt", ".xlsx", ".xls")
            and not any(k in fields for k in ("lon", "lat", "lonlat", "wkt"))):
        # Coordinate columns named for every layer: used by each table that has them.
        try:
            raw = read_vector(fields={**fields, **coords}, **read)
        except MissingColumnError:
            raw = read_vector(fields=fields, **read)
    else:
        raw = read_vector(fields=fields, **read)
    problems = list(raw.problems)
    used = dict(raw.columns_used)
    ids = _feature_ids(raw)
    gdf = raw.gdf
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        problems.append(Problem(
            "warning", "empty_geometry", f"{int(empty.sum())} 个要素没有几何，已忽略",
            f"{int(empty.sum())} feature(s) have no geometry; ignored",
            fix_zh="在源数据中补画这些要素或删除它们。", fix_en="draw or delete them in the source data.",
            role=role, file=raw.path, layer=raw.layer, features=ids[empty].tolist()))
        gdf = gdf[~empty]
    if len(gdf) == 0:
        raise EmptyLayerError(
            f"“{ROLES[role].zh}”图层没有要素", f"the {role} layer has no features",
            fix_zh="检查是否选错了文件或图层。", fix_en="check that the right file and layer were given.",
            file=raw.path, layer=raw.layer)
    spec = parse_crs(crs_in)
    if spec is None and gdf.crs is None:
        spec = parse_crs(crs_default)
    gdf, crs_label = _settle_crs(gdf, spec, raw, role, problems)
    gdf = _check_geometry(gdf, role, raw, problems, ids)
    gdf = _normalise_columns(gdf, role, fields, raw, used, loose)
    gdf["src_id"] = ids.loc[gdf.index].astype(str).values
    gdf = _safe_column_names(gdf).reset_index(drop=True)
    sens = sensitive_columns(gdf.drop(columns=["src_id"]), personal_role=ROLES[role].personal)
    if ROLES[role].personal:  # the name column given or used, and columns of names found by content
        sens.update({c: "name" for c in [used.get("name")] if c in gdf.columns})
        sens.update({c: "name" for c in name_columns(gdf, skip=[*sens, *(v for k, v in used.items() if k != "name")])})
    return Layer(role=role, gdf=gdf, source=str(Path(raw.path)) if "!" not in raw.path else raw.path,
                 source_layer=raw.layer, format=raw.format, crs_in=crs_label,
                 encoding=raw.encoding.encoding if raw.encoding else None,
                 encoding_source=raw.encoding.source if raw.encoding else "",
                 encoding_sample=_shareable_sample(raw, role), columns_used=used,
                 sensitive=sens, problems=problems)


__all__ = ["Layer", "load_layer", "suffix_of"]
