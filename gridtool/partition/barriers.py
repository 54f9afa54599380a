"""Barrier lines from the project's roads, rivers and railways, each with a class and its cost.

Every line that can bound a grid gets a *class* (``motorway`` … ``footway`` for roads, ``river``
for rivers and canals, ``stream`` for streams, ditches and drains, ``railway``) and from it:

- ``hard``: never crossed by a grid when avoidable (default: rivers, railways, motorways, trunk
  roads — the "expressways" of the field);
- ``affinity``: how much two blocks on either side of the line want to stay in one grid (0 for a
  main road, 1 for a footpath). Grid borders are drawn where the summed affinity is lowest, so they
  follow main roads and rivers and avoid cutting through a neighbourhood along a lane.

Tunnels (railway or road) do not split the land above them and are left out. Watercourse kinds
come from the loader (:mod:`gridtool.lineclasses`): rivers, canals, lakes and reservoirs are the
class ``river``; streams, ditches, drains and ponds ``stream``. With an elevation model the engine
adds the ridges between valleys as the class ``ridge`` (:mod:`.ridgelines`).

Land parcels (a 三调 ``DLTB`` layer, role ``landuse``) and water areas act by their outlines: the
parcels of one barrier class are dissolved first (a river cut into many parcels is one area), and
a road or railway parcel that crosses a river — touching its water on both banks — is added to the
water as a *bridge piece*, so that the road's strip of land does not join the two banks.
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
    "ridge": 0.1,  # 山脊, from the project's DEM (.ridgelines): a grid worker does not walk over it
}

#: Classes counted as "main roads" in the soft-crossing metric (a grid straddling one).
MAJOR = frozenset({"trunk", "primary", "secondary", "tertiary", "stream", "motorway"})

_RIVER_KINDS = {"river", "riverbank", "canal", "water", "lake", "reservoir"}
_STREAM_KINDS = {"stream", "ditch", "drain", "pond", "brook"}
_NOT_BARRIERS = {"none", "disused", "abandoned", "razed", "proposed", "construction", "shoal"}


def road_class(value) -> str:
    """OSM-style class of a road, folding ``*_link`` into its road and unknowns into ``road``."""
    if not isinstance(value, str) or not value:
        return "road"
    v = value.strip().lower().removesuffix("_link")
    return v if v in AFFINITY else "road"


def _road_classes(values: pd.Series) -> pd.Series:
    """:func:`road_class` of every value, worked out once per distinct value (a county's roads
    carry a dozen classes on a hundred thousand lines)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([road_class(u) for u in uniques] + ["road"], dtype=object)  # -1 (missing): "road"
    return pd.Series(table[codes], index=values.index, dtype=object)


def barrier_lines(layers: dict[str, gpd.GeoDataFrame], *,
                  hard: Iterable[str] = DEFAULT_HARD, strips: list | None = None) -> gpd.GeoDataFrame:
    """All barrier lines of the project as one GeoDataFrame (``cls``, ``hard``, ``affinity``, ``src``).

    ``layers`` maps role to GeoDataFrame (roads, rivers, railways, landuse; any may be missing).
    Polygon rivers and land parcels contribute their outlines. Unknown classes in ``hard`` are
    accepted (a user may pass ``primary`` to keep grids off main roads). ``strips``, when given a
    list, receives ``(cls, area)`` of every outlined area of a soft class (a street, a brook, a
    ditch drawn as a polygon): :func:`.blocks.build_blocks` joins the land on its two sides.
    """
    hard = {h.strip().lower() for h in hard if h and h.strip()}
    parts = []
    roads = layers.get("roads")
    if roads is not None and len(roads):
        keep = ~_flag(roads, "tunnel")
        r = roads[keep]
        cls = _road_classes(r["class"]) if "class" in r else pd.Series("road", index=r.index)
        if "class" in r:  # a mapping file may take a line out of the barriers, or call it a railway
            raw = r["class"].astype(str).str.lower()
            cls = cls.where(~raw.isin(["railway", "none"]), raw)
        parts.append(_frame(r.geometry.values, cls.to_numpy(dtype=object), r, "roads"))
    water_polys = []  # (geometry, cls, src) of water areas, outlined together with bridge pieces
    rivers = layers.get("rivers")
    if rivers is not None and len(rivers):
        kind = rivers["kind"].astype(str).str.lower() if "kind" in rivers else pd.Series("river", index=rivers.index)
        geoms = rivers.geometry.values
        is_poly = shapely.get_type_id(geoms) >= 3
        cls = np.where(kind.isin(_RIVER_KINDS) | (kind == "nan") | (is_poly & ~kind.isin(_STREAM_KINDS)),
                       "river", "stream").astype(object)
        keep = ~kind.isin(_NOT_BARRIERS).to_numpy()
        lines = keep & ~is_poly
        parts.append(_frame(geoms[lines], cls[lines], rivers[lines], "rivers"))
        polys = keep & is_poly
        ids = _ids(rivers)
        water_polys += [(g, c, f"rivers:{i}") for g, c, i in zip(geoms[polys], cls[polys], ids[polys])]
    rail = layers.get("railways")
    if rail is not None and len(rail):
        r = rail[~_flag(rail, "tunnel")]
        kind = r["kind"].astype(str).str.lower() if "kind" in r else pd.Series("rail", index=r.index)
        # Disused and abandoned lines are no barrier; metro above ground is (tunnels left out above).
        r = r[~kind.isin(_NOT_BARRIERS)]
        parts.append(_frame(r.geometry.values, np.full(len(r), "railway", dtype=object), r, "railways"))
    lu = layers.get("landuse")
    crossing = []  # road and railway parcels: (geometry, cls)
    if lu is not None and len(lu) and "class" in lu:
        lcls = lu["class"].fillna("").astype(str).str.lower()
        kind = lu["kind"].fillna("").astype(str).str.lower() if "kind" in lu else pd.Series("", index=lu.index)
        geoms = shapely.make_valid(lu.geometry.values)
        ids = _ids(lu)
        for g, c, k, i in zip(geoms, lcls, kind, ids):
            if not c or c in _NOT_BARRIERS:
                continue
            if k == "water" or c in _RIVER_KINDS or c in _STREAM_KINDS:
                water_polys.append((g, "river" if c in _RIVER_KINDS else "stream", f"landuse:{i}"))
            else:
                crossing.append((g, "railway" if c == "railway" else road_class(c)))
    crs = next((g.crs for g in layers.values() if g is not None and getattr(g, "crs", None) is not None), None)
    # Road and railway parcels bound blocks only where no line layer gives those roads or railways
    # (their centre lines are the better border); they always make the bridge pieces.
    outline = [(g, c) for g, c in crossing
               if not ((c == "railway" and rail is not None and len(rail)) or
                       (c != "railway" and roads is not None and len(roads)))]
    parts += _outlines(water_polys, crossing, crs, outline=outline, hard=hard, strips=strips)
    if not parts:
        return gpd.GeoDataFrame({"cls": [], "hard": [], "affinity": [], "src": []},
                                geometry=gpd.GeoSeries([]))
    out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    out = out[~shapely.is_empty(out.geometry.values) & out.geometry.notna()].reset_index(drop=True)
    out = out[out["cls"] != "none"].reset_index(drop=True)
    out["hard"] = out["cls"].isin(hard)
    out["affinity"] = np.where(out["hard"], 0.0, out["cls"].map(AFFINITY).fillna(0.6).to_numpy())
    return gpd.GeoDataFrame(out, geometry="geometry")


