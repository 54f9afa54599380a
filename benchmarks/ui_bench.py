"""Desktop app speed: map redraws at full extent, and the live totals during a paint stroke.

    pip install -e ".[gui,bench]"
    QT_QPA_PLATFORM=offscreen python benchmarks/ui_bench.py [--households 100000] [--size 1600x1000]

For the Liechtenstein and Nanjing samples and a synthetic county of about ``--households``
households (tiles of the Liechtenstein sample, see ``synthetic_county.py``), each partitioned
(without sub-grids, which the map does not draw by default), the main window is built offscreen
with the project loaded, and it prints:

* **first draw**: the first render at full extent (builds every layer's arrays, paths and levels
  of detail; paid once per project);
* **redraw**: a full render at full extent with the layers' paths cached but no cached images
  (what a zoom or a style change costs) — target under 50 ms;
* **cached repaint**: a paint when nothing changed (the composed images are drawn);
* **paint step**: one brush step of a stroke — hit test, move, live totals of the source and target
  grids, the grid table row, the household colours — target under 16 ms; and the households
  layer re-render that follows it (the one layer a stroke changes).

Timings are medians (and the worst) over repeated runs on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402


def _project_from_layers(name: str, layers: dict):
    from gridtool.layers import Layer
    from gridtool.project import Project
    p = Project(name=name, crs=layers["villages"].crs)
    for role, gdf in layers.items():
        p.layers[role] = Layer(role=role, gdf=gdf)
    return p


def _partitioned(name: str, project):
    from gridtool.partition.output import partition_project
    t = time.perf_counter()
    partition_project(project, subgrids=False, corridor_width=0)
    return time.perf_counter() - t


def _ms(f, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs):7.1f} ms (max {max(xs):6.1f}, n={len(xs)})"


def bench(label: str, project, size=(1600, 1000), repeats: int = 15) -> dict:
    from PyQt6.QtGui import QImage, QPainter
    from PyQt6.QtWidgets import QApplication

    from gridtool.ui.main_window import MainWindow
    app = QApplication.instance()
    w = MainWindow(autosave=False)
    for d in w.docks.values():  # the canvas alone fills the window: the size asked for
        d.hide()
    w.resize(*size)
    w.show()
    app.processEvents()
    w.session.set_project(project)
    app.processEvents()
    c = w.canvas
    c.zoom_full()
    vp = c.vp.copy()
    hh = project.layers["households"]
    n_feat, n_hh = len(hh.gdf), int(hh.gdf["hh"].sum())
    print(f"\n{label}: {n_feat:,} household features, {n_hh:,} households, "
          f"{len(project.layers['grids'].gdf):,} grids, roads {len(project.layers.get('roads').gdf) if 'roads' in project.layers else 0:,}; "
          f"canvas {vp.width}×{vp.height} px at {vp.res:.1f} m/px")

    img = QImage(vp.width, vp.height, QImage.Format.Format_ARGB32_Premultiplied)

    def render(use_cache):
        p = QPainter(img)
        c.render(p, vp, 1.0, use_cache=use_cache)
        p.end()

    c._painters.clear()
    first = _ms(lambda: render(False), 1)
    redraw = _ms(lambda: render(False), repeats)
    render(True)
    cached = _ms(lambda: render(True), repeats)
    print(f"  first draw     {first[0]:7.1f} ms")
    print(f"  redraw         {_fmt(redraw)}   (target < 50 ms)")
    print(f"  cached repaint {_fmt(cached)}")

    # A paint stroke across the border of two grids of one village, as the brush tool does it.
    e = w.session.edit
    plan = e.plan
    by_v = {}
    for code in plan.codes:
        by_v.setdefault(plan.village[code], []).append(code)
    a, b = max((v for v in by_v.values() if len(v) >= 2), key=lambda v: plan.totals[v[0]])[:2]
    fa, fb = e.membership.features_in(a), e.membership.features_in(b)
    pa, pb = e.xy[fa].mean(axis=0), e.xy[fb].mean(axis=0)
    w.editor.set_target(a)
    radius = 60.0
    steps, moving, layer = [], [], []
    hh_group = next(g for g in c.groups() if g[0].role == "households")
    assert w.editor.begin_stroke()
    for t in np.linspace(0.0, 1.0, 40):  # from inside the source grid towards the target
        x, y = pb + (pa - pb) * t
        t0 = time.perf_counter()
        n = w.editor.paint_at(float(x), float(y), radius)
        steps.append((time.perf_counter() - t0) * 1000)
        if n:
            moving.append(steps[-1])
        layer += _ms(lambda: c.render_group(hh_group, vp, 1.0), 1)
    res = w.editor.end_stroke()
    t0 = time.perf_counter()
    app.processEvents()
    end_ms = (time.perf_counter() - t0) * 1000
    print(f"  paint step     {_fmt(steps)}   (target < 16 ms; {res.moved} buildings moved "
          f"from {b} into {a} in {len(steps)} steps)")
    if moving:
        print(f"    steps that moved buildings {_fmt(moving)}")
    print(f"  households layer re-render after a step {_fmt(layer)}")
    print(f"  stroke end (grid shapes and layer rewritten, panels updated) {end_ms:7.1f} ms")
    w.session.undo.undo()
    w.session.set_project(None)
    w.close()
    app.processEvents()
    return {"first": first[0], "redraw": statistics.median(redraw), "cached": statistics.median(cached),
            "step": statistics.median(steps), "step_max": max(steps), "layer": statistics.median(layer),
            "moving": statistics.median(moving) if moving else None}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000, help="size of the synthetic county (0: skip)")
    ap.add_argument("--size", default="1600x1000", help="canvas window size WxH")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    from PyQt6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from gridtool.ui import fonts
    fonts.apply_app_font(app)

    from gridtool.samples import sample_sources
    from gridtool.project import Project
    from synthetic_county import load_sample, make_county

    for name in ("nanjing-xuanwu", "liechtenstein"):
        p = Project.from_sources(sample_sources(name), name=name)
        t = _partitioned(name, p)
        print(f"\n(partitioned {name} in {t:.1f} s)")
        bench(f"Sample {name}", p, size, args.repeats)
    if args.households:
        t = time.perf_counter()
        county = make_county(args.households, sample=load_sample("liechtenstein"))
        p = _project_from_layers(f"county-{args.households}", county)
        t_build = time.perf_counter() - t
        t = _partitioned("county", p)
        print(f"\n(synthetic county built in {t_build:.1f} s and partitioned in {t:.1f} s; households are estimates "
              "on real OSM buildings, © OpenStreetMap contributors, ODbL)")
        bench(f"Synthetic county (~{args.households:,} households)", p, size, args.repeats)


if __name__ == "__main__":
    main()
