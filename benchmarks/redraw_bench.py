"""Redraw with minimal change: partition a sample, add 5 % new households beside existing ones, lock
one grid, redraw from the previous plan, and print how many households and grids changed.

    python benchmarks/redraw_bench.py [--fraction 0.05]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridtool.demo import sample_sources
from gridtool.partition.engine import GridPartitioner
from gridtool.project import Project


def grow(layers: dict, fraction: float, seed: int = 0) -> dict:
    """New one-household buildings next to randomly chosen existing ones (5 m away)."""
    hs = layers["households"]
    rng = np.random.default_rng(seed)
    n = int(round(fraction * hs["hh"].sum()))
    pick = hs.iloc[rng.integers(0, len(hs), n)].copy()
    pts = shapely.get_coordinates(pick.geometry.representative_point().values)
    ang = rng.random(n) * 2 * np.pi
    pick["geometry"] = shapely.points(pts + 5 * np.column_stack([np.cos(ang), np.sin(ang)]))
    pick["hh"] = 1
    pick["src_id"] = [f"new {i}" for i in range(n)]
    out = dict(layers)
    out["households"] = gpd.GeoDataFrame(pd.concat([hs, pick], ignore_index=True), crs=hs.crs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fraction", type=float, default=0.05)
    args = ap.parse_args()
    print(f"| sample | households | added | grids | redraw s | fresh s | households moved | grids changed | codes kept | within bounds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("liechtenstein", "nanjing-xuanwu"):
        p = Project.from_sources(sample_sources(name))
        layers = {r: lyr.gdf for r, lyr in p.layers.items()}
        first = GridPartitioner(corridor_width=0, subgrids=False).fit(layers)
        grown = grow(layers, args.fraction)
        locked = [first.grids_["code"].iat[0]]
        t = time.perf_counter()
        again = GridPartitioner(corridor_width=0, subgrids=False).fit(grown, previous=first.grids_, locked=locked)
        t_redraw = time.perf_counter() - t
        t = time.perf_counter()
        fresh = GridPartitioner(corridor_width=0, subgrids=False).fit(grown)
        t_fresh = time.perf_counter() - t
        r = again.report_["plan"]["redraw"]
        added = int(grown["households"]["hh"].sum() - layers["households"]["hh"].sum())
        print(f"| {name} | {r['households_total']:,} | {added:,} | {r['grids']} | {t_redraw:.2f} | {t_fresh:.2f} | "
              f"{r['households_moved']:,} ({100 * r['households_moved'] / r['households_total']:.2f} %) | "
              f"{r['grids_changed']} | {r['codes_kept']} | {again.report_['plan']['pct_within_bounds']} % |")


if __name__ == "__main__":
    main()
