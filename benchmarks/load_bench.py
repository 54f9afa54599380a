"""How long loading the bundled sample takes, against reading the same layers with pyogrio alone.

    python benchmarks/load_bench.py [--repeat 3] [--roster 500000]

Prints seconds per stage and gridtool's ratio to the anchor (plain ``pyogrio.read_dataframe`` of
every layer, run in the same process), so that the figures compare across machines.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyogrio

from gridtool.samples import SAMPLES, sample_sources
from gridtool.project import Project
from gridtool.validate import validate


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--roster", type=int, default=500_000,
                    help="rows of a synthetic county household roster (CSV) to time; 0 to skip")
    args = ap.parse_args()
    print(f"{'sample':<16}{'anchor read':>12}{'load':>9}{'validate':>10}{'save':>8}{'open':>8}"
          f"{'total':>8}{'ratio':>8}")
    for name in SAMPLES:
        sources = sample_sources(name)
        anchor = _best(lambda: [pyogrio.read_dataframe(*s.rsplit(":", 1)) for s in sources.values()],
                       args.repeat)
        load = _best(lambda: Project.from_sources(sources), args.repeat)
        project = Project.from_sources(sources)
        val = _best(lambda: validate(project), args.repeat)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "p.gpkg"
            save = _best(lambda: project.save(out), args.repeat)
            opn = _best(lambda: Project.open(out), args.repeat)
        total = load + val + save
        print(f"{name:<16}{anchor:>11.2f}s{load:>8.2f}s{val:>9.2f}s{save:>7.2f}s{opn:>7.2f}s"
              f"{total:>7.2f}s{total / anchor:>7.1f}x")
    # The raw OpenStreetMap extract the Liechtenstein sample is built from, when shared/ is beside us.
    pbf = Path(__file__).resolve().parents[2] / "shared/data/osm/liechtenstein-2024-03.osm.pbf"
    if pbf.exists():
        roles = ("households", "villages", "roads", "rivers", "railways", "forest", "places")
        anchor = _best(lambda: [pyogrio.read_dataframe(pbf, layer=lyr)
                                for lyr in ("points", "lines", "multipolygons")], args.repeat)
        load = _best(lambda: Project.from_sources({r: str(pbf) for r in roles}), args.repeat)
        print(f"{'osm.pbf import':<16}{anchor:>11.2f}s{load:>8.2f}s{'':>10}{'':>8}{'':>8}{load:>7.2f}s"
              f"{load / anchor:>7.1f}x")
    if args.roster:
        _roster(args.roster, args.repeat)


def _roster(n: int, repeat: int) -> None:
    """A county-size roster: n household rows with 经度/纬度/户数 (synthetic positions), as CSV."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "roster.csv"
        pd.DataFrame({"经度": 106.0 + rng.random(n) * 0.4, "纬度": 29.0 + rng.random(n) * 0.4,
                      "户数": rng.integers(1, 4, n)}).to_csv(csv, index=False)

        def anchor_read():
            df = pd.read_csv(csv)
            return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["经度"], df["纬度"]), crs=4326)

        anchor = _best(anchor_read, repeat)
        load = _best(lambda: Project.from_sources({"households": str(csv)}), repeat)
        project = Project.from_sources({"households": str(csv)})
        val = _best(lambda: validate(project), repeat)
        out = Path(tmp) / "p.gpkg"
        save = _best(lambda: project.save(out), repeat)
        opn = _best(lambda: Project.open(out), repeat)
        total = load + val + save
        label = f"roster {n // 1000}k"
        print(f"{label:<16}{anchor:>11.2f}s{load:>8.2f}s{val:>9.2f}s{save:>7.2f}s{opn:>7.2f}s"
              f"{total:>7.2f}s{total / anchor:>7.1f}x")


if __name__ == "__main__":
    main()
