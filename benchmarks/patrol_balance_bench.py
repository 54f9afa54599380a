"""Patrol team balancing: stops served, longest and shortest route, idle teams, with and without
balancing, on the demo projects (Nanjing Xuanwu, Liechtenstein) by day, afternoon and night.

    python benchmarks/patrol_balance_bench.py [--nanjing P.gpkg] [--liechtenstein P.gpkg] [--teams 2 3 4 5]
                                              [--starts 08:00 14:00 22:00] [--time-limit 30] [--seed 0]
                                              [--samples nanjing-xuanwu liechtenstein]

A project not given is made with ``gridtool demo`` in a temporary folder (about 2 minutes).
Every plan is ``plan_patrol(..., strict=False)`` as ``gridtool patrol --lenient`` runs it, walking,
240-minute shift, the demo's places and stations. Printed per case: stops served, must-visit
places left out, longest / shortest route (minutes), idle teams (asked for, given no stop), the
longest route as a ratio of the unbalanced plan's, and seconds. Nothing is asserted. The solver
stops on iterations (``--iterations``, default ``plan_tours``'s), so the numbers are the same on
every run and machine; ``--time-limit`` is only a safety cap, and a plan it cut short is marked
``*`` after its seconds (then it depends on the machine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def demo_project(sample: str, folder: Path) -> Path:
    out = folder / sample
    subprocess.run([sys.executable, "-m", "gridtool", "demo", "--out", str(out), "--sample", sample],
                   check=True, stdout=subprocess.DEVNULL)
    return out / f"{sample}.gpkg"


def cases(project: Path, teams, starts, time_limit: float, seed: int, iterations=None):
    from gridtool.project import Project
    from gridtool.routing.patrol import plan_patrol
    from gridtool.routing.project_layers import places_to_visit, road_graph, stations_of
    p = Project.open(project)
    g = road_graph(p, "walk")
    stations = stations_of(p, category="police")
    places = places_to_visit(p, None)
    for start in starts:
        for k in teams:
            row = {"start": start, "teams": k}
            for balance in (False, True):
                t = time.perf_counter()
                plan = plan_patrol(g, stations, places, teams=k, start=start, strict=False, balance=balance,
                                   time_limit=time_limit, seed=seed, iterations=iterations)
                secs = time.perf_counter() - t
                tp = plan.tours
                mins = [d / 60 for d in tp.durations]
                row[balance] = dict(served=sum(len(r) for r in tp.routes),
                                    must_out=int(plan.unserved["must"].astype(bool).sum()) if len(plan.unserved) else 0,
                                    max=max(mins), min=min(mins), idle=sum(1 for r in tp.routes if not r), secs=secs,
                                    capped=tp.time_capped)
            yield row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nanjing", type=Path)
    ap.add_argument("--liechtenstein", type=Path)
    ap.add_argument("--teams", type=int, nargs="+", default=[2, 3, 4, 5])
    ap.add_argument("--starts", nargs="+", default=["08:00", "14:00", "22:00"])
    ap.add_argument("--time-limit", type=float, default=30.0, help="safety cap, seconds")
    ap.add_argument("--iterations", type=int, default=None, help="solver iterations (default: plan_tours's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", nargs="+", default=["nanjing-xuanwu", "liechtenstein"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        projects = {"nanjing-xuanwu": args.nanjing, "liechtenstein": args.liechtenstein}
        print("sample          start teams | no balance: served must-out max min idle | balanced: served must-out "
              "max min idle  max/unbalanced  max/min  s")
        for sample, path in projects.items():
            if sample not in args.samples:
                continue
            path = path or demo_project(sample, Path(tmp))
            for row in cases(path, args.teams, args.starts, args.time_limit, args.seed, args.iterations):
                a, b = row[False], row[True]
                ratio = b["max"] / a["max"] if a["max"] else float("nan")
                spread = b["max"] / b["min"] if b["min"] else float("inf")
                print(f"{sample:15s} {row['start']} {row['teams']:5d} | {a['served']:17d} {a['must_out']:8d} "
                      f"{a['max']:3.0f} {a['min']:3.0f} {a['idle']:4d} | {b['served']:15d} {b['must_out']:8d} "
                      f"{b['max']:3.0f} {b['min']:3.0f} {b['idle']:4d}  {ratio:14.2f}  {spread:7.2f}  {b['secs']:.1f}"
                      f"{'*' if a['capped'] or b['capped'] else ''}")


if __name__ == "__main__":
    main()
