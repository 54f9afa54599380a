"""Checking a project's data before partitioning: every problem at once, each with where and a fix.

Errors must be fixed before grids are drawn (a household count that is not a number, layers in
different places); warnings are worth a look (a household outside every village, a geometry that
was repaired). Invalid geometries are repaired here with ``make_valid`` and listed, so that the
engines can rely on valid shapes.

Some errors make every count after them wrong — a roster pasted twice, identical rows, one ID
number on two households, a count that is not a number or is absurd (1e12), a village of millions.
:func:`partition_blockers` finds those; the partition engine refuses to run while any remains
(:class:`BlockingDataError`, exit 2), instead of counting households twice or running forever.
Limits (households per point and per village, whether duplicates are errors) come from
:mod:`gridtool.limits`.
"""

from __future__ import annotations

from pathlib import Path

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import limits
from .columns import find_column
from .crs import offset_to_wgs84, robust_bounds, wgs84_to_offset
from .errors import GridtoolError, feature_id_zh, rows_span
from .incidents import yearless
from .io.excel_sheets import SHEET_COLUMN
from .maps.privacy import mask_value
from .offset_fit import check_offsets
from .problems import Problem
from .personal import is_record_number_header
from .plurals import count_en, plural_en
from .project import Project
from .roles import ROLES, geometry_family
from .spatial import assign_to_polygons, first_containing, household_points

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
        # A village of (almost) no area: its points lay on a line, which reprojection bent into a
        # valid sliver. It has no areal form either: dropped, loudly, like an invalid one.
        sliver = None
        if lyr.role == "villages" and project.crs is not None and project.crs.is_projected:
            sliver = _sliver(gdf.geometry)
            invalid |= sliver
        if not invalid.any():
            continue
        family = ROLES[lyr.role].geometry
        # "structure": overlapping parts of a multipolygon are joined (a village drawn in two
        # overlapping pieces keeps the area of both), where "linework" would cut the overlap out.
        fixed = [_keep(g, family) for g in shapely.make_valid(gdf.geometry[invalid].values, method="structure",
                                                              keep_collapsed=False)]
        if "Point" in family:
            # A building drawn with no area still holds its households (and its place in a grid):
            # it is kept as the point in the middle of its outline, not dropped.
            fixed = [g if g is not None and not g.is_empty else shapely.points(shapely.get_coordinates(o).mean(axis=0))
                     for g, o in zip(fixed, gdf.geometry[invalid].values)]
        # A polygon with no area (all points on a line) has no valid areal form: drop it, loudly.
        lost = np.array([g is None or g.is_empty for g in fixed])
        if sliver is not None:
            lost |= sliver[invalid].to_numpy() & _sliver(gpd.GeoSeries(fixed, index=gdf.index[invalid])).to_numpy()
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
            lyr.problems.append(problems[-1])  # kept with the layer: a later validate still says so
        if lost.any():
            problems.append(Problem(
                "error", "degenerate_geometry",
                f"{int(lost.sum())} 个要素的几何退化（如面积为零的面），无法修复，已移除",
                f"{count_en(int(lost.sum()), 'feature')} {plural_en(int(lost.sum()), 'has')} degenerate geometry (e.g. a polygon "
                "with no area) that cannot be repaired; removed",
                fix_zh="在源数据中重新绘制这些要素。", fix_en="redraw these features in the source data.",
                features=gdf.loc[idx[lost], "src_id"].tolist(), bounds=_bounds(gdf.loc[idx[lost]]),
                **_where(lyr)))
            lyr.problems.append(problems[-1])
            lyr.gdf = gdf.drop(index=idx[lost]).reset_index(drop=True)
    return problems


def _sliver(geoms: gpd.GeoSeries) -> pd.Series:
    """Polygons with (almost) no area: under 1 m², or so thin that 4πA/P² < 1e-4 (a real village,
    even a long one along a river, is above 1e-2)."""
    area = geoms.area.fillna(0.0)
    perim = geoms.length.fillna(0.0)
    return (area < 1.0) | (4 * np.pi * area < 1e-4 * perim ** 2)


def _keep(geom, family: tuple[str, ...]):
    """The part of a repaired geometry that fits the role (make_valid may add slivers of lines)."""
    if geometry_family(geom.geom_type) in family:
        return geom
    parts = [g for g in getattr(geom, "geoms", [geom]) if geometry_family(g.geom_type) in family]
    return shapely.union_all(parts) if parts else None


def _check_households(project: Project) -> list[Problem]:
    return _household_count_problems(project.layers["households"])


