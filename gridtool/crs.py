"""Coordinate systems: read what the user declares, undo the GCJ-02/BD-09 offsets, pick a metric CRS.

Chinese data arrive in WGS84, CGCS2000 (EPSG:4490) or its Gauss-Krüger zones (EPSG:4513–4554),
Web Mercator, or the "encrypted" GCJ-02 (AMap, Tencent) and BD-09 (Baidu) lon/lat, which are
offset from WGS84 by hundreds of metres and have no EPSG code, so pyproj cannot undo them. The
offsets are undone with ``prcoords`` (public-domain reference implementation with the iterative
"bored" inverse, better than a metre); pyproj does everything else.

All computation runs in a local metric CRS: the CGCS2000 3-degree Gauss-Krüger zone (EPSG:4534 +
k, no zone prefix) inside China, the WGS84 UTM zone elsewhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import prcoords
import pyproj
import shapely

from .errors import CRSError

WGS84 = pyproj.CRS.from_epsg(4326)
CGCS2000 = pyproj.CRS.from_epsg(4490)

_OFFSET_ALIASES = {
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02",
    "高德": "gcj02", "tencent": "gcj02", "qq": "gcj02", "腾讯": "gcj02", "火星坐标": "gcj02",
    "mars": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "baidu": "bd09", "百度": "bd09",
}
_NAMED = {
    "wgs84": 4326, "wgs-84": 4326, "wgs 84": 4326, "gps": 4326,
    "cgcs2000": 4490, "cgcs-2000": 4490, "国家2000": 4490, "2000国家大地坐标系": 4490,
    "webmercator": 3857, "web mercator": 3857, "mercator": 3857, "pseudo-mercator": 3857,
}


@dataclass(frozen=True)
class CrsSpec:
    """A coordinate system as the user declared it.

    ``crs`` is the pyproj CRS of the numbers; for GCJ-02/BD-09 it is WGS84 lon/lat and
    ``offset`` names the Chinese offset to undo first.
    """

    crs: pyproj.CRS
    offset: str | None = None
    label: str = ""

    def __str__(self) -> str:
        return self.label or (self.offset or self.crs.to_string())


def parse_crs(text: str | int | pyproj.CRS | CrsSpec | None) -> CrsSpec | None:
    """Parse ``gcj02``, ``bd09``, ``wgs84``, ``cgcs2000``, ``EPSG:4490``, ``4547`` or any pyproj input.

    Raises
    ------
    CRSError
        When the text names no coordinate system pyproj or gridtool knows.
    """
    if text is None or text == "":
        return None
    if isinstance(text, CrsSpec):
        return text
    if isinstance(text, pyproj.CRS):
        return CrsSpec(text, None, text.to_string())
    if isinstance(text, int):
        return CrsSpec(pyproj.CRS.from_epsg(text), None, f"EPSG:{text}")
    key = str(text).strip()
    low = key.lower()
    if low in _OFFSET_ALIASES:
        return CrsSpec(WGS84, _OFFSET_ALIASES[low], _OFFSET_ALIASES[low])
    if low in _NAMED:
        return CrsSpec(pyproj.CRS.from_epsg(_NAMED[low]), None, key)
    if re.fullmatch(r"\d{4,6}", low):
        key = "EPSG:" + low
    try:
        return CrsSpec(pyproj.CRS.from_user_input(key), None, key)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"无法识别坐标系“{text}”",
            f"unknown coordinate system {text!r}",
            fix_zh="使用 wgs84、cgcs2000、gcj02（高德/腾讯）、bd09（百度）或 EPSG 代码，如 EPSG:4490、EPSG:4547。",
            fix_en="use wgs84, cgcs2000, gcj02 (AMap/Tencent), bd09 (Baidu) or an EPSG code such as "
                   "EPSG:4490 or EPSG:4547.",
        ) from exc


# Where AMap/Tencent/Baidu apply the GCJ-02 offset: the rectangles long used for it (Aimeast's
# ChinaMapShift, also in coordtransform ports) as (west, south, east, north), less those cut out
# (Taiwan, northern Vietnam and Laos, the Russian Far East and Mongolia's edges). One bounding box
# took Laos, Mongolia, North Korea and Kyushu for China and shifted points there hundreds of metres.
_CHINA_IN = np.array([(79.4462, 42.8899, 96.33, 49.2204), (109.6872, 39.3742, 135.0002, 54.1415),
                      (73.1246, 29.5297, 124.143255, 42.8899), (82.9684, 26.7186, 97.0352, 29.5297),
                      (97.0253, 20.414096, 124.367395, 29.5297), (107.975793, 17.871542, 111.744104, 20.414096),
                      (111.0, 15.6, 113.0, 17.2)])  # 西沙 (三沙市 seat), no other land there
_CHINA_OUT = np.array([(119.921265, 21.785006, 122.497559, 25.398623), (101.8652, 20.0988, 106.665, 22.284),
                       (106.4525, 20.4878, 108.051, 21.5422), (109.0323, 50.3257, 119.127, 55.8175),
                       (127.4568, 49.5574, 137.0227, 55.8175), (131.2662, 42.5692, 137.0227, 44.8922)])


def _in_boxes(lon: np.ndarray, lat: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    lon, lat = np.asarray(lon, float)[:, None], np.asarray(lat, float)[:, None]
    w, s, e, n = boxes.T
    return ((lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)).any(axis=1)


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points where GCJ-02/BD-09 offsets are applied (mainland China, Hainan, Hong Kong, Macau),
    by the rectangles in ``_CHINA_IN`` less ``_CHINA_OUT``."""
    return _in_boxes(lon, lat, _CHINA_IN) & ~_in_boxes(lon, lat, _CHINA_OUT)


