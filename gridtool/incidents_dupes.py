"""One incident on several rows of a 警情 table, merged so that it counts once.

A station's case-system export often holds an incident twice: exported twice, or one row per
person involved. The rows share the case number (案件编号, 警情编号, 接警单号 …,
:func:`gridtool.personal.is_record_number_header`). Rows that share the number **and** the time and
the place (within :data:`SAME_PLACE_M` metres: the same address geocoded twice differs by less) are
one incident: the first row stays, the others leave the layer and a problem
(``incidents_merged``) names them, so that hot spots, shares, the console, the layers and every
total count the incident once and state ``警情 N 条 = 落图 + 未落图 + 重复合并``. Rows that share a
number but not the time or the place stay: validate warns about them (``duplicate_id``), since
they may be two calls with a mistyped number. A table without a case-number column: rows equal in
every column and place are one incident exported twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .errors import feature_id_zh
from .personal import is_record_number_header
from .problems import Problem

#: Rows sharing a case number and the time whose points are this close (metres) are one incident.
SAME_PLACE_M = 10.0
CODE = "incidents_merged"
#: Columns the loader adds: not part of what the source row says.
_DERIVED = ("src_id", "time", "hour", "type")


def case_column(gdf) -> str | None:
    """The table's case-number column (案件编号, 警情编号 …), or None."""
    return next((c for c in gdf.columns if c not in ("src_id", "geometry") and is_record_number_header(c)), None)


def _metres(gdf) -> np.ndarray:
    """Point coordinates in metres (a geographic CRS: local metres, enough for 'a few metres')."""
    xy = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.values))
    if gdf.crs is not None and gdf.crs.is_geographic and len(xy):
        lat = np.radians(np.nanmean(xy[:, 1]))
        return np.column_stack([xy[:, 0] * 111_320.0 * np.cos(lat), xy[:, 1] * 110_540.0])
    return xy


def _same_time(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def merge_repeated(gdf, *, file: str | None = None, layer: str | None = None):
    """``gdf`` (an incidents layer with ``src_id`` and ``time``) without the rows that repeat an
    incident, and the problem naming them (None when there are none).

    Returns
    -------
    (geopandas.GeoDataFrame, Problem or None)
    """
    if len(gdf) < 2:
        return gdf, None
    col = case_column(gdf)
    drop = np.zeros(len(gdf), dtype=bool)
    examples: list[str] = []
    if col is not None:
        text = gdf[col].astype(str).str.strip().str.removesuffix(".0")
        present = gdf[col].notna() & (text != "") & (text.str.lower() != "nan")
        shared = present & text.where(present).duplicated(keep=False)
        if shared.any():
            xy = _metres(gdf)
            times = gdf["time"].to_numpy() if "time" in gdf else np.full(len(gdf), pd.NaT)
            for number, rows in pd.Series(np.flatnonzero(shared.to_numpy())).groupby(
                    text[shared].to_numpy(), sort=False):
                kept: list[int] = []
                for i in rows:
                    twin = next((k for k in kept if _same_time(times[i], times[k])
                                 and float(np.hypot(*(xy[i] - xy[k]))) <= SAME_PLACE_M), None)
                    if twin is None:
                        kept.append(i)
                    else:
                        drop[i] = True
                        if number not in examples:
                            examples.append(number)
    else:
        cols = [c for c in gdf.columns if c != gdf.geometry.name and c not in _DERIVED]
        frame = pd.DataFrame({c: gdf[c].astype(str).to_numpy() for c in cols})
        frame["__wkb"] = shapely.to_wkb(gdf.geometry.values)
        drop = frame.duplicated(keep="first").to_numpy()
    if not drop.any():
        return gdf, None
    ids = gdf["src_id"].astype(str).to_numpy() if "src_id" in gdf else np.array([f"row {i}" for i in range(len(gdf))])
    n = int(drop.sum())
    if col is not None:
        shown = "、".join(examples[:3]) + ("…" if len(examples) > 3 else "")
        shown_en = ", ".join(examples[:3]) + (" …" if len(examples) > 3 else "")
        zh = (f"{n} 行与前面的行是同一警情（“{col}”相同，时间相同、地点相距 {SAME_PLACE_M:g} 米内：重复导出或一人一行），"
              f"已合并，每起只计一次（如 {shown}）")
        en = (f"{n} row(s) repeat an earlier row's incident (same {col!r}, same time, within {SAME_PLACE_M:g} m: "
              f"exported twice or one row per person) and were merged, each incident counted once (e.g. {shown_en})")
        fix_zh = "无需处理；若确是不同警情，请在原表中改正编号后重新导入。"
        fix_en = "nothing to do; if they are different incidents, correct the numbers in the table and import again."
    else:
        shown = "、".join(feature_id_zh(i) for i in ids[drop][:3]) + ("…" if n > 3 else "")
        shown_en = ", ".join(ids[drop][:3]) + (" …" if n > 3 else "")
        zh = f"{n} 行与前面的行完全相同（表中没有警情编号列），视为同一警情重复导出，已合并，只计一次（{shown}）"
        en = (f"{n} row(s) are exact copies of earlier rows (the table has no case-number column): taken as one "
              f"incident exported twice, merged and counted once ({shown_en})")
        fix_zh = "无需处理；若确是不同警情，请在原表中加一列警情编号后重新导入。"
        fix_en = "nothing to do; if they are different incidents, add a case-number column and import again."
    problem = Problem("warning", CODE, zh, en, fix_zh=fix_zh, fix_en=fix_en, role="incidents", file=file,
                      layer=layer, field=col, features=ids[drop].tolist())
    return gdf[~drop].reset_index(drop=True), problem


def merged_count(problems) -> int:
    """Rows merged into an earlier row of the same incident (the loader's ``incidents_merged``)."""
    return sum(len(p.features) for p in problems or () if p.code == CODE)


__all__ = ["CODE", "SAME_PLACE_M", "case_column", "merge_repeated", "merged_count"]