def _household_count_problems(lyr) -> list[Problem]:
    gdf = lyr.gdf
    field = lyr.columns_used.get("hh") or "hh"
    lim = limits.current()
    out = []
    hh = pd.to_numeric(gdf["hh"], errors="coerce")
    bad = hh.isna()
    if bad.any():
        # Formulas saved without results (a system's export) read as empty: the cells are not empty in Excel.
        formulas = any(p.code == "excel_uncalculated" and field in str(p.field or "").split(",")
                       for p in lyr.problems)
        out.append(Problem(
            "error", "hh_not_numeric", f"{int(bad.sum())} 个住户要素的户数为空或不是数字",
            f"{count_en(int(bad.sum()), 'household feature')} {plural_en(int(bad.sum()), 'has')} an empty or non-numeric household count",
            fix_zh=(f"“{field}”列是没有计算结果的公式：在 Excel 或 WPS 中打开并保存一次后再导入。" if formulas
                    else f"在“{field}”列填入整数户数（≥1）。"),
            fix_en=(f"column {field!r} holds formulas saved without results: open and save the file once in Excel "
                    "or WPS, then import again." if formulas else f"enter a whole number ≥ 1 in column {field!r}."),
            field=field, features=_ids(gdf, bad), bounds=_bounds(gdf[bad]), **_where(lyr)))
    inf = np.isinf(hh)
    if inf.any():
        out.append(Problem(
            "error", "hh_not_finite", f"{int(inf.sum())} 个住户要素的户数是无穷大（inf 或超出范围的数）",
            f"{count_en(int(inf.sum()), 'household feature')} {plural_en(int(inf.sum()), 'has')} an infinite household count (inf, or a number too "
            "large to hold)",
            fix_zh=f"在“{field}”列填入实际户数。", fix_en=f"enter the real count in column {field!r}.",
            field=field, features=_ids(gdf, inf), bounds=_bounds(gdf[inf]), **_where(lyr)))
    neg = hh < 0
    if neg.any():
        out.append(Problem(
            "error", "hh_not_positive", f"{int(neg.sum())} 个住户要素的户数为负数",
            f"{count_en(int(neg.sum()), 'household feature')} {plural_en(int(neg.sum()), 'has')} a negative household count",
            fix_zh=f"“{field}”列的户数应 ≥ 1；无人居住的建筑请从住户图层删除。",
            fix_en=f"counts in {field!r} must be ≥ 1; remove uninhabited buildings from the layer.",
            field=field, features=_ids(gdf, neg), bounds=_bounds(gdf[neg]), **_where(lyr)))
    zero = hh == 0
    if zero.any():
        out.append(Problem(
            "warning", "hh_zero", f"{int(zero.sum())} 个住户要素的户数为 0，不计入任何网格",
            f"{count_en(int(zero.sum()), 'household feature')} {plural_en(int(zero.sum()), 'has')} a count of 0 and count towards no grid",
            fix_zh="无人居住的建筑请从住户图层删除；否则填入实际户数。",
            fix_en="remove uninhabited buildings from the layer, or enter their real counts.",
            field=field, features=_ids(gdf, zero), bounds=_bounds(gdf[zero]), **_where(lyr)))
    absurd = np.isfinite(hh) & (hh > lim.hh_per_point)
    if absurd.any():
        top = float(hh[absurd].max())
        out.append(Problem(
            "error", "hh_absurd",
            f"{int(absurd.sum())} 个住户要素的户数超过每点 {lim.hh_per_point:,.0f} 户的上限（最大 {top:,.0f}），"
            "很可能录入有误",
            f"{count_en(int(absurd.sum()), 'household feature')} {plural_en(int(absurd.sum()), 'holds', 'hold')} more than "
            f"{count_en(lim.hh_per_point, 'household', spec=',.0f')} each "
            f"(the largest {top:,.0f}): most likely a typing or unit mistake",
            fix_zh=f"改正“{field}”列的这些数；若确有这么多户，用 --limit hh_per_point=数值 提高上限。",
            fix_en=f"correct these counts in {field!r}; if they are real, raise the limit with "
                   "--limit hh_per_point=N.",
            field=field, features=_ids(gdf, absurd), bounds=_bounds(gdf[absurd]), **_where(lyr)))
    frac = hh.notna() & np.isfinite(hh) & (hh >= 1) & (hh != hh.round())
    if frac.any():
        out.append(Problem(
            "warning", "hh_not_integer", f"{int(frac.sum())} 个住户要素的户数不是整数，计算时四舍五入",
            f"{count_en(int(frac.sum()), 'household count')} {plural_en(int(frac.sum()), 'is')} not whole numbers; "
            "they are rounded",
            fix_zh="检查这些户数是否录入有误。", fix_en="check these counts for typing mistakes.",
            field=field, features=_ids(gdf, frac), **_where(lyr)))
    return out


# Columns that gridtool adds; two rows that differ only in these are still the same source row.
_DERIVED = ("src_id", "grid", "grid_parts", "subgrid", "subgrid_parts", "special", "special_grid", "link", "party_link")


