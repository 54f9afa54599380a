"""Road topology on real roads: does ``--node-crossings auto`` keep a noded network's flyovers and
join a CAD-like drawing's crossings? And what did joining every crossing (the old behaviour for
layers without a bridge column) do to travel times?

    PYTHONPATH=. python benchmarks/road_topology_bench.py [--data /work/shared/data] [--pairs 200]
                                                          [--only nanjing]

For each OSM extract (Nanjing Xuanwu, Malta) the roads are built five ways: as mapped (``auto``),
with every crossing joined (``yes`` without the bridge/tunnel columns), converted to CAD-like
polylines (each road merged by name/class/one-way and its junction vertices dropped where it runs
straight on within 0.2 m, so roads cross without a shared vertex and T-ends touch the other line's
interior) with ``auto`` and with ``no``, and the CAD polylines cut into straight two-point
segments (``auto``). Walking times between random junctions of the as-mapped network are
compared with the as-mapped times: the ratio's median, 5th percentile and minimum, and the share of
pairs more than 5 % shorter or longer.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import linemerge


def cad_like(roads: gpd.GeoDataFrame, *, segments: bool = False) -> gpd.GeoDataFrame:
    """The roads as a CAD drawing would hold them (see the module docstring)."""
    coords = shapely.get_coordinates(roads.geometry.values)
    keys, counts = np.unique(np.round(coords * 100).astype(np.int64), axis=0, return_counts=True)
    shared = {tuple(k) for k in keys[counts > 1]}
    rd = roads.assign(_n=roads["name"].fillna("").astype(str), _c=roads["class"].astype(str),
                      _o=roads["oneway"].astype(bool))
    rows = []
    for (name, cls, oneway), grp in rd.groupby(["_n", "_c", "_o"]):
        merged = linemerge(list(grp.geometry)) if name else None
        geoms = list(grp.geometry) if merged is None else list(getattr(merged, "geoms", [merged]))
        for g in geoms:
            xy = shapely.get_coordinates(g)
            keep = np.ones(len(xy), dtype=bool)
            for i in range(1, len(xy) - 1):
                if tuple(np.round(xy[i] * 100).astype(np.int64)) in shared:
                    off = shapely.distance(shapely.Point(xy[i]), shapely.LineString([xy[i - 1], xy[i + 1]]))
                    keep[i] = off >= 0.2
            xy = xy[keep]
            parts = [xy[i:i + 2] for i in range(len(xy) - 1)] if segments else [xy]
            rows += [{"name": name or None, "class": cls, "oneway": oneway, "geometry": shapely.LineString(p)}
                     for p in parts]
    return gpd.GeoDataFrame(rows, crs=roads.crs)


def trial(path: Path, pairs: int) -> None:
    from gridtool.crs import metric_crs_for
    from gridtool.io.osm import read_osm_role
    from gridtool.routing import build_graph, snap, travel_matrix
    roads = read_osm_role(path, "roads")
    c = roads.geometry.iloc[len(roads) // 2].centroid
    roads = roads.to_crs(metric_crs_for(c.x, c.y)).reset_index(drop=True)
    base = build_graph(roads, mode="walk")
    main = np.flatnonzero(base.component == base.main_component)
    pick = np.random.default_rng(0).choice(main, min(pairs, len(main)), replace=False)
    pts = shapely.points(base.x[pick], base.y[pick])
    cad = cad_like(roads)
    variants = [("as mapped, auto", roads, "auto"),
                ("every crossing joined (old, no bridge column)", roads.drop(columns=["bridge", "tunnel"]), "yes"),
                ("CAD polylines, auto", cad, "auto"),
                ("CAD straight segments, auto", cad_like(roads, segments=True), "auto"),
                ("CAD polylines, no", cad, "no")]
    print(f"{path.name}: {len(roads):,} roads, {len(pts)} points ({len(pts) * (len(pts) - 1):,} pairs)")
    ref = None
    for name, rd, nc in variants:
        t = time.perf_counter()
        g = build_graph(rd, mode="walk", node_crossings=nc)
        el = time.perf_counter() - t
        m = travel_matrix(g, snap(g, pts))
        ref = m if ref is None else ref
        ok = np.isfinite(ref) & np.isfinite(m) & (ref > 60)
        r = m[ok] / ref[ok]
        nd = g.noding
        off = sum((nd[k] or 0) for k in ("touches", "loose_ends", "crossings"))
        print(f"  {name:<46} {len(rd):>7,} lines {el:5.1f} s  {nd['mode']:<8} off-vertex {off:>6,} / shared "
              f"{nd['shared_junctions']:>6,}  added {nd['junctions_added']:>6,} | ratio median {np.median(r):.3f} "
              f"p5 {np.percentile(r, 5):.3f} min {r.min():.3f}; >5 % shorter {np.mean(r < 0.95):.1%}, "
              f">5 % longer {np.mean(r > 1.05):.1%}; pairs lost {int((np.isfinite(ref) & ~np.isfinite(m)).sum())}",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--pairs", type=int, default=200, help="random junctions (all pairs between them)")
    ap.add_argument("--only", choices=("nanjing", "malta"))
    args = ap.parse_args()
    osm = Path(args.data) / "osm"
    for key, name in (("nanjing", "nanjing-xuanwu-2021-06.osm"), ("malta", "malta-2018-08.osm.pbf")):
        if args.only in (None, key):
            trial(osm / name, args.pairs)


if __name__ == "__main__":
    main()
