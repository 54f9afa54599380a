"""Points picked on AMap/Tencent (GCJ-02) or Baidu (BD-09) maps but read as WGS84, found by evidence.

A station list, place register or roster whose 经度/纬度 were copied from a phone map app lands
300–700 m off when read as WGS84: in the wrong village, the wrong grid, the wrong patrol. The
coordinates alone cannot tell (the offsets keep them plausible lon/lat), but a layer whose CRS is
trusted can: the points are compared with it as read and with each offset undone, and only a
conversion that fits clearly better is reported, with the figures and the ``--crs-in`` fix. Nothing
is ever converted here; ambiguous evidence says nothing, and points outside the trusted layer's
extent (a sheet spanning two towns, roads of one) are no evidence at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .crs import WGS84, in_china, offset_to_wgs84, parse_crs
from .errors import GridtoolError
from .problems import Problem
from .roles import ROLES

#: Layers of points that people pick on phone maps.
POINT_ROLES = ("stations", "places", "households", "party_members", "incidents")
#: Layers to compare with, best evidence first (households only as building footprints), with
#: what the distance is measured to (zh, en).
REFERENCES = {"roads": ("最近道路", "the nearest road"),
              "households": ("最近住宅建筑", "the nearest building"),
              "villages": ("最近村（社区）范围", "the nearest village")}
#: Offsets: (name, app zh, app en, the import wizard's choice zh, en).
OFFSET_NAMES = {"gcj02": ("GCJ-02", "高德/腾讯", "AMap/Tencent", "GCJ-02（高德/腾讯）", "GCJ-02 (AMap/Tencent)"),
                "bd09": ("BD-09", "百度", "Baidu", "BD-09（百度）", "BD-09 (Baidu)")}
MAX_POINTS = 2000    # an even sample: the verdict does not need every row of a large roster
MIN_POINTS = 5       # fewer points never make clear evidence
MAX_RATIO = 0.5      # the median distance must at least halve …
MIN_DROP_M = 10.0    # … by more than a map pick's error (a dense city's streets leave ~25 m → 5 m; villages far more)
MIN_CLOSER = 0.75    # and most points that move must come closer: one lucky cluster is no evidence …
MAX_CHANCE = 0.05    # … nor so few that a coin would do as well (one-sided sign test)


@dataclass(frozen=True)
class OffsetFit:
    """How a point layer fits a reference layer as read and with ``offset`` undone."""

    offset: str
    points: int            # points compared (of a sample of at most MAX_POINTS, inside the reference's extent)
    median_read_m: float
    median_converted_m: float
    closer: int            # points that came closer once converted
    moved: int             # points whose distance changed at all


def _lonlat_read(lyr) -> bool:
    """Read as plain lon/lat (assumed, declared or the file's own WGS84/CGCS2000), no offset undone."""
    label = (lyr.crs_in or "").split(" (")[0]
    try:
        spec = parse_crs(label) if label else None
    except GridtoolError:
        return False
    return spec is not None and not spec.offset and spec.crs.is_geographic


def _trusted(lyr) -> bool:
    """A CRS from the file or the user, not guessed from the numbers (a guessed WGS84 can be GCJ-02)."""
    return bool(lyr.crs_in) and "(assumed)" not in lyr.crs_in


def _points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """An even sample of the layer's points inside China (the only place the offsets exist)."""
    geoms = gdf.geometry
    pts = geoms[(geoms.geom_type == "Point") & ~geoms.is_empty]
    ll = pts.to_crs(WGS84)
    pts = pts[in_china(ll.x.to_numpy(), ll.y.to_numpy())]
    return pts.iloc[:: max(1, -(-len(pts) // MAX_POINTS))]


def fit_offsets(points: gpd.GeoSeries, reference) -> list[OffsetFit]:
    """Distances from ``points`` (as read, in a metric CRS) to the nearest ``reference`` geometry,
    as read and with the GCJ-02 and BD-09 offsets undone, one :class:`OffsetFit` per offset.

    Only points inside the reference's extent (its convex hull) both as read and converted are
    compared: beyond it every shift towards the reference brings points closer, so true WGS84
    points in a town the roads do not cover would look like offset ones."""
    tree = shapely.STRtree(np.asarray(reference))
    hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(np.asarray(reference))))
    shapely.prepare(hull)

    def nearest(geoms) -> np.ndarray:
        _, dist = tree.query_nearest(np.asarray(geoms), return_distance=True, all_matches=False)
        return dist

    def covered(geoms) -> np.ndarray:
        return shapely.contains_xy(hull, shapely.get_x(geoms), shapely.get_y(geoms))

    as_read = points.values
    inside = covered(as_read)
    lonlat = points.to_crs(WGS84).values
    out = []
    for offset in OFFSET_NAMES:
        moved = gpd.GeoSeries(offset_to_wgs84(lonlat, offset), crs=WGS84).to_crs(points.crs).values
        keep = inside & covered(moved)
        if not keep.any():
            out.append(OffsetFit(offset, 0, math.nan, math.nan, 0, 0))
            continue
        read, conv = nearest(as_read[keep]), nearest(moved[keep])
        changed = np.abs(conv - read) > 1.0
        out.append(OffsetFit(offset, len(read), float(np.median(read)), float(np.median(conv)),
                             int((changed & (conv < read)).sum()), int(changed.sum())))
    return out


def _chance(closer: int, moved: int) -> float:
    """Probability that at least ``closer`` of ``moved`` points come closer by chance (p = 1/2)."""
    return sum(math.comb(moved, k) for k in range(closer, moved + 1)) / 2 ** moved


def clear_offset(fits: list[OffsetFit]) -> OffsetFit | None:
    """The one conversion that fits clearly better than the points as read, or None."""
    good = [f for f in fits
            if f.points >= MIN_POINTS and f.moved >= MIN_POINTS
            and f.median_converted_m <= MAX_RATIO * f.median_read_m
            and f.median_read_m - f.median_converted_m > MIN_DROP_M
            and f.closer >= MIN_CLOSER * f.moved and _chance(f.closer, f.moved) <= MAX_CHANCE]
    return min(good, key=lambda f: f.median_converted_m) if good else None


def _reference(project, role: str):
    """The first trusted reference layer other than ``role``: (role, geometries) or None."""
    for ref in REFERENCES:
        lyr = project.layers.get(ref)
        if ref == role or lyr is None or not len(lyr.gdf) or not _trusted(lyr):
            continue
        geoms = lyr.gdf.geometry
        geoms = geoms[~geoms.is_empty & geoms.notna()]
        if ref == "households":
            geoms = geoms[geoms.geom_type.isin(("Polygon", "MultiPolygon"))]
        if len(geoms):
            return ref, lyr, geoms.values
    return None


def _name(lyr, role: str) -> str:
    return Path(str(lyr.source).split("!")[0]).name if lyr.source else role


def check_offsets(project) -> list[Problem]:
    """A warning for each lon/lat point layer that fits a trusted layer clearly better once a
    GCJ-02 or BD-09 offset is undone, naming the figures and the ``--crs-in`` fix."""
    out = []
    for role in POINT_ROLES:
        lyr = project.layers.get(role)
        if lyr is None or not len(lyr.gdf) or not _lonlat_read(lyr):
            continue
        ref = _reference(project, role)
        points = _points(lyr.gdf)
        if ref is None or len(points) < MIN_POINTS:
            continue
        ref_role, ref_lyr, geoms = ref
        best = clear_offset(fit_offsets(points, geoms))
        if best is None:
            continue
        off, zh_app, en_app, zh_choice, en_choice = OFFSET_NAMES[best.offset]
        to_zh, to_en = REFERENCES[ref_role]
        ref_name = _name(ref_lyr, ref_role)
        read = f"{best.median_read_m:.0f}"
        conv = f"{best.median_converted_m:.0f}"
        out.append(Problem(
            "warning", "lonlat_offset_suspected",
            f"“{ROLES[role].zh}”图层的坐标很可能取自{zh_app}地图（{off} 坐标），却按 WGS84 读入：到{to_zh}"
            f"（{ROLES[ref_role].zh}图层 {ref_name}）的中位距离按 WGS84 为 {read} 米，按 {off} 换算后为 "
            f"{conv} 米（{best.moved} 个点中 {best.closer} 个更近）；未自动换算，这些点现在偏移数百米",
            f"the {role} coordinates were most likely picked on {en_app} maps ({off}) but were read as "
            f"WGS84: median distance to {to_en} ({ref_role} layer {ref_name}) {read} m as read → {conv} m "
            f"as {off} ({best.closer} of {best.moved} points closer); nothing was converted, the "
            "points now lie hundreds of metres off",
            fix_zh=f"用 --crs-in {role}={best.offset} 重新导入（导入向导：把该图层的坐标系选为“{zh_choice}”）。",
            fix_en=f"import again with --crs-in {role}={best.offset} (import wizard: set this layer's "
                   f"coordinate system to \"{en_choice}\").",
            role=role, file=lyr.source, layer=lyr.source_layer))
    return out


__all__ = ["OffsetFit", "check_offsets", "clear_offset", "fit_offsets"]
