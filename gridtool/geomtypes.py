"""One geometry type per polygon layer: every grid, sub-grid and special grid a MultiPolygon.

Grids are drawn as unions of cells: one grid comes out a Polygon, its neighbour a MultiPolygon, and
a sub-grid cut along a grid's border can come out a GeometryCollection (its polygon and a line or
point where the cut touched). A GeoPackage layer of mixed types is declared ``GEOMETRY``: QGIS asks
which of its sub-layers to load and shows only one, shapefile export must split it, and a grid read
back from the project is a MultiPolygon where the engine gave a Polygon. So polygon layers are made
MultiPolygon throughout (the type GDAL itself promotes mixed polygon layers to), collections cut down
to their polygon parts (a line or point has no area: nothing is lost).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

_POLYGON, _MULTI, _COLLECTION = 3, 6, 7  # shapely.get_type_id


def _polygon_parts(geom) -> shapely.MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (_POLYGON, _MULTI)]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()


def is_polygon_layer(geoms) -> bool:
    """Every geometry present is a Polygon, a MultiPolygon or a collection holding a polygon (empty
    and missing ones aside), and there is at least one."""
    g = np.asarray(geoms, dtype=object)
    ids = shapely.get_type_id(g)
    present = (ids >= 0) & ~shapely.is_empty(g)
    if not present.any():
        return False
    ok = np.isin(ids, (_POLYGON, _MULTI))
    coll = np.flatnonzero(present & (ids == _COLLECTION))
    ok[coll] = [any(shapely.get_type_id(p) in (_POLYGON, _MULTI) for p in shapely.get_parts(g[i])) for i in coll]
    return bool(ok[present].all())


def as_multipolygons(geoms) -> np.ndarray:
    """``geoms`` with each Polygon made a one-part MultiPolygon and each collection its polygon
    parts (missing geometries stay missing)."""
    g = np.array(geoms, dtype=object)
    ids = shapely.get_type_id(g)
    single = np.flatnonzero(ids == _POLYGON)
    if len(single):
        empty = shapely.is_empty(g[single])
        full = single[~empty]
        if len(full):
            g[full] = shapely.multipolygons(g[full], indices=np.arange(len(full)))
        for i in single[empty]:
            g[i] = shapely.MultiPolygon()
    for i in np.flatnonzero(ids == _COLLECTION):
        g[i] = _polygon_parts(g[i])
    return g


def one_polygon_type(gdf: gpd.GeoDataFrame, *, always: bool = False) -> gpd.GeoDataFrame:
    """The layer with every geometry a MultiPolygon when it is a polygon layer
    (:func:`is_polygon_layer`) of mixed types (Polygon beside MultiPolygon, or a collection), or
    ``always`` (the plan's own layers, :data:`PLAN_LAYERS`: their type must not flip with an edit).
    A polygon layer of one type (a roster's footprints) and any other layer (points, lines, points
    and footprints) stay as they are. Returns a new frame only when something changed."""
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf or not len(gdf):
        return gdf
    geoms = gdf.geometry.values
    ids = shapely.get_type_id(np.asarray(geoms, dtype=object))
    kinds = set(np.unique(ids[np.isin(ids, (_POLYGON, _MULTI, _COLLECTION))]).tolist())
    if _POLYGON not in kinds and _COLLECTION not in kinds:
        return gdf  # all MultiPolygon already, or no polygons at all
    if not always and kinds == {_POLYGON}:
        return gdf
    if not is_polygon_layer(geoms):
        return gdf
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(as_multipolygons(geoms), index=gdf.index, crs=gdf.crs)
    return out


#: The layers a partition writes, always MultiPolygon (changes: one row per village).
PLAN_LAYERS = ("grids", "subgrids", "special_grids", "changes")

#: The geometry type of each layer gridtool makes, for writing it when it has no rows: GDAL takes
#: the type from the rows, and an empty layer declared ``GEOMETRY`` (no type) is shown by QGIS as a
#: table, not a layer of the map (a township without key places has no special grids).
LAYER_TYPES = {**dict.fromkeys(PLAN_LAYERS + ("corridors",), "MultiPolygon"), "circles": "Polygon",
               **dict.fromkeys(("routes", "walk", "walk_steps", "seal_paths", "party_links"), "LineString"),
               **dict.fromkeys(("route_stops", "sites", "exits"), "Point")}


def empty_layer_type(gdf, layer: str) -> str | None:
    """The geometry type to declare for ``layer`` when ``gdf`` has no geometry to take it from
    (no rows, or every geometry missing); None when the rows give it (or the layer is not one of
    :data:`LAYER_TYPES`)."""
    if layer not in LAYER_TYPES or not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        return None
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    return LAYER_TYPES[layer] if not len(geoms) or shapely.is_missing(geoms).all() else None


__all__ = ["LAYER_TYPES", "PLAN_LAYERS", "as_multipolygons", "empty_layer_type", "is_polygon_layer", "one_polygon_type"]


#: shapely geometry type → the family a shapefile or a QGIS style is made for.
FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
          "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}


def split_by_family(role: str, gdf: gpd.GeoDataFrame) -> list[tuple[str, gpd.GeoDataFrame]]:
    """A layer of one geometry family as it is; one of mixed families (places as points and school
    grounds) as ``<role>_point``, ``<role>_line``, ``<role>_polygon``: a shapefile holds one type, and
    QGIS offers a mixed GeoPackage table as sub-layers sharing one style of the majority's type.
    Every row lands in exactly one part (a row without geometry in the largest part)."""
    fam = gdf.geom_type.map(FAMILY)
    present = [f for f in ("point", "line", "polygon") if (fam == f).any()]
    if len(present) <= 1:
        return [(role, gdf)]
    fam = fam.fillna(fam.value_counts().index[0])
    return [(f"{role}_{f}", gdf[fam == f]) for f in present]
