"""Do the sub-grids tile their grid? Per grid: the area of the grid in no sub-grid, the area of its
sub-grids outside it and the area where two of its sub-grids overlap.

    python benchmarks/subgrid_tiling.py [--case sample|nanjing|county] [--households N] [--processes P]
                                        [--dump OUT.npz]

Fits ``GridPartitioner(min_hh=300, max_hh=500, target=400)`` on the Liechtenstein or Nanjing
sample or the synthetic county (:mod:`synthetic_county`) and prints the totals, the worst grids and
the sub-grid stage's CPU seconds (the fitting thread plus the sub-grid workers; on a shared machine
compare CPU, not wall). ``--dump`` also stores :mod:`partition_identity`'s snapshot, for its
``compare``. No test asserts the timings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def tiling(grids, subgrids) -> list[dict]:
    """Per grid with sub-grids: code, area, hole (grid − ∪ sub-grids), outside (∪ sub-grids − grid),
    overlap (Σ pairwise intersections of its sub-grids), in m²."""
    out = []
    sub_geoms = np.asarray(subgrids.geometry.values, dtype=object)
    by_grid = subgrids.groupby("grid").indices
    for code, g in zip(grids["code"].astype(str), grids.geometry.values):
        idx = by_grid.get(code)
        if idx is None:
            continue
        s = sub_geoms[idx]
        u = shapely.union_all(s)
        tree = shapely.STRtree(s)
        a, b = tree.query(s, predicate="intersects")
        keep = a < b
        ov = float(shapely.area(shapely.intersection(s[a[keep]], s[b[keep]])).sum()) if keep.any() else 0.0
        out.append({"code": code, "area": float(shapely.area(g)), "n": len(idx),
                    "hole": float(shapely.area(shapely.difference(g, u))),
                    "outside": float(shapely.area(shapely.difference(u, g))), "overlap": ov})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=("sample", "nanjing", "county"), default="sample")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=None, help="sub-grid worker processes (default: auto)")
    ap.add_argument("--dump", metavar="OUT.npz", help="also store partition_identity's snapshot of the fit")
    args = ap.parse_args(argv)
    from synthetic_county import load_sample, make_county

    from gridtool.partition.engine import GridPartitioner
    if args.case == "county":
        layers = make_county(args.households, seed=0, sample=load_sample("liechtenstein"))
    else:
        layers = load_sample("liechtenstein" if args.case == "sample" else "nanjing-xuanwu")
    t = time.perf_counter()
    gp = GridPartitioner(min_hh=300, max_hh=500, target=400, processes=args.processes).fit(layers)
    tim = gp.report_["timings"]
    print(f"{args.case}: fitted in {time.perf_counter() - t:.1f} s, {len(gp.grids_)} grids, "
          f"{len(gp.subgrids_)} sub-grids")
    print(f"sub-grid stage: {tim['subgrids_s']:.2f} s wall, CPU {tim['subgrids_cpu_s']:.2f} s here + "
          f"{tim.get('subgrid_workers_cpu_s', 0.0):.2f} s on {tim.get('subgrid_workers', 1)} worker(s) = "
          f"{tim['subgrids_cpu_s'] + tim.get('subgrid_workers_cpu_s', 0.0):.2f} CPU s")
    if args.dump:
        from partition_identity import snapshot
        np.savez_compressed(args.dump, **snapshot(gp.grids_, gp.subgrids_, gp.households_, gp.corridors_))
    rows = tiling(gp.grids_, gp.subgrids_)
    area = sum(r["area"] for r in rows)
    for key in ("hole", "outside", "overlap"):
        tot = sum(r[key] for r in rows)
        bad = sum(r[key] > max(1e-3 * r["area"], 1.0) for r in rows)
        print(f"{key}: {tot:,.0f} m² = {100 * tot / max(area, 1e-9):.2f} % of {area:,.0f} m² grid area; "
              f"grids with > 0.1 % (and > 1 m²): {bad} of {len(rows)}")
    worst = sorted(rows, key=lambda r: -(r["hole"] + r["outside"] + r["overlap"]) / max(r["area"], 1e-9))[:5]
    for r in worst:
        print(f"  {r['code']}: {r['n']} sub-grids, area {r['area']:,.0f} m², hole {r['hole']:,.0f}, "
              f"outside {r['outside']:,.0f}, overlap {r['overlap']:,.0f}")
    invalid = int((~shapely.is_valid(gp.subgrids_.geometry.values)).sum())
    print(f"invalid sub-grid geometries: {invalid}; grids in more than one piece: "
          f"{int((shapely.get_num_geometries(gp.grids_.geometry.values) > 1).sum())}")
    p = pieces(gp.grids_, gp.subgrids_)
    print(f"sub-grids in more than one piece: {p['multi']}; of them joined only at a point (a corner): "
          f"{p['corner']}; with each piece in another part of a grid in parts (a piece per grid part): "
          f"{p['per_part']}; others: {p['multi'] - p['corner'] - p['per_part']}")
    if p["others"]:
        print("  others (code: pieces): " + ", ".join(f"{c}: {n}" for c, n in p["others"][:12]))
    return 0


def pieces(grids, subgrids) -> dict:
    """Sub-grids drawn in more than one piece (a planner sees the sub-grid in two places on the wall
    map): ``multi``; ``corner``: those whose pieces all hang together at points (corners) only;
    ``per_part``: the others whose pieces each lie in a different part of their grid (a grid in
    parts cannot give one sub-grid fewer pieces than the grid parts it has land in); ``others``:
    (code, pieces) of the rest."""
    geoms = np.asarray(subgrids.geometry.values, dtype=object)
    grid_of = dict(zip(grids["code"].astype(str), grids.geometry.values))
    out = {"multi": 0, "corner": 0, "per_part": 0, "others": []}
    for code, grid, g in zip(subgrids["code"].astype(str), subgrids["grid"].astype(str), geoms):
        parts = shapely.get_parts(g)
        if len(parts) < 2:
            continue
        out["multi"] += 1
        a, b = shapely.STRtree(parts).query(parts, predicate="intersects")
        if _components(len(parts), a, b) == 1:
            out["corner"] += 1
            continue
        whole = shapely.get_parts(grid_of[grid]) if grid in grid_of else np.array([], dtype=object)
        # Each piece's grid part: the one holding most of it.
        home = [int(np.argmax(shapely.area(shapely.intersection(whole, q)))) if len(whole) else -1 for q in parts]
        if len(whole) > 1 and len(set(home)) == len(parts):
            out["per_part"] += 1
        else:
            out["others"].append((code, len(parts)))
    return out


def _components(n: int, a: np.ndarray, b: np.ndarray) -> int:
    """Connected components of ``n`` nodes joined by the pairs ``a``–``b``."""
    from gridtool.partition.kernels import n_components
    return int(n_components(n, np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)))


if __name__ == "__main__":
    sys.exit(main())
