"""Small spatial helpers shared by validation, summaries and the engines."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def household_points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One point per household feature: the point itself, or a point inside the building."""
    pts = gdf.geometry
    if (pts.geom_type != "Point").any():
        pts = pts.representative_point()
    return pts


def assign_to_polygons(points: gpd.GeoSeries, polygons: gpd.GeoSeries) -> np.ndarray:
    """Index of the polygon each point lies in, -1 if none.

    A point on a shared border goes to the first polygon found, so nothing is counted twice.
    """
    return first_containing(np.asarray(points.values, dtype=object), np.asarray(polygons.values, dtype=object))


def first_containing(pts: np.ndarray, polys: np.ndarray, tree: shapely.STRtree | None = None) -> np.ndarray:
    """:func:`assign_to_polygons` on geometry arrays (``tree``: an STRtree of ``polys`` already built)."""
    tree = shapely.STRtree(polys) if tree is None else tree
    # Boxes from the tree, then the exact test against the prepared polygons: the tree's own
    # predicate prepares every query point (useless for a point) and tests the polygons raw,
    # which is several times slower for many points in few polygons. Same pairs (intersects is
    # symmetric).
    src, dst = tree.query(pts)
    if len(src):
        shapely.prepare(polys)  # kept on the geometries: changes no result, only speed
        ok = shapely.intersects(polys[dst], pts[src])
        src, dst = src[ok], dst[ok]
    out = np.full(len(pts), -1, dtype=np.int64)
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    first = np.unique(src, return_index=True)[1]
    out[src[first]] = dst[first]
    return out


def label_points(geoms) -> np.ndarray:
    """A point well inside each polygon, where the wall map, the atlas, the HTML map and the app
    put its label: the centre of the largest inscribed circle (pole of inaccessibility), else a
    point on the surface. Never the centroid, which lies outside an L-shaped or crescent grid; nor
    GEOS's point on the surface alone, which may sit in a thin arm a few metres from the edge."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    if hasattr(shapely, "maximum_inscribed_circle"):
        # Largest part only: the inscribed circle of a MultiPolygon is that of one part anyway.
        try:
            tol = np.maximum(np.sqrt(shapely.area(geoms)) / 200.0, 0.01)
            lines = shapely.maximum_inscribed_circle(geoms, tol)
            pts = shapely.get_point(lines, 0)
            bad = shapely.is_missing(pts) | shapely.is_empty(pts)
            if bad.any():
                pts[bad] = shapely.point_on_surface(geoms[bad])
            return pts
        except Exception:  # noqa: BLE001 - invalid geometries: fall back below
            pass
    return shapely.point_on_surface(geoms)
