"""A read layer's true CRS: the file's own, the one the user declared (``--crs-in``, GCJ-02/BD-09
offsets undone), or one guessed from the coordinates and said as a warning.

Shared by the role layers (:func:`gridtool.layers.load_layer`) and the previous plan of a redraw
(:func:`gridtool.io.previous.read_previous`), so both settle coordinates the same way.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..crs import (
    WGS84,
    CrsSpec,
    check_fits,
    crs_zh,
    gk_plain_metres,
    gk_zone_epsg,
    guess_crs,
    in_china,
    lonlat_like,
    lonlat_swapped,
    offset_to_wgs84,
    robust_bounds,
    zone_advice,
)
from ..errors import CRSError
from ..plurals import count_en
from ..problems import Problem
from .vector import RawLayer


def _context_lon(context) -> float | None:
    """Longitude of the middle of the layers loaded so far (``context`` = (CRS, bounds))."""
    if context is None or context[0] is None:
        return None
    crs, (x0, y0, x1, y1) = context
    try:
        lon, _ = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform((x0 + x1) / 2, (y0 + y1) / 2)
    except Exception:
        return None
    return float(lon) if np.isfinite(lon) else None


def settle_crs(gdf: gpd.GeoDataFrame, spec: CrsSpec | None, raw: RawLayer, role: str,
                problems: list[Problem], *, from_default: bool = False,
                context=None) -> tuple[gpd.GeoDataFrame, str]:
    """Give the layer a true CRS (undoing GCJ-02/BD-09) and say what it was.

    ``spec`` is what the user declared for this layer (None: the file's own CRS, else a guess);
    ``from_default``: declared for every file without a CRS of its own (``--crs-in gcj02``).
    ``context`` = (CRS, bounds) of the layers loaded before: where a file without a CRS holds
    Gauss-Krüger metres, the zone is the one they lie in.
    """
    # The middle 98 % of the coordinates: one stray row (0,0 or swapped) must not decide the CRS;
    # validation names such rows instead.
    bounds = robust_bounds(gdf.geometry.values)
    where = dict(file=raw.path, layer=raw.layer)
    lon_hint = _context_lon(context)
    if (from_default and gdf.crs is None and spec is not None and (spec.offset or spec.crs.is_geographic)
            and all(np.isfinite(bounds)) and not lonlat_like(bounds) and not lonlat_swapped(bounds)):
        # `--crs-in gcj02` for files without a CRS, but this one holds metres (a survey boundary
        # shapefile without .prj beside a GCJ-02 roster): the declaration is for the others.
        spec = None
    if spec is not None and spec.offset:
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise CRSError(
                f"声明为 {spec.offset.upper()}，但文件是投影坐标（{gdf.crs.name}）",
                f"declared {spec.offset.upper()} but the file is projected ({gdf.crs.name})",
                fix_zh="GCJ-02/BD-09 只适用于经纬度数据；只对经纬度图层声明，如 --crs-in households=gcj02。",
                fix_en="GCJ-02/BD-09 apply to lon/lat data only; declare it for the lon/lat layer alone, "
                       "e.g. --crs-in households=gcj02.", **where)
        check_fits(bounds, WGS84, lon_hint=lon_hint, role=role, **where)
        xy, idx = shapely.get_coordinates(gdf.geometry.values, return_index=True)
        if len(xy) and not in_china(xy[:, 0], xy[:, 1]).all():
            # AMap/Tencent/Baidu add no offset outside China, and neither does the conversion:
            # those coordinates are used as they are (WGS84), and the user is told so.
            n_out = len(np.unique(idx[~in_china(xy[:, 0], xy[:, 1])]))
            n_all = len(gdf)
            problems.append(Problem(
                "warning", "offset_outside_china",
                f"数据声明为 {spec.offset.upper()}，但 {n_all} 个要素中有 {n_out} 个在中国境外；"
                f"{spec.offset.upper()} 在境外没有偏移（高德/腾讯/百度境外即 WGS84），境外坐标已原样按 WGS84 使用",
                f"data declared {spec.offset.upper()}, but {n_out} of {count_en(n_all, 'feature')} lie outside "
                f"China, where {spec.offset.upper()} has no offset (AMap/Tencent/Baidu show WGS84 there): "
                "those coordinates were used as they are, as WGS84",
                fix_zh="确认坐标来源和声明的坐标系；若数据本应在国内，检查经纬度是否写错或颠倒。",
                fix_en="check where the coordinates came from and the declared CRS; if the data should lie in "
                       "China, check for wrong or swapped longitude/latitude.",
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
        check_fits(bounds, spec.crs, lon_hint=lon_hint, role=role, **where)
        return gdf.set_crs(spec.crs, allow_override=True), str(spec)
    if gdf.crs is None:
        if lonlat_swapped(bounds):
            check_fits(bounds, WGS84, role=role, **where)  # raises the "swapped" error with its fix
        guess = guess_crs(bounds)
        if guess is None and gk_plain_metres(bounds) and lon_hint is not None:
            # The CGCS2000 zone of the data's longitude; outside China (no such zone: the nearest,
            # 75°E, fits nothing) the metric CRS the other layers were settled in (UTM).
            zones = [pyproj.CRS.from_epsg(gk_zone_epsg(lon_hint))]
            if context[0] is not None and pyproj.CRS(context[0]).is_projected:
                zones.append(pyproj.CRS(context[0]))
            zone = next((z for z in zones if _overlaps(bounds, z, context)), zones[0])
            if _overlaps(bounds, zone, context):
                problems.append(Problem(
                    "warning", "missing_crs_zone",
                    f"文件没有坐标系信息，坐标以米为单位；按其他图层的位置假定为 {crs_zh(zone)}"
                    f"（EPSG:{zone.to_epsg()}）",
                    f"the file has no CRS and holds metres; assumed EPSG:{zone.to_epsg()} ({zone.name}) "
                    "where the other layers lie",
                    fix_zh=f"如不是这个分带，请用 --crs-in {role}=EPSG:代码 声明；最好为文件补上 .prj。",
                    fix_en=f"if it is another zone, declare --crs-in {role}=EPSG:CODE; better, give the "
                           "file its .prj.", role=role, **where))
                return gdf.set_crs(zone), f"EPSG:{zone.to_epsg()} (assumed)"
        if guess is None:
            zh, en = zone_advice(lon_hint)
            raise CRSError(
                "文件没有坐标系信息，且无法从坐标值判断",
                "the file has no coordinate system and the coordinates do not tell which it is",
                fix_zh=f"用 --crs-in {role}=坐标系 声明：以米为单位的高斯-克吕格坐标用 {zh}；经纬度用 wgs84、"
                       "cgcs2000 或 gcj02。",
                fix_en=f"declare it with --crs-in {role}=CRS: for Gauss-Kruger metres {en}; for lon/lat "
                       "wgs84, cgcs2000 or gcj02.", **where)
        problems.append(Problem(
            "warning", "missing_crs",
            f"文件没有坐标系信息，按坐标值假定为 {crs_zh(guess.crs)}（{guess}）", f"the file has no CRS; assumed {guess} "
            "from the coordinate values",
            fix_zh=("如果坐标来自高德/腾讯或百度地图，请用 --crs-in gcj02 或 bd09 声明，否则会偏移数百米。"
                    if guess.crs.is_geographic else
                    f"横坐标含带号，已按该带推定；如不是这个坐标系，用 --crs-in {role}=EPSG:代码 声明。"),
            fix_en=("if the coordinates were picked on AMap/Tencent or Baidu maps, declare --crs-in "
                    "gcj02 or bd09, or they will be hundreds of metres off." if guess.crs.is_geographic else
                    f"the eastings carry their zone number, which was used; if it is another CRS, declare "
                    f"--crs-in {role}=EPSG:CODE."), role=role, **where))
        check_fits(bounds, guess.crs, role=role, **where)
        return gdf.set_crs(guess.crs), f"{guess} (assumed)"
    check_fits(bounds, gdf.crs, lon_hint=lon_hint, role=role, **where)
    epsg = gdf.crs.to_epsg()
    return gdf, f"EPSG:{epsg}" if epsg else gdf.crs.to_string()


def _overlaps(bounds, crs: pyproj.CRS, context, margin: float = 20_000.0) -> bool:
    """Do ``bounds`` (in ``crs``) lie within ``margin`` m of the layers loaded before?"""
    ccrs, cb = context
    try:
        x0, y0, x1, y1 = pyproj.Transformer.from_crs(ccrs, crs, always_xy=True).transform_bounds(*cb)
    except Exception:
        return False
    return not (bounds[2] < x0 - margin or bounds[0] > x1 + margin or bounds[3] < y0 - margin
                or bounds[1] > y1 + margin)


__all__ = ["settle_crs"]