def _vectorise(func):
    def apply(coords: np.ndarray) -> np.ndarray:
        # Outside China AMap/Tencent/Baidu show plain WGS84: such points keep their coordinates
        # (prcoords' own check would warn per point, hence the test here, once for the array).
        out = coords.copy()
        inside = in_china(coords[:, 0], coords[:, 1]) if len(coords) else np.zeros(0, bool)
        for i in np.flatnonzero(inside):
            c = func(prcoords.Coords(coords[i, 1], coords[i, 0]), check_china=False)
            out[i, 0], out[i, 1] = c.lon, c.lat
        return out
    return apply


_TO_WGS = {"gcj02": _vectorise(prcoords.gcj_wgs_bored), "bd09": _vectorise(prcoords.bd_wgs_bored)}
_FROM_WGS = {"gcj02": _vectorise(prcoords.wgs_gcj), "bd09": _vectorise(prcoords.wgs_bd)}


def offset_to_wgs84(geoms, offset: str):
    """Undo a GCJ-02 or BD-09 offset on shapely geometries in lon/lat (array in, array out); points
    outside China are left as they are, having no offset."""
    return shapely.transform(geoms, _TO_WGS[offset])


def wgs84_to_offset(geoms, offset: str):
    """Apply a GCJ-02 or BD-09 offset (for exports back to a user who works in AMap/Baidu); none outside China."""
    return shapely.transform(geoms, _FROM_WGS[offset])


def lonlat_like(bounds) -> bool:
    """True when (minx, miny, maxx, maxy) can be longitude/latitude degrees."""
    minx, miny, maxx, maxy = bounds
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


def guess_crs(bounds) -> CrsSpec | None:
    """Guess the CRS of coordinates that came without one, or None when no guess is safe.

    Lon/lat ranges give WGS84; 8-digit eastings with a Gauss-Krüger 3-degree zone prefix
    (25–45, e.g. 39 500 000) give that CGCS2000 zone (EPSG:4513–4533).
    """
    if lonlat_like(bounds):
        return CrsSpec(WGS84, None, "EPSG:4326")
    zone = gk_prefix_zone(bounds)
    if zone is not None:
        epsg = 4513 + (zone - 25)
        return CrsSpec(pyproj.CRS.from_epsg(epsg), None, f"EPSG:{epsg}")
    return None


def gk_plain_metres(bounds) -> bool:
    """Coordinates that can be Gauss-Krüger metres written without the zone number (eastings
    within ±600 km of 500 000, northings of China)."""
    minx, miny, maxx, maxy = bounds
    return (all(map(math.isfinite, bounds)) and not lonlat_like(bounds)
            and _gk_plausible(minx, maxx, miny, maxy, False) and miny > 1_000_000)


