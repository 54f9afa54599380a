"""Barrier lines from the project's roads, rivers and railways, each with a class and its cost.

Every line that can bound a grid gets a *class* (``motorway`` … ``footway`` for roads, ``river``
for rivers and canals, ``stream`` for streams, ditches and drains, ``railway``) and from it:

- ``hard``: never crossed by a grid when avoidable (default: rivers, railways, motorways, trunk
  roads — the "expressways" of the field);
- ``affinity``: how much two blocks on either side of the line want to stay in one grid (0 for a
  main road, 1 for a footpath). Grid borders are drawn where the summed affinity is lowest, so they
  follow main roads and rivers and avoid cutting through a neighbourhood along a lane.

Tunnels (railway or road) do not split the land above them and are left out.
"""

from __future__ import annotations

from typing import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Default hard barrier classes (``--hard-barriers``).
DEFAULT_HARD = ("river", "railway", "motorway", "trunk")

#: Affinity by class: the cost, per metre of shared border, of putting a grid border there.
AFFINITY = {
    "motorway": 0.0, "trunk": 0.05, "railway": 0.0, "river": 0.0,
    "primary": 0.1, "secondary": 0.2, "tertiary": 0.35, "stream": 0.3,
    "unclassified": 0.5, "residential": 0.6, "living_street": 0.7, "track": 0.8,
    "service": 0.9, "pedestrian": 0.9, "cycleway": 0.95,
    "footway": 1.0, "path": 1.0, "steps": 1.0, "bridleway": 1.0,
    "village": 0.0, "special": 0.0, "road": 0.6,
}

#: Classes counted as "main roads" in the soft-crossing metric (a grid straddling one).
MAJOR = frozenset({"trunk", "primary", "secondary", "tertiary", "stream", "motorway"})

_RIVER_KINDS = {"river", "riverbank", "canal", "water", "lake", "reservoir"}


def road_class(value) -> str:
    """OSM-style class of a road, folding ``*_link`` into its road and unknowns into ``road``."""
    if not isinstance(value, str) or not value:
        return "road"
    v = value.strip().lower().removesuffix("_link")
    return v if v in AFFINITY else "road"


def barrier_lines(layers: dict[str, gpd.GeoDataFrame], *,
                  hard: Iterable[str] = DEFAULT_HARD) -> gpd.GeoDataFrame:
    """All barrier lines of the project as one GeoDataFrame (``cls``, ``hard``, ``affinity``, ``src``).

    ``layers`` maps role to GeoDataFrame (roads, rivers, railways; any may be missing). Polygon
    rivers contribute their outlines. Unknown classes in ``hard`` are accepted (a user may pass
    ``primary`` to keep grids off main roads).
    """
    hard = {h.strip().lower() for h in hard if h and h.strip()}
    parts = []
    roads = layers.get("roads")
    if roads is not None and len(roads):
        keep = ~_flag(roads, "tunnel")
        r = roads[keep]
        cls = r["class"].map(road_class) if "class" in r else pd.Series("road", index=r.index)
        parts.append(_frame(r.geometry.values, cls.to_numpy(dtype=object), r, "roads"))
    rivers = layers.get("rivers")
    if rivers is not None and len(rivers):
        kind = rivers["kind"].astype(str).str.lower() if "kind" in rivers else pd.Series("river", index=rivers.index)
        geoms = rivers.geometry.values
        is_poly = shapely.get_type_id(geoms) >= 3
        cls = np.where(kind.isin(_RIVER_KINDS) | is_poly | (kind == "nan"), "river", "stream")
        geoms = np.where(is_poly, shapely.boundary(geoms), geoms)
        parts.append(_frame(geoms, cls.astype(object), rivers, "rivers"))
    rail = layers.get("railways")
    if rail is not None and len(rail):
        r = rail[~_flag(rail, "tunnel")]
        kind = r["kind"].astype(str).str.lower() if "kind" in r else pd.Series("rail", index=r.index)
        # Disused and abandoned lines are no barrier; metro above ground is (tunnels left out above).
        r = r[~kind.isin({"abandoned", "disused", "razed", "proposed", "construction"})]
        parts.append(_frame(r.geometry.values, np.full(len(r), "railway", dtype=object), r, "railways"))
    if not parts:
        return gpd.GeoDataFrame({"cls": [], "hard": [], "affinity": [], "src": []},
                                geometry=gpd.GeoSeries([]))
    out = pd.concat(parts, ignore_index=True)
    out = out[~shapely.is_empty(out.geometry.values) & out.geometry.notna()].reset_index(drop=True)
    out["hard"] = out["cls"].isin(hard)
    out["affinity"] = np.where(out["hard"], 0.0, out["cls"].map(AFFINITY).fillna(0.6).to_numpy())
    return gpd.GeoDataFrame(out, geometry="geometry")


def _flag(gdf: gpd.GeoDataFrame, column: str) -> np.ndarray:
    if column not in gdf:
        return np.zeros(len(gdf), dtype=bool)
    v = gdf[column]
    if v.dtype == bool:
        return v.to_numpy()
    return v.astype(str).str.lower().isin({"1", "true", "yes", "building_passage", "culvert"}).to_numpy()


def _frame(geoms, cls, src: gpd.GeoDataFrame, role: str) -> gpd.GeoDataFrame:
    ids = src["src_id"].astype(str).to_numpy() if "src_id" in src else np.arange(len(src)).astype(str)
    return gpd.GeoDataFrame({"cls": cls, "src": [f"{role}:{i}" for i in ids]},
                            geometry=gpd.GeoSeries(geoms, crs=src.crs))
