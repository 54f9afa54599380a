"""Points picked on AMap/Tencent (GCJ-02) or Baidu (BD-09) maps but read as WGS84, found by evidence.

A station list, place register or roster whose 经度/纬度 were copied from a phone map app lands
300–700 m off when read as WGS84: in the wrong village, the wrong grid, the wrong patrol. The
coordinates alone cannot tell (the offsets keep them plausible lon/lat), but a layer whose CRS is
trusted can: the points are compared with it as read and with each offset undone, and only a
conversion that fits clearly better is reported, with the figures and the ``--crs-in`` fix. Nothing
is ever converted here; ambiguous evidence says nothing, and points outside the trusted layer's
extent (a sheet spanning two towns, roads of one) are no evidence at all.

A 派出所's sheet of 1–4 rows is judged point by point against the roads around it (:func:`fit_small`),
or pooled with the other sheets picked the same way. Measured (200 random sets each, no false alarm
in any): among sparse rural roads 2–3 offset points are found one time in five to two in five, one
point seldom (a single road-side spot is too common to prove anything); in a dense city's street
grid a small sheet alone almost never is: there pooling helps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .crs import WGS84, in_china, offset_to_wgs84, parse_crs
from .plurals import count_en, plural_en
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
# A 派出所's sheet (the station and its 警务室) has 1–4 rows: too few for a median or a sign test,
# so each point must show a strong effect, judged against the roads around it.
SMALL_NEAR_M = 30.0      # once converted, every point is at a road (a station's door, a 警务室 on the street)
SMALL_RATIO = 3.0        # as read, every point is several times farther …
SMALL_FAR_M = 60.0       # … and farther than a station's door is from its road
EXIT_FAR_M = 20.0        # a 卡口 stands on the carriageway: 20 m off it is already off
SMALL_RADIUS_M = 1000.0  # the neighbourhood whose spots say how near a road a point lands by luck
SMALL_STEP_M = 40.0      # spacing of those spots
SMALL_CHANCE = 0.002     # chance that random spots come as near the roads as the converted points did
CONFIRM_POINTS = 10     # a sheet with this many points compared that sits on the roads as read needs no AMap/Baidu warning …
CONFIRM_NEAR_M = 15.0   # … when its median distance is a map pick's error, and every offset undone moves most away
SMALL_READ_CHANCE = 0.05  # as read the points must not sit on the roads too (then nothing is off)


@dataclass(frozen=True)
class OffsetFit:
    """How a point layer fits a reference layer as read and with ``offset`` undone."""

    offset: str
    points: int            # points compared (of a sample of at most MAX_POINTS, inside the reference's extent)
    median_read_m: float
    median_converted_m: float
    closer: int            # points that came closer once converted
    moved: int             # points whose distance changed at all
    chance: float = math.nan       # small sheets: chance that random spots fit as well as converted
    max_converted_m: float = math.nan


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


def _index(reference):
    tree = shapely.STRtree(np.asarray(reference))
    hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(np.asarray(reference))))
    shapely.prepare(hull)

    def nearest(geoms) -> np.ndarray:
        _, dist = tree.query_nearest(np.asarray(geoms), return_distance=True, all_matches=False)
        return dist

    def covered(geoms) -> np.ndarray:
        return shapely.contains_xy(hull, shapely.get_x(geoms), shapely.get_y(geoms))

    return nearest, covered, hull


def _converted(points: gpd.GeoSeries, offset: str) -> np.ndarray:
    lonlat = points.to_crs(WGS84).values
    return gpd.GeoSeries(offset_to_wgs84(lonlat, offset), crs=WGS84).to_crs(points.crs).values


def fit_offsets(points: gpd.GeoSeries, reference, *, index=None) -> list[OffsetFit]:
    """Distances from ``points`` (as read, in a metric CRS) to the nearest ``reference`` geometry,
    as read and with the GCJ-02 and BD-09 offsets undone, one :class:`OffsetFit` per offset.

    Only points inside the reference's extent (its convex hull) both as read and converted are
    compared: beyond it every shift towards the reference brings points closer, so true WGS84
    points in a town the roads do not cover would look like offset ones. ``index`` is
    :func:`_index` of ``reference`` when the caller has it already (one per reference layer)."""
    nearest, covered, _ = index or _index(reference)
    as_read = points.values
    inside = covered(as_read)
    out = []
    for offset in OFFSET_NAMES:
        moved = _converted(points, offset)
        keep = inside & covered(moved)
        if not keep.any():
            out.append(OffsetFit(offset, 0, math.nan, math.nan, 0, 0))
            continue
        read, conv = nearest(as_read[keep]), nearest(moved[keep])
        changed = np.abs(conv - read) > 1.0
        out.append(OffsetFit(offset, len(read), float(np.median(read)), float(np.median(conv)),
                             int((changed & (conv < read)).sum()), int(changed.sum())))
    return out


def _fisher(chances: np.ndarray) -> float:
    """Chance that independent uniform chances multiply to at most the product of ``chances``."""
    t = float(np.prod(chances))
    if t <= 0.0:
        return 0.0
    return t * sum((-math.log(t)) ** k / math.factorial(k) for k in range(len(chances)))


def fit_small(points: gpd.GeoSeries, reference, *, index=None, far_m: float = SMALL_FAR_M) -> list[OffsetFit]:
    """Like :func:`fit_offsets` for a handful of points, with each point's luck measured locally.

    Around every point, spots on a SMALL_STEP_M lattice within SMALL_RADIUS_M (inside the
    reference's extent) give the distances to the reference that random places have there: the
    share of spots as near as the converted point is the chance of landing that near by luck
    (in a dense city 20 m from a street is common, among fields it is rare). The chances of all
    points combine (Fisher); ``chance`` is that of the converted points, and of the points as
    read must stay unremarkable, or the points were on the roads all along. As read, every point
    must be at least ``far_m`` from the reference."""
    nearest, covered, _ = index or _index(reference)
    as_read = points.values
    inside = covered(as_read)
    r = np.arange(-SMALL_RADIUS_M, SMALL_RADIUS_M + 1.0, SMALL_STEP_M)
    gx, gy = np.meshgrid(r, r)
    disc = np.hypot(gx, gy) <= SMALL_RADIUS_M
    gx, gy = gx[disc], gy[disc]
    spots = []
    for p in as_read:
        s = shapely.points(shapely.get_x(p) + gx, shapely.get_y(p) + gy)
        s = s[covered(s)]
        spots.append(np.sort(nearest(s)) if len(s) else np.array([]))

    def share(d: float, dist: np.ndarray) -> float:  # (k + 1) / (n + 1): never a chance of 0
        return (np.searchsorted(dist, d, side="right") + 1) / (len(dist) + 1)

    out = []
    for offset in OFFSET_NAMES:
        moved = _converted(points, offset)
        keep = inside & covered(moved) & np.array([len(s) > 0 for s in spots])
        if not keep.any():
            out.append(OffsetFit(offset, 0, math.nan, math.nan, 0, 0))
            continue
        read, conv = nearest(as_read[keep]), nearest(moved[keep])
        local = [s for s, k in zip(spots, keep) if k]
        changed = np.abs(conv - read) > 1.0
        fit = OffsetFit(offset, len(read), float(np.median(read)), float(np.median(conv)),
                        int((changed & (conv < read)).sum()), int(changed.sum()),
                        chance=_fisher(np.array([share(d, s) for d, s in zip(conv, local)])),
                        max_converted_m=float(conv.max()))
        ok = (fit.points == len(as_read) and fit.closer == fit.points and fit.max_converted_m <= SMALL_NEAR_M
              and bool(np.all(read >= SMALL_RATIO * conv)) and bool(np.all(read >= far_m))
              and _fisher(np.array([share(d, s) for d, s in zip(read, local)])) > SMALL_READ_CHANCE)
        out.append(fit if ok else OffsetFit(offset, fit.points, fit.median_read_m, fit.median_converted_m,
                                            fit.closer, fit.moved, chance=1.0,
                                            max_converted_m=fit.max_converted_m))
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


def clear_small_offset(fits: list[OffsetFit]) -> OffsetFit | None:
    """For 1–4 points (:func:`fit_small`): the conversion whose fit is too good for luck, or None."""
    good = [f for f in fits if f.points and f.chance <= SMALL_CHANCE]
    return min(good, key=lambda f: f.chance) if good else None


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


def _source_kind(lyr) -> tuple[str, str]:
    """Layers read with the same CRS label from the same kind of file (two 经度/纬度 sheets) were
    most likely picked the same way, on the same phone app: their evidence may be pooled."""
    return lyr.crs_in or "", Path(str(lyr.source).split("!")[0]).suffix.lower()


def _confirms_wgs84(fits: list[OffsetFit]) -> bool:
    """The points sit on the reference as read and every offset undone moves most of them away."""
    return all(f.points >= CONFIRM_POINTS and f.median_read_m <= CONFIRM_NEAR_M
               and f.median_converted_m >= 2 * f.median_read_m + MIN_DROP_M
               and f.closer <= (1 - MIN_CLOSER) * f.moved for f in fits)


def _agrees(fit: OffsetFit) -> bool:
    """A small layer's own points do not contradict the pooled verdict: each comes closer."""
    return fit.points > 0 and fit.closer == fit.points and fit.median_converted_m <= MAX_RATIO * fit.median_read_m


def check_offsets(project) -> list[Problem]:
    """A warning for each lon/lat point layer that fits a trusted layer clearly better once a
    GCJ-02 or BD-09 offset is undone, naming the figures and the ``--crs-in`` fix.

    A sheet of 1–4 points (a 派出所's station list) is judged by :func:`fit_small`, or with the
    points of the other layers from the same kind of file read the same way, when together they
    are clear and its own points agree. A layer whose CRS was only assumed and whose points
    clearly sit on the roads as read gets a short ``missing_crs`` warning saying so, which
    :func:`gridtool.validate.validate` puts in place of the generic one."""
    layers = {}
    for role in POINT_ROLES:
        lyr = project.layers.get(role)
        if lyr is None or not len(lyr.gdf) or not _lonlat_read(lyr):
            continue
        ref = _reference(project, role)
        points = _points(lyr.gdf)
        if ref is not None and len(points):
            layers[role] = (lyr, ref, points)
    out = []
    indexes: dict[str, tuple] = {}  # one road index per reference layer, shared by every sheet
    for role, (lyr, (ref_role, ref_lyr, geoms), points) in layers.items():
        pooled_with = []
        if ref_role not in indexes:
            indexes[ref_role] = _index(geoms)
        index = indexes[ref_role]
        if len(points) >= MIN_POINTS:
            fits = fit_offsets(points, geoms, index=index)
            best = clear_offset(fits)
            if best is None and "(assumed)" in (lyr.crs_in or "") and ref_role != "villages" \
                    and _confirms_wgs84(fits):
                out.append(_fits_wgs84(role, lyr, ref_role, ref_lyr, fits))
        else:
            best = clear_small_offset(fit_small(points, geoms, index=index))
            if best is None:
                # The other layers picked the same way (same CRS label, same kind of file) and
                # compared with the same reference: their points and these, as one sheet.
                pooled_with = [r for r, (o, (rr, _, _), _) in layers.items() if r != role and rr == ref_role
                               and _source_kind(o) == _source_kind(lyr)]
                if pooled_with:
                    pooled = gpd.GeoSeries(
                        np.concatenate([points.values] + [layers[r][2].to_crs(points.crs).values
                                                          for r in pooled_with]), crs=points.crs)
                    best = clear_offset(fit_offsets(pooled, geoms, index=index)) if len(pooled) >= MIN_POINTS else None
                    own = {f.offset: f for f in fit_offsets(points, geoms, index=index)}
                    if best is None or not _agrees(own[best.offset]):
                        best, pooled_with = None, []
        if best is None:
            continue
        out.append(_offset_warning(role, lyr, ref_role, ref_lyr, best, pooled_with))
    return out


def check_sheet(gdf: gpd.GeoDataFrame, lyr, project, *, role: str, name_zh: str, name_en: str,
                far_m: float = EXIT_FAR_M, app: tuple[str, str] | None = None) -> Problem | None:
    """A point sheet read beside the project (the 卡口 of a sealing exercise), judged as
    :func:`check_offsets` judges the project's own layers: the warning, or None.

    ``gdf`` is the sheet in the project's CRS, ``lyr`` the loaded layer it came from (its source
    and how its CRS was read), ``role`` the name of its ``--crs-in`` option and ``name_zh`` /
    ``name_en`` what the user calls these points. Without this check a 卡口 sheet copied from
    高德 is read as WGS84 and each 卡口 snaps to whatever road lies 500 m away: a wrong plan.
    ``far_m``: how far off its road a point of this kind already is (see :func:`fit_small`);
    ``app``: the app's place for the same choice (zh, en), named in the fix beside the option."""
    if not len(gdf) or not _lonlat_read(lyr):
        return None
    ref = _reference(project, role)
    points = _points(gdf)
    if ref is None or not len(points):
        return None
    ref_role, ref_lyr, geoms = ref
    index = _index(geoms)
    best = clear_offset(fit_offsets(points, geoms, index=index)) if len(points) >= MIN_POINTS else None
    if best is None:
        # 卡口 lie where roads leave the area, so some fall beyond the roads' extent: the few inside
        # are judged one by one, as a 派出所's short sheet is
        inside = points[index[1](points.values)]
        if 0 < len(inside) < MIN_POINTS:
            best = clear_small_offset(fit_small(inside, geoms, index=index, far_m=far_m))
    if best is None:
        return None
    warning = _offset_warning(role, lyr, ref_role, ref_lyr, best, [], names=(name_zh, name_en))
    _, _, _, zh_choice, en_choice = OFFSET_NAMES[best.offset]
    app_zh = f"；桌面程序：把{app[0]}选为“{zh_choice}”" if app else ""
    app_en = f"; in the app: set {app[1]} to \"{en_choice}\"" if app else ""
    return replace(warning, fix_zh=f"加 --crs-in {role}={best.offset} 重新运行（不必重新导入项目{app_zh}）。",
                   fix_en=f"run again with --crs-in {role}={best.offset} (the project needs no new import{app_en}).")


def _fits_wgs84(role, lyr, ref_role, ref_lyr, fits: list[OffsetFit]) -> Problem:
    to_zh, to_en = REFERENCES[ref_role]
    read = f"{fits[0].median_read_m:.0f}"
    conv_zh = "、".join(f"按 {OFFSET_NAMES[f.offset][0]} 换算则为 {f.median_converted_m:.0f} 米" for f in fits)
    conv_en = ", ".join(f"{f.median_converted_m:.0f} m as {OFFSET_NAMES[f.offset][0]}" for f in fits)
    return Problem(
        "warning", "missing_crs",
        f"文件没有坐标系信息，坐标按 WGS84 读取，与{to_zh.removeprefix('最近')}吻合（{fits[0].points} 个点到{to_zh}的"
        f"中位距离 {read} 米；{conv_zh}）",
        f"the file has no CRS; read as WGS84, the points fit {to_en.removeprefix('the nearest ')}s "
        f"(median distance to {to_en} {read} m over {count_en(fits[0].points, 'point')}; {conv_en})",
        fix_zh=f"无需换算；可用 --crs-in {role}=wgs84 声明，以免再次提示。",
        fix_en=f"nothing to convert; declare --crs-in {role}=wgs84 to silence this.",
        role=role, file=lyr.source, layer=lyr.source_layer)


def _offset_warning(role, lyr, ref_role, ref_lyr, best: OffsetFit, pooled_with: list[str], *,
                    names: tuple[str, str] | None = None) -> Problem:
    off, zh_app, en_app, zh_choice, en_choice = OFFSET_NAMES[best.offset]
    name_zh, name_en = names or (ROLES[role].zh, role)
    to_zh, to_en = REFERENCES[ref_role]
    ref_name = _name(ref_lyr, ref_role)
    read = f"{best.median_read_m:.0f}"
    conv = f"{best.median_converted_m:.0f}"
    with_zh = "、".join(ROLES[r].zh for r in pooled_with)
    pool_zh = f"，与同样来源的{with_zh}图层合并判断" if pooled_with else ""
    pool_en = f", judged together with the {', '.join(pooled_with)} {plural_en(len(pooled_with), 'layer')} from the same kind of file" \
        if pooled_with else ""
    return Problem(
        "warning", "lonlat_offset_suspected",
        f"“{name_zh}”图层的坐标很可能取自{zh_app}地图（{off} 坐标），却按 WGS84 读入：到{to_zh}"
        f"（{ROLES[ref_role].zh}图层 {ref_name}）的中位距离按 WGS84 为 {read} 米，按 {off} 换算后为 "
        f"{conv} 米（{best.moved} 个点中 {best.closer} 个更近{pool_zh}）；未自动换算，这些点现在偏移数百米",
        f"the {name_en} coordinates were most likely picked on {en_app} maps ({off}) but were read as "
        f"WGS84: median distance to {to_en} ({ref_role} layer {ref_name}) {read} m as read → {conv} m "
        f"as {off} ({best.closer} of {count_en(best.moved, 'point')} closer{pool_en}); nothing was converted, the "
        "points now lie hundreds of metres off",
        fix_zh=f"用 --crs-in {role}={best.offset} 重新导入（程序中把该图层的坐标系选为“{zh_choice}”）。",
        fix_en=f"import again with --crs-in {role}={best.offset} (in the app: set this layer's "
               f"coordinate system to \"{en_choice}\").",
        role=role, file=lyr.source, layer=lyr.source_layer)


__all__ = ["OffsetFit", "check_offsets", "check_sheet", "clear_offset", "clear_small_offset", "fit_offsets", "fit_small"]
