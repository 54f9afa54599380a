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

Rows without coordinates have no place to compare: they repeat a row (placed or not) of the same
number and time whose address text (发案地址 …, :func:`gridtool.address_match.normalise_address`)
is the same, or is empty in either (:func:`merge_incident_rows`); without a case-number column
they stay (alike rows without a place may be two calls). Rows placed later by their address are
checked again by number, time and place (:func:`merge_placed_by_address`). The merged rows'
categories are kept (``Layer.merged``, saved with the project), so that a ``--category`` line adds
up too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .errors import feature_id_zh
from .personal import is_record_number_header
from .plurals import count_en, plural_en
from .problems import Problem

#: Rows sharing a case number and the time whose points are this close (metres) are one incident.
SAME_PLACE_M = 10.0
CODE = "incidents_merged"
#: Columns the loader adds: not part of what the source row says.
_DERIVED = ("src_id", "time", "hour", "type", "placed_by")
#: The columns of a layer's merged rows (:func:`merged_rows`): row, category, case number, and
#: whether the row had no coordinates.
_MERGED_COLUMNS = ("src_id", "type", "number", "no_xy")


def case_column(gdf) -> str | None:
    """The table's case-number column (案件编号, 警情编号 …), or None."""
    return next((c for c in gdf.columns if c not in ("src_id", "geometry") and is_record_number_header(c)), None)


def _lat0(gdf) -> float | None:
    """The latitude (radians) local metres are taken at, for a geographic CRS; None for metres."""
    if gdf.crs is None or not gdf.crs.is_geographic or not len(gdf):
        return None
    xy = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.values))
    return float(np.radians(np.nanmean(xy[:, 1]))) if len(xy) else None


def _scale(xy: np.ndarray, lat0: float | None) -> np.ndarray:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if lat0 is None:
        return xy
    return np.column_stack([xy[:, 0] * 111_320.0 * np.cos(lat0), xy[:, 1] * 110_540.0])


def _metres(gdf, lat0: float | None = None) -> np.ndarray:
    """Point coordinates in metres (a geographic CRS: local metres, enough for 'a few metres')."""
    xy = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.values))
    return _scale(xy, _lat0(gdf) if lat0 is None else lat0)


