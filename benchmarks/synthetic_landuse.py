"""三调-like land-use parcels (DLTB) made from real forest and farmland polygons.

    from synthetic_landuse import sandiao_parcels
    lu = sandiao_parcels(layers["forest"], seed=0)   # GeoDataFrame: DLBM, DLMC, kind, geometry

A 三调 layer cuts one wood into many adjacent forest parcels (乔木林地 0301, 灌木林地 0305,
其他林地 0307), and digitising leaves hairline gaps and overlaps between neighbours. Here every
``kind == "forest"`` polygon of a forest layer (OpenStreetMap, © OpenStreetMap contributors, ODbL)
is cut by the Voronoi cells of random points (one per ``parcel_ha`` hectares) into parcels that
tile it exactly; then each parcel is, at random, kept as cut (40 %), shrunk by 1-15 cm (40 %:
gaps of up to 30 cm with its neighbours) or grown by 1-8 cm (20 %: overlaps), as a digitiser
leaves them. ``farmland`` polygons become 旱地 (0103) parcels as they are. Deterministic from
``seed``. The true outline of the woods is the union of the forest polygons given.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

FOREST_CODES = (("0301", "乔木林地"), ("0305", "灌木林地"), ("0307", "其他林地"))


def cut_parcels(polys, parcel_ha: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``polys`` cut into parcels that tile them exactly; returns (parcels, index of their polygon)."""
    polys = np.asarray(polys, dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(polys)
    n = max(4, int((x1 - x0) * (y1 - y0) / (parcel_ha * 10_000)))
    seeds = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]))
    frame = shapely.box(x0 - 10, y0 - 10, x1 + 10, y1 + 10)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    ci, pi = shapely.STRtree(cells).query(polys, predicate="intersects")[::-1]
    cut = shapely.intersection(cells[ci], polys[pi])
    parts, idx = shapely.get_parts(cut, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), (3, 6)) & (shapely.area(parts) > 0.0)
    return parts[keep], pi[idx[keep]]


def digitise(parcels, rng: np.random.Generator) -> np.ndarray:
    """Each parcel as cut, shrunk by 1-15 cm or grown by 1-8 cm (hairline gaps and overlaps)."""
    u = rng.random(len(parcels))
    d = np.where(u < 0.4, 0.0, np.where(u < 0.8, -rng.uniform(0.01, 0.15, len(parcels)),
                                        rng.uniform(0.01, 0.08, len(parcels))))
    out = np.asarray(parcels, dtype=object).copy()
    moved = d != 0
    out[moved] = shapely.buffer(out[moved], d[moved], join_style="mitre")
    return out


def sandiao_parcels(forest: gpd.GeoDataFrame, seed: int = 0, parcel_ha: float = 3.0) -> gpd.GeoDataFrame:
    """A 三调-like land-use layer from a forest layer's forest and farmland polygons (module docstring)."""
    rng = np.random.default_rng(seed)
    kind = forest["kind"].to_numpy() if "kind" in forest else np.full(len(forest), "forest")
    woods = forest.geometry.values[kind == "forest"]
    fields = forest.geometry.values[kind == "farmland"]
    parcels, _ = cut_parcels(woods, parcel_ha, rng) if len(woods) else (np.array([], dtype=object), None)
    parcels = digitise(parcels, rng)
    parcels = parcels[~shapely.is_empty(parcels)]
    code = rng.integers(0, len(FOREST_CODES), len(parcels))
    rows = {"DLBM": [FOREST_CODES[c][0] for c in code] + ["0103"] * len(fields),
            "DLMC": [FOREST_CODES[c][1] for c in code] + ["旱地"] * len(fields),
            "kind": ["forest"] * len(parcels) + ["farmland"] * len(fields)}
    return gpd.GeoDataFrame(rows, geometry=np.concatenate([parcels, fields]), crs=forest.crs)
