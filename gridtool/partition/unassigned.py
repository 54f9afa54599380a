"""The households of a city's batch run that are in no grid, in one file a planner can open.

A district file holds the households of its villages, those in no grid among them; households
whose point lies in no village are in no district file at all. :func:`unassigned_households`
gathers both into one layer, each with why it is in no grid:

- ``outside``: in no village's boundary; with the nearest village, its district and the distance;
- ``failed``: its village could not be partitioned (named with its error in the console);
- ``left``: inside a village but in no grid (left out by the engine, or a grid code no layer holds);
- ``split_rest``: the households of a building split between grids (``grid_parts``) that no part
  in a grid holds, e.g. a building whose parts name grids of an earlier plan: one row, ``hh`` the rest.

Every row keeps the roster's columns (personal ones masked, as every export does, unless
``include_personal``), its feature number in the households layer (``fid``, from 1) and its
coordinates in degrees, so that it can be found in the roster and on a map. The file's ``hh``
adds up to the totals' unassigned households (:func:`~.totals.household_totals`), its rows to their
unassigned features.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..spatial import household_points
from ..values import household_counts, parse_grid_parts
from .chunking import BATCH_COLUMNS, ROW, VILLAGE, district_of

#: ``reason`` → (Chinese, English), as the file and the console say it.
REASONS = {"outside": ("不在任何村（社区）界内", "in no village's boundary"),
           "failed": ("所在村（社区）划分失败", "its village could not be partitioned"),
           "left": ("在村（社区）界内但未划入网格", "inside a village but in no grid"),
           "split_rest": ("楼栋拆分余数：拆分到多个网格后未分到网格的住户",
                          "the rest of a building split between grids that no grid holds")}

#: Column marking the rows of :func:`split_rest` until :func:`unassigned_households` names why.
_REST = "_split_rest"

#: The file beside the district files, and its layer.
FILE_NAME = "未划入网格住户.gpkg"
LAYER = "unassigned_households"


def no_grid(households: gpd.GeoDataFrame, grid_codes: set[str]) -> np.ndarray:
    """Rows of a district's households in no grid: no code, or one no layer holds (as
    :func:`~.totals.household_totals` counts them), buildings split between grids aside."""
    if "grid" not in households:
        return np.ones(len(households), dtype=bool)
    grid = households["grid"].to_numpy(dtype=object)
    known = np.array([isinstance(g, str) and g in grid_codes for g in grid], dtype=bool)
    if "grid_parts" in households:
        split = households["grid_parts"].map(lambda v: isinstance(v, str) and v != "").to_numpy(dtype=bool)
        known |= split
    return ~known


def split_rest(households: gpd.GeoDataFrame, grid_codes: set[str]) -> gpd.GeoDataFrame:
    """The buildings split between grids whose parts in ``grid_codes`` hold fewer households than
    the building (as :func:`~.totals.household_totals` counts them), ``hh`` the households left."""
    if "grid_parts" not in households or not len(households):
        return households.iloc[:0].assign(**{_REST: []})
    hh = household_counts(households["hh"])
    rest = np.zeros(len(households), dtype=np.int64)
    for i, gp in enumerate(households["grid_parts"].tolist()):
        if isinstance(gp, str) and gp:
            left = int(hh[i])
            for code, k in parse_grid_parts(gp):
                if code in grid_codes:
                    left -= min(int(k), left)
            rest[i] = left
    out = households[rest > 0].copy()
    out["hh"] = rest[rest > 0]
    out[_REST] = True
    return out


def unassigned_households(outside: gpd.GeoDataFrame, inside: list[gpd.GeoDataFrame],
                          villages: gpd.GeoDataFrame, failed_codes: set[str]) -> gpd.GeoDataFrame:
    """One layer of the households in no grid: ``outside`` (households in no village, with
    ``_batch_row``) and ``inside`` (those of the district files in no grid, with ``_batch_row`` and
    ``_batch_village``), over the whole ``villages`` layer (prepared: ``name``, ``code``)."""
    crs = villages.crs
    codes = villages["code"].astype(str).to_numpy()
    names = villages["name"].astype(str).to_numpy()
    frames = []
    if len(outside):
        g = outside.copy()
        pts = household_points(g).values
        tree = shapely.STRtree(np.asarray(villages.geometry.values))
        (src, near), dist = tree.query_nearest(pts, all_matches=False, return_distance=True)
        nearest = np.full(len(g), -1, dtype=np.int64)
        nearest[src] = near
        metres = np.full(len(g), np.nan)
        metres[src] = dist
        g["reason"] = "outside"
        g["village"], g["village_code"] = None, None
        g["nearest_village"] = [names[i] if i >= 0 else None for i in nearest]
        g["nearest_code"] = [codes[i] if i >= 0 else None for i in nearest]
        g["district"] = [district_of(villages, int(i), codes[i]) if i >= 0 else None for i in nearest]
        g["distance_m"] = np.round(metres, 1)
        frames.append(g)
    for h in inside:
        if not len(h):
            continue
        g = h.copy()
        vrow = g[VILLAGE].to_numpy(dtype=np.int64)
        g["village"], g["village_code"] = names[vrow], codes[vrow]
        g["reason"] = np.where(np.isin(codes[vrow], list(failed_codes)), "failed", "left")
        if _REST in g:
            g.loc[g[_REST].fillna(False).astype(bool).to_numpy(), "reason"] = "split_rest"
        g["nearest_village"], g["nearest_code"] = g["village"], g["village_code"]
        g["district"] = [district_of(villages, int(i), codes[i]) for i in vrow]
        g["distance_m"] = 0.0
        frames.append(g)
    if not frames:
        return gpd.GeoDataFrame({"fid": [], "hh": [], "reason": []}, geometry=gpd.GeoSeries([], crs=crs))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name, crs=crs)
    out = out.sort_values(ROW, kind="stable").reset_index(drop=True)
    fid = out[ROW].to_numpy(dtype=np.int64) + 1
    lonlat = household_points(out).to_crs(4326) if crs is not None else None
    why = out["reason"].map(lambda r: REASONS[r][0])
    drop = [c for c in (*BATCH_COLUMNS, _REST, "grid", "subgrid", "grid_parts", "subgrid_parts") if c in out]
    out = out.drop(columns=drop)
    out["hh"] = household_counts(out["hh"]) if "hh" in out else 0
    out.insert(0, "fid_in_roster", fid)
    out["why"] = why.to_numpy()
    if lonlat is not None:
        out["lon"], out["lat"] = np.round(lonlat.x.to_numpy(), 6), np.round(lonlat.y.to_numpy(), 6)
    first = ["fid_in_roster", "hh", "why", "reason", "district", "village", "village_code", "nearest_village",
             "nearest_code", "distance_m", "lon", "lat"]
    cols = [c for c in first if c in out] + [c for c in out.columns if c not in first]
    return out[cols]


def summary(layer: gpd.GeoDataFrame) -> dict:
    """Households and features by reason: ``{"households", "features", "by_reason": {reason: [hh, n]}}``."""
    by = {}
    for r in REASONS:
        sel = layer["reason"].to_numpy() == r if len(layer) else np.zeros(0, dtype=bool)
        if sel.any():
            by[r] = [int(layer["hh"].to_numpy()[sel].sum()), int(sel.sum())]
    return {"households": int(layer["hh"].sum()) if len(layer) else 0, "features": len(layer), "by_reason": by}


def write(path: str | Path, layer: gpd.GeoDataFrame, *, include_personal: bool = False) -> Path:
    """``layer`` into a GeoPackage marked as gridtool's export, atomically; personal columns
    (names, phone and ID numbers, by header and content) masked unless ``include_personal``."""
    from ..maps.privacy import mask_frame
    from ..maps.route_files import write_layers_gpkg
    masked = mask_frame(layer, include_personal=include_personal, personal_role=True,
                        exclude=("why", "reason", "district", "village", "nearest_village"))
    # One table, whatever mix of points and building outlines: the list staff work through and
    # scripts read by its name (unassigned_households).
    return write_layers_gpkg(Path(path), {LAYER: masked}, split=False)
