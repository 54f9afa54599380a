"""A synthetic county of about 500,000 households built on real building geometry.

    from benchmarks.synthetic_county import make_county
    layers = make_county(target_households=500_000, seed=0)   # {role: GeoDataFrame}, metres

The Liechtenstein sample (``sample_data/liechtenstein.gpkg``: 11 villages, 11,776 buildings,
28,340 households, with its roads, rivers, railways, forest and places) is loaded through
:class:`gridtool.project.Project` (so every layer is in the project's metric CRS) and laid side by
side in a grid of tiles, each translated in metres with a small deterministic jitter (a shift of up
to ±100 m and a rotation of up to ±1.5° about the tile's centre, from ``seed``), so that no two
tiles are numerically identical. The number of tiles is ``round(target_households / 28,340)``
(18 for 500,000 → 510,120 households). Tiles are separated by a gap of at least 2 km so that no
line of one tile reaches another.

Villages are renamed and recoded uniquely with real village-level names and 12-digit codes of one
Chongqing district (开州区 by default) from ``/work/shared/data/names/chongqing_villages_china_division.csv``
(the 村民委员会 / 居民委员会 suffix dropped); when that file is missing, codes ``5001549990NN``
and names ``合成村NNN`` are used.

**The households are synthetic**: the ``hh`` of every building is the sample's *estimated*
household count (from building type, levels and area) on real OpenStreetMap building shapes —
© OpenStreetMap contributors, ODbL 1.0. Neither the counts nor the names-to-places mapping describe
any real place; the county exists only to measure speed and plan quality at county scale.

Nothing is cached on disk.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

NAMES_CSV = Path("/work/shared/data/names/chongqing_villages_china_division.csv")
ROLES = ("households", "villages", "roads", "rivers", "railways", "forest", "places")


def load_sample(name: str = "liechtenstein") -> dict[str, gpd.GeoDataFrame]:
    """The sample's layers by role, in the project's metric CRS."""
    from gridtool.samples import sample_sources
    from gridtool.project import Project

    p = Project.from_sources(sample_sources(name))
    return {role: lyr.gdf.reset_index(drop=True) for role, lyr in p.layers.items()}


def _village_names(n: int, seed: int, area_code: str = "500154") -> list[tuple[str, str]]:
    """``n`` unique (code, name) pairs of real villages of one Chongqing district, deterministic."""
    if NAMES_CSV.exists():
        d = pd.read_csv(NAMES_CSV, dtype=str)
        if (d["areaCode"] == area_code).sum() < n:  # the district is too small: the whole city
            area_code = None
        if area_code is not None:
            d = d[d["areaCode"] == area_code]
        d = d.sort_values("code").reset_index(drop=True)
        name = d["village"].str.replace(r"(村民委员会|居民委员会|村委会|居委会)$", "", regex=True)
        # Same name in two towns: add the town.
        dup = name.duplicated(keep=False)
        name = name.where(~dup, name + "（" + d["street"] + "）")
        rng = np.random.default_rng(seed)
        if len(d) >= n:
            pick = rng.choice(len(d), size=n, replace=False)
            return list(zip(d["code"].to_numpy()[pick], name.to_numpy()[pick]))
    return [(f"5001549{i:05d}", f"合成村{i + 1:03d}") for i in range(n)]


def make_county(target_households: int = 500_000, seed: int = 0,
                sample: dict[str, gpd.GeoDataFrame] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Tile the Liechtenstein sample into a county of about ``target_households`` households.

    Returns ``{role: GeoDataFrame}`` (households, villages, roads, rivers, railways, forest,
    places) in the sample's metric CRS, ready for ``GridPartitioner.fit``. See the module docstring:
    household counts are synthetic estimates on real OSM building shapes (© OpenStreetMap
    contributors, ODbL).
    """
    base = sample if sample is not None else load_sample()
    H0 = int(base["households"]["hh"].sum())
    n_tiles = max(1, int(round(target_households / H0)))
    ncol = max(1, int(math.ceil(math.sqrt(n_tiles * 2))))  # tiles are ~2× taller than wide
    nrow = int(math.ceil(n_tiles / ncol))
    bounds = np.array([g.total_bounds for g in base.values() if len(g)])
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # Room for the rotation (the tile's half-diagonal) plus the gap.
    half = math.hypot(x1 - x0, y1 - y0) / 2
    step_x = max(x1 - x0 + 2000.0, 2 * half * math.sin(math.radians(1.5)) + (x1 - x0) + 2000.0)
    step_y = max(y1 - y0 + 2000.0, 2 * half * math.sin(math.radians(1.5)) + (y1 - y0) + 2000.0)
    rng = np.random.default_rng(seed)
    names = _village_names(n_tiles * len(base["villages"]), seed)

    out: dict[str, list] = {r: [] for r in ROLES if r in base}
    nv = len(base["villages"])
    for t in range(n_tiles):
        r, c = divmod(t, ncol)
        dx, dy = rng.uniform(-100, 100, size=2)
        ang = math.radians(rng.uniform(-1.5, 1.5))
        ca, sa = math.cos(ang), math.sin(ang)
        tx, ty = c * step_x + dx, -r * step_y + dy

        def move(coords, ca=ca, sa=sa, tx=tx, ty=ty):
            x = coords[:, 0] - cx
            y = coords[:, 1] - cy
            return np.column_stack([cx + ca * x - sa * y + tx, cy + sa * x + ca * y + ty])

        for role in out:
            g = base[role].copy()
            g = g.set_geometry(shapely.transform(g.geometry.values, move), crs=g.crs)
            g["tile"] = t
            if "src_id" in g:
                g["src_id"] = f"t{t:02d}:" + g["src_id"].astype(str)
            if "osm_id" in g:
                g["osm_id"] = g["osm_id"].astype(str)
            if role == "villages":
                codes, vnames = zip(*names[t * nv:(t + 1) * nv])
                g["source_name"] = g["name"]
                g["source_code"] = g["code"].astype(str)
                g["code"] = list(codes)
                g["name"] = list(vnames)
            out[role].append(g)
    county = {}
    for role, parts in out.items():
        g = pd.concat(parts, ignore_index=True)
        county[role] = gpd.GeoDataFrame(g, geometry=g.geometry.name, crs=parts[0].crs)
    # Household features carry their village's code; keep that consistent with the new codes.
    if "village" in county["households"]:
        v = county["villages"]
        key = dict(zip(zip(v["tile"], v["source_code"]), v["code"]))
        key.update(dict(zip(zip(v["tile"], v["source_name"].astype(str)), v["code"])))
        hs = county["households"]
        hs["village"] = [key.get((t, str(n)), n) for t, n in zip(hs["tile"], hs["village"])]
    return county


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=500_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t = time.perf_counter()
    c = make_county(a.households, a.seed)
    print(f"{len(c['villages'])} villages, {len(c['households'])} buildings, "
          f"{int(c['households']['hh'].sum())} households in {time.perf_counter() - t:.1f}s")
    print(c["villages"][["code", "name", "tile"]].head(12).to_string())