def _ids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return gdf["src_id"].astype(str).to_numpy() if "src_id" in gdf else np.arange(len(gdf)).astype(str)


def _outlines(water: list, crossing: list, crs=None, *, outline: list | None = None, hard=(),
              strips: list | None = None) -> list[gpd.GeoDataFrame]:
    """Outlines of water areas and of road/railway parcels (``outline``, default all of
    ``crossing``), one dissolved area per class, with the bridge pieces of the ``crossing``
    parcels that cross hard water added to the water."""
    out = []
    by_cls: dict[str, list] = {}
    for g, c, _ in water:
        by_cls.setdefault(c, []).append(g)
    hard_water = _dissolve(by_cls.get("river", []))
    if crossing and hard_water is not None:
        pieces = bridge_pieces(np.array([g for g, _ in crossing], dtype=object), hard_water)
        if len(pieces):
            hard_water = _dissolve([hard_water, *pieces])
    if hard_water is not None:
        by_cls["river"] = [hard_water]
    road_cls: dict[str, list] = {}
    for g, c in (crossing if outline is None else outline):
        road_cls.setdefault(c, []).append(g)
    for group, src in ((by_cls, "water"), (road_cls, "landuse")):
        for c, geoms in sorted(group.items()):
            area = _dissolve(geoms)
            if area is None:
                continue
            if strips is not None and c not in hard:
                strips.append((c, area))
            lines = shapely.get_parts(shapely.line_merge(shapely.boundary(area)))
            lines = lines[~shapely.is_empty(lines)]
            out.append(gpd.GeoDataFrame({"cls": np.full(len(lines), c, dtype=object),
                                         "src": [f"{src}:{c}"] * len(lines)},
                                        geometry=gpd.GeoSeries(lines, crs=crs)))
    return out


def _dissolve(geoms):
    geoms = [g for g in geoms if g is not None and not shapely.is_empty(g)]
    if not geoms:
        return None
    arr = shapely.make_valid(np.array(geoms, dtype=object))
    arr = np.concatenate([shapely.get_parts(a) for a in arr])
    arr = arr[shapely.get_type_id(arr) == 3]
    if not len(arr):
        return None
    return shapely.union_all(arr)


def bridge_pieces(parcels: np.ndarray, water) -> list:
    """The part of each road or railway parcel that spans hard water.

    A parcel touching the water along two or more separate stretches of its outline (the
    upstream and downstream edges of a bridge) crosses it there: the convex hull of those
    stretches, inside the parcel, is the bridge piece. Pieces longer than 300 m across are left
    alone (a road along a winding bank, not a bridge)."""
    if water is None or not len(parcels):
        return []
    out = []
    wb = shapely.buffer(water, 0.5)
    for r in parcels:
        if r is None or shapely.is_empty(r) or not shapely.intersects(r, wb):
            continue
        shared = shapely.intersection(shapely.boundary(r), wb)
        segs = shapely.get_parts(shapely.line_merge(shapely.unary_union(shared))
                                 if not shapely.is_empty(shared) else shared)
        segs = segs[(shapely.get_type_id(segs) == 1) & (shapely.length(segs) > 0.5)]
        if len(segs) < 2:
            continue
        hull = shapely.convex_hull(shapely.multilinestrings(list(segs)))
        piece = shapely.intersection(hull, r)
        if shapely.is_empty(piece) or shapely.area(piece) < 1.0:
            continue
        x0, y0, x1, y1 = shapely.bounds(piece)
        if max(x1 - x0, y1 - y0) > 300.0:
            continue
        out.append(piece)
    return out


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