def _row_hashes(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """One 64-bit hash per row over every source column and the geometry."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name and c not in _DERIVED]
    if SHEET_COLUMN in gdf:
        # A workbook read sheet by sheet: a sheet copied in Excel (石桥村 → 石桥村 (2)) repeats its
        # rows under another sheet name, and under another village when the sheets name them.
        from_sheet = "village" in gdf and gdf["village"].astype(str).equals(gdf[SHEET_COLUMN].astype(str))
        cols = [c for c in cols if c != SHEET_COLUMN and not (from_sheet and c == "village")]
    frame = pd.DataFrame({c: gdf[c].astype(str) if gdf[c].dtype == object else gdf[c] for c in cols},
                         index=pd.RangeIndex(len(gdf)))
    geom = gdf.geometry.values
    if len(gdf) and (gdf.geom_type == "Point").all():
        xy = shapely.get_coordinates(geom)
        frame["__x"], frame["__y"] = xy[:, 0], xy[:, 1]
    else:
        # Raw WKB bytes (pandas hashes bytes as they are): the same rows are equal as with hex
        # text, at a fifth of the cost on a county's buildings.
        frame["__wkb"] = shapely.to_wkb(geom)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _check_duplicate_rows(lyr) -> tuple[list[Problem], np.ndarray]:
    """Rows that repeat earlier rows exactly: whole blocks pasted again (``roster_repeated``) and
    single repeats (``duplicate_rows``). Returns the problems and the mask of repeated rows."""
    gdf = lyr.gdf
    n = len(gdf)
    if n < 2:
        return [], np.zeros(n, dtype=bool)
    h = _row_hashes(gdf)
    pos = np.arange(n)
    first = pd.Series(pos).groupby(h).transform("min").to_numpy()
    rep = first != pos
    if not rep.any():
        return [], rep
    ids = gdf["src_id"].astype(str).to_numpy() if "src_id" in gdf else np.array([f"FID {i}" for i in pos])
    sev = "error" if limits.current().duplicates == "error" else "warning"
    out: list[Problem] = []
    # Runs of consecutive repeated rows that repeat consecutive earlier rows, in the same order.
    r = pos[rep]
    shift = r - first[rep]
    brk = np.flatnonzero((np.diff(r) != 1) | (np.diff(shift) != 0)) + 1
    runs = [(seg[0], seg[-1]) for seg in np.split(r, brk)]
    min_run = 10  # ten rows in a row that repeat ten earlier rows in order: pasted, not a coincidence
    pasted = [(a, b) for a, b in runs if b - a + 1 >= min_run]
    in_block = np.zeros(n, dtype=bool)
    if pasted:
        parts_zh, parts_en = [], []
        for a, b in pasted[:6]:
            fa, fb = first[a], first[b]
            parts_zh.append(f"{rows_span(ids[a], ids[b])}重复了{rows_span(ids[fa], ids[fb])}")
            parts_en.append(f"{rows_span(ids[a], ids[b], 'en')} repeat {rows_span(ids[fa], ids[fb], 'en')}")
            in_block[a:b + 1] = True
        hh_twice = pd.to_numeric(gdf["hh"], errors="coerce")[in_block].fillna(0).sum() if "hh" in gdf else 0
        more = f"（另有 {len(pasted) - 6} 段）" if len(pasted) > 6 else ""
        out.append(Problem(
            sev, "roster_repeated",
            f"名单被重复粘贴了 {len(pasted)} 次：" + "；".join(parts_zh) + more
            + f"，这些行的 {hh_twice:,.0f} 户会被重复计数",
            f"the roster was pasted {len(pasted) + 1} times: " + "; ".join(parts_en)
            + f"; their {count_en(hh_twice, 'household', spec=',.0f')} would be counted more than once",
            fix_zh="删除重复粘贴的行后重新导入（Excel 中选中这些行删除）；如果它们确是不同的住户，请加一列区分"
                   "（如门牌号、户主姓名）。",
            fix_en="delete the rows pasted again and import once more; if they really are different households, "
                   "add a column that tells them apart (house number, householder).",
            features=ids[in_block].tolist(), bounds=_bounds(gdf[in_block]), **_where(lyr)))
    single = rep & ~in_block
    if single.any():
        where = np.flatnonzero(single)
        order = pd.unique(first[where])
        parts_zh, parts_en = [], []
        for g in order[:6]:
            reps = where[first[where] == g]
            if len(reps) == 1:
                parts_zh.append(f"{feature_id_zh(ids[reps[0]])} = {feature_id_zh(ids[g])}")
                parts_en.append(f"{ids[reps[0]]} = {ids[g]}")
            else:
                seq = (np.diff(reps) == 1).all()
                listed = rows_span(ids[reps[0]], ids[reps[-1]], "en") if seq else \
                    ", ".join(str(ids[i]) for i in reps[:3]) + (" …" if len(reps) > 3 else "")
                listed_zh = rows_span(ids[reps[0]], ids[reps[-1]]) if seq else \
                    "、".join(feature_id_zh(ids[i]) for i in reps[:3]) + ("…" if len(reps) > 3 else "")
                parts_zh.append(f"{feature_id_zh(ids[g])} 又出现 {len(reps)} 次（{listed_zh}）")
                parts_en.append(f"{ids[g]} repeated {count_en(len(reps), 'time')} ({listed})")
        groups = len(order)
        more_zh = f"；另 {groups - 6} 组" if groups > 6 else ""
        more_en = f"; {count_en(groups - 6, 'more group')}" if groups > 6 else ""
        out.append(Problem(
            sev, "duplicate_rows",
            f"{int(single.sum())} 行与前面的行完全相同（{groups} 组），会被重复计数：" + "；".join(parts_zh) + more_zh,
            f"{count_en(int(single.sum()), 'row')} "
            f"{plural_en(int(single.sum()), 'is an exact copy of an earlier row', 'are exact copies of earlier rows')} "
            f"({count_en(groups, 'group')}) and would be "
            "counted again: " + "; ".join(parts_en) + more_en,
            fix_zh="删除重复的行；若确是同一栋楼里的不同住户，合并为一行并在户数列填总户数，或加一列区分（如门牌号）。"
                   "若要把它们都计入，可加 --limit duplicates=warning。",
            fix_en="delete the repeated rows; if they are different households in one building, merge them into "
                   "one row with the total count, or add a column that tells them apart (house number). To count "
                   "them all anyway, add --limit duplicates=warning.",
            features=sorted(set(ids[single].tolist()) | set(ids[first[single]].tolist()), key=_row_order),
            bounds=_bounds(gdf[single]), **_where(lyr)))
    return out, rep


def _row_order(label: str):
    s = str(label)
    tail = s.rsplit(" ", 1)[-1]
    return (0, int(tail), s) if tail.isdigit() else (1, 0, s)


#: What a shared ID does, by layer: the fix of :func:`_check_duplicate_ids`.
_DUPLICATE_FIX = {
    "households": ("同一编号的住户会被重复计数：删除重复行或改正编号。",
                   "households with one ID are counted twice: delete the repeated rows or correct the IDs."),
    "incidents": ("这些行编号相同但时间或地点不同，各按一条警情计入热点和统计（时间、地点都相同的重复行已合并）："
                  "若是同一警情，在原表中删除多余的行；若是不同警情，改正编号。",
                  "these rows share a number but differ in time or place, so each counts as an incident in hot "
                  "spots and figures (rows with the same time and place were merged): if they are one call, delete "
                  "the extra rows in the table; if different calls, correct the numbers."),
    None: ("同一编号的要素会被重复计算：删除重复行或改正编号。",
           "features with one ID are counted twice: delete the repeated rows or correct the IDs."),
}


def _check_duplicate_ids(project: Project, repeated: dict | None = None) -> list[Problem]:
    """One ID on several features: the layer's ID column, and for layers about people the columns
    of ID-card numbers (身份证号). Rows that repeat a whole earlier row are reported as such and
    left out here."""
    out = []
    for role, lyr in project.layers.items():
        cols = []
        col = find_column([c for c in lyr.gdf.columns if c not in ("src_id", "osm_id")], "id")
        if col is None and role == "incidents":  # a 110 export keys its calls by 警情编号/接警编号
            col = next((c for c in lyr.gdf.columns if is_record_number_header(c)), None)
        if col is not None:
            cols.append(col)
        given = (lyr.columns_used or {}).get("id")  # --field households.id=宗地代码: the features' own ids
        if given in lyr.gdf and given not in cols:
            cols.append(given)
        # One caller's ID card on many 110 calls is normal; one person's on two households is not.
        if ROLES.get(role) is not None and ROLES[role].personal and role != "incidents":
            cols += [c for c, kind in (lyr.sensitive or {}).items() if kind == "id_number" and c in lyr.gdf
                     and c not in cols]
        skip = (repeated or {}).get(role)
        for col in cols:
            values = lyr.gdf[col]
            text = values.astype(str).str.strip()
            present = values.notna() & (text != "") & (text.str.lower() != "nan")
            if skip is not None and len(skip) == len(values):
                present &= ~skip
            dup = present & text.where(present).duplicated(keep=False) & present
            if not dup.any():
                continue
            sev = "error" if role == "households" else "warning"
            fix_zh, fix_en = _DUPLICATE_FIX.get(role, _DUPLICATE_FIX[None])
            shared = text[dup].value_counts()
            rows_of = {v: lyr.gdf.loc[dup & (text == v), "src_id"].head(4).astype(str).tolist()
                       for v in shared.index[:3]} if "src_id" in lyr.gdf else {}
            # An ID-card number is personal data: the console, the app and the saved project show it masked.
            kind = (lyr.sensitive or {}).get(col)
            shown = {v: mask_value(v, kind) if kind else v for v in rows_of}
            example = "；".join(f"{shown[v]}：" + "、".join(feature_id_zh(r) for r in rows) for v, rows in rows_of.items())
            example_en = "; ".join(f"{shown[v]}: " + ", ".join(rows) for v, rows in rows_of.items())
            if _rounded_by_excel(values[dup]):
                fix_zh = (f"“{col}”是超过 15 位的数字，Excel 只保留 15 位有效数字、其后各位被改写，不同的编号因此变得相同："
                          f"在 Excel 中先把该列设为文本格式，再从原始数据重新填入完整编号后导入。")
                fix_en = (f"{col!r} holds numbers of more than 15 digits: Excel keeps 15 significant digits and rewrites "
                          "the rest, so different IDs became one. Format the column as text in Excel, "
                          "enter the full IDs again from the source data and import again.")
            out.append(Problem(
                sev, "duplicate_id", f"“{col}”列有 {int(dup.sum())} 个要素共用 {len(shared)} 个编号（{example}）",
                f"{count_en(int(dup.sum()), 'feature')} share {count_en(len(shared), 'ID')} in column {col!r} ({example_en})",
                fix_zh=fix_zh, fix_en=fix_en,
                field=col, features=_ids(lyr.gdf, dup), bounds=_bounds(lyr.gdf[dup]), **_where(lyr)))
    return out


def _rounded_by_excel(values: pd.Series) -> bool:
    """IDs that went through a float (19-digit 宗地代码, 18-digit 身份证号 typed into Excel as
    numbers): 16 digits or more, and each exactly a float's value (5001540060010999808), which a
    code with all its digits almost never is."""
    def through_float(v) -> bool:
        if isinstance(v, (float, np.floating)):
            return bool(np.isfinite(v)) and abs(v) >= 1e15
        text = str(v).strip().removesuffix(".0")
        if not re.fullmatch(r"\d{16,}", text):
            return False
        return int(float(text)) == int(text)
    return bool(len(values)) and bool(values.map(through_float).all())


def _village_totals(hh: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, points=None) -> tuple[np.ndarray, np.ndarray]:
    """The village of each household feature (-1: none) and the households of each village.
    ``points``: :func:`household_points` of ``hh`` when the caller has them already (a point
    inside every building of a county is a few tenths of a second)."""
    pts = points if points is not None and len(points) == len(hh) else household_points(hh).values
    idx = first_containing(np.asarray(pts, dtype=object), np.asarray(villages.geometry.values, dtype=object))
    counts = pd.to_numeric(hh["hh"], errors="coerce").to_numpy(dtype=float)
    counts = np.where(np.isfinite(counts) & (counts > 0), counts, 0.0)
    inside = idx >= 0
    totals = np.bincount(idx[inside], weights=counts[inside], minlength=len(villages))
    return idx, totals


def _check_village_size(project: Project, totals: np.ndarray | None = None, points=None) -> list[Problem]:
    if "households" not in project.layers or "villages" not in project.layers:
        return []
    vl = project.layers["villages"]
    if totals is None:
        _, totals = _village_totals(project.layers["households"].gdf, vl.gdf, points=points)
    lim = limits.current().hh_per_village
    big = totals > lim
    if not big.any():
        return []
    names = vl.gdf["name"].astype(str).tolist() if "name" in vl.gdf else [str(i) for i in range(len(totals))]
    listed = "、".join(f"{names[i]}（{totals[i]:,.0f} 户）" for i in np.flatnonzero(big)[:5])
    listed_en = ", ".join(f"{names[i]} ({totals[i]:,.0f})" for i in np.flatnonzero(big)[:5])
    hl = project.layers["households"]
    col = hl.columns_used.get("hh", "hh")
    src = Path(str(hl.source).split("!")[0]).name if hl.source else ""
    where_zh = f"（{src} 的“{col}”列）" if src else f"（“{col}”列）"
    where_en = f" ({col!r} in {src})" if src else f" ({col!r})"
    return [Problem(
        "error", "village_too_large",
        f"{int(big.sum())} 个村（社区）的户数超过 {lim:,.0f} 户的上限：{listed}；很可能户数列{where_zh}或村界有误",
        f"{count_en(int(big.sum()), 'village')} {plural_en(int(big.sum()), 'holds', 'hold')} more than "
        f"{count_en(lim, 'household', spec=',.0f')}: {listed_en}; most likely the count "
        f"column{where_en} or the village boundaries are wrong",
        fix_zh="检查户数列（是否把人口数、面积当作了户数）和村界图层；若确实如此，用 --limit hh_per_village=数值 提高上限。",
        fix_en="check the count column (population or area taken for households?) and the village layer; if it is "
               "real, raise the limit with --limit hh_per_village=N.",
        features=vl.gdf.loc[big, "src_id"].tolist() if "src_id" in vl.gdf else [], bounds=_bounds(vl.gdf[big]),
        **_where(vl))]


def _check_village_count(project: Project) -> list[Problem]:
    """More villages than one run is for (a city has about 10,000): the batch is the way, and a
    layer of mostly one-household "villages" is probably buildings or parcels given as villages."""
    vl, hl = project.layers["villages"], project.layers["households"]
    n = len(vl.gdf)
    lim = limits.current().villages_per_run
    if n <= lim:
        return []
    hh = pd.to_numeric(hl.gdf["hh"], errors="coerce")
    mean = float(hh[np.isfinite(hh)].clip(lower=0).sum()) / max(n, 1)
    hint_zh = f"；平均每村只有 {mean:.1f} 户，村界图层可能是建筑或地块" if mean < 5 else ""
    hint_en = (f"; they hold {mean:.1f} households on average: the villages layer may be buildings or parcels"
               if mean < 5 else "")
    return [Problem(
        "error", "too_many_villages", f"{n:,} 个村（社区）超过单次划分 {lim:,} 个的上限{hint_zh}",
        f"{count_en(n, 'village')} are more than one partition run takes ({lim:,}){hint_en}",
        fix_zh="检查 --villages 是否选对了图层；全市规模请用批量划分：gridtool partition 项目.gpkg --by township "
               "--out-dir 输出文件夹（可加 --workers N）。若确需一次划分，用 --limit villages_per_run=数值。",
        fix_en="check that --villages is the right layer; for a whole city use the batch: gridtool partition "
               "PROJECT.gpkg --by township --out-dir DIR (with --workers N). To run it at once anyway, raise "
               "--limit villages_per_run=N.", **_where(vl))]


def _check_dem(project: Project) -> list[Problem]:
    """An elevation model that does not cover the data (a tile 10° away) is named, not used silently."""
    dem = project.dem
    ref = project.layers.get("households") or project.layers.get("villages")
    if dem is None or ref is None or not len(ref.gdf):
        return []
    pts = household_points(ref.gdf)
    pts = pts.iloc[:: max(1, len(pts) // 2000)]
    try:
        xy = pts.to_crs(dem.crs) if pts.crs is not None else pts
        z = dem.sample(xy.x.to_numpy(), xy.y.to_numpy())
    except Exception:  # noqa: BLE001 - a DEM that cannot even be sampled here does not cover the data
        z = np.full(len(pts), np.nan)
    share = float(np.isfinite(z).mean()) if len(z) else 0.0
    source = str(project.parameters.get("dem_source") or getattr(dem, "source", "") or "")
    sunk, lowest = getattr(dem, "below_land", (0, 0.0))
    below = []
    if sunk:
        below = [Problem(
            "warning", "dem_below_land", f"高程模型有 {sunk:,} 个栅格低于 -500 米（最低 {lowest:,.0f} 米），不是地面高程，"
            "已按空洞处理（多为重采样时空洞值 -32768 未设为无数据）",
            f"{count_en(sunk, 'cell')} of the elevation model {plural_en(sunk, 'lies', 'lie')} below -500 m (lowest {lowest:,.0f} m): no land is that "
            "low, so they are treated as voids (usually voids of -32768 resampled without being set as nodata)",
            fix_zh="重新导出高程数据时把 -32768 设为无数据（QGIS：栅格 → 转换 → 转换格式，指定无数据值）。",
            fix_en="export the DEM again with -32768 set as nodata (e.g. gdalwarp -srcnodata -32768).",
            role="dem", file=source or None)]
    return below + _dem_cover(share, source)


def _dem_cover(share: float, source: str) -> list[Problem]:
    """The problem of a DEM covering no household or only some of them."""
    if share == 0.0:
        return [Problem(
            "error", "dem_outside_data", "高程模型不覆盖任何住户（可能是别处的图幅或坐标系有误），不会被使用",
            "the elevation model covers none of the households (a tile of somewhere else, or a CRS mistake); "
            "it is not used", fix_zh="换用覆盖本乡镇的高程数据（如 SRTM 图幅名应与经纬度相符），或用 --crs-in 声明其坐标系。",
            fix_en="use a DEM that covers the township (an SRTM tile's name gives its latitude/longitude), or "
                   "declare its CRS.", role="dem", file=source or None)]
    if share < 0.9:
        return [Problem(
            "warning", "dem_partial", f"高程模型只覆盖 {share:.0%} 的住户", f"the elevation model covers only "
            f"{share:.0%} of the households", fix_zh="补充相邻图幅，或换用覆盖整个乡镇的高程数据。",
            fix_en="add the neighbouring tiles, or use a DEM that covers the whole township.", role="dem",
            file=source or None)]
    return []


class BlockingDataError(GridtoolError):
    """Data errors that would make the partition count wrong or never end; fix them first."""


#: Problem codes that stop a partition: with them every household total after would be wrong.
BLOCKING = ("hh_not_numeric", "hh_not_finite", "hh_not_positive", "hh_absurd", "roster_repeated", "duplicate_rows",
            "duplicate_id", "village_too_large", "layers_far_apart", "too_many_villages")


def partition_blockers(project, *, points=None) -> list[Problem]:
    """The errors among :data:`BLOCKING` in ``project`` (a Project, or ``{role: GeoDataFrame}``
    as the engine takes): households counts, repeated rows and IDs, village sizes, and
    households and villages far apart. Cheap enough to run before every partition. ``points``:
    one point per household feature, in row order, when the caller has made them."""
    from .layers import Layer
    if not isinstance(project, Project):
        layers = {r: (g if isinstance(g, Layer) else Layer(role=r, gdf=g)) for r, g in project.items()
                  if g is not None and r in ("households", "villages")}
        project = Project(layers=layers)
    if "households" not in project.layers or "hh" not in project.layers["households"].gdf:
        return []
    hl = project.layers["households"]
    found = _household_count_problems(hl)
    dups, rep = _check_duplicate_rows(hl)
    found += dups
    ids = Project(layers={"households": hl})
    found += _check_duplicate_ids(ids, {"households": rep})
    if "villages" in project.layers and len(project.layers["villages"].gdf) and len(hl.gdf):
        far = [p for p in _far_apart(Project(layers={"households": hl, "villages": project.layers["villages"]}))]
        found += far
        if not far:
            found += _check_village_size(project, points=points)
        found += _check_village_count(project)
    return [p for p in found if p.severity == "error" and p.code in BLOCKING]


def check_partition_ready(project, *, points=None) -> None:
    """Raise :class:`BlockingDataError` listing every blocking error (see :func:`partition_blockers`)."""
    found = partition_blockers(project, points=points)
    if not found:
        return
    lines_zh = [p.format("zh").splitlines()[0] for p in found[:8]]
    lines_en = [p.format("en").splitlines()[0] for p in found[:8]]
    fixes_zh = "；".join(dict.fromkeys(p.fix_zh for p in found if p.fix_zh))
    fixes_en = " ".join(dict.fromkeys(p.fix_en for p in found if p.fix_en))
    raise BlockingDataError(
        f"数据有 {len(found)} 个错误，会使户数统计出错或无法划分，改正前不划分网格：\n  " + "\n  ".join(lines_zh),
        f"the data have {count_en(len(found), 'error')} that would make the household counts wrong or the partition "
        "impossible; no grids are drawn until they are fixed:\n  " + "\n  ".join(lines_en),
        fix_zh=fixes_zh + "（gridtool validate 列出全部问题。）", fix_en=fixes_en + " (gridtool validate lists them all.)")


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
                f"{count_en(int(far.sum()), 'feature')} {plural_en(int(far.sum()), 'lies', 'lie')} more than {limit / 1000:.0f} km from the rest of the layer: "
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
            a = Path(str(lyr.source).split("!")[0]).name if lyr.source else role
            b = (Path(str(project.layers[ref_role].source).split("!")[0]).name
                 if project.layers[ref_role].source else ref_role)
            out.append(Problem(
                "error", "layers_far_apart",
                f"“{ROLES[role].zh}”图层（{a}）与“{ROLES[ref_role].zh}”图层（{b}）相距 {gap / 1000:.0f} 公里，"
                "很可能其中一个的坐标系或坐标有误",
                f"the {role} layer ({a}) lies {gap / 1000:.0f} km from the {ref_role} layer ({b}): most likely a "
                "coordinate system or coordinate mistake in one of them",
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
            f"{count_en(int(outside.sum()), 'household feature')} ({count_en(n_hh, 'household')}) "
            f"{plural_en(int(outside.sum()), 'lies', 'lie')} outside every village",
            fix_zh=fix_zh, fix_en=fix_en,
            features=_ids(hh, outside), bounds=_bounds(hh[outside]), **_where(hl)))
    # Villages with no households.
    empty = np.bincount(idx[inside], minlength=len(vil)) == 0
    if empty.any():
        names = vil.loc[empty, "name"].astype(str).tolist() if "name" in vil else []
        out.append(Problem(
            "warning", "village_without_households",
            f"{int(empty.sum())} 个村（社区）没有住户：{', '.join(names[:10])}",
            f"{count_en(int(empty.sum()), 'village')} {plural_en(int(empty.sum()), 'holds', 'hold')} no households: {', '.join(names[:10])}",
            fix_zh="检查住户图层是否完整，或该村边界是否正确。",
            fix_en="check that the households layer is complete and the village boundary is right.",
            features=_ids(vil, empty), bounds=_bounds(vil[empty]), **_where(vl)))
    out.extend(_check_roster_village(hl, vl, idx))
    return out


_COMMITTEE = re.compile(r"(村民委员会|居民委员会|村委会|居委会|工作站)$")


def _name_key(text: str) -> str:
    """A village name as rosters and boundary layers both write it: no spaces, no committee suffix."""
    return _COMMITTEE.sub("", re.sub(r"\s+", "", str(text)))


def _check_roster_village(hl, vl, idx: np.ndarray) -> list[Problem]:
    """Households whose village column names another village than the one they lie in.

    A roster's 所属村 is read as a column (the summary says so), but grids follow where each
    household *is*: a household typed into the wrong village, or placed at the wrong spot, would
    otherwise be counted in the other village's grids without a word. The village column matches
    when it is the village's name or code, or one contains the other (``龙凤桥街道群兴村``,
    ``群兴村民委员会``)."""
    hh, vil = hl.gdf, vl.gdf
    if "village" not in hh or "name" not in vil or not len(hh):
        return []
    field = hl.columns_used.get("village") or "village"
    given = hh["village"].to_numpy(dtype=object)
    inside = np.flatnonzero((idx >= 0) & pd.notna(given) & (pd.Series(given).astype(str).str.strip() != "").to_numpy())
    if not len(inside):
        return []
    names = vil["name"].astype(str).to_numpy()
    codes = vil["code"].astype(str).to_numpy() if "code" in vil else np.full(len(vil), "", dtype=object)
    pairs = pd.DataFrame({"given": pd.Series(given[inside]).astype(str).str.strip().to_numpy(), "v": idx[inside]})
    ok = {}
    for g, v in pairs.drop_duplicates().itertuples(index=False):  # few distinct (value, village) pairs
        a, b = _name_key(g), _name_key(names[v])
        ok[(g, v)] = bool(a) and (a == b or g == codes[v] or (len(b) >= 2 and b in a) or (len(a) >= 2 and a in b))
    bad_rows = inside[[not ok[(g, v)] for g, v in pairs.itertuples(index=False)]]
    if not len(bad_rows):
        return []
    mask = np.zeros(len(hh), dtype=bool)
    mask[bad_rows] = True
    ids = _ids(hh, mask)
    ex = [(ids[i], str(given[r]).strip(), names[idx[r]]) for i, r in enumerate(bad_rows[:3])]
    ex_zh = "；".join(f"{feature_id_zh(f)}写“{g}”，位于“{n}”" for f, g, n in ex)
    ex_en = "; ".join(f"{f} says {g!r}, lies in {n!r}" for f, g, n in ex)
    n_hh = int(pd.to_numeric(hh["hh"], errors="coerce").to_numpy()[bad_rows].clip(min=0).sum())
    return [Problem(
        "warning", "household_village_differs",
        f"{len(bad_rows)} 个住户要素（{n_hh:,} 户）的“{field}”与其位置所在的村（社区）不同，网格按位置划分：{ex_zh}",
        f"{count_en(len(bad_rows), 'household feature')} ({count_en(n_hh, 'household')}) "
        f"{plural_en(len(bad_rows), 'names', 'name')} another village in {field!r} than the "
        f"one they lie in; grids follow the position: {ex_en}",
        fix_zh=f"核对这些住户的坐标和“{field}”：坐标有误就改坐标，所属村有误就改所属村。",
        fix_en=f"check these households' coordinates and {field!r}: correct whichever is wrong.",
        field=field, features=ids, bounds=_bounds(hh[mask]), **_where(hl))]


def _check_villages(project: Project) -> list[Problem]:
    if "villages" not in project.layers:
        return []
    lyr = project.layers["villages"]
    vil = lyr.gdf
    out = []
    geoms = vil.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # Neighbours that only share a border (most pairs) are dropped before any overlay is computed:
    # a county of thousands of villages is checked in seconds, not in a loop over every pair.
    inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    left, right = left[inner], right[inner]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right])) if len(left) else np.zeros(0)
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right])) if len(left) else np.zeros(0)
    # Shared borders digitised twice give slivers; only real overlaps matter.
    real = (area > 100.0) & (area > 1e-4 * smaller)
    overlaps = [(int(i), int(j), float(a)) for i, j, a in zip(left[real], right[real], area[real])]
    if overlaps:
        name = vil["name"].astype(str).tolist() if "name" in vil else [str(k) for k in range(len(vil))]
        listed = "; ".join(f"{name[i]}–{name[j]} {a:,.0f} m²" for i, j, a in overlaps[:10])
        idx = sorted({k for i, j, _ in overlaps for k in (i, j)})
        out.append(Problem(
            "warning", "overlapping_villages", f"{len(overlaps)} 对村（社区）边界互相重叠：{listed}",
            f"{count_en(len(overlaps), 'pair')} of villages {plural_en(len(overlaps), 'overlaps', 'overlap')}: {listed}",
            fix_zh="重叠区的住户会被算入两个村：在源数据中修正村界。",
            fix_en="households in an overlap would belong to two villages: correct the boundaries.",
            features=vil["src_id"].iloc[idx].tolist(), bounds=_bounds(vil.iloc[idx]), **_where(lyr)))
    if "name" in vil:
        missing = vil["name"].isna() | (vil["name"].astype(str).str.strip() == "")
        if missing.any():
            out.append(Problem(
                "warning", "village_without_name", f"{int(missing.sum())} 个村（社区）没有名称",
                f"{count_en(int(missing.sum()), 'village')} {plural_en(int(missing.sum()), 'has')} no name",
                fix_zh="补全名称，网格编号和报表需要它。", fix_en="add names; grid codes and reports use them.",
                field=lyr.columns_used.get("name"), features=_ids(vil, missing), **_where(lyr)))
        out += _check_village_codes(lyr)
        dup = vil["name"].notna() & vil["name"].duplicated(keep=False)
        if dup.any():
            out.append(Problem(
                "warning", "duplicate_village_name", f"{int(dup.sum())} 个村（社区）重名",
                f"{count_en(int(dup.sum()), 'village')} share a name",
                fix_zh="网格、报表和图件以“村名（乡镇）”区分它们（无乡镇时用区划代码）；"
                       "--merge/--relax 请用这种写法或区划代码。如需别的写法，在源数据的村名中区分。",
                fix_en="grids, reports and maps tell them apart as 'name（township）' (the division code "
                       "without a township); use that or the code in --merge/--relax, or make the names "
                       "distinct in the source data.",
                field=lyr.columns_used.get("name"), features=_ids(vil, dup), **_where(lyr)))
    return out


def _check_village_codes(lyr) -> list[Problem]:
    """One division code on villages of different names: grid codes begin with the village code,
    so their grids would read as one village's. Codes stored as numbers with six significant
    digits (3.201029e+11 → 320102900000) end up like this, every village of a township alike."""
    vil = lyr.gdf
    if "code" not in vil:
        return []
    code = vil["code"].map(lambda c: None if c is None or (isinstance(c, float) and c != c) else str(c).strip() or None)
    names = vil["name"].astype(str).str.strip()
    present = code.notna()
    n_names = names[present].groupby(code[present]).nunique()
    shared = n_names[n_names > 1]
    if not len(shared):
        return []
    mask = code.isin(shared.index).to_numpy()
    ex_zh = "；".join(f"{c}：{'、'.join(dict.fromkeys(names[code == c].head(3)))}" for c in shared.index[:3])
    ex_en = "; ".join(f"{c}: {', '.join(dict.fromkeys(names[code == c].head(3)))}" for c in shared.index[:3])
    field = lyr.columns_used.get("code")
    zeros = all(str(c).endswith("000") for c in shared.index)
    return [Problem(
        "warning", "duplicate_village_code",
        f"{int(mask.sum())} 个不同名称的村（社区）共用 {len(shared)} 个区划代码（{ex_zh}），它们的网格编码会以同一代码开头"
        + ("；代码末尾是 0，可能是 Excel 以数字保存时丢了后几位" if zeros else ""),
        f"{count_en(int(mask.sum()), 'village')} with different names share {count_en(len(shared), 'division code')} ({ex_en}); their "
        "grid codes would start alike" + ("; the codes end in zeros: Excel may have dropped the last digits "
                                          "when it stored them as numbers" if zeros else ""),
        fix_zh=f"在源数据中为每个村填入自己的 12 位区划代码（Excel 中先把“{field}”列设为文本格式）后重新导入。",
        fix_en=f"give each village its own 12-digit division code in the source data (format {field!r} as text in "
               "Excel first) and import again.",
        field=field, features=_ids(vil, mask), bounds=_bounds(vil[mask]), **_where(lyr))]


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
            hour = gdf["hour"] if "hour" in gdf else pd.Series(np.nan, index=gdf.index)
            out += _incident_years(lyr, raw, src, hour)
            bad &= ~yearless(raw) | hour.isna()  # 11月3日21时 in a sheet without a year: its hour counts
        if bad.any():
            out.append(Problem(
                "warning", "incident_time_unreadable", f"{int(bad.sum())} 条警情的时间无法识别，不计入高发时段",
                f"{count_en(int(bad.sum()), 'incident time')} cannot be read; left out of the peak hours",
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
                f"{count_en(int(top.iloc[0]), 'incident')} ({top.iloc[0] / len(gdf):.0%}) share one position: probably "
                "addresses that could not be located, placed at a default point",
                fix_zh="核对这些警情的地址坐标；否则该处会被当作热点。",
                fix_en="check these records' coordinates, or that spot will look like a hot spot.",
                features=_ids(gdf, same), bounds=_bounds(gdf[same]), **_where(lyr)))
    return out


def _incident_years(lyr, raw: pd.Series, src: str, hour: pd.Series) -> list[Problem]:
    """Times written without a year (11月3日21时): say which year they were given, or that their date
    is unknown and only their clock time counts, so that nobody reads a guessed date as the record's."""
    gdf = lyr.gdf
    nyear = yearless(raw) & (gdf["time"].notna() | hour.notna()).to_numpy()  # the rest are unreadable
    if not nyear.any():
        return []
    n = int(nyear.sum())
    years = gdf.loc[nyear, "time"].dropna().dt.year
    example = str(raw[nyear].iloc[0]).strip()
    if len(years):
        ys = "、".join(str(y) for y in sorted(years.unique()))
        zh = f"{n} 条警情的时间没有年份（如“{example}”），按本表其他警情的日期读作 {ys} 年"
        en = (f"{count_en(n, 'incident time')} {plural_en(n, 'has')} no year (e.g. {example!r}); read as {ys}, the year of the sheet's "
              "other records")
    else:
        zh = f"{n} 条警情的时间没有年份（如“{example}”），日期不详，只按时刻计入高发时段"
        en = (f"{count_en(n, 'incident time')} {plural_en(n, 'has')} no year (e.g. {example!r}): the date is unknown; "
              "only the clock time counts for the peak hours")
    return [Problem("warning", "incident_time_no_year", zh, en,
                    fix_zh="核对年份；如不对，在表格中把这些时间写全，如 2026/11/3 21:14。",
                    fix_en="check the year; if it is wrong, write the full date in the sheet, e.g. 2026/11/3 21:14.",
                    field=src, features=_ids(gdf, nyear), **_where(lyr))]


