"""Export timings on a synthetic county: the A0 wall-map PDF (target < 20 s), and more sections.

    python benchmarks/export_bench.py                    # ~500,000 households, ~1,300 grids
    python benchmarks/export_bench.py --sections print,html
    python benchmarks/export_bench.py --households 100000 --atlas-pages 50
    python benchmarks/export_bench.py --sections ledger     # the Excel ledger against bare openpyxl

The county is ``synthetic_county.make_county`` (the Liechtenstein sample tiled: estimated
household counts on real OpenStreetMap buildings, © OpenStreetMap contributors, ODbL), partitioned
once with the default ``GridPartitioner`` (about 2.5 minutes) and cached as a GeoPackage under
``--cache`` (default ``$TMPDIR/gridtool-bench``, shared with ``export_html_bench.py``); later runs
only time the exports. Each section is a function ``(project, out_dir, args) -> list of result
lines`` in ``SECTIONS``; add one there to time another export. Timings compare within one run on
one machine; no test asserts them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_html_bench import CACHE, county_arguments, partitioned_county  # noqa: E402


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def bench_print(project, out: Path, args) -> list[str]:
    """A0 wall map as PDF (the target), optionally SVG and PNG, and the atlas's pages per second."""
    from gridtool.maps.atlas import write_atlas
    from gridtool.maps.wallmap import render_wall_map

    lines = []
    steps: list[tuple[float, str]] = []
    t = time.perf_counter()
    pdf = render_wall_map(project, out / "county-A0.pdf", size="A0",
                          progress=lambda f, m: steps.append((time.perf_counter() - t, m)))
    s = time.perf_counter() - t
    verdict = "OK" if s < 20 else "over the 20 s target"
    lines.append(f"A0 wall map PDF: {s:.1f} s, {_mb(pdf):.1f} MB ({verdict}) → {pdf}")
    # Each progress message starts a stage; it lasts until the next message (the last: the end).
    ends = [w for w, _ in steps[1:]] + [s]
    parts = [f"{msg.split(' / ')[-1].split(':')[0]} {end - when:.1f}" for (when, msg), end in zip(steps, ends)
             if end - when >= 0.05]
    lines.append("  stages (s): " + ", ".join(parts))
    if args.svg:
        t = time.perf_counter()
        svg = render_wall_map(project, out / "county-A0.svg", size="A0")
        lines.append(f"A0 wall map SVG: {time.perf_counter() - t:.1f} s, {_mb(svg):.1f} MB")
    if args.png_dpi:
        t = time.perf_counter()
        png = render_wall_map(project, out / "county-A0.png", size="A0", dpi=args.png_dpi)
        lines.append(f"A0 wall map PNG at {args.png_dpi:g} dpi: {time.perf_counter() - t:.1f} s, {_mb(png):.1f} MB")
    if args.atlas_pages:
        codes = project.layers["grids"].gdf["code"].astype(str).tolist()[: args.atlas_pages]
        t = time.perf_counter()
        atlas = write_atlas(project, out / "county-atlas-sample.pdf", grids=codes)
        s = time.perf_counter() - t
        lines.append(f"atlas of {len(codes)} grids: {s:.1f} s ({len(codes) / s:.1f} grid pages/s, "
                     f"≈ {len(project.layers['grids'].gdf) * s / len(codes) / 60:.0f} min for the county), "
                     f"{_mb(atlas):.1f} MB")
    return lines


# -- HTML map section (offline map; gridtool.maps.html) ------------------------------------------
def bench_html_section(project, out: Path, args) -> list[str]:
    """The offline HTML map (``export_html_bench.bench_html``): seconds, MB (target ~15 MB), features."""
    from export_html_bench import bench_html

    r = bench_html(project, out / "county-map.html")
    verdict = "OK" if r["mb"] < 15 else "over the ~15 MB target"
    counts = ", ".join(f"{k}={v:,}" for k, v in r.items() if k not in ("seconds", "mb"))
    return [f"HTML map: {r['seconds']:.1f} s, {r['mb']:.1f} MB ({verdict}) → {out / 'county-map.html'}",
            f"  features: {counts}"]


def bench_ledger(project, out: Path, args) -> list[str]:
    """The Excel ledger (``--ledger``): building the sheets and writing the workbook, against an
    anchor run in the same process: the same rows appended to a bare openpyxl workbook."""
    import io

    from openpyxl import Workbook

    from gridtool.maps.ledger import ledger_tables, write_ledger_xlsx

    t = time.perf_counter()
    ledger = ledger_tables(project)
    t_tables = time.perf_counter() - t
    t = time.perf_counter()
    path = write_ledger_xlsx(project, out / "county-ledger.xlsx", ledger=ledger)
    t_write = time.perf_counter() - t
    t = time.perf_counter()
    wb = Workbook()
    for s in ledger.sheets:
        ws = wb.create_sheet(s.name)
        for row in [s.columns, *s.rows, *s.footer]:
            ws.append(row)
    wb.save(io.BytesIO())
    t_anchor = time.perf_counter() - t
    rows = sum(len(s.rows) for s in ledger.sheets)
    return [f"ledger: {rows:,} rows ({', '.join(f'{s.name} {len(s.rows):,}' for s in ledger.sheets)}); "
            f"sheets built in {t_tables:.1f} s, workbook written in {t_write:.1f} s ({_mb(path):.1f} MB); "
            f"bare openpyxl anchor {t_anchor:.1f} s; write / anchor = {t_write / max(t_anchor, 1e-9):.2f}"]


SECTIONS = {"print": bench_print, "html": bench_html_section, "ledger": bench_ledger}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    county_arguments(ap, out_help="folder for the outputs (default: the cache folder)")
    ap.add_argument("--sections", default="print", help=f"comma list of {', '.join(SECTIONS)} (default print)")
    ap.add_argument("--svg", action="store_true", help="also time the A0 SVG")
    ap.add_argument("--png-dpi", type=float, default=0, help="also time an A0 PNG at this DPI")
    ap.add_argument("--atlas-pages", type=int, default=0, help="also time the atlas of the first N grids")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    project = partitioned_county(args.households, seed=args.seed, cache=args.cache)
    counts = {r: len(lyr.gdf) for r, lyr in project.layers.items()}
    print(f"county loaded in {time.perf_counter() - t:.1f} s: {counts.get('grids', 0):,} grids, "
          f"{counts.get('subgrids', 0):,} sub-grids, {counts.get('villages', 0):,} villages, "
          f"{counts.get('roads', 0):,} roads, {counts.get('households', 0):,} buildings")
    out = args.out or Path(args.cache or CACHE)
    out.mkdir(parents=True, exist_ok=True)
    for name in [s.strip() for s in args.sections.split(",") if s.strip()]:
        if name not in SECTIONS:
            raise SystemExit(f"unknown section {name!r}; choose from {', '.join(SECTIONS)}")
        for line in SECTIONS[name](project, out, args):
            print(line, flush=True)


if __name__ == "__main__":
    main()
