"""Checking a project's data before partitioning: every problem at once, each with where and a fix.

Errors must be fixed before grids are drawn (a household count that is not a number, layers in
different places); warnings are worth a look (a household outside every village, a geometry that
was repaired). Invalid geometries are repaired here with ``make_valid`` and listed, so that the
engines can rely on valid shapes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .columns import find_column
from .crs import offset_to_wgs84, robust_bounds, wgs84_to_offset
from .problems import Problem
from .project import Project
from .roles import ROLES, geometry_family
from .spatial import assign_to_polygons, household_points

FAR_APART_M = 20_000  # a gap between layers this large is a CRS mistake, not geography


def _bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    if len(gdf) == 0:
        return None
    return tuple(float(v) for v in gdf.total_bounds)


def _where(lyr, **kw) -> dict:
    return dict(role=lyr.role, file=lyr.source, layer=lyr.source_layer, **kw)


def _ids(gdf: gpd.GeoDataFrame, mask) -> list:
    return gdf.loc[mask, "src_id"].tolist() if "src_id" in gdf else list(gdf.index[mask])


def repair_geometries(project: Project) -> list[Problem]:
    """Make every geometry valid (in place) and list what was repaired or had to be dropped."""
    problems = []
    for lyr in project.layers.values():
        if lyr.role not in ROLES:
            continue  # gridtool's own layers (grids, a locked grid's shape …) are never reshaped here
        gdf = lyr.gdf
        invalid = ~gdf.geometry.is_valid
        if not invalid.any():
            continue
        family = ROLES[lyr.role].geometry
        fixed = [_keep(g, family) for g in shapely.make_valid(gdf.geometry[invalid].values)]
        if "Point" in family:
            # A building drawn with no area still holds its households (and its place in a grid):
            # it is kept as the point in the middle of its outline, not dropped.
            fixed = [g if g is not None and not g.is_empty else shapely.points(shapely.get_coordinates(o).mean(axis=0))
                     for g, o in zip(fixed, gdf.geometry[invalid].values)]
        # A polygon with no area (all points on a line) has no valid areal form: drop it, loudly.
        lost = np.array([g is None or g.is_empty for g in fixed])
        idx = gdf.index[invalid]
        gdf.loc[idx[~lost], "geometry"] = [g for g, bad in zip(fixed, lost) if not bad]
        if (~lost).any():
            problems.append(Problem(
                "warning", "invalid_geometry",
                f"{int((~lost).sum())} 个要素几何无效（自相交等），已自动修复",
                f"{int((~lost).sum())} invalid geometr{'y' if (~lost).sum() == 1 else 'ies'} "
                "(self-intersections etc.) repaired with make_valid",
                fix_zh="修复结果已用于计算；如需精确边界，请在源数据中修正这些要素。",
                fix_en="the repaired shapes are used; correct these features in the source data for exact edges.",
                features=gdf.loc[idx[~lost], "src_id"].tolist(), bounds=_bounds(gdf.loc[idx[~lost]]),
                repaired=True, **_where(lyr)))
        if lost.any():
            problems.append(Problem(
                "error", "degenerate_geometry",
                f"{int(lost.sum())} 个要素的几何退化（如面积为零的面），无法修复，已移除",
                f"{int(lost.sum())} feature(s) have degenerate geometry (e.g. a polygon with no area) "
                "that cannot be repaired; removed",
                fix_zh="在源数据中重新绘制这些要素。", fix_en="redraw these features in the source data.",
                features=gdf.loc[idx[lost], "src_id"].tolist(), bounds=_bounds(gdf.loc[idx[lost]]),
                **_where(lyr)))
            lyr.gdf = gdf.drop(index=idx[lost]).reset_index(drop=True)
    return problems


def _keep(geom, family: tuple[str, ...]):
    """The part of a repaired geometry that fits the role (make_valid may add slivers of lines)."""
    if geometry_family(geom.geom_type) in family:
        return geom
    parts = [g for g in getattr(geom, "geoms", [geom]) if geometry_family(g.geom_type) in family]
    return shapely.union_all(parts) if parts else None


def _check_households(project: Project) -> list[Problem]:
    lyr = project.layers["households"]
    gdf = lyr.gdf
    field = lyr.columns_used.get("hh")
    out = []
    hh = pd.to_numeric(gdf["hh"], errors="coerce")
    bad = hh.isna()
    if bad.any():
        out.append(Problem(
            "error", "hh_not_numeric", f"{int(bad.sum())} 个住户要素的户数为空或不是数字",
            f"{int(bad.sum())} household feature(s) have an empty or non-numeric household count",
            fix_zh=f"在“{field}”列填入整数户数（≥1）。", fix_en=f"enter a whole number ≥ 1 in column {field!r}.",
            field=field, features=_ids(gdf, bad), bounds=_bounds(gdf[bad]), **_where(lyr)))
    neg = hh < 1
    if neg.any():
        out.append(Problem(
            "error", "hh_not_positive", f"{int(neg.sum())} 个住户要素的户数为零或负数",
            f"{int(neg.sum())} household feature(s) have a zero or negative household count",
            fix_zh=f"“{field}”列的户数应 ≥ 1；无人居住的建筑请从住户图层删除。",
            fix_en=f"counts in {field!r} must be ≥ 1; remove uninhabited buildings from the layer.",
            field=field, features=_ids(gdf, neg), bounds=_bounds(gdf[neg]), **_where(lyr)))
    frac = hh.notna() & (hh >= 1) & (hh != hh.round())
    if frac.any():
        out.append(Problem(
            "warning", "hh_not_integer", f"{int(frac.sum())} 个住户要素的户数不是整数，计算时四舍五入",
            f"{int(frac.sum())} household count(s) are not whole numbers; they are rounded",
            fix_zh="检查这些户数是否录入有误。", fix_en="check these counts for typing mistakes.",
            field=field, features=_ids(gdf, frac), **_where(lyr)))
    return out


def _check_duplicate_ids(project: Project) -> list[Problem]:
    out = []
    for lyr in project.layers.values():
        col = find_column([c for c in lyr.gdf.columns if c not in ("src_id", "osm_id")], "id")
        if col is None:
            continue
        values = lyr.gdf[col]
        dup = values.notna() & values.duplicated(keep=False)
        if dup.any():
            sev = "error" if lyr.role == "households" else "warning"
            out.append(Problem(
                sev, "duplicate_id", f"“{col}”列有 {int(dup.sum())} 个重复编号",
                f"{int(dup.sum())} feature(s) share an ID in column {col!r}",
                fix_zh="重复的住户会被重复计数：删除重复行或改正编号。",
                fix_en="duplicated households are counted twice: delete the repeated rows or correct the IDs.",
                field=col, features=_ids(lyr.gdf, dup), bounds=_bounds(lyr.gdf[dup]), **_where(lyr)))
    return out


def _check_strays(project: Project) -> list[Problem]:
    """Features far from the rest of their layer: a (0,0) row, swapped lat/lon, a typo in a digit."""
    out = []
    for lyr in project.layers.values():
        gdf = lyr.gdf
        if len(gdf) < 5:
            continue
        c = gdf.geometry.centroid
        x, y = c.x.to_numpy(), c.y.to_numpy()
        d = np.hypot(x - np.nanmedian(x), y - np.nanmedian(y))
        limit = max(50_000.0, 5 * float(np.nanpercentile(d, 95)))
        far = ~(d <= limit)  # NaN (coordinates that failed to convert) counts as far
        if far.any():
            out.append(Problem(
                "error", "stray_coordinates",
                f"{int(far.sum())} 个要素远离本图层其他要素（超过 {limit / 1000:.0f} 公里），可能是坐标录入错误",
                f"{int(far.sum())} feature(s) lie more than {limit / 1000:.0f} km from the rest of the layer: "
                "probably mistyped coordinates",
                fix_zh="检查这些行的坐标：是否为 0、经纬度是否写反、是否少了一位数字。",
                fix_en="check these rows' coordinates: zeros, swapped latitude/longitude, a missing digit.",
                features=_ids(gdf, far), **_where(lyr)))
    return out


def _far_apart(project: Project) -> list[Problem]:
    ref_role = "households" if "households" in project.layers else next(iter(project.layers), None)
    if ref_role is None:
        return []
    # Robust bounds: a stray row is named by _check_strays, it must not hide or fake a CRS mistake.
    ref = robust_bounds(project.layers[ref_role].gdf.geometry.values)
    out = []
    for role, lyr in project.layers.items():
        if role == ref_role or len(lyr.gdf) == 0:
            continue
        b = robust_bounds(lyr.gdf.geometry.values)
        gap_x = max(ref[0] - b[2], b[0] - ref[2], 0.0)
        gap_y = max(ref[1] - b[3], b[1] - ref[3], 0.0)
        gap = float(np.hypot(gap_x, gap_y))
        if gap > FAR_APART_M:
            out.append(Problem(
                "error", "layers_far_apart",
                f"“{ROLES[role].zh}”图层与“{ROLES[ref_role].zh}”图层相距 {gap / 1000:.0f} 公里，很可能坐标系有误",
                f"the {role} layer lies {gap / 1000:.0f} km from the {ref_role} layer: most likely a "
                "coordinate system mistake",
                fix_zh="检查两个文件的坐标系（.prj 是否缺失或错误），用 --crs-in 声明正确的坐标系。",
                fix_en="check both files' CRS (a missing or wrong .prj) and declare the right one with --crs-in.",
                bounds=b, **_where(lyr)))
    return out


def _offset_hint(points: gpd.GeoSeries, villages: gpd.GeoDataFrame,
                 base_share: float) -> tuple[str, str] | None:
    """If undoing/applying a GCJ-02 or BD-09 offset puts many more households inside villages, say so."""
    sample = points.iloc[:: max(1, len(points) // 2000)]
    ll = sample.to_crs(4326)
    best, hint = base_share, None
    for label, func, offset in (("households", offset_to_wgs84, "gcj02"), ("households", offset_to_wgs84, "bd09"),
                                ("villages", wgs84_to_offset, "gcj02")):
        moved = gpd.GeoSeries(func(ll.values, offset), crs=4326).to_crs(points.crs)
        share = (assign_to_polygons(moved, villages.geometry) >= 0).mean()
        if share > best + 0.15:
            best, hint = share, (label, offset)
    if hint is None:
        return None
    return hint


def _check_coverage(project: Project) -> list[Problem]:
    if "households" not in project.layers or "villages" not in project.layers:
        return []
    hl, vl = project.layers["households"], project.layers["villages"]
    hh, vil = hl.gdf, vl.gdf
    out = []
    points = household_points(hh)
    idx = assign_to_polygons(points, vil.geometry)
    inside = idx >= 0
    outside = ~inside
    if outside.any():
        hint = None
        if outside.mean() > 0.2:
            try:
                hint = _offset_hint(points, vil, inside.mean())
            except Exception:  # a hint is optional; never let it hide the problem itself
                hint = None
        fix_zh = "把这些住户移到所属村内、扩展村界或删除它们"
        fix_en = "move them into a village, extend the village boundary, or remove them"
        if hint:
            role, offset = hint
            fix_zh += (f"；{ROLES[role].zh}图层的坐标看起来是 {offset.upper()}（高德/腾讯/百度偏移），"
                       f"请用 --crs-in {role}={offset} 重新导入")
            fix_en += (f"; the {role} look {offset.upper()} (AMap/Tencent/Baidu offset): import again "
                       f"with --crs-in {role}={offset}")
        n_hh = int(pd.to_numeric(hh["hh"], errors="coerce")[outside].fillna(0).sum())
        out.append(Problem(
            "error" if outside.mean() > 0.5 else "warning", "household_outside_villages",
            f"{int(outside.sum())} 个住户要素（{n_hh} 户）不在任何村（社区）范围内",
            f"{int(outside.sum())} household feature(s) ({n_hh} households) lie outside every village",
            fix_zh=fix_zh, fix_en=fix_en,
            features=_ids(hh, outside), bounds=_bounds(hh[outside]), **_where(hl)))
    # Villages with no households.
    empty = np.bincount(idx[inside], minlength=len(vil)) == 0
    if empty.any():
        names = vil.loc[empty, "name"].astype(str).tolist() if "name" in vil else []
        out.append(Problem(
            "warning", "village_without_households",
            f"{int(empty.sum())} 个村（社区）没有住户：{', '.join(names[:10])}",
            f"{int(empty.sum())} village(s) hold no households: {', '.join(names[:10])}",
            fix_zh="检查住户图层是否完整，或该村边界是否正确。",
            fix_en="check that the households layer is complete and the village boundary is right.",
            features=_ids(vil, empty), bounds=_bounds(vil[empty]), **_where(vl)))
    return out


def _check_villages(project: Project) -> list[Problem]:
    if "villages" not in project.layers:
        return []
    lyr = project.layers["villages"]
    vil = lyr.gdf
    out = []
    tree = shapely.STRtree(vil.geometry.values)
    left, right = tree.query(vil.geometry.values, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right) if i < j]
    overlaps = []
    for i, j in pairs:
        a = vil.geometry.iloc[i].intersection(vil.geometry.iloc[j]).area
        # Shared borders digitised twice give slivers; only real overlaps matter.
        if a > 100.0 and a > 1e-4 * min(vil.geometry.iloc[i].area, vil.geometry.iloc[j].area):
            overlaps.append((i, j, a))
    if overlaps:
        name = vil["name"].astype(str).tolist() if "name" in vil else [str(k) for k in range(len(vil))]
        listed = "; ".join(f"{name[i]}–{name[j]} {a:,.0f} m²" for i, j, a in overlaps[:10])
        idx = sorted({k for i, j, _ in overlaps for k in (i, j)})
        out.append(Problem(
            "warning", "overlapping_villages", f"{len(overlaps)} 对村（社区）边界互相重叠：{listed}",
            f"{len(overlaps)} pair(s) of villages overlap: {listed}",
            fix_zh="重叠区的住户会被算入两个村：在源数据中修正村界。",
            fix_en="households in an overlap would belong to two villages: correct the boundaries.",
            features=vil["src_id"].iloc[idx].tolist(), bounds=_bounds(vil.iloc[idx]), **_where(lyr)))
    if "name" in vil:
        missing = vil["name"].isna() | (vil["name"].astype(str).str.strip() == "")
        if missing.any():
            out.append(Problem(
                "warning", "village_without_name", f"{int(missing.sum())} 个村（社区）没有名称",
                f"{int(missing.sum())} village(s) have no name",
                fix_zh="补全名称，网格编号和报表需要它。", fix_en="add names; grid codes and reports use them.",
                field=lyr.columns_used.get("name"), features=_ids(vil, missing), **_where(lyr)))
        dup = vil["name"].notna() & vil["name"].duplicated(keep=False)
        if dup.any():
            out.append(Problem(
                "warning", "duplicate_village_name", f"{int(dup.sum())} 个村（社区）重名",
                f"{int(dup.sum())} villages share a name",
                fix_zh="重名会让报表混淆：加上乡镇名或区划代码区分。",
                fix_en="shared names confuse reports: add the township or the division code.",
                field=lyr.columns_used.get("name"), features=_ids(vil, dup), **_where(lyr)))
    return out


def _check_incidents(project: Project) -> list[Problem]:
    """警情: times that could not be read, no time column at all, and many records at one spot
    (addresses the system could not place often land on a default point: the station, the town)."""
    if "incidents" not in project.layers:
        return []
    lyr = project.layers["incidents"]
    gdf = lyr.gdf
    out = []
    tcol = lyr.columns_used.get("time")
    if not tcol:
        out.append(Problem(
            "warning", "incidents_without_time", "警情图层没有可识别的时间列：热点巡逻不设高发时段",
            "the incidents layer has no time column gridtool can read: hot-spot patrols get no peak-hour windows",
            fix_zh="用 --field incidents.time=列名 指定报警时间列（如 报警时间）。",
            fix_en="name the time column with --field incidents.time=COLUMN.", **_where(lyr)))
    elif "time" in gdf:
        src = tcol.replace(" (by content)", "")
        raw = gdf[src] if src in gdf else None
        bad = gdf["time"].isna()
        if raw is not None:
            bad &= raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            out.append(Problem(
                "warning", "incident_time_unreadable", f"{int(bad.sum())} 条警情的时间无法识别，不计入高发时段",
                f"{int(bad.sum())} incident time(s) cannot be read; left out of the peak hours",
                fix_zh="写成 2024-03-05 21:34 或 2024/3/5 21:34 等格式。",
                fix_en="write them as 2024-03-05 21:34 or 2024/3/5 21:34.", field=src,
                features=_ids(gdf, bad), **_where(lyr)))
    if len(gdf) >= 20:
        xy = pd.Series(list(zip(gdf.geometry.x.round(1), gdf.geometry.y.round(1))))
        top = xy.value_counts()
        if len(top) and top.iloc[0] >= max(5, 0.1 * len(gdf)):
            same = (xy == top.index[0]).to_numpy()
            out.append(Problem(
                "warning", "incidents_stacked", f"{int(top.iloc[0])} 条警情（{top.iloc[0] / len(gdf):.0%}）坐标完全相同，"
                "可能是地址未能定位而落在默认位置",
                f"{int(top.iloc[0])} incidents ({top.iloc[0] / len(gdf):.0%}) share one position: probably "
                "addresses that could not be located, placed at a default point",
                fix_zh="核对这些警情的地址坐标；否则该处会被当作热点。",
                fix_en="check these records' coordinates, or that spot will look like a hot spot.",
                features=_ids(gdf, same), bounds=_bounds(gdf[same]), **_where(lyr)))
    return out


def validate(project: Project, *, repair: bool = True) -> list[Problem]:
    """Check the whole project and return every problem found (also stored in ``project.problems``).

    Parameters
    ----------
    project
        A loaded project; its layers are repaired in place when ``repair`` is true.
    """
    problems: list[Problem] = []
    for lyr in project.layers.values():
        problems.extend(lyr.problems)
    if "households" not in project.layers:
        problems.append(Problem(
            "error", "missing_households", "项目没有住户图层", "the project has no households layer",
            fix_zh="用 --households 传入住户点或住宅建筑。",
            fix_en="give household points or residential buildings with --households."))
    if "villages" not in project.layers:
        problems.append(Problem(
            "warning", "missing_villages", "项目没有村（社区）边界图层，网格将无法按村划分",
            "the project has no villages layer; grids cannot nest in villages",
            fix_zh="用 --villages 传入村（社区）边界。", fix_en="give village boundaries with --villages."))
    if repair:
        problems.extend(repair_geometries(project))
    if "households" in project.layers:
        problems.extend(_check_households(project))
    problems.extend(_check_duplicate_ids(project))
    problems.extend(_check_strays(project))
    far = _far_apart(project)
    problems.extend(far)
    problems.extend(_check_villages(project))
    problems.extend(_check_incidents(project))
    if not far:
        problems.extend(_check_coverage(project))
    project.problems = problems
    return problems
