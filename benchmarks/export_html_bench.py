"""Offline HTML map of a synthetic county: time and file size.

    python benchmarks/export_html_bench.py                  # ~500,000 households, ~1,300 grids
    python benchmarks/export_html_bench.py --households 100000

The county comes from ``synthetic_county.make_county`` (the Liechtenstein sample tiled; household
counts are estimates on real OpenStreetMap buildings, © OpenStreetMap contributors, ODbL) and is
partitioned once with the default ``GridPartitioner`` (about 2.5 minutes for 500,000 households);
the partitioned project is cached as a GeoPackage under ``--cache`` (default
``$TMPDIR/gridtool-bench``) so that later runs only time the export. The HTML is written with
:func:`gridtool.maps.html.write_html` as ``gridtool export --html`` would, and the benchmark prints
seconds, megabytes and the feature counts per layer. Timings compare within one run on one
machine; no test asserts them (the tests check the size limit on a small project).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Where the partitioned county is cached (``--cache``), shared with ``export_bench.py``.
CACHE = Path(tempfile.gettempdir()) / "gridtool-bench"


def county_arguments(ap: argparse.ArgumentParser, *, out_help: str) -> None:
    """The options of the export benchmarks that choose (and cache) the synthetic county."""
    ap.add_argument("--households", type=int, default=500_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=None, help="folder of the cached partitioned county")
    ap.add_argument("--out", type=Path, default=None, help=out_help)


def partitioned_county(households: int = 500_000, *, seed: int = 0, cache: Path | None = None,
                       quiet: bool = False):
    """The synthetic county as a partitioned :class:`gridtool.project.Project`, cached on disk.

    Parameters
    ----------
    households
        Size of the county (number of households, roughly).
    seed
        Seed of the tiling jitter.
    cache
        Folder for the cached project (default ``$TMPDIR/gridtool-bench``).
    quiet
        No progress messages.
    """
    from gridtool.layers import Layer
    from gridtool.partition.output import partition_project
    from gridtool.project import Project

    cache = Path(cache or CACHE)
    path = cache / f"county-{households}-s{seed}.gpkg"
    if path.exists():
        return Project.open(path)
    from synthetic_county import make_county

    t = time.perf_counter()
    layers = make_county(households, seed=seed)
    crs = layers["households"].crs
    project = Project(name=f"合成县 synthetic county {households:,}", crs=crs, user_crs="EPSG:4326")
    for role, gdf in layers.items():
        project.layers[role] = Layer(role=role, gdf=gdf, source="synthetic_county", crs_in="EPSG:4326")
    if not quiet:
        print(f"county built in {time.perf_counter() - t:.1f}s; partitioning (a few minutes) …", flush=True)
    t = time.perf_counter()
    partition_project(project)
    if not quiet:
        print(f"partitioned in {time.perf_counter() - t:.1f}s; cached at {path}", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    project.save(path)
    return project


def bench_html(project, out: Path) -> dict:
    """Write the HTML map of ``project`` to ``out``; seconds, megabytes and feature counts."""
    from gridtool.maps.html import write_html

    t = time.perf_counter()
    info = write_html(project, out)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "mb": out.stat().st_size / 1e6, **info.counts}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    county_arguments(ap, out_help="HTML file (default: in the cache folder)")
    args = ap.parse_args(argv)
    project = partitioned_county(args.households, seed=args.seed, cache=args.cache)
    counts = {r: len(lyr.gdf) for r, lyr in project.layers.items()}
    hh = int(project.layers["households"].gdf["hh"].sum())
    print(f"county: {hh:,} households in {counts['households']:,} buildings, {counts.get('grids', 0):,} grids, "
          f"{counts.get('subgrids', 0):,} sub-grids, {counts.get('places', 0):,} places")
    out = args.out or Path(args.cache or CACHE) / "county-map.html"
    r = bench_html(project, out)
    print(f"HTML map: {r['seconds']:.1f}s, {r['mb']:.1f} MB → {out}")
    print("  features: " + ", ".join(f"{k}={v:,}" for k, v in r.items() if k not in ("seconds", "mb")))


if __name__ == "__main__":
    main()
