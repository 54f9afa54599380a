"""Small real data for the lock and redraw tests: a few neighbouring villages cut from a bundled
OpenStreetMap sample (project CRS), with their households and the lines and places around them."""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import shapely

from gridtool.layers import Layer
from gridtool.project import Project

#: Neighbouring villages: Liechtenstein's Unterland (houses of 1–3 households, as in the report),
#: and three Nanjing communities (apartment blocks divided between grids).
CUTS = {
    "liechtenstein": ("Gamprin", "Schellenberg", "Ruggell"),
    "nanjing-xuanwu": ("五老村社区", "四条巷社区", "长白街社区"),
}


@cache
def _cut(name: str, names: tuple[str, ...] | None = None) -> dict[str, gpd.GeoDataFrame]:
    from gridtool.samples import sample_sources
    p = Project.from_sources(sample_sources(name), name=name)
    villages = p.layers["villages"].gdf
    villages = villages[villages["name"].isin(names or CUTS[name])].reset_index(drop=True)
    area = shapely.union_all(villages.geometry.values)
    shapely.prepare(area)
    out = {"villages": villages}
    for role, lyr in p.layers.items():
        if role == "villages":
            continue
        gdf = lyr.gdf
        if role == "households":
            keep = shapely.contains(area, gdf.geometry.representative_point().values)
        else:
            keep = shapely.intersects(shapely.buffer(area, 100.0), gdf.geometry.values)
        out[role] = gdf[np.asarray(keep)].reset_index(drop=True)
    return out


def cut_layers(name: str, names: tuple[str, ...] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The villages of ``CUTS[name]`` (or ``names``) and what lies in and around them, by role
    (fresh copies)."""
    return {r: g.copy() for r, g in _cut(name, names).items()}


def cut_project(name: str, names: tuple[str, ...] | None = None) -> Project:
    """The same as a project (no grids yet), in the sample's own metric CRS."""
    layers = cut_layers(name, names)
    p = Project(name=f"{name}-cut", crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    return p


def free_spots(poly, homes, n: int, rng) -> list:
    """``n`` random points inside ``poly`` (5 m in from its edge), each 3 m clear of ``homes`` and of
    one another: where this year's new buildings stand."""
    taken = shapely.union_all(shapely.buffer(homes, 3.0))
    spots = []
    x0, y0, x1, y1 = poly.bounds
    inner = poly.buffer(-5.0)
    while len(spots) < n:
        pt = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if inner.contains(pt) and not taken.contains(pt):
            spots.append(pt)
            taken = taken.union(pt.buffer(3.0))
    return spots
