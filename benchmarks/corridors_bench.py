"""The corridors stage (:func:`gridtool.partition.corridors.draw_corridors`) against an earlier
version of itself, on the same inputs in one process.

    python benchmarks/corridors_bench.py                  # samples + ~500,000-household county
    python benchmarks/corridors_bench.py --against b633a01 --rounds 3 --households 200000

The earlier ``corridors.py`` is read from git (``--against``, default the commit before the
bands were dissolved by disjoint subsets) and run beside this checkout's, alternating
old and new ``--rounds`` times so a busy machine slows both alike. Prints per case the thread CPU
seconds of each (best and median), the ratio, and whether the two give the same corridors: same
rows (code, kind, village), and per corridor the symmetric-difference area over the old area
(max and mean; float noise and the cut at the village edge, not a different corridor).

Cases: the Liechtenstein and Nanjing samples and the synthetic county (:mod:`synthetic_county`),
plus ``county+landuse``: the county with its forest layer (forest and farmland polygons alike)
given as land-use parcels of kind forest instead (the path that dissolves the parcels first), and
``county+三调``: its forest polygons cut into 三调-like parcels with the hairline gaps and overlaps
digitising leaves (:mod:`synthetic_landuse`), its farmland as farmland parcels. For the 三调
case ``inner m²`` is the corridor area deep inside the woods (farther than a band reaches from
the true outline, the union of the forest polygons): a band along a gap between parcels, not
along a forest edge. ``--cases`` picks cases by name. Timings compare within one run; no test
asserts them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def old_module(rev: str) -> types.ModuleType:
    """``gridtool/partition/corridors.py`` at ``rev`` as a module of its own."""
    src = subprocess.run(["git", "-C", str(HERE.parent), "show", f"{rev}:gridtool/partition/corridors.py"],
                         check=True, capture_output=True, text=True).stdout
    mod = types.ModuleType("corridors_old")
    exec(compile(src, f"corridors.py@{rev}", "exec"), mod.__dict__)
    return mod


def corridor_args(layers: dict, width: float = 50.0) -> tuple:
    """What the engine passes to ``draw_corridors`` (see ``GridPartitioner.fit``)."""
    from gridtool.partition.barriers import barrier_lines
    from gridtool.partition.inputs import check_inputs
    from gridtool.partition.villages import village_codes, village_names

    _, villages = check_inputs(layers)
    lines = barrier_lines(layers, strips=[])
    return ({k: layers[k] for k in ("forest", "landuse") if layers.get(k) is not None}, lines, villages,
            village_codes(villages), village_names(villages), villages.crs, width)


def compare(old, new) -> dict:
    """Same rows? Per corridor |old △ new| / |old|."""
    keys = ["code", "kind", "village", "village_code"]
    same_rows = len(old) == len(new) and (old[keys].to_numpy() == new[keys].to_numpy()).all()
    if not same_rows or not len(old):
        return {"same_rows": bool(same_rows), "n": len(old), "max": float("nan"), "mean": float("nan")}
    a, b = old.geometry.values, new.geometry.values
    rel = shapely.area(shapely.symmetric_difference(a, b)) / shapely.area(a)
    return {"same_rows": True, "n": len(old), "max": float(rel.max()), "mean": float(rel.mean()),
            "valid": bool(shapely.is_valid(b).all())}


def inner(cor, deep) -> float:
    """Forest-corridor area inside ``deep`` (m²)."""
    band = cor.geometry.values[(cor["kind"] == "forest").to_numpy()]
    return float(shapely.area(shapely.intersection(shapely.union_all(band), deep)))


def timed(fn, args) -> tuple[float, object]:
    c = time.thread_time()
    out = fn(*args)
    return time.thread_time() - c, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="b633a01", help="git revision of the old corridors.py")
    ap.add_argument("--households", type=int, default=500_000, help="size of the synthetic county (0: samples only)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--width", type=float, default=50.0)
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    args = ap.parse_args(argv)

    import geopandas as gpd

    from gridtool.partition.corridors import draw_corridors
    from synthetic_county import load_sample, make_county
    from synthetic_landuse import sandiao_parcels

    old = old_module(args.against)
    sample = load_sample("liechtenstein")
    cases = {"liechtenstein": sample, "nanjing-xuanwu": load_sample("nanjing-xuanwu")}
    deep = {}
    if args.households:
        county = make_county(args.households, sample=sample)
        cases["county"] = county
        forest = county["forest"]
        cases["county+landuse"] = {**{k: v for k, v in county.items() if k != "forest"},
                                   "landuse": gpd.GeoDataFrame({"kind": ["forest"] * len(forest)},
                                                               geometry=forest.geometry.values, crs=forest.crs)}
        cases["county+三调"] = {**{k: v for k, v in county.items() if k != "forest"},
                                "landuse": sandiao_parcels(forest, seed=0)}
        woods = forest.geometry.values[(forest["kind"] == "forest").to_numpy()]
        # Deep inside the woods: farther from the true outline than a band reaches.
        deep["county+三调"] = shapely.buffer(shapely.union_all(woods), -(args.width * 0.6 + 3.0))
    if args.cases:
        cases = {k: v for k, v in cases.items() if k in args.cases.split(",")}
    bad = False
    print(f"{'case':16} {'rows':>5} {'old CPU s':>16} {'new CPU s':>16} {'old/new':>7}  same rows  "
          "sym-diff/area max, mean   inner m² old, new")
    for name, layers in cases.items():
        ca = corridor_args(layers, args.width)
        t_old, t_new = [], []
        for _ in range(args.rounds):
            t, r_old = timed(old.draw_corridors, ca)
            t_old.append(t)
            t, r_new = timed(draw_corridors, ca)
            t_new.append(t)
        c = compare(r_old, r_new)
        bad |= not c["same_rows"] or not c.get("valid", True)
        print(f"{name:16} {c['n']:5d} {min(t_old):7.2f} (med {statistics.median(t_old):5.2f}) "
              f"{min(t_new):7.2f} (med {statistics.median(t_new):5.2f}) "
              f"{statistics.median(t_old) / max(statistics.median(t_new), 1e-9):6.1f}×  "
              f"{'yes' if c['same_rows'] else 'NO':9}  {c['max']:.2e}, {c['mean']:.2e}"
              + (f"   {inner(r_old, deep[name]):.0f}, {inner(r_new, deep[name]):.0f}" if name in deep else "")
              + ("" if c.get("valid", True) else "  INVALID geometry"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