def _same_time(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def _numbers(frame, col: str | None) -> np.ndarray:
    """The case numbers as text (``""`` when empty): ``J001``, and 1001 read as 1001.0 → ``1001``."""
    if col is None or col not in frame:
        return np.full(len(frame), "", dtype=object)
    text = frame[col].astype(str).str.strip().str.removesuffix(".0")
    return text.where(frame[col].notna() & (text.str.lower() != "nan"), "").to_numpy(dtype=object)


def _times(frame) -> np.ndarray:
    return frame["time"].to_numpy() if "time" in frame else np.full(len(frame), pd.NaT)


def _addresses(frame) -> np.ndarray:
    """Each row's address written one way (``""`` without one or without an address column)."""
    from .address_match import INCIDENT_ADDRESS_NAMES, _column, normalise_address
    col = _column(frame.columns, INCIDENT_ADDRESS_NAMES)
    if col is None:
        return np.full(len(frame), "", dtype=object)
    return np.array([normalise_address(v) for v in frame[col].tolist()], dtype=object)


def _placed_repeats(gdf, col: str | None) -> np.ndarray:
    """Rows of the placed ``gdf`` that repeat an earlier row's incident (number, time, place)."""
    drop = np.zeros(len(gdf), dtype=bool)
    if len(gdf) < 2:
        return drop
    if col is None:
        cols = [c for c in gdf.columns if c != gdf.geometry.name and c not in _DERIVED]
        frame = pd.DataFrame({c: gdf[c].astype(str).to_numpy() for c in cols})
        frame["__wkb"] = shapely.to_wkb(gdf.geometry.values)
        return frame.duplicated(keep="first").to_numpy()
    numbers = _numbers(gdf, col)
    shared = (numbers != "") & pd.Series(numbers).duplicated(keep=False).to_numpy()
    if not shared.any():
        return drop
    xy, times = _metres(gdf), _times(gdf)
    kept: dict[str, list[int]] = {}
    for i in np.flatnonzero(shared):
        same = kept.setdefault(numbers[i], [])
        if any(_same_time(times[i], times[k]) and float(np.hypot(*(xy[i] - xy[k]))) <= SAME_PLACE_M
               for k in same):
            drop[i] = True
        else:
            same.append(i)
    return drop


def _unlocated_repeats(placed, unlocated) -> np.ndarray:
    """Rows of ``unlocated`` (read without coordinates) that repeat the incident of a ``placed`` row
    or of an earlier unlocated row: the same number and time, the same address text when both
    have one. Without a case-number column none: rows alike without a place may be two calls."""
    ucol = case_column(unlocated)
    if ucol is None:
        return np.zeros(len(unlocated), dtype=bool)
    seen: dict[str, list[tuple]] = {}
    for n, t, a in zip(_numbers(placed, case_column(placed)), _times(placed), _addresses(placed)):
        if n:
            seen.setdefault(n, []).append((t, a))
    drop = np.zeros(len(unlocated), dtype=bool)
    for i, (n, t, a) in enumerate(zip(_numbers(unlocated, ucol), _times(unlocated), _addresses(unlocated))):
        if not n:
            continue
        same = seen.setdefault(n, [])
        if any(_same_time(t, t2) and (a == a2 or not a or not a2) for t2, a2 in same):
            drop[i] = True
        else:
            same.append((t, a))
    return drop


def as_merged(frame, mask, col: str | None, no_xy: bool) -> pd.DataFrame:
    """The merged rows of ``frame`` (``mask``) as :data:`_MERGED_COLUMNS`."""
    part = frame[mask]
    ids = (part["src_id"].astype(str).tolist() if "src_id" in part
           else [f"row {i}" for i in np.flatnonzero(mask)])
    types = part["type"].tolist() if "type" in part else [None] * len(part)
    return pd.DataFrame({"src_id": ids, "type": types, "number": _numbers(part, col).tolist(),
                         "no_xy": [no_xy] * len(part)}, columns=list(_MERGED_COLUMNS))


def _problem(merged: pd.DataFrame, col: str | None, *, file=None, layer=None) -> Problem:
    """The warning naming every merged row (the loader's and the address placement's)."""
    n = len(merged)
    k = int(merged["no_xy"].astype(bool).sum())
    ids = merged["src_id"].astype(str).tolist()
    if col is not None:
        examples = list(dict.fromkeys(x for x in merged["number"].astype(str) if x))
        shown = "、".join(examples[:3]) + ("…" if len(examples) > 3 else "")
        shown_en = ", ".join(examples[:3]) + (" …" if len(examples) > 3 else "")
        no_xy_zh = f"；其中 {k} 行没有坐标，按编号、时间和地址相同合并" if k else ""
        no_xy_en = f"; {k} of them without coordinates, merged by number, time and address" if k else ""
        zh = (f"{n} 行与前面的行是同一警情（“{col}”相同，时间相同、地点相距 {SAME_PLACE_M:g} 米内：重复导出或一人一行"
              f"{no_xy_zh}），已合并，每起只计一次（如 {shown}）")
        en = (f"{count_en(n, 'row')} {plural_en(n, 'repeats', 'repeat')} an earlier row's incident (same {col!r}, same time, within {SAME_PLACE_M:g} m: "
              f"exported twice or one row per person{no_xy_en}) and {plural_en(n, 'was', 'were')} merged, each incident counted once "
              f"(e.g. {shown_en})")
        fix_zh = "无需处理；若确是不同警情，请在原表中改正编号后重新导入。"
        fix_en = "nothing to do; if they are different incidents, correct the numbers in the table and import again."
    else:
        shown = "、".join(feature_id_zh(i) for i in ids[:3]) + ("…" if n > 3 else "")
        shown_en = ", ".join(ids[:3]) + (" …" if n > 3 else "")
        zh = f"{n} 行与前面的行完全相同（表中没有警情编号列），视为同一警情重复导出，已合并，只计一次（{shown}）"
        en = (f"{count_en(n, 'row')} {plural_en(n, 'is an exact copy', 'are exact copies')} of earlier rows (the table has no case-number column): taken as one "
              f"incident exported twice, merged and counted once ({shown_en})")
        fix_zh = "无需处理；若确是不同警情，请在原表中加一列警情编号后重新导入。"
        fix_en = "nothing to do; if they are different incidents, add a case-number column and import again."
    return Problem("warning", CODE, zh, en, fix_zh=fix_zh, fix_en=fix_en, role="incidents", file=file,
                   layer=layer, field=col, features=ids)


def merge_repeated(gdf, *, file: str | None = None, layer: str | None = None):
    """``gdf`` (an incidents layer with ``src_id`` and ``time``) without the rows that repeat an
    incident, and the problem naming them (None when there are none).

    Returns
    -------
    (geopandas.GeoDataFrame, Problem or None)
    """
    col = case_column(gdf)
    drop = _placed_repeats(gdf, col)
    if not drop.any():
        return gdf, None
    return gdf[~drop].reset_index(drop=True), _problem(as_merged(gdf, drop, col, False), col, file=file, layer=layer)


def _forget_unlocated(problems: list, ids) -> None:
    """The loader's not-placed problems without ``ids`` (merged, so no longer 未落图); their counts
    follow the rows left."""
    from .address_match import UNLOCATED_CODES
    _without_features(problems, UNLOCATED_CODES, set(map(str, ids)))


def _without_features(problems: list, codes, gone: set[str]) -> None:
    """Take the rows ``gone`` out of the problems of ``codes`` (in place): a problem left with no row
    goes, the others' leading counts follow the rows left."""
    if not gone:
        return
    from .address_match import recount
    kept = []
    for p in problems:
        if p.code in codes:
            p.features = [f for f in p.features if str(f) not in gone]
            if not p.features:
                continue
            recount(p)
        kept.append(p)
    problems[:] = kept


def record_merged(problems: list, merged: pd.DataFrame | None, more: pd.DataFrame, col: str | None) -> pd.DataFrame:
    """Add ``more`` merged rows to ``merged`` and state them all in one ``incidents_merged`` warning
    in ``problems`` (the rows leave the not-placed problems); returns every merged row."""
    if not len(more):
        return merged if merged is not None else more
    from .address_match import PLACED_CODE, UNLOCATED_CODES
    old = next((p for p in problems if p.code == CODE), None) or next(
        (p for p in problems if p.code in (*UNLOCATED_CODES, PLACED_CODE)), None)  # for the file and layer named
    everything = more if merged is None or not len(merged) else pd.concat([merged, more], ignore_index=True)
    _forget_unlocated(problems, more.loc[more["no_xy"].astype(bool), "src_id"])
    problems[:] = [p for p in problems if p.code != CODE]
    problems.append(_problem(everything, col, file=old.file if old else None, layer=old.layer if old else None))
    return everything


def merge_incident_rows(gdf, unlocated, problems: list, *, file: str | None = None, layer: str | None = None):
    """Merge the rows of one incident in an incidents table as read: the placed rows (``gdf``) by
    number, time and place (:func:`merge_repeated`), the rows without coordinates (``unlocated``)
    by number, time and address. ``problems`` gets one warning naming them all and loses them from
    the not-placed problems, so that 警情 N = 落图 + 未落图 + 重复合并.

    Returns
    -------
    (geopandas.GeoDataFrame, pandas.DataFrame or None, pandas.DataFrame)
        The placed rows kept, the unlocated rows kept, and the merged rows (:data:`_MERGED_COLUMNS`).
    """
    col = case_column(gdf)
    drop = _placed_repeats(gdf, col)
    merged = as_merged(gdf, drop, col, False)
    gdf = gdf[~drop].reset_index(drop=True)
    if unlocated is not None and len(unlocated):
        udrop = _unlocated_repeats(gdf, unlocated)
        if col is None:
            col = case_column(unlocated)
        merged = pd.concat([merged, as_merged(unlocated, udrop, case_column(unlocated), True)], ignore_index=True)
        unlocated = unlocated[~udrop]
    merged["no_xy"] = merged["no_xy"].astype(bool)
    if len(merged):
        problems[:] = [p for p in problems if p.code != CODE]
        _forget_unlocated(problems, merged.loc[merged["no_xy"].astype(bool), "src_id"])
        problems.append(_problem(merged, col, file=file, layer=layer))
    return gdf, unlocated, merged


def repeated_by_address(gdf, rows, xy) -> np.ndarray:
    """Which of ``rows`` (unlocated rows about to be placed by their address at ``xy``, in
    ``gdf``'s CRS) repeat a placed row's incident or an earlier one of them: the same number and
    time, within :data:`SAME_PLACE_M` metres."""
    drop = np.zeros(len(rows), dtype=bool)
    ucol = case_column(rows)
    if ucol is None or not len(rows):
        return drop
    lat0 = _lat0(gdf)
    if lat0 is None and gdf.crs is not None and gdf.crs.is_geographic and len(xy):
        lat0 = float(np.radians(np.nanmean(np.asarray(xy, dtype=float)[:, 1])))
    seen: dict[str, list[tuple]] = {}
    if len(gdf):
        for n, t, p in zip(_numbers(gdf, case_column(gdf)), _times(gdf), _metres(gdf, lat0)):
            if n:
                seen.setdefault(n, []).append((t, p))
    for i, (n, t, p) in enumerate(zip(_numbers(rows, ucol), _times(rows), _scale(xy, lat0))):
        if not n:
            continue
        same = seen.setdefault(n, [])
        if any(_same_time(t, t2) and float(np.hypot(*(p - p2))) <= SAME_PLACE_M for t2, p2 in same):
            drop[i] = True
        else:
            same.append((t, p))
    return drop


def merge_placed_by_address(layer) -> int:
    """Merge the rows of an incidents layer just placed by their address
    (:func:`gridtool.address_match.place_by_address`) that repeat the incident of a row with
    coordinates or of an earlier one placed so (:func:`repeated_by_address`): the rows leave the
    layer and the placed-by-address warning, and join the ``incidents_merged`` one.

    Returns
    -------
    int
        Rows merged.
    """
    from .address_match import PLACED_CODE, RULE_ZH
    gdf = layer.gdf
    if "placed_by" not in gdf or not len(gdf):
        return 0
    new = (gdf["placed_by"] == RULE_ZH).to_numpy()
    if not new.any():
        return 0
    again = repeated_by_address(gdf[~new], gdf[new], shapely.get_coordinates(gdf.geometry.values[new]))
    if not again.any():
        return 0
    drop = np.zeros(len(gdf), dtype=bool)
    drop[np.flatnonzero(new)[again]] = True
    col = case_column(gdf)
    more = as_merged(gdf, drop, col, True)
    layer.merged = record_merged(layer.problems, layer.merged, more, col)
    _without_features(layer.problems, {PLACED_CODE}, set(map(str, more["src_id"])))  # 按地址落图 N 条: the rows left
    layer.gdf = gdf[~drop].reset_index(drop=True)
    return int(drop.sum())


def merged_count(problems) -> int:
    """Rows merged into an earlier row of the same incident (the loader's ``incidents_merged``)."""
    return sum(len(p.features) for p in problems or () if p.code == CODE)


def merged_rows(layer) -> pd.DataFrame | None:
    """The merged rows of an incidents layer (``src_id``, ``type`` …), or None when the layer does
    not know them (a project saved by an older gridtool keeps only the warning)."""
    rows = getattr(layer, "merged", None)
    if rows is None:
        return None if merged_count(getattr(layer, "problems", None)) else pd.DataFrame(columns=list(_MERGED_COLUMNS))
    return rows


def to_meta(layer) -> list[dict] | None:
    """The merged rows as saved in the project's metadata (row and category: no personal data);
    None when the layer does not know them."""
    rows = merged_rows(layer)
    if rows is None:
        return None
    return [{"row": str(r.src_id), "type": None if pd.isna(r.type) else str(r.type)} for r in rows.itertuples()]


def from_meta(items) -> pd.DataFrame | None:
    """The layer's merged rows again from :func:`to_meta`'s list (None: saved without it)."""
    if items is None:
        return None
    return pd.DataFrame({"src_id": [i["row"] for i in items], "type": [i.get("type") for i in items],
                         "number": [""] * len(items), "no_xy": [False] * len(items)},
                        columns=list(_MERGED_COLUMNS))


__all__ = ["CODE", "SAME_PLACE_M", "as_merged", "case_column", "from_meta", "merge_incident_rows", "merge_placed_by_address",
           "merge_repeated",
           "merged_count", "merged_rows", "record_merged", "repeated_by_address", "to_meta"]
