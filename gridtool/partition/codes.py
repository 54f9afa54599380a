"""Grid codes: ``<village code>-NN`` numbered in reading order (west→east within bands, bands
north→south), as a planner reads a wall map. Used for base grids, sub-grids and special grids."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely


def reading_order(gdf) -> list[int]:
    """1-based numbers for the rows of ``gdf`` (or an array of geometries): west→east within
    bands, bands north→south."""
    if not len(gdf):
        return []
    geoms = gdf.geometry.values if hasattr(gdf, "geometry") else gdf
    c = shapely.get_coordinates(shapely.point_on_surface(geoms))
    area = shapely.area(geoms)
    band = max(math.sqrt(float(np.median(area))) if len(area) else 1.0, 1.0)
    ymax = c[:, 1].max()
    row = np.floor((ymax - c[:, 1]) / band).astype(int)
    order = np.lexsort((c[:, 0], row))
    num = np.empty(len(gdf), dtype=int)
    num[order] = np.arange(1, len(gdf) + 1)
    return num.tolist()


def assign_codes(gdf: gpd.GeoDataFrame, *, group: str) -> list[str]:
    """``<group value>-NN`` for every row, numbered west→east, north→south within each group."""
    codes = np.empty(len(gdf), dtype=object)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    # Rows by position (``indices``), not a ``.loc`` and a label lookup per row of every group.
    for key, pos in gdf.groupby(group, sort=False).indices.items():
        nums = reading_order(geoms[pos])
        codes[pos] = [f"{key}-{n:02d}" for n in nums]
    return codes.tolist()