#: What the road graph reports about the drawn network (see :mod:`gridtool.routing.road_defects`).
ROAD_NETWORK_CODES = ("road_gaps_bridged", "road_ends_near_miss", "road_duplicates", "road_network_disconnected")


def _check_roads(project: Project) -> list[Problem]:
    """The road network as the routing commands will build it (default ``--snap``): gaps they
    bridge, line ends left just short of a road, pieces drawn twice, pieces not connected.
    Every class is let through so that the check is of the drawing, not of one travel mode."""
    if "roads" not in project.layers or not len(project.layers["roads"].gdf):
        return []
    from .routing.graph import SPEEDS_KMH, build_graph
    lyr = project.layers["roads"]
    speeds = {c: {"walk": 4.5} for c, row in SPEEDS_KMH.items() if row.get("walk") is None}
    try:
        graph = build_graph(lyr.gdf, mode="walk", speeds=speeds, maxspeed=False)
    except GridtoolError:
        return []  # no usable line, or not in metres: reported by the layer's own checks
    out = []
    for p in graph.problems:
        if p.code in ROAD_NETWORK_CODES:
            p.file, p.layer = lyr.source, lyr.source_layer
            if p.code == "road_network_disconnected":
                p.en = p.en.replace(" for mode walk", "")
            out.append(p)
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
    repeated = {}
    if "households" in project.layers:
        problems.extend(_check_households(project))
        dups, repeated["households"] = _check_duplicate_rows(project.layers["households"])
        problems.extend(dups)
    problems.extend(_check_duplicate_ids(project, repeated))
    problems.extend(_check_strays(project))
    far = _far_apart(project)
    problems.extend(far)
    problems.extend(_check_villages(project))
    problems.extend(_check_incidents(project))
    if not far:
        # A sheet that clearly fits WGS84 as read gets its short missing_crs in place of the generic
        # one ("if from AMap declare gcj02"): the planner need not wonder about every sheet.
        offsets = check_offsets(project)
        fits = {p.role: p for p in offsets if p.code == "missing_crs"}
        problems = [fits.pop(p.role) if p.code == "missing_crs" and p.role in fits else p for p in problems]
        problems.extend(p for p in offsets if p.code != "missing_crs")
        problems.extend(_check_coverage(project))
        problems.extend(_check_village_size(project))
    if "households" in project.layers and "villages" in project.layers:
        problems.extend(_check_village_count(project))
    problems.extend(_check_dem(project))
    problems.extend(_check_roads(project))
    # Layers replaced after the grids (routes …) were drawn: repeated until they are made again.
    from .layer_deps import stored_out_of_date
    problems.extend(stored_out_of_date(project))
    project.problems = problems
    return problems