def metric_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """The local metric CRS for a place: CGCS2000 3° GK zone in China, else WGS84 UTM."""
    if in_china(np.array([lon]), np.array([lat]))[0] and 73.5 <= lon <= 136.5:
        cm = int(round(lon / 3.0)) * 3
        cm = min(max(cm, 75), 135)
        return pyproj.CRS.from_epsg(4534 + (cm - 75) // 3)
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def gk_zone_epsg(lon: float, *, prefixed: bool = False) -> int:
    """The CGCS2000 3-degree Gauss-Krüger zone for a longitude: EPSG:4534–4554 (eastings without
    the zone number, e.g. 4549 = CM 120°E), or EPSG:4513–4533 with ``prefixed`` (40 500 000)."""
    cm = min(max(int(round(lon / 3.0)) * 3, 75), 135)
    return (4513 if prefixed else 4534) + (cm - 75) // 3


def _gk_info(epsg: int) -> tuple[int, int | None, bool] | None:
    """(degrees per zone, central meridian or zone number, prefixed) of a CGCS2000 GK EPSG code."""
    if 4534 <= epsg <= 4554:
        return 3, 75 + 3 * (epsg - 4534), False
    if 4513 <= epsg <= 4533:
        return 3, 75 + 3 * (epsg - 4513), True
    if 4502 <= epsg <= 4512:
        return 6, 75 + 6 * (epsg - 4502), False
    if 4491 <= epsg <= 4501:
        return 6, 75 + 6 * (epsg - 4491), True
    return None


def crs_zh(crs) -> str:
    """A coordinate system as a Chinese map states it: ``2000国家大地坐标系 3度带 中央经线120°``,
    ``WGS84 经纬度``, ``WGS84 UTM 第32带（北半球）`` …; other systems by their EPSG code or name."""
    if crs is None:
        return "未知坐标系"
    if isinstance(crs, str):
        spec = parse_crs(crs.split(" (")[0])
        if spec is not None and spec.offset:
            return {"gcj02": "GCJ-02 经纬度（高德/腾讯）", "bd09": "BD-09 经纬度（百度）"}[spec.offset]
        crs = spec.crs if spec is not None else None
        if crs is None:
            return "未知坐标系"
    epsg = crs.to_epsg() or 0
    gk = _gk_info(epsg)
    if gk:
        width, cm, prefixed = gk
        zone = cm // 3 if width == 3 else (cm + 3) // 6
        return (f"2000国家大地坐标系 {width}度带 中央经线{cm}°"
                + (f"（第{zone}带，横坐标含带号）" if prefixed else ""))
    named = {4490: "2000国家大地坐标系 经纬度", 4326: "WGS84 经纬度", 3857: "网络墨卡托投影",
             4214: "1954北京坐标系 经纬度", 4610: "1980西安坐标系 经纬度"}
    if epsg in named:
        return named[epsg]
    if 32601 <= epsg <= 32660 or 32701 <= epsg <= 32760:
        return f"WGS84 UTM 第{epsg % 100}带（{'北' if epsg < 32700 else '南'}半球）"
    return f"EPSG:{epsg}" if epsg else crs.name


def zone_advice(lon: float | None, *, prefixed: bool = False) -> tuple[str, str]:
    """The ``--crs-in`` to suggest for Gauss-Krüger metres near ``lon`` (zh, en); without a known
    longitude, how to choose one."""
    if lon is None:
        return ("EPSG:4534–4554 中中央经线离数据最近的一个（如东经 120° 附近为 EPSG:4549，108° 附近为 EPSG:4545）",
                "the one of EPSG:4534–4554 whose central meridian is nearest the data (EPSG:4549 near 120°E, "
                "EPSG:4545 near 108°E)")
    epsg = gk_zone_epsg(lon, prefixed=prefixed)
    cm = _gk_info(epsg)[1]
    return (f"EPSG:{epsg}（{crs_zh(pyproj.CRS.from_epsg(epsg))}）",
            f"EPSG:{epsg} (CGCS2000 3-degree Gauss-Kruger CM {cm}E)")


def lonlat_swapped(bounds) -> bool:
    """x in China's latitudes and y in its longitudes: lat/lon columns given the wrong way round."""
    minx, miny, maxx, maxy = bounds
    return 18 <= minx <= maxx <= 54 and 73 <= miny <= maxy <= 135


def _gk_plausible(easting_lo, easting_hi, northing_lo, northing_hi, prefixed: bool) -> bool:
    east_ok = (13e6 <= easting_lo <= easting_hi <= 46e6) if prefixed else (-1e5 <= easting_lo <= easting_hi <= 1.1e6)
    return east_ok and 0 <= northing_lo <= northing_hi <= 6.3e6


def gk_prefix_zone(bounds) -> int | None:
    """The zone number of Gauss-Krüger eastings written with it (39 500 000 → 39), else None."""
    minx, miny, maxx, maxy = bounds
    zone_lo, zone_hi = int(minx // 1_000_000), int(maxx // 1_000_000)
    if zone_lo == zone_hi and 25 <= zone_lo <= 45 and 0 < miny < 6_200_000:
        return zone_lo
    return None


def check_fits(bounds, crs: pyproj.CRS, *, file: str | None = None, layer: str | None = None,
               lon_hint: float | None = None, role: str | None = None) -> None:
    """Raise CRSError when coordinates cannot be in the declared CRS (degrees vs metres, swapped axes).

    ``lon_hint``: the longitude of the other layers, so that the fix names the right zone.
    ``role``: the layer's role, which the fix names as ``--crs-in`` takes it (``incidents=…``,
    never the sheet or layer inside the file)."""
    minx, miny, maxx, maxy = bounds
    if not all(map(math.isfinite, bounds)):
        return
    if crs.is_geographic:
        if lonlat_swapped(bounds):
            raise CRSError(
                "经度和纬度似乎互换了（x 像纬度，y 像经度）",
                "longitude and latitude seem swapped (x looks like latitude, y like longitude)",
                fix_zh="检查坐标列：经度应为 x，纬度应为 y。",
                fix_en="check the coordinate columns: longitude is x, latitude is y.",
                file=file, layer=layer,
            )
        if not lonlat_like(bounds):
            zone = gk_prefix_zone(bounds)
            if zone is not None:  # the eastings carry their zone number: the zone is known
                epsg = 4513 + (zone - 25)
                zh, en = f"EPSG:{epsg}（{crs_zh(pyproj.CRS.from_epsg(epsg))}）", f"EPSG:{epsg}"
            else:
                zh, en = zone_advice(lon_hint)
            what = f"--crs-in {role}=EPSG:…" if role else "--crs-in"
            raise CRSError(
                f"坐标系声明为经纬度（{crs_zh(crs)}），但坐标值像是米（{minx:.0f}…{maxx:.0f}）",
                f"the CRS says degrees ({crs.name}) but the coordinates look like metres "
                f"({minx:.0f}…{maxx:.0f})",
                fix_zh=f"用 {what} 为这个文件指定投影坐标系：{zh}。",
                fix_en=f"declare this file's projected CRS with {what}: {en}.",
                file=file, layer=layer,
            )
    elif (crs.to_epsg() or 0) in range(4491, 4555):
        # CGCS2000 Gauss-Krüger: surveyors write X for northing and Y for easting.
        prefixed = (crs.to_epsg() or 0) in range(4513, 4534)
        if (not _gk_plausible(minx, maxx, miny, maxy, prefixed)
                and _gk_plausible(miny, maxy, minx, maxx, prefixed)):
            raise CRSError(
                "X 和 Y 似乎互换了：测量习惯中 X 是北坐标、Y 是东坐标",
                "X and Y seem swapped: in survey practice X is the northing and Y the easting",
                fix_zh="把东坐标（Y）作为 x 列、北坐标（X）作为 y 列，例如 --field lon=Y --field lat=X。",
                fix_en="give the easting (survey Y) as x and the northing (survey X) as y, e.g. "
                       "--field lon=Y --field lat=X.", file=file, layer=layer)
    if crs.is_projected and lonlat_like(bounds) and max(abs(maxx - minx), abs(maxy - miny)) < 10:
        raise CRSError(
            f"坐标系声明为投影坐标（{crs.name}），但坐标值像是经纬度",
            f"the CRS is projected ({crs.name}) but the coordinates look like degrees",
            fix_zh="用 --crs-in wgs84（或 cgcs2000、gcj02）声明经纬度坐标。",
            fix_en="declare lon/lat data with --crs-in wgs84 (or cgcs2000, gcj02).",
            file=file, layer=layer,
        )


def to_user_crs(gdf, label: "str | CrsSpec"):
    """Reproject a GeoDataFrame back to what the user works in: an EPSG/pyproj CRS, or gcj02/bd09
    (a label :func:`parse_crs` reads, or what it returned)."""
    spec = label if isinstance(label, CrsSpec) else parse_crs(label.split(" (")[0]) if label else None
    if spec is None:
        return gdf
    out = gdf.to_crs(spec.crs)
    if spec.offset:
        out = out.set_geometry(wgs84_to_offset(out.geometry.values, spec.offset), crs=spec.crs)
    return out


def robust_bounds(geoms) -> tuple[float, float, float, float]:
    """Bounds of the middle 98 % of coordinates, so that one stray row (0,0; swapped) does not decide."""
    xy = shapely.get_coordinates(np.asarray(geoms))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) == 0:
        return (math.nan,) * 4
    if len(xy) < 50:
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))
    lo = np.percentile(xy, 1, axis=0)
    hi = np.percentile(xy, 99, axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
